"""Start-ThreadJob (ThreadJob module): examples 1-5."""

from __future__ import annotations


from examples import run, table_rows, text


def test_start_threadjob_example_1_throttle_limit(rs):
    rows = table_rows(text(rs, """
Start-ThreadJob -ScriptBlock { 1..100 | % { sleep 1; "Output $_" } } -ThrottleLimit 2 | Out-Null
Start-ThreadJob -ScriptBlock { 1..100 | % { sleep 1; "Output $_" } } | Out-Null
Start-ThreadJob -ScriptBlock { 1..100 | % { sleep 1; "Output $_" } } | Out-Null
Start-Sleep -Milliseconds 300
Get-Job
"""))
    assert [r[2:4] for r in rows[1:]] == [["ThreadJob", "Running"], ["ThreadJob", "Running"],
                                           ["ThreadJob", "NotStarted"]]
    assert [r[5] for r in rows[1:]] == ["PowerShell"] * 3
    run(rs, "Get-Job | Stop-Job")


def test_start_threadjob_example_2_faster_than_start_job(rs):
    out, errors = run(rs, """
$a = (Measure-Command {1..5 | % {Start-Job {Start-Sleep 1}} | Wait-Job}).TotalSeconds
$b = (Measure-Command {1..5 | % {Start-ThreadJob {Start-Sleep 1}} | Wait-Job}).TotalSeconds
$b -lt 3
""")
    assert errors == [] and out == [True]


def test_start_threadjob_example_3_input_object(rs):
    out, errors = run(rs, """
$j = Start-ThreadJob -InputObject (Get-Process sshd) -ScriptBlock { $input | Out-String }
$a = $j | Wait-Job | Receive-Job
$j = Get-Process sshd | Start-ThreadJob -ScriptBlock { $input | Out-String }
$b = $j | Wait-Job | Receive-Job
$a -match 'ProcessName'; $a -match 'sshd'; $b -match 'sshd'
""")
    assert errors == [] and out == [True, True, True]


def test_start_threadjob_example_4_streaming_host(pshell):
    proc = pshell("-c", "$j = Start-ThreadJob -ScriptBlock { Read-Host 'Say hello'; "
                        "Write-Warning 'Warning output' } -StreamingHost $Host\n"
                        "$j | Wait-Job | Out-Null\n'received:'\nReceive-Job -Id $j.Id 3>&1",
                  input="Hello\n")
    assert "Traceback" not in proc.stderr
    assert "Warning output" in proc.stderr            # streamed to the host as it happened
    assert proc.stdout.startswith("Say hello: ")     # the prompt, from the job, on this host
    received = proc.stdout.split("received:", 1)[1].split()
    assert received == ["Hello", "Warning", "output"]


def test_start_threadjob_example_5_downloads_in_parallel(rs, tmp_path):
    # no network in the tests: the "downloads" copy local files, the point is $Using:file
    for i in range(4):
        (tmp_path / f"src{i}.txt").write_text(f"file {i}\n")
    out, errors = run(rs, """
$files = @(0..3 | ForEach-Object { @{ Path = "./src$_.txt"; Destination = "./copy$_.txt" } })
$jobs = @()
foreach ($file in $files) {
    $jobs += Start-ThreadJob -Name $file.Destination -ScriptBlock {
        $params = $Using:file
        Copy-Item @params
        'copied ' + $params.Destination
    }
}
Write-Host "Downloads started..."
Wait-Job -Job $jobs | Out-Null
foreach ($job in $jobs) { Receive-Job -Job $job }
""")
    assert errors == [] and out == [f"copied ./copy{i}.txt" for i in range(4)]
    assert (tmp_path / "copy3.txt").read_text() == "file 3\n"
