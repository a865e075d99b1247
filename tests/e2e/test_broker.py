"""The connection broker (client/broker.py, transport/broker_server.py) against real sshd: a fresh
pshell reuses the broker's connection (no new SSH connection, no asyncssh import), decides as a
direct connection would, and the broker refuses what is not a well-formed request from its user,
ends when idle, and stays away when turned off."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import find_named as _find, needs_cli, stop_brokers as _stop_brokers

pytestmark = needs_cli

# runs pshell and says on stderr whether asyncssh was imported
WRAPPER = ("import sys\nsys.argv = ['pshell', '-NoProfile', '-c', sys.argv[1]]\n"
           "from pshell.cli import main\nmain()\n"     # main(): `python -m pshell` leaves by os._exit
           "print('ASYNCSSH', 'asyncssh' in sys.modules, file=sys.stderr)\n")


def run(env, command, cwd):
    return subprocess.run([sys.executable, "-c", WRAPPER, command], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def connections(sshd_hosts, names):
    return sum(len(sshd_hosts.session_pids(name)) for name in names)


def test_a_fresh_process_reuses_the_brokers_connections(sshd_hosts, broker_env, tmp_path):
    command = ("Invoke-Command -ComputerName server01,server02 { \"$(hostname) $PSVersionTable\" "
               "| Out-Null; 'hi' } | Sort-Object; Get-Content -Raw /dev/null")
    first = run(broker_env, command, str(tmp_path))
    assert first.stdout.split() == ["hi", "hi"], first.stderr
    held = connections(sshd_hosts, ["server01", "server02"])
    second = run(broker_env, command, str(tmp_path))
    assert second.stdout.split() == ["hi", "hi"], second.stderr
    assert "ASYNCSSH False" in second.stderr          # no SSH code in the short-lived process
    assert connections(sshd_hosts, ["server01", "server02"]) <= held    # no new handshake
    runtime = broker_env["XDG_RUNTIME_DIR"]
    (sock,) = _find(runtime, "sock")
    assert stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600


def test_sessions_jobs_and_errors_through_the_broker(broker_env, sshd_hosts, tmp_path):
    script = ("$s = New-PSSession server01\n"
              "Invoke-Command -Session $s { $x = 40 }\n"
              "Invoke-Command -Session $s { $x + 2 }\n"
              "$j = Invoke-Command -Session $s { 'job' } -AsJob\n"
              "Receive-Job $j -Wait\n"
              "Remove-PSSession $s\n"
              "Invoke-Command -ComputerName stranger { 1 }\n"
              "'end'\n")
    through = run(broker_env, script, str(tmp_path))
    direct = run(dict(broker_env, PSHELL_BROKER="0"), script, str(tmp_path))
    assert through.stdout.split() == ["42", "job", "end"], through.stderr
    assert through.stdout == direct.stdout
    # the unknown host key is refused with the words a direct connection uses
    said = [line for line in through.stderr.splitlines() if "stranger" in line]
    assert said and said == [line for line in direct.stderr.splitlines() if "stranger" in line]


def test_hostile_requests_get_an_answer_and_the_broker_goes_on(broker_env, tmp_path):
    assert "hi" in run(broker_env, "Invoke-Command server01 { 'hi' }", str(tmp_path)).stdout
    (path,) = _find(broker_env["XDG_RUNTIME_DIR"], "sock")

    def ask(data):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(path)
            try:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass        # a line too long: the broker answered and closed before its end
            answer = b""
            while True:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:    # the broker closed with some of a line too
                    return answer               # long unread: its answer came before the reset
                if not chunk:
                    return answer
                answer += chunk

    for data, words in ((b"garbage\n", "not JSON"), (b"\xff\xfe\n", "not JSON"),
                        (b'{"v": 2}\n', "version 1"),
                        (b'{"v": 1, "host": "a\\u001bb"}\n', "not a valid name"),
                        (b'{"v": 1, "host": "x", "port": 70000}\n', "65535"),
                        (b'{"v": 1, "host": "x", "options": {"a": {"b": 1}}}\n', "option a"),
                        (b"x" * 200000 + b"\n", "at most"), (b"no end of line", "one line"),
                        # the client's environment (SendEnv's values come from it)
                        (b'{"v": 1, "host": "x", "env": {"A=B": "1"}}\n', "name that is not valid"),
                        (b'{"v": 1, "host": "x", "env": {"A\\u0000": "1"}}\n', "not valid"),
                        (b'{"v": 1, "host": "x", "env": {"A": "\\u0000"}}\n', "not text"),
                        (b'{"v": 1, "host": "x", "env": {"A": "\\udfff"}}\n', "not valid text"),
                        (b'{"v": 1, "host": "x", "env": {"A": "\xff"}}\n', "not JSON"),
                        (json.dumps({"v": 1, "host": "x", "env": {f"N{i}": "" for i in range(2000)}})
                         .encode() + b"\n", "at most 1024"),
                        (json.dumps({"v": 1, "host": "x", "env": {"A": "x" * 60000}}).encode() + b"\n",
                         "larger than")):
        answer = json.loads(ask(data).split(b"\n")[0])
        assert answer["ok"] is False and words in answer["error"], (data[:40], answer)
    assert "hi" in run(broker_env, "Invoke-Command server01 { 'hi' }", str(tmp_path)).stdout


def test_the_broker_ends_when_idle_and_can_be_turned_off(sshd_hosts, tmp_path):
    runtime = tempfile.mkdtemp(prefix="pb-", dir="/tmp")
    try:
        env = sshd_hosts.env(PSHELL_BROKER="1", PSHELL_BROKER_PERSIST="1", XDG_RUNTIME_DIR=runtime)
        assert "hi" in run(env, "Invoke-Command server01 { 'hi' }", str(tmp_path)).stdout
        (pid_file,) = _find(runtime, "pid")
        with open(pid_file) as fh:
            pid = int(fh.read())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.2)
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        assert not os.path.exists(f"/proc/{pid}") or \
            open(f"/proc/{pid}/stat").read().split()[2] == "Z"
        assert not _find(runtime, "sock")
        off = dict(env, PSHELL_BROKER="0", XDG_RUNTIME_DIR=tempfile.mkdtemp(prefix="pb-", dir="/tmp"))
        assert "hi" in run(off, "Invoke-Command server01 { 'hi' }", str(tmp_path)).stdout
        assert not os.listdir(off["XDG_RUNTIME_DIR"])
        shutil.rmtree(off["XDG_RUNTIME_DIR"], ignore_errors=True)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def test_a_changed_config_gets_a_new_connection(sshd_hosts, broker_env, tmp_path):
    """The broker keys what it holds by every resolved option: a connection made under the old
    config is not handed out under the new one."""
    home = tmp_path / "home"
    shutil.copytree(sshd_hosts.home, home)
    config = home / ".ssh" / "config"
    env = dict(broker_env, HOME=str(home))
    env["PSHELL_SSH_CONFIG"] = str(config)
    assert "hi" in run(env, "Invoke-Command server03 { 'hi' }", str(tmp_path)).stdout
    before = connections(sshd_hosts, ["server03"])
    assert "hi" in run(env, "Invoke-Command server03 { 'hi' }", str(tmp_path)).stdout
    assert connections(sshd_hosts, ["server03"]) <= before
    config.write_text(config.read_text() + "Host server03\n  ServerAliveInterval 7\n")
    assert "hi" in run(env, "Invoke-Command server03 { 'hi' }", str(tmp_path)).stdout
    assert connections(sshd_hosts, ["server03"]) > before


def test_another_user_is_not_answered(broker_env, other_user, tmp_path):
    """Even with the directory opened up, the broker answers only its own user (SO_PEERCRED)."""
    assert "hi" in run(broker_env, "Invoke-Command server01 { 'hi' }", str(tmp_path)).stdout
    (path,) = _find(broker_env["XDG_RUNTIME_DIR"], "sock")
    opened = []
    directory = path
    while directory != "/tmp":
        opened.append((directory, stat.S_IMODE(os.stat(directory).st_mode)))
        os.chmod(directory, 0o777 if directory == path else 0o711)
        directory = os.path.dirname(directory)
    try:
        probe = ("import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.settimeout(20)\n"
                 "s.connect(sys.argv[1])\ns.sendall(b'{\"v\": 1, \"host\": \"server01\"}\\n')\n"
                 "print(repr(s.recv(100)))\n")
        done = subprocess.run(["runuser", "-u", other_user.name, "--", "python3", "-c", probe, path],
                              capture_output=True, text=True, timeout=60)
        # it reached the socket, and got nothing but the end (or a reset)
        assert "PermissionError" not in done.stderr and "FileNotFound" not in done.stderr
        assert done.stdout.strip() == "b''" or "ConnectionResetError" in done.stderr or \
            "BrokenPipeError" in done.stderr, \
            (done.stdout, done.stderr)
    finally:
        for directory, mode in opened:
            os.chmod(directory, mode)


# a temporary session's requests ride with the request to the broker (client/session.py
# open_session's ``start``): the remote host must run the invocation only in the session those
# requests create, and not at all when it refuses to create it
PIPELINED = r"""
import os, sys
from pshell.client.session import Target, connect_only, open_session
from pshell.remote.client import SessionRefused
marker = sys.argv[1]
held = open_session(Target("server01"), name="pipelined-taken")
script = "Set-Content -LiteralPath $args[0] -Value ran; $PID"

