"""The process of a temporary session (``Invoke-Command -ComputerName`` without ``-AsJob``):
created, one invocation, closed.

It is still a process of its own, forked ahead of time by the supervisor and never used
before (see :mod:`pshell.remote.session_process`), so ``$env:``, the umask or ``Stop-Process
$PID`` in one never reach the next.  What it leaves out is what only a session that outlives
its connection needs: no outboxes (output is not kept for a reconnect, so it carries no sequence
numbers and needs no acknowledgement), no writer thread (a frame is written by the thread that
sends it, blocking while the channel is full), no reaper, no control loop, nothing on disk.

One thread does it all while it can: the main thread reads the connection and runs the
invocation itself (no worker thread, no hand-off between threads).  While an invocation runs
nobody reads, so a timer (``SIGALRM`` after HELPER_AFTER seconds, disarmed when it ends) starts
a helper thread for one that lasts: from then on the helper reads the connection (``stop`` and
a dropped channel act at once, the rest waits its turn in a queue for the main thread) and the
output flusher thread sends batches without waiting for ``done``.  A short invocation (``{ 1 }``)
never starts a thread; its output travels in its ``done``.

Answers to requests that arrived together leave together: while the main thread works on a
request the writer holds frames (at most 64 KiB), and they go in one write when no whole request
is waiting, when the helper starts, before ``Stop-Process $PID`` ends the process, and at the end
(one SSH packet through sshd, the broker and the client instead of one per answer).

When the connection ends (``close``, or the channel drops) the process stops what runs and
exits: nobody can reattach to a temporary session, and the client says so (the hello answer
has ``persistent`` false).  Standard library only (shipped to the remote computer).
"""

from __future__ import annotations

import _thread
import os
import queue
import select
import signal
import socket
from typing import Any, Dict, List, Optional, Set

from pshell.engine import own_process
from pshell.remote.framing import _HEAD, _PART, _SIZE, ProtocolError, read_frame
from pshell.remote.protocol import PROTOCOL_VERSION, prompt_info, python_version

__all__ = ["oneshot_main", "warm_up", "HELPER_AFTER"]

#: seconds an invocation runs before a helper thread reads the connection and flushes output
#: (wall-clock: an invocation that waits must still hear ``stop``)
HELPER_AFTER = 0.02

#: worked out once, in the supervisor (every session forked from it answers with it)
_PYTHON_VERSION = python_version()
_SUPERVISOR_ONLY = ("this connection belongs to a session: list and remove sessions on a "
                    "connection without one")
# what the main thread takes in order (the helper queues them); the rest acts at once
_IN_ORDER = ("invoke", "create")


def _whole_frame_at(data: bytes, pos: int) -> bool:
    """``data`` holds a whole message from ``pos`` on (one that is not in fragments: those are
    at least a FRAGMENT long and rare, so their answers are never held for them)."""
    if len(data) - pos < 4:
        return False
    word = int.from_bytes(data[pos:pos + 4], "big")
    return not word & (_HEAD | _PART) and len(data) - pos - 4 >= word & _SIZE


class _Input:
    """The connection's bytes as :func:`read_frame` reads them (``read``), knowing whether a
    whole frame is already here, so that answers wait for the requests that came with theirs."""

    CHUNK = 1 << 16

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = b""
        self.pos = 0
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN)

    def read(self, size: int) -> bytes:
        if self.pos >= len(self.data):
            if size >= self.CHUNK:
                return os.read(self.fd, size)
            self.data = os.read(self.fd, self.CHUNK)
            self.pos = 0
        start = self.pos
        self.pos = min(start + size, len(self.data))
        return self.data[start:self.pos] if start or self.pos < len(self.data) else self.data

    def ready(self) -> bool:
        """A whole frame is here, or came without waiting (what the connection holds is read
        if there is something and no whole frame yet)."""
        if _whole_frame_at(self.data, self.pos):
            return True
        if not self._poll.poll(0):
            return False
        more = os.read(self.fd, self.CHUNK)
        if not more:
            return False        # its end: the answers go before it is read
        self.data = self.data[self.pos:] + more
        self.pos = 0
        return _whole_frame_at(self.data, 0)

    def close(self) -> None:
        os.close(self.fd)


