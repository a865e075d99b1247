"""about_Remote_Disconnected_Sessions (1-11): one test per scenario the page walks through.
Get-WinEvent becomes a file read under /etc; "the local computer" of the page's Get-PSSession
-ComputerName localhost is another computer here (`localhost` is server01's second name)."""

from __future__ import annotations

import os
import subprocess

import pytest

from examples import run, table_rows, text


def ok(proc):
    assert "Traceback" not in proc.stderr, proc.stderr
    return [line for line in proc.stdout.splitlines() if line.strip()]


def row(rendered: str, name: str):
    found = [r for r in table_rows(rendered) if name in r]
    assert found, rendered
    return found[0]


def test_about_remote_disconnected_sessions_example_1_get_pssession(rs):
    r = row(text(rs, "New-PSSession -ComputerName server01 -Name Session-g1"), "Session-g1")
    assert r[-2:] == ["Opened", "Available"] or r[-3:-1] == ["Opened", "Available"] or "Available" in r
    out, errors = run(rs, """
Get-PSSession -ComputerName server01 | Where-Object Name -eq Session-g1 | ForEach-Object { "$($_.State) $($_.Availability)" }
Get-PSSession | ForEach-Object Name
Get-PSSession | Remove-PSSession
""")
    # (the page's "not on another computer" is not tried: the loopback hosts share one user's home,
    # so they are one computer to the sessions kept there)
    assert errors == [] and out == ["Opened Available", "Session-g1"]


def test_about_remote_disconnected_sessions_example_2_disconnect(rs):
    run(rs, "New-PSSession -ComputerName server01 -Name Session-d2 | Out-Null")
    r = row(text(rs, "Get-PSSession -ComputerName server01 -Name Session-d2 | Disconnect-PSSession"), "Session-d2")
    assert "Disconnected" in r and r[-1] == "None"
    run(rs, "Get-PSSession | Remove-PSSession")


def test_about_remote_disconnected_sessions_example_3_in_disconnected_session(rs):
    out, errors = run(rs, "$s = Invoke-Command -ComputerName server02 -InDisconnectedSession -ScriptBlock {\n"
                          "   Get-ChildItem /etc -Filter '*release*' }\n"
                          "\"$($s.ComputerName) $($s.State) $($s.Availability)\"")
    assert errors == [] and out == ["server02 Disconnected None"]
    run(rs, "Remove-PSSession $s")


def test_about_remote_disconnected_sessions_example_4_connect(rs, pshell):
    ok(pshell("-c", "New-PSSession server02 -Name Session2-c4 | Disconnect-PSSession | Out-Null\n"
                    "Invoke-Command -ComputerName server02 -InDisconnectedSession -SessionName Session3-c4 { 1 } "
                    "| Out-Null"))
    out, errors = run(rs, "Get-PSSession -ComputerName server02 | Where-Object Name -like '*-c4' | "
                          "ForEach-Object { \"$($_.Name) $($_.State) $($_.Availability)\" } | Sort-Object")
    assert errors == [] and out == ["Session2-c4 Disconnected None", "Session3-c4 Disconnected None"]
    r = row(text(rs, "Connect-PSSession -ComputerName server02 -Name Session2-c4"), "Session2-c4")
    assert "Opened" in r and r[-1] == "Available"
    run(rs, "Get-PSSession -ComputerName server02 | Where-Object Name -like '*-c4' | Remove-PSSession")


def test_about_remote_disconnected_sessions_example_5_receive_as_job(rs, pshell):
    ok(pshell("-c", "Invoke-Command -ComputerName server02 -InDisconnectedSession -SessionName Session3-r5 "
                    "{ Get-Content /etc/passwd | Select-Object -First 3 } | Out-Null"))
    rows = table_rows(text(rs, "Receive-PSSession -ComputerName server02 -Name Session3-r5 -OutTarget Job"))
    assert rows[1][2] == "RemoteJob" and "server02" in rows[1]
    out, errors = run(rs, "Get-Job | Wait-Job | Out-Null\n"
                          "Get-Job | Receive-Job -Keep | ForEach-Object { $_.PSComputerName }\n"
                          "Get-PSSession -ComputerName server02 -Name Session3-r5 | Remove-PSSession")
    assert errors == [] and out == ["server02"] * 3