def prepare(conn):
    pending = conn.open_send("", "pipelined-taken", 0, None, "t0ken")
    return pending, conn.start(0, script, [marker], None, None, None, "<t>", "server01")

conn = connect_only(Target("server01"), None, 30, prepare)
print("BROKER", type(conn.link).__name__)
pending, inv = conn.prepared
try:
    conn.open_wait(pending, 30)
    print("OPENED")
except SessionRefused as exc:
    print("REFUSED", exc)
# the host reads a connection's requests in order: once this is answered, the refused
# session's create and invoke have been dealt with
print("LISTED", len(conn.list_sessions(30)) >= 1)
conn.drop("done")
print("RAN", os.path.exists(marker))

session = open_session(Target("server01"), start=lambda c, rs: c.start(
    rs, script, [marker], None, None, None, "<t>", "server01"))
print("PID", list(session.first)[0] != held.connection.server_info.get("pid"),
      open(marker).read().strip())
session.close()
held.close()
"""


def test_a_pipelined_invocation_runs_only_in_the_session_it_came_with(broker_env, tmp_path):
    marker = tmp_path / "marker"
    done = subprocess.run([sys.executable, "-c", PIPELINED, str(marker)], env=broker_env,
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    out = done.stdout.splitlines()
    assert "BROKER BrokerLink" in out, done.stderr
    assert any(line.startswith("REFUSED") and "pipelined-taken" in line for line in out), out
    assert "LISTED True" in out and "RAN False" in out, (out, done.stderr)
    assert "PID True ran" in out, (out, done.stderr)


def status(env):
    """What the broker says it holds (its status request)."""
    (path,) = _find(env["XDG_RUNTIME_DIR"], "sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(path)
        sock.sendall(b'{"v": 1, "status": true}\n')
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def wait_status(env, predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        now = status(env)
        if predicate(now) or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


def test_a_warm_channel_whose_host_was_killed_is_not_handed_out(sshd_hosts, broker_env, tmp_path):
    """After a burst the broker opens a channel to the host's socket ahead of the next one; the
    next request gets it (no channel to open on its path).  When the remote host process dies,
    that channel ends with it: the next request opens a new one (the host starts again) and
    never gets the dead one."""
    command = "Invoke-Command server04 { $PID }"
    first = run(broker_env, command, str(tmp_path))
    assert first.stdout.strip().isdigit(), first.stderr
    assert run(broker_env, command, str(tmp_path)).stdout.strip().isdigit()  # a direct channel
    ready = wait_status(broker_env, lambda s: s["warm"] >= 1)
    assert ready["warm"] == 1, ready
    third = run(broker_env, command, str(tmp_path))
    assert third.stdout.strip().isdigit(), third.stderr
    used = wait_status(broker_env, lambda s: s["warm"] >= 1)
    assert used["warm_used"] == ready["warm_used"] + 1 and used["warm"] == 1, (ready, used)
    host = sshd_hosts.host_pid()
    os.kill(host, signal.SIGKILL)
    after = run(broker_env, command, str(tmp_path))
    assert after.stdout.strip().isdigit() and after.returncode == 0, (after.stdout, after.stderr)
    assert sshd_hosts.host_pid() not in (None, host)
    now = status(broker_env)
    assert now["warm_used"] == used["warm_used"], now      # the dead one was not handed out


def test_a_changed_config_gets_no_warm_channel_of_the_old_one(sshd_hosts, broker_env, tmp_path):
    """A warm channel belongs to the connection decided under the config it was opened for:
    after the config changes, the request gets a new connection (its SSH_CONNECTION says
    which) and the old config's warm channels are closed."""
    home = tmp_path / "home"
    shutil.copytree(sshd_hosts.home, home)
    config = home / ".ssh" / "config"
    env = dict(broker_env, HOME=str(home), PSHELL_SSH_CONFIG=str(config))
    command = "Invoke-Command server02 { $env:SSH_CONNECTION }"

    def client_port():
        done = run(env, command, str(tmp_path))
        assert done.stdout.strip(), done.stderr
        return done.stdout.split()[1]

    client_port()
    before = client_port()
    ready = wait_status(env, lambda s: s["warm"] >= 1)
    assert ready["warm"] == 1, ready
    assert client_port() == before                  # the warm channel, same connection
    wait_status(env, lambda s: s["warm"] >= 1)
    config.write_text(config.read_text() + "Host server02\n  ServerAliveInterval 7\n")
    used = status(env)["warm_used"]
    assert client_port() != before
    after = status(env)
    assert after["warm_used"] == used and after["connections"] == 2, after


