"""The remote end: hosts runspaces and speaks the framed protocol on a byte stream.

``python3 -m pshell.remote.server`` is what sshd runs for a channel.  By default it is a relay
(:mod:`pshell.remote.relay`): it hands the channel to the user's per-user host process
(:mod:`pshell.remote.host`), which owns the sessions, so they outlive the connection.
``--direct`` serves stdin/stdout in this process instead (the ``process`` transport and tests):
the runspaces then end with the connection.

- :class:`RunspaceHost` owns the runspaces of one session, runs invocations and emits messages
  through a ``send`` callable.  It knows nothing about the byte stream; the per-user host keeps
  one per session.
- :func:`serve` is a direct connection: it reads frames, hands messages to the host, and writes
  what the host sends.

Invocations in one runspace never overlap (each runspace has one worker thread taking them in
order), but ``stop`` is handled by the reading thread, so it works while one runs.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, BinaryIO, Callable, Deque, Dict, List, Optional, Tuple

import pshell.lang.ast_rare  # noqa: F401 - lang/ast.py makes these nodes on first use: the host
#                                          makes them before it forks its sessions
from pshell.engine import own_process
from pshell.engine.streams import Streams
from pshell.remote.framing import ProtocolError, encode_frame, lines_message, read_frame
from pshell.remote.protocol import PROTOCOL_VERSION, prompt_info, serialize, serialize_record

__all__ = ["RunspaceHost", "serve", "main"]

BATCH_ITEMS = 4096          # flush an output batch at this many objects ...
BATCH_DELAY = 0.004         # ... or this long after its first object arrived
LINGER_TICKS = 5            # the flusher looks this many times more after the last batch began


class _Invocation:
    __slots__ = ("id", "rs_id", "msg", "batch", "first_at", "stopped", "running")

    def __init__(self, msg: Dict[str, Any]) -> None:
        self.id = msg.get("id")
        self.rs_id = msg.get("rs", 0)
        self.msg = msg
        import collections
        self.batch: Deque[Any] = collections.deque()
        self.first_at = 0.0
        self.stopped = False
        self.running = False


class _WireStreams(Streams):
    """Non-output records of one invocation go straight to the wire, after the output batched so
    far, so that the client sees everything in the order it was written."""

    def __init__(self, host: "RunspaceHost", inv: _Invocation) -> None:
        self._host = host
        self._inv = inv

    def _send(self, stream: str, record: Any) -> None:
        self._host._flush(self._inv)
        self._host.send({"t": "rec", "id": self._inv.id, "s": stream,
                         "r": serialize_record(record, stream)})

    def error(self, record: Any) -> None:
        self._send("error", record)

    def warning(self, record: Any) -> None:
        self._send("warning", record)

    def verbose(self, record: Any) -> None:
        self._send("verbose", record)

    def debug(self, record: Any) -> None:
        self._send("debug", record)

    def information(self, record: Any) -> None:
        self._send("information", record)

    def progress(self, record: Any) -> None:
        self._send("progress", record)


class _RunspaceSlot:
    """One runspace and the worker thread that runs its invocations one after another."""

    def __init__(self, host: "RunspaceHost", rs_id: int, runspace: Any, start: bool = True) -> None:
        import collections
        self.host = host
        self.id = rs_id
        self.runspace = runspace
        self.queue: Deque[_Invocation] = collections.deque()
        self.current: Optional[_Invocation] = None
        self.cond = threading.Condition()
        self.closed = False
        if start:       # (a temporary session's runs in its main thread: no Thread object made)
            threading.Thread(target=self._work, name=f"pshell-rs-{rs_id}", daemon=True).start()

    def submit(self, inv: _Invocation) -> None:
        with self.cond:
            self.queue.append(inv)
            self.cond.notify()

    def stop(self, inv_id: Any) -> None:
        with self.cond:
            for inv in list(self.queue):
                if inv.id == inv_id:
                    self.queue.remove(inv)
                    inv.stopped = True
                    self.host.send({"t": "done", "id": inv.id, "ok": False, "stopped": True,
                                    "prompt": self.prompt()})
                    return
            current = self.current
        if current is not None and current.id == inv_id:
            current.stopped = True
            self.runspace.stop()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.queue.clear()
            current = self.current
            self.cond.notify()
        if current is not None:
            self.runspace.stop()
        try:
            self.runspace.close()
        except Exception:
            pass

    def prompt(self) -> Dict[str, Any]:
        return prompt_info(str(getattr(self.runspace, "location", "") or ""))

    def _work(self) -> None:
        while True:
            with self.cond:
                while not self.queue and not self.closed:
                    self.cond.wait()
                if self.closed:
                    return
                inv = self.current = self.queue.popleft()
            try:
                self.host._run(self, inv)
            finally:
                with self.cond:
                    self.current = None


class RunspaceHost:
    """Runspaces by id, and the invocations running in them."""

    def __init__(self, send: Callable[[Dict[str, Any]], None],
                 runspace_factory: Optional[Callable[[], Any]] = None,
                 session_id: str = "", name: str = "") -> None:
        self._send = send
        self._factory = runspace_factory or _default_runspace
        self.session_id = session_id
        self.name = name
        self.slots: Dict[int, _RunspaceSlot] = {}
        self._pending: Dict[Any, _Invocation] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._files: Any = None           # pshell.remote.files.FileService, made on first use
        self.ptys: Dict[Any, Any] = {}     # programs on a pty by request id (remote/pty.py)
        self._flusher: Optional[threading.Thread] = None     # started by the first batch
        #: the flusher looks at the batches every BATCH_DELAY by itself (a burst of invocations):
        #: a new batch need not wake it.  ``_begun`` counts batches begun, so that it sees them
        self._ticking = False
        self._begun = 0
        #: False: a runspace gets no worker thread; whoever takes ``prepare_invoke``'s answer runs
        #: it (a temporary session's main thread, remote/oneshot.py)
        self.threaded = True
        #: True: a batch does not start the flusher thread (until ``start_flusher``); what is
        #: batched goes with ``done``, or when the batch is full
        self.lazy_flusher = False

    # ---- sending ----------------------------------------------------------------------
    def send(self, message: Dict[str, Any]) -> None:
        self._send(message)

    def _add_output(self, inv: _Invocation, item: Any) -> None:
        # Lock-free on the producer's side: deque.append/popleft are atomic, and every flush
        # (by the producer when the batch is full, or by the flusher thread when it is old)
        # pops from the front under the send lock, so nothing is lost or reordered.
        queue = inv.batch
        kind = type(item)
        if kind is bytes:                   # a raw chunk of native output: a binary frame
            self._flush(inv)
            with self._lock:
                self._send({"t": "out", "id": inv.id, "_bin": item})
            return
        queue.append(item if kind is str else serialize(item, secrets=True))
        size = len(queue)
        if size == 1:
            self._begin_batch(inv)
        elif size >= BATCH_ITEMS:
            self._flush(inv, True)

    def _begin_batch(self, inv: _Invocation) -> None:
        """The first object of a batch is there: it goes within BATCH_DELAY (with ``done``, or by
        the flusher).  A flusher that ticks already looks by itself: waking a thread for every
        invocation of a burst cost more than the rest of a short one's remote work."""
        inv.first_at = time.monotonic()
        self._pending[inv.id] = inv
        self._begun += 1
        # read after _pending is written; the flusher writes _ticking before it reads _pending
        if not self._ticking and not self._wake.is_set():
            self._wake_flusher()

    def _wake_flusher(self) -> None:
        """A batch waits: the flusher sends it after BATCH_DELAY unless it is sent before (by
        its producer, or in the ``done`` message).  The thread starts with the first batch."""
        if self._flusher is None:
            if self.lazy_flusher:
                self._wake.set()
                return
            with self._lock:
                if self._flusher is None and not self._closed:
                    self._flusher = threading.Thread(target=self._flush_loop, name="pshell-flush",
                                                     daemon=True)
                    self._flusher.start()
        self._wake.set()

    def _flush(self, inv: _Invocation, producer: bool = False) -> None:
        """Send what ``inv`` has batched.  ``producer``: called by the thread that appends to
        the batch, so nothing can be appended meanwhile and it can be taken whole."""
        queue = inv.batch
        with self._lock:
            if not queue:
                return
            if producer:
                items = list(queue)
                queue.clear()
            else:
                pop = queue.popleft
                items = [pop() for _ in range(len(queue))]
            self._pending.pop(inv.id, None)
            if queue:                       # the producer appended meanwhile: keep it pending
                inv.first_at = time.monotonic()
                self._pending[inv.id] = inv
            # sent under the lock so that batches of one invocation never overtake each other
            self._send(lines_message(inv.id, items) or {"t": "out", "id": inv.id, "o": items})

    def flush_all(self) -> None:
        """Send every batch that waits, now (before this process ends by its own hand:
        :mod:`pshell.engine.own_process`)."""
        for inv in list(self._pending.values()):
            self._flush(inv)
        # a batch the flusher thread took out of _pending before the loop above is still
        # being sent, under the lock: once we hold it, that batch has been handed to the wire
        with self._lock:
            pass

    def start_flusher(self) -> None:
        """End ``lazy_flusher``: from now on a batch waits at most BATCH_DELAY."""
        self.lazy_flusher = False
        self._wake_flusher()

    def _flush_loop(self) -> None:
        """Woken by a batch that begins while it waits, it ticks: every BATCH_DELAY it sends the
        batches that old, until LINGER_TICKS ticks in a row found none and none begun (then a
        new batch wakes it again)."""
        quiet = 0
        begun = 0
        while not self._closed:
            if not self._ticking:
                self._wake.wait(0.5)
                if not self._wake.is_set():
                    continue
                self._wake.clear()
                self._ticking = True
                quiet = 0
                begun = self._begun
            time.sleep(BATCH_DELAY)
            pending = self._pending
            if pending:
                now = time.monotonic()
                for inv in list(pending.values()):
                    if now - inv.first_at >= BATCH_DELAY:
                        try:
                            self._flush(inv)
                        except OSError:
                            return
            if pending or self._begun != begun:
                quiet = 0
                begun = self._begun
                continue
            quiet += 1
            if quiet >= LINGER_TICKS:
                self._ticking = False
                if self._pending:       # a batch began as it stopped (and saw it ticking)
                    self._ticking = True

    # ---- messages ---------------------------------------------------------------------
    def handle(self, msg: Dict[str, Any]) -> None:
        kind = msg.get("t")
        handler = getattr(self, f"_on_{kind}", None)
        if handler is None:
            self.send({"t": "error", "id": msg.get("id"), "message": f"unknown message {kind!r}"})
            return
        handler(msg)

    def _on_hello(self, msg: Dict[str, Any]) -> None:
        import platform
        self.session_id = msg.get("session") or self.session_id
        self.name = msg.get("name") or self.name
        info = prompt_info("")
        self.send({"t": "hello", "v": PROTOCOL_VERSION, "pid": os.getpid(), "user": info["user"],
                   "host": info["host"], "python": platform.python_version(),
                   "session": self.session_id, "name": self.name, "persistent": False})

    def _on_create(self, msg: Dict[str, Any]) -> None:
        rs_id = int(msg.get("rs", 0))
        try:
            runspace = self._factory()
        except Exception as exc:   # report, never die: the client shows the reason
            self.send({"t": "created", "rs": rs_id, "error": f"cannot create a runspace: {exc}"})
            return
        slot = _RunspaceSlot(self, rs_id, runspace, start=self.threaded)
        self.slots[rs_id] = slot
        self.send({"t": "created", "rs": rs_id, "prompt": slot.prompt()})

    def _slot(self, msg: Dict[str, Any]) -> Optional[_RunspaceSlot]:
        slot = self.slots.get(int(msg.get("rs", 0)))
        if slot is None:
            self.send({"t": "done", "id": msg.get("id"), "ok": False,
                       "error": serialize_record(_error(f"no runspace {msg.get('rs', 0)}"))})
        return slot

    def _on_invoke(self, msg: Dict[str, Any]) -> None:
        started = self.prepare_invoke(msg)
        if started is not None:
            started[0].submit(started[1])

    def prepare_invoke(self, msg: Dict[str, Any]) -> Optional[Tuple["_RunspaceSlot", _Invocation]]:
        """The runspace and the invocation an ``invoke`` asks for; None when it is answered
        already (no such runspace, a request too large)."""
        if msg.get("_toobig"):        # skipped by the frame decoder: say so, never run half
            self.send({"t": "done", "id": msg.get("id"), "ok": False, "error": serialize_record(
                _error(f"the command was not run: its request ({msg['_toobig']} bytes with its "
                       f"arguments, $using: values and input) is larger than this computer "
                       f"takes"))})
            return None
        slot = self._slot(msg)
        return None if slot is None else (slot, _Invocation(msg))

    def _on_stop(self, msg: Dict[str, Any]) -> None:
        for slot in list(self.slots.values()):
            slot.stop(msg.get("id"))

    def _on_prompt(self, msg: Dict[str, Any]) -> None:
        slot = self.slots.get(int(msg.get("rs", 0)))
        self.send({"t": "prompt", "id": msg.get("id"),
                   "prompt": slot.prompt() if slot else prompt_info("")})

    def _on_complete(self, msg: Dict[str, Any]) -> None:
        slot = self.slots.get(int(msg.get("rs", 0)))
        result: Dict[str, Any] = {"matches": []}
        if slot is not None:
            try:
                result = _complete(slot.runspace, msg.get("text", ""), int(msg.get("cursor", 0)))
            except Exception:
                pass
        result.update(t="completion", id=msg.get("id"))
        self.send(result)

    # ---- files (Copy-Item -ToSession / -FromSession): pshell.remote.files ------------------
    def _on_fput(self, msg: Dict[str, Any]) -> None:
        self._file_op(msg, "put")

    def _on_flist(self, msg: Dict[str, Any]) -> None:
        self._file_op(msg, "list")

    def _on_fnext(self, msg: Dict[str, Any]) -> None:
        self._file_op(msg, "more")

    def _on_fread(self, msg: Dict[str, Any]) -> None:
        self._file_op(msg, "read")

    def _file_op(self, msg: Dict[str, Any], op: str) -> None:
        from pshell.remote.files import FileService
        slot = self.slots.get(int(msg.get("rs", 0)))
        try:
            if slot is None:
                raise OSError(f"no runspace {msg.get('rs', 0)}")
            if self._files is None:
                self._files = FileService()
            answer = getattr(self._files, op)(slot.runspace, msg)
        except OSError as exc:
            answer = {"error": f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}"
                               .rstrip(": ")}
        except (ValueError, TypeError, KeyError) as exc:     # UnsafePath, or a malformed request
            answer = {"error": str(exc) or type(exc).__name__}
        answer.update(t="fdone", id=msg.get("id"))
        self.send(answer)

    def _on_close(self, msg: Dict[str, Any]) -> None:
        if "rs" in msg and msg["rs"] is not None:
            slot = self.slots.pop(int(msg["rs"]), None)
            if slot is not None:
                slot.close()
            return
        self.close()

    def _on_pty(self, msg: Dict[str, Any]) -> None:
        from pshell.remote.pty import start_pty
        start_pty(self, msg)

    def _on_pin(self, msg: Dict[str, Any]) -> None:
        program = self.ptys.get(msg.get("id"))
        if program is not None and msg.get("_bin") is not None:
            program.write(bytes(msg["_bin"]))

    def _on_pwin(self, msg: Dict[str, Any]) -> None:
        program = self.ptys.get(msg.get("id"))
        if program is not None:
            program.resize(msg.get("rows") or 24, msg.get("cols") or 80)

    def close(self) -> None:
        self._closed = True
        for program in list(self.ptys.values()):
            program.kill()
        for slot in list(self.slots.values()):
            slot.close()
        self.slots.clear()
        if self._files is not None:
            self._files.close()

    # ---- running ----------------------------------------------------------------------
    def _run(self, slot: _RunspaceSlot, inv: _Invocation) -> None:
        from pshell.engine.errors import ExitException, PipelineStopped, RuntimeException
        from pshell.remote.protocol import deserialize
        msg = inv.msg
        done: Dict[str, Any] = {"t": "done", "id": inv.id, "ok": True}
        try:
            args = [deserialize(a) for a in msg.get("args") or ()]
            using = {str(k).lower(): deserialize(v) for k, v in (msg.get("using") or {}).items()}
            data_in = msg.get("input")
            input_values = None if data_in is None else [deserialize(x) for x in data_in]
            streams = _WireStreams(self, inv)
            # raw: the client writes the output to a file, so a native command that ends a
            # top-level statement hands over bytes chunks, not decoded lines
            slot.runspace.raw_output = bool(msg.get("raw"))
            items = slot.runspace.invoke_iter(msg.get("script", ""), args=args, input=input_values,
                                              using=using, streams=streams,
                                              source=msg.get("source") or "<remote>")
            if inv.stopped:           # a stop that came while the invocation was starting
                slot.runspace.stop()
            # _add_output inlined for plain strings (Get-Content, native lines): no call per line
            batch = inv.batch
            append = batch.append
            add = self._add_output
            for item in items:
                if type(item) is str:       # as in _add_output
                    append(item)
                    size = len(batch)
                    if size == 1:
                        self._begin_batch(inv)
                    elif size >= BATCH_ITEMS:
                        self._flush(inv, True)
                else:
                    add(inv, item)
        except ExitException as exc:
            done["exit"] = exc.code
        except PipelineStopped:
            done.update(ok=False, stopped=True)
        except RuntimeException as exc:
            done.update(ok=False, error=serialize_record(exc.record))
        except ProtocolError as exc:
            done.update(ok=False, error=serialize_record(_error(f"bad request: {exc}")))
        except (Exception, RecursionError) as exc:
            if inv.stopped:
                done.update(ok=False, stopped=True)
            else:
                done.update(ok=False, error=serialize_record(
                    _error(f"internal error on the remote computer: {type(exc).__name__}: {exc}")))
        slot.runspace.raw_output = False
        if inv.stopped:
            done.update(ok=False, stopped=True)
        try:
            done["prompt"] = slot.prompt()
            queue = inv.batch
            with self._lock:
                # the last objects travel in the ``done`` message: one frame less per invocation
                if queue:
                    pop = queue.popleft
                    done["o"] = [pop() for _ in range(len(queue))]
                self._pending.pop(inv.id, None)
                self.send(done)
        except OSError:
            pass


