"""A session's own process: its runspaces, their jobs and spools, and the connections
attached to it.

The supervisor (:mod:`pshell.remote.supervisor`) forks one per session after it has imported the
engine, so a session costs a fork and shares the engine's pages with the supervisor until it
writes them.  Before it makes a runspace the process takes the environment and umask of the SSH
login that created the session (``os.environ`` is what a Runspace copies, and what native
commands inherit), so sessions never see each other's ``$env:`` or the supervisor's own umask.

The supervisor hands it connections over a control socket (``SOCK_SEQPACKET``, the connection's
descriptors as ``SCM_RIGHTS``); from then on the process reads and writes the client's channel
itself.  Control messages (JSON, one per packet):

from the supervisor  ``conn`` {c, hello, info} + fds (read, write, lifeline): serve it; the
                     hello (create or attach) is answered here
                     ``describe`` {n}: answer ``described`` {n, d}
                     ``remove`` {n, force}: answer ``removed`` {n, error}; ends the session
to the supervisor    ``gone`` {c}: the connection is closed here (the supervisor drops its copy)
                     ``saved``: the session went to disk (the supervisor writes its counter)
                     ``ending``: the session ends on purpose (close, remove, idle timeout)
                     ``ran`` {texts}: texts it parsed that were not compiled ahead (the
                     supervisor compiles them for the next spares: remote/precompile.py)

When the control socket closes (the supervisor died) the session ends with it: a new supervisor
brings sessions back from disk, as after a crash.
"""

from __future__ import annotations

import datetime as _dt
import json
import marshal
import os
import signal
import socket
import threading
import time
from typing import Any, Dict, List, Optional

from pshell.engine import own_process
from pshell.remote.outbox import Outbox
from pshell.remote.framing import ProtocolError, encode_frame, read_frame
from pshell.remote.protocol import prompt_info, python_version

__all__ = ["HostedSession", "SessionProcess", "session_main", "take_environment",
           "DEFAULT_IDLE_TIMEOUT", "OUTBOX_LIMIT"]

DEFAULT_IDLE_TIMEOUT = 24 * 3600
OUTBOX_LIMIT = 32 << 20
CONTROL_MAX = 1 << 20
SPARE_CHUNK = 1 << 15       # the environment goes to a spare process in packets this size
_HOLD_MAX = 1 << 16         # answers held for one write (_Connection.release) at most
_SEQUENCED = ("out", "rec", "done")
_SUPERVISOR_ONLY = ("this connection belongs to a session: list and remove sessions on a "
                    "connection without one")


def _now_iso(ts: Optional[float]) -> Optional[str]:
    return None if ts is None else _dt.datetime.fromtimestamp(ts).isoformat(timespec="seconds")


def _log(text: str) -> None:
    try:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        os.write(2, f"{stamp} [{os.getpid()}] {text}\n".encode("utf-8", "replace"))
    except OSError:
        pass


# --------------------------------------------------------------------------- sessions

