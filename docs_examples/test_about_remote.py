"""about_Remote (1-8), about_PSSessions (1-7) and about_Remote_Jobs (1-4): one test per scenario
the page walks through.  Get-EventLog becomes a file read under /etc; the computers are the loopback
sshd hosts."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from examples import run, table_rows, text, wait_for


def ok(proc):
    assert "Traceback" not in proc.stderr, proc.stderr
    return [line for line in proc.stdout.splitlines() if line.strip()]


# --------------------------------------------------------------------------- about_Remote

def test_about_remote_example_1_interactive_session(pshell):
    lines = ok(pshell("-c", "Enter-PSSession server01\n$PSSenderInfo -ne $null\nExit-PSSession\n"
                            "$PSSenderInfo -eq $null"))
    assert lines == ["True", "True"]


def test_about_remote_example_2_invoke_command(rs):
    out, errors = run(rs, "Invoke-Command -ComputerName server01 -ScriptBlock {Get-Culture} | "
                          "ForEach-Object { $_.PSComputerName; $_.Name -ne $null }")
    assert errors == [] and out == ["server01", True]


def test_about_remote_example_3_persistent_connection(rs):
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01, server02
Invoke-Command -Session $s -ScriptBlock {$p = Get-Process}
Invoke-Command -Session $s -ScriptBlock {$p.Count} | ForEach-Object { $_ -gt 0; $_.PSComputerName }
Invoke-Command -ComputerName server01 -ScriptBlock {$p = Get-Process}
Invoke-Command -ComputerName server01 -ScriptBlock {$p -eq $null}
$s | Remove-PSSession
""")
    assert errors == [] and sorted(map(str, out)) == sorted(["True", "server01", "True", "server02", "True"])


def test_about_remote_example_4_several_computers(rs):
    out, errors = run(rs, "Invoke-Command -ComputerName server01, server02, server03 -ScriptBlock {Get-Culture} | "
                          "ForEach-Object PSComputerName")
    assert errors == [] and sorted(out) == ["server01", "server02", "server03"]


def test_about_remote_example_5_several_sessions(rs):
    out, errors = run(rs, "$s = New-PSSession -ComputerName server01, server02, server03\n"
                          "Invoke-Command -Session $s -ScriptBlock {Get-Culture} | ForEach-Object PSComputerName\n"
                          "$s | Remove-PSSession")
    assert errors == [] and sorted(out) == ["server01", "server02", "server03"]


def test_about_remote_example_6_local_computer_in_the_list(rs):
    # `localhost` is one more name of server01 here (conftest); `.` is the local computer too
    out, errors = run(rs, "Invoke-Command -ComputerName server02, server03, localhost -ScriptBlock {Get-Culture} | "
                          "ForEach-Object PSComputerName")
    assert errors == [] and sorted(out) == ["localhost", "server02", "server03"]


def test_about_remote_example_7_file_path(rs, tmp_path):
    (tmp_path / "Sample.ps1").write_text("\"sample ran on $(Split-Path -Leaf $HOME)\"\n")
    out, errors = run(rs, f"Invoke-Command -ComputerName server01, server02 -FilePath {tmp_path}/Sample.ps1 | "
                          "ForEach-Object { $_.PSComputerName }")
    assert errors == [] and sorted(out) == ["server01", "server02"]


