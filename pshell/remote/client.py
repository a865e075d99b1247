"""The client end of the protocol: the connection to a host on the far side.

:class:`RemoteConnection` sits on a *link* - anything that can ``send(bytes)`` and ``close()``,
and calls :meth:`RemoteConnection.feed` with bytes as they arrive and
:meth:`RemoteConnection.lost` when the stream ends.  The process transport (pipes) and the SSH
transport (an asyncssh channel) are links; this module does not care which.  It opens and attaches
sessions, sends requests and hands each answer to whoever waits for it; the runspaces and
invocations it serves are :mod:`pshell.remote.invocation`'s.

Everything here is synchronous and thread-safe: the engine calls it from its own threads, while
the link may deliver bytes from an event-loop thread.  Incoming messages are only queued on the
link's thread; decoding values and writing records to a ``Streams`` sink happens in the thread
that consumes the invocation, in arrival order.
"""

from __future__ import annotations

import itertools
import _thread
try:        # SimpleQueue and Empty without queue.py and heapq (~0.5 ms of each remoting process)
    import _queue as queue
except ImportError:                     # not CPython
    import queue  # type: ignore[no-redef]
import time

from pshell.remote.framing import MAX_MESSAGE, FrameDecoder, ProtocolError, encode_frame
from pshell.remote.invocation import ConnectionBroken, RemoteInvocation, RemoteRunspace, invocation_data
from pshell.remote.messages import check_reply
from pshell.remote.protocol import PROTOCOL_VERSION

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional

__all__ = ["RemoteConnection", "SessionRefused", "shown_bytes", "in_lost_callback"]


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


_CALLBACKS = _thread._local()        # threading.local, without threading


def in_lost_callback() -> bool:
    """True while this thread runs a connection's ``on_lost`` callbacks - usually the link's
    reader, which must not wait for the network there (it would wait for itself)."""
    return getattr(_CALLBACKS, "depth", 0) > 0


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