def _error(message: str) -> Any:
    from pshell.engine.errors import ErrorRecord
    return ErrorRecord(message, "RemoteServerError", "NotSpecified")


def _default_runspace(event: bool = True) -> Any:
    """A session's runspace, in the user's home.  ``event``: note it in the event log (a
    warm-up's runspace is nobody's session)."""
    from pshell.engine.runtime import Runspace
    home = os.path.expanduser("~")     # remote sessions start in the user's home, as in pwsh
    rs = Runspace(location=home if os.path.isdir(home) else None)
    try:
        from pshell.engine.values import PSObject
        rs.set_variable("PSSenderInfo", PSObject({
            "UserName": prompt_info("")["user"], "ConnectionString": "ssh",
            "ApplicationArguments": None}, type_names=["pshell.PSSenderInfo"]))
    except Exception:
        pass
    if not event:
        return rs
    from pshell.engine.events import write_event
    write_event("Engine state is changed from None to Available. HostName=RemoteSession "
                f"SessionUser={prompt_info('')['user']}")
    return rs


def _complete(runspace: Any, text: str, cursor: int) -> Dict[str, Any]:
    """Tab completion in this runspace (paths, variables, commands are the remote's)."""
    from pshell.engine.completion import complete
    return {"matches": [c.as_dict() for c in complete(runspace, text, cursor)]}


