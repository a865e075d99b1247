"""Enter-PSSession (1-8), Exit-PSSession (1-3), Disconnect-PSSession (1-4), Connect-PSSession
(1-3), Receive-PSSession (1-6).  Enter-PSSession runs in a pshell process (the session stack of
a script), the others in a runspace."""

from __future__ import annotations

import os


from examples import run, table_rows, text


def ok(proc):
    assert "Traceback" not in proc.stderr, proc.stderr
    return [line for line in proc.stdout.splitlines() if line.strip()]


# --------------------------------------------------------------------------- Enter-PSSession

def test_enter_pssession_example_1_interactive_session(pshell):
    lines = ok(pshell("-c", "Enter-PSSession server01\n(Get-Process -Id $PID).ProcessName -ne $null\n"
                            "$PSSenderInfo -ne $null\nExit-PSSession\n$PSSenderInfo -eq $null"))
    assert lines == ["True", "True", "True"]


def test_enter_pssession_example_2_output_stays_remote(pshell, sshd_hosts, tmp_path):
    remote_dir = os.path.join(sshd_hosts.remote_home, "ps-test")
    os.makedirs(remote_dir, exist_ok=True)
    proc = pshell("-c", "Enter-PSSession -ComputerName server01\n"
                        "Get-Process -Id $PID > ~/ps-test/Process.txt\nexit\n"
                        "dir ./ps-test/Process.txt")
    assert os.path.exists(os.path.join(remote_dir, "Process.txt"))
    assert "Cannot find path" in proc.stderr and "Process.txt" in proc.stderr


def test_enter_pssession_example_3_session_parameter(pshell):
    lines = ok(pshell("-c", "$s = New-PSSession -ComputerName server01\n$x = 1\n"
                            "Enter-PSSession -Session $s\n$y = 'kept'\nExit-PSSession\n"
                            "Invoke-Command $s { $y }"))
    assert lines == ["kept"]


def test_enter_pssession_example_4_port(pshell, sshd_hosts):
    # -Credential set aside
    lines = ok(pshell("-c", f"Enter-PSSession -ComputerName server01 -Port {sshd_hosts.port}\n"
                            "$PSSenderInfo -ne $null\nExit-PSSession"))
    assert lines == ["True"]


def test_enter_pssession_example_5_exit(pshell):
    lines = ok(pshell("-c", "Enter-PSSession -ComputerName server01\nExit-PSSession\n'local again'"))
    assert lines == ["local again"]


def test_enter_pssession_example_6_ssh_hostname(pshell):
    lines = ok(pshell("-c", "Enter-PSSession -HostName \"$(whoami)@server01\"\n$PSSenderInfo -ne $null\n"
                            "Exit-PSSession"))
    assert lines == ["True"]


def test_enter_pssession_example_7_ssh_port_and_key(pshell, sshd_hosts):
    key = os.path.join(sshd_hosts.home, ".ssh", "id_ed25519")
    lines = ok(pshell("-c", f"Enter-PSSession -HostName \"$(whoami)@server02:{sshd_hosts.port}\" "
                            f"-KeyFilePath {key}\n$PSSenderInfo -ne $null\nExit-PSSession"))
    assert lines == ["True"]


def test_enter_pssession_example_8_ssh_options(pshell, sshd_hosts):
    key = os.path.join(sshd_hosts.home, ".ssh", "id_ed25519")
    lines = ok(pshell("-c", f"$options = @{{ Port = {sshd_hosts.port}; User = (whoami); Host = 'server02' }}\n"
                            f"Enter-PSSession -KeyFilePath {key} -Options $options\n"
                            "$PSSenderInfo -ne $null\nExit-PSSession"))
    assert lines == ["True"]


# --------------------------------------------------------------------------- Exit-PSSession

def test_exit_pssession_example_1_start_and_stop(pshell):
    lines = ok(pshell("-c", "Enter-PSSession -ComputerName server01\n$PSSenderInfo -ne $null\n"
                            "Exit-PSSession\n$PSSenderInfo -eq $null"))
    assert lines == ["True", "True"]


def test_exit_pssession_example_2_session_stays_open(pshell):
    lines = ok(pshell("-c", "$s = New-PSSession -ComputerName server01\nEnter-PSSession -Session $s\n"
                            "Exit-PSSession\n$s.State"))
    assert lines == ["Opened"]


def test_exit_pssession_example_3_exit_keyword(pshell):
    lines = ok(pshell("-c", "Enter-PSSession -ComputerName server01\nexit\n$PSSenderInfo -eq $null"))
    assert lines == ["True"]


# --------------------------------------------------------------------------- Disconnect-PSSession

