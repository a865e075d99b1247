"""A temporary session (remote/oneshot.py) answers requests that arrived together in one write:
the hello answer, the create answer and a short invocation's ``done`` cross sshd, the broker and
the client as one packet instead of three.  Driven the way the supervisor hands a connection on
(its requests already waiting in the socket), with the answers read from a SOCK_SEQPACKET socket
so that each write of the session's process is one record here."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

from pshell.remote.framing import FrameDecoder, encode_frame

_MAIN = """
import sys
from pshell.remote import oneshot
from pshell.remote.oneshot import oneshot_main
rfd, wfd, lfd = (int(a) for a in sys.argv[1:4])
if len(sys.argv) > 4:
    oneshot.HELPER_AFTER = float(sys.argv[4])
oneshot_main({"id": "t-together", "name": "Together", "socket": ""}, {}, (rfd, wfd, lfd))
"""


class Session:
    """A temporary session's process: requests go in on a stream socket, each write it makes
    comes out as one record."""

    def __init__(self, tmp_path, *first: dict, short: bool = False) -> None:
        """``short``: the invocations count as short however slow the machine (no helper
        thread before 60 s), for what a short invocation does; else HELPER_AFTER as shipped."""
        self.requests, theirs_in = socket.socketpair()
        self.answers, theirs_out = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.answers.settimeout(30)
        if first:       # waiting before the process starts, as when the supervisor hands it on
            self.send(*first)
        env = dict(os.environ, PSHELL_STATE_DIR=str(tmp_path / "state"))
        fds = [theirs_in.fileno(), theirs_out.fileno(), os.dup(theirs_out.fileno())]
        self.proc = subprocess.Popen([sys.executable, "-c", _MAIN] + [str(fd) for fd in fds]
                                     + (["60"] if short else []),
                                     pass_fds=fds, env=env, cwd=os.getcwd())
        for fd in fds:
            os.close(fd)
        self.decoder = FrameDecoder()

    def send(self, *msgs: dict) -> None:
        self.requests.sendall(b"".join(encode_frame(m) for m in msgs))

    def record(self) -> list:
        """The messages of the session's next write ([] at its end)."""
        data = self.answers.recv(1 << 20)
        return self.decoder.feed(data) if data else []

    def until(self, kind: str, inv_id=None) -> list:
        """The records up to the one with the first message of ``kind``, that one included."""
        records = []
        while True:
            msgs = self.record()
            assert msgs, f"the session ended before a {kind!r}: {records}"
            records.append(msgs)
            if any(m["t"] == kind and (inv_id is None or m.get("id") == inv_id) for m in msgs):
                return records

    def end(self) -> int:
        self.requests.close()
        try:
            return self.proc.wait(60)
        finally:
            self.answers.close()


def _invoke(script: str, inv_id: int = 1) -> dict:
    return {"t": "invoke", "id": inv_id, "rs": 0, "script": script, "args": [], "using": {},
            "input": None, "source": "<test>"}


def _kinds(records: list) -> list:
    return [[m["t"] for m in msgs] for msgs in records]


def test_answers_to_requests_that_arrived_together_leave_in_one_write(tmp_path):
    session = Session(tmp_path, {"t": "create", "rs": 0}, _invoke("1; 'two'"), short=True)
    records = session.until("done")
    assert _kinds(records) == [["hello", "created", "done"]], records
    assert records[0][-1]["o"] == [1, "two"]
    # a request sent later is answered when it comes: nothing waits for more of them
    session.send(_invoke("3", 2))
    assert _kinds(session.until("done", 2)) == [["done"]]
    session.requests.close()
    assert session.record() == []       # nothing more, not even held
    assert session.end() == 0


def test_a_lasting_invocation_still_streams_and_hears_stop(tmp_path):
    """After HELPER_AFTER the held answers go out: the create answer comes while the
    invocation runs (it waits for the test before any output), its output too, and ``stop``
    ends it."""
    go = tmp_path / "go"
    session = Session(tmp_path, {"t": "create", "rs": 0}, _invoke(
        f"while (-not (Test-Path '{go}')) {{ Start-Sleep -Milliseconds 20 }}; 'first'; "
        "while ($true) { Start-Sleep -Milliseconds 20 }"))
    assert _kinds(session.until("created")) == [["hello", "created"]]
    go.write_text("")
    got = [m for msgs in session.until("out") for m in msgs]
    assert [m["t"] for m in got] == ["out"], got
    assert bytes(got[-1]["_bin"]) == b"first"
    session.send({"t": "stop", "id": 1})
    done = session.until("done")[-1][-1]
    assert done.get("stopped"), done
    session.send(_invoke("'after'", 2))
    assert session.until("done", 2)[-1][-1]["o"] == ["after"]
    assert session.end() == 0


def test_stop_process_of_itself_delivers_what_was_held(tmp_path):
    session = Session(tmp_path, {"t": "create", "rs": 0},
                      _invoke("'before'; Stop-Process -Id $PID; 'never'"))
    got = []
    while True:
        msgs = session.record()
        if not msgs:
            break
        got += msgs
    assert [m["t"] for m in got] == ["hello", "created", "out"], got
    assert bytes(got[-1]["_bin"]) == b"before"
    assert session.end() == -9


def test_a_flood_of_pipelined_requests_is_answered_in_bounded_writes(tmp_path):
    """Hostile: requests that keep arriving do not make the process hold their answers without
    bound; every one is still answered, in order."""
    count = 20000
    session = Session(tmp_path, {"t": "create", "rs": 0})
    flood = b"".join(encode_frame({"t": "receive", "id": n}) for n in range(count))
    sender = threading.Thread(target=session.requests.sendall, args=(flood,), daemon=True)
    sender.start()
    ids, sizes = [], []
    while len(ids) < count:
        data = session.answers.recv(1 << 22)
        assert data, f"the session ended after {len(ids)} answers"
        sizes.append(len(data))
        ids += [m["id"] for m in session.decoder.feed(data) if m["t"] == "pending"]
    sender.join(60)
    assert ids == list(range(count))
    assert max(sizes) <= 64 * 1024 + 100, max(sizes)
    assert len(sizes) < count // 10, "the answers were not written together"
    assert session.end() == 0


def test_a_frame_larger_than_what_is_held_keeps_its_order(tmp_path):
    """An answer beyond the cap goes out after what was held before it, never ahead."""
    session = Session(tmp_path, {"t": "create", "rs": 0}, _invoke("1; 'x' * 100000"), short=True)
    got = [m for msgs in session.until("done") for m in msgs]
    assert [m["t"] for m in got] == ["hello", "created", "done"], got
    assert got[-1]["o"][-1] == "x" * 100000
    assert session.end() == 0


def test_what_another_thread_writes_while_the_session_waits_goes_out(tmp_path):
    """A program on a pty writes from its own thread while the main thread waits for the next
    request: nothing may hold that output (the main thread would release it only with the
    answer to a request that never comes)."""
    session = Session(tmp_path, {"t": "create", "rs": 0},
                      {"t": "pty", "id": 5, "rs": 0, "argv": ["/bin/sh", "-c", "sleep 0.3; echo late"]})
    got = [m for msgs in session.until("pexit", 5) for m in msgs]
    assert b"late" in b"".join(bytes(m["_bin"]) for m in got if m["t"] == "pout"), got
    assert session.end() == 0
