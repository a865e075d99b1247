"""The per-user host process: it owns the sessions (runspaces and their jobs) on this computer,
independently of SSH connections.

Each SSH channel's process (:mod:`pshell.remote.relay`) hands its channel to the host over a Unix
socket in a directory only the user can enter; the host checks the peer's uid (``SO_PEERCRED``)
and then speaks the protocol on the channel itself.  A client that already knows the socket's path
(the ``hello`` answer tells it) skips the relay: it asks sshd to forward a channel straight to
the socket (``direct-streamlocal``, what ``ssh -W /path`` does), sends ``{"direct": 1}`` and a
newline, and after the host's ``A`` speaks the protocol on the socket - no process starts on
this computer for such a connection.  A connection can create a session, attach
to an existing one (by id or name), list the user's sessions, disconnect from its session or end
it.  When a connection drops, its session stays, Disconnected, with its runspace and jobs
running, until a client attaches again or its idle timeout passes.  The host exits once it holds
no session and no connection for ``$PSHELL_HOST_LINGER`` seconds (60 by default), so that the
next session of a burst does not pay for a new host.

Delivery of an invocation's output survives reconnects: every ``out``/``rec``/``done`` message
of an invocation carries a sequence number ``q``; the host keeps each message until the client
acknowledges it (``ack {id, q}``, sent once the client has processed it), replays what was not
acknowledged when a client re-attaches (``resume {id: q}``: what it already has) or asks for the
output it missed (``receive``), so nothing is lost and nothing repeated.  An invocation whose
client is gone blocks (as PowerShell's output buffering does) once ``OUTBOX_LIMIT`` bytes wait.

Messages on a host connection, besides those of :mod:`pshell.remote.server`:

``hello``      {v, new, session, name, idle, token}       create a session
               {v, attach, token, force, resume}           attach to one (id or name)
               {v}                                         no session (listing, removing)
               answer ``hello`` {.., session, name, persistent, next_id, lost, state} or {error}
``list``       {id}                 answer ``sessions`` {id, sessions: [...]}
``ack``        {id, q}              the client has processed invocation ``id`` up to ``q``
``receive``    {id}                 answer ``pending`` {id, ids}, then the missed messages
``disconnect`` {id, idle}           detach the session (it goes on); answer ``disconnected``
``remove``     {id, session}        end a session nobody is attached to; answer ``removed``
``close``      {id}                 end this connection's session; answer ``closed``
"""

from __future__ import annotations

import datetime as _dt
import os
import socket
import struct
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from pshell.remote.protocol import PROTOCOL_VERSION, ProtocolError, encode_frame, prompt_info, read_frame

__all__ = ["HostDaemon", "HostedSession", "daemon_main", "DEFAULT_IDLE_TIMEOUT", "OUTBOX_LIMIT"]

DEFAULT_IDLE_TIMEOUT = 24 * 3600
OUTBOX_LIMIT = 32 << 20
_SEQUENCED = ("out", "rec", "done")


def _linger() -> float:
    try:
        return float(os.environ.get("PSHELL_HOST_LINGER", "60"))
    except ValueError:
        return 60.0


def _now_iso(ts: Optional[float]) -> Optional[str]:
    return None if ts is None else _dt.datetime.fromtimestamp(ts).isoformat(timespec="seconds")


def _log(text: str) -> None:
    try:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        os.write(2, f"{stamp} [{os.getpid()}] {text}\n".encode("utf-8", "replace"))
    except OSError:
        pass


# --------------------------------------------------------------------------- invocations

class _Outbox:
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
        from pshell.remote.protocol import decode_frame, lines_message, split_lines
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


# --------------------------------------------------------------------------- sessions

class HostedSession:
    """A session of the host: a RunspaceHost, who is attached to it, and the outboxes."""

    def __init__(self, daemon: "HostDaemon", session_id: str, name: str,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT, created: Optional[float] = None,
                 restored: bool = False) -> None:
        from pshell.remote.server import RunspaceHost
        self.daemon = daemon
        self.id = session_id
        self.name = name
        self.idle_timeout = idle_timeout
        self.created = created if created is not None else time.time()
        self.restored = restored
        self.conn: Optional["_Connection"] = None
        self.token = ""
        self.disconnected_at: Optional[float] = time.time()
        self.closed = False
        self.max_id = 0
        self.cond = threading.Condition()
        self.outboxes: Dict[Any, _Outbox] = {}
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

    def restore_runspace(self) -> int:
        """After a host restart: runspace 0 with the jobs the previous host left on disk."""
        from pshell.remote.server import _RunspaceSlot
        from pshell.remote.spool import SpoolingJobManager, recover_jobs
        rs = self._make_runspace()
        rs._jobs = SpoolingJobManager(rs, os.path.join(self.directory, "jobs"))
        count = recover_jobs(rs._jobs)
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
                box = self.outboxes[inv_id] = _Outbox(inv_id)
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

    def _replay(self, conn: "_Connection", box: _Outbox) -> None:
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
                box = self.outboxes[inv_id] = _Outbox(inv_id)
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

    def trimmed_done(self, box: _Outbox) -> None:
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
                "prompt": slot.prompt() if slot is not None else prompt_info("")}


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


