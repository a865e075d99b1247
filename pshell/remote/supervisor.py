"""The per-user supervisor: the socket clients reach this user's sessions by, and one process
per session (:mod:`pshell.remote.session_process`).

It accepts a connection (handed over by a relay, or forwarded straight to the socket by sshd),
checks the peer's uid, reads frames one at a time without reading ahead, and answers the ones
that need no session (``hello`` without one, ``list``, ``remove``).  A ``hello`` that creates a
session forks a new session process (the engine is imported here first, so that costs a fork and
the pages stay shared until written); one that attaches goes to the session's process.  Either
way the connection's descriptors go to that process, which talks to the client directly from
then on.  The supervisor keeps a copy of each handed connection's write end until the session's
process says it closed it: when the process dies instead, the client gets a ``bye`` saying so
(``ended``), and a session that was on disk comes back from it in a new process (finished jobs
with their output, running ones Failed with the reason).  A session that was not on disk leaves
a note, so that an attach learns what happened.

The login's environment: a relay runs in the SSH login's environment and sends it, with its
umask, along with the channel; a session created over it starts with exactly that.  A direct
channel has no login process, so the supervisor keeps the latest relay's environment as a
template (less the per-connection variables) and adds ``SSH_CONNECTION``/``SSH_CLIENT`` from
what the client saw of its TCP connection.  pshell never forwards the agent, so a session has an
``SSH_AUTH_SOCK`` only when the login that created it had one.
"""

from __future__ import annotations

# Everything this module imports is imported before its first thread starts (the stdlib here,
# pshell's own in prewarm, before any fork): a module that one thread is still importing while
# another forks leaves the child that module's lock, held for ever (the child hangs importing it).
import faulthandler
import fcntl
import gc
import itertools
import json
import os
import platform
import queue
import signal
import socket
import struct
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from pshell.remote import messages as _messages  # noqa: F401 - read_frame's checks, imported late
from pshell.remote.protocol import (_HEADER, _SIZE, PROTOCOL_VERSION, ProtocolError, encode_frame,
                                    prompt_info, read_frame)
from pshell.remote.children import (_close, _close_all_but, _detach_stdio, _discard_spare,
                                    _no_session, _start_spare, _write, status_text)
from pshell.remote.lobby import Lobby
from pshell.remote.session_process import DEFAULT_IDLE_TIMEOUT, _log, session_main, spare_main

#: seconds without a new session before spares are forked (a spare's warm-up competes with a new
#: session's first reply for the CPU: forked at once, it cost +4 ms a session)
SPARE_DELAY = 0.25
#: sessions started less than BURST_GAP seconds apart count as one burst (a fan-out); the next
#: burst is expected to be as large, so that many spares wait for it, up to _max_spares()
BURST_GAP = 1.0
#: how many times the supervisor runs a session's first request itself before it forks (CPython
#: specialises a function's code after 8 calls; a spare then writes fewer pages)
PREWARM_RUNS = 8
#: after this many seconds without a session the spares beyond the first are let go
SPARE_KEEP = 120.0

__all__ = ["Supervisor", "daemon_main", "PER_CONNECTION"]

# variables that belong to one SSH connection, never to the template of later sessions
PER_CONNECTION = (b"SSH_CONNECTION", b"SSH_CLIENT", b"SSH_TTY", b"SSH_ORIGINAL_COMMAND",
                  b"SSH_AUTH_SOCK")
_ENV_MAX = 1 << 20
_TOMBSTONES = 200


def _max_spares() -> int:
    try:
        return max(1, min(256, int(os.environ.get("PSHELL_HOST_SPARES", "64"))))
    except ValueError:
        return 64


def _linger() -> float:
    try:
        return float(os.environ.get("PSHELL_HOST_LINGER", "60"))
    except ValueError:
        return 60.0


_ADDRESS_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.:%")


