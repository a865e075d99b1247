"""Invoke-Command (Microsoft.PowerShell.Core): examples 1-22."""

from __future__ import annotations

import os

import pytest

from examples import run, table_rows, text

WINRM = "WinRM-only: "


def test_invoke_command_example_1_script_on_a_server(rs, tmp_path):
    (tmp_path / "test.ps1").write_text("\"ran on $(hostname) as $(whoami)\"\n")
    out, errors = run(rs, "Invoke-Command -FilePath ./test.ps1 -ComputerName server01")
    assert errors == [] and len(out) == 1 and out[0].startswith("ran on ")
    assert out[0].PSComputerName == "server01"


def test_invoke_command_example_2_command_on_a_server(rs):
    # -Credential set aside: the SSH key of the test HOME logs in
    rows = table_rows(text(rs, "Invoke-Command -ComputerName server01 -ScriptBlock { Get-Culture }"))
    assert rows[0] == ["LCID", "Name", "DisplayName", "PSComputerName"]
    assert rows[1][-1] == "server01"


def test_invoke_command_example_3_persistent_connection(rs):
    out, errors = run(rs, "$s = New-PSSession -ComputerName server02; "
                          "Invoke-Command -Session $s -ScriptBlock { Get-Culture } | ForEach-Object PSComputerName")
    assert errors == [] and out == ["server02"]


def test_invoke_command_example_4_session_shares_data(rs):
    out, errors = run(rs, """
Invoke-Command -ComputerName server02 -ScriptBlock { $p = Get-Process -Id $PID }
Invoke-Command -ComputerName server02 -ScriptBlock { $p.VirtualMemorySize }
'--'
$s = New-PSSession -ComputerName server02
Invoke-Command -Session $s -ScriptBlock { $p = Get-Process -Id $PID }
Invoke-Command -Session $s -ScriptBlock { $p.VirtualMemorySize }
""")
    out = [o for o in out if o is not None]     # $p is $null in a new session each time
    assert errors == [] and out[0] == "--" and len(out) == 2 and out[1] > 0


def test_invoke_command_example_5_scriptblock_in_a_variable(rs):
    out, errors = run(rs, """
$command = {
    Get-ChildItem /etc -Filter *.conf | Where-Object -FilterScript { $_.Name -like '*host*' } |
      ForEach-Object Name
}
Invoke-Command -ComputerName server01, server02 -ScriptBlock $command | Sort-Object -Unique
""")
    assert errors == [] and "host.conf" in out


def test_invoke_command_example_6_one_command_several_computers(rs):
    # -ConfigurationName (a WinRM endpoint) set aside
    out, errors = run(rs, """
$parameters = @{
  ComputerName      = 'server01', 'server02', 'server03'
  ScriptBlock       = { Get-Content /etc/hostname }
}
Invoke-Command @parameters | ForEach-Object PSComputerName | Sort-Object
""")
    assert errors == [] and out == ["server01", "server02", "server03"]


def test_invoke_command_example_7_host_version_on_several_computers(rs, tmp_path):
    (tmp_path / "Machines.txt").write_text("server01\nserver02\n")
    out, errors = run(rs, """
$version = Invoke-Command -ComputerName (Get-Content Machines.txt) -ScriptBlock { (Get-Host).Version }
$version.Count
$version | ForEach-Object { "$($_.PSComputerName) $($_.Major)" } | Sort-Object
""")
    assert errors == [] and out[0] == 2 and [o.split()[0] for o in out[1:]] == ["server01", "server02"]


def test_invoke_command_example_8_background_job_on_several_sessions(rs):
    rows = table_rows(text(rs, "$s = New-PSSession -ComputerName server01, server02; "
                               "Invoke-Command -Session $s -ScriptBlock { Get-Content /etc/hostname } -AsJob"))
    assert rows[1][5] == "server01,server02" and rows[1][-2:] == ["Get-Content", "/etc/hostname"]
    out, errors = run(rs, "$j = Get-Job; $j | Wait-Job | Out-Null; "
                          "($j | Format-List -Property * | Out-String) -match 'Location +: server01,server02'; "
                          "$results = $j | Receive-Job; $results.Count")
    assert errors == [] and out == [True, 2]


def test_invoke_command_example_9_using_a_local_variable(rs):
    out, errors = run(rs, """
$Log = '/etc/hostname'
Invoke-Command -ComputerName server01 -ScriptBlock { Get-Content -Path $Using:Log -TotalCount 10 }
""")
    assert errors == [] and len(out) == 1


def test_invoke_command_example_10_hide_computer_name(rs):
    shown = text(rs, "Invoke-Command -ComputerName server01, server02 -ScriptBlock "
                     "{ Get-Process -Id $PID }")
    assert "PSComputerName" in table_rows(shown)[0]
    shown = text(rs, "Invoke-Command -ComputerName server01, server02 -HideComputerName "
                     "-ScriptBlock { Get-Process -Id $PID }")
    assert "PSComputerName" not in table_rows(shown)[0] and len(table_rows(shown)) == 3


def test_invoke_command_example_11_param_keyword(rs, sshd_hosts):
    remote = os.path.join(sshd_hosts.remote_home, "pdfs")
    os.makedirs(remote, exist_ok=True)
    for name in ("aa.pdf", "ab.pdf", "b.pdf", "ac.txt"):
        open(os.path.join(remote, name), "w").close()
    out, errors = run(rs, """
$parameters = @{
    ComputerName = 'server01'
    ScriptBlock  = {
        param ($Param1, $Param2)
        Set-Location ~/pdfs
        Get-ChildItem -Name $Param1 -Include $Param2
    }
    ArgumentList = 'a*', '*.pdf'
}
Invoke-Command @parameters
""")
    assert errors == [] and out == ["aa.pdf", "ab.pdf"]


