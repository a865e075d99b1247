"""The client side of the connection broker (the broker itself: ``transport/broker_server.py``).

A pshell process that needs an SSH connection asks the user's broker for a channel over a Unix
socket and speaks the remoting protocol through it: no ``import asyncssh``, no handshake, when the
broker already holds a connection to that computer.  The broker starts on demand and ends when it
has held nothing for ``PSHELL_BROKER_PERSIST`` seconds (default 600, ssh's ControlPersist);
``PSHELL_BROKER=0`` turns it off.

Its directory is private (0700, checked by ``engine.private``) and named after what changes SSH
decisions in the environment (HOME, the config file, the agent, PATH...) and this pshell's own
files, so a process never gets a connection decided under other settings.  The peer's uid is
checked on both sides.  A target carrying a password never goes through the broker; one whose
authentication would need a prompt comes back here to connect directly (where a prompt exists).
A process served by the broker imports no SSH module at all (the broker resolves the config and
says what a direct connection would warn about).
"""

from __future__ import annotations

import os
from select import POLLIN as _POLLIN, poll as _poll
import _socket as socket     # the C module: socket.py builds its enums (~1.7 ms of each remoting process)
import sys
import _thread
import time

from pshell.remote.jsonc import dumps as _json_text, loads as _json_value   # json without re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional

__all__ = ["enabled", "broker_dir", "open_via_broker", "BrokerLink", "BrokerRefused"]

DEFAULT_PERSIST = 600.0
_START_WAIT = 5.0            # how long a new broker may take to listen
_PUMP_TURN = 0.05            # how long a second waiter on a pumped link waits for the first
_SPAWN_LOCK = _thread.allocate_lock()
_ENV_KEYS = ("HOME", "USER", "LOGNAME", "PATH", "SHELL", "SSH_AUTH_SOCK", "PSHELL_SSH_CONFIG",
             "PSHELL_SSH_DIRECT", "XDG_CACHE_HOME", "XDG_STATE_HOME", "PYTHONPATH")


class BrokerRefused(Exception):
    """The broker could not connect (its message is what a direct connection would say)."""


def enabled() -> bool:
    """On unless PSHELL_BROKER says no; only where the peer's uid can be checked (Linux)."""
    if not hasattr(socket, "SO_PEERCRED") or not hasattr(os, "getuid"):
        return False
    return os.environ.get("PSHELL_BROKER", "1").strip().lower() not in ("0", "no", "false", "off")


def persist_seconds() -> float:
    try:
        value = float(os.environ.get("PSHELL_BROKER_PERSIST", DEFAULT_PERSIST))
    except ValueError:
        return DEFAULT_PERSIST
    return min(max(value, 0.5), 86400.0)


def _identity() -> str:
    """What the broker's decisions depend on, as a short hash."""
    try:
        from _blake2 import blake2b     # what hashlib's blake2b is, without loading OpenSSL
    except ImportError:                 # (1.5 ms of every pshell that remotes)
        from hashlib import blake2b
    digest = blake2b(digest_size=8)
    for key in _ENV_KEYS:
        digest.update(f"{key}={os.environ.get(key, '')}\0".encode("utf-8", "surrogateescape"))
    digest.update(sys.executable.encode("utf-8", "surrogateescape"))
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # every module the broker's process runs (transport/, and the wire it shares with remote/):
    # a pshell upgraded in place never talks to a broker of the old code
    for part in ("transport", "remote"):
        try:
            names = sorted(n for n in os.listdir(os.path.join(here, part)) if n.endswith(".py"))
        except OSError:
            names = []
        for name in names:
            try:
                info = os.stat(os.path.join(here, part, name))
                digest.update(f"{part}/{name}:{info.st_mtime_ns}:{info.st_size}\0".encode())
            except OSError:
                digest.update(name.encode())
    return digest.hexdigest()[:16]


