"""Start-Job (Microsoft.PowerShell.Core): examples 1-11."""

from __future__ import annotations

import os

import pytest

from examples import lines, run, table_rows, text

JOB_COLUMNS = ["Id", "Name", "PSJobTypeName", "State", "HasMoreData", "Location", "Command"]


def test_start_job_example_1_start_a_background_job(rs):
    shown = text(rs, "Start-Job -ScriptBlock { Get-Process -Name sshd }")
    header, row = table_rows(shown)
    assert header == JOB_COLUMNS
    assert row[1:3] == [f"Job{row[0]}", "BackgroundJob"] and row[5:] == ["localhost", "Get-Process", "-Name",
                                                                    "sshd"]
    out, errors = run(rs, f"Receive-Job -Id {row[0]} -Wait | ForEach-Object ProcessName")
    assert errors == [] and out and set(out) == {"sshd"}


def test_start_job_example_2_background_operator(rs):
    out, errors = run(rs, "$j = Get-Process -Name sshd &; $j.PSJobTypeName; "
                          "Receive-Job -Id $j.Id -Wait | ForEach-Object ProcessName")
    assert errors == [] and out[0] == "BackgroundJob" and set(out[1:]) == {"sshd"}


def test_start_job_example_3_invoke_command_asjob_named_with_throttle(rs, tmp_path):
    (tmp_path / "Servers.txt").write_text("server01\nserver02\n")
    out, errors = run(rs, """
$jobWRM = Invoke-Command -ComputerName (Get-Content -Path ./Servers.txt) -ScriptBlock {
   Get-Process -Id $PID } -JobName WinRM -ThrottleLimit 16 -AsJob
$jobWRM.Name; $jobWRM.PSJobTypeName; $jobWRM.ChildJobs.Count
$jobWRM | Wait-Job | Receive-Job | ForEach-Object PSComputerName | Sort-Object
""")
    assert errors == []
    assert out == ["WinRM", "RemoteJob", 2, "server01", "server02"]


def test_start_job_example_4_get_job_information(rs):
    # -Credential set aside (a Windows account); the point is the list of every property
    shown = lines(rs, "$j = Start-Job -ScriptBlock { 'event' }; $j | Wait-Job | Out-Null; "
                      "$j | Select-Object -Property *")
    names = [line.split(":")[0].strip() for line in shown]
    assert names == ["State", "HasMoreData", "StatusMessage", "Location", "Command", "JobStateInfo",
                     "Finished", "InstanceId", "Id", "Name", "ChildJobs", "PSBeginTime",
                     "PSEndTime", "PSJobTypeName", "Output", "Error", "Progress", "Verbose",
                     "Debug", "Warning", "Information"]
    values = dict((line.split(":")[0].strip(), line.split(":", 1)[1].strip()) for line in shown)
    assert values["State"] == "Completed" and values["Command"] == "'event'"
    assert values["Finished"] == "System.Threading.ManualResetEvent"
    assert values["Name"] == f"Job{values['Id']}" and values["ChildJobs"] == f"{{Job{int(values['Id']) + 1}}}"


def test_start_job_example_5_run_a_script(rs, tmp_path):
    (tmp_path / "Sample.ps1").write_text("'from the script'\n")
    out, errors = run(rs, "Start-Job -FilePath ./Sample.ps1 | Receive-Job -Wait -AutoRemoveJob")
    assert errors == [] and out == ["from the script"]


def test_start_job_example_6_named_job(rs):
    out, errors = run(rs, "Start-Job -Name PShellJob -ScriptBlock { Get-Process -Name sshd } | "
                          "Out-Null; (Get-Job -Name PShellJob | Receive-Job -Wait)[0].ProcessName")
    assert errors == [] and out == ["sshd"]


def test_start_job_example_7_initialization_script(rs, tmp_path):
    # the initialization script imports a module whose function the job then calls
    (tmp_path / "MapFunctions.psm1").write_text("function Get-Map { 'map data' }\n")
    out, errors = run(rs, f"""
Start-Job -Name GetMappingFiles -InitializationScript {{ Import-Module {tmp_path}/MapFunctions.psm1 }} -ScriptBlock {{
   Get-Map -Name * | Set-Content -Path ./Maps.txt }} | Wait-Job | Out-Null
(Get-Job -Name GetMappingFiles).State
""")
    assert errors == [] and out == ["Completed"]
    assert (tmp_path / "Maps.txt").read_text() == "map data\n"


def test_start_job_example_8_input_to_a_job(rs, tmp_path):
    (tmp_path / "Servers.txt").write_text("Server01\nServer02\nServer03\nServer04\n")
    out, errors = run(rs, """
$j = Start-Job -ScriptBlock { Get-Content -Path $input } -InputObject "./Servers.txt"
$j | Wait-Job | Out-Null
Receive-Job -Name $j.Name -Keep
Receive-Job -Name $j.Name -Keep
""")
    assert errors == [] and out == ["Server01", "Server02", "Server03", "Server04"] * 2


def test_start_job_example_9_working_directory(rs, tmp_path):
    os.makedirs(tmp_path / "Scripts")
    shown = lines(rs, "Start-Job -WorkingDirectory ./Scripts { $PWD } | Receive-Job -AutoRemoveJob -Wait")
    assert shown == ["Path", "----", str(tmp_path / "Scripts")]
    assert run(rs, "Get-Job") == ([], [])


def test_start_job_example_10_argument_list_array(rs):
    shown = text(rs, "Start-Job -ScriptBlock { Get-Process -Name $args } -ArgumentList sshd, notepad")
    assert table_rows(shown)[1][-3:] == ["Get-Process", "-Name", "$args"]
    out, errors = run(rs, "Receive-Job -Id (Get-Job)[0].Id -Wait | ForEach-Object ProcessName | Sort-Object -Unique")
    assert out == ["sshd"]
    assert len(errors) == 1 and "notepad" in errors[0]


@pytest.mark.skip(reason="Windows-only: -PSVersion 5.1 runs Windows PowerShell")
def test_start_job_example_11_windows_powershell_version():
    pass