def _ssh_fields(text: Any) -> Optional[List[str]]:
    """``client-ip client-port server-ip server-port`` from a client, checked."""
    if not isinstance(text, str) or len(text) > 200:
        return None
    fields = text.split()
    if len(fields) != 4 or not all(f and _ADDRESS_CHARS.issuperset(f) for f in fields):
        return None
    if not (fields[1].isdigit() and fields[3].isdigit()):
        return None
    return fields


def _readable(sock: socket.socket) -> bool:
    """Whether reading ``sock`` would not wait (something to read, its end, or an error)."""
    try:
        sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        pass
    return True


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


class Supervisor:
    """The sessions of this user on this computer, each in its own process."""

    def __init__(self) -> None:
        from pshell.remote import paths
        self.children: Dict[str, _Child] = {}
        self.tombstones: Dict[str, Tuple[str, str]] = {}
        self.lock = threading.RLock()
        self.fork_lock = threading.Lock()
        self.connections = 0
        self.sessions_dir = paths.sessions_dir()
        self.run_dir = paths.run_dir()
        self.socket_path = paths.socket_path()
        self.pid_path = os.path.join(self.run_dir, "host.pid")
        self.listener: Optional[socket.socket] = None
        self.empty_since: Optional[float] = time.monotonic()
        self.exiting = False
        self.engine_ready = threading.Event()  # sessions may be forked
        self.prewarmed = threading.Event()      # and spares (the warm-up runs are done)
        self.spares: List[Tuple[int, socket.socket]] = []     # (pid, control socket), ready
        #: the environment each spare was forked with (it is sent a login's as a difference)
        self.spare_env: Dict[int, Dict[bytes, bytes]] = {}
        self._fork_env: Dict[bytes, bytes] = {}
        self.want_spares = 1            # how many: the size of the latest burst of sessions
        self.burst = 0                  # sessions in the current burst
        self.last_start = 0.0           # monotonic time of the latest session start
        self.refill_pending = False
        self.hostname = prompt_info("")["host"]
        self.template: Dict[bytes, bytes] = {k: v for k, v in os.environb.items()
                                             if k not in PER_CONNECTION}
        self.template_umask = 0o022
        self._numbers = itertools.count(1)
        self._asks = itertools.count(1)
        self._counter: Optional[int] = None
        self._counter_saved = 0
        self._counter_path = os.path.join(os.path.dirname(self.sessions_dir), "counter.json")
        #: connections waiting for their first frame and the session processes' control
        #: sockets, watched by one thread (a thread each would cost every fork page copies)
        self.lobby = Lobby(_log)

    # ---- start -----------------------------------------------------------------------------
    def listen(self, listen_fd: int = -1) -> None:
        """Serve the socket the starting relay bound (``listen_fd``, when it is the one at our
        path), else bind it here."""
        sock = None
        if listen_fd >= 0:
            sock = socket.socket(fileno=listen_fd)
            try:
                ours = (sock.family == socket.AF_UNIX and sock.type == socket.SOCK_STREAM
                        and sock.getsockname() == self.socket_path
                        and os.lstat(self.socket_path).st_uid == os.getuid())
            except OSError:
                ours = False
            if not ours:
                sock.close()
                sock = None
        if sock is None:
            try:
                os.unlink(self.socket_path)
            except FileNotFoundError:
                pass
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(self.socket_path)     # the supervisor's umask is 077; the mode is set too
            os.chmod(self.socket_path, 0o600)
            sock.listen(1024)
        self.listener = sock
        from pshell.remote.spool import write_atomic
        write_atomic(self.pid_path, {"pid": os.getpid(), "socket": self.socket_path,
                                     "started": time.time()})

    def recover(self) -> None:
        """Sessions a previous supervisor left on disk come back (in their own processes, once
        the engine is loaded), jobs and all."""
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
                child = _Child(str(meta["id"]), str(meta["name"]), idle,
                               float(meta.get("created") or time.time()),
                               dict(self.template), self.template_umask)
                if warning:
                    _log(f"warning: session {child.name}: {warning}")
                    child.resave = True     # type: ignore[attr-defined]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                _log(f"cannot restore session {name}: {exc}")
                import shutil       # only here (the main thread, before any other starts)
                shutil.rmtree(os.path.join(self.sessions_dir, name), ignore_errors=True)
                continue
            from pshell.remote.spool import HOST_ENDED
            child.restore = HOST_ENDED
            self.children[child.id] = child

    def prewarm(self) -> None:
        """Import the engine (and run a statement) so that every session process forked from
        here has it; then start the sessions found on disk.  The sessions of the first burst
        (the connections that started this host) are forked as soon as the engine is in: the
        warm-up runs and the first spares wait until that burst is over (they serve later
        sessions, and taking the CPU from the first ones only delayed them)."""
        try:
            from pshell.engine.runtime import Runspace
            Runspace().invoke("$null")
            import pshell.remote.oneshot  # noqa: F401
            import pshell.remote.server  # noqa: F401
            import pshell.remote.spool  # noqa: F401
            import pshell.remote.validate  # noqa: F401
            import pshell.engine.events  # noqa: F401 - a session's runspace writes an event
            import re  # noqa: F401 - the engine imports these where first needed (start-up)
            import typing  # noqa: F401
        except Exception as exc:
            _log(f"prewarm: {exc}")
        self.engine_ready.set()
        with self.lock:
            # sessions found on disk; not one a hello created meanwhile (its own thread starts it)
            waiting = [c for c in self.children.values() if c.pid is None and c.restore]
        for child in waiting:
            self.ensure_started(child)
        self._after_first_burst()
        with self.fork_lock:            # nothing forks while it runs (it may import)
            try:
                # a session's first request, done here until its code is specialised and its
                # caches filled: otherwise every spare does that work, and copies the pages
                # it writes
                from pshell.remote.oneshot import warm_up
                for _ in range(PREWARM_RUNS):
                    warm_up()
            except Exception as exc:
                _log(f"prewarm: {exc}")
            gc.unfreeze()               # the first burst's forks froze the imports' garbage
            gc.collect()
            gc.freeze()
            self.prewarmed.set()
        self.fill_spares()

    def _after_first_burst(self) -> None:
        """Return once no session has started for SPARE_DELAY seconds (at once when none came:
        a host started by a listing)."""
        time.sleep(SPARE_DELAY)
        while not self.exiting:
            with self.lock:
                wait = SPARE_DELAY - (time.monotonic() - self.last_start)
            if wait <= 0:
                return
            time.sleep(wait)

    def serve_forever(self) -> None:
        threading.Thread(target=self._reaper, name="pshell-host-reaper", daemon=True).start()
        self.lobby.start()
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

    # ---- connections -------------------------------------------------------------------------
    def _accept(self, sock: socket.socket) -> None:
        try:
            creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            pid, uid, _ = struct.unpack("3i", creds)
            if uid != os.getuid():
                _log(f"refused a connection from uid {uid} (pid {pid})")
                sock.close()
                return
            sock.settimeout(20)
            direct = False
            data, fds, flags, _ = socket.recv_fds(sock, 4096, 2)
            if flags & getattr(socket, "MSG_CTRUNC", 0):    # more descriptors than a channel
                for fd in fds:
                    os.close(fd)
                raise ValueError("a connection passed more than two descriptors")
            for _ in range(64):
                if b"\n" in data or len(data) >= 4096:
                    break
                more = sock.recv(4096 - len(data))
                if not more:
                    break
                data += more
            line, _, rest = data.partition(b"\n")
            info = json.loads(line.decode() or "{}")
            if not isinstance(info, dict):
                raise ValueError("the connection's first line is not an object")
            if not fds:
                # a direct connection: sshd forwarded the client's channel to this socket
                # (direct-streamlocal), so the socket itself carries the protocol
                if not info.get("direct"):
                    sock.close()
                    return
                fds = [os.dup(sock.fileno()), os.dup(sock.fileno())]
                direct = True
            elif len(fds) != 2:
                for fd in fds:
                    os.close(fd)
                sock.close()
                return
            else:
                self._login(info, rest, sock)
            sock.settimeout(None)
            with self.lock:
                if self.exiting:
                    for fd in fds:
                        os.close(fd)
                    raise OSError("the host is exiting")
                self.connections += 1
                self.empty_since = None
            sock.sendall(b"A")
        except (OSError, ValueError) as exc:
            _log(f"bad connection: {exc}")
            try:
                sock.close()
            except OSError:
                pass
            return
        if direct and not _readable(sock):
            # a direct channel with nothing to say yet (a broker's warm channel): it waits in
            # the lobby, not in a thread of its own
            self.lobby.add(fds[0], lambda fd: self._first_frame(fds[0], fds[1], sock, info))
            return
        self._serve_then_watch(fds[0], fds[1], sock, info)

    def _serve_then_watch(self, rfd: int, wfd: int, sock: socket.socket, info: Dict[str, Any],
                          first: Optional[Dict[str, Any]] = None) -> None:
        started: Optional[_Child] = None
        try:
            started = self._serve(rfd, wfd, sock, info, first)
        finally:
            with self.lock:
                self.connections -= 1
        if started is not None:
            self._watch_later(started)

    def _first_frame(self, rfd: int, wfd: int, sock: socket.socket, info: Dict[str, Any]) -> None:
        """In the lobby: a waiting direct connection has something to say.  A hello that creates
        a session, whole in the socket already (a client's always is), is answered here: the
        session's process takes the connection without a thread started on the session's path.
        Anything else (an attach, a list, a frame in pieces, garbage, the end) goes to a thread
        that serves the connection as any other."""
        self.lobby.drop(rfd)
        try:
            head = sock.recv(1 << 16, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except OSError:
            head = b""
        msg: Optional[Dict[str, Any]] = None
        if len(head) >= 4 and self.prewarmed.is_set():
            (word,) = _HEADER.unpack_from(head)
            if word == word & _SIZE and word <= len(head) - 4:     # a plain frame, all here
                reader = os.fdopen(rfd, "rb", buffering=0, closefd=False)
                try:
                    msg = read_frame(reader)     # exactly that frame: never ahead
                except (ProtocolError, OSError, ValueError) as exc:
                    _log(f"connection ended: {exc}")
                    self._drop_connection(rfd, wfd, sock)
                    return
                finally:
                    reader.close()
        if (msg is not None and msg.get("t") == "hello" and not msg.get("attach")
                and (msg.get("new") or msg.get("session"))):
            handed = self._hello(msg, rfd, wfd, sock, info)
            msg = None          # answered: a refused hello's connection goes on in a thread
            if handed is not None:
                with self.lock:
                    self.connections -= 1
                if handed.unwatched:
                    handed.unwatched = False
                    self._watch_later(handed)
                return
        threading.Thread(target=self._serve_then_watch, args=(rfd, wfd, sock, info, msg),
                         name="pshell-host-conn", daemon=True).start()

    def _drop_connection(self, rfd: int, wfd: int, lifeline: socket.socket) -> None:
        for fd in {rfd, wfd}:
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            lifeline.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        lifeline.close()
        with self.lock:
            self.connections -= 1

    def _login(self, info: Dict[str, Any], rest: bytes, sock: socket.socket) -> None:
        """A relay's login environment and umask: they follow its first line."""
        size = info.get("env")
        if type(size) is not int or not 0 <= size <= _ENV_MAX:
            info.pop("env", None)
            return
        blob = bytearray(rest[:size])
        while len(blob) < size:
            more = sock.recv(min(65536, size - len(blob)))
            if not more:
                raise ValueError("the relay's environment was cut short")
            blob += more
        env: Dict[bytes, bytes] = {}
        for entry in bytes(blob).split(b"\0"):
            key, eq, value = entry.partition(b"=")
            if eq and key:
                env[key] = value
        umask = info.get("umask")
        umask = umask & 0o777 if type(umask) is int else 0o022
        info["env"] = env
        info["umask"] = umask
        with self.lock:
            self.template = {k: v for k, v in env.items() if k not in PER_CONNECTION}
            self.template_umask = umask

    def _login_env(self, info: Dict[str, Any]) -> Tuple[Dict[bytes, bytes], int]:
        env = info.get("env")
        if isinstance(env, dict):
            return env, int(info.get("umask") or 0)
        with self.lock:
            env, umask = dict(self.template), self.template_umask
        fields = _ssh_fields(info.get("ssh"))
        if fields:
            env[b"SSH_CONNECTION"] = " ".join(fields).encode()
            env[b"SSH_CLIENT"] = " ".join((fields[0], fields[1], fields[3])).encode()
        return env, umask

    def _serve(self, rfd: int, wfd: int, lifeline: socket.socket, info: Dict[str, Any],
               first: Optional[Dict[str, Any]] = None) -> Optional[_Child]:
        """A connection without a session.  Frames are read one by one, never ahead: once a
        hello takes it to a session, the rest of the stream is that process's.  Returns the
        session whose process was started for it (the caller watches that process).  ``first``:
        a frame the lobby has read already."""
        reader = os.fdopen(rfd, "rb", buffering=0, closefd=False)
        handed: Optional[_Child] = None
        try:
            while True:
                msg, first = (first, None) if first is not None else (read_frame(reader), None)
                if msg is None:
                    break
                kind = msg.get("t")
                if kind == "hello":
                    handed = self._hello(msg, rfd, wfd, lifeline, info)
                    if handed is not None:
                        if handed.unwatched:
                            handed.unwatched = False
                            return handed
                        return None
                elif kind == "list":
                    _write(wfd, {"t": "sessions", "id": msg.get("id"), "sessions": self.listing()})
                elif kind == "remove":
                    error = self.remove(str(msg.get("session") or ""), bool(msg.get("force")))
                    _write(wfd, {"t": "removed", "id": msg.get("id"), "error": error})
                elif kind == "close" and msg.get("rs") is None:
                    _write(wfd, {"t": "closed", "id": msg.get("id")})
                    break
                else:
                    _no_session(wfd, msg)
        except (ProtocolError, OSError, ValueError) as exc:
            _log(f"connection ended: {exc}")
        finally:
            reader.close()
            if handed is None:
                for fd in {rfd, wfd}:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                try:
                    lifeline.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                lifeline.close()
        return None

    def _hello(self, msg: Dict[str, Any], rfd: int, wfd: int, lifeline: socket.socket,
               info: Dict[str, Any]) -> Optional[_Child]:
        """Answer a hello, or hand the connection to the session's process (returned)."""
        who = prompt_info("")
        answer: Dict[str, Any] = {"t": "hello", "v": PROTOCOL_VERSION, "pid": os.getpid(),
                                  "user": who["user"], "host": who["host"],
                                  "python": platform.python_version(), "persistent": True,
                                  "sock": self.socket_path}
        if int(msg.get("v") or 0) != PROTOCOL_VERSION:
            answer["error"] = f"the pshell host speaks protocol {PROTOCOL_VERSION}"
            _write(wfd, answer)
            return None
        child: Optional[_Child]
        if msg.get("attach"):
            child, error = self.find(str(msg["attach"]))
        elif msg.get("new") or msg.get("session"):
            env, umask = self._login_env(info)
            child, error = self.create(str(msg.get("session") or ""), str(msg.get("name") or ""),
                                       msg.get("idle"), env, umask)
            if child is not None and msg.get("once") and not msg.get("name"):
                child.once = True       # a temporary session: remote/oneshot.py
        else:
            _write(wfd, answer)
            return None
        if child is None:
            answer["error"] = error
            _write(wfd, answer)
            return None
        refused = self.hand(child, msg, info, rfd, wfd, lifeline)
        if refused:
            answer["error"] = refused
            _write(wfd, answer)
            return None
        return child

    def hand(self, child: _Child, hello: Dict[str, Any], info: Dict[str, Any], rfd: int, wfd: int,
             lifeline: socket.socket) -> Optional[str]:
        """Give the connection to the session's process (starting it when needed).  Keeps the
        write end and the lifeline until the process says it closed them."""
        number = next(self._numbers)
        plain = {k: v for k, v in info.items() if k not in ("env", "umask")}
        msg = {"op": "conn", "c": number, "hello": hello, "info": plain}
        if child.pid is None:
            error = self.ensure_started(child, msg, [rfd, wfd, lifeline.fileno()], watch=False)
            if error:
                return error
        else:
            data = json.dumps(msg, separators=(",", ":")).encode("utf-8", "surrogatepass")
            with child.lock:
                try:
                    assert child.ctl is not None
                    socket.send_fds(child.ctl, [data], [rfd, wfd, lifeline.fileno()])
                except OSError:
                    return f"The session {child.name} is ending; try again."
        with child.lock:
            child.conns[number] = (wfd, lifeline.detach())
        if rfd != wfd:
            os.close(rfd)
        return None

    # ---- session processes ---------------------------------------------------------------------
    def ensure_started(self, child: _Child, conn: Optional[Dict[str, Any]] = None,
                       conn_fds: Optional[List[int]] = None, watch: bool = True) -> Optional[str]:
        """Start the session's process (a spare's when one waits); an error message when it
        cannot.  ``watch`` False: a process started here is left ``unwatched`` for the caller's
        thread to watch (a connection's thread, free once it has handed its connection)."""
        self.engine_ready.wait(60)
        with self.fork_lock:
            if child.pid is not None:
                if conn is not None:       # started meanwhile: hand it over the usual way
                    data = json.dumps(conn).encode("utf-8", "surrogatepass")
                    assert child.ctl is not None
                    socket.send_fds(child.ctl, [data], list(conn_fds or ()))
                return None
            setup = {"id": child.id, "name": child.name, "idle": child.idle,
                     "created": child.created, "restore": child.restore,
                     "resave": bool(getattr(child, "resave", False)),
                     "named": bool(getattr(child, "named", False)), "once": child.once,
                     "sessions_dir": self.sessions_dir, "socket": self.socket_path}
            spare = self.spares.pop(0) if self.spares else None     # the oldest: warm
            base = self.spare_env.pop(spare[0], None) if spare is not None else None
            if spare is not None and (base is None or not _start_spare(
                    spare[1], setup, child.env, child.umask, conn, list(conn_fds or ()), base)):
                _discard_spare(*spare)
                spare = None
            if spare is not None:
                pid, ours = spare
            else:
                ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                try:
                    gc.freeze()
                    pid = os.fork()
                except OSError as exc:
                    ours.close()
                    theirs.close()
                    return f"cannot start the session's process: {exc.strerror or exc}"
                if pid == 0:
                    try:
                        keep = {0, 1, 2, theirs.fileno()} | set(conn_fds or ())
                        _close_all_but(keep)
                    finally:
                        session_main(theirs, setup, child.env, child.umask, conn,
                                     list(conn_fds or ()))
                theirs.close()
            child.pid = pid
            child.ctl = ours
            child.restore = ""
        if watch:
            self._watch_later(child)
        else:
            child.unwatched = True
        self._started()
        return None

    def _started(self) -> None:
        """A session got its process: count the burst, and refill the spares once it is over."""
        with self.lock:
            now = time.monotonic()
            self.burst = self.burst + 1 if now - self.last_start < BURST_GAP else 1
            self.last_start = now
            self.want_spares = min(_max_spares(), max(self.want_spares, self.burst))
            if self.refill_pending:
                return
            self.refill_pending = True
        self._refill_later(SPARE_DELAY)

    def _refill_later(self, delay: float) -> None:
        timer = threading.Timer(delay, self._refill)
        timer.daemon = True
        timer.start()

    def _refill(self) -> None:
        """Fork spares up to ``want_spares``, once no session has started for SPARE_DELAY
        seconds: spares warming up would compete with a burst's sessions for the CPU."""
        with self.lock:
            quiet = time.monotonic() - self.last_start
            if quiet < SPARE_DELAY:
                wait = SPARE_DELAY - quiet
            else:
                wait = 0.0
                self.refill_pending = False
        if wait:
            self._refill_later(wait)
            return
        self.fill_spares()

    def fill_spares(self) -> None:
        started = self.last_start
        while len(self.spares) < self.want_spares and self.last_start == started:
            if not self.make_spare():
                return

    def trim_spares(self) -> None:
        """After SPARE_KEEP quiet seconds, one spare is enough again."""
        with self.lock:
            if self.want_spares <= 1 or time.monotonic() - self.last_start < SPARE_KEEP:
                return
            self.want_spares = 1
        with self.fork_lock:
            extra, self.spares[1:] = self.spares[1:], []
            for pid, _ in extra:
                self.spare_env.pop(pid, None)
        for spare in extra:
            _discard_spare(*spare)

    def make_spare(self) -> bool:
        """Fork a session's process ahead of time: it waits (its pages shared with the
        supervisor's) until a session needs it, so New-PSSession costs no fork.  False when
        no more should (or can) be forked."""
        with self.fork_lock:
            if (len(self.spares) >= self.want_spares or self.exiting
                    or not self.prewarmed.is_set()):
                return False
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            if self._fork_env != os.environb:       # nothing here changes it; never assumed
                self._fork_env = dict(os.environb)
            base = self._fork_env
            try:
                gc.freeze()
                pid = os.fork()
            except OSError as exc:
                ours.close()
                theirs.close()
                _log(f"cannot fork a spare session process: {exc}")
                return False
            if pid == 0:
                try:
                    _close_all_but({0, 1, 2, theirs.fileno()})
                finally:
                    spare_main(theirs)
            theirs.close()
            self.spare_env[pid] = base
            self.spares.append((pid, ours))
        return True

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

    # ---- idle and exit -------------------------------------------------------------------------
    def _reaper(self) -> None:
        while not self.exiting:
            time.sleep(0.5)
            self.trim_spares()
            if not os.path.isdir(self.sessions_dir):     # the state directory was removed
                with self.lock:
                    self.exiting = True
                _log("the state directory is gone: exiting")
                os._exit(0)
            with self.lock:
                if self.children or self.connections:
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


def daemon_main(ready_fd: int, listen_fd: int = -1) -> int:
    """Run the supervisor (in the double-forked grandchild); ``ready_fd`` learns "ok" or the
    error; ``listen_fd``: the socket the relay that starts it bound, already listening (the
    channels that arrive while the engine loads wait in its backlog).  Its own files get their
    modes explicitly; umask 077 is only a second guard."""
    login_umask = os.umask(0o077)
    _detach_stdio(ready_fd, listen_fd)
    for name in PER_CONNECTION:
        os.environb.pop(name, None)
    try:
        os.chdir(os.path.expanduser("~"))
    except OSError:
        os.chdir("/")
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        # kill -USR1: every thread's stack in host.log (session processes inherit it: registering
        # it in each of them imported faulthandler there, ~130 pages copied per session)
        faulthandler.register(signal.SIGUSR1, all_threads=True)
        daemon = Supervisor()
        daemon.template_umask = login_umask
        daemon.recover()
        daemon.listen(listen_fd)
    except BaseException as exc:
        try:
            os.write(ready_fd, f"error {type(exc).__name__}: {exc}\n".encode())
        finally:
            os.close(ready_fd)
        return 1
    _log(f"host started (protocol {PROTOCOL_VERSION}, socket {daemon.socket_path})")
    os.write(ready_fd, b"ok\n")
    os.close(ready_fd)
    threading.Thread(target=daemon.prewarm, name="pshell-prewarm", daemon=True).start()
    daemon.serve_forever()
    return 0