def test_warm_channels_end_after_their_idle_time(sshd_hosts, tmp_path):
    """Warm channels close after PSHELL_BROKER_WARM seconds unused (here 3: with 1, a loaded
    machine could let the first of three expire before the third was open, or before the test
    looked): nothing stays open on the remote host for them, the broker's descriptors do not
    grow with repeated fan-outs, and an idle broker uses next to no CPU."""
    runtime = tempfile.mkdtemp(prefix="pb-", dir="/tmp")
    env = sshd_hosts.env(PSHELL_BROKER="1", PSHELL_BROKER_PERSIST="30", PSHELL_BROKER_WARM="3",
                         XDG_RUNTIME_DIR=runtime)
    names = "server01,server02,server03"
    command = f"Invoke-Command {names} {{ 1 }} | Measure-Object | % Count"
    try:
        assert run(env, command, str(tmp_path)).stdout.strip() == "3"
        (pid_file,) = _find(runtime, "pid")
        with open(pid_file) as fh:
            pid = int(fh.read())
        counts = []
        for _ in range(5):
            assert run(env, command, str(tmp_path)).stdout.strip() == "3"
            assert wait_status(env, lambda s: s["warm"] == 3)["warm"] == 3
            counts.append(len(os.listdir(f"/proc/{pid}/fd")))
        assert max(counts) - min(counts) <= 1, counts    # (a client's socket may be closing)
        idle = wait_status(env, lambda s: s["warm"] == 0 and s["channels"] == 0)
        assert idle["warm"] == 0 and idle["channels"] == 0 and idle["connections"] == 3, idle

        def cpu():
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        spent = cpu()
        time.sleep(2)
        assert cpu() - spent < 0.2
        assert len(os.listdir(f"/proc/{pid}/fd")) <= max(counts)
        # the remote host holds no connection for them any more: it answers as usual
        assert run(env, command, str(tmp_path)).stdout.strip() == "3"
    finally:
        _stop_brokers(runtime)
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.mark.parametrize("warm_says", ["A, then more", "A and more at once", "nothing"])
def test_a_warm_channel_that_speaks_before_a_hello_is_dropped(sshd_hosts, broker_env, tmp_path,
                                                             warm_says):
    """Hostile host socket: it accepts the client's channel ("A") and then sends bytes nobody
    asked for; the broker's warm channel to it then gets bytes after its "A", or with it, or
    never an "A".  That warm channel is closed (the silent one when its idle time is over),
    never handed out, and counts for nothing."""
    import threading
    home = tmp_path / "home"
    shutil.copytree(sshd_hosts.home, home)
    silent = warm_says == "nothing"     # closed after its idle time; the others at once
    env = dict(broker_env, HOME=str(home), PSHELL_SSH_CONFIG=str(home / ".ssh" / "config"),
               PSHELL_BROKER_WARM="2" if silent else "30")
    path = str(tmp_path / "fake.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    accepted = []
    ended = threading.Event()           # a warm channel the fake host holds was closed

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)
            conn.settimeout(30)
            try:
                while b"\n" not in conn.recv(4096):
                    pass
                # the first: the client's channel; the second: the warm one opened after it
                # (what comes later, as the first)
                warm = len(accepted) == 2
                if not warm or warm_says == "A, then more":
                    conn.sendall(b"A")
                    time.sleep(0.2)
                    conn.sendall(b"\x00\x00\x00\x05junk!")
                elif warm_says == "A and more at once":
                    conn.sendall(b"A\x00\x00\x00\x05junk!")
                if warm:
                    while conn.recv(4096):
                        pass
                    ended.set()
            except OSError:
                pass

    threading.Thread(target=serve, daemon=True).start()
    try:
        cache = home / ".cache" / "pshell"
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "sockets.json").write_text(json.dumps({"@server03:": path}))
        first = run(env, "Invoke-Command server03 { 'hi' }", str(tmp_path))
        assert "hi" not in first.stdout            # the fake host answered nonsense
        assert ended.wait(60 if silent else 20)     # the warm channel was opened, then closed
        now = wait_status(env, lambda s: s["channels"] == 0)
        assert now["warm"] == 0 and now["channels"] == 0 and now["warm_used"] == 0, now
        if silent:
            assert now["warm_opened"] == 0, now     # never ready: never counted as opened
        run(env, "Invoke-Command server03 { 'hi' }", str(tmp_path))
        assert status(env)["warm_used"] == 0
    finally:
        listener.close()
        for conn in accepted:
            conn.close()


