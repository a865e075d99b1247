"""-ThrottleLimit of a fan-out (client/invoke.py ``fan_out``: at most that many threads, each taking
the next computer until none is left): never more computers at a time than the limit, every one
run once, and its output and errors all there, through the broker and without it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from conftest import needs_cli, stop_brokers_in

pytestmark = needs_cli

# the computers share one remote home: each writes when it starts and ends into one file
SCRIPT = """
Invoke-Command -ComputerName server01,server02,server03,server04 {
    Add-Content ~/throttle.txt "start $PID"
    Start-Sleep -Milliseconds 150
    Add-Content ~/throttle.txt "end $PID"
    "ran"
    Write-Error 'each says so'
} -ThrottleLimit LIMIT | ForEach-Object { "$_ [$($_.PSComputerName)]" }
'end'
"""


@pytest.mark.parametrize("broker", ["1", "0"])
@pytest.mark.parametrize("limit", [1, 2])
def test_no_more_computers_at_a_time_than_the_limit(sshd_hosts, tmp_path, broker, limit):
    runtime = tempfile.mkdtemp(prefix="pt-", dir="/tmp")
    env = sshd_hosts.env(PSHELL_BROKER=broker, PSHELL_BROKER_PERSIST="30", XDG_RUNTIME_DIR=runtime)
    mark = os.path.join(sshd_hosts.remote_home, "throttle.txt")
    if os.path.exists(mark):
        os.unlink(mark)
    try:
        done = subprocess.run([sys.executable, "-m", "pshell", "-NoProfile", "-c",
                               SCRIPT.replace("LIMIT", str(limit))], env=env, cwd=str(tmp_path),
                              capture_output=True, text=True, timeout=120)
    finally:
        stop_brokers_in(runtime)
    out = done.stdout.splitlines()
    assert out[-1] == "end", done.stdout + done.stderr
    assert sorted(out[:-1]) == [f"ran [server0{n}]" for n in range(1, 5)], done.stdout
    assert sorted(line for line in done.stderr.splitlines() if "Write-Error: each says so" in line) \
        == [f"[server0{n}] Write-Error: each says so" for n in range(1, 5)], done.stderr
    with open(mark) as fh:
        events = fh.read().split()
    running, most = 0, 0
    for word in events[::2]:
        running += 1 if word == "start" else -1
        most = max(most, running)
    assert events[::2].count("start") == 4 and running == 0
    assert most <= limit, events