def _bases() -> Any:
    """Where the broker's directory may go, in order of preference."""
    from pshell.engine.private import UnsafeDirectory
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        yield os.path.join(runtime, "pshell")
    try:
        from pshell.remote.paths import state_dir
        yield os.path.join(state_dir(), "run")
    except (OSError, UnsafeDirectory):
        pass
    import tempfile
    yield os.path.join(tempfile.gettempdir(), f"pshell-{os.getuid()}")


def broker_dir() -> str:
    """The broker's private directory (created 0700, checked the whole way down): under
    $XDG_RUNTIME_DIR, else pshell's state directory, and only when a socket path there would be
    too long, in the shared temporary directory (where another user may have taken the name:
    private_dir then refuses, and pshell connects without a broker)."""
    from pshell.engine.private import private_dir
    name = f"broker-{_identity()}"
    base = ""
    for base in _bases():
        if len(os.path.join(base, name, "sock").encode()) <= 100:     # a socket path's limit
            return private_dir(os.path.join(base, name))
    return private_dir(os.path.join(base, name))


_KNOWN_DIR: Dict[Any, str] = {}     # the environment that decided it -> the broker's directory


_DIR_KEYS = _ENV_KEYS + ("XDG_RUNTIME_DIR", "TMPDIR")
_DIR_KEYS_RAW = tuple(os.fsencode(key) for key in _DIR_KEYS)


def _environment() -> Any:
    """What decides the broker's directory, as it is now: the raw environment's values when
    os.environ keeps them as bytes (POSIX: one C lookup each, not ~1 us of encoding apiece,
    which every computer of a fan-out paid 14 times)."""
    raw = getattr(os.environ, "_data", None)
    if type(raw) is dict:
        return tuple(map(raw.get, _DIR_KEYS_RAW))
    return tuple(os.environ.get(key) for key in _DIR_KEYS)


def _known_dir() -> str:
    """broker_dir(), worked out (hashing, checking the directories) once per process while
    the environment that decides it is unchanged."""
    key = _environment()
    directory = _KNOWN_DIR.get(key)
    if directory is None:
        with _SPAWN_LOCK:       # a fan-out's threads all ask at once: one works it out
            directory = _KNOWN_DIR.get(key)
            if directory is None:
                directory = _KNOWN_DIR[key] = broker_dir()
    return directory