class HostedSession:
    """A session of the host: a RunspaceHost, who is attached to it, and the outboxes."""

    def __init__(self, daemon: "SessionProcess", session_id: str, name: str,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT, created: Optional[float] = None,
                 restored: bool = False) -> None:
        from pshell.remote.server import RunspaceHost
        self.daemon = daemon
        self.id = session_id
        self.name = name
        self.idle_timeout = idle_timeout
        self.created = created if created is not None else time.time()
        self.restored = restored
        self.lost_process = ""          # why the session's previous process ended (restored)
        self.conn: Optional["_Connection"] = None
        self.token = ""
        self.disconnected_at: Optional[float] = time.time()
        self.closed = False
        self.max_id = 0
        self.cond = threading.Condition()
        self.outboxes: Dict[Any, Outbox] = {}
        self.directory = os.path.join(daemon.sessions_dir, session_id)
        self.meta_saved = restored
        self.rhost = RunspaceHost(self._send, self._make_runspace, session_id, name)

    # ---- runspaces ---------------------------------------------------------------------
    def _make_runspace(self) -> Any:
        from pshell.remote.server import _default_runspace
        from pshell.remote.spool import SpoolingJobManager, spooling_enabled
        rs = _default_runspace()
        rs._jobs = SpoolingJobManager(rs, os.path.join(self.directory, "jobs"), spooling_enabled())
        rs._jobs.before_spool = self.save_meta      # a job on disk needs its session on disk
        return rs

    def restore_runspace(self, reason: str) -> int:
        """After the session's process or the supervisor ended: runspace 0 with the jobs left
        on disk (the running ones fail with ``reason``)."""
        from pshell.remote.server import _RunspaceSlot
        from pshell.remote.spool import SpoolingJobManager, recover_jobs
        rs = self._make_runspace()
        rs._jobs = SpoolingJobManager(rs, os.path.join(self.directory, "jobs"))
        count = recover_jobs(rs._jobs, reason)
        self.rhost.slots[0] = _RunspaceSlot(self.rhost, 0, rs)
        return count

    def save_meta(self, force: bool = False) -> None:
        """Put the session on disk (once; again with ``force``, after a change), so that a new
        host finds it if this one dies.  Done when it is named, when it has a job to spool, when
        its client leaves - not for the temporary session of an ``Invoke-Command
        -ComputerName``, which costs no disk at all."""
        if self.meta_saved and not force:
            return
        self.meta_saved = True
        from pshell.remote.spool import write_atomic
        self.daemon.save_counter()
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            write_atomic(os.path.join(self.directory, "session.json"), {
                "id": self.id, "name": self.name, "created": self.created,
                "idle": self.idle_timeout})
        except OSError as exc:
            _log(f"cannot save session {self.name}: {exc}")

    # ---- messages from the runspaces -------------------------------------------------------
    def _send(self, msg: Dict[str, Any]) -> None:
        kind = msg.get("t")
        if kind not in _SEQUENCED:
            conn = self.conn
            if conn is not None:
                conn.send(msg)
            return
        inv_id = msg.get("id")
        with self.cond:
            box = self.outboxes.get(inv_id)
            if box is None:
                box = self.outboxes[inv_id] = Outbox(inv_id)
                box.attached = self.conn is not None
            box.q += 1
            msg["q"] = box.q
            frame = encode_frame(msg)
            box.frames.append((box.q, frame))
            box.bytes += len(frame)
            if kind == "done":
                box.done = True
            elif box.bytes > OUTBOX_LIMIT:
                # nobody is taking the output: the command waits, as PowerShell's does
                while box.bytes > OUTBOX_LIMIT and not self.closed and not box.stopping:
                    self.cond.wait(1.0)
            conn = self.conn if box.attached else None
            if conn is not None:
                conn.send_frame(frame)

    # ---- attaching -----------------------------------------------------------------------
    def attach(self, conn: "_Connection", token: str, force: bool, resume: Dict[str, Any],
               answer: Dict[str, Any]) -> Optional[str]:
        """Make ``conn`` this session's connection; send ``answer`` then what ``resume`` says the
        client misses.  Returns an error message instead when the session is in use."""
        with self.cond:
            if self.closed:
                return f"The session {self.name} has ended."
            old = self.conn
            if old is not None and old is not conn and old.alive:
                if not force and not (token and token == self.token):
                    since = _now_iso(old.since) or "?"
                    return (f"The session {self.name} is in use by another pshell (connected "
                            f"since {since}). Use -Force to take it over.")
                old.taken_over(self)
            for box in self.outboxes.values():
                box.attached = False
            self.conn = conn
            self.token = token or self.token
            self.disconnected_at = None
            conn.session = self
            lost = [i for i in resume if _int(i) not in self.outboxes]
            answer.update(self.describe(conn))
            answer.update(next_id=self.max_id + 1, lost=lost, attached=True)
            conn.send(answer)
            for inv_id, q in resume.items():
                resumed = self.outboxes.get(_int(inv_id))
                if resumed is not None:
                    resumed.drop_upto(int(q or 0))
                    self.trimmed_done(resumed)
                    self._replay(conn, resumed)
            self.cond.notify_all()
        return None

    def _replay(self, conn: "_Connection", box: Outbox) -> None:
        box.attached = True
        for _, frame in list(box.frames):
            conn.send_frame(frame)
        if box.done and not box.frames:
            self.outboxes.pop(box.id, None)

    def detach(self, conn: "_Connection") -> None:
        with self.cond:
            if self.conn is not conn:
                return
            self.conn = None
            self.disconnected_at = time.time()
            for box in self.outboxes.values():
                box.attached = False
        if not self.closed:
            self.save_meta()

    def expect(self, inv_id: Any) -> None:
        """An invocation starts: its outbox exists from now on, so that a client that leaves
        before it writes anything (-InDisconnectedSession) finds it pending, and waits for it."""
        with self.cond:
            if inv_id not in self.outboxes:
                box = self.outboxes[inv_id] = Outbox(inv_id)
                box.attached = self.conn is not None

    def receive(self, conn: "_Connection", request_id: Any) -> None:
        """Send the list of invocations whose output this client has not seen, then it."""
        with self.cond:
            boxes = [b for b in self.outboxes.values() if not b.attached and self.conn is conn]
            conn.send({"t": "pending", "id": request_id,
                       "ids": [{"id": b.id, "done": b.done} for b in boxes]})
            for box in boxes:
                self._replay(conn, box)

    def ack(self, inv_id: Any, q: int, pq: int = 0, pn: int = 0) -> None:
        with self.cond:
            box = self.outboxes.get(inv_id)
            if box is None:
                return
            box.drop_upto(q, pq, pn)
            self.trimmed_done(box)
            self.cond.notify_all()

    def trimmed_done(self, box: Outbox) -> None:
        if box.done and not box.frames:
            self.outboxes.pop(box.id, None)

    def stopping(self, inv_id: Any) -> None:
        with self.cond:
            box = self.outboxes.get(inv_id)
            if box is not None:
                box.stopping = True
                self.cond.notify_all()

    def note_id(self, value: Any) -> None:
        if type(value) is int and value > self.max_id:
            self.max_id = value

    # ---- ending ----------------------------------------------------------------------------
    def before_end(self) -> None:
        """The process kills itself (``Stop-Process -Id $PID``): send what waits in a batch,
        and let the writer thread write what the channel did not take at once."""
        self.rhost.flush_all()
        conn = self.conn
        if conn is not None:
            conn.drain()

    def close(self) -> None:
        with self.cond:
            if self.closed:
                return
            self.closed = True
            self.cond.notify_all()
        runspaces = [slot.runspace for slot in self.rhost.slots.values()]
        self.rhost.close()
        for rs in runspaces:            # remove the jobs: their spools close before the rmtree
            try:
                rs.jobs.close()
            except Exception:
                pass
        if self.meta_saved:
            import shutil
            shutil.rmtree(self.directory, ignore_errors=True)

    # ---- describing ------------------------------------------------------------------------
    def describe(self, conn: Optional["_Connection"] = None) -> Dict[str, Any]:
        attached = self.conn is not None and self.conn.alive
        slot = self.rhost.slots.get(0)
        jobs = 0
        running = False
        if slot is not None:
            try:
                jobs = len(slot.runspace.jobs)
            except Exception:
                jobs = 0
            running = slot.current is not None or bool(slot.queue)
        expires = None
        if not attached and self.disconnected_at is not None:
            expires = self.disconnected_at + self.idle_timeout
        return {"session": self.id, "name": self.name,
                "state": "Opened" if attached else "Disconnected",
                "mine": attached and self.conn is conn,
                "busy": running, "created": _now_iso(self.created), "jobs": jobs,
                "idle": self.idle_timeout, "disconnected_at": _now_iso(self.disconnected_at)
                if not attached else None, "expires": _now_iso(expires),
                "pending": sum(1 for b in self.outboxes.values() if not b.attached),
                "restored": self.restored,
                "ended": self.lost_process or None,
                "prompt": slot.prompt() if slot is not None else prompt_info("")}


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


