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

Its parts: here the host's process (its start: listen, recover, prewarm and the first burst;
starting session processes and the pool of spares; its idle exit); connections without a
session in :mod:`pshell.remote.connections`; the session table and what the session processes
say in :mod:`pshell.remote.session_table`.
"""

from __future__ import annotations

# Everything this module (and its parts) imports is imported before its first thread starts (the
# stdlib here, pshell's own in prewarm, before any fork): a module that one thread is still
# importing while another forks leaves the child that module's lock, held for ever (the child
# hangs importing it).
import faulthandler
import fcntl
import gc
import itertools
import json
import os
import signal
import socket
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from pshell.remote.children import _close_all_but, _detach_stdio, _discard_spare, _start_spare
from pshell.remote.connections import PER_CONNECTION, Connections
from pshell.remote.lobby import Lobby
from pshell.remote.precompile import Precompiler
from pshell.remote.protocol import PROTOCOL_VERSION, prompt_info
from pshell.remote.session_process import DEFAULT_IDLE_TIMEOUT, _log, session_main, spare_main
from pshell.remote.session_table import _Child

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


class Supervisor(Connections):
    """The sessions of this user on this computer, each in its own process (the parts: see
    the module's docstring)."""

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
        #: the texts the sessions ran, compiled before the next spares are forked
        self.precompiler = Precompiler(_log)

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
        # the start's imports ran without the cyclic collector (relay._spawn_host turned it
        # off: ~10% of their CPU); what they made is frozen, so no session process collects it
        gc.freeze()
        gc.enable()
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
        if self.precompiler.pending() and self.prewarmed.is_set():
            # what the sessions ran, parsed and compiled here: the spares forked next have it
            self.precompiler.compile_pending(self.fork_lock, lambda: self.last_start == started)
        if self._fork_env != os.environb:   # nothing here changes it; never assumed (compared
            self._fork_env = dict(os.environb)      # once a refill: per fork, it was 1/3 of it)
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
