"""The client end of the protocol: a proxy for runspaces on the far side.

:class:`RemoteConnection` sits on a *link* - anything that can ``send(bytes)`` and ``close()``,
and calls :meth:`RemoteConnection.feed` with bytes as they arrive and
:meth:`RemoteConnection.lost` when the stream ends.  The process transport (pipes) and the SSH
transport (an asyncssh channel) are links; this module does not care which.

Everything here is synchronous and thread-safe: the engine calls it from its own threads, while
the link may deliver bytes from an event-loop thread.  Incoming messages are only queued on the
link's thread; decoding values and writing records to a ``Streams`` sink happens in the thread
that consumes the invocation, in arrival order.
"""

from __future__ import annotations

import itertools
try:        # functools.partial is this C one; functools.py itself is ~0.6 ms of a fresh client
    from _functools import partial
except ImportError:
    from functools import partial
import _thread
try:        # SimpleQueue and Empty without queue.py and heapq (~0.5 ms of each remoting process)
    import _queue as queue
except ImportError:                     # not CPython
    import queue  # type: ignore[no-redef]
import time

from pshell.remote.messages import check_reply
from pshell.remote.framing import MAX_MESSAGE, FrameDecoder, ProtocolError, encode_frame, split_lines
from pshell.remote.protocol import PROTOCOL_VERSION, deserialize, serialize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterator, List, Optional

__all__ = ["RemoteConnection", "RemoteRunspace", "RemoteInvocation", "ConnectionBroken",
           "SessionRefused", "add_computer_name", "shown_bytes", "invocation_data"]


class ConnectionBroken(Exception):
    """The connection to the remote computer was lost; ``str()`` says why."""


class SessionRefused(Exception):
    """The remote host answered, but will not give us the session (it does not exist, it is in
    use, the host keeps no sessions); ``str()`` is the message to show.  Retrying won't help."""


def shown_bytes(data: bytes) -> str:
    """Bytes a peer sent, quoted for a message: UTF-8 where they are, ``\\xNN`` where not,
    control characters visible (ESC as ``\\e``), so nothing in them acts on a terminal."""
    from pshell.engine.host import visible
    return '"' + visible(data.decode("utf-8", "backslashreplace"), newlines=False) + '"'


