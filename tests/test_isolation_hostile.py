"""Hostile input to the per-user supervisor (issue 10), without sshd: what a relay sends after
its first line (the login's environment and umask), a direct line's ``ssh`` field, and garbage
on the supervisor's socket from a process of the same user.  Each is refused or made harmless;
the supervisor and the sessions it already has go on."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
import time

import pytest

from pshell.remote.client import RemoteConnection
from pshell.remote.framing import FrameDecoder, encode_frame
from pshell.remote.protocol import PROTOCOL_VERSION


@pytest.fixture
def state(tmp_path, monkeypatch):
    path = tmp_path / "state"
    monkeypatch.setenv("PSHELL_STATE_DIR", str(path))
    monkeypatch.setenv("PSHELL_HOST_LINGER", "30")
    yield path
    try:
        with open(path / "run" / "host.pid") as fh:
            os.kill(json.load(fh)["pid"], signal.SIGKILL)
    except (OSError, ValueError, KeyError):
        pass


@pytest.fixture
def keeper(state):
    """A session made the ordinary way (a real relay): it must never notice the others."""
    from pshell.transport.process import ProcessLink
    link = ProcessLink([sys.executable, "-m", "pshell.remote.server"], env=dict(os.environ))
    conn = RemoteConnection(link, "localhost")
    link.attach(conn)
    rs = conn.open("", "keeper", 0, 30, None, "t")
    pid = rs.invoke("$PID")[0]
    yield conn, rs, pid
    conn.drop("done")


def still_fine(keeper) -> None:
    conn, rs, pid = keeper
    assert rs.invoke("$PID") == [pid]
    assert conn.broken is None


class Raw:
    """A hand-made relay: the channel is two pipes, the first line and what follows are ours."""

    def __init__(self, sock_path: str, line: bytes, after: bytes = b"", fds: bool = True,
                 shut: bool = False, wait: float = 30) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(sock_path)
        self.sock.settimeout(wait)
        self.timed_out = False
        self.c2h = os.pipe()
        self.h2c = os.pipe()
        if fds:
            socket.send_fds(self.sock, [line], [self.c2h[0], self.h2c[1]])
        else:
            self.sock.sendall(line)
        os.close(self.c2h[0])
        os.close(self.h2c[1])
        if after:
            try:
                self.sock.sendall(after)
            except OSError:
                pass
        if shut:                        # the relay goes away: nothing more will come
            self.sock.shutdown(socket.SHUT_WR)
        try:
            self.answer = self.sock.recv(1)
        except socket.timeout:
            self.answer, self.timed_out = b"", True
        except OSError:
            self.answer = b""
        self.decoder = FrameDecoder()

    def ask(self, *msgs: dict, want: int) -> list:
        for msg in msgs:
            os.write(self.c2h[1], encode_frame(msg))
        got: list = []
        deadline = time.monotonic() + 30
        while len(got) < want and time.monotonic() < deadline:
            ready, _, _ = select.select([self.h2c[0]], [], [], 1)
            if ready:
                data = os.read(self.h2c[0], 1 << 16)
                if not data:
                    break
                got += self.decoder.feed(data)
        return got

    def session_env(self, name: str, script: str = "") -> list:
        answers = self.ask({"t": "hello", "v": PROTOCOL_VERSION, "session": "", "name": name,
                            "new": True, "token": "t"}, {"t": "create", "rs": 0}, want=2)
        assert [a.get("t") for a in answers] == ["hello", "created"], answers
        assert not answers[0].get("error") and not answers[1].get("error"), answers
        script = script or ("(Get-ChildItem env: | ForEach-Object { $_.Name + '=' + $_.Value })"
                            " -join '|'; $PID")
        done = [m for m in self.ask({"t": "invoke", "id": 1, "rs": 0, "script": script,
                                     "args": [], "source": "t"}, want=1)
                if m.get("t") == "done"]
        assert done and done[0].get("ok"), done
        return done[0].get("o") or []

    def close(self) -> None:
        for fd in (self.c2h[1], self.h2c[0]):
            try:
                os.close(fd)
            except OSError:
                pass
        self.sock.close()


def sock_path(keeper) -> str:
    return keeper[0].server_info["sock"]


def line(**fields) -> bytes:
    return json.dumps(dict({"pid": os.getpid(), "ssh": "", "umask": 0o022}, **fields)).encode() + b"\n"


# --------------------------------------------------------------------------- the environment blob

def test_an_environment_with_entries_without_equals_invalid_names_and_no_nul(keeper):
    blob = (b"GOOD=1\0NOEQUALS\0=nameless\0\xff\xfeBAD=x\0A=b=c\0" + b"X" * 5000)
    raw = Raw(sock_path(keeper), line(env=len(blob)), blob)
    try:
        assert raw.answer == b"A"
        env_text, pid = raw.session_env("hostile-env")
    finally:
        raw.close()
    entries = env_text.split("|")
    assert "GOOD=1" in entries and "A=b=c" in entries
    assert not any(e.startswith("NOEQUALS") or e.startswith("=") for e in entries)
    assert not any(e.startswith("X" * 10) for e in entries)    # the last entry has no "="
    assert pid != keeper[2]
    still_fine(keeper)


def test_an_environment_at_the_size_limit_arrives_whole(keeper):
    """1 MiB: more than one packet of the control socket to a spare session process."""
    blob = b"SMALL=s\0BIG=" + b"v" * ((1 << 20) - 20)
    raw = Raw(sock_path(keeper), line(env=len(blob)), blob)
    try:
        assert raw.answer == b"A"
        out = raw.session_env("big-env", "$env:BIG.Length; $env:SMALL")
    finally:
        raw.close()
    assert out == [(1 << 20) - 20, "s"]
    still_fine(keeper)


@pytest.mark.parametrize("size", [1 << 40, -5, "lots", 2.5, None])
def test_an_absurd_or_malformed_environment_size_is_ignored(keeper, size):
    """A size over the limit (or not a count) means no environment: the session gets the
    template; nothing is read or allocated for it."""
    raw = Raw(sock_path(keeper), line(env=size), b"Z=1\0" * 10)
    try:
        assert raw.answer == b"A"
        env_text, _ = raw.session_env(f"odd-size-{abs(hash(str(size)))}")
    finally:
        raw.close()
    assert "Z=1" not in env_text.split("|")
    still_fine(keeper)


def test_an_environment_cut_short_is_refused(keeper):
    # then the relay goes away (before, it went away only after the host had given up waiting
    # for the rest, 20 s later: the end of the stream was not what the test saw refused)
    raw = Raw(sock_path(keeper), line(env=100000), b"A=1\0", shut=True)
    raw.close()
    assert raw.answer == b"" and not raw.timed_out      # not taken: closed without the "A"
    still_fine(keeper)


def test_an_environment_that_stops_coming_is_refused(keeper):
    """The relay sends part of the environment and then nothing, without going away: the host
    stops waiting (after 20 s) and closes without the "A"; it does not wait for ever."""
    raw = Raw(sock_path(keeper), line(env=100000), b"A=1\0", wait=120)
    raw.close()
    assert raw.answer == b"" and not raw.timed_out
    still_fine(keeper)


# --------------------------------------------------------------------------- the direct line

@pytest.mark.parametrize("ssh", [
    "1.2.3.4 5 6.7.8.9 22; touch /tmp/pwned",
    "1.2.3.4 5 6.7.8.9 $(reboot)",
    "a" * 100000,
    "1.2.3.4 5 6.7.8.9 22\nLD_PRELOAD=/tmp/x.so",
    ["1.2.3.4", 5],
    {"x": 1},
    12,
    "\udcff 1 2 3",
    "1.2.3.4 \u0665 \u00e9\u00e9 22",        # digits and letters, but not ASCII ones
])
def test_a_direct_lines_ssh_field_is_checked(keeper, ssh):
    raw = Raw(sock_path(keeper), json.dumps({"direct": 1, "ssh": ssh}).encode() + b"\n",
              fds=False)
    try:
        if raw.answer != b"A":          # too long for the first line: refused outright
            assert isinstance(ssh, str) and len(ssh) > 4000
            return
        # a direct connection speaks the protocol on the socket itself
        raw.sock.sendall(encode_frame({"t": "hello", "v": PROTOCOL_VERSION, "session": "",
                                       "name": "", "new": True, "token": "t"})
                         + encode_frame({"t": "create", "rs": 0})
                         + encode_frame({"t": "invoke", "id": 1, "rs": 0, "args": [],
                                         "source": "t", "script":
                                         "\"[$env:SSH_CONNECTION][$env:LD_PRELOAD]\""}))
        decoder = FrameDecoder()
        got: list = []
        deadline = time.monotonic() + 30
        while not any(m.get("t") == "done" for m in got) and time.monotonic() < deadline:
            data = raw.sock.recv(1 << 16)
            if not data:
                break
            got += decoder.feed(data)
    finally:
        raw.close()
    done = [m for m in got if m.get("t") == "done"]
    assert done and done[0]["o"] == ["[][]"], got     # nothing of it reached the session
    assert not os.path.exists("/tmp/pwned")
    still_fine(keeper)


@pytest.mark.parametrize("pad", [0, 1])
def test_requests_in_the_same_write_as_a_padded_direct_line(keeper, pad):
    """A client's first contact over a direct channel sends the direct line padded to the
    host's first read (FIRST_LINE_READ) and its requests behind it in the same write: the host
    reads the line and nothing more, so the session gets every request.  A line one byte longer
    than that read leaves its end in the channel, where it is no frame: the connection ends and
    nothing of what follows runs."""
    from pshell.transport.ssh import FIRST_LINE_READ
    direct = json.dumps({"direct": 1, "ssh": "10.1.2.3 4 10.5.6.7 22"}).encode()
    direct = direct.ljust(FIRST_LINE_READ - 1 + pad) + b"\n"
    requests = (encode_frame({"t": "hello", "v": PROTOCOL_VERSION, "session": "", "name": "",
                              "new": True, "token": "t"})
                + encode_frame({"t": "create", "rs": 0})
                + encode_frame({"t": "invoke", "id": 1, "rs": 0, "args": [], "source": "t",
                                "script": "\"[$env:SSH_CONNECTION]\""}))
    raw = Raw(sock_path(keeper), direct + requests, fds=False)
    got: list = []
    try:
        if raw.answer == b"A":
            decoder = FrameDecoder()
            deadline = time.monotonic() + 30
            while not any(m.get("t") == "done" for m in got) and time.monotonic() < deadline:
                try:
                    data = raw.sock.recv(1 << 16)
                except OSError:         # dropped with the rest unread: a reset
                    break
                if not data:
                    break
                got += decoder.feed(data)
    finally:
        raw.close()
    done = [m for m in got if m.get("t") == "done"]
    if pad:
        assert not done and "created" not in [m.get("t") for m in got], got
    else:
        assert [m.get("t") for m in got][:2] == ["hello", "created"], got
        assert done and done[0]["o"] == ["[10.1.2.3 4 10.5.6.7 22]"], got
    still_fine(keeper)


# --------------------------------------------------------------------------- garbage on the socket

@pytest.mark.parametrize("garbage", [
    b"\xff\xfe\x00garbage\n",
    b"[1, 2, 3]\n",
    b"null\n",
    b"{\"direct\": 1" + b" " * 10000,            # no end of line within the limit
    b"\x00\x00\x00\x10" + b"\xff" * 16,
    b"",
])
def test_garbage_on_the_supervisors_socket_is_refused(keeper, garbage):
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(sock_path(keeper))
    sock.settimeout(30)
    try:
        if garbage:
            sock.sendall(garbage)
        sock.shutdown(socket.SHUT_WR)
        answer = sock.recv(64)
    except OSError:
        answer = b""
    finally:
        sock.close()
    assert answer == b""                    # closed without taking anything
    still_fine(keeper)


def test_three_descriptors_or_a_frame_without_a_hello_are_refused(keeper):
    r, w = os.pipe()
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(sock_path(keeper))
    sock.settimeout(30)
    socket.send_fds(sock, [line()], [r, w, r])
    try:
        answer = sock.recv(1)
    except OSError:
        answer = b""
    sock.close()
    os.close(r)
    os.close(w)
    assert answer == b""
    # a taken channel whose first frame is garbage: the connection ends, nothing else does
    raw = Raw(sock_path(keeper), line())
    assert raw.answer == b"A"
    os.write(raw.c2h[1], b"\x00\x00\x00\x05hello")
    os.close(raw.c2h[1])
    ready, _, _ = select.select([raw.h2c[0]], [], [], 30)
    assert ready and os.read(raw.h2c[0], 1 << 16) == b""
    raw.close()
    still_fine(keeper)