# --------------------------------------------------------------------------- connection

class _FrameWriter:
    """Thread-safe frame writer on a raw file descriptor.

    While ``hold`` is true, frames wait in memory (at most HOLD_MAX bytes of them, then they go)
    until :meth:`release`, so that answers to requests that arrived together leave in one write
    (one packet through sshd, the broker and the client instead of one each: a temporary
    session, remote/oneshot.py).  Once ``hold`` is false, the next frame takes what was held
    with it: frames never change their order."""

    HOLD_MAX = 1 << 16

    def __init__(self, fd: int, hold: bool = False) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self.hold = hold
        self._held: List[bytes] = []
        self._held_size = 0

    def __call__(self, message: Dict[str, Any]) -> None:
        data = encode_frame(message)
        with self._lock:
            if self._held or self.hold:
                if self.hold and self._held_size + len(data) < self.HOLD_MAX:
                    self._held.append(data)
                    self._held_size += len(data)
                    return
                if self._held:
                    self._write(self._take(), data)
                    return
            self._write(data)

    def release(self, timeout: float = -1) -> None:
        """Write what is held now.  With a ``timeout``: nothing if another thread writes that
        long (a write blocked by a full channel took what was held before it)."""
        if not self._lock.acquire(True, timeout):
            return
        try:
            if self._held:
                self._write(self._take())
        finally:
            self._lock.release()

    def _take(self) -> bytes:
        held = self._held
        self._held = []
        self._held_size = 0
        return held[0] if len(held) == 1 else b"".join(held)

    def _write(self, *parts: bytes) -> None:
        views = [memoryview(part) for part in parts]
        while views:
            written = os.writev(self._fd, views) if len(views) > 1 else os.write(self._fd, views[0])
            while views and written >= len(views[0]):
                written -= len(views.pop(0))
            if written:
                views[0] = views[0][written:]