def _sshd_tree(pid):
    """``pid`` and its descendants that are sshd processes (not the pshell host it may have
    started)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/comm") as fh:
                comm = fh.read().strip()
        except OSError:
            continue
        if comm.startswith("sshd"):
            found.append(current)
        out = subprocess.run(["pgrep", "-P", str(current)], capture_output=True, text=True)
        todo.extend(int(p) for p in out.stdout.split())
    return found


def test_a_held_connection_whose_server_stopped_answering_is_closed(sshd_hosts, tmp_path):
    """The broker's keepalives: a held connection whose server no longer answers (its sshd
    frozen) is closed after ServerAliveInterval x ServerAliveCountMax of silence, not kept for
    the persist time; the next request gets a new connection."""
    home = tmp_path / "home"
    shutil.copytree(sshd_hosts.home, home)
    config = home / ".ssh" / "config"
    config.write_text(config.read_text() +
                      "Host server02\n  ServerAliveInterval 1\n  ServerAliveCountMax 1\n")
    runtime = tempfile.mkdtemp(prefix="pb-", dir="/tmp")
    env = sshd_hosts.env(HOME=str(home), PSHELL_BROKER="1", PSHELL_BROKER_PERSIST="120",
                         PSHELL_BROKER_WARM="0", XDG_RUNTIME_DIR=runtime)
    frozen = []
    try:
        before = set(sshd_hosts.session_pids("server02"))
        assert "hi" in run(env, "Invoke-Command server02 { 'hi' }", str(tmp_path)).stdout
        (held,) = set(sshd_hosts.session_pids("server02")) - before
        (pid_file,) = _find(runtime, "pid")
        with open(pid_file) as fh:
            broker = int(fh.read())
        time.sleep(0.5)                 # the client's channel has ended on both sides
        descriptors = len(os.listdir(f"/proc/{broker}/fd"))
        frozen = _sshd_tree(held)
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(os.listdir(f"/proc/{broker}/fd")) >= descriptors:
            time.sleep(0.1)
        assert len(os.listdir(f"/proc/{broker}/fd")) < descriptors     # its socket was closed
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
        frozen = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and os.path.exists(f"/proc/{held}"):
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{held}")      # the server saw the connection end
        assert "hi" in run(env, "Invoke-Command server02 { 'hi' }", str(tmp_path)).stdout
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
        _stop_brokers(runtime)
        shutil.rmtree(runtime, ignore_errors=True)


def _memory_kb(pid):
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


def test_a_client_that_stops_reading_stops_the_channel_and_loses_nothing(broker_env, tmp_path):
    """Flow control: while a client reads nothing (its process stopped) the broker holds at
    most 4 MiB for it and stops reading the channel (the remote side waits) instead of holding
    the 200 MB coming; once the client reads again every byte arrives.  Input as large reaches
    the remote side whole."""
    assert "hi" in run(broker_env, "Invoke-Command server01 { 'hi' }", str(tmp_path)).stdout
    (pid_file,) = _find(broker_env["XDG_RUNTIME_DIR"], "pid")
    with open(pid_file) as fh:
        broker = int(fh.read())
    before = _memory_kb(broker)
    command = ("Invoke-Command server01 { $s = 'x' * 1000000; 1..200 | % { $s } } | "
               "Measure-Object -Property Length -Sum | % Sum")
    client = subprocess.Popen([sys.executable, "-m", "pshell", "-NoProfile", "-c", command],
                              env=broker_env, cwd=str(tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        os.kill(client.pid, signal.SIGSTOP)
        peak = before
        for _ in range(20):
            time.sleep(0.1)
            peak = max(peak, _memory_kb(broker))
    finally:
        os.kill(client.pid, signal.SIGCONT)
        out, err = client.communicate(timeout=120)
    assert out.strip() == "200000000", (out[-200:], err[-2000:])
    assert peak - before < 40_000, f"the broker grew by {peak - before} kB for a stopped client"
    sent = run(broker_env, "$b = 'y' * 30000000; Invoke-Command server01 { $using:b.Length }",
               str(tmp_path))                   # the other way: 30 MB to the remote side
    assert sent.stdout.strip() == "30000000", (sent.stdout[-200:], sent.stderr[-2000:])


def test_a_connection_that_sends_setenv_uses_warm_channels_and_the_session_sees_what_ssh_does(
        sshd_hosts, broker_env, tmp_path):
    """A warm channel's direct line carries the variables a login would be sent (SetEnv here):
    the host applies those sshd kept in a login, so a session over a warm channel sees what
    ``ssh host printenv`` sees (this sshd accepts none: nothing), and warm channels are used."""
    home = tmp_path / "home"
    shutil.copytree(sshd_hosts.home, home)
    config = home / ".ssh" / "config"
    config.write_text(config.read_text() + "Host server03\n  SetEnv PSHELL_T_A=one\n")
    env = dict(broker_env, HOME=str(home))
    theirs = subprocess.run(["ssh", "-F", str(config), "-o", "BatchMode=yes", "server03",
                             "printenv PSHELL_T_A; echo end"], env=env, capture_output=True,
                            text=True, timeout=60).stdout.split()
    seen = []
    for _ in range(4):
        out = run(env, "Invoke-Command server03 { \"[$env:PSHELL_T_A]\" }", str(tmp_path)).stdout
        seen.append(out.strip())
        time.sleep(0.5)             # a burst's refill comes 0.2 s after its last request
    now = status(env)
    assert now["served"] == 4 and now["warm_used"] >= 1, now
    want = "[" + "".join(theirs[:-1]) + "]"
    assert theirs[-1] == "end" and seen == [want] * 4, (theirs, seen)


def test_each_client_sends_its_own_values_of_sendenv_through_the_broker(sshd_hosts, broker_env):
    """SendEnv's values come from the requesting client's environment, not the broker's (the
    one of whichever pshell started it): two clients with different values of a variable each
    see their own in the session, as ``ssh host printenv`` shows for each, and a client whose
    values are those of the warm channels still gets warm channels."""
    from conftest import own_sshd, stop_host_in
    root = tempfile.mkdtemp(prefix="benv-", dir="/tmp")        # short: the host's socket fits
    addr = "127.0.0.76"
    proc = own_sshd(sshd_hosts, root, addr, extra="AcceptEnv PSHELL_T_*")
    config = os.path.join(root, "config")
    common = open(os.path.join(sshd_hosts.home, ".ssh", "config")).read()
    with open(config, "w") as fh:
        fh.write(f"Host withenv\n  HostName {addr}\n  SendEnv PSHELL_T_S\n" + common)
    base = dict(broker_env, PSHELL_SSH_CONFIG=config)
    base.pop("SSH_AUTH_SOCK", None)
    envs = {"one": dict(base, PSHELL_T_S="one"), "two": dict(base, PSHELL_T_S="two")}
    try:
        theirs, ours = [], []
        for who in ("one", "one", "one", "two", "two", "one"):
            env = envs[who]
            out = subprocess.run(["ssh", "-F", config, "-o", "BatchMode=yes", "withenv",
                                  "printenv PSHELL_T_S; echo end"], env=env, capture_output=True,
                                 text=True, timeout=60, stdin=subprocess.DEVNULL).stdout.split()
            theirs.append("[" + "".join(out[:-1]) + "]" if out[-1:] == ["end"] else out)
            got = run(env, "Invoke-Command withenv { \"[$env:PSHELL_T_S]\" }", root)
            ours.append(got.stdout.strip() or got.stderr[-500:])
            time.sleep(0.5)         # a burst's refill comes 0.2 s after its last request
        assert theirs == ["[one]"] * 3 + ["[two]"] * 2 + ["[one]"], theirs
        assert ours == theirs
        now = status(base)
        # one's second and third, two's second and one's last came on warm channels
        assert now["served"] == 6 and now["warm_used"] >= 3, now
    finally:
        stop_host_in(os.path.join(root, "rhome", ".local", "state", "pshell"))
        proc.terminate()
        proc.wait(5)
        shutil.rmtree(root, ignore_errors=True)
