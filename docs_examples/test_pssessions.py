"""New-PSSession (examples 1-15), Get-PSSession (1-7), Remove-PSSession (1-6)."""

from __future__ import annotations

import os

import pytest

from examples import lines, run, table_rows, text

WINRM = "WinRM-only: "
SESSION_COLUMNS = ["Id", "Name", "Transport", "ComputerName", "ComputerType", "State",
                   "ConfigurationName", "Availability"]


# --------------------------------------------------------------------------- New-PSSession

def test_new_pssession_example_1_local_computer(rs):
    out, errors = run(rs, "$s = New-PSSession; $s.ComputerName; $s.State; "
                          "Invoke-Command -Session $s { 1 + 1 }")
    assert errors == [] and out == ["localhost", "Opened", 2]


def test_new_pssession_example_2_remote_computer(rs):
    rows = table_rows(text(rs, "$Server01 = New-PSSession -ComputerName server01; $Server01"))
    assert rows[0] == SESSION_COLUMNS
    assert rows[1][2:] == ["SSH", "server01", "RemoteMachine", "Opened", "DefaultShell", "Available"]


def test_new_pssession_example_3_multiple_computers(rs):
    out, errors = run(rs, "$s1, $s2, $s3 = New-PSSession -ComputerName server01, server02, server03; "
                          "$s1.ComputerName; $s2.ComputerName; $s3.ComputerName; "
                          "$s2.Id - $s1.Id; $s3.Id - $s2.Id")
    assert errors == [] and out == ["server01", "server02", "server03", 1, 1]


def test_new_pssession_example_4_specified_port(rs, sshd_hosts):
    # -UseSSL and -ConfigurationName (WinRM) set aside: the point is -Port
    out, errors = run(rs, f"(New-PSSession -ComputerName server01 -Port {sshd_hosts.port}).State")
    assert errors == [] and out == ["Opened"]


def test_new_pssession_example_5_based_on_an_existing_session(rs):
    # -Credential set aside
    out, errors = run(rs, "$s = New-PSSession server02; $n = New-PSSession -Session $s; "
                          "$n.ComputerName; $n.Id -ne $s.Id; $n.State")
    assert errors == [] and out == ["server02", True, "Opened"]


def test_new_pssession_example_6_global_scope(rs):
    out, errors = run(rs, "& { $Global:s = New-PSSession -ComputerName server01 }; $s.ComputerName")
    assert errors == [] and out == ["server01"]


def test_new_pssession_example_7_many_computers_from_a_file(rs, tmp_path):
    (tmp_path / "Servers.txt").write_text("server01\nserver02\nserver03\n")
    out, errors = run(rs, "$rs = Get-Content ./Servers.txt | New-PSSession -ThrottleLimit 50; "
                          "$rs | ForEach-Object ComputerName")
    assert errors == [] and out == ["server01", "server02", "server03"]


@pytest.mark.skip(reason=WINRM + "-Uri names a WinRM endpoint")
def test_new_pssession_example_8_uri():
    pass


def test_new_pssession_example_9_background_job_in_a_set_of_sessions(rs, tmp_path):
    (tmp_path / "Servers.txt").write_text("server01\nserver02\n")
    out, errors = run(rs, """
$s = New-PSSession -ComputerName (Get-Content Servers.txt) -ThrottleLimit 16
$j = Invoke-Command -Session $s -ScriptBlock { Get-Process -Id $PID } -AsJob
$j | Wait-Job | Out-Null
$j.ChildJobs.Count; ($j | Receive-Job).Count
""")
    assert errors == [] and out == [2, 2]


@pytest.mark.skip(reason=WINRM + "-ConnectionURI names a WinRM endpoint")
def test_new_pssession_example_10_connection_uri():
    pass


@pytest.mark.skip(reason=WINRM + "-ConnectionUri and -SkipCACheck (certificate checks of WinRM)")
def test_new_pssession_example_11_session_option():
    pass


