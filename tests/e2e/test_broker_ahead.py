"""A starting broker meets its first clients while it imports asyncssh
(transport/broker_ahead.py), against real sshd: the clients of a fan-out that started it get
their TCP connections made meanwhile and their sessions run over them; hostile clients arriving
then (another user, garbage, a line too long or never ended, one gone at once, one sending in
two slow parts) get the answers they get from a running broker, and the broker goes on."""

from __future__ import annotations

import json
import os
import pwd
import socket
import subprocess
import sys
import time


from conftest import find_named as _find, needs_cli
from test_broker import run

pytestmark = needs_cli

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _status(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(path)
        sock.sendall(b'{"v": 1, "status": true}\n')
        return json.loads(_read_all(sock).split(b"\n")[0])


def _read_all(sock):
    answer = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:        # closed with some of a long line unread
            return answer
        if not chunk:
            return answer
        answer += chunk


def _answer(sock):
    return json.loads(_read_all(sock).split(b"\n")[0])


def _tcp(pid):
    """(local port, remote address) of each TCP connection (IPv4) process ``pid`` holds."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    with open("/proc/net/tcp") as fh:
        for line in fh.readlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                remote = socket.inet_ntoa(bytes.fromhex(fields[2].split(":")[0])[::-1])
                found.add((int(fields[1].split(":")[1], 16), remote))
    return found


def test_a_fan_out_that_starts_the_broker_runs_over_connections_made_while_it_loads(
        broker_env, tmp_path):
    done = run(broker_env, "Invoke-Command server01,server02 { $env:SSH_CONNECTION } | Sort-Object",
               str(tmp_path))
    seen = done.stdout.split("\n")[:2]
    assert len(seen) == 2 and all(len(line.split()) == 4 for line in seen), done.stderr
    (path,) = _find(broker_env["XDG_RUNTIME_DIR"], "sock")
    status = _status(path)
    # both requests came while the broker loaded asyncssh, and the connections made meanwhile
    # (one after the other: both, unless the import ended first) were taken by their handshakes
    assert status["early"] == 2 and status["connections"] == 2, status
    assert 1 <= status["ahead_taken"] <= 2, status
    with open(os.path.join(os.path.dirname(path), "pid")) as fh:
        pid = int(fh.read())
    # sshd names the client's port of each login: the broker's connections
    assert {int(line.split()[1]) for line in seen} <= {port for port, _ in _tcp(pid)}
    # and nothing else changed: the next process is served on the held connections
    again = run(broker_env, "Invoke-Command server01,server02 { 'hi' }", str(tmp_path))
    assert again.stdout.split() == ["hi", "hi"], again.stderr
    assert _status(path)["connections"] == 2


def _other_user_client(path, line):
    """A process of another user (nobody) that sends ``line`` to the socket at ``path`` as soon
    as it can reach it; (pid, the pipe on which it says what it got back)."""
    entry = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_end)
        return pid, read_end
    try:                            # the child: nothing but system calls, then _exit
        os.close(read_end)
        os.setgroups([])
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:                    # the test opens the directories to us once they exist
                sock.connect(path)
                break
            except OSError:
                sock.close()
                time.sleep(0.001)
        sock.settimeout(30)
        sock.sendall(line)
        os.write(write_end, repr(_read_all(sock)).encode())
    except BaseException as exc:
        os.write(write_end, repr(exc).encode())
    finally:
        os._exit(0)


def test_hostile_clients_while_the_broker_starts_get_todays_answers(broker_env, sshd_hosts,
                                                                    tmp_path):
    # the broker's directory as a client works it out, the broker started there by hand so that
    # the clients below wait on its socket while it loads asyncssh
    directory = subprocess.run(
        [sys.executable, "-c", "from pshell.client import broker; print(broker.broker_dir())"],
        env=broker_env, cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    path = os.path.join(directory, "sock")
    good = json.dumps({"v": 1, "host": "server01", "subsystem": "pshell", "env": {}}) + "\n"
    other = None
    if os.getuid() == 0:
        # another user's process (nobody): the directory and socket are opened to it below, as
        # a mistaken chmod would; the broker's uid check is what refuses it
        other = _other_user_client(path, json.dumps({"v": 1, "host": "server03"}).encode() + b"\n")
    env = dict(broker_env, PYTHONPATH=REPO)
    log = open(os.path.join(directory, "broker.log"), "ab")
    broker = subprocess.Popen([sys.executable, "-m", "pshell.transport.broker_server", directory,
                               "30"], env=env, cwd="/", stdout=log, stderr=log)
    log.close()
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.001)
        if other is not None:
            part = directory
            while True:
                os.chmod(part, 0o711)
                if part == broker_env["XDG_RUNTIME_DIR"]:
                    break
                part = os.path.dirname(part)
            os.chmod(path, 0o666)

        def client():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(30)
            sock.connect(path)
            return sock
        garbage, long_line, gone, slow, endless, unended, version, status_early = (
            client() for _ in range(8))
        garbage.sendall(b"garbage\n")
        version.sendall(b'{"v": 2, "host": "server01"}\n')
        status_early.sendall(b'{"v": 1, "status": true}\n')
        try:
            long_line.sendall(b"x" * 200000 + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass                # the broker answered and closed before the line's end
        gone.close()
        slow.sendall(good[:20].encode())
        endless.sendall(good[:30].encode())         # and nothing more while the others go on
        unended.sendall(b'{"v": 1, "host": "server01"')
        unended.shutdown(socket.SHUT_WR)
        time.sleep(0.3)                             # longer than a line is looked for
        slow.sendall(good[20:].encode())
        assert "not JSON" in _answer(garbage)["error"]
        assert "at most" in _answer(long_line)["error"]
        assert "one line" in _answer(unended)["error"]
        assert "version 1" in _answer(version)["error"]
        assert _answer(status_early)["ok"] is True
        first = slow.recv(65536).split(b"\n")[0]
        assert json.loads(first)["ok"] is True, first      # the channel is open: served
        slow.close()
        status = _status(path)
        assert status["clients"] >= 1                      # the endless one still waits
        if other is not None:
            pid, said = other
            with os.fdopen(said, "rb") as fh:
                assert fh.read() == b"b''"                 # closed without a word
            os.waitpid(pid, 0)
            other = None
            # and nothing was done for it: no connection to the host it named
            assert sshd_hosts.addresses["server03"] not in {addr for _, addr in _tcp(broker.pid)}
        # all of them met by the thread (a status request is the loop's)
        assert status["early"] == 8 + (os.getuid() == 0), status
        endless.close()
        for sock in (garbage, long_line, unended, version, status_early):
            sock.close()
        # the broker goes on: a fresh process is served by it
        done = run(broker_env, "Invoke-Command server01 { 'hi' }", str(tmp_path))
        assert done.stdout.split() == ["hi"], done.stderr
        assert broker.poll() is None
        with open(os.path.join(directory, "broker.log")) as fh:
            assert "Traceback" not in fh.read()
    finally:
        broker.terminate()
        broker.wait(30)
        if other is not None:
            os.kill(other[0], 9)
            os.waitpid(other[0], 0)
            os.close(other[1])
