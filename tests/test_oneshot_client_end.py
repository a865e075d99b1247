"""The client's end of a temporary session (remote/client.py ``RemoteConnection.close``): a session
the host said ends with its connection (``once``, ``persistent`` false) is ended by closing the
link, without a ``close`` message (which cost a message and its answer on every hop of each
computer of a fan-out); its process on the far side still ends.  A session that outlives its
connection still gets its ``close``.  Against a real supervisor (no sshd: the connection goes
straight to its socket, as sshd's direct-streamlocal channel does)."""

from __future__ import annotations

import socket
import time

import pytest

from pshell.client.broker import BrokerLink
from pshell.remote.client import RemoteConnection
from pshell.remote.framing import FrameDecoder
from test_oneshot import supervisor  # noqa: F401 (a fixture: a real supervisor)


@pytest.fixture
def host_socket(supervisor):  # noqa: F811 (the fixture imported above)
    return supervisor[0]


class _Recorded(BrokerLink):
    """A link that keeps the types of the messages it sent."""

    def __init__(self, sock):
        super().__init__(sock, "here", "")
        self.sent = []
        self._decoder = FrameDecoder()

    def send(self, data):
        self.sent += [m["t"] for m in self._decoder.feed(data)]
        super().send(data)


def _connect(path):
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(path)
    sock.sendall(b'{"direct": 1, "ssh": "127.0.0.9 40000 127.0.0.1 22"}\n')
    assert sock.recv(1) == b"A"
    link = _Recorded(sock)
    conn = RemoteConnection(link, "here")
    link.attach(conn, b"", reader=True)
    return conn, link


def _gone(pid, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_a_temporary_session_ends_with_its_link_and_sends_no_close(host_socket):
    conn, link = _connect(host_socket)
    pending = conn.open_send("", "", 0, None, "", once=True)
    inv = conn.start(0, "$PID; 'a' * 3")
    conn.open_wait(pending, 30)
    assert conn.server_info.get("persistent") is False
    pid, text = list(inv)
    assert text == "aaa"
    conn.close()
    assert link.sent == ["hello", "create", "invoke"]
    assert _gone(int(pid)), "the temporary session's process outlived its connection"


def test_a_temporary_session_closed_while_it_runs_stops_there(host_socket, tmp_path):
    mark = tmp_path / "never"
    conn, link = _connect(host_socket)
    pending = conn.open_send("", "", 0, None, "", once=True)
    inv = conn.start(0, f"$PID; Start-Sleep -Seconds 3; Set-Content '{mark}' x")
    conn.open_wait(pending, 30)
    pid = next(iter(inv))
    conn.close()
    assert "close" not in link.sent
    assert _gone(int(pid))
    time.sleep(3.5)
    assert not mark.exists(), "the command went on after its temporary session's link closed"


def test_a_session_that_outlives_its_connection_still_gets_its_close(host_socket):
    conn, link = _connect(host_socket)
    pending = conn.open_send("", "", 0, None, "")
    conn.open_wait(pending, 30)
    assert conn.server_info.get("persistent") is True
    conn.close()
    assert link.sent == ["hello", "create", "close"]