def test_invoke_command_example_12_args_variable(rs, sshd_hosts):
    remote = os.path.join(sshd_hosts.remote_home, "Test")
    os.makedirs(remote, exist_ok=True)
    for name in ("alog.txt", "blog.txt", "other.log"):
        open(os.path.join(remote, name), "w").close()
    out, errors = run(rs, """
$parameters = @{
    ComputerName = 'server01'
    ScriptBlock  = { Get-ChildItem $args[0] $args[1] }
    ArgumentList = '~/Test', '*.txt*'
}
Invoke-Command @parameters | ForEach-Object Name
""")
    assert errors == [] and out == ["alog.txt", "blog.txt"]


def test_invoke_command_example_13_script_on_computers_in_a_file(rs, tmp_path):
    (tmp_path / "Servers.txt").write_text("server01\nserver02\n")
    (tmp_path / "Sample.ps1").write_text("param($a, $b) \"$a and $b\"\n")
    out, errors = run(rs, """
$parameters = @{
    ComputerName = (Get-Content Servers.txt)
    FilePath     = './Sample.ps1'
    ArgumentList = 'Process', 'Service'
}
Invoke-Command @parameters
""")
    assert errors == [] and out == ["Process and Service"] * 2


@pytest.mark.skip(reason=WINRM + "-ConnectionUri, -Authentication Basic, an Exchange endpoint")
def test_invoke_command_example_14_connection_uri():
    pass


@pytest.mark.skip(reason=WINRM + "-UseSSL and the certificate checks of New-PSSessionOption")
def test_invoke_command_example_15_session_option_ssl():
    pass


@pytest.mark.skip(reason=WINRM + "URI redirection (-AllowRedirection, -MaximumRedirection)")
def test_invoke_command_example_16_uri_redirection():
    pass


@pytest.mark.skip(reason=WINRM + "CredSSP delegation (Enable-WSManCredSSP)")
def test_invoke_command_example_17_credssp():
    pass


def test_invoke_command_example_18_in_disconnected_sessions(rs, tmp_path):
    (tmp_path / "Servers.txt").write_text("server01\nserver02\n")
    (tmp_path / "ConfigInventory.ps1").write_text("'inventory'\n")
    out, errors = run(rs, """
$parameters = @{
  ComputerName          = (Get-Content -Path ./Servers.txt)
  InDisconnectedSession = $true
  FilePath              = './ConfigInventory.ps1'
  SessionOption         = @{
      OutputBufferingMode = 'Drop'
      IdleTimeout         = [timespan]::FromHours(12)
  }
}
$s = Invoke-Command @parameters
$s | ForEach-Object { "$($_.ComputerName) $($_.State) $($_.IdleTimeout / 3600)" }
$s | Receive-PSSession
$s | Remove-PSSession
""")
    assert errors == []
    assert out == ["server01 Disconnected 12", "server02 Disconnected 12", "inventory", "inventory"]


def test_invoke_command_example_19_ssh_hostname_with_user(rs):
    out, errors = run(rs, "Invoke-Command -HostName \"$(whoami)@server01\" -ScriptBlock { whoami }")
    assert errors == [] and len(out) == 1 and out[0].PSComputerName == "server01"


def test_invoke_command_example_20_key_file(rs, sshd_hosts):
    key = os.path.join(sshd_hosts.home, ".ssh", "id_ed25519")
    out, errors = run(rs, f"""
$parameters = @{{
    HostName    = "$(whoami)@server01"
    ScriptBlock = {{ 'mailbox' }}
    KeyFilePath = '{key}'
}}
Invoke-Command @parameters
""")
    assert errors == [] and out == ["mailbox"]


def test_invoke_command_example_21_ssh_connections_hashtables(rs, sshd_hosts, tmp_path):
    key = os.path.join(sshd_hosts.home, ".ssh", "id_ed25519")
    (tmp_path / "GetInfo.ps1").write_text("Get-Content /etc/hostname | ForEach-Object { 'info' }\n")
    out, errors = run(rs, f"""
$sshConnections = @(
    @{{
        HostName    = "server01"
        UserName    = (whoami)
        KeyFilePath = '{key}'
    }}
    @{{
        HostName    = "$(whoami)@server02"
        KeyFilePath = '{key}'
    }}
)
$results = Invoke-Command -FilePath ./GetInfo.ps1 -SSHConnection $sshConnections
$results | ForEach-Object PSComputerName | Sort-Object
""")
    assert errors == [] and out == ["server01", "server02"]


def test_invoke_command_example_22_ssh_options(rs, sshd_hosts, tmp_path):
    key = os.path.join(sshd_hosts.home, ".ssh", "id_ed25519")
    (tmp_path / "CollectEvents.ps1").write_text("'events'\n")
    out, errors = run(rs, f"""
$options = @{{
    Port = {sshd_hosts.port}
    User = (whoami)
    Host = 'server03'
}}
$results = Invoke-Command -FilePath ./CollectEvents.ps1 -KeyFilePath '{key}' -Options $options
$results
""")
    assert errors == [] and out == ["events"]