def _peer_uid(sock: socket.socket) -> int:
    """The uid in the peer's credentials (struct ucred: pid, uid, gid, 4 bytes each in the
    machine's order; read without the _struct extension)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    if len(creds) != 12:
        return -1
    return int.from_bytes(creds[4:8], sys.byteorder)


def _dial(path: str) -> Optional[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    if _peer_uid(sock) != os.getuid():     # cannot happen in a 0700 directory of ours, but
        sock.close()                        # nothing is taken on trust
        return None
    return sock


def _spawn(directory: str) -> Any:
    import subprocess
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    log = os.open(os.path.join(directory, "broker.log"),
                  os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pshell.transport.broker_server", directory,
             repr(persist_seconds())],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd="/",
            start_new_session=True, close_fds=True)
    finally:
        os.close(log)
    import threading
    threading.Thread(target=proc.wait, daemon=True).start()     # no zombie while we run
    return proc


def _connect_broker() -> Optional[socket.socket]:
    sock = _dial(os.path.join(_known_dir(), "sock"))
    if sock is not None:
        return sock
    with _SPAWN_LOCK:                       # the threads of one fan-out start one broker
        directory = broker_dir()            # checked again: it may have been removed
        _KNOWN_DIR[_environment()] = directory
        path = os.path.join(directory, "sock")
        sock = _dial(path)
        if sock is not None:
            return sock
        proc = _spawn(directory)
        deadline = time.monotonic() + _START_WAIT
        while time.monotonic() < deadline:
            time.sleep(0.01)
            sock = _dial(path)
            if sock is not None:
                return sock
            if proc.returncode not in (None, 0):
                break           # it failed (its broker.log says why): connect directly
    return None


_ENV_LIMIT = 48 * 1024      # the broker's MAX_ENV_SIZE (broker_request.py)
_ENV_TEXT: List[Any] = [None, ""]     # the environment last sent, its text


def _env_text() -> Optional[str]:
    """This process's environment as the request's ``env`` field (the broker takes SendEnv's
    values from it, as this process's own ``ssh`` would): ASCII JSON, bytes that are not UTF-8
    as the escaped surrogates of ``os.fsdecode``.  None when it is larger than the broker
    takes (more than 1024 variables, 48 KiB, a name longer than 256: connect directly then)."""
    raw = getattr(os.environ, "_data", None)     # POSIX: the raw bytes, nothing decoded
    items = tuple(raw.items()) if type(raw) is dict else tuple(os.environ.items())
    if items == _ENV_TEXT[0]:
        return _ENV_TEXT[1]
    from _json import encode_basestring_ascii as quote
    if sum(len(k) + len(v) for k, v in items) > _ENV_LIMIT or len(items) > 1024 or \
            any(len(k) > 256 for k, _ in items):
        return None
    decode = os.fsdecode
    text = "{" + ",".join(quote(decode(k)) + ":" + quote(decode(v)) for k, v in items
                          if k and "=" not in decode(k)) + "}"
    _ENV_TEXT[:] = [items, text]
    return text


def _request(target: Any, subsystem: Optional[str]) -> Optional[bytes]:
    req = {"v": 1, "host": target.host, "user": target.user, "port": target.port,
           "key_file": target.key_file, "options": target.options or {}, "subsystem": subsystem}
    env = _env_text()
    if env is None:
        return None
    try:
        return (_json_text(req)[:-1] + ',"env":' + env + "}").encode("utf-8") + b"\n"
    except (TypeError, ValueError, RecursionError):
        return None                         # options that are not plain data: connect directly


_SAID: set = set()


def _say_warnings(warnings: List[Any]) -> None:
    """Warnings the broker passed on: an option pshell cannot honour (once per process, as a
    direct connection says it), what connecting said (a changed key accepted...)."""
    for text in warnings:
        if not isinstance(text, str) or text in _SAID:
            continue
        _SAID.add(text)
        from pshell.transport.ssh_connect import _warn
        _warn(text)


def open_via_broker(target: Any, prompt: Any = None, timeout: float = 120,
                    subsystem: Optional[str] = "pshell", prepare: Any = None,
                    reader: bool = True) -> Any:
    """A RemoteConnection to ``target`` through the broker (the engine started, before hello);
    None when the broker is off, cannot be reached or cannot decide for a prompt (connect
    directly then).  Raises BrokerRefused with the connection's error.

    ``prepare(conn)``, when given, is called before anything is sent: what it sends (hello,
    create, the first invocation) goes out in the same write as the request, and the broker
    passes it on once the channel is open, so a temporary session costs one round trip; its
    result is ``conn.prepared``.  When the broker does not take the request, what it sent is
    dropped with that connection (nothing reached a remote computer).  ``reader`` false: no
    reader thread, the thread that waits for an answer reads (``BrokerLink.pump``)."""
    if not enabled() or target.password is not None:
        return None
    line = _request(target, subsystem)
    if line is None:
        return None
    try:
        sock = _connect_broker()
    except OSError:
        return None
    if sock is None:
        return None
    from pshell.remote.client import RemoteConnection
    link = BrokerLink(sock, target.host, "", None)
    conn = RemoteConnection(link, target.host)
    link.corked = [line]
    try:
        if prepare is not None:
            conn.prepared = prepare(conn)
        sock.settimeout(timeout)
        sock.sendall(b"".join(link.corked))
        link.corked = None
        answer, rest = _read_answer(sock)
        sock.settimeout(None)
    except (OSError, ValueError, RecursionError):
        sock.close()
        conn.lost("the connection broker did not answer")
        return None
    _say_warnings(answer.get("warnings") or [])
    if not answer.get("ok"):
        sock.close()
        conn.lost("the connection broker did not connect")
        if answer.get("auth") and prompt is not None:
            return None                      # a prompt may help: connect directly
        raise BrokerRefused(str(answer.get("error") or "the connection broker failed"))
    link.cache_key = str(answer.get("cache_key") or "")
    link.socket_known = answer.get("socket_known")
    link.attach(conn, rest, reader)
    return conn


def _read_answer(sock: socket.socket) -> Any:
    data = b""
    while b"\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ValueError("the broker closed the connection")
        data += chunk
        if len(data) > 1 << 20:
            raise ValueError("the broker's answer is too long")
    line, _, rest = data.partition(b"\n")
    answer = _json_value(line.decode("utf-8"))
    if not isinstance(answer, dict):
        raise ValueError("the broker's answer is not a table")
    return answer, rest


class BrokerLink:
    """A channel through the broker, as a link for RemoteConnection."""

    def __init__(self, sock: socket.socket, computer: str, cache_key: str,
                 socket_known: Any = None) -> None:
        self.sock = sock
        self.computer = computer
        self.cache_key = cache_key
        self.socket_known = socket_known        # the host's socket path the broker knew
        self.conn: Any = None
        self.corked: Optional[List[bytes]] = None    # held until the request goes out
        self._write_lock = _thread.allocate_lock()
        self._resume: Any = None        # a reader thread's flow control (threading.Event)
        self.closed = False

    def attach(self, conn: Any, first: bytes, reader: bool = True) -> None:
        """Start delivering to ``conn``: from a reader thread, or (``reader`` false) from
        whichever thread waits for an answer (``conn.pump``): a temporary session has one
        thread that waits, so it needs no second one to read for it."""
        self.conn = conn
        if reader:
            import threading
            self._resume = threading.Event()
            self._resume.set()
            threading.Thread(target=self._read_loop, args=(first,), name="pshell-broker-read",
                             daemon=True).start()
            return
        self._pumping = _thread.allocate_lock()
        conn.pump = self.pump
        if first:
            conn.feed(first)

    def pump(self, timeout: Optional[float]) -> None:
        """Read what has arrived, waiting at most ``timeout`` (None: until something does),
        and feed it to the connection; the end of the stream is the connection's end.  When
        another thread is reading, wait a moment instead (what it reads may be ours)."""
        if not self._pumping.acquire(timeout=_PUMP_TURN if timeout is None
                                     else min(timeout, _PUMP_TURN)):
            return
        try:
            try:
                if timeout is not None:
                    poller = _poll()
                    poller.register(self.sock.fileno(), _POLLIN)    # closed: -1, ValueError
                    if not poller.poll(int(timeout * 1000) + 1):
                        return
                data = self.sock.recv(1 << 18)
            except (OSError, ValueError):
                data = b""
            if data:
                self.conn.feed(data)
            else:
                self._ended()
        finally:
            self._pumping.release()

    def send(self, data: bytes) -> None:
        if self.closed:
            from pshell.remote.invocation import ConnectionBroken
            raise ConnectionBroken(f"the connection to {self.computer} is closed")
        with self._write_lock:
            if self.corked is not None:
                self.corked.append(data)
                return
            try:
                self.sock.sendall(data)
            except OSError as exc:
                from pshell.remote.invocation import ConnectionBroken
                raise ConnectionBroken(f"the connection to {self.computer} was lost ({exc})")

    def pause_reading(self) -> None:
        if self._resume is not None:        # a pumped link reads only when someone waits
            self._resume.clear()

    def resume_reading(self) -> None:
        if self._resume is not None:
            self._resume.set()

    def hello_received(self, info: Dict[str, Any]) -> None:
        path = info.get("sock")
        if self.cache_key and isinstance(path, str) and path and path != self.socket_known:
            from pshell.transport.ssh import remember_socket
            remember_socket(self.cache_key, path)

    def _read_loop(self, first: bytes) -> None:
        if first:
            self.conn.feed(first)
        while True:
            self._resume.wait()
            try:
                data = self.sock.recv(1 << 18)
            except OSError:
                data = b""
            if not data:
                break
            self.conn.feed(data)
        self._ended()

    def _ended(self) -> None:
        if self.closed:
            self.conn.lost("the session was closed")
        else:
            self.conn.lost(f"the connection to {self.computer} was closed")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def abort(self) -> None:
        self.close()