def test_about_remote_example_8_ctrl_c_stops_the_remote_command(sshd_hosts, tmp_path):
    # Ctrl+C is SIGINT to the shell: the remote command ends too (its file stops growing)
    mark = os.path.join(sshd_hosts.remote_home, "ctrl-c-mark.txt")
    env = dict(os.environ, HOME=sshd_hosts.home)
    proc = subprocess.Popen(
        [os.environ.get("PSHELL_PYTHON", "/work/main/.venv/bin/python"), "-m", "pshell", "-c",
         "Invoke-Command -ComputerName server01 { while ($true) { Add-Content ~/ctrl-c-mark.txt x; "
         "Start-Sleep -Milliseconds 100 } }"],
        env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        wait_for(lambda: os.path.exists(mark) and os.path.getsize(mark) > 4)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        time.sleep(0.5)
        size = os.path.getsize(mark)
        time.sleep(1.0)
        assert os.path.getsize(mark) == size
    finally:
        if proc.poll() is None:
            proc.kill()
        os.unlink(mark)


# --------------------------------------------------------------------------- about_PSSessions

def test_about_pssessions_example_1_new_pssession(rs):
    rows = table_rows(text(rs, "New-PSSession -ComputerName server01"))
    assert rows[1][2:4] == ["server01", "SSH"] or "server01" in rows[1]
    out, errors = run(rs, "$ps = New-PSSession -ComputerName server01\n$ps.State; $ps.ComputerName\n"
                          "Get-PSSession | Remove-PSSession")
    assert errors == [] and out == ["Opened", "server01"]


def test_about_pssessions_example_2_several_computers(rs):
    out, errors = run(rs, "New-PSSession -ComputerName server01, server02, server03 | ForEach-Object ComputerName\n"
                          "Get-PSSession | Remove-PSSession")
    assert errors == [] and sorted(out) == ["server01", "server02", "server03"]


def test_about_pssessions_example_3_get_pssession(rs):
    run(rs, "New-PSSession -ComputerName server01, server02, server03 | Out-Null")
    rows = table_rows(text(rs, "Get-PSSession"))
    assert rows[0][:4] == ["Id", "Name", "Transport", "ComputerName"]
    assert sorted(r[3] for r in rows[1:]) == ["server01", "server02", "server03"]
    out, errors = run(rs, "$ps123 = Get-PSSession\n$ps123.Count\n"
                          "$ps01 = Get-PSSession -Id $ps123[0].Id\n$ps01.Name -eq $ps123[0].Name\n"
                          "Get-PSSession | Remove-PSSession")
    assert errors == [] and out == [3, True]


def test_about_pssessions_example_4_sessions_on_a_computer(rs, pshell):
    # a session another shell made on server01 is listed too
    ok(pshell("-c", "New-PSSession server01 -Name FromElsewhere | Disconnect-PSSession | Out-Null"))
    out, errors = run(rs, "New-PSSession server01 -Name FromHere | Out-Null\n"
                          "Get-PSSession -ComputerName server01 | ForEach-Object Name | Sort-Object\n"
                          "Get-PSSession -ComputerName server01 | Remove-PSSession")
    assert errors == [] and out == ["FromElsewhere", "FromHere"]


def test_about_pssessions_example_5_invoke_in_sessions(rs, sshd_hosts):
    open(os.path.join(sshd_hosts.remote_home, "in-home.txt"), "w").close()
    out, errors = run(rs, "$ps123 = New-PSSession -ComputerName server01, server02, server03\n"
                          "Invoke-Command -Session $ps123 -ScriptBlock { Get-ChildItem } | "
                          "Where-Object Name -eq in-home.txt | ForEach-Object PSComputerName\n"
                          "$ps123 | Remove-PSSession")
    assert errors == [] and sorted(out) == ["server01", "server02", "server03"]


def test_about_pssessions_example_6_remove_pssession(rs):
    out, errors = run(rs, """
$ps = New-PSSession -ComputerName server01
$other = New-PSSession -ComputerName server02
Remove-PSSession -Session $ps
$ps.State
Remove-PSSession -Id $other.Id
$other.State; @(Get-PSSession).Count
""")
    assert errors == [] and out == ["Closed", "Closed", 0]


def test_about_pssessions_example_7_remove_on_a_computer(rs):
    # the page joins -ComputerName and -Id: they are in different parameter sets of
    # Remove-PSSession (RemovePSSessionCommand.cs), so PowerShell refuses the pair; -ComputerName
    # alone removes the sessions to that computer
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01, server02
Remove-PSSession -ComputerName server01 -Id $s[0].Id
Remove-PSSession -ComputerName server01
$s | ForEach-Object { "$($_.ComputerName) $($_.State)" }
Remove-PSSession $s
""")
    assert len(errors) == 1 and "Parameter set cannot be resolved" in errors[0]
    assert out == ["server01 Closed", "server02 Opened"]


# --------------------------------------------------------------------------- about_Remote_Jobs

def test_about_remote_jobs_example_1_job_in_an_interactive_session(pshell, sshd_hosts):
    os.makedirs(os.path.join(sshd_hosts.remote_home, "logs"), exist_ok=True)
    lines = ok(pshell("-c", """
Enter-PSSession -ComputerName server01
$job = Start-Job -ScriptBlock { Get-Content /etc/passwd }
$job | Wait-Job | Out-Null
Get-Job $job | ForEach-Object { "$($_.State) $($_.Location)" }
Receive-Job $job > ~/logs/PsLog.txt
Exit-PSSession
$s = New-PSSession -ComputerName server01
Invoke-Command -Session $s -ScriptBlock { (Get-Content ~/logs/PsLog.txt)[0] }
"""))
    with open("/etc/passwd") as fh:
        first = fh.readline().rstrip("\n")
    assert lines == ["Completed localhost", first]


def test_about_remote_jobs_example_2_as_job(rs):
    rows = table_rows(text(rs, "Invoke-Command -ComputerName server01 -ScriptBlock { Get-Content /etc/passwd } -AsJob"))
    assert rows[1][2] == "RemoteJob" and rows[1][-4] == "server01" or "server01" in rows[1]
    out, errors = run(rs, """
$job = Get-Job | Select-Object -Last 1
$job | Wait-Job | Out-Null
Get-Job -Id $job.Id | ForEach-Object { "$($_.State) $($_.Location)" }
$results = Receive-Job -Id $job.Id
$results.Count -gt 0; $results[0].PSComputerName
""")
    assert errors == [] and out == ["Completed server01", True, "server01"]


def test_about_remote_jobs_example_3_job_kept_on_the_remote_computer(rs, sshd_hosts):
    os.makedirs(os.path.join(sshd_hosts.remote_home, "logs"), exist_ok=True)
    # the page's Receive-Job -SessionId: PowerShell's Receive-Job has no such parameter (its -Id is
    # in the parameter set named SessionId, JobCmdletBase in RemoveJob.cs, with no alias); pshell
    # keeps -SessionId as an alias of -Id, since the project's seed runs this page's commands as written
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01
$started = Invoke-Command -Session $s -ScriptBlock { Start-Job -ScriptBlock { Get-Content /etc/passwd } }
"$($started.Location) $($started.PSJobTypeName)"
Invoke-Command -Session $s -ScriptBlock { Get-Job | Wait-Job | ForEach-Object { "$($_.State) $($_.Location)" } }
$id = $started.Id
$results = Invoke-Command -Session $s -ScriptBlock { Receive-Job -SessionId $Using:id -Keep }
$results.Count -gt 0
Invoke-Command -Session $s -Command { Receive-Job -SessionId $Using:id > ~/logs/pslog.txt }
Invoke-Command -Session $s -Command { (Get-Content ~/logs/pslog.txt).Count -eq $Using:results.Count }
$s | Remove-PSSession
""")
    assert errors == []
    assert out == ["localhost BackgroundJob", "Completed localhost", True, True]


def test_about_remote_jobs_example_4_detached(rs):
    out, errors = run(rs, """
$session = New-PSSession -Cn localhost
$job = Invoke-Command -Session $session -ScriptBlock { 1..8 | % { Start-Sleep -Milliseconds 250; "Output $_" } } -AsJob
"$($job.PSJobTypeName) $($job.State)"
Start-Sleep -Milliseconds 600
(Disconnect-PSSession $session).State
$job.State
$jobNew = Receive-PSSession -Session $session -OutTarget Job
$job | Wait-Job | Receive-Job
$session | Remove-PSSession
""")
    assert errors == [] and out[:3] == ["RemoteJob Running", "Disconnected", "Disconnected"]
    # what came before the disconnect was in this shell already: Receive-Job gives the lot
    assert out[3:] == [f"Output {i}" for i in range(1, 9)]