def test_disconnect_pssession_example_1_by_name(rs):
    rows = table_rows(text(rs, "New-PSSession server01 -Name UpdateSession | Out-Null; "
                               "Disconnect-PSSession -Name UpdateSession"))
    assert (rows[1][1], rows[1][5], rows[1][7]) == ("UpdateSession", "Disconnected", "None")
    run(rs, "Remove-PSSession -Name UpdateSession")


def test_disconnect_pssession_example_2_from_a_computer_with_options(rs):
    out, errors = run(rs, """
New-PSSession server02 -Name ITTask-d2 | Out-Null
Get-PSSession -ComputerName server02 -Name ITTask-d2 |
  Disconnect-PSSession -OutputBufferingMode Drop -IdleTimeoutSec 86400 | ForEach-Object { $_.State; $_.IdleTimeout }
Remove-PSSession -Name ITTask-d2
""")
    assert errors == [] and out == ["Disconnected", 86400.0]


def test_disconnect_pssession_example_3_sessions_on_several_computers(rs, tmp_path):
    (tmp_path / "Get-PatchStatus.ps1").write_text("'patched'\n")
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01, server02, server03 -Name ITTask-d3
Invoke-Command $s -FilePath ./Get-PatchStatus.ps1 | Out-Null
Get-PSSession -Name ITTask-d3 | Where-Object ComputerName -eq server01 | Disconnect-PSSession | Out-Null
$s | ForEach-Object { "$($_.ComputerName) $($_.State)" }
$s1 = Connect-PSSession -Session ($s | Where-Object ComputerName -eq server01)
Invoke-Command -Session $s1 -FilePath ./Get-PatchStatus.ps1
Disconnect-PSSession -Session $s1 | ForEach-Object State
$s | Remove-PSSession
""")
    assert errors == []
    assert out == ["server01 Disconnected", "server02 Opened", "server03 Opened", "patched",
                   "Disconnected"]


def test_disconnect_pssession_example_4_idle_timeout(rs):
    out, errors = run(rs, """
$Timeout = New-PSSessionOption -IdleTimeout 172800000
$s = New-PSSession -Computer server01 -Name ITTask-d4 -SessionOption $Timeout
$s.IdleTimeout
Disconnect-PSSession $s -IdleTimeoutSec 43200 | Out-Null
$s.IdleTimeout
Remove-PSSession $s
""")
    # over SSH the host keeps a session as long as asked: no server maximum refuses 48 hours
    assert errors == [] and out == [172800.0, 43200.0]


# --------------------------------------------------------------------------- Connect-PSSession

def test_connect_pssession_example_1_reconnect(rs, pshell):
    ok(pshell("-c", "New-PSSession server01 -Name ITTask-c1 | Disconnect-PSSession | Out-Null"))
    rows = table_rows(text(rs, "Connect-PSSession -ComputerName server01 -Name ITTask-c1"))
    assert (rows[1][1], rows[1][5], rows[1][7]) == ("ITTask-c1", "Opened", "Available")
    run(rs, "Remove-PSSession -Name ITTask-c1")


def test_connect_pssession_example_2_disconnect_and_reconnect(rs):
    run(rs, "New-PSSession localhost -Name Backups | Out-Null")
    rows = table_rows(text(rs, "Get-PSSession | Disconnect-PSSession"))
    assert (rows[1][1], rows[1][5], rows[1][7]) == ("Backups", "Disconnected", "None")
    rows = table_rows(text(rs, "Get-PSSession | Connect-PSSession"))
    assert (rows[1][1], rows[1][5], rows[1][7]) == ("Backups", "Opened", "Available")


def test_connect_pssession_example_3_enterprise_series(rs, pshell, tmp_path, sshd_hosts):
    with open(os.path.join(sshd_hosts.remote_home, "Backup-SQLDatabase.ps1"), "w") as fh:
        fh.write("[pscustomobject]@{ Initialization = 'init-data' }\n")
    with open(os.path.join(sshd_hosts.remote_home, "New-SQLDatabase.ps1"), "w") as fh:
        fh.write("param($InitData) \"created with $InitData\"\n")
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01 -Name ITTask-c3
Invoke-Command -Session $s -ScriptBlock { Start-Job -FilePath ~/Backup-SQLDatabase.ps1 } | Out-Null
(Disconnect-PSSession -Session $s -OutputBufferingMode Drop -IdleTimeoutSec (60*60*15)).State
""")
    assert errors == [] and out == ["Disconnected"]
    lines = ok(pshell("-c", """
(Get-PSSession -ComputerName server01 -Name ITTask-c3).State
$s = Connect-PSSession -ComputerName server01 -Name ITTask-c3
$s.State
Invoke-Command -Session $s -ScriptBlock { Wait-Job -Name Job1 | Out-Null; (Get-Job).State }
Invoke-Command -Session $s -ScriptBlock { $BackupSpecs = Receive-Job -Name Job1 }
Invoke-Command -Session $s -ScriptBlock { ~/New-SQLDatabase.ps1 -InitData $BackupSpecs.Initialization }
(Disconnect-PSSession -Session $s -OutputBufferingMode Drop -IdleTimeoutSec (60*60*15)).State
Get-PSSession -ComputerName server01 -Name ITTask-c3 | Remove-PSSession
"""))
    assert lines == ["Disconnected", "Opened", "Completed", "created with init-data", "Disconnected"]


