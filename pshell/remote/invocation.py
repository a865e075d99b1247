"""The client's end of what runs on the far side: a remote runspace, used like a local one
(:class:`RemoteRunspace`), and each invocation on it (:class:`RemoteInvocation`), whose answers -
output batches, records of the other streams, the end - become values and records in the thread
that consumes it, in arrival order, with flow control and acknowledgements back to the host.

They speak through a :class:`pshell.remote.client.RemoteConnection`, which posts each answer to its
invocation; :class:`ConnectionBroken`, which they raise when it is lost, is here so that this
module needs nothing of the connection's.
"""

from __future__ import annotations

try:        # functools.partial is this C one; functools.py itself is ~0.6 ms of a fresh client
    from _functools import partial
except ImportError:
    from functools import partial
try:        # SimpleQueue and Empty without queue.py and heapq (~0.5 ms of each remoting process)
    import _queue as queue
except ImportError:                     # not CPython
    import queue  # type: ignore[no-redef]

from pshell.remote.framing import MAX_MESSAGE, ProtocolError, split_lines
from pshell.remote.protocol import deserialize, serialize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterator, List, Optional

    from pshell.remote.client import RemoteConnection

__all__ = ["RemoteRunspace", "RemoteInvocation", "ConnectionBroken", "add_computer_name",
           "invocation_data"]


class ConnectionBroken(Exception):
    """The connection to the remote computer was lost; ``str()`` says why."""


_PLAIN = (str, bytes)
_HIGH_WATER = 64          # queued batches before the link stops reading (flow control)
_LOW_WATER = 16
_ACK_EVERY = 16           # processed messages between acknowledgements while more are queued