def test_new_pssession_example_12_ssh(rs):
    out, errors = run(rs, "$s = New-PSSession -HostName \"$(whoami)@server01\"; $s.Transport; $s.State")
    assert errors == [] and out == ["SSH", "Opened"]


def test_new_pssession_example_13_ssh_port_and_key(rs, sshd_hosts):
    key = os.path.join(sshd_hosts.home, ".ssh", "id_ed25519")
    out, errors = run(rs, f"(New-PSSession -HostName \"$(whoami)@server01:{sshd_hosts.port}\" "
                          f"-KeyFilePath {key}).State")
    assert errors == [] and out == ["Opened"]


def test_new_pssession_example_14_ssh_connections(rs, sshd_hosts):
    key = os.path.join(sshd_hosts.home, ".ssh", "id_ed25519")
    out, errors = run(rs, f"""
$sshConnections = @(
    @{{ HostName = 'server01'; UserName = (whoami); KeyFilePath = '{key}' }}
    @{{ HostName = "$(whoami)@server02"; KeyFilePath = '{key}' }}
)
New-PSSession -SSHConnection $sshConnections | ForEach-Object {{ "$($_.ComputerName) $($_.State)" }}
""")
    assert errors == [] and out == ["server01 Opened", "server02 Opened"]


def test_new_pssession_example_15_ssh_options(rs, sshd_hosts):
    key = os.path.join(sshd_hosts.home, ".ssh", "id_ed25519")
    out, errors = run(rs, f"""
$options = @{{ Port = {sshd_hosts.port}; User = (whoami); Host = 'server02' }}
(New-PSSession -KeyFilePath '{key}' -Options $options).State
""")
    assert errors == [] and out == ["Opened"]


# --------------------------------------------------------------------------- Get-PSSession

def test_get_pssession_example_1_sessions_of_this_shell(rs):
    rows = table_rows(text(rs, "New-PSSession server01, server02 | Out-Null; Get-PSSession"))
    assert rows[0] == SESSION_COLUMNS and [r[3] for r in rows[1:]] == ["server01", "server02"]


def test_get_pssession_example_2_sessions_on_localhost(rs):
    out, errors = run(rs, "$s = New-PSSession -ComputerName localhost -Name gps-local; "
                          "Get-PSSession -ComputerName localhost | Where-Object Name -eq gps-local | "
                          "ForEach-Object State")
    assert errors == [] and out == ["Opened"]


def test_get_pssession_example_3_sessions_on_a_computer(rs):
    rows = table_rows(text(rs, """
$busy = New-PSSession server02 -Name gps-busy
Invoke-Command -Session $busy { Start-Sleep 5 } -AsJob | Out-Null
Start-Sleep -Milliseconds 300
Disconnect-PSSession $busy | Out-Null
$idle = New-PSSession server02 -Name gps-idle
Disconnect-PSSession $idle | Out-Null
New-PSSession server02 -Name gps-open | Out-Null
Get-PSSession -ComputerName server02 | Where-Object Name -like gps-*
"""))
    assert rows[0] == SESSION_COLUMNS
    shown = {r[1]: (r[5], r[7]) for r in rows[1:]}
    assert shown == {"gps-busy": ("Disconnected", "Busy"), "gps-idle": ("Disconnected", "None"),
                     "gps-open": ("Opened", "Available")}


def test_get_pssession_example_4_save_results(rs):
    out, errors = run(rs, "New-PSSession -ComputerName server01, server02, server03 | Out-Null; "
                          "$s1, $s2, $s3 = Get-PSSession; $s1.ComputerName, $s2.ComputerName, $s3.ComputerName")
    assert errors == [] and out == ["server01", "server02", "server03"]