# --------------------------------------------------------------------------- connections

class _Connection:
    """One SSH channel handed over by a relay: read frames, answer, write through a queue."""

    def __init__(self, daemon: "HostDaemon", rfd: int, wfd: int, lifeline: socket.socket,
                 info: Dict[str, Any]) -> None:
        import queue
        self.daemon = daemon
        self.rfd = rfd
        self.wfd = wfd
        self.lifeline = lifeline
        self.info = info
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
        self._writer = threading.Thread(target=self._write_loop, name="pshell-host-write",
                                        daemon=True)
        self._writer.start()

    # ---- writing -------------------------------------------------------------------------
    def send_frame(self, frame: bytes) -> None:
        if not self.alive:
            return
        with self._wlock:
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

    def taken_over(self, session: HostedSession) -> None:
        """Another client took the session (called with the session's lock held)."""
        self.send({"t": "bye", "reason": f"the session {session.name} was taken over by "
                                         f"another pshell"})
        self.session = None
        self.finish()

    def finish(self) -> None:
        """Stop writing once what is queued is out (reading ends when the channel closes)."""
        if self.alive:
            self.alive = False
            self._out.put(None)

    # ---- reading -------------------------------------------------------------------------
    def run(self) -> None:
        reader = os.fdopen(self.rfd, "rb", buffering=1 << 16)
        try:
            while self.alive:
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
        if kind == "hello":
            self._hello(msg)
            return True
        if kind == "list":
            self.send({"t": "sessions", "id": msg.get("id"),
                       "sessions": self.daemon.listing(self)})
            return True
        if kind == "remove":
            error = self.daemon.remove(str(msg.get("session") or ""), bool(msg.get("force")))
            self.send({"t": "removed", "id": msg.get("id"), "error": error})
            return True
        if kind == "close" and msg.get("rs") is None:
            if session is not None:
                self.session = None
                self.daemon.end_session(session)
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

    def _hello(self, msg: Dict[str, Any]) -> None:
        import platform
        info = prompt_info("")
        answer: Dict[str, Any] = {"t": "hello", "v": PROTOCOL_VERSION, "pid": os.getpid(),
                                  "user": info["user"], "host": info["host"],
                                  "python": platform.python_version(), "persistent": True,
                                  "sock": self.daemon.socket_path}
        if int(msg.get("v") or 0) != PROTOCOL_VERSION:
            answer["error"] = f"the pshell host speaks protocol {PROTOCOL_VERSION}"
            self.send(answer)
            return
        token = str(msg.get("token") or "")
        error: Optional[str]
        if msg.get("attach"):
            session, error = self.daemon.find(str(msg["attach"]))
            if session is not None:
                error = session.attach(self, token, bool(msg.get("force")),
                                       dict(msg.get("resume") or {}), answer)
            if error:
                answer["error"] = error
                self.send(answer)
            return
        if msg.get("new") or msg.get("session"):
            session, error = self.daemon.create(str(msg.get("session") or ""),
                                                str(msg.get("name") or ""), msg.get("idle"))
            if session is None:
                answer["error"] = error
                self.send(answer)
                return
            error = session.attach(self, token, False, {}, answer)
            if error:
                answer["error"] = error
                self.send(answer)
            return
        self.send(answer)


# --------------------------------------------------------------------------- the host

