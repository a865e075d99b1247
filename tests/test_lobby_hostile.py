"""Direct connections that wait before their first frame (a broker's warm channels) are held by
the supervisor's one lobby thread, not a thread each (remote/lobby.py).  What such a connection
then sends is distrusted as before: garbage, an absurd size, a frame cut short and left there,
the end; none of them stops the lobby from serving the others."""

from __future__ import annotations

import json
import os
import socket
import time

import test_isolation_hostile as hostile

from pshell.remote.framing import FrameDecoder, encode_frame
from pshell.remote.protocol import PROTOCOL_VERSION

state = hostile.state       # the fixtures: a state directory, a session made the ordinary way
keeper = hostile.keeper
still_fine = hostile.still_fine


class Waiting:
    """A direct connection (what sshd's direct-streamlocal makes) that has said nothing yet."""

    def __init__(self, sock_path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(sock_path)
        self.sock.settimeout(30)
        self.sock.sendall(json.dumps({"direct": 1, "ssh": ""}).encode() + b"\n")
        assert self.sock.recv(1) == b"A"
        self.decoder = FrameDecoder()

    def ask(self, *msgs: dict, want: int) -> list:
        self.sock.sendall(b"".join(encode_frame(m) for m in msgs))
        got: list = []
        while len(got) < want:
            data = self.sock.recv(1 << 16)
            if not data:
                break
            got += self.decoder.feed(data)
        return got

    def ended(self) -> bool:
        """The supervisor closed it (it reads nothing more from us)."""
        try:
            return self.sock.recv(1 << 16) == b""
        except OSError:
            return True


def supervisor_threads(state) -> int:
    with open(state / "run" / "host.pid") as fh:
        pid = json.load(fh)["pid"]
    return len(os.listdir(f"/proc/{pid}/task"))


def session_pid(conn: Waiting) -> int:
    answers = conn.ask({"t": "hello", "v": PROTOCOL_VERSION, "session": "", "name": "",
                        "new": True, "once": True, "token": "t"},
                       {"t": "create", "rs": 0},
                       {"t": "invoke", "id": 1, "rs": 0, "script": "$PID", "args": [],
                        "source": "t"}, want=3)
    assert [a.get("t") for a in answers] == ["hello", "created", "done"], answers
    assert answers[2].get("ok"), answers
    return answers[2]["o"][0]


def test_waiting_connections_take_no_thread_each_and_each_is_served(keeper, state):
    sock_path = keeper[0].server_info["sock"]
    before = supervisor_threads(state)
    waiting = [Waiting(sock_path) for _ in range(40)]
    # each was answered by a short-lived accept thread; once those are done, they wait in the
    # lobby, no thread each (a loaded machine ends the accept threads late, never keeps them)
    deadline = time.monotonic() + 60
    while supervisor_threads(state) >= before + 10:
        assert time.monotonic() < deadline, \
            f"waited 60 s for the supervisor's threads to drop below {before + 10}"
        time.sleep(0.05)
    pids = {session_pid(conn) for conn in waiting[:5]}
    assert len(pids) == 5 and keeper[2] not in pids     # each its own process
    for conn in waiting:
        conn.sock.close()
    still_fine(keeper)


def test_what_a_waiting_connection_sends_is_distrusted(keeper, state):
    sock_path = keeper[0].server_info["sock"]
    garbage, absurd, cut, silent, ending, good = (Waiting(sock_path) for _ in range(6))
    time.sleep(0.3)
    garbage.sock.sendall(b"\x00\x00\x00\x05hello")               # not JSON
    absurd.sock.sendall(b"\x1f\xff\xff\xff" + b"x" * 100)         # over the frame limit
    cut.sock.sendall(encode_frame({"t": "hello", "v": PROTOCOL_VERSION, "new": True})[:9])
    ending.sock.shutdown(socket.SHUT_WR)
    assert garbage.ended() and absurd.ended() and ending.ended()
    # a frame cut short and left there, and silence, keep nobody else waiting
    assert session_pid(good) != keeper[2]
    listing = Waiting(sock_path)
    time.sleep(0.3)
    answers = listing.ask({"t": "list", "id": 7}, want=1)
    assert answers[0].get("t") == "sessions" and answers[0].get("id") == 7, answers
    # the rest of the cut frame arrives: it is served like any other
    cut.sock.sendall(encode_frame({"t": "hello", "v": PROTOCOL_VERSION, "new": True})[9:])
    cut_answers = []
    while not cut_answers:
        cut_answers = cut.decoder.feed(cut.sock.recv(1 << 16))
    assert cut_answers[0].get("t") == "hello" and not cut_answers[0].get("error"), cut_answers
    for conn in (garbage, absurd, cut, silent, ending, good, listing):
        conn.sock.close()
    still_fine(keeper)
