"""about_Thread_Jobs (1-9): one test per scenario the page walks through.  Get-WinEvent becomes
a read of files under a directory, with a wait standing for the slow log service."""

from __future__ import annotations

from examples import run, table_rows, text


def test_about_thread_jobs_example_1_start_threadjob(rs):
    rows = table_rows(text(rs, "Start-ThreadJob -ScriptBlock { Get-Process }"))
    assert rows[1][2] == "ThreadJob" and rows[1][-1] == "Get-Process"
    out, errors = run(rs, "$j = Start-ThreadJob -ScriptBlock { Get-Process }\n$j.GetType().Name\n"
                          "@($j | Receive-Job -Wait).Count -gt 0")
    assert errors == [] and out == ["ThreadJob", True]


def test_about_thread_jobs_example_2_foreach_parallel_as_job(rs):
    out, errors = run(rs, "$j = 1..5 | ForEach-Object -Parallel { Write-Output $_ } -AsJob\n"
                          "$j.PSJobTypeName; $j.ChildJobs.Count; $j.ChildJobs[0].PSJobTypeName\n"
                          "$j | Wait-Job | Out-Null; $j.ChildJobs | ForEach-Object { $_.Output[0] }")
    assert errors == [] and out[:3] == ["PSTaskJob", 5, "PSTaskChildJob"] and out[3:] == [1, 2, 3, 4, 5]


def test_about_thread_jobs_example_3_wait_and_receive(rs):
    out, errors = run(rs, "Start-ThreadJob -ScriptBlock { Get-Process -Id $PID } | Wait-Job | Receive-Job | "
                          "ForEach-Object Id; $PID")
    assert errors == [] and out[0] == out[1]


def test_about_thread_jobs_example_4_parallel_wait_and_receive(rs):
    out, errors = run(rs, "1..5 | ForEach-Object -Parallel { Write-Output $_ } -AsJob | Wait-Job | Receive-Job")
    assert errors == [] and sorted(out) == [1, 2, 3, 4, 5]


def test_about_thread_jobs_example_5_overhead_of_many_jobs(rs):
    out, errors = run(rs, """
$r = $null
$jobs = (Measure-Command {
    $r = 1..1000 | foreach { Start-ThreadJob { Write-Output "Hello $Using:_" } } | Receive-Job -Wait
}).TotalMilliseconds
$plain = (Measure-Command {
    $q = 1..1000 | ForEach-Object { "Hello: $_" }
}).TotalMilliseconds
$plain -lt $jobs
$r = 1..1000 | foreach { Start-ThreadJob { Write-Output "Hello $Using:_" } } | Receive-Job -Wait
$r.Count; $r[999]
""")
    assert errors == [] and out == [True, 1000, "Hello 1000"]


def test_about_thread_jobs_example_6_waiting_work_in_parallel(rs, tmp_path):
    for i in range(10):
        (tmp_path / f"log{i}.txt").write_text("".join(f"entry {i}.{k}\n" for k in range(50)))
    out, errors = run(rs, """
$logNames = 0..9 | ForEach-Object { "./log$_.txt" }
$logNames.Count
$seq = Measure-Command {
    $logs = $logNames | ForEach-Object { Start-Sleep -Milliseconds 300; Get-Content $_ -TotalCount 5000 2>$null }
}
$logs.Count
$par = Measure-Command {
    $logs = $logNames | foreach {
        Start-ThreadJob {
            Start-Sleep -Milliseconds 300; Get-Content $Using:_ -TotalCount 5000 2>$null
        } -ThrottleLimit 10
    } | Wait-Job | Receive-Job
}
$logs.Count
$par.TotalMilliseconds -lt $seq.TotalMilliseconds / 2
""")
    assert errors == [] and out == [10, 500, 500, True]


def test_about_thread_jobs_example_7_passing_values_to_start_threadjob(rs):
    out, errors = run(rs, """
$msg = "Hello"
$msg | Start-ThreadJob { $input | Write-Output } | Wait-Job | Receive-Job
Start-ThreadJob { Write-Output $Using:msg } | Wait-Job | Receive-Job
Start-ThreadJob { param ([string] $Message) Write-Output $Message } -ArgumentList @($msg) |
  Wait-Job | Receive-Job
""")
    assert errors == [] and out == ["Hello"] * 3


def test_about_thread_jobs_example_8_passing_values_to_foreach_parallel(rs):
    out, errors = run(rs, """
$msg = "Hello"
$msg | ForEach-Object -Parallel { Write-Output $_ } -AsJob | Wait-Job | Receive-Job
1..1 | ForEach-Object -Parallel { Write-Output $Using:msg } -AsJob | Wait-Job | Receive-Job
""")
    assert errors == [] and out == ["Hello"] * 2


def test_about_thread_jobs_example_9_thread_safe_dictionary(rs):
    out, errors = run(rs, """
$threadSafeDictionary = [System.Collections.Concurrent.ConcurrentDictionary[string,object]]::new()
$jobs = Get-Process | foreach {
    Start-ThreadJob {
        $proc = $Using:_
        $dict = $Using:threadSafeDictionary
        $dict.TryAdd($proc.ProcessName, $proc)
    }
}
$added = $jobs | Wait-Job | Receive-Job
$names = @(Get-Process | ForEach-Object ProcessName | Sort-Object -Unique)
$threadSafeDictionary.Count -eq $names.Count
@($added | Where-Object { $_ }).Count -eq $names.Count
$threadSafeDictionary["sshd"].ProcessName
""")
    assert errors == [] and out == [True, True, "sshd"]