def serve(reader: BinaryIO, write_fd: int,
          runspace_factory: Optional[Callable[[], Any]] = None) -> int:
    """Serve one connection until the peer closes it; close the runspaces then."""
    writer = _FrameWriter(write_fd)
    host = RunspaceHost(writer, runspace_factory)
    own_process.before_end(host.flush_all)      # frames are written at once: nothing more
    try:
        while True:
            try:
                msg = read_frame(reader)
            except ProtocolError as exc:
                _log(f"protocol error: {exc}")
                return 2
            if msg is None:
                return 0
            if msg.get("t") == "close" and msg.get("rs") is None:
                return 0
            try:
                host.handle(msg)
            except OSError:
                return 0
    finally:
        own_process.forget(host.flush_all)
        host.close()


def _log(text: str) -> None:
    try:
        os.write(2, f"pshell server: {text}\n".encode("utf-8", "replace"))
    except OSError:
        pass


def _take_stdio() -> Any:
    """Keep the protocol's stdin/stdout for ourselves, and give fd 0/1 of child processes
    (native commands run by scripts) /dev/null and stderr, so nothing can corrupt the stream."""
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    try:
        sys.stdout = open(1, "w", closefd=False)
        sys.stdin = open(0, "r", closefd=False)
    except OSError:
        pass
    return os.fdopen(proto_in, "rb", buffering=1 << 16), proto_out


def _prewarm() -> None:
    """Load the language and the cmdlets while the client's first messages are on their way."""
    try:
        from pshell.engine.runtime import Runspace
        Runspace().invoke("$null")
    except Exception:
        pass


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--direct" not in args and not os.environ.get("PSHELL_DIRECT"):
        from pshell.remote.relay import relay
        return relay(0, 1)
    reader, write_fd = _take_stdio()
    threading.Thread(target=_prewarm, name="pshell-prewarm", daemon=True).start()
    try:
        return serve(reader, write_fd)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