class RemoteInvocation:
    """One running script on the remote runspace.  Iterate it for the output objects; records of
    the other streams go to ``streams`` as they are reached.  ``stop()`` from any thread."""

    def __init__(self, conn: "RemoteConnection", inv_id: int, streams: Any,
                 computer_name: Optional[str]) -> None:
        self.conn = conn
        self.id = inv_id
        self.streams = streams
        self.computer_name = computer_name
        self.events: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self.result: Optional[Dict[str, Any]] = None
        self.stop_requested = False
        self._stop_sent = False
        self._paused = False
        self.received_q = 0       # sequence number of the last message that arrived
        self.done_q = 0           # ... of the last one processed (handed to the consumer)
        self.part_q = 0           # a batch handed over in part: its number ...
        self._part_it: Any = None  # ... and the iterator over it (part_n: how many were taken)
        self._part_len = 0
        self.acked_q = 0
        self.acked_n = 0

    # called on the link's thread
    def _post(self, event: Any, q: Any = None) -> None:
        if q:
            self.received_q = q
        self.events.put(event)
        if not self._paused and self.events.qsize() > _HIGH_WATER:
            self._paused = True
            self.conn._pause(self)

    def stop(self) -> None:
        """Ask the remote host to stop it (again after a reconnect, when the connection was
        down the first time)."""
        if self.result is None and not self._stop_sent:
            self.stop_requested = True
            try:
                self.conn._send({"t": "stop", "id": self.id})
                self._stop_sent = True
            except ConnectionBroken:
                pass

    def rebind(self, conn: "RemoteConnection") -> None:
        """Go on receiving on a new connection to the same session (after a reconnect)."""
        self.conn = conn
        if self.result is not None and self.result.get("broken"):
            self.result = None
        with conn._lock:
            conn._invocations[self.id] = self

    @property
    def part_n(self) -> int:
        """How many objects of batch ``part_q`` were handed over (counted from what is left in
        its iterator, so the loop handing them over does no bookkeeping per object)."""
        it = self._part_it
        if it is None:
            return 0
        from operator import length_hint
        return self._part_len - length_hint(it)

    def progress(self) -> Dict[str, int]:
        """What was handed to the consumer: whole messages up to ``q``, and ``pn`` objects of
        message ``pq`` (a batch taken in part)."""
        if self.part_q > self.done_q and self.part_n:
            return {"q": self.done_q, "pq": self.part_q, "pn": self.part_n}
        return {"q": self.done_q}

    def _ack(self) -> None:
        """Tell the remote host what was processed: it can drop it, and a reconnect from
        another process resumes after it.  Sent at once, never held back to travel with the
        next request: a client killed in between would see its last output again on the next
        Receive-PSSession."""
        progress = self.progress()
        n = progress.get("pn", 0)
        if progress["q"] > self.acked_q or (n and n > self.acked_n):
            self.acked_q = progress["q"]
            self.acked_n = n
            try:
                self.conn._send(dict(progress, t="ack", id=self.id))
            except ConnectionBroken:
                pass

    def __iter__(self) -> Iterator[Any]:
        return self._iterate()

    def _iterate(self) -> Iterator[Any]:
        from pshell.engine.values import remote_values, with_computer_name
        events = self.events
        get: Callable[[], Any] = events.get
        if self.conn.pump is not None:      # the link is read by whoever waits (BrokerLink)
            get = partial(self.conn.take, events)
        computer = self.computer_name
        while True:
            if self.done_q > self.acked_q and (self.done_q - self.acked_q >= _ACK_EVERY
                                               or events.empty()):
                self._ack()
            event = get()
            if self._paused and events.qsize() < _LOW_WATER:
                self._paused = False
                self.conn._resume(self)
            kind = event[0]
            if kind == "out":
                batch = event[1]
                lines = type(batch) is bytes or type(batch) is bytearray
                if lines:
                    try:
                        batch = split_lines(batch)
                    except UnicodeDecodeError:
                        batch = []
                        self._bad("lines of output that are not UTF-8")
                self.part_q = event[2] or 0
                event = None                # the bytes go as soon as they are strings
                self._part_len = len(batch)
                it = self._part_it = iter(batch)
                if lines or (len(set(map(type, batch))) == 1 and type(batch[0]) in _PLAIN):
                    # a run of strings (or raw chunks): as they are, strings tagged with the
                    # computer they came from
                    if computer is not None and type(batch[0]) is str:
                        yield from remote_values(it, computer)
                    else:
                        yield from it
                for data in it:
                    if type(data) is bytes:
                        yield data
                        continue
                    if type(data) is str:
                        yield data if computer is None else with_computer_name(data, computer)
                        continue
                    try:
                        value = deserialize(data)
                    except ProtocolError as exc:
                        self._bad(f"an output object that is not valid ({exc})")
                        continue
                    if computer is not None:
                        value = with_computer_name(value, computer)
                    yield value
                if self.part_q:
                    self.done_q = self.part_q
                    self.acked_n = 0
            elif kind == "toobig":
                self._bad(f"{event[1]} of {event[2]} bytes, larger than the limit of "
                          f"{MAX_MESSAGE} bytes (PSHELL_MAX_MESSAGE); it was skipped")
                if event[3]:
                    self.done_q = event[3]
            elif kind == "rec":
                self._record(event[1], event[2])
                if event[3]:
                    self.done_q = event[3]
            elif kind == "done":
                self.result = event[1]
                if event[1].get("q"):
                    self.done_q = event[1]["q"]
                    self._ack()
                self.conn._forget(self.id)
                self._finish(event[1])
                return
            elif kind == "broken":
                self.result = {"ok": False, "broken": event[1]}
                raise ConnectionBroken(event[1])

    def _bad(self, what: str) -> None:
        """Report a part of the answer that could not be taken (the rest still comes)."""
        from pshell.engine.errors import ErrorRecord, RuntimeException
        who = self.computer_name or self.conn.computer_name or "the remote computer"
        record = ErrorRecord(f"{who} sent {what}", "RemoteProtocolError", "InvalidData")
        record.computer_name = self.computer_name
        sink = getattr(self.streams, "error", None) if self.streams is not None else None
        if sink is None:
            raise RuntimeException(record)
        sink(record)

    def _record(self, stream: str, data: Any) -> None:
        try:
            record = deserialize(data)
        except ProtocolError as exc:
            self._bad(f"{_a(stream)} record that is not valid ({exc})")
            return
        if not isinstance(record, _record_class(stream)):
            self._bad(f"{_kind_name(record)} on its {stream} stream; it was refused")
            return
        if stream == "error" and self.computer_name and not getattr(record, "computer_name", None):
            record.computer_name = self.computer_name
        elif stream == "information" and data.get("hid") is True:
            record = _hidden(record)            # InformationPreference hid it there: still hidden
        sink = getattr(self.streams, stream, None) if self.streams is not None else None
        if sink is not None:
            sink(record)

    def _finish(self, done: Dict[str, Any]) -> None:
        error = done.get("error")
        if done.get("_toobig"):
            self._bad(f"the end of the command ({done['_toobig']} bytes), larger than the limit "
                      f"of {MAX_MESSAGE} bytes (PSHELL_MAX_MESSAGE); its last output was skipped")
        if error:
            from pshell.engine.errors import ErrorRecord, RuntimeException
            try:
                record = deserialize(error)
            except ProtocolError as exc:
                record = None
                self._bad(f"a terminating error that is not valid ({exc})")
            if not isinstance(record, ErrorRecord):
                who = self.computer_name or self.conn.computer_name or "the remote computer"
                record = ErrorRecord(f"{who} ended the command with an error it did not send "
                                     f"properly", "RemoteProtocolError", "InvalidData")
            if self.computer_name and not record.computer_name:
                record.computer_name = self.computer_name
            raise RuntimeException(record)
        if done.get("stopped") and not self.stop_requested:
            from pshell.engine.errors import PipelineStopped
            raise PipelineStopped()


