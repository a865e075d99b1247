"""Nothing is lost when a remote script ends its own process: what it wrote before
``Stop-Process -Id $PID`` reaches the client (then the client says the process ended), for a
temporary session (``-ComputerName``, one computer and several, direct and through the broker),
a PSSession and an ``-AsJob`` job, against real OpenSSH sshd.  A process killed from outside
cannot send what it had not written, but the client still says loudly that it ended."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile

import pytest

from conftest import needs_cli, stop_brokers_in, wait_for

from pshell.engine.streams import CollectingStreams

# a short script (its output waits to travel with ``done``), then one that fills more than a batch
DIES = "param($i) \"dies $i\"; Stop-Process -Id $PID; 'never'"
MANY = "Write-Warning 'first words'; 1..5000 | ForEach-Object { \"line $_\" }; Stop-Process -Id $PID"
ROUNDS = 4
ENDED = "ended (killed by signal 9"


def run(rs, text):
    streams = CollectingStreams()
    out = rs.invoke(text, streams=streams)
    return [str(o) for o in out], [r.message for s, r in streams.records if s == "error"], \
        [str(r) for s, r in streams.records if s == "warning"]


def _cli(env, command, cwd):
    return subprocess.run([sys.executable, "-m", "pshell", "-NoProfile", "-c", command], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def broker_env(sshd_hosts):
    runtime = tempfile.mkdtemp(prefix="od-", dir="/tmp")
    yield sshd_hosts.env(PSHELL_BROKER="1", PSHELL_BROKER_PERSIST="30", XDG_RUNTIME_DIR=runtime)
    stop_brokers_in(runtime)


COMPUTERS = ["server01", "server01,server02,server03"]


def _fan_script(computers):
    return (f"foreach ($i in 1..{ROUNDS}) {{ Invoke-Command -ComputerName {computers} "
            f"-ArgumentList $i {{ {DIES} }} | ForEach-Object {{ \"$_ [$($_.PSComputerName)]\" }} }}; "
            "'end'")


def _check_fan(out, errors, computers):
    hosts = computers.split(",")
    expected = sorted(f"dies {i} [{h}]" for i in range(1, ROUNDS + 1) for h in hosts)
    assert sorted(line for line in out if line.startswith("dies")) == expected, (out, errors)
    assert out[-1] == "end" and not any("never" in line for line in out)
    ended = [e for e in errors if ENDED in e]
    assert len(ended) == ROUNDS * len(hosts), errors
    for host in set(hosts):
        assert sum(f"to {host} " in e for e in ended) == ROUNDS * hosts.count(host), errors


@pytest.mark.parametrize("computers", COMPUTERS)
def test_computer_name_delivers_what_was_written_before_stop_process_pid(rs, computers):
    out, errors, _ = run(rs, _fan_script(computers))
    _check_fan(out, errors, computers)


@needs_cli
@pytest.mark.parametrize("computers", COMPUTERS)
def test_through_the_broker_too(broker_env, tmp_path, computers):
    done = _cli(broker_env, _fan_script(computers), str(tmp_path))
    _check_fan(done.stdout.splitlines(), done.stderr.splitlines(), computers)


def test_many_lines_and_a_record_before_stop_process_pid(rs):
    out, errors, warnings = run(rs, f"Invoke-Command -ComputerName server02 {{ {MANY} }}")
    assert out == [f"line {i}" for i in range(1, 5001)]
    assert warnings == ["first words"]
    assert len(errors) == 1 and ENDED in errors[0], errors


def test_session_delivers_what_was_written_before_stop_process_pid(rs):
    out, errors, _ = run(rs, f"""