class HostDaemon:
    """The sessions of this user on this computer, and the socket clients reach them by."""

    def __init__(self) -> None:
        from pshell.remote import paths
        self.sessions: Dict[str, HostedSession] = {}
        self.lock = threading.RLock()
        self.connections: set = set()
        self.sessions_dir = paths.sessions_dir()
        self.run_dir = paths.run_dir()
        self.socket_path = paths.socket_path()
        self.pid_path = os.path.join(self.run_dir, "host.pid")
        self.listener: Optional[socket.socket] = None
        self.empty_since: Optional[float] = time.monotonic()
        self.exiting = False
        self._counter: Optional[int] = None
        self._counter_saved = 0
        self._counter_path = os.path.join(os.path.dirname(self.sessions_dir), "counter.json")

    # ---- start -----------------------------------------------------------------------------
    def listen(self) -> None:
        try:
            os.unlink(self.socket_path)
        except FileNotFoundError:
            pass
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(self.socket_path)
        finally:
            os.umask(old)
        os.chmod(self.socket_path, 0o600)
        sock.listen(128)
        self.listener = sock
        from pshell.remote.spool import write_atomic
        write_atomic(self.pid_path, {"pid": os.getpid(), "socket": self.socket_path,
                                     "started": time.time()})

    def recover(self) -> None:
        """Sessions a previous host left on disk come back Disconnected, jobs and all."""
        import json
        try:
            names = sorted(os.listdir(self.sessions_dir))
        except OSError:
            return
        for name in names:
            meta_path = os.path.join(self.sessions_dir, name, "session.json")
            try:
                with open(meta_path, encoding="utf-8") as fh:
                    meta = json.load(fh)
                from pshell.remote.validate import session_id_error, stored_idle
                if meta["id"] != name:
                    raise ValueError(session_id_error(meta["id"]) or "its id is not its folder's")
                idle, warning = stored_idle(meta.get("idle"), DEFAULT_IDLE_TIMEOUT)
                session = HostedSession(self, meta["id"], str(meta["name"]), idle,
                                        float(meta.get("created") or time.time()), restored=True)
                if warning:
                    _log(f"warning: session {session.name}: {warning}")
                    session.save_meta(force=True)
                count = session.restore_runspace()
            except (OSError, ValueError, KeyError, TypeError) as exc:
                _log(f"cannot restore session {name}: {exc}")
                import shutil
                shutil.rmtree(os.path.join(self.sessions_dir, name), ignore_errors=True)
                continue
            self.sessions[session.id] = session
            _log(f"restored session {session.name} ({count} jobs)")

    def serve_forever(self) -> None:
        threading.Thread(target=self._reaper, name="pshell-host-reaper", daemon=True).start()
        assert self.listener is not None
        while not self.exiting:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                if self.exiting:
                    break
                time.sleep(0.05)
                continue
            threading.Thread(target=self._accept, args=(sock,), name="pshell-host-conn",
                             daemon=True).start()

    def _accept(self, sock: socket.socket) -> None:
        import json
        try:
            creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            pid, uid, _ = struct.unpack("3i", creds)
            if uid != os.getuid():
                _log(f"refused a connection from uid {uid} (pid {pid})")
                sock.close()
                return
            data, fds, _, _ = socket.recv_fds(sock, 4096, 2)
            if not fds:
                # a direct connection: sshd forwarded the client's channel to this socket
                # (direct-streamlocal), so the socket itself carries the protocol
                while b"\n" not in data and len(data) < 4096:
                    more = sock.recv(4096 - len(data))
                    if not more:
                        sock.close()
                        return
                    data += more
                info = json.loads(data.decode() or "{}")
                if not isinstance(info, dict) or not info.get("direct"):
                    sock.close()
                    return
                fds = [os.dup(sock.fileno()), os.dup(sock.fileno())]
            elif len(fds) != 2:
                for fd in fds:
                    os.close(fd)
                sock.close()
                return
            else:
                info = json.loads(data.decode() or "{}")
            with self.lock:
                if self.exiting:
                    for fd in fds:
                        os.close(fd)
                    raise OSError("the host is exiting")
                conn = _Connection(self, fds[0], fds[1], sock, info)
                self.connections.add(conn)
                self.empty_since = None
            sock.sendall(b"A")
        except (OSError, ValueError) as exc:
            _log(f"bad connection: {exc}")
            try:
                sock.close()
            except OSError:
                pass
            return
        conn.run()

    def connection_ended(self, conn: _Connection) -> None:
        with self.lock:
            self.connections.discard(conn)

    # ---- sessions --------------------------------------------------------------------------
    def create(self, session_id: str, name: str, idle: Any) -> Tuple[Optional[HostedSession], str]:
        import uuid
        from pshell.remote.validate import session_id_error, valid_idle
        session_id = session_id or str(uuid.uuid4())
        error = session_id_error(session_id)        # it names a directory: nothing else goes
        if idle is not None and not error:
            idle, error = valid_idle(idle)
        if error:
            return None, error
        named = bool(name)
        with self.lock:
            if session_id in self.sessions:
                return None, f"a session with id {session_id} already exists"
            if name:
                for other in self.sessions.values():
                    if other.name.lower() == name.lower():
                        return None, (f"A session named '{other.name}' already exists on this "
                                      f"computer ({other.describe()['state']}). Connect to it with "
                                      f"Connect-PSSession, or choose another name.")
            else:
                name = self._default_name()
            session = HostedSession(self, session_id, name,
                                    idle if idle is not None else DEFAULT_IDLE_TIMEOUT)
            self.sessions[session_id] = session
        if named:
            session.save_meta()         # a name is for finding it later, even after a crash
        return session, ""

    def _default_name(self) -> str:
        """Session<n>, unique for this user on this computer.  The counter is read from disk
        once and written back when a session goes to disk (a number only this host's memory
        saw may come again after a crash: its session is gone with the host)."""
        if self._counter is None:
            import json
            try:
                with open(self._counter_path, encoding="utf-8") as fh:
                    self._counter = int(json.load(fh).get("n", 0))
            except (OSError, ValueError, AttributeError):
                self._counter = 0
            self._counter_saved = self._counter
        used = {s.name.lower() for s in self.sessions.values()}
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

    def find(self, key: str) -> Tuple[Optional[HostedSession], str]:
        with self.lock:
            session = self.sessions.get(key)
            if session is None:
                matches = [s for s in self.sessions.values() if s.name.lower() == key.lower()]
                session = matches[0] if matches else None
            if session is not None:
                return session, ""
            names = sorted(s.name for s in self.sessions.values())
        listing = ", ".join(names) if names else "none"
        return None, (f"There is no session '{key}' for this user on this computer. "
                      f"Sessions here: {listing}.")

    def remove(self, key: str, force: bool) -> Optional[str]:
        session, error = self.find(key)
        if session is None:
            return error
        if session.conn is not None and session.conn.alive and not force:
            return (f"The session {session.name} is in use by another pshell; use -Force to "
                    f"end it anyway.")
        if session.conn is not None:
            session.conn.taken_over(session)
        self.end_session(session)
        return None

    def end_session(self, session: HostedSession) -> None:
        with self.lock:
            self.sessions.pop(session.id, None)
        session.close()

    def listing(self, conn: _Connection) -> List[Dict[str, Any]]:
        with self.lock:
            sessions = sorted(self.sessions.values(), key=lambda s: s.created)
        return [s.describe(conn) for s in sessions]

    # ---- idle timeouts and exit --------------------------------------------------------------
    def _reaper(self) -> None:
        while not self.exiting:
            time.sleep(0.5)
            now = time.time()
            if not os.path.isdir(self.sessions_dir):     # the state directory was removed
                with self.lock:
                    self.exiting = True
                _log("the state directory is gone: exiting")
                os._exit(0)
            with self.lock:
                expired = [s for s in self.sessions.values()
                           if s.conn is None and s.disconnected_at is not None
                           and now - s.disconnected_at > s.idle_timeout]
            for session in expired:
                _log(f"session {session.name} idle for {session.idle_timeout:g}s: ended")
                self.end_session(session)
            with self.lock:
                if self.sessions or self.connections:
                    self.empty_since = None
                    continue
                if self.empty_since is None:
                    self.empty_since = time.monotonic()
                    continue
                if time.monotonic() - self.empty_since < _linger():
                    continue
                self.exiting = True
            self._shutdown()

    def _shutdown(self) -> None:
        import fcntl
        lock_fd = os.open(os.path.join(self.run_dir, "host.lock"),
                          os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)     # no relay starts a host while we leave
            for path in (self.socket_path, self.pid_path):
                try:
                    os.unlink(path)
                except OSError:
                    pass
        finally:
            os.close(lock_fd)
        _log("no sessions left: exiting")
        os._exit(0)


