"""The client survives any remote (issue 9): messages of any size, a remote that is not pshell,
text that is not valid, control characters in remote messages.  Real sshd; each test names the
bug it would have caught."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import pytest

MiB = 1 << 20


def run_measured(sshd_hosts, script: str, cwd: str, env=None, timeout: float = 300):
    """Run ``pshell -c script``; (exit status, stdout, stderr, peak RSS in MiB) - the peak of
    this pshell process alone (wait4), not of the test."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "pshell", "-c", script], stdout=out,
                                stderr=err, cwd=cwd,
                                env=sshd_hosts.env(PYTHONWARNINGS="ignore", **(env or {})))
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"pshell did not finish within {timeout} s")
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode("utf-8", "replace"),
                err.read().decode("utf-8", "replace"), usage.ru_maxrss / 1024)


def test_output_object_over_256mib_arrives_whole_with_bounded_memory(sshd_hosts, tmp_path):
    """Found: one output object over 256 MiB could never be received (frame refused, session
    dropped) and every Receive-PSSession replayed the same frame.  Now it streams in fragments;
    the client holds the object and about one more copy of it, and nothing is replayed."""
    script = (
        "$s = New-PSSession server01 -Name huge\n"
        "$r = Invoke-Command -Session $s { 'x' * 300MB; 'after' }\n"
        "\"count=$($r.Count) len=$($r[0].Length) last=$($r[1]) x=$($r[0].Substring(314572790))\"\n"
        "$r = $null\n"
        "$again = @(Receive-PSSession -Session $s)\n"
        "\"replayed=$($again.Count) state=$($s.State)\"\n"
        "Remove-PSSession $s\n")
    status, out, err, rss = run_measured(sshd_hosts, script, str(tmp_path))
    assert status == 0, err
    assert "count=2 len=314572800 last=after x=xxxxxxxxxx" in out, (out, err)
    assert "replayed=0 state=Opened" in out, (out, err)
    assert "rror" not in err, err
    # the 300 MiB string, plus its bytes while they become a string: never the 3-4 copies
    # (frame buffer, joined body, JSON text, value) an unfragmented decoder makes
    print(f"peak RSS of the client: {rss:.0f} MiB")
    assert rss < 300 * 2.6 + 150, f"peak RSS {rss:.0f} MiB"