class _Once:
    """The connection of a temporary session: read by the main thread, or by the helper thread
    once an invocation has run for HELPER_AFTER seconds."""

    def __init__(self, rfd: int, lfd: int, write: Any, rhost: Any, name: str,
                 helper_after: float = HELPER_AFTER, at_end: Any = None) -> None:
        self.reader: Any = _Input(rfd)      # a stream to read_frame
        self.helper_after = helper_after    # 0: no timer, no helper (a warm-up)
        self.lfd = lfd
        self.write = write
        self.rhost = rhost
        self.name = name
        self.running = False            # the main thread runs an invocation
        self.helper = False             # the helper thread reads (the main thread never again)
        self.queue: "queue.SimpleQueue[Optional[Dict[str, Any]]]" = queue.SimpleQueue()
        self.stopped: Set[Any] = set()  # ids stopped before they ran
        self.ending = _thread.allocate_lock()
        self.at_end = at_end            # called once the connection is shut, before the exit

    # ---- reading ---------------------------------------------------------------------------
    def next(self) -> Optional[Dict[str, Any]]:
        if self.helper:
            return self.queue.get()
        if self.reader.ready():
            return read_frame(self.reader)
        # it would wait: what answers the requests read so far leaves now, in one write, and
        # what other threads write meanwhile (a program on a pty) goes at once
        write = self.write
        write.hold = False
        write.release()
        msg = read_frame(self.reader)
        write.hold = True               # the helper starts only while an invocation runs
        return msg

    def on_alarm(self, signum: int, frame: Any) -> None:
        """SIGALRM, in the main thread between two bytecodes of the invocation: start the helper.
        Nothing here may take a lock the interrupted code could hold (``_thread``, not
        ``threading``)."""
        if self.running and not self.helper:
            self.helper = True
            self.write.hold = False         # the next frame takes what is held along
            _thread.start_new_thread(self._help, ())

    def _help(self) -> None:
        self.write.release()                # the answers held so far, before any output
        self.rhost.start_flusher()
        try:
            while True:
                msg = read_frame(self.reader)
                if msg is None:
                    break
                kind = msg.get("t")
                if kind == "close" and msg.get("rs") is None:
                    self.close(msg)         # stops what runs, as it always did
                    break
                if kind in _IN_ORDER:
                    self.queue.put(msg)
                else:
                    self.handle(msg)
        except (ProtocolError, OSError, ValueError) as exc:
            self.end(0, f"connection ended: {exc}")
        except BaseException as exc:        # noqa: B902 - never a silent thread death
            self.end(70, f"failed: {type(exc).__name__}: {exc}")
        self.end(0)

    # ---- serving ---------------------------------------------------------------------------
    def serve(self) -> None:
        while True:
            msg = self.next()
            if msg is None:
                return
            if msg.get("t") == "close" and msg.get("rs") is None:
                self.close(msg)
                return
            self.handle(msg)

    def close(self, msg: Dict[str, Any]) -> None:
        self.rhost.close()
        try:
            self.write({"t": "closed", "id": msg.get("id")})
        except OSError:     # the client does not wait for it
            pass

    def handle(self, msg: Dict[str, Any]) -> None:
        kind = msg.get("t")
        if kind == "ack":
            return
        if kind in ("hello", "list", "remove"):
            self.write({"t": "hello" if kind == "hello" else "error", "id": msg.get("id"),
                        "error": _SUPERVISOR_ONLY, "message": _SUPERVISOR_ONLY})
        elif kind == "disconnect":
            self.write({"t": "disconnected", "id": msg.get("id"),
                        "error": "a temporary session ends with its connection"})
        elif kind == "receive":
            self.write({"t": "pending", "id": msg.get("id"), "ids": []})
        elif kind == "invoke":
            self.invoke(msg)
        else:
            if kind == "stop":
                self.stopped.add(msg.get("id"))
            self.rhost.handle(msg)

    def invoke(self, msg: Dict[str, Any]) -> None:
        started = self.rhost.prepare_invoke(msg)
        if started is None:
            return
        slot, inv = started
        if inv.id in self.stopped:      # stopped while it waited behind another
            self.write({"t": "done", "id": inv.id, "ok": False, "stopped": True,
                        "prompt": slot.prompt()})
            return
        with slot.cond:
            slot.current = inv
        self.running = True
        if self.helper_after:
            signal.setitimer(signal.ITIMER_REAL, self.helper_after)
        try:
            self.rhost._run(slot, inv)
        finally:
            self.running = False
            if self.helper_after:
                signal.setitimer(signal.ITIMER_REAL, 0)
            with slot.cond:
                slot.current = None

    # ---- ending ----------------------------------------------------------------------------
    def end(self, code: int, why: str = "") -> None:
        """Stop what still runs (its jobs and native commands too), let sshd end the channel,
        and end the process (never returns).  Either thread may call it; the first one does."""
        self.ending.acquire()
        if why:
            from pshell.remote.session_process import _log
            _log(f"temporary session {self.name}: {why}")
        try:
            self.rhost.close()
        except BaseException:   # noqa: B902
            pass
        self.write.hold = False
        try:
            # not behind a write that the channel blocks (it took what was held before it)
            self.write.release(timeout=0.2)
        except OSError:
            pass
        try:
            # sshd ends the channel now (the supervisor's copies of the descriptors go when it
            # reaps this process)
            socket.socket(fileno=self.lfd).shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if self.at_end is not None:
            try:
                self.at_end()
            except BaseException:   # noqa: B902 - the process ends either way
                pass
        _exit_quietly(code)


