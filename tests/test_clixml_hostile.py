"""CLIXML read from elsewhere is a trust boundary: hostile documents and key files are refused with
an error naming the line, never expanded, never a traceback, never a hang."""

from __future__ import annotations

import os

import pytest

from pshell.engine.clixml import MAX_NESTING, CliXmlError, dumps, loads, secure_key
from pshell.engine.credentials import PSCredential, SecureString

HEAD = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'


def doc(body: str) -> str:
    return HEAD + body + "</Objs>"


def test_billion_laughs_is_refused_at_the_doctype():
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(9))
    text = f"<!DOCTYPE Objs [{entities}]>" + doc("<S>&j;</S>")
    with pytest.raises(CliXmlError, match="DOCTYPE"):
        loads(text)


def test_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("do not read me")
    text = f'<!DOCTYPE Objs [<!ENTITY x SYSTEM "file://{secret}">]>' + doc("<S>&x;</S>")
    with pytest.raises(CliXmlError) as err:
        loads(text)
    assert "do not read me" not in str(err.value)


def test_undeclared_entity_is_an_error_not_an_expansion():
    with pytest.raises(CliXmlError, match="line 1"):
        loads(doc("<S>&nope;</S>"))


def test_absurd_nesting_is_refused_without_recursion():
    depth = 100_000
    body = '<Obj RefId="0"><LST>' * depth + "</LST></Obj>" * depth
    with pytest.raises(CliXmlError, match=f"nested more than {MAX_NESTING}"):
        loads(doc(body))


def test_nesting_within_the_limit_reads():
    depth = (MAX_NESTING - 2) // 2
    body = "<Obj><LST>" * depth + "<I32>7</I32>" + "</LST></Obj>" * depth
    value = loads(doc(body))[0]
    for _ in range(depth - 1):
        value = value[0]
    assert value == [7]


@pytest.mark.parametrize("body, what", [
    ("<I32>12x</I32>", "not a whole number"),
    ("<I32>99999999999</I32>", "out of range"),
    ("<By>256</By>", "out of range"),
    ("<Db>lots</Db>", "not a number"),
    ("<B>maybe</B>", "not true or false"),
    ("<C>99999999</C>", "not a character"),
    ("<DT>yesterday</DT>", "not a date"),
    ("<DT>2020-13-40T00:00:00</DT>", "<DT>"),
    ("<TS>P99999999999999999D</TS>", "not a duration"),
    ("<TS>P999999999DT999999999H</TS>", "too long"),
    ("<BA>!!!</BA>", "not base64"),
    ('<Ref RefId="5" />', "not defined before"),
    ('<Obj><TNRef RefId="9" /></Obj>', "not defined before"),
    ("<Obj><Props><S>no name</S></Props></Obj>", "without a name"),
    ("<Obj><DCT><En><S N='Key'>k</S></En></DCT></Obj>", "Key and a Value"),
    ("<Script>rm -rf /</Script>", "not an element"),
])
def test_bad_values_name_the_line_and_the_problem(body, what):
    with pytest.raises(CliXmlError) as err:
        loads(doc("\n" + body))
    assert "line 2" in str(err.value) and what in str(err.value)


def test_not_clixml_at_all():
    for text in ("", "<html/>", "not xml", HEAD, "<Objs/><Objs/>"):
        with pytest.raises(CliXmlError):
            loads(text)


def test_control_characters_and_escapes_survive_a_round_trip():
    text = "a\x00b\x1bc\r\n_x0041_ \ud800 <&>\"'"
    assert loads(dumps([text])) == [text]


def test_secure_string_needs_this_users_key(tmp_path):
    home = {"HOME": str(tmp_path / "me")}
    cred = PSCredential("ops", SecureString("pw"))
    text = dumps([cred], key=lambda: secure_key(home))
    assert "pw<" not in text
    back = loads(text, key=lambda: secure_key(home))[0]
    assert back.UserName == "ops" and back.Password.plain_text() == "pw"
    other = {"HOME": str(tmp_path / "other")}
    with pytest.raises(CliXmlError, match="cannot be read here"):
        loads(text, key=lambda: secure_key(other))
    with pytest.raises(CliXmlError):
        loads(text)                 # no key at all


def test_key_file_made_private(tmp_path):
    env = {"HOME": str(tmp_path)}
    key = secure_key(env)
    path = tmp_path / ".local" / "share" / "pshell" / "clixml.key"
    assert len(key) == 32 and (path.stat().st_mode & 0o777) == 0o600
    assert secure_key(env) == key


def test_key_file_readable_by_others_or_wrong_size_is_refused(tmp_path):
    env = {"HOME": str(tmp_path)}
    secure_key(env)
    path = tmp_path / ".local" / "share" / "pshell" / "clixml.key"
    os.chmod(path, 0o644)
    with pytest.raises(CliXmlError, match="not a private 32-byte file"):
        secure_key(env)
    os.chmod(path, 0o600)
    path.write_bytes(b"short")
    with pytest.raises(CliXmlError, match="not a private 32-byte file"):
        secure_key(env)


def test_key_file_that_is_a_symlink_is_not_followed(tmp_path):
    env = {"HOME": str(tmp_path)}
    folder = tmp_path / ".local" / "share" / "pshell"
    folder.mkdir(parents=True)
    target = tmp_path / "planted"
    target.write_bytes(b"k" * 32)
    os.chmod(target, 0o600)
    (folder / "clixml.key").symlink_to(target)
    with pytest.raises(OSError):
        secure_key(env)
    with pytest.raises(CliXmlError, match="cannot be read or made"):
        dumps([SecureString("x")], key=lambda: secure_key(env))


def test_import_of_a_hostile_file_is_an_error_not_a_traceback(tmp_path):
    from pshell.engine.runtime import Runspace
    bad = tmp_path / "bad.xml"
    bad.write_text('<!DOCTYPE Objs [<!ENTITY a "x">]>' + doc("<S>&a;</S>"))
    notutf8 = tmp_path / "latin.xml"
    notutf8.write_bytes(doc("<S>\xff</S>").encode("latin-1"))
    rs = Runspace(location=str(tmp_path))
    out = rs.invoke("foreach ($f in 'bad.xml', 'latin.xml') { try { Import-Clixml $f } "
                    "catch { $_.FullyQualifiedErrorId + ' ' + $_.Exception.Message } }")
    assert out[0].startswith("InvalidCliXml,Microsoft.PowerShell.Commands.ImportClixmlCommand")
    assert "DOCTYPE" in out[0]
    assert out[1].startswith("FileOpenFailure,") and "UTF-8" in out[1]