foreach ($i in 1..{ROUNDS}) {{
    $s = New-PSSession server01,server02,server03
    Invoke-Command -Session $s -ArgumentList $i {{ {DIES} }} |
        ForEach-Object {{ "$_ [$($_.PSComputerName)]" }}
    @($s | Where-Object State -eq Broken).Count
}}
""")
    hosts = ["server01", "server02", "server03"]
    assert sorted(line for line in out if line.startswith("dies")) == \
        sorted(f"dies {i} [{h}]" for i in range(1, ROUNDS + 1) for h in hosts), (out, errors)
    assert [line for line in out if not line.startswith("dies")] == ["3"] * ROUNDS
    assert len([e for e in errors if ENDED in e]) == 3 * ROUNDS, errors
    assert not any("goes on there" in e for e in errors), errors     # its process has ended


def test_session_many_lines_before_stop_process_pid(rs):
    out, errors, warnings = run(rs, f"""
$s = New-PSSession server03
Invoke-Command -Session $s {{ {MANY} }}
""")
    assert out == [f"line {i}" for i in range(1, 5001)]
    assert warnings == ["first words"]
    assert len(errors) == 1 and ENDED in errors[0], errors


def test_as_job_delivers_what_was_written_before_stop_process_pid(rs):
    out, errors, _ = run(rs, f"""
foreach ($i in 1..{ROUNDS}) {{
    $j = Invoke-Command -ComputerName server01,server02,server03 -ArgumentList $i {{ {DIES} }} -AsJob
    $j | Wait-Job -Timeout 60 | Out-Null
    $j | Receive-Job -ErrorAction SilentlyContinue | ForEach-Object {{ "$_ [$($_.PSComputerName)]" }}
    "$($j.State): " + (($j.ChildJobs | ForEach-Object {{ $_.State }}) -join ',')
    $j.ChildJobs | ForEach-Object {{ $_.JobStateInfo.Reason.Message }}
}}
""")
    hosts = ["server01", "server02", "server03"]
    assert sorted(line for line in out if line.startswith("dies")) == \
        sorted(f"dies {i} [{h}]" for i in range(1, ROUNDS + 1) for h in hosts), (out, errors)
    assert [line for line in out if line.startswith("Failed")] == \
        ["Failed: Failed,Failed,Failed"] * ROUNDS, out
    assert len([line for line in out if ENDED in line]) == 3 * ROUNDS, out


def test_a_kill_from_outside_is_said_loudly(rs, sshd_hosts):
    """What was not written cannot be delivered, but the client must say the process ended."""
    mark = os.path.join(sshd_hosts.remote_home, "own-death-pid.txt")
    if os.path.exists(mark):
        os.unlink(mark)
    script = ("Set-Content -LiteralPath ~/own-death-pid.txt -Value $PID; 'started'; "
              "Start-Sleep 60; 'never'")
    import threading
    pid_of = []

    def killer():
        pid_of.append(wait_for(lambda: os.path.exists(mark) and open(mark).read().strip(),
                               timeout=60))
        os.kill(int(pid_of[0]), signal.SIGKILL)

    for how in (f"Invoke-Command -ComputerName server04 {{ {script} }}",
                f"$s = New-PSSession server04; Invoke-Command -Session $s {{ {script} }}"):
        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        out, errors, _ = run(rs, how)
        thread.join(10)
        os.unlink(mark)
        pid_of.clear()
        assert "never" not in out
        assert len(errors) == 1 and ENDED in errors[0] and "server04" in errors[0], errors


def test_exit_and_environment_exit_keep_what_was_written(rs):
    """``exit`` and ``[Environment]::Exit`` end the remote script (its output travels with
    ``done``), not the process: nothing is lost and the session stays usable."""
    out, errors, _ = run(rs, """
Invoke-Command -ComputerName server01,server02 { 'before exit'; exit 3; 'never' }
$s = New-PSSession server03
Invoke-Command -Session $s { 'before Exit'; [Environment]::Exit(4); 'never' }
Invoke-Command -Session $s { 'still there' }
""")
    assert out == ["before exit", "before exit", "before Exit", "still there"], (out, errors)
    assert errors == []