# --------------------------------------------------------------------------- connections

class _Connection:
    """One SSH channel handed over by a relay: read frames, answer, write through a queue."""

    def __init__(self, daemon: "SessionProcess", rfd: int, wfd: int, lifeline: socket.socket,
                 info: Dict[str, Any], number: int = 0) -> None:
        import queue
        self.daemon = daemon
        self.rfd = rfd
        self.wfd = wfd
        self.lifeline = lifeline
        self.info = info
        self.number = number       # the supervisor's name for it (it holds a copy)
        self.session: Optional[HostedSession] = None
        self.alive = True
        self.since = time.time()
        # Frames are written by the thread that sends them when the channel takes them at once
        # (a socket, written with MSG_DONTWAIT); the writer thread takes over whatever would
        # block, and until it has written all of that, every frame queues behind it.
        self._wlock = threading.Lock()
        self._backlog = 0
        self._wsock: Optional[socket.socket] = None
        try:
            import stat
            if stat.S_ISSOCK(os.fstat(wfd).st_mode):
                self._wsock = socket.socket(fileno=os.dup(wfd))
        except OSError:
            self._wsock = None
        self._out: "queue.SimpleQueue[Optional[bytes]]" = queue.SimpleQueue()
        # the answers to the first requests (hello, then create or replays) are held until the
        # reader would wait for a request, then leave in one write (see run)
        self._held: Optional[List[bytes]] = []
        self._held_size = 0
        self._writer = threading.Thread(target=self._write_loop, name="pshell-host-write",
                                        daemon=True)
        self._writer.start()

    # ---- writing -------------------------------------------------------------------------
    def send_frame(self, frame: bytes) -> None:
        if not self.alive:
            return
        with self._wlock:
            held = self._held
            if held is not None:
                if self._held_size + len(frame) <= _HOLD_MAX:
                    held.append(frame)
                    self._held_size += len(frame)
                    return
                self._held = None
                frame = b"".join(held) + frame
            self._write_locked(frame)

    def release(self) -> None:
        """Write the answers held so far; from now on every frame goes at once."""
        with self._wlock:
            held, self._held = self._held, None
            if held:
                self._write_locked(b"".join(held))

    def _write_locked(self, frame: bytes) -> None:
        if not self._backlog and self._wsock is not None:
            try:
                sent = self._wsock.send(frame, socket.MSG_DONTWAIT)
            except BlockingIOError:
                sent = 0
            except OSError:
                self.alive = False
                self._out.put(None)
                return
            if sent == len(frame):
                return
            frame = frame[sent:]
        self._backlog += 1
        self._out.put(frame)

    def send(self, msg: Dict[str, Any]) -> None:
        self.send_frame(encode_frame(msg))

    def drain(self, patience: float = 30.0) -> None:
        """Wait until the writer thread has written every queued frame (the channel's reader
        took them), while it makes progress: at most ``patience`` seconds without any."""
        self.release()
        left = self._backlog
        deadline = time.monotonic() + patience
        while self.alive and self._backlog and time.monotonic() < deadline:
            time.sleep(0.002)
            if self._backlog < left:
                left = self._backlog
                deadline = time.monotonic() + patience

    def _write_loop(self) -> None:
        get = self._out.get
        fd = self.wfd
        try:
            while True:
                frame = get()
                if frame is None:
                    break
                view = memoryview(frame)
                while view:
                    view = view[os.write(fd, view):]
                with self._wlock:
                    self._backlog -= 1
        except OSError:
            self.alive = False
        finally:
            self._close_fds()

    def _close_fds(self) -> None:
        for fd in (self.wfd,):
            try:
                os.close(fd)
            except OSError:
                pass
        with self._wlock:
            if self._wsock is not None:
                self._wsock.close()
                self._wsock = None
        try:
            # the relay exits (or, on a direct connection, sshd sees the socket close): sshd
            # ends the channel.  shutdown, not just close: a direct connection's reader holds a
            # duplicate of this socket
            self.lifeline.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.lifeline.close()
        except OSError:
            pass
        self.daemon.connection_closed(self)

    def taken_over(self, session: HostedSession) -> None:
        """Another client took the session (called with the session's lock held)."""
        self.send({"t": "bye", "reason": f"the session {session.name} was taken over by "
                                         f"another pshell"})
        self.session = None
        self.finish()

    def finish(self) -> None:
        """Stop writing once what is queued is out (reading ends when the channel closes)."""
        self.release()
        if self.alive:
            self.alive = False
            self._out.put(None)

    # ---- reading -------------------------------------------------------------------------
    def run(self) -> None:
        from pshell.remote.oneshot import _Input
        reader: Any = _Input(self.rfd)      # a stream to read_frame
        try:
            while self.alive:
                if self._held is not None and not reader.ready():
                    self.release()
                msg = read_frame(reader)
                if msg is None or not self.handle(msg):
                    break
        except (ProtocolError, OSError, ValueError) as exc:
            _log(f"connection ended: {exc}")
        finally:
            session = self.session
            if session is not None:
                session.detach(self)
            self.finish()
            try:
                reader.close()
            except OSError:
                pass
            self.daemon.connection_ended(self)

    def handle(self, msg: Dict[str, Any]) -> bool:
        """One message; False when the connection is done."""
        kind = msg.get("t")
        session = self.session
        if session is not None:
            session.note_id(msg.get("id"))
        if kind == "ack":
            if session is not None:
                session.ack(msg.get("id"), int(msg.get("q") or 0), int(msg.get("pq") or 0),
                            int(msg.get("pn") or 0))
            return True
        if kind in ("hello", "list", "remove"):
            self.send({"t": "hello" if kind == "hello" else "error", "id": msg.get("id"),
                       "error": _SUPERVISOR_ONLY, "message": _SUPERVISOR_ONLY})
            return True
        if kind == "close" and msg.get("rs") is None:
            if session is not None:
                self.session = None
                self.daemon.end_session(session, self, {"t": "closed", "id": msg.get("id")})
            self.send({"t": "closed", "id": msg.get("id")})
            return False
        if session is None:
            self._no_session(msg)
            return True
        if kind == "disconnect":
            error = None
            if msg.get("idle") is not None:
                from pshell.remote.validate import valid_idle
                idle, error = valid_idle(msg["idle"])       # a bad one is refused, the old kept
                if idle is not None:
                    session.idle_timeout = idle
                    session.save_meta(force=True)
            session.detach(self)
            self.session = None
            self.send({"t": "disconnected", "id": msg.get("id"), "error": error})
            return True
        if kind == "receive":
            session.receive(self, msg.get("id"))
            return True
        if kind == "stop":
            session.stopping(msg.get("id"))
        if kind == "invoke":
            session.expect(msg.get("id"))
        session.rhost.handle(msg)
        return True

    def _no_session(self, msg: Dict[str, Any]) -> None:
        from pshell.remote.server import _error
        from pshell.remote.protocol import serialize_record
        text = "this connection has no session (it was disconnected or taken over)"
        if msg.get("t") == "invoke":
            self.send({"t": "done", "id": msg.get("id"), "ok": False,
                       "error": serialize_record(_error(text))})
        elif msg.get("t") == "create":
            self.send({"t": "created", "rs": msg.get("rs", 0), "error": text})
        else:
            self.send({"t": "error", "id": msg.get("id"), "message": text})


