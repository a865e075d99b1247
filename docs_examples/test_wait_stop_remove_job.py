"""Wait-Job (examples 1-10), Stop-Job (1-7), Remove-Job (1-7)."""

from __future__ import annotations

import re

from examples import lines, run, table_rows, text


# --------------------------------------------------------------------------- Wait-Job

def test_wait_job_example_1_all_jobs(rs):
    out, errors = run(rs, "Start-Job { 1 } | Out-Null; Start-Job { 2 } | Out-Null; "
                          "Get-Job | Wait-Job | ForEach-Object State")
    assert errors == [] and out == ["Completed", "Completed"]


def test_wait_job_example_2_jobs_started_in_sessions(rs):
    out, errors = run(rs, """
$s = New-PSSession server01, server02, server03
Invoke-Command -Session $s -ScriptBlock {Start-Job -Name Date1 -ScriptBlock {Get-Date}} | Out-Null
$done = Invoke-Command -Session $s -Command {Wait-Job -Name Date1}
$done.Count
""")
    assert errors == [] and out == [3]


def test_wait_job_example_3_first_job_to_finish(rs, tmp_path):
    (tmp_path / "Machines.txt").write_text("server01\nserver02\n")
    out, errors = run(rs, """
$s = New-PSSession -ComputerName (Get-Content -Path ./Machines.txt)
$c = 'Get-ChildItem /etc -Filter *.conf | Where-Object { $PSItem.Length -gt 0 } | Out-File -FilePath /tmp/pshell-docs-conf.txt'
Invoke-Command -Session $s -ScriptBlock { Start-Job -ScriptBlock { $Using:c } } | Out-Null
# the page names no job (PowerShell requires one): the session's jobs are piped
$first = Invoke-Command -Session $s -ScriptBlock { Get-Job | Wait-Job -Any }
@($first).Count
""")
    assert errors == [] and out == [2]


def test_wait_job_example_4_timeout_in_sessions(rs):
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01, server02, server03
$jobs = Invoke-Command -Session $s -ScriptBlock {Start-Job -ScriptBlock {Get-Date}}
# the page's Wait-Job names no job: PowerShell's Wait-Job requires one (-Id is mandatory)
$done = Invoke-Command -Session $s -ScriptBlock {Get-Job | Wait-Job -Timeout 30}
@($done).Count
""")
    assert errors == [] and out == [3]


def test_wait_job_example_5_any_of_ids(rs):
    out, errors = run(rs, """
$a = Start-Job { Start-Sleep 20 }; $b = Start-Job { 'quick' }; $c = Start-Job { Start-Sleep 20 }
$first = Wait-Job -Id $a.Id, $b.Id, $c.Id -Any
$first.Id -eq $b.Id
Stop-Job $a, $c
""")
    assert errors == [] and out == [True]


def test_wait_job_example_6_timeout_then_background(rs):
    out, errors = run(rs, """
Start-Job -Name DailyLog { Start-Sleep 20 } | Out-Null
$r = Wait-Job -Name "DailyLog" -Timeout 1
$null -eq $r
(Get-Job -Name DailyLog).State
Stop-Job -Name DailyLog
""")
    assert errors == [] and out == [True, "Running"]


def test_wait_job_example_7_by_name(rs):
    out, errors = run(rs, "$j = Start-Job { 3 }; (Wait-Job -Name $j.Name).State")
    assert errors == [] and out == ["Completed"]


def test_wait_job_example_8_local_job_object(rs, tmp_path):
    (tmp_path / "new.ps1").write_text("'x'\n")
    out, errors = run(rs, """
$j = Start-Job -ScriptBlock {Get-ChildItem -Filter *.ps1| Where-Object {$PSItem.LastWriteTime -gt ((Get-Date) - (New-TimeSpan -Days 7))}}
$j | Wait-Job | ForEach-Object State
($j | Receive-Job).Name
""")
    assert errors == [] and out == ["Completed", "new.ps1"]


def test_wait_job_example_9_asjob_in_sessions(rs):
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01, server02, server03
$j = Invoke-Command -Session $s -ScriptBlock { Get-Process -Id $PID } -AsJob
$j | Wait-Job | ForEach-Object { $_.State; $_.ChildJobs.Count }
""")
    assert errors == [] and out == ["Completed", 3]


def test_wait_job_example_10_by_id(rs):
    out, errors = run(rs, "$j = Invoke-Command -ComputerName server01 { 'x' } -AsJob; "
                          "Start-Job { dir | where { $_ } } | Out-Null; (Wait-Job -Id $j.Id).State")
    assert errors == [] and out == ["Completed"]


# --------------------------------------------------------------------------- Stop-Job

def test_stop_job_example_1_in_a_session_with_using(rs):
    # -Credential set aside (a Windows account)
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01
$j = Invoke-Command -Session $s -ScriptBlock {Start-Job -ScriptBlock { Start-Sleep 60 }}
Invoke-Command -Session $s -ScriptBlock { Stop-Job -Job $Using:j }
Invoke-Command -Session $s -ScriptBlock { (Get-Job).State }
""")
    assert errors == [] and out == ["Stopped"]


def test_stop_job_example_2_by_name(rs):
    out, errors = run(rs, "Start-Job -Name Job1 { Start-Sleep 60 } | Out-Null; Stop-Job -Name Job1; "
                          "(Get-Job -Name Job1).State")
    assert errors == [] and out == ["Stopped"]


def test_stop_job_example_3_several_ids(rs):
    out, errors = run(rs, """
