"""A temporary session through the connection broker has no reader thread: the thread that runs
it reads its channel while it waits (client/broker.py ``BrokerLink.pump``).  Against real sshd,
what such a fan-out shows must be what a direct connection shows (output, streams, errors naming
the computer, -HideComputerName, -ThrottleLimit, a remote process that dies), Ctrl+C must stop
it there, and a broker killed in the middle must end it with an error per computer, not a hang."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import needs_cli, process_gone, sigint_as_a_terminal_sends_it, wait_for

pytestmark = needs_cli


@pytest.fixture
def broker_env(sshd_hosts):
    runtime = tempfile.mkdtemp(prefix="pf-", dir="/tmp")
    env = sshd_hosts.env(PSHELL_BROKER="1", PSHELL_BROKER_PERSIST="30", XDG_RUNTIME_DIR=runtime)
    yield env
    for pid in _broker_pids(runtime):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass


def _broker_pids(runtime):
    pids = []
    for directory, _, files in os.walk(runtime):
        if "pid" in files:
            try:
                with open(os.path.join(directory, "pid")) as fh:
                    pids.append(int(fh.read().strip()))
            except (OSError, ValueError):
                pass
    return pids


def _pshell(env, command, cwd, **kw):
    return [sys.executable, "-m", "pshell", "-NoProfile", "-c", command]


def run(env, command, cwd):
    return subprocess.run(_pshell(env, command, cwd), env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


SCRIPT = """
Invoke-Command -ComputerName server01,server02,server03 {
    1..3 | ForEach-Object { "$_ of $(Split-Path -Leaf $HOME)" }
    Write-Error 'remote trouble'
    Write-Warning 'remote care'
} -ThrottleLimit 2 | ForEach-Object { "$_ [$($_.PSComputerName)]" }
$big = 'x' * 100000
$list = 1..3
1..4 | Invoke-Command -ComputerName server01,server02,server03 -ArgumentList 'arg' {
    param($a) "$a $($using:big.Length) $(@($input).Count) $($using:list -join '+')"
} | ForEach-Object { "$_ [$($_.PSComputerName)]" }
Invoke-Command -ComputerName server01,server02 { 'hidden' } -HideComputerName |
    ForEach-Object { "$_ [$($_.PSComputerName)]" }
Invoke-Command -ComputerName server01,server02 { 'dies'; Stop-Process -Id $PID; 'never' }
Invoke-Command -ComputerName server02,server03 { throw "stopped on $(Split-Path -Leaf $HOME)" }
Invoke-Command -ComputerName server03 { 'one computer'; Write-Error 'one error' }
'end'
"""


def test_a_fan_out_through_the_broker_shows_what_a_direct_one_shows(broker_env, tmp_path):
    through = run(broker_env, SCRIPT, str(tmp_path))
    direct = run(dict(broker_env, PSHELL_BROKER="0"), SCRIPT, str(tmp_path))
    # what a process wrote before it killed itself is not lost with it (test_own_death.py)
    assert sorted(through.stdout.splitlines()) == sorted(direct.stdout.splitlines()), \
        (through.stdout, direct.stdout)
    out = through.stdout.splitlines()
    assert out[-1] == "end" and "never" not in through.stdout and out.count("dies") == 2
    assert out.count("hidden []") == 2 and "one computer" in out
    for host in ("server01", "server02", "server03"):
        assert f"arg 100000 4 1+2+3 [{host}]" in out     # arguments, $using:, input: each
        assert [line.split()[0] for line in out if line.endswith(f"[{host}]") and " of " in line] \
            == ["1", "2", "3"]          # in order per computer
    assert sorted(through.stderr.splitlines()) == sorted(direct.stderr.splitlines()), \
        (through.stderr, direct.stderr)
    for host in ("server01", "server02"):
        assert any(host in line and "ended" in line for line in through.stderr.splitlines())


@pytest.mark.parametrize("computers", ["server01", "server01,server02"])
def test_ctrl_c_stops_a_command_through_the_broker_there(broker_env, sshd_hosts, tmp_path,
                                                          computers):
    """One computer: the pipeline's thread reads the channel; several: a thread each."""
    # the computers share the remote home: both add to the one mark file
    mark = os.path.join(sshd_hosts.remote_home, "fan-ctrl-c.txt")
    command = (f"Invoke-Command -ComputerName {computers} {{ while ($true) {{ "
               "Add-Content ~/fan-ctrl-c.txt $PID; Start-Sleep -Milliseconds 100 } }")

    def writers():
        """(lines written, the pids that wrote them): whole lines only (one may be half written)"""
        with open(mark) as fh:
            lines = fh.read().split("\n")[:-1]
        return len(lines), {int(pid) for pid in lines}

    with sigint_as_a_terminal_sends_it():
        proc = subprocess.Popen(_pshell(broker_env, command, str(tmp_path)), env=broker_env,
                                cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
    try:
        count = len(computers.split(","))
        wait_for(lambda: os.path.exists(mark) and writers()[0] > 2 * count
                 and len(writers()[1]) == count, what="the loop running on each computer")
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError("pshell did not end on SIGINT") from None
        # stopped on both computers: the processes that ran the loop end (a temporary session's
        # process ends with its connection; the client does not wait for that), and nothing
        # writes any more
        pids = writers()[1]
        wait_for(lambda: all(process_gone(pid) for pid in pids),
                 what=f"the loops' processes {sorted(pids)} to end")
        size = os.path.getsize(mark)
        time.sleep(0.5)
        assert os.path.getsize(mark) == size
    finally:
        if proc.poll() is None:
            proc.kill()
        if os.path.exists(mark):
            os.unlink(mark)


def test_a_broker_killed_in_the_middle_ends_each_computer_with_an_error(broker_env, tmp_path):
    warm = run(broker_env, "Invoke-Command -ComputerName server01 { 'warm' }", str(tmp_path))
    assert warm.stdout.split() == ["warm"], warm.stderr
    (pid,) = _broker_pids(broker_env["XDG_RUNTIME_DIR"])
    proc = subprocess.Popen(_pshell(broker_env, "Invoke-Command -ComputerName server01,server02 "
                                    "{ 'started'; Start-Sleep 60 }; 'after'", str(tmp_path)),
                            env=broker_env, cwd=str(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out = proc.stdout
        assert out is not None
        assert [out.readline().strip(), out.readline().strip()] == ["started", "started"]
        os.kill(pid, signal.SIGKILL)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rest.split() == ["after"], err
    for host in ("server01", "server02"):
        assert any(host in line and "lost" in line for line in err.splitlines()), err