# --------------------------------------------------------------------------- the process

class SessionProcess:
    """The one session of this process, its connections, and the control socket to the
    supervisor."""

    def __init__(self, ctl: socket.socket, sessions_dir: str, socket_path: str) -> None:
        self.ctl = ctl
        self.sessions_dir = sessions_dir
        self.socket_path = socket_path
        self.session: Optional[HostedSession] = None
        self.connections: set = set()
        self._tell_lock = threading.Lock()

    # ---- to the supervisor -----------------------------------------------------------------
    def tell(self, msg: Dict[str, Any]) -> None:
        data = json.dumps(msg, separators=(",", ":")).encode("utf-8", "surrogatepass")
        with self._tell_lock:
            try:
                self.ctl.send(data)
            except OSError:
                pass

    def save_counter(self) -> None:
        self.tell({"op": "saved"})

    def tell_ran(self) -> None:
        from pshell.remote.precompile import tell_ran
        with self._tell_lock:
            tell_ran(self.ctl)

    def connection_closed(self, conn: "_Connection") -> None:
        if conn.number:
            self.tell({"op": "gone", "c": conn.number})

    def connection_ended(self, conn: "_Connection") -> None:
        self.connections.discard(conn)

    def end_session(self, session: HostedSession, conn: Optional["_Connection"] = None,
                    answer: Optional[Dict[str, Any]] = None) -> None:
        """The session ends on purpose: say so, close it (its spool directory goes), send
        ``conn`` its last ``answer``, and end the process."""
        self.tell_ran()
        self.tell({"op": "ending"})
        try:
            session.close()
            if conn is not None:
                if answer is not None:
                    conn.send(answer)
                conn.finish()
                conn._writer.join(5)
        finally:
            os._exit(0)

    # ---- connections -------------------------------------------------------------------------
    def take(self, msg: Dict[str, Any], fds: List[int]) -> None:
        rfd, wfd, lfd = fds
        conn = _Connection(self, rfd, wfd, socket.socket(fileno=lfd), dict(msg.get("info") or {}),
                           int(msg.get("c") or 0))
        self.connections.add(conn)
        threading.Thread(target=self._serve, args=(conn, dict(msg.get("hello") or {})),
                         name="pshell-session-conn", daemon=True).start()

    def _serve(self, conn: "_Connection", hello: Dict[str, Any]) -> None:
        """Answer the hello the supervisor routed here (create or attach), then serve."""
        from pshell.remote.protocol import PROTOCOL_VERSION
        session = self.session
        assert session is not None
        info = prompt_info("")
        answer: Dict[str, Any] = {"t": "hello", "v": PROTOCOL_VERSION, "pid": os.getpid(),
                                  "user": info["user"], "host": info["host"],
                                  "python": python_version(), "persistent": True,
                                  "sock": self.socket_path}
        error = session.attach(conn, str(hello.get("token") or ""),
                               bool(hello.get("force")) and bool(hello.get("attach")),
                               dict(hello.get("resume") or {}) if hello.get("attach") else {},
                               answer)
        if error:
            answer["error"] = error
            conn.send(answer)
        conn.run()

    # ---- the control loop ----------------------------------------------------------------------
    def run(self) -> None:
        threading.Thread(target=self._reaper, name="pshell-session-reaper", daemon=True).start()
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.ctl, CONTROL_MAX, 3)
            except OSError:
                data, fds = b"", []
            if not data:
                # the supervisor died: end now, leaving the session on disk for the next one
                _log("the supervisor is gone: the session process ends")
                os._exit(0)
            try:
                msg = json.loads(data.decode("utf-8", "surrogatepass"))
                op = msg.get("op")
            except (ValueError, AttributeError):
                msg, op = {}, None
            if op == "conn" and len(fds) == 3:
                self.take(msg, fds)
                continue
            for fd in fds:
                os.close(fd)
            session = self.session
            assert session is not None
            if op == "describe":
                self.tell({"op": "described", "n": msg.get("n"), "d": session.describe()})
            elif op == "remove":
                conn = session.conn
                if conn is not None and conn.alive and not msg.get("force"):
                    self.tell({"op": "removed", "n": msg.get("n"), "error": (
                        f"The session {session.name} is in use by another pshell; use -Force "
                        f"to end it anyway.")})
                    continue
                self.tell({"op": "removed", "n": msg.get("n"), "error": None})
                if conn is not None:
                    with session.cond:
                        conn.taken_over(session)
                    conn._writer.join(2)
                self.end_session(session)

    def _reaper(self) -> None:
        session = self.session
        assert session is not None
        while True:
            time.sleep(0.5)
            self.tell_ran()
            if not os.path.isdir(self.sessions_dir):       # the state directory was removed
                _log("the state directory is gone: the session process ends")
                os._exit(0)
            at = session.disconnected_at
            if session.conn is None and at is not None and time.time() - at > session.idle_timeout:
                _log(f"session {session.name} idle for {session.idle_timeout:g}s: ended")
                self.end_session(session)


