"""The temporary session of an ``Invoke-Command -ComputerName`` (issue 15's light process,
remote/oneshot.py), against real OpenSSH sshd: each one is a process never used before, so
nothing one leaves (environment, umask, its own death) reaches the next; it ends with its
connection; an -AsJob one is still a full session that survives a dropped connection."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from conftest import pids_of, process_gone, wait_for

from pshell.engine.streams import CollectingStreams


def run(rs, text):
    streams = CollectingStreams()
    out = rs.invoke(text, streams=streams)
    return out, [r.message for s, r in streams.records if s == "error"]


def test_env_set_in_one_is_not_seen_by_the_next(rs):
    out, errors = run(rs, """
Invoke-Command -ComputerName server01 { $env:TMP_ISO_X = 'leak'; $PID }
Invoke-Command -ComputerName server01 { "next sees [$env:TMP_ISO_X]"; $PID }
Invoke-Command -ComputerName server01,server01,server01 { $env:TMP_ISO_Y = "$PID"; $env:TMP_ISO_Y }
Invoke-Command -ComputerName server01 { "then [$env:TMP_ISO_Y]" }
""")
    assert errors == []
    first, seen, second, a, b, c, then = out
    assert seen == "next sees []" and then == "then []"
    assert len({first, second, a, b, c}) == 5           # a process each, never one used before


def test_stop_process_pid_in_one_does_not_hurt_the_next(rs):
    out, errors = run(rs, """
Invoke-Command -ComputerName server02 { 'before'; Stop-Process -Id $PID; 'never' }
Invoke-Command -ComputerName server02 { 'next works' }
""")
    assert out == ["before", "next works"]      # what it wrote before it died is not lost
    assert len(errors) == 1 and "the session's process on" in errors[0], errors
    assert "ended (killed by signal" in errors[0], errors


def test_a_temporary_session_is_not_left_behind(rs):
    # sessions that earlier tests left on server03 (a killed -AsJob one is restored there) are
    # listed too: only one that was not there before would be this one's
    out, errors = run(rs, """
$before = @(Get-PSSession -ComputerName server03 | ForEach-Object InstanceId)
Invoke-Command -ComputerName server03 { $PID }
@(Get-PSSession -ComputerName server03 | Where-Object InstanceId -notin $before).Count
""")
    assert errors == []
    pid, count = out
    assert count == 0
    wait_for(lambda: process_gone(pid), what=f"the temporary session's process {pid} to end")


def test_a_killed_client_ends_its_temporary_sessions_command(sshd_hosts, tmp_path):
    """Nobody can reattach to a temporary session: when its connection goes, so does what it
    ran (a native child included), instead of running on unreachable."""
    marker = f"sleep 3{os.getpid() % 100:02d}7"
    pids = tmp_path / "pid.txt"
    client = subprocess.Popen(
        [sys.executable, "-m", "pshell", "-NoProfile", "-c",
         f"Invoke-Command -ComputerName server04 {{ $PID; /bin/{marker} }}"],
        stdout=open(pids, "w"), stderr=subprocess.DEVNULL, env=sshd_hosts.env())
    try:
        running = lambda: pids_of(marker, sshd_hosts.remote_home)   # noqa: E731
        wait_for(running, what=f"{marker} to run there")
        pid = int(wait_for(lambda: pids.read_text().strip(), what="the session's $PID"))
    finally:
        client.send_signal(signal.SIGKILL)
        client.wait()
    wait_for(lambda: not running(), what=f"{marker} to end")
    wait_for(lambda: process_gone(pid), what=f"the session's process {pid} to end")


def test_an_asjob_temporary_session_still_survives_a_dropped_connection(rs, sshd_hosts):
    """-AsJob keeps the full session (it reconnects): only synchronous ones are light."""
    out, errors = run(rs, "$j = Invoke-Command -ComputerName server04 "
                          "{ $PID; 1..20 | ForEach-Object { $_; Start-Sleep -Milliseconds 100 } }"
                          " -AsJob; $j")
    child = out[0].ChildJobs[0]
    wait_for(lambda: len(child.Output) > 0, what="the job's first output")
    before = set(sshd_hosts.session_pids("server04"))
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: child.State in ("Completed", "Failed"), timeout=120, what="the job to end")
    out, errors = run(rs, "Receive-Job $j")
    assert errors == [] and out[1:] == list(range(1, 21)), (out, errors)