def test_about_remote_disconnected_sessions_example_6_state_and_availability(rs, pshell, sshd_hosts):
    # two shells on one computer: session 1 is this runspace, session 2 pshell processes
    def shows(where, script):
        if where == 1:
            out, errors = run(rs, script)
            assert errors == []
            return out
        return ok(pshell("-c", script))
    status = "Get-PSSession -ComputerName server03 -Name Test | ForEach-Object { \"$($_.State) $($_.Availability)\" }"
    assert shows(1, "New-PSSession -ComputerName server03 -Name Test | ForEach-Object "
                    "{ \"$($_.State) $($_.Availability)\" }") == ["Opened Available"]
    assert shows(2, status) == ["Disconnected Busy"]
    assert shows(1, "Get-PSSession -ComputerName server03 -Name Test | Disconnect-PSSession | "
                    "ForEach-Object { \"$($_.State) $($_.Availability)\" }") == ["Disconnected None"]
    assert shows(2, status) == ["Disconnected None"]
    # session 2 connects and stays (a shell that ended would leave the session idle again)
    env = dict(os.environ, HOME=sshd_hosts.home)
    proc = subprocess.Popen([os.environ.get("PSHELL_PYTHON", "/work/main/.venv/bin/python"), "-m", "pshell",
                             "-c", "$s = Connect-PSSession -ComputerName server03 -Name Test\n"
                                   "\"$($s.State) $($s.Availability)\"\n$null = Read-Host"],
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "Opened Available"
        assert shows(1, status) == ["Disconnected Busy"]
    finally:
        proc.communicate("\n", timeout=30)
    # session 2 ended with nothing running there: the session is not kept (the page's last section)
    assert shows(1, "@(Get-PSSession -ComputerName server03 -Name Test -ErrorAction Ignore).Count") == [0]


@pytest.mark.skip(reason="session configurations (Get-/Register-/Set-PSSessionConfiguration, "
                         "New-PSTransportOption) are WinRM endpoints; over SSH the sshd subsystem is the endpoint")
def test_about_remote_disconnected_sessions_example_7_session_configuration_values():
    pass


def test_about_remote_disconnected_sessions_example_8_idle_timeout(rs):
    out, errors = run(rs, """
$PSSessionOption = New-PSSessionOption -IdleTimeoutMSec 172800000
$a = New-PSSession -ComputerName server01
$a.IdleTimeout
Remove-Variable PSSessionOption
$o = New-PSSessionOption -IdleTimeoutMSec 3600000
$b = New-PSSession -ComputerName server01 -SessionOption $o
$b.IdleTimeout
($b | Disconnect-PSSession -IdleTimeoutSec 172800).IdleTimeout
Get-PSSession | Remove-PSSession
""")
    # IdleTimeout of a PSSession is in seconds (the option's is in milliseconds, as the page says)
    assert errors == [] and out == [172800.0, 3600.0, 172800.0]


def test_about_remote_disconnected_sessions_example_9_output_buffering_mode(rs):
    # the mode is taken at every step the page shows; what it changes is not tried: pshell keeps
    # every record whichever mode (a full buffer pauses the command: nothing is lost silently), and
    # PowerShell shows the mode on no property of the PSSession itself
    out, errors = run(rs, """
$PSSessionOption = New-PSSessionOption -OutputBufferingMode Drop
$PSSessionOption.OutputBufferingMode
Remove-Variable PSSessionOption
$o = New-PSSessionOption -OutputBufferingMode Drop
$s = New-PSSession -ComputerName server01 -Name Test-b9 -SessionOption $o
$j = Invoke-Command $s { 1..3 | % { Start-Sleep -Milliseconds 200; $_ } } -AsJob
(Disconnect-PSSession $s -OutputBufferingMode Drop).State
$s = Connect-PSSession -ComputerName server01 -Name Test-b9 -SessionOption $o
$s.State
Receive-PSSession -Session $s -SessionOption $o | Out-Null
$j | Wait-Job | Receive-Job
Get-PSSession | Remove-PSSession
""")
    assert errors == [] and out[:3] == ["Drop", "Disconnected", "Opened"] and out[3:] == [1, 2, 3]


def test_about_remote_disconnected_sessions_example_10_wait_job_force(rs):
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01 -Name Test-w10
$j = Invoke-Command -Session $s { 1..4 | % { $_; Start-Sleep -Milliseconds 300 } } -AsJob
Start-Sleep -Milliseconds 200
$s | Disconnect-PSSession | Out-Null
(Wait-Job $j -Timeout 10).State
$w = Start-ThreadJob { Start-Sleep -Milliseconds 800; Connect-PSSession -Session $using:s | Out-Null }
(Wait-Job $j -Force -Timeout 20).State
$w | Wait-Job | Out-Null
$j | Receive-Job
$s | Remove-PSSession
""")
    assert errors == [] and out[:2] == ["Disconnected", "Completed"] and out[2:] == [1, 2, 3, 4]


def test_about_remote_disconnected_sessions_example_11_closing_the_shell(pshell):
    # a command still running when the shell exits: its session stays, Disconnected; an idle one
    # is not kept (the command sleeps long enough to be still running when the first shell exits:
    # with 1 s it sometimes finished first, and a session whose command is done ends with the shell)
    ok(pshell("-c", "$busy = New-PSSession server02 -Name Busy-11\n$idle = New-PSSession server02 -Name Idle-11\n"
                    "Invoke-Command -Session $busy { Start-Sleep 4; 'late' } -AsJob | Out-Null"))
    proc = pshell("-c", "Get-PSSession -ComputerName server02 | Where-Object Name -like '*-11' | "
                            "ForEach-Object { \"$($_.Name) $($_.State)\" }\n"
                            "Receive-PSSession -ComputerName server02 -Name Busy-11\n"
                            "Get-PSSession -ComputerName server02 -Name Busy-11 | Remove-PSSession")
    lines = ok(proc)
    assert lines == ["Busy-11 Disconnected", "late"], proc.stderr
    assert lines == ["Busy-11 Disconnected", "late"]
