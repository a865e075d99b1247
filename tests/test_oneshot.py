"""Temporary sessions (``once`` in the hello: remote/oneshot.py) served by a real supervisor
without sshd: a relay started as a local child starts the supervisor, then each session is a
connection straight to its socket, as sshd's direct-streamlocal channel makes it."""

from __future__ import annotations

import glob
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

from pshell.remote.framing import FrameDecoder, encode_frame
from pshell.remote.protocol import PROTOCOL_VERSION


@pytest.fixture
def supervisor(tmp_path, monkeypatch):
    """The socket path of a supervisor keeping its state in tmp_path/state."""
    state = tmp_path / "state"
    monkeypatch.setenv("PSHELL_STATE_DIR", str(state))
    monkeypatch.setenv("PSHELL_HOST_LINGER", "30")
    relay = subprocess.Popen([sys.executable, "-m", "pshell.remote.server"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
    assert relay.stdin is not None and relay.stdout is not None
    relay.stdin.write(encode_frame({"t": "hello", "v": PROTOCOL_VERSION}))
    relay.stdin.flush()
    answers = FrameDecoder().feed(relay.stdout.read1(1 << 16))
    relay.stdin.close()
    relay.wait(30)
    yield answers[0]["sock"], state
    try:
        with open(state / "run" / "host.pid") as fh:
            os.kill(json.load(fh)["pid"], signal.SIGKILL)
    except (OSError, ValueError, KeyError):
        pass


class Once:
    """A temporary session on a direct connection to the supervisor's socket."""

    def __init__(self, sock_path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(sock_path)
        self.sock.sendall(b'{"direct": 1, "ssh": "127.0.0.9 40000 127.0.0.1 22"}\n')
        assert self.sock.recv(1) == b"A"
        self.decoder = FrameDecoder()
        self.pending: list = []

    def send(self, *msgs: dict) -> None:
        self.sock.sendall(b"".join(encode_frame(m) for m in msgs))

    def open(self, script: str = "", inv_id: int = 1) -> None:
        self.send({"t": "hello", "v": PROTOCOL_VERSION, "session": "", "name": "", "new": True,
                   "token": "", "once": True}, {"t": "create", "rs": 0})
        if script:
            self.invoke(script, inv_id)

    def invoke(self, script: str, inv_id: int = 1) -> None:
        self.send({"t": "invoke", "id": inv_id, "rs": 0, "script": script, "args": [],
                   "using": {}, "input": None, "source": "<test>"})

    def until(self, kind: str, timeout: float = 60, inv_id=None) -> list:
        """Messages up to the first of ``kind`` (for ``inv_id``), that one included."""
        got: list = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while self.pending:
                msg = self.pending.pop(0)
                got.append(msg)
                if msg.get("t") == kind and (inv_id is None or msg.get("id") == inv_id):
                    return got
            ready, _, _ = select.select([self.sock], [], [], 0.5)
            if ready:
                data = self.sock.recv(1 << 16)
                if not data:
                    break
                self.pending += self.decoder.feed(data)
        raise AssertionError(f"no {kind!r} within {timeout}s; got {got}")

    def close(self) -> None:
        try:
            self.send({"t": "close", "id": 99})
        except OSError:
            pass
        self.sock.close()


def test_a_spares_warm_up_writes_nothing_in_the_event_log(tmp_path, monkeypatch):
    from pshell.remote.oneshot import warm_up
    from pshell.remote.server import _default_runspace
    monkeypatch.setenv("PSHELL_STATE_DIR", str(tmp_path))
    warm_up()
    assert not (tmp_path / "pshell.log").exists()
    _default_runspace()
    assert (tmp_path / "pshell.log").read_text().count("HostName=RemoteSession") == 1


def test_each_temporary_session_is_one_event_log_entry(supervisor):
    sock_path, state = supervisor
    pids = []
    for _ in range(4):
        once = Once(sock_path)
        once.open("$PID")
        pids.append(once.until("done")[-1]["o"][0])
        once.close()
        time.sleep(0.4)         # spares are forked (and warmed up) between them
    assert len(set(pids)) == 4
    lines = [ln for ln in (state / "pshell.log").read_text().splitlines() if "RemoteSession" in ln]
    assert sorted(int(ln.split("pshell[")[1].split("]")[0]) for ln in lines) == sorted(pids)


def test_a_short_invocations_output_travels_in_its_done(supervisor):
    once = Once(supervisor[0])
    once.open("1; 'two'")
    got = once.until("done")
    assert [m["t"] for m in got] == ["hello", "created", "done"], got
    assert got[-1]["ok"] and got[-1]["o"] == [1, "two"]
    once.close()


def test_a_long_invocations_output_comes_before_its_end_and_stop_ends_it(supervisor):
    """The invocation runs in the process's main thread: once it lasts, a helper reads the
    connection (``stop`` is heard) and batches are sent without waiting for ``done``."""
    once = Once(supervisor[0])
    once.open("'first'; Start-Sleep -Seconds 60; 'never'")
    got = once.until("out")
    assert bytes(got[-1]["_bin"]) == b"first", got
    once.send({"t": "stop", "id": 1})
    done = once.until("done")[-1]
    assert done.get("stopped") and "o" not in done, done
    once.invoke("'after the stop'", 2)          # the session still serves its connection
    assert once.until("done", inv_id=2)[-1]["o"] == ["after the stop"]
    once.close()


def test_a_dropped_connection_ends_a_running_invocation_and_its_native_child(supervisor, tmp_path):
    marker = f"sleep 3{os.getpid() % 100:02d}9"
    once = Once(supervisor[0])
    once.open(f"$PID; /bin/{marker}")
    pid = once.until("out")[-1]["o"][0]
    running = lambda: os.popen(f"pgrep -x -f '{marker}'").read().strip()   # noqa: E731
    deadline = time.monotonic() + 60
    while not running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running()
    once.sock.close()                           # no close: the channel just drops
    deadline = time.monotonic() + 60
    while (running() or os.path.exists(f"/proc/{pid}")) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = running()
    for child in left.split():                  # never leave it behind, even when failing
        os.kill(int(child), signal.SIGKILL)
    assert not left and not os.path.exists(f"/proc/{pid}")


def test_stop_for_an_invocation_queued_behind_a_running_one(supervisor, tmp_path):
    go = tmp_path / "go"
    once = Once(supervisor[0])
    # the first runs until the test lets it end: the second is queued behind it for sure
    once.open(f"while (-not (Test-Path '{go}')) {{ Start-Sleep -Milliseconds 20 }}; 'one'")
    once.invoke("'two'", 2)
    once.send({"t": "stop", "id": 2}, {"t": "receive", "id": 3})
    # the helper reads while the first runs and takes messages in order: once it has answered
    # ``receive``, it has heard the stop too
    got = once.until("pending", inv_id=3)
    go.write_text("")
    got += once.until("done", inv_id=2)
    if not any(m["t"] == "done" and m.get("id") == 1 for m in got):
        got += once.until("done", inv_id=1)
    dones = {m["id"]: m for m in got if m["t"] == "done"}
    assert dones[1]["o"] == ["one"], got
    assert dones[2].get("stopped") and "o" not in dones[2], got
    once.close()


def test_taking_a_logins_environment_leaves_exactly_it(tmp_path):
    """Only what differs is changed, yet os.environ and what a native command inherits are
    the login's exactly: names gone, values changed, bytes that are not UTF-8."""
    probe = tmp_path / "probe.py"
    probe.write_text("""
import os, subprocess, sys
from pshell.remote.session_process import take_environment
os.environb[b"PSHELL_T_GONE"] = b"x"
os.environb[b"PSHELL_T_SAME"] = b"same"
os.environb[b"PSHELL_T_CHANGED"] = b"old"
login = {k: v for k, v in os.environb.items() if k not in (b"HOME", b"PSHELL_T_GONE")}
login.update({b"PSHELL_T_CHANGED": b"new", b"PSHELL_T_NEW": b"\\xff not utf-8 =x",
              b"HOME": b"/nonexistent/h"})
take_environment(login)
assert dict(os.environb) == login
seen = subprocess.run(["/usr/bin/env", "-0"], capture_output=True, check=True).stdout
assert dict(e.split(b"=", 1) for e in seen.split(b"\\0") if e) == login
""")
    subprocess.run([sys.executable, str(probe)], check=True, cwd=os.getcwd(),
                   env=dict(os.environ, PYTHONPATH=os.getcwd()))


def test_a_temporary_session_is_neither_listed_nor_found_by_others(supervisor):
    """Its process reads no control message: asking it (Get-PSSession, Remove-PSSession,
    Connect-PSSession by its name) waited for an answer that never came (10 s each)."""
    sock_path, _ = supervisor
    once = Once(sock_path)
    once.open("'started'; Start-Sleep -Seconds 8; 'finished'")
    once.until("out")
    other = Once(sock_path)
    other.send({"t": "list", "id": 7})
    assert other.until("sessions")[-1]["sessions"] == []
    other.send({"t": "hello", "v": PROTOCOL_VERSION, "attach": "Session1", "token": "",
                "force": True, "resume": {}})
    assert "There is no session 'Session1'" in other.until("hello")[-1]["error"]
    other.send({"t": "remove", "id": 8, "session": "Session1", "force": True})
    assert "There is no session" in other.until("removed")[-1]["error"]
    other.close()
    ready, _, _ = select.select([once.sock], [], [], 0)
    assert not ready, "the temporary session's invocation ended before the answers came"
    once.close()


def test_the_supervisors_start_brings_back_only_sessions_found_on_disk(tmp_path):
    """A hello that comes while the supervisor starts creates its session, then waits for the
    engine to be loaded; the start (prewarm) then brought back every session without a process
    - that one too, as a full session without its connection: a temporary session that
    outlived its connection (found by the dropped-connection test, once in four runs)."""
    probe = tmp_path / "probe.py"
    probe.write_text("""
import os, sys
from pshell.remote.supervisor import Supervisor
sup = Supervisor()
child, error = sup.create("", "", None, dict(os.environb), 0o22)
child.once = True
try:
    sup.prewarm()
    print("started" if child.pid is not None else "left alone")
finally:
    for pid in [p for p, _ in sup.spares] + [child.pid]:
        if pid:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
""")
    out = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=os.getcwd(),
                                  PSHELL_STATE_DIR=str(tmp_path / "state")))
    assert out.stdout.strip() == "left alone", (out.stdout, out.stderr)


def test_a_slow_warm_up_does_not_end_its_spare(tmp_path):
    """A warm-up is served like a temporary session, close included: with the timer armed, an
    invocation slower than HELPER_AFTER (a loaded machine) gave its close to a helper thread,
    which ended the spare process."""
    probe = tmp_path / "probe.py"
    probe.write_text("""
import pshell.remote.oneshot as oneshot
oneshot.HELPER_AFTER = 1e-6
oneshot.warm_up()
print("still here")
""")
    out = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=os.getcwd(),
                                  PSHELL_STATE_DIR=str(tmp_path / "state")))
    assert out.stdout.strip() == "still here", (out.stdout, out.stderr)