# --------------------------------------------------------------------------- daemon start

def _detach_stdio(keep: int) -> None:
    """Close everything inherited from the relay (the channel's pipes, the start lock) and
    point stdio at /dev/null and the log file."""
    try:
        max_fd = os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        max_fd = 1024
    os.closerange(3, keep)
    os.closerange(keep + 1, max(keep + 1, min(max_fd, 65536)))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    from pshell.remote import paths
    log_path = os.path.join(paths.state_dir(), "host.log")
    try:
        if os.path.getsize(log_path) > (1 << 20):
            os.unlink(log_path)
    except OSError:
        pass
    log = paths.open_private(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 2)
    os.close(log)
    try:
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False, buffering=1)
    except OSError:
        pass


def daemon_main(ready_fd: int) -> int:
    """Run the host (in the double-forked grandchild); ``ready_fd`` learns "ok" or the error."""
    os.umask(0o077)
    _detach_stdio(ready_fd)
    for name in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "SSH_ORIGINAL_COMMAND"):
        os.environ.pop(name, None)
    try:
        os.chdir(os.path.expanduser("~"))
    except OSError:
        os.chdir("/")
    try:
        import signal
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        daemon = HostDaemon()
        daemon.recover()
        daemon.listen()
    except BaseException as exc:
        try:
            os.write(ready_fd, f"error {type(exc).__name__}: {exc}\n".encode())
        finally:
            os.close(ready_fd)
        return 1
    _log(f"host started (protocol {PROTOCOL_VERSION}, socket {daemon.socket_path})")
    os.write(ready_fd, b"ok\n")
    os.close(ready_fd)
    threading.Thread(target=_prewarm, name="pshell-prewarm", daemon=True).start()
    daemon.serve_forever()
    return 0


def _prewarm() -> None:
    try:
        from pshell.engine.runtime import Runspace
        Runspace().invoke("$null")
    except Exception:
        pass
