"""The messages of one invocation that a client has not acknowledged yet (see
:mod:`pshell.remote.host` for how delivery survives reconnects)."""

from __future__ import annotations

from typing import Any

from pshell.remote.framing import encode_frame

__all__ = ["Outbox"]


class Outbox:
    """The messages of one invocation not yet acknowledged by a client."""

    __slots__ = ("id", "q", "frames", "bytes", "attached", "done", "stopping", "trimmed")

    def __init__(self, inv_id: Any) -> None:
        import collections
        self.id = inv_id
        self.q = 0
        self.frames: Any = collections.deque()     # (q, frame bytes)
        self.bytes = 0
        self.attached = True
        self.done = False
        self.stopping = False
        self.trimmed = (0, 0)      # (q, n): the first n objects of message q were dropped

    def drop_upto(self, q: int, pq: int = 0, pn: int = 0) -> None:
        """Drop what the client has: messages up to ``q``, and the first ``pn`` objects of
        message ``pq`` (it took that batch in part)."""
        frames = self.frames
        while frames and frames[0][0] <= q:
            self.bytes -= len(frames.popleft()[1])
        if not (pq and pn and frames and frames[0][0] == pq):
            return
        done = self.trimmed[1] if self.trimmed[0] == pq else 0
        if pn <= done:
            return
        from pshell.remote.framing import decode_frame, lines_message, split_lines
        old = frames[0][1]
        lines = None
        msg = decode_frame(old)
        if "_bin" in msg:
            if not msg.get("ln"):                # one raw chunk: taken whole
                self.bytes -= len(frames.popleft()[1])
                return
            lines = split_lines(msg.pop("_bin"))
        frames.popleft()
        self.bytes -= len(old)
        items = lines if lines is not None else msg.get("o") or []
        rest = items[pn - done:]
        self.trimmed = (pq, pn)
        if rest or msg.get("t") != "out":
            if lines is not None:       # the rest of a batch of lines is one too
                msg = dict(lines_message(msg.get("id"), rest) or {}, q=msg.get("q"))
            else:
                msg["o"] = rest
            frame = encode_frame(msg)
            frames.appendleft((pq, frame))
            self.bytes += len(frame)
