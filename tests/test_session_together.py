"""A session's process (remote/session_process.py) answers the requests that came with the hello
in one write: New-PSSession's hello answer and create answer cross sshd, the broker and the
client as one packet instead of two.  Driven the way the supervisor hands a connection on (the
hello routed with it, the create waiting in the socket), with the answers read from a
SOCK_SEQPACKET socket so that each write of the process is one record here."""

from __future__ import annotations

import socket

from pshell.remote.framing import FrameDecoder, encode_frame
from pshell.remote.session_process import HostedSession, SessionProcess


class _Process:
    def __init__(self, tmp_path) -> None:
        self.ctl, self.supervisor = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.daemon = SessionProcess(self.ctl, str(tmp_path / "sessions"), str(tmp_path / "sock"))
        self.daemon.session = HostedSession(self.daemon, "s-together", "Together")
        self.requests, theirs_in = socket.socketpair()
        self.answers, theirs_out = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.answers.settimeout(30)
        self.ends = [theirs_in, theirs_out]
        self.decoder = FrameDecoder()

    def hand(self, hello: dict) -> None:
        rfd, wfd = self.ends[0].detach(), self.ends[1].detach()
        self.daemon.take({"op": "conn", "c": 0, "hello": hello, "info": {}},
                         [rfd, wfd, socket.dup(wfd)])

    def record(self) -> list:
        data = self.answers.recv(1 << 20)
        return self.decoder.feed(data) if data else []

    def close(self) -> None:
        self.requests.close()
        self.daemon.session.rhost.close()


def test_the_hello_and_create_answers_leave_in_one_write(tmp_path):
    process = _Process(tmp_path)
    try:
        process.requests.sendall(encode_frame({"t": "create", "rs": 0}))
        process.hand({"t": "hello", "v": 2, "new": True, "session": "s-together"})
        first = process.record()
        assert [m["t"] for m in first] == ["hello", "created"], first
        assert first[0]["persistent"] is True and not first[0].get("error")
        # later answers go at once, each its own write
        process.requests.sendall(encode_frame({"t": "invoke", "id": 1, "rs": 0, "script": "7"}))
        done = process.record()
        assert [m["t"] for m in done] == ["done"] and done[0]["o"] == [7]
    finally:
        process.close()


def test_a_hello_alone_is_answered_before_the_next_request_comes(tmp_path):
    process = _Process(tmp_path)
    try:
        process.hand({"t": "hello", "v": 2, "new": True, "session": "s-together"})
        assert [m["t"] for m in process.record()] == ["hello"]
        process.requests.sendall(encode_frame({"t": "create", "rs": 0}))
        assert [m["t"] for m in process.record()] == ["created"]
    finally:
        process.close()