def take_environment(env: Dict[bytes, bytes]) -> None:
    """Make ``os.environ`` exactly ``env``, changing only what differs: a spare has the
    supervisor's, which most logins' differ from in a name or two (emptying and refilling it
    cost a session ~70 copied pages)."""
    current = os.environb
    # read through the mapping's own dict (bytes -> bytes): os.environb's methods are Python
    # calls per name (this is on every session's path that is forked for it, a first burst's)
    data = getattr(current, "_data", None)
    if type(data) is not dict:
        data = dict(current)
    for key in [k for k in data if k not in env]:
        del current[key]
    for key, value in env.items():
        if data.get(key) != value:
            current[key] = value


def _own_signals() -> None:
    """A session's process reaps nothing of the supervisor's and ends on SIGTERM."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _touch_start() -> None:
    """Do once what taking a start does (descriptors received, an environment variable set
    and removed), so that the pages it writes are a spare's own before a session waits on it."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        socket.send_fds(ours, [marshal.dumps({"op": "warm"})], [ours.fileno()])
        data, fds, _, _ = socket.recv_fds(theirs, CONTROL_MAX, 3)
        marshal.loads(data)
        for fd in fds:
            os.close(fd)
    finally:
        ours.close()
        theirs.close()
    os.environb[b"PSHELL_SPARE_WARM_UP"] = b"1"
    os.environb.pop(b"PSHELL_SPARE_WARM_UP", None)