# --------------------------------------------------------------------------- Receive-PSSession

def test_receive_pssession_example_1_connect_and_receive(pshell):
    ok(pshell("-c", "Invoke-Command -ComputerName server01 -InDisconnectedSession -SessionName ITTask-r1 "
                    "{ 'task output' } | Out-Null"))
    lines = ok(pshell("-c", "Receive-PSSession -ComputerName server01 -Name ITTask-r1\n"
                            "Remove-PSSession -Name ITTask-r1"))
    assert lines == ["task output"]


def test_receive_pssession_example_2_all_disconnected_sessions(pshell):
    ok(pshell("-c", "Invoke-Command -ComputerName server01, server02 -InDisconnectedSession "
                    "{ \"from $(hostname)\" } | Out-Null"))
    lines = ok(pshell("-c", "Get-PSSession -ComputerName server01 | Where-Object State -eq Disconnected | "
                            "Receive-PSSession | ForEach-Object PSComputerName"))
    assert sorted(lines) == ["server01", "server01"]


def test_receive_pssession_example_3_out_target_job(pshell):
    # -Credential set aside
    ok(pshell("-c", "Invoke-Command -ComputerName server01 -InDisconnectedSession -SessionName ITTask-r3 "
                    "{ Start-Sleep 1; 'script result' } | Out-Null"))
    lines = ok(pshell("-c", """
$parms = @{
  ComputerName = "server01"
  Name = "ITTask-r3"
  OutTarget = "Job"
  JobName = "ITTaskJob01"
}
$j = Receive-PSSession @parms
"$($j.Name) $($j.Location)"
$j | Receive-Job -Wait
Remove-PSSession -Name ITTask-r3
"""))
    assert lines == ["ITTaskJob01 server01", "script result"]


def test_receive_pssession_example_4_after_a_network_outage(rs, sshd_hosts):
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01 -Name Test-r4
$j = Invoke-Command -Session $s -ScriptBlock { 1..5 | ForEach-Object { $_; Start-Sleep -Milliseconds 300 } } -AsJob
Start-Sleep -Milliseconds 500
""")
    assert errors == []
    for pid in sshd_hosts.session_pids("server01"):        # the network goes down
        os.kill(pid, 9)
    # the job is Disconnected, then reconnects by itself (Wait-Job returns for Disconnected)
    out, errors = run(rs, "$n = 0; while ($j.State -ne 'Completed' -and $n++ -lt 300) { "
                          "Start-Sleep -Milliseconds 100 }; $j | Receive-Job; $s | Remove-PSSession")
    assert out == [1, 2, 3, 4, 5], (out, errors)


def test_receive_pssession_example_5_reconnect_disconnected_sessions(pshell):
    ok(pshell("-c", "Invoke-Command -ComputerName server02 -InDisconnectedSession -SessionName AD-r5 "
                    "{ 1..3 } | Out-Null"))
    lines = ok(pshell("-c", """
$s = Get-PSSession -ComputerName server02 -Name AD-r5
"$($s.State) $($s.Availability)"
$s | Receive-PSSession
"$($s.State) $($s.Availability)"
Remove-PSSession $s
"""))
    assert lines == ["Disconnected None", "1", "2", "3", "Opened Available"]


def test_receive_pssession_example_6_job_in_a_disconnected_session(rs):
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01 -Name Test-r6
$j = Invoke-Command -Session $s { 1..3 | ForEach-Object { "Return $_"; Start-Sleep -Milliseconds 300 } } -AsJob
Start-Sleep -Milliseconds 100
$s | Disconnect-PSSession | Out-Null
$j.State
$s2 = Connect-PSSession -ComputerName server01 -Name Test-r6
$s2.State
$j2 = Receive-PSSession -ComputerName server01 -Name Test-r6
$j | Wait-Job | Out-Null
Receive-Job $j
$s | Remove-PSSession
""")
    assert errors == [] and out[:2] == ["Disconnected", "Opened"]
    assert out[2:] == ["Return 1", "Return 2", "Return 3"]
