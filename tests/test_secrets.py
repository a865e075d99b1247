"""SecureString, PSCredential and NetworkCredential from scripts; ConvertTo/From-SecureString;
the wire form of secrets (strict) and FileSystem cmdlets refusing -Credential."""

from __future__ import annotations

import pytest

from pshell.engine.credentials import PSCredential, SecureString
from pshell.engine.runtime import Runspace
from pshell.engine.streams import CollectingStreams
from pshell.remote.framing import ProtocolError
from pshell.remote.protocol import deserialize, serialize


@pytest.fixture
def rs(tmp_path):
    runspace = Runspace(location=str(tmp_path))
    yield runspace
    runspace.close()


def run(rs, text):
    streams = CollectingStreams()
    out = rs.invoke(text, streams=streams)
    return out, [str(r) for s, r in streams.records if s == "error"]


def test_types_from_scripts(rs):
    out, errors = run(rs, """
$s = [System.Security.SecureString]::new(); 'ab'.ToCharArray() | % { $s.AppendChar($_) }; $s.MakeReadOnly()
try { $s.AppendChar('x') } catch { 'read-only' }
$c = New-Object System.Management.Automation.PSCredential('dom\\u', $s)
$c -is [pscredential]; $c.GetNetworkCredential().Password; $c.GetNetworkCredential().Domain
[pscredential]::new('u', $s).UserName
try { [pscredential]::new('u', 'plain') } catch { 'needs a securestring' }
[System.Net.NetworkCredential]::new('u', 'p').SecurePassword -is [securestring]
""")
    assert errors == []
    assert out == ["read-only", True, "ab", "dom", "u", "needs a securestring", True]


def test_convert_securestring_round_trips_and_refuses_foreign_strings(rs):
    out, errors = run(rs, """
$p = ConvertTo-SecureString 'Pa55' -AsPlainText -Force
$k = [byte[]](1..32)
$e = $p | ConvertFrom-SecureString -Key $k
$e -like 'pshell-ss1:*'; $e -notlike '*Pa55*'
$e | ConvertTo-SecureString -Key $k | ConvertFrom-SecureString -AsPlainText
try { $e | ConvertTo-SecureString -Key ([byte[]](2..33)) } catch { "$_" -like '*key does not open*' }
try { '01000000d08c9ddf0115d1118c7a00c04fc297eb01' | ConvertTo-SecureString } catch { "$_" -like '*DPAPI*' }
try { $p | ConvertFrom-SecureString } catch { "$_" -like '*-Key*' }
try { $p | ConvertFrom-SecureString -Key (1..5) } catch { "$_" -like '*16, 24 or 32*' }
""")
    assert errors == []
    assert out == [True, True, "Pa55", True, True, True, True]


def test_filesystem_cmdlets_refuse_credentials(rs, tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    out, errors = run(rs, "$c = [pscredential]::new('u', (ConvertTo-SecureString p -AsPlainText))\n"
                          "Remove-Item keep.txt -Credential $c")
    assert len(errors) == 1 and "credentials only on New-PSDrive" in errors[0]
    assert (tmp_path / "keep.txt").exists()


def test_secrets_on_the_wire_only_when_asked():
    cred = PSCredential("ops", SecureString("s3cret"))
    assert "s3cret" not in repr(serialize([cred, SecureString("s3cret")]))
    back = deserialize(serialize({"c": cred}, secrets=True))["c"]
    assert isinstance(back, PSCredential) and back.Password.plain_text() == "s3cret"
    assert deserialize(serialize(SecureString("x"), secrets=True)).plain_text() == "x"


@pytest.mark.parametrize("value", [
    {"@": "ss"}, {"@": "ss", "v": 5}, {"@": "ss", "v": "x", "extra": 1},
    {"@": "pc", "u": 3, "p": "x"}, {"@": "pc", "p": "x"}, {"@": "pc", "u": "a", "p": ["x"]},
    {"@": "nc", "u": "a", "p": "b"}, {"@": "nc", "u": "a", "p": "b", "dm": None},
])
def test_malformed_secrets_from_the_wire_are_refused(value):
    with pytest.raises(ProtocolError):
        deserialize(value)


def test_a_local_job_gets_a_usable_credential(rs):
    out, errors = run(rs, "$c = [pscredential]::new('u', (ConvertTo-SecureString pw -AsPlainText))\n"
                          "Start-Job { ($using:c).GetNetworkCredential().Password } | Receive-Job -Wait")
    assert errors == [] and out == ["pw"]