def spare_main(ctl: socket.socket) -> None:
    """A process forked ahead of time (never returns): it waits for ``start`` (the setup,
    umask, connection and its descriptors; then the environment in ``parts`` packets) and
    becomes that session's process.  It ends when the supervisor closes the socket."""
    try:
        _own_signals()      # off the session's path: it is not known yet
        try:        # touch what a session touches, so that its pages are this process's now
            from pshell.remote.oneshot import ready_alarm, warm_up
            ready_alarm()
            warm_up()
            _touch_start()
            # the event log's directory checked now: the session's entry is written through it
            from pshell.engine.events import ready_state_dir
            ready_state_dir()
        except Exception as exc:
            _log(f"spare session process: warming up: {exc}")
        data, fds, _, _ = socket.recv_fds(ctl, CONTROL_MAX, 3)
        if not data:
            os._exit(0)
        msg = marshal.loads(data)
        blob = b"".join(ctl.recv(SPARE_CHUNK) for _ in range(int(msg["parts"])))
        entries = blob.split(b"\0") if blob else []
        count = int(msg["set"])
        # the login's environment as a difference from the one this process was forked with
        # (the supervisor's, which it never changes)
        current = os.environb
        for key in entries[count:]:
            current.pop(key, None)
        for entry in entries[:count]:
            key, eq, value = entry.partition(b"=")
            if eq and key:
                current[key] = value
        setup, umask, conn = msg["setup"], int(msg["umask"]), msg.get("conn")
    except BaseException as exc:        # noqa: B902 - nothing may return into the supervisor
        _log(f"spare session process: {exc}")
        os._exit(70)
    session_main(ctl, setup, None, umask, conn, list(fds))


