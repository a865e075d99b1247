"""Every PSSession its own process (issue 10), against real OpenSSH sshd: sessions of one user
share no environment, each starts with its SSH login's environment and umask, and one session's
process ending ends that session alone - and its client is told so."""

from __future__ import annotations

import os
import signal
import time

import pytest
from conftest import wait_for

from pshell.engine.streams import CollectingStreams


def run(rs, text):
    streams = CollectingStreams()
    out = rs.invoke(text, streams=streams)
    return out, [r.message for s, r in streams.records if s == "error"]


def test_two_sessions_of_one_user_have_their_own_env(rs):
    out, errors = run(rs, """
$a = New-PSSession server01 -Name iso-env-a
$b = New-PSSession server01 -Name iso-env-b
Invoke-Command -Session $a { $env:ISO_X = 'a' }
Invoke-Command -Session $b { "b sees [$env:ISO_X]"; sh -c 'echo "b native [$ISO_X]"' }
Invoke-Command -Session $a { "a sees [$env:ISO_X]"; sh -c 'echo "a native [$ISO_X]"' }
$c = New-PSSession server01
Invoke-Command -Session $c { "later sees [$env:ISO_X]" }
(Invoke-Command -Session $a { $PID }) -ne (Invoke-Command -Session $b { $PID })
""")
    assert errors == []
    assert out == ["b sees []", "b native []", "a sees [a]", "a native [a]", "later sees []",
                   True]


@pytest.mark.parametrize("direct", ["1", "0"])
def test_a_session_has_its_logins_ssh_connection_and_umask(rs, sshd_hosts, monkeypatch, direct):
    """Over a relay (the login reports its environment) and over a direct channel (the
    supervisor's template plus what the client saw of its TCP connection)."""
    monkeypatch.setenv("PSHELL_SSH_DIRECT", direct)
    mask = os.umask(0o022)
    os.umask(mask)
    if mask == 0o077:
        pytest.skip("sshd runs with the host's own umask here: nothing to tell apart")
    out, errors = run(rs, """
$s = New-PSSession server02
Invoke-Command -Session $s {
    $env:SSH_CONNECTION
    sh -c 'echo $SSH_CONNECTION'
    sh -c umask
    $f = Join-Path $HOME "iso-umask-$PID"
    sh -c "rm -f $f; touch $f; stat -c %a $f; rm -f $f"
    $env:SSH_AUTH_SOCK -eq $null
}
Remove-PSSession $s
""")
    assert errors == []
    conn, native, umask, mode, no_agent = out
    fields = conn.split()
    assert len(fields) == 4 and native == conn, out
    assert fields[2] == sshd_hosts.addresses["server02"] and fields[3] == str(sshd_hosts.port)
    assert umask == f"{mask:04o}"
    assert mode == f"{0o666 & ~mask:o}"
    assert no_agent is True              # pshell forwards no agent; none leaks from the host


def test_stop_process_pid_ends_one_session_only(rs):
    out, errors = run(rs, """
$a = New-PSSession server01 -Name iso-stop-a
$b = New-PSSession server01 -Name iso-stop-b
Invoke-Command -Session $a { Start-Job -Name slow { Start-Sleep 2; 'finished' } | Out-Null }
Invoke-Command -Session $b { Stop-Process -Id $PID }
"b: $($b.State)"
""")
    assert out == ["b: Broken"]
    assert len(errors) == 1 and "the session's process on" in errors[0], errors
    assert "ended (killed by signal" in errors[0]
    out, errors = run(rs, "Invoke-Command -Session $a { Wait-Job -Name slow | Receive-Job }")
    assert errors == [] and out == ["finished"]


def test_kill_9_of_a_session_process_keeps_finished_output_and_fails_running_jobs(rs):
    out, errors = run(rs, """
$s = New-PSSession server01 -Name iso-kill
Invoke-Command -Session $s {
    Start-Job -Name done { 'r1'; 'r2' } | Wait-Job | Out-Null
    Start-Job -Name busy { 'working'; Start-Sleep 60 } | Out-Null
    Start-Sleep -Milliseconds 400
    $PID
}
""")
    assert errors == []
    pid = out[0]
    other = run(rs, "$o = New-PSSession server01 -Name iso-kill-other; "
                    "Invoke-Command -Session $o { $PID }")[0]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: run(rs, "$s.State")[0] == ["Broken"])
    out, errors = run(rs, """
$s2 = Connect-PSSession -ComputerName server01 -Name iso-kill
Invoke-Command -Session $s2 {
    Get-Job | ForEach-Object { "$($_.Name) $($_.State) [$($_.JobStateInfo.Reason.Message)]" }
    Receive-Job -Name done
    $PID
}
Invoke-Command -Session $o { $PID }
""")
    assert errors == []
    assert out[0] == "done Completed []"
    assert out[1].startswith("busy Failed [the session's process on ")
    assert out[1].endswith("ended (killed by signal 9 (SIGKILL))]")
    assert out[2:4] == ["r1", "r2"]
    assert out[4] != pid                    # a new process, restored from the session's disk
    assert out[5] == other[0]               # the other session never noticed


def test_asjob_whose_session_process_is_killed_fails_at_once(rs):
    out, errors = run(rs, """
$j = Invoke-Command -ComputerName server03 { $PID; Start-Sleep 60; 'never' } -AsJob
$j.ChildJobs[0].Output.Count
""")
    pid = wait_for(lambda: run(rs, "$j.ChildJobs[0].Output | Select-Object -First 1")[0])[0]
    os.kill(pid, signal.SIGKILL)
    started = time.monotonic()
    out, errors = run(rs, """
Wait-Job $j -Timeout 90 | Out-Null
$c = $j.ChildJobs[0]
"$($c.State) $($j.State)"
"$($c.JobStateInfo.Reason.Message)"
""")
    assert out[0] == "Failed Failed", out
    assert "the session's process on " in out[1] and "ended (killed by signal 9" in out[1], out
    # at once: not after reconnect attempts (180 s by default); a loaded machine may take a while
    assert time.monotonic() - started < 60


def test_copy_to_session_applies_the_logins_umask(rs, tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    if mask & 0o022 == 0:
        pytest.skip("the login's umask takes nothing from 0777 here")
    src = tmp_path / "tool"
    src.write_text("x")
    os.chmod(src, 0o4777)
    out, errors = run(rs, f"""
$s = New-PSSession server02
Copy-Item '{src}' -Destination '~/iso-copied-tool' -ToSession $s
Invoke-Command -Session $s {{ sh -c 'stat -c %a ~/iso-copied-tool; rm -f ~/iso-copied-tool' }}
Remove-PSSession $s
""")
    assert errors == []
    assert out == [f"{0o777 & ~mask:o}"]       # no setuid, and the login's umask applied
