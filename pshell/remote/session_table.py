"""The supervisor's table of sessions (:mod:`pshell.remote.supervisor`): each session as the
supervisor sees it (id, name, process, the connections it was handed), creating, finding,
listing and removing them, the Session<n> counter, the notes (tombstones) of sessions whose
process died, and what the session processes say on their control sockets, their end included
(the client gets a ``bye``; a session that was on disk comes back in a new process)."""

from __future__ import annotations

# Imported before the supervisor's first thread starts (see supervisor.py).
import json
import os
import queue
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from pshell.remote.children import _close, status_text
from pshell.remote.framing import encode_frame
from pshell.remote.session_process import DEFAULT_IDLE_TIMEOUT, _log

if TYPE_CHECKING:
    import itertools

    from pshell.remote.lobby import Lobby
    from pshell.remote.precompile import Precompiler

_TOMBSTONES = 200


def _random_uuid() -> str:
    """A version-4 UUID's text (what ``uuid.uuid4()`` gives; the module is 0.5 ms of every
    host's start for the rare hello without an id)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _Child:
    """A session and its process, as the supervisor sees it."""

    def __init__(self, session_id: str, name: str, idle: float, created: float,
                 env: Dict[bytes, bytes], umask: int) -> None:
        self.id = session_id
        self.name = name
        self.idle = idle
        self.created = created
        self.env = env
        self.umask = umask
        self.pid: Optional[int] = None
        self.ctl: Optional[socket.socket] = None
        self.restore = ""               # bring it back from disk, for this reason
        self.ending = False
        self.once = False               # a temporary session (one invocation, no reconnect)
        self.conns: Dict[int, Tuple[int, int]] = {}    # number -> (write fd, lifeline fd)
        self.unwatched = False          # started for a connection whose thread will watch it
        self.waiters: Dict[int, "queue.Queue[Any]"] = {}
        self.gone = threading.Event()
        self.lock = threading.Lock()


class SessionTable:
    """The sessions part of :class:`pshell.remote.supervisor.Supervisor` (which sets this
    state up)."""

    children: Dict[str, _Child]
    tombstones: Dict[str, Tuple[str, str]]
    lock: threading.RLock
    lobby: Lobby
    precompiler: Precompiler
    hostname: str
    sessions_dir: str
    _asks: itertools.count[int]
    _counter: Optional[int]
    _counter_saved: int
    _counter_path: str

    if TYPE_CHECKING:       # the supervisor's (supervisor.py)
        def ensure_started(self, child: _Child, conn: Optional[Dict[str, Any]] = None,
                           conn_fds: Optional[List[int]] = None, watch: bool = True
                           ) -> Optional[str]: ...

    # ---- sessions --------------------------------------------------------------------------
    def create(self, session_id: str, name: str, idle: Any, env: Dict[bytes, bytes], umask: int
               ) -> Tuple[Optional[_Child], str]:
        from pshell.remote.validate import session_id_error, valid_idle
        # a client's id names a directory: nothing else goes (a uuid made here needs no check)
        error = session_id_error(session_id) if session_id else None
        session_id = session_id or _random_uuid()
        if idle is not None and not error:
            idle, error = valid_idle(idle)
        if error:
            return None, error
        with self.lock:
            if session_id in self.children:
                return None, f"a session with id {session_id} already exists"
            if name:
                for other in self.children.values():
                    if other.name.lower() == name.lower():
                        return None, (f"A session named '{other.name}' already exists on this "
                                      f"computer. Connect to it with Connect-PSSession, or "
                                      f"choose another name.")
                named = True
            else:
                name = self._default_name()
                named = False
            seconds = idle if idle is not None else DEFAULT_IDLE_TIMEOUT
            child = _Child(session_id, name, seconds, time.time(), env, umask)
            child.named = named       # type: ignore[attr-defined]
            self.children[session_id] = child
        return child, ""

    def _default_name(self) -> str:
        """Session<n>, unique for this user on this computer.  The counter is read from disk
        once and written back when a session goes to disk."""
        if self._counter is None:
            try:
                with open(self._counter_path, encoding="utf-8") as fh:
                    self._counter = int(json.load(fh).get("n", 0))
            except (OSError, ValueError, AttributeError):
                self._counter = 0
            self._counter_saved = self._counter
        used = {c.name.lower() for c in self.children.values()}
        while True:
            self._counter += 1
            if f"session{self._counter}" not in used:
                return f"Session{self._counter}"

    def save_counter(self) -> None:
        from pshell.remote.spool import write_atomic
        with self.lock:
            n = self._counter
            if n is None or n <= self._counter_saved:
                return
            self._counter_saved = n
        try:
            write_atomic(self._counter_path, {"n": n})
        except OSError:
            pass

    def find(self, key: str) -> Tuple[Optional[_Child], str]:
        """A session by id or name.  A temporary one is nobody else's: its process serves its
        one connection and reads no control message (asked, it would never answer)."""
        with self.lock:
            child = self.children.get(key)
            if child is None:
                matches = [c for c in self.children.values() if c.name.lower() == key.lower()]
                child = matches[0] if matches else None
            if child is not None and child.once:
                child = None
            if child is not None:
                return child, ""
            for sid, (name, why) in self.tombstones.items():
                if key == sid or key.lower() == name.lower():
                    return None, f"The session {name} is gone: {why}."
            names = sorted(c.name for c in self.children.values() if not c.once)
        listing = ", ".join(names) if names else "none"
        return None, (f"There is no session '{key}' for this user on this computer. "
                      f"Sessions here: {listing}.")

    def remove(self, key: str, force: bool) -> Optional[str]:
        child, error = self.find(key)
        if child is None:
            with self.lock:
                if any(key == sid or key.lower() == name.lower()
                       for sid, (name, _) in self.tombstones.items()):
                    return None         # its process ended: there is nothing left to remove
            return error
        answer = self.ask(child, {"op": "remove", "force": force})
        if answer is None:
            if not child.gone.wait(5):
                return f"The session {child.name} did not answer."
            return None
        if answer.get("error"):
            return str(answer["error"])
        child.gone.wait(5)
        return None

    def listing(self) -> List[Dict[str, Any]]:
        with self.lock:
            children = sorted((c for c in self.children.values() if not c.once),
                              key=lambda c: c.created)
        out = []
        for child in children:
            answer = self.ask(child, {"op": "describe"})
            if answer is not None and isinstance(answer.get("d"), dict):
                out.append(answer["d"])
        return out

    # ---- their processes -------------------------------------------------------------------
    def _watch_later(self, child: _Child) -> None:
        """Watch the session's process from the lobby: what it says, and its end."""
        ctl = child.ctl
        assert ctl is not None and child.pid is not None
        self.lobby.add(ctl.fileno(), lambda fd: self._control(child, ctl, fd))

    def _control(self, child: _Child, ctl: socket.socket, fd: int) -> None:
        """In the lobby: a message from a session's process, or its end (then the truth about
        it is told once the process is reaped)."""
        try:
            data = ctl.recv(1 << 20, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self._heard(child, data)
            return
        self.lobby.drop(fd)
        pid = child.pid
        assert pid is not None

        def reap() -> bool:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if not done:
                return False        # its descriptors closed before it ended: soon
            ctl.close()
            if child.ending or (child.once and status == 0):
                self._ended(child, status)      # nothing to tell, nothing to restart
            else:
                threading.Thread(target=self._ended, args=(child, status),
                                 name="pshell-host-ended", daemon=True).start()
            return True
        if not reap():
            self.lobby.retry(reap)

    def _heard(self, child: _Child, data: bytes) -> None:
        try:
            msg = json.loads(data.decode("utf-8", "surrogatepass"))
            op = msg.get("op")
        except (ValueError, AttributeError):
            return
        if op == "gone":
            with child.lock:
                fds = child.conns.pop(int(msg.get("c") or 0), None)
            if fds is not None:
                _close(*fds)
        elif op == "saved":
            self.save_counter()
        elif op == "ending":
            child.ending = True
        elif op == "ran":           # texts to compile ahead for the next spares (precompile.py)
            self.precompiler.heard(msg)
        elif op in ("described", "removed"):
            waiter = child.waiters.pop(int(msg.get("n") or 0), None)
            if waiter is not None:
                waiter.put(msg)

    def _ended(self, child: _Child, status: int) -> None:
        for waiter in list(child.waiters.values()):
            waiter.put(None)
        child.waiters.clear()
        with child.lock:
            conns = list(child.conns.values())
            child.conns.clear()
        if child.ending or (child.once and status == 0):
            for fds in conns:
                _close(*fds)
            self._forget(child)
            return
        why = f"the session's process on {self.hostname} ended ({status_text(status)})"
        _log(f"session {child.name}: {why}")
        bye = encode_frame({"t": "bye", "reason": why, "ended": True})
        for wfd, lfd in conns:
            try:
                os.set_blocking(wfd, False)
                os.write(wfd, bye)
            except OSError:
                pass
            _close(wfd, lfd)
        if os.path.exists(os.path.join(self.sessions_dir, child.id, "session.json")):
            child.pid = None
            child.ctl = None
            child.restore = why
            if self.ensure_started(child) is None:
                return
        with self.lock:
            self.tombstones[child.id] = (child.name, why)
            while len(self.tombstones) > _TOMBSTONES:
                self.tombstones.pop(next(iter(self.tombstones)))
        self._forget(child)

    def _forget(self, child: _Child) -> None:
        with self.lock:
            if self.children.get(child.id) is child:
                del self.children[child.id]
        child.gone.set()

    def ask(self, child: _Child, msg: Dict[str, Any], timeout: float = 10) -> Optional[Dict[str, Any]]:
        """A question to a session's process; None when it does not answer."""
        if child.pid is None:
            self.ensure_started(child)
        n = next(self._asks)
        waiter: "queue.Queue[Any]" = queue.Queue()
        child.waiters[n] = waiter
        try:
            with child.lock:
                assert child.ctl is not None
                child.ctl.send(json.dumps(dict(msg, n=n)).encode())
            return waiter.get(timeout=timeout)
        except (OSError, AssertionError, queue.Empty):
            return None
        finally:
            child.waiters.pop(n, None)

