"""A PSCredential or SecureString crosses the SSH channel usable ($using:, -ArgumentList, output,
a remote job) and its text reaches no file on either side."""

from __future__ import annotations

import os

from pshell.engine.streams import CollectingStreams

SECRET = "wire-secret-Kq7x"


def _files_holding(root: str, needle: bytes) -> list:
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            if needle in data or needle.decode().encode("utf-16-le") in data:
                found.append(path)
    return found


def test_credentials_cross_the_wire_and_never_reach_disk(rs, sshd_hosts, tmp_path):
    streams = CollectingStreams()
    out = rs.invoke(f"""
$Cred = [pscredential]::new('ops', (ConvertTo-SecureString '{SECRET}' -AsPlainText -Force))
$s = New-PSSession -ComputerName server01
Invoke-Command $s {{ ($using:Cred).GetNetworkCredential().Password; $using:Cred -is [pscredential] }}
Invoke-Command $s {{ param($c) $c.Password -is [securestring] }} -ArgumentList $Cred
$back = Invoke-Command $s {{
  [pscredential]::new('far', (ConvertTo-SecureString 'far-{SECRET}' -AsPlainText)) }}
$back -is [pscredential]; $back.UserName; $back.GetNetworkCredential().Password
$j = Invoke-Command $s {{ $using:Cred; 'job-end' }} -AsJob
$j | Wait-Job | Out-Null
(Receive-Job $j | Select-Object -Last 1)
$s | Remove-PSSession
""", streams=streams)
    assert [str(r) for s, r in streams.records if s == "error"] == []
    assert out[:3] == [SECRET, True, True]
    assert out[3:6] == [True, "far", "far-" + SECRET]
    assert out[6] == "job-end"
    for root in (sshd_hosts.remote_home, sshd_hosts.home, str(tmp_path)):
        assert _files_holding(root, SECRET.encode()) == []