def _exit_quietly(code: int) -> None:
    """End the process at the lowest priority: its connection is closed and what ran is
    stopped, so all that is left is the kernel freeing the address space (thousands of page
    table entries shared with the supervisor, ~0.5 ms), which must not take the CPU from the
    sessions still serving a fan-out.  The supervisor learns of the end, as before, when the
    process's descriptors close (after its memory is freed)."""
    try:
        os.nice(19)
    except OSError:
        pass
    os._exit(code)


#: the temporary session of this process (SIGALRM's handler is installed before it is known)
_ONCE: "List[_Once]" = []
_alarm_ready = False


def _on_alarm(signum: int, frame: Any) -> None:
    if _ONCE:
        _ONCE[0].on_alarm(signum, frame)


def ready_alarm() -> None:
    """Install SIGALRM's handler (once; a spare does it before it is told its session)."""
    global _alarm_ready
    if not _alarm_ready:
        signal.signal(signal.SIGALRM, _on_alarm)
        _alarm_ready = True


def oneshot_main(setup: Dict[str, Any], conn: Dict[str, Any], fds: Any, at_end: Any = None) -> None:
    """Serve the connection ``conn`` (its ``hello`` already read by the supervisor) over ``fds``
    (read, write, lifeline) until it closes; then end the process (never returns).  ``at_end``:
    called once the connection is shut (the session tells its supervisor what it ran)."""
    from pshell.remote.server import RunspaceHost, _FrameWriter, _default_runspace
    rfd, wfd, lfd = fds
    write = _FrameWriter(wfd, hold=True)
    rhost = RunspaceHost(write, _default_runspace, str(setup["id"]), str(setup["name"]))
    rhost.threaded = False
    rhost.lazy_flusher = True
    once = _Once(rfd, lfd, write, rhost, str(setup.get("name")), HELPER_AFTER, at_end=at_end)
    _ONCE.append(once)
    # Stop-Process -Id $PID: what waits for ``done`` or the flusher goes out before the signal
    # (the writer writes each frame whole before it returns)
    own_process.before_end(rhost.flush_all)
    own_process.before_end(write.release)
    code, why = 0, ""
    try:
        ready_alarm()
        who = prompt_info("")
        write({"t": "hello", "v": PROTOCOL_VERSION, "pid": os.getpid(), "user": who["user"],
               "host": who["host"], "python": _PYTHON_VERSION, "persistent": False,
               "session": setup["id"], "name": setup["name"], "sock": setup["socket"]})
        once.serve()
    except (ProtocolError, OSError, ValueError) as exc:
        why = f"connection ended: {exc}"
    except BaseException as exc:        # noqa: B902 - nothing may return into the supervisor
        code, why = 70, f"failed: {type(exc).__name__}: {exc}"
    finally:
        once.end(code, why)


def warm_up() -> None:
    """Serve, in a spare process, what a temporary session's connection brings (a runspace,
    ``1`` run, the connection closed) over a socket pair, so that the pages a session writes
    are this process's before one needs them: a page first written after the fork costs a
    copy then, on the session's time.  The supervisor runs it too before it forks, so that the
    code is specialised and the caches filled once for all.  No timer: a helper thread would
    take the ``close`` and end the process (a slow machine's warm-up must not kill its spare).
    Writes no event: this is nobody's session."""
    from pshell.remote.framing import encode_frame
    from pshell.remote.server import RunspaceHost, _default_runspace, _FrameWriter
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(b"".join(encode_frame(m) for m in (
            {"t": "create", "rs": 0},
            {"t": "invoke", "id": 1, "rs": 0, "script": "1", "args": [], "using": {},
             "input": None, "source": "<remote>"},
            {"t": "close", "id": 2})))
        write = _FrameWriter(ours.fileno(), hold=True)
        rhost = RunspaceHost(write, lambda: _default_runspace(event=False), "warm-up", "")
        rhost.threaded = False
        rhost.lazy_flusher = True
        once = _Once(os.dup(ours.fileno()), ours.fileno(), write, rhost, "warm-up", 0)
        who = prompt_info("")
        write({"t": "hello", "v": PROTOCOL_VERSION, "pid": os.getpid(), "user": who["user"],
               "host": who["host"], "python": "", "persistent": False, "session": "warm-up"})
        try:
            once.serve()
            write.release()
        finally:
            once.reader.close()
            rhost.close()
    finally:
        ours.close()
        theirs.close()