def session_main(ctl: socket.socket, setup: Dict[str, Any], env: Optional[Dict[bytes, bytes]],
                 umask: int, conn: Optional[Dict[str, Any]], conn_fds: List[int]) -> None:
    """The forked session process (never returns).  ``setup``: the session's id, name, idle
    timeout, creation time, ``restore`` (a reason: bring it back from disk) and where the
    supervisor keeps things; ``env``/``umask``: the SSH login's, taken before any runspace
    (``env`` None: ``os.environ`` is already the login's, a spare took it as a difference)."""
    code = 0
    try:
        if env is not None:     # forked for it (a spare did both before it was told its session)
            _own_signals()
            take_environment(env)
        os.umask(umask)
        from pshell.engine.compiler import note_texts
        note_texts()        # what this session parses anew, told to the supervisor (precompile.py)
        if setup.get("once") and conn is not None and len(conn_fds) == 3:
            from pshell.remote.oneshot import oneshot_main
            from pshell.remote.precompile import tell_ran
            oneshot_main(setup, conn, conn_fds, lambda: tell_ran(ctl))
        if env is None:     # a spare readied SIGALRM for a temporary session, not this one
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
        proc = SessionProcess(ctl, setup["sessions_dir"], setup["socket"])
        restore = setup.get("restore")
        session = HostedSession(proc, setup["id"], setup["name"], float(setup["idle"]),
                                setup.get("created"), restored=bool(restore))
        proc.session = session
        own_process.before_end(session.before_end)
        if restore:
            count = session.restore_runspace(str(restore))
            session.lost_process = str(restore)
            _log(f"session {session.name} restored from disk ({count} jobs): {restore}")
            if setup.get("resave"):     # its stored idle timeout was out of range: corrected
                session.save_meta(force=True)
        elif setup.get("named"):
            session.save_meta()         # a name is for finding it later, even after a crash
        if conn is not None:
            proc.take(conn, conn_fds)
        proc.run()
    except BaseException as exc:        # noqa: B902 - nothing may return into the supervisor
        try:
            import traceback
            _log("session process failed: " + "".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__)))
        except BaseException:
            pass
        code = 70
    finally:
        os._exit(code)