$ids = 1..3 | ForEach-Object { (Start-Job { Start-Sleep 60 }).Id }
Stop-Job -Id $ids[0], $ids[1], $ids[2]
Get-Job | ForEach-Object State
""")
    assert errors == [] and out == ["Stopped"] * 3


def test_stop_job_example_4_all(rs):
    out, errors = run(rs, "1..2 | % { Start-Job { Start-Sleep 60 } } | Out-Null; Get-Job | Stop-Job; "
                          "Get-Job | ForEach-Object State")
    assert errors == [] and out == ["Stopped"] * 2


def test_stop_job_example_5_blocked(rs):
    out, errors = run(rs, "Start-Job { Start-Sleep 60 } | Out-Null; Stop-Job -State Blocked; "
                          "Get-Job | ForEach-Object State")
    assert errors == [] and out == ["Running"]
    run(rs, "Get-Job | Stop-Job")


def test_stop_job_example_6_by_instance_id(rs):
    run(rs, "Start-Job { Start-Sleep 60 } | Out-Null; Start-Job { Start-Sleep 60 } | Out-Null")
    shown = lines(rs, 'Get-Job | Format-Table ID, Name, Command, @{Label="State";'
                      'Expression={$_.JobStateInfo.State}}, InstanceId -Auto')
    assert shown[0].split() == ["Id", "Name", "Command", "State", "InstanceId"]
    guid = shown[-1].split()[-1]
    assert re.fullmatch(r"[0-9a-f-]{36}", guid)
    out, errors = run(rs, f"Stop-Job -InstanceId {guid}; Get-Job | ForEach-Object State")
    assert errors == [] and out == ["Running", "Stopped"]
    run(rs, "Get-Job | Stop-Job")


def test_stop_job_example_7_asjob_passthru(rs):
    rows = table_rows(text(rs, "$j = Invoke-Command -ComputerName server01 -ScriptBlock "
                               "{ Start-Sleep 60 } -AsJob; $j | Stop-Job -PassThru"))
    assert rows[1][2:4] == ["RemoteJob", "Stopped"] and rows[1][5] == "server01"


# --------------------------------------------------------------------------- Remove-Job

def test_remove_job_example_1_by_name(rs):
    out, errors = run(rs, "Start-Job -Name BatchJob { 1 } | Wait-Job | Out-Null; "
                          "$batch = Get-Job -Name BatchJob; $batch | Remove-Job; @(Get-Job).Count")
    assert errors == [] and out == [0]


def test_remove_job_example_2_all(rs):
    out, errors = run(rs, "1..3 | % { Start-Job { 1 } } | Wait-Job | Out-Null; Get-Job | Remove-Job; "
                          "@(Get-Job).Count")
    assert errors == [] and out == [0]


def test_remove_job_example_3_not_started(rs):
    out, errors = run(rs, "Start-Job { 1 } | Wait-Job | Out-Null; Remove-Job -State NotStarted; "
                          "@(Get-Job).Count")
    assert errors == [] and out == [1]


def test_remove_job_example_4_friendly_name_force(rs):
    out, errors = run(rs, "Start-Job -Name Nightlybatch { Start-Sleep 60 } | Out-Null; "
                          "Start-Job -Name Other { 1 } | Out-Null; Remove-Job -Name *batch -Force; "
                          "Get-Job | ForEach-Object Name")
    assert errors == [] and out == ["Other"]


def test_remove_job_example_5_asjob(rs):
    out, errors = run(rs, "$job = Invoke-Command -ComputerName server01 -ScriptBlock { Get-Process } "
                          "-AsJob; $job | Wait-Job | Out-Null; $job | Remove-Job; @(Get-Job).Count")
    assert errors == [] and out == [0]


def test_remove_job_example_6_in_a_session(rs):
    out, errors = run(rs, """
$S = New-PSSession -ComputerName server01
Invoke-Command -Session $S -ScriptBlock {Start-Job -ScriptBlock {Get-Process} -Name MyJob} | Out-Null
Invoke-Command -Session $S -ScriptBlock {Wait-Job -Name MyJob | Out-Null; Remove-Job -Name MyJob}
Invoke-Command -Session $S -ScriptBlock { @(Get-Job).Count }
""")
    assert errors == [] and out == [0]


def test_remove_job_example_7_by_instance_id(rs):
    shown = lines(rs, "$global:job = Start-Job -ScriptBlock {Get-Process sshd}; $job | Wait-Job | Out-Null; "
                      "$job | Format-List -Property *")
    assert shown[0].split() == ["State", ":", "Completed"]
    guid = [line for line in shown if line.startswith("InstanceId")][0].split(":")[1].strip()
    out, errors = run(rs, f"Remove-Job -InstanceId {guid}; @(Get-Job).Count")
    assert errors == [] and out == [0]
