"""Receive-Job (Microsoft.PowerShell.Core): examples 1-5."""

from __future__ import annotations

from examples import run, table_rows, text


def test_receive_job_example_1_results_of_a_job(rs):
    out, errors = run(rs, "$job = Start-Job -ScriptBlock {Get-Process}; Start-Sleep -Seconds 1; "
                          "Receive-Job -Job $job | Where-Object Id -eq $PID | ForEach-Object Id")
    assert errors == [] and out and out[0] > 0


def test_receive_job_example_2_keep(rs):
    out, errors = run(rs, """
$job = Start-Job -ScriptBlock { Get-Item /etc/hostname, /no/fakeservice | ForEach-Object Name }
Start-Sleep -Seconds 1
$job | Receive-Job -Keep
$job | Receive-Job -Keep
""")
    assert out == ["hostname", "hostname"]
    assert len(errors) == 2 and all("fakeservice" in e for e in errors)


def test_receive_job_example_3_child_jobs_of_an_asjob_job(rs):
    shown = text(rs, "$global:j = Invoke-Command -ComputerName server01, server02, server03 "
                     "-ScriptBlock { Get-Process -Id $PID } -AsJob; $j | Wait-Job | Out-Null; $j.ChildJobs")
    rows = table_rows(shown)
    assert [next(x for x in r if x.startswith("server")) for r in rows[1:]] == ["server01", "server02", "server03"]
    child = rows[2][1]
    rows = table_rows(text(rs, f"Receive-Job -Name {child} -Keep"))
    assert rows[0][-1] == "PSComputerName" and rows[1][-1] == "server02"


def test_receive_job_example_4_jobs_in_remote_sessions(rs):
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01, server02, server03
$invokeCommandSplat = @{
    Session = $s
    ScriptBlock = {
        Start-Job -Name $('MyJob-' + (hostname)) -ScriptBlock { (Get-Date).ToString() }
    }
}
$j = Invoke-Command @invokeCommandSplat
@(Get-Job).Count
$j.Count
$results = Invoke-Command -Session $s -ScriptBlock {
    Wait-Job -Name $('MyJob-' + (hostname)) | Out-Null
    Receive-Job -Name $('MyJob-' + (hostname))
}
$results.Count
$results | ForEach-Object { $_.PSComputerName } | Sort-Object
""")
    assert errors == []
    assert out[:3] == [0, 3, 3] and out[3:] == ["server01", "server02", "server03"]


def test_receive_job_example_5_child_job_data(rs, tmp_path):
    out, errors = run(rs, """
Start-Job -Name TestJob -ScriptBlock { Get-ChildItem /, /no/such/dir } | Wait-Job | Out-Null
(Receive-Job -Name TestJob | Measure-Object).Count -gt 0
@(Receive-Job -Name TestJob).Count
$job = Get-Job -Name TestJob
$job.ChildJobs[0].Error | ForEach-Object { $_.ToString() }
""")
    assert out[0] is True and out[1] == 0
    assert len(errors) == 1 and "/no/such/dir" in errors[0]
    assert len(out) == 3 and "/no/such/dir" in out[2]
