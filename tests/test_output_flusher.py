"""The remote output flusher (remote/server.py RunspaceHost): a burst of short invocations does
not wake its thread once per invocation (it ticks while batches keep beginning), and a batch of an
invocation that goes on running still leaves without waiting for its end, also when the flusher
had stopped ticking."""

from __future__ import annotations

import threading
import time

from pshell.remote.server import BATCH_DELAY, LINGER_TICKS, RunspaceHost


class _CountingEvent(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self.sets = 0

    def set(self) -> None:
        self.sets += 1
        super().set()


class _Wire:
    """The host's send: messages kept, and waited for by kind and id."""

    def __init__(self) -> None:
        self.messages: list = []
        self.cond = threading.Condition()

    def __call__(self, message: dict) -> None:
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()

    def wait_for(self, kind: str, inv_id: int) -> dict:
        deadline = time.monotonic() + 60
        with self.cond:
            while True:
                for message in self.messages:
                    if message.get("t") == kind and message.get("id") == inv_id:
                        return message
                left = deadline - time.monotonic()
                assert left > 0, f"no {kind} for invocation {inv_id} within 60 s: {self.messages}"
                self.cond.wait(left)


def _host() -> tuple:
    wire = _Wire()
    host = RunspaceHost(wire)
    host._wake = _CountingEvent()
    host.handle({"t": "create", "rs": 0})
    assert wire.messages[-1]["t"] == "created"
    return host, wire


def test_a_burst_of_short_invocations_wakes_the_flusher_rarely():
    host, wire = _host()
    try:
        for inv_id in range(1, 201):
            host.handle({"t": "invoke", "id": inv_id, "rs": 0, "script": "1"})
            done = wire.wait_for("done", inv_id)
            assert done["ok"] and done["o"] == [1]      # the output came with the end
        # one wake-up, then it ticks while batches keep beginning (a loaded machine may let it
        # stop once in a while); it used to be woken for every one of the 200
        assert host._wake.sets < 50, host._wake.sets
    finally:
        host.close()


def test_a_running_invocations_output_leaves_before_its_end_after_the_flusher_stopped():
    host, wire = _host()
    try:
        host.handle({"t": "invoke", "id": 1, "rs": 0, "script": "'first'"})
        wire.wait_for("done", 1)
        # the flusher stops ticking after LINGER_TICKS quiet ticks: let it
        deadline = time.monotonic() + 60
        while host._ticking and time.monotonic() < deadline:
            time.sleep(BATCH_DELAY * LINGER_TICKS)
        assert not host._ticking
        host.handle({"t": "invoke", "id": 2, "rs": 0, "script": "'early'; Start-Sleep 60"})
        out = wire.wait_for("out", 2)
        assert out.get("o") == ["early"] or b"early" in bytes(out.get("_bin") or b"")
        assert not [m for m in wire.messages if m.get("t") == "done" and m.get("id") == 2]
        host.handle({"t": "stop", "id": 2})
        assert wire.wait_for("done", 2).get("stopped")
    finally:
        host.close()