def test_a_hello_with_odd_values_still_gets_its_session(supervisor):
    """What the client's hello holds crosses to the spare with its start: bytes (a hello sent
    as a binary frame), a lone surrogate, a deep nesting, a huge number all arrive, and the
    session answers (a binary hello lost its spare and its connection without a word)."""
    sock_path, state = supervisor
    first = Once(sock_path)         # the supervisor's first burst forks; spares come after it
    first.open("$PID")
    first.until("done")
    first.close()
    odd: object = "\udcff"
    for _ in range(300):
        odd = [odd]
    for extra in ({"_bin": b"\x00\xff raw"}, {"x": odd, "n": 10 ** 60, "f": 1e308}):
        spare_waits(state)
        once = Once(sock_path)
        hello = {"t": "hello", "v": PROTOCOL_VERSION, "session": "", "name": "", "new": True,
                 "token": "", "once": True, **extra}
        once.sock.sendall(encode_frame(hello))
        once.send({"t": "create", "rs": 0})
        once.invoke("1 + 1")
        got = once.until("done")
        assert got[0]["t"] == "hello" and not got[0].get("error"), got
        assert got[-1]["o"] == [2], got
        once.close()


def test_an_attach_sent_as_a_binary_frame_reaches_its_session(supervisor):
    """The hello is handed to the session's process as JSON: a binary frame's bytes ended the
    supervisor's thread (TypeError) and the connection without a word."""
    sock_path, _ = supervisor
    name = f"keep-{os.getpid()}"
    first = Once(sock_path)
    first.send({"t": "hello", "v": PROTOCOL_VERSION, "session": "", "name": name, "new": True,
                "token": "t"}, {"t": "create", "rs": 0})
    first.until("created")
    first.sock.close()          # dropped: a named session waits for its client
    again = Once(sock_path)
    again.sock.sendall(encode_frame({"t": "hello", "v": PROTOCOL_VERSION, "attach": name,
                                     "token": "t", "force": True, "resume": {},
                                     "_bin": b"\x00 raw"}))
    answer = again.until("hello")[-1]
    assert answer.get("attached") and not answer.get("error"), answer
    again.close()               # ends the session


def spare_waits(state) -> None:
    """Return once the supervisor has a spare process waiting (a child that serves no session)."""
    with open(state / "run" / "host.pid") as fh:
        supervisor = json.load(fh)["pid"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for path in glob.glob(f"/proc/{supervisor}/task/*/children"):
            with open(path) as fh:
                if fh.read().split():
                    time.sleep(0.3)         # its warm-up
                    return
        time.sleep(0.05)
    raise AssertionError("no spare session process within 60 s")