def test_get_pssession_example_5_remove_by_instance_id(rs):
    shown = lines(rs, "New-PSSession server01, server02 | Out-Null; "
                      "Get-PSSession | Format-Table -Property ComputerName, InstanceId")
    assert shown[0].split() == ["ComputerName", "InstanceId"]
    guid = shown[2].split()[1]
    out, errors = run(rs, f"$s = Get-PSSession -InstanceId {guid}; Remove-PSSession -Session $s; "
                          "Get-PSSession | ForEach-Object ComputerName")
    assert errors == [] and out == ["server02"]


def test_get_pssession_example_6_by_name_and_connect(rs):
    # -ConfigurationName ITTasks and the WinRM -SessionOption set aside
    run(rs, "'04', '05' | ForEach-Object { New-PSSession server02 -Name \"BackupJob$_\" } | "
            "Disconnect-PSSession | Out-Null")
    # one computer: the loopback computers log in as one user and list the same sessions
    rows = table_rows(text(rs, "Get-PSSession -ComputerName server02 -Name BackupJob*"))
    assert [(r[1], r[5], r[7]) for r in rows[1:]] == [("BackupJob04", "Disconnected", "None"),
                                                      ("BackupJob05", "Disconnected", "None")]
    rows = table_rows(text(rs, "$s = Get-PSSession -ComputerName server02 -Name BackupJob04 | "
                               "Connect-PSSession; $s"))
    assert (rows[1][1], rows[1][5], rows[1][7]) == ("BackupJob04", "Opened", "Available")
    run(rs, "Get-PSSession -ComputerName server02 -Name BackupJob05 | Remove-PSSession")


def test_get_pssession_example_7_by_id(rs):
    out, errors = run(rs, "$a = New-PSSession server01; $b = New-PSSession server02; "
                          "(Get-PSSession -Id $b.Id).ComputerName")
    assert errors == [] and out == ["server02"]


# --------------------------------------------------------------------------- Remove-PSSession

def test_remove_pssession_example_1_by_ids(rs):
    out, errors = run(rs, "$s = New-PSSession server01, server02, server03; "
                          "Remove-PSSession -Id $s[0].Id, $s[1].Id; Get-PSSession | ForEach-Object ComputerName")
    assert errors == [] and out == ["server03"]


def test_remove_pssession_example_2_all_three_ways(rs):
    for remove in ("Get-PSSession | Remove-PSSession", "Remove-PSSession -Session (Get-PSSession)",
                   "$s = Get-PSSession; Remove-PSSession -Session $s"):
        out, errors = run(rs, f"New-PSSession server01, server02 | Out-Null; {remove}; @(Get-PSSession).Count")
        assert errors == [] and out == [0]


def test_remove_pssession_example_3_by_computer_name(rs):
    out, errors = run(rs, "New-PSSession server01, server02 -Name rps-a, rps-b | Out-Null; "
                          "$r = Get-PSSession -ComputerName serv* ; $r | Remove-PSSession; "
                          "@(Get-PSSession).Count")
    assert errors == [] and out == [0]


def test_remove_pssession_example_4_by_port(rs, sshd_hosts):
    out, errors = run(rs, f"New-PSSession server01 | Out-Null; "
                          f"Get-PSSession | where {{$_.Port -eq {sshd_hosts.port}}} | Remove-PSSession; "
                          f"@(Get-PSSession).Count")
    assert errors == [] and out == [0]


def test_remove_pssession_example_5_by_instance_id(rs):
    shown = lines(rs, "New-PSSession server01, localhost | Out-Null; "
                      "Get-PSSession | Format-Table ComputerName, InstanceId -AutoSize")
    assert shown[0].split() == ["ComputerName", "InstanceId"]
    guid = shown[3].split()[1]
    out, errors = run(rs, f"Remove-PSSession -InstanceId {guid}; Get-PSSession | ForEach-Object ComputerName")
    assert errors == [] and out == ["server01"]


def test_remove_pssession_example_6_function(rs):
    out, errors = run(rs, "function EndPSS { Get-PSSession | Remove-PSSession }; "
                          "New-PSSession server01 | Out-Null; EndPSS; @(Get-PSSession).Count")
    assert errors == [] and out == [0]