_RECORD_CLASSES: Dict[str, Any] = {}


def _record_class(stream: str) -> Any:
    """The class a record of ``stream`` must have (a checked answer names a known stream)."""
    if not _RECORD_CLASSES:
        from pshell.engine.errors import ErrorRecord
        from pshell.engine.streams import (DebugRecord, InformationRecord, ProgressRecord,
                                           VerboseRecord, WarningRecord)
        _RECORD_CLASSES.update(error=ErrorRecord, warning=WarningRecord, verbose=VerboseRecord,
                               debug=DebugRecord, information=InformationRecord,
                               progress=ProgressRecord)
    return _RECORD_CLASSES[stream]


def _kind_name(record: Any) -> str:
    """What a record of the wrong kind is, in words ("a warning record", "an error record")."""
    name = type(record).__name__
    if name.endswith("Record") and name != "Record":
        name = name[:-6].lower() + " record"
    else:
        name += " value"
    return _a(name)


def _a(words: str) -> str:
    return ("an " if words[:1] in "aeiouAEIOU" else "a ") + words


def _hidden(record: Any) -> Any:
    from pshell.engine.streams import HiddenInformation
    return HiddenInformation(record)


def add_computer_name(value: Any, computer: str) -> None:
    """Remote results gain ``PSComputerName`` (objects only: a string stays a string)."""
    from pshell.engine.values import PSObject
    if isinstance(value, PSObject):
        value.set("PSComputerName", computer)


def invocation_data(args: Any = (), using: Optional[Dict[str, Any]] = None,
                    input: Any = None) -> Dict[str, Any]:
    """The arguments, ``$using:`` values and input of an invocation as they cross (serialised):
    the same for every computer of a fan-out, so it makes them once."""
    data: Dict[str, Any] = {"args": [serialize(a, secrets=True) for a in args or ()]}
    if using:
        data["using"] = {str(k).lower(): serialize(v, secrets=True) for k, v in using.items()}
    if input is not None:
        from pshell.engine.values import enumerate_value
        data["input"] = [serialize(x, secrets=True) for x in enumerate_value(input)]
    return data


class RemoteRunspace:
    """A runspace on the remote computer, used like a local one (``invoke``/``invoke_iter``)."""

    def __init__(self, conn: RemoteConnection, rs_id: int, prompt: Dict[str, Any]) -> None:
        self.conn = conn
        self.id = rs_id
        self.last_prompt = prompt
        self._current: Optional[RemoteInvocation] = None

    @property
    def location(self) -> str:
        return str(self.last_prompt.get("cwd", ""))

    def invoke_iter(self, script: str, args: Any = (), input: Any = None,
                    using: Optional[Dict[str, Any]] = None, streams: Any = None,
                    source: str = "<remote>", computer_name: Optional[str] = None) -> Iterator[Any]:
        inv = self.conn.start(self.id, script, args, using, input, streams, source, computer_name)
        self._current = inv
        try:
            yield from inv
        finally:
            if inv.result is None:
                inv.stop()
                self._drain(inv)
            elif inv.result.get("prompt"):
                self.last_prompt = inv.result["prompt"]
            self._current = None

    def _drain(self, inv: RemoteInvocation) -> None:
        """After an early stop, wait (briefly) for the server to confirm, so the next invocation
        does not queue behind a still-running one."""
        try:
            for _ in inv:
                pass
        except Exception:
            pass

    def invoke(self, script: str, **kwargs: Any) -> List[Any]:
        return list(self.invoke_iter(script, **kwargs))

    def stop(self) -> None:
        inv = self._current
        if inv is not None:
            inv.stop()

    def prompt(self, timeout: float = 10) -> Dict[str, Any]:
        inv_id = next(self.conn._ids)
        answer = self.conn.request({"t": "prompt", "id": inv_id, "rs": self.id}, inv_id, timeout)
        self.last_prompt = answer.get("prompt") or self.last_prompt
        return self.last_prompt

    def complete(self, text: str, cursor: int, timeout: float = 5) -> Dict[str, Any]:
        inv_id = next(self.conn._ids)
        return self.conn.request({"t": "complete", "id": inv_id, "rs": self.id, "text": text,
                                  "cursor": cursor}, inv_id, timeout)

    def file_request(self, op: str, timeout: float = 300, **fields: Any) -> Dict[str, Any]:
        """A file operation on the remote computer (``fput``, ``flist``, ``fread``); raises
        OSError with the remote's message when it failed there."""
        inv_id = next(self.conn._ids)
        msg = dict(fields, t=op, id=inv_id, rs=self.id)
        answer = self.conn.request(msg, inv_id, timeout)
        if answer.get("error"):
            raise OSError(answer["error"])
        return answer

    def close(self) -> None:
        try:
            self.conn._send({"t": "close", "rs": self.id})
        except ConnectionBroken:
            pass