class Link:
    """What a transport gives the connection (documentation of the interface)."""

    def send(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


_DONE = object()
_FIRST_BYTES = 80         # shown when the far side does not speak the protocol
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


_CALLBACKS = _thread._local()        # threading.local, without threading


def in_lost_callback() -> bool:
    """True while this thread runs a connection's ``on_lost`` callbacks - usually the link's
    reader, which must not wait for the network there (it would wait for itself)."""
    return getattr(_CALLBACKS, "depth", 0) > 0


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


_ANSWERS_BY_ID = frozenset(("prompt", "completion", "error", "fdone", "sessions", "pending",
                            "disconnected", "closed", "removed"))


class RemoteConnection:
    """The protocol over one link: requests, answers, and the invocations in flight."""

    def __init__(self, link: Any, computer_name: str = "") -> None:
        self.link = link
        self.computer_name = computer_name
        self._decoder = FrameDecoder()
        self._ids = itertools.count(1)
        self._invocations: Dict[int, RemoteInvocation] = {}
        self._waiters: Dict[Any, "queue.SimpleQueue[Any]"] = {}
        self._lock = _thread.allocate_lock()
        self.broken: Optional[str] = None
        self.closed = False
        self.server_info: Dict[str, Any] = {}
        self.on_lost: List[Callable[[str], None]] = []
        self.session_ended = False
        self.once = False                       # a temporary session (open_send)
        self._paused_by: set = set()
        self.ptys: Dict[Any, Callable[[Dict[str, Any]], None]] = {}   # pty programs (ui/remote_pty.py)
        self._first: Optional[bytes] = b""      # the first bytes, until a message decodes
        self.prepared: Any = None               # what the opener sent ahead (client/session.py)
        # pump(timeout): set by a link that has no reader thread of its own; it reads what has
        # arrived (waiting at most ``timeout``) and feeds it here, in the thread that waits
        self.pump: Optional[Callable[[Optional[float]], None]] = None

    # ---- link side ----------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if self.broken is not None:
            return
        if self._first is not None and len(self._first) < _FIRST_BYTES:
            self._first += data[:_FIRST_BYTES - len(self._first)]
        try:
            messages = self._decoder.feed(data)
            for msg in messages:
                self._first = None         # it speaks the protocol
                check_reply(msg)
                self.dispatch(msg)
        except ProtocolError as exc:
            self.protocol_error(exc)

    def protocol_error(self, exc: Exception) -> None:
        """The far side sent what is not the protocol: say what (its first bytes, when it never
        spoke the protocol at all), and end the connection."""
        who = self.computer_name or "the remote computer"
        if self._first is not None:
            self.lost(f"{who} is not speaking the pshell protocol; it sent: "
                      f"{shown_bytes(self._first)}")
        else:
            self.lost(f"{who} sent data that is not valid ({exc})")
        try:
            self.link.close()
        except Exception:
            pass

    def dispatch(self, msg: Dict[str, Any]) -> None:
        kind = msg.get("t")
        if "_toobig" in msg:
            self._too_big(msg)
            return
        if kind == "out" or kind == "rec" or kind == "done":
            inv = self._invocations.get(msg.get("id"))  # type: ignore[arg-type]
            if inv is None:
                return
            q = msg.get("q")
            if kind == "out":
                raw = msg.get("_bin")
                if raw is None:
                    inv._post(("out", msg.get("o") or (), q), q)
                else:           # lines (bytes: split by the consumer), or one raw chunk
                    if not msg.get("ln") and type(raw) is not bytes:
                        raw = bytes(raw)
                    inv._post(("out", raw if msg.get("ln") else (raw,), q), q)
            elif kind == "rec":
                inv._post(("rec", msg.get("s"), msg.get("r"), q), q)
            else:
                if msg.get("o"):            # the last objects came with the end
                    inv._post(("out", msg["o"], q), q)
                inv._post(("done", msg), q)
            return
        if kind == "pout" or kind == "pexit" or (kind == "error" and msg.get("id") in self.ptys):
            handler = self.ptys.get(msg.get("id"))
            if handler is not None:
                handler(msg)
            return
        if kind == "bye":
            self.session_ended = bool(msg.get("ended"))     # its process died: nothing to reattach
            self.lost(msg.get("reason") or "the remote computer closed the session")
            return
        if kind == "pending":
            # the missed output follows this answer at once: be ready for it before it comes
            invocations = []
            with self._lock:
                for entry in msg.get("ids") or ():
                    inv = RemoteInvocation(self, entry.get("id"), None, self.computer_name)
                    self._invocations[inv.id] = inv
                    invocations.append(inv)
            msg["_invocations"] = invocations
        key = msg.get("id") if kind in _ANSWERS_BY_ID else (kind, msg.get("rs"))
        waiter = self._waiters.pop(key, None)
        if waiter is not None:
            waiter.put(msg)

    def _too_big(self, msg: Dict[str, Any]) -> None:
        """A message larger than MAX_MESSAGE was skipped by the decoder: an invocation learns
        which part of it is missing (and acknowledges it, so no reconnect brings it back);
        anything else breaks the connection."""
        kind = msg.get("t")
        inv = self._invocations.get(msg.get("id"))  # type: ignore[arg-type]
        if kind not in ("out", "rec", "done"):
            inv = None
        if inv is None:
            raise ProtocolError(f"a {kind!r} message of {msg['_toobig']} bytes, larger than the "
                                f"limit of {MAX_MESSAGE} bytes")
        q = msg.get("q")
        if kind == "done":
            inv._post(("done", {"t": "done", "id": inv.id, "ok": False, "q": q,
                                "_toobig": msg["_toobig"]}), q)
        else:
            what = "an output batch" if kind == "out" else "a record"
            inv._post(("toobig", what, msg["_toobig"], q), q)

    def drop(self, reason: str) -> None:
        """Let go of the link without ending the session on the far side (it was disconnected;
        a later attach picks it up)."""
        self.closed = True
        try:
            self.link.close()
        finally:
            self.lost(reason)

    def lost(self, reason: str) -> None:
        """The link ended (or broke).  Every waiter learns why; nothing hangs."""
        with self._lock:
            if self.broken is not None:
                return
            self.broken = reason
            invocations = list(self._invocations.values())
            waiters = list(self._waiters.values())
            self._invocations.clear()
            self._waiters.clear()
        for inv in invocations:
            inv._post(("broken", reason))
        for waiter in waiters:
            waiter.put(None)
        for handler in list(self.ptys.values()):
            handler({"t": "pexit", "code": 255, "error": reason})
        _CALLBACKS.depth = getattr(_CALLBACKS, "depth", 0) + 1
        try:
            for callback in list(self.on_lost):
                try:
                    callback(reason)
                except Exception:
                    pass
        finally:
            _CALLBACKS.depth -= 1

    # ---- engine side --------------------------------------------------------------------
    def _send(self, msg: Dict[str, Any]) -> None:
        if self.broken is not None:
            raise ConnectionBroken(self.broken)
        try:
            self.link.send(encode_frame(msg))
        except ConnectionBroken:
            raise
        except Exception as exc:
            self.lost(f"the connection to {self.computer_name or 'the remote computer'} "
                      f"was lost ({exc})")
            raise ConnectionBroken(self.broken) from None

    def take(self, waiter: Any, timeout: Optional[float] = None) -> Any:
        """The next item of ``waiter`` (a queue this connection posts to), within ``timeout``
        (else queue.Empty).  When the link has no reader thread (``pump``), the waiting thread
        reads the link itself until the item is there."""
        pump = self.pump
        if pump is None:
            return waiter.get(timeout=timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                return waiter.get(False)
            except queue.Empty:
                pass
            if self.broken is not None:         # nothing more comes from the link
                return waiter.get(timeout=None if deadline is None
                                  else max(0.0, deadline - time.monotonic()))
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise queue.Empty
            pump(left)

    def request(self, msg: Dict[str, Any], key: Any, timeout: Optional[float] = None
                ) -> Dict[str, Any]:
        waiter: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        with self._lock:
            if self.broken is not None:
                raise ConnectionBroken(self.broken)
            self._waiters[key] = waiter
        self._send(msg)
        timeout = self._answer_timeout(timeout)
        try:
            answer = self.take(waiter, timeout)
        except queue.Empty:
            self._waiters.pop(key, None)
            raise self._silent(timeout) from None
        if answer is None:
            raise ConnectionBroken(self.broken or "connection closed")
        return answer

    def _answer_timeout(self, timeout: Optional[float]) -> Optional[float]:
        """Until the far side has sent one message, it has the link's boot timeout (the SSH
        link: ConnectTimeout) to show it speaks the protocol at all."""
        boot = getattr(self.link, "boot_timeout", None) if self._first is not None else None
        if boot is None:
            return timeout
        return boot if timeout is None else min(timeout, boot)

    def _silent(self, timeout: Optional[float]) -> ConnectionBroken:
        who = self.computer_name or "the remote computer"
        if self._first:
            self.protocol_error(ProtocolError("no message"))
            return ConnectionBroken(self.broken or "")
        return ConnectionBroken(f"{who} did not answer within {timeout or 0:g} seconds")

    def hello(self, session_id: str = "", name: str = "", timeout: Optional[float] = 60
              ) -> Dict[str, Any]:
        answer = self.request({"t": "hello", "v": PROTOCOL_VERSION, "session": session_id,
                               "name": name}, ("hello", None), timeout)
        if int(answer.get("v", 0)) != PROTOCOL_VERSION:
            raise ConnectionBroken(f"the remote pshell speaks protocol {answer.get('v')}, "
                                   f"this one {PROTOCOL_VERSION}")
        self._set_server_info(answer)
        return answer

    def open(self, session_id: str = "", name: str = "", rs_id: int = 0,
             timeout: Optional[float] = 60, idle: Optional[float] = None,
             token: str = "") -> "RemoteRunspace":
        """hello + create in one round trip (both requests are sent before either answer).
        Raises SessionRefused when the host will not create the session (a name in use)."""
        pending = self.open_send(session_id, name, rs_id, idle, token)
        return self.open_wait(pending, timeout)

    def open_send(self, session_id: str = "", name: str = "", rs_id: int = 0,
                  idle: Optional[float] = None, token: str = "", once: bool = False) -> Any:
        """The first half of :meth:`open`: send hello and create (more requests, such as the
        first invocation, may follow before the answers); :meth:`open_wait` takes the answers.
        ``once``: a temporary session (one invocation, then closed; never reattached), which
        the host may serve in a lighter process (remote/oneshot.py)."""
        hello_q: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        create_q: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        with self._lock:
            if self.broken is not None:
                raise ConnectionBroken(self.broken)
            self._waiters[("hello", None)] = hello_q
            self._waiters[("created", rs_id)] = create_q
        hello: Dict[str, Any] = {"t": "hello", "v": PROTOCOL_VERSION, "session": session_id,
                                 "name": name, "new": True, "token": token}
        if idle is not None:
            hello["idle"] = idle
        if once:
            hello["once"] = True
            self.once = True
        self._send(hello)
        self._send({"t": "create", "rs": rs_id})
        return hello_q, create_q, rs_id

    def open_wait(self, pending: Any, timeout: Optional[float] = 60) -> "RemoteRunspace":
        """The answers to :meth:`open_send`: the session's runspace, or SessionRefused /
        ConnectionBroken."""
        hello_q, create_q, rs_id = pending
        answers = []
        for waiter in (hello_q, create_q):
            wait = self._answer_timeout(timeout)
            try:
                answer = self.take(waiter, wait)
            except queue.Empty:
                raise self._silent(wait) from None
            if answer is None:
                raise ConnectionBroken(self.broken or "connection closed")
            if answer.get("t") == "hello" and answer.get("error"):
                with self._lock:
                    self._waiters.pop(("created", rs_id), None)
                raise SessionRefused(answer["error"])
            answers.append(answer)
        hello, created = answers
        if hello.get("error"):
            raise SessionRefused(hello["error"])
        if int(hello.get("v", 0)) != PROTOCOL_VERSION:
            raise ConnectionBroken(f"the remote pshell speaks protocol {hello.get('v')}, "
                                   f"this one {PROTOCOL_VERSION}")
        self._set_server_info(hello)
        if created.get("error"):
            raise ConnectionBroken(created["error"])
        return RemoteRunspace(self, rs_id, created.get("prompt") or {})

    def attach(self, key: str, token: str = "", force: bool = False,
               resume: Optional[Dict[Any, int]] = None, timeout: Optional[float] = 60
               ) -> Dict[str, Any]:
        """Attach to an existing session of the remote host, by id or name.  ``resume`` maps the
        invocations this client still follows to the last sequence number it has: the host
        replays what came after.  Raises SessionRefused (no such session, in use, ...)."""
        answer = self.request({"t": "hello", "v": PROTOCOL_VERSION, "attach": key,
                               "token": token, "force": bool(force),
                               "resume": {str(k): v for k, v in (resume or {}).items()}},
                              ("hello", None), timeout)
        if answer.get("error"):
            raise SessionRefused(answer["error"])
        if not answer.get("persistent"):
            raise SessionRefused(f"{self.computer_name or 'the remote computer'} does not keep "
                                 f"sessions across connections")
        self._set_server_info(answer)
        self.advance_ids(int(answer.get("next_id") or 1))
        return answer

    def _set_server_info(self, answer: Dict[str, Any]) -> None:
        self.server_info = answer
        note = getattr(self.link, "hello_received", None)
        if note is not None:
            note(answer)

    def advance_ids(self, next_id: int) -> None:
        """Number new requests from ``next_id`` on (ids stay unique within a session)."""
        self._ids = itertools.count(max(next_id, next(self._ids)))

    def next_id(self) -> int:
        return next(self._ids)

    def call(self, msg: Dict[str, Any], timeout: Optional[float] = 30) -> Dict[str, Any]:
        """A request answered by a message with the same id."""
        request_id = next(self._ids)
        msg = dict(msg, id=request_id)
        return self.request(msg, request_id, timeout)

    def list_sessions(self, timeout: Optional[float] = 30) -> List[Dict[str, Any]]:
        return list(self.call({"t": "list"}, timeout).get("sessions") or ())

    def receive_pending(self, timeout: Optional[float] = 30) -> List["RemoteInvocation"]:
        """The invocations of this session whose output no client has received yet (started by
        another pshell, or interrupted); iterate each for its output."""
        answer = self.call({"t": "receive"}, timeout)
        return list(answer.get("_invocations") or ())

    def disconnect(self, idle: Optional[float] = None, timeout: Optional[float] = 30) -> None:
        msg: Dict[str, Any] = {"t": "disconnect"}
        if idle is not None:
            msg["idle"] = idle
        self.call(msg, timeout)

    def remove_session(self, key: str, force: bool = False, timeout: Optional[float] = 30
                       ) -> Optional[str]:
        return self.call({"t": "remove", "session": key, "force": bool(force)},
                         timeout).get("error")

    def create_runspace(self, rs_id: int = 0, timeout: Optional[float] = 60) -> "RemoteRunspace":
        answer = self.request({"t": "create", "rs": rs_id}, ("created", rs_id), timeout)
        if answer.get("error"):
            raise ConnectionBroken(answer["error"])
        return RemoteRunspace(self, rs_id, answer.get("prompt") or {})

    def start(self, rs_id: int, script: str, args: Any = (), using: Optional[Dict[str, Any]] = None,
              input: Any = None, streams: Any = None, source: str = "<remote>",
              computer_name: Optional[str] = None, raw: bool = False,
              payload: Optional[Dict[str, Any]] = None) -> RemoteInvocation:
        """Start ``script``.  ``raw``: the output goes to a file, so a native command ending the
        remote statements may send its output as raw bytes chunks (written byte-exact).
        ``payload``: ``invocation_data(args, using, input)`` made once for several computers."""
        inv_id = next(self._ids)
        inv = RemoteInvocation(self, inv_id, streams, computer_name)
        msg: Dict[str, Any] = {"t": "invoke", "id": inv_id, "rs": rs_id, "script": script,
                               "source": source}
        msg.update(invocation_data(args, using, input) if payload is None else payload)
        if raw:
            msg["raw"] = True
        with self._lock:
            if self.broken is not None:
                raise ConnectionBroken(self.broken)
            self._invocations[inv_id] = inv
        self._send(msg)
        return inv

    def _forget(self, inv_id: int) -> None:
        with self._lock:
            self._invocations.pop(inv_id, None)

    def _pause(self, inv: RemoteInvocation) -> None:
        self._paused_by.add(inv.id)
        try:
            self.link.pause_reading()
        except Exception:
            pass

    def _resume(self, inv: RemoteInvocation) -> None:
        self._paused_by.discard(inv.id)
        if not self._paused_by:
            try:
                self.link.resume_reading()
            except Exception:
                pass

    def close(self, wait: float = 5.0) -> None:
        """End the session on the far side (waiting briefly for it to confirm), then the link."""
        if self.closed:
            return
        self.closed = True
        # a temporary session the host said ends with its connection needs no "close": the
        # link's end says it (the message, and its answer, cost every hop of the way)
        ends_with_link = self.once and self.server_info.get("persistent") is False
        if self.broken is None and not ends_with_link:
            try:
                if wait and self.server_info.get("persistent"):
                    self.call({"t": "close"}, wait)
                else:
                    self._send({"t": "close"})
            except ConnectionBroken:
                pass
        try:
            self.link.close()
        finally:
            self.lost("the session was closed")


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
