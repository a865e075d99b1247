"""The SSH transport, on asyncssh: connect like ``ssh`` does, start the engine, carry frames.

asyncssh runs on one background event-loop thread shared by every session
(:func:`event_loop`); the synchronous engine talks to it through
``asyncio.run_coroutine_threadsafe``.  asyncssh itself is imported only when a remote command
runs, so ``pshell -c 1`` never pays for it.

Connecting follows ``ssh`` decision for decision: :mod:`pshell.transport.ssh_connect` (the
ssh_config as OpenSSH reads it, known_hosts with OpenSSH's rules, ProxyJump hop by hop).
"""

from __future__ import annotations

import os
import threading
from typing import Any, Dict, List, Optional

from pshell.remote.client import RemoteConnection
from pshell.remote.invocation import ConnectionBroken
from pshell.remote.framing import encode_frame
from pshell.transport import bootstrap

__all__ = ["SSHTarget", "SSHError", "event_loop", "run_async", "connect", "SSHSessionLink",
           "open_ssh_connection", "open_ssh_session", "parse_destination"]

from pshell.transport.ssh_connect import (  # noqa: F401  (the public face stays here)
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEEPALIVE, DEFAULT_KEEPALIVE_COUNT, PromptFunc, SSHError,
    SSHTarget, connect, load_asyncssh, parse_destination, preferred_ciphers, session_env)


# --------------------------------------------------------------------------- event loop

_LOOP: Any = None
_LOOP_LOCK = threading.Lock()


def event_loop() -> Any:
    """The shared asyncio loop (started on first use, on a daemon thread)."""
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None:
            import asyncio
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=run, name="pshell-ssh-loop", daemon=True).start()
            ready.wait()
            _LOOP = loop
        return _LOOP


def run_async(coro: Any, timeout: Optional[float] = None) -> Any:
    """Run a coroutine on the shared loop from a synchronous thread and wait for its result."""
    import asyncio
    import concurrent.futures
    future = asyncio.run_coroutine_threadsafe(coro, event_loop())
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise
    except BaseException:
        future.cancel()
        raise


# --------------------------------------------------------------------------- the channel

def _connect_timeout_of(ssh: Any) -> float:
    """ConnectTimeout as the connection has it (its config, parsed by now), else the default."""
    options = getattr(ssh, "_options", None)
    config = getattr(options, "config", None)
    try:
        value = config.get("ConnectTimeout", None) if config is not None else None
        return float(value or getattr(options, "connect_timeout", None) or DEFAULT_CONNECT_TIMEOUT)
    except (TypeError, ValueError):
        return float(DEFAULT_CONNECT_TIMEOUT)


class SSHSessionLink:
    """An SSH channel running the pshell server, as a link for :class:`RemoteConnection`.

    The channel starts in bootstrap mode (status lines from the loader) and switches to frames
    after ``PSHELL-READY``."""

    def __init__(self, computer: str, cache_key: str = "") -> None:
        self.computer = computer
        self.cache_key = cache_key      # where the host's socket path is remembered
        self.direct = False             # the channel is forwarded straight to the host's socket
        self.conn: Optional[RemoteConnection] = None
        self.chan: Any = None
        self.ssh: Any = None
        self.owns_ssh = True
        self._booting = True
        self._status = b""
        self._sent = b""             # the first bytes that were not status lines (shown)
        self._needed = False         # the loader asked for the engine
        self.boot_timeout: float = DEFAULT_CONNECT_TIMEOUT     # ConnectTimeout, from start()
        self._ready: Any = None      # asyncio.Future set when the protocol starts
        self._stderr: List[str] = []
        self._exit_status: Optional[int] = None
        self.closed = False
        self.attempt = 0
        # the first requests (hello, create, invoke) sent before the channel is ready: they
        # follow stage two or the direct line on the channel, in the same write
        self.corked: Optional[List[bytes]] = None
        # the variables sent with the channel (SendEnv, SetEnv): None until the start works
        # them out from the connection's options and this process's environment; an owner that
        # opens channels for another process (the broker) may set its client's
        self.env: Optional[Dict[bytes, bytes]] = None

    # ---- asyncssh session callbacks (loop thread) ----------------------------------------
    def session_factory(self, unix: bool = False) -> Any:
        import asyncssh
        link = self
        attempt = self.attempt
        base: Any = asyncssh.SSHUNIXSession if unix else asyncssh.SSHClientSession

        class _Session(base):  # type: ignore[misc, valid-type]
            # callbacks of an earlier attempt (a refused subsystem) are ignored
            def data_received(self, data: bytes, datatype: Any) -> None:
                if attempt == link.attempt:
                    link._data(data, datatype)

            def exit_status_received(self, status: int) -> None:
                if attempt == link.attempt:
                    link._exit_status = status

            def connection_lost(self, exc: Optional[Exception]) -> None:
                if attempt == link.attempt:
                    link._lost(exc)

        return _Session()

    def _data(self, data: bytes, datatype: Any) -> None:
        if datatype is not None:          # stderr of the remote process
            text = data.decode("utf-8", "replace")
            self._stderr.extend(text.splitlines())
            del self._stderr[:-20]
            return
        if not self._booting:
            self.conn.feed(data)  # type: ignore[union-attr]
            return
        if self.direct:                   # the host's "A": the protocol follows
            self._booting = False
            if not self._ready.done():
                self._ready.set_result(True)
            if data[:1] != b"A":
                self.conn.lost(f"{self.computer}: the pshell host did not take the "  # type: ignore[union-attr]
                               f"connection")
            elif data[1:]:
                self.conn.feed(data[1:])  # type: ignore[union-attr]
            return
        self._status += data
        lines, rest = bootstrap.parse_status_lines(self._status)
        self._status = rest
        # no line end in sight: not the loader (only its first bytes are kept, to be shown)
        if len(rest) > bootstrap.MAX_STATUS_LINE and not (lines and lines[-1].startswith(
                (bootstrap.READY, bootstrap.ERROR))):
            lines.append(rest)
            self._status = b""
        for line in lines:
            if not bootstrap.is_status_line(line):      # a chatty login shell, or not pshell
                self._sent = bootstrap.first_bytes(self._sent, line + b"\n")
            elif line.startswith(bootstrap.NEED):
                self._needed = True
                # stage two dropped the first requests that followed it: again, behind the engine
                self.chan.write(bootstrap.engine_payload() + self._login_first())
            elif line.startswith(bootstrap.READY):
                self._booting = False
                if not self._ready.done():
                    self._ready.set_result(True)
                if rest:
                    self._status = b""
                    self.conn.feed(rest)  # type: ignore[union-attr]
            elif line.startswith(bootstrap.ERROR):
                message = line[len(bootstrap.ERROR):].decode("utf-8", "replace").strip()
                if not self._ready.done():
                    self._ready.set_exception(SSHError(f"{self.computer}: {message}"))

    def _lost(self, exc: Optional[Exception]) -> None:
        if self._booting:
            if self.direct and self._ready is not None and not self._ready.done():
                self._ready.set_exception(ConnectionResetError("the host closed the socket"))
                return
            if self._ready is not None and not self._ready.done():
                self._ready.set_exception(SSHError(bootstrap.missing_python_message(
                    self.computer, self._exit_status, "\n".join(self._stderr),
                    bootstrap.first_bytes(self._sent, self._status))))
            return
        if self.conn is None:
            return
        if self.closed:
            self.conn.lost("the session was closed")
        elif exc is not None:
            self.conn.lost(f"the connection to {self.computer} was lost ({exc})")
        else:
            detail = f": {self._stderr[-1]}" if self._stderr else ""
            self.conn.lost(f"the connection to {self.computer} was closed{detail}")

    # ---- link interface (any thread) -------------------------------------------------------
    def send(self, data: bytes) -> None:
        if self.corked is not None:         # before the start (one thread: the one preparing)
            self.corked.append(data)
            return
        if self.closed or self.chan is None:
            raise ConnectionBroken(f"the connection to {self.computer} is closed")
        event_loop().call_soon_threadsafe(self._write, data)

    def _write(self, data: bytes) -> None:
        try:
            self.chan.write(data)
        except Exception as exc:
            if self.conn is not None:
                self.conn.lost(f"the connection to {self.computer} was lost ({exc})")

    def pause_reading(self) -> None:
        event_loop().call_soon_threadsafe(self._call, "pause_reading")

    def resume_reading(self) -> None:
        event_loop().call_soon_threadsafe(self._call, "resume_reading")

    def _call(self, name: str) -> None:
        try:
            getattr(self.chan, name)()
        except Exception:
            pass

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        event_loop().call_soon_threadsafe(self._close_now)

    def _close_now(self) -> None:
        try:
            if self.chan is not None:
                self.chan.close()
        finally:
            if self.owns_ssh and self.ssh is not None:
                self.ssh.close()

    def abort(self) -> None:
        """Drop the TCP connection at once (what a network cut looks like)."""
        if self.ssh is not None:
            event_loop().call_soon_threadsafe(self.ssh.abort)

    # ---- start ---------------------------------------------------------------------------
    def hello_received(self, info: Dict[str, Any]) -> None:
        """The host said where its socket is: the next connection can go straight to it."""
        path = info.get("sock")
        if self.cache_key and isinstance(path, str) and path:
            remember_socket(self.cache_key, path)

    async def open_direct(self, ssh: Any, path: str) -> bool:
        """On a connection held by someone else (the broker): open the channel forwarded to the
        host's socket, sending nothing after the direct line; False when the host is not there."""
        import asyncio
        self.owns_ssh = False
        self.ssh = ssh
        self._ready = asyncio.get_running_loop().create_future()
        return await self._start_direct(ssh, path)

    async def _start_direct(self, ssh: Any, path: str) -> bool:
        """Open a channel forwarded to the host's socket (no process starts on the remote
        computer); False when the host is not there (not running, forwarding refused)."""
        import asyncio
        import asyncssh
        piped = self._pipelined()
        # the variables a login would have been sent: the host applies the ones sshd kept in
        # a login (no direct channel when they do not fit in the line: a login then)
        line = _direct_line(ssh, bool(piped), self._sent_env(ssh))
        if line is None:
            return False
        self.direct = True
        try:
            self.chan, _ = await ssh.create_unix_connection(
                lambda: self.session_factory(unix=True), path)
            # the first requests follow the direct line at once, not after the host's "A"
            self.chan.write(line + piped)
            await asyncio.wait_for(asyncio.shield(self._ready), 15)
            return True
        except (asyncssh.Error, OSError, asyncio.TimeoutError):
            pass
        self.attempt += 1            # callbacks of this channel are ignored from now on
        if self.chan is not None:
            self.chan.close()
            self.chan = None
        self.direct = False
        self._booting = True
        self._ready = asyncio.get_running_loop().create_future()
        # the path is kept: it is where the host started by the loader listens again (its
        # hello says so, and a different path replaces it); forgetting it and learning it
        # back rewrote sockets.json twice per computer of a first fan-out
        return False

    def _restart(self) -> None:
        """Forget what an attempt that failed left (its channel's callbacks are ignored from
        now on), before another is made on the same connection."""
        import asyncio
        self.attempt += 1
        if self.chan is not None:
            try:
                self.chan.close()
            except Exception:
                pass
            self.chan = None
        self.direct = False
        self._booting = True
        self._status = b""
        self._sent = b""
        self._needed = False
        self._stderr = []
        self._exit_status = None
        self._ready = asyncio.get_running_loop().create_future()

    def _pipelined(self) -> bytes:
        return b"".join(self.corked) if self.corked else b""

    def _sent_env(self, ssh: Any) -> Dict[bytes, bytes]:
        if self.env is None:
            self.env = session_env(ssh)
        return self.env

    def _login_first(self) -> bytes:
        """What a login channel carries first: which variables it was sent with (the host sees
        which of them sshd kept, and never makes another connection's session of them), then
        the first requests."""
        sent = self.env
        head = encode_frame({"t": "env", "env": _env_text(sent)}) if sent else b""
        return head + self._pipelined()

    async def start(self, ssh: Any, subsystem: Optional[str] = "pshell") -> None:
        try:
            await self._start(ssh, subsystem)
        finally:
            self.corked = None

    async def _start(self, ssh: Any, subsystem: Optional[str]) -> None:
        import asyncio
        self.ssh = ssh
        self.boot_timeout = _connect_timeout_of(ssh)
        self._ready = asyncio.get_running_loop().create_future()
        path = known_socket(self.cache_key) if self.cache_key else None
        if path and await self._start_direct(ssh, path):
            return
        # a host that refused the subsystem before is not asked again (two round trips of
        # every first contact); if its loader fails, the subsystem is tried after all
        skipped = bool(subsystem and self.cache_key
                       and refused_subsystem(self.cache_key) == subsystem)
        if subsystem and not skipped and await self._start_subsystem(ssh, subsystem):
            return
        try:
            await self._start_loader(ssh)
        except SSHError:
            if not skipped or not subsystem:
                raise
            self._ready.add_done_callback(lambda f: f.cancelled() or f.exception())
            forget_refused_subsystem(self.cache_key)
            self._restart()
            if await self._start_subsystem(ssh, subsystem):
                return
            raise

    async def _start_subsystem(self, ssh: Any, subsystem: str) -> bool:
        """The ``pshell`` subsystem (an installed pshell sshd starts); False when refused."""
        import asyncssh
        try:
            self.chan, _ = await ssh.create_session(self.session_factory, subsystem=subsystem,
                                                    encoding=None, request_pty=False,
                                                    env=self._sent_env(ssh) or None)
        except asyncssh.ChannelOpenError:
            self.attempt += 1
            self.chan = None
            if self.cache_key:
                remember_refused_subsystem(self.cache_key, subsystem)
            return False
        self._booting = False
        self._ready.set_result(True)
        first = self._login_first()
        if first:
            self.chan.write(first)
        return True

    async def _start_loader(self, ssh: Any) -> None:
        import asyncio
        self.chan, _ = await ssh.create_session(self.session_factory, bootstrap.LOADER_COMMAND,
                                                encoding=None, request_pty=False,
                                                env=self._sent_env(ssh) or None)
        # the first requests follow stage two at once, not after its READY: sshd opens the
        # channel's window only with the command's answer, so that round trip stays
        piped = self._login_first()
        try:
            self.chan.write(bootstrap.stage_two(len(piped)) + piped)
        except OSError:             # it ended at once (no python3?): the channel's end says why
            pass
        try:        # a remote command that is not the loader fails within ConnectTimeout
            await asyncio.wait_for(asyncio.shield(self._ready), self.boot_timeout)
        except asyncio.TimeoutError:
            self._ready.add_done_callback(lambda f: f.cancelled() or f.exception())
            if self._needed:        # it is the loader, and the engine is on its way: once more
                try:
                    await asyncio.wait_for(asyncio.shield(self._ready), self.boot_timeout)
                    return
                except asyncio.TimeoutError:
                    pass
            raise SSHError(bootstrap.not_pshell_message(
                self.computer, bootstrap.first_bytes(self._sent, self._status),
                self.boot_timeout)) from None


# The host reads a connection's first line with reads of at most this many bytes in all
# (remote/connections.py, Connections._accept): a direct line padded to exactly this size is
# all it reads, so the requests behind it stay on the channel for the session to read.
FIRST_LINE_READ = 4096


def _env_text(env: Dict[bytes, bytes]) -> Dict[str, str]:
    """Variables as JSON can carry them (bytes that are not UTF-8 as surrogates)."""
    return {os.fsdecode(k): os.fsdecode(v) for k, v in env.items()}


def _direct_line(ssh: Any, padded: bool = False,
                 sent: Optional[Dict[bytes, bytes]] = None) -> Optional[bytes]:
    """The first line on a direct channel: what this side sees of the TCP connection, which
    the remote host gives a session as SSH_CONNECTION (no login process reports it there),
    and the variables a login would have been sent (SendEnv, SetEnv).  ``padded``: requests
    follow it in the same write, so it is padded with spaces (JSON whitespace) to the size of
    the host's first read.  None when it would not fit in that read."""
    import json
    line: Dict[str, Any] = {"direct": 1}
    if sent:
        line["sent"] = _env_text(sent)
    try:
        local = ssh.get_extra_info("sockname")
        remote = ssh.get_extra_info("peername")
        if local and remote:
            line["ssh"] = f"{local[0]} {local[1]} {remote[0]} {remote[1]}"
    except Exception:
        pass
    text = json.dumps(line).encode()
    if len(text) >= FIRST_LINE_READ:
        return None
    if padded:
        text = text.ljust(FIRST_LINE_READ - 1)
    return text + b"\n"


# --------------------------------------------------------------------------- the host's socket

# Once a host has answered, the client knows the path of the remote user's host socket, and later
# connections ask sshd to forward a channel straight to it: no python3 starts on the remote
# computer for them.  The paths are remembered in memory and in ~/.cache/pshell/sockets.json
# (0600), so another pshell process (a script, Connect-PSSession tomorrow) starts fast too.  A
# path is only a hint: when it leads nowhere the usual start runs and the entry is dropped.

_SOCKETS: Dict[str, Dict[str, str]] = {}     # by the file they were read from (HOME may change)
_SOCKETS_LOCK = threading.Lock()


def direct_enabled() -> bool:
    return os.environ.get("PSHELL_SSH_DIRECT", "1").lower() not in ("0", "no", "false", "off")


def cache_key(target: SSHTarget) -> str:
    if not direct_enabled():
        return ""
    return f"{target.user or ''}@{target.host.lower()}:{target.port or ''}"


def _sockets_file() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pshell", "sockets.json")


def _load_sockets() -> Dict[str, str]:
    path = _sockets_file()
    sockets = _SOCKETS.get(path)
    if sockets is None:
        import json
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            sockets = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        except (OSError, ValueError):
            sockets = {}
        _SOCKETS[path] = sockets
    return sockets


def _file_stamp(path: str) -> Any:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


_SOCKETS_STAMP: Dict[str, Any] = {}


def refresh_sockets() -> None:
    """Read the remembered host sockets again when another process changed the file (the
    connection broker serves many pshell processes, each of which may have learnt one)."""
    path = _sockets_file()
    stamp = _file_stamp(path)
    with _SOCKETS_LOCK:
        if path not in _SOCKETS or _SOCKETS_STAMP.get(path) != stamp:
            _SOCKETS.pop(path, None)
            _SOCKETS_STAMP[path] = stamp


def known_socket(key: str) -> Optional[str]:
    with _SOCKETS_LOCK:
        return _load_sockets().get(key)


def known_sockets() -> Dict[str, str]:
    """Every remembered host socket, by cache key (a copy: the broker looks up many at once)."""
    with _SOCKETS_LOCK:
        return dict(_load_sockets())


def remember_socket(key: str, path: str) -> None:
    with _SOCKETS_LOCK:
        sockets = _load_sockets()
        if sockets.get(key) == path:
            return
        sockets[key] = path
        _save_sockets(sockets)


def forget_socket(key: str) -> None:
    with _SOCKETS_LOCK:
        sockets = _load_sockets()
        if sockets.pop(key, None) is not None:
            _save_sockets(sockets)


# A computer whose sshd refused the ``pshell`` subsystem is remembered in the same file (key
# ``REFUSED + cache key``, value the subsystem's name): its next first contact goes straight
# to the loader.  Also only a hint: a loader that fails there tries the subsystem again.
REFUSED = "refused-subsystem "


def refused_subsystem(key: str) -> Optional[str]:
    with _SOCKETS_LOCK:
        return _load_sockets().get(REFUSED + key)


def remember_refused_subsystem(key: str, subsystem: str) -> None:
    remember_socket(REFUSED + key, subsystem)


def forget_refused_subsystem(key: str) -> None:
    forget_socket(REFUSED + key)


def _save_sockets(sockets: Dict[str, str]) -> None:
    import json
    import tempfile
    path = _sockets_file()
    try:
        directory = os.path.dirname(path)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sockets-", dir=directory)   # 0600
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(sockets, fh)
        os.replace(tmp, path)
        _SOCKETS_STAMP[path] = _file_stamp(path)
    except OSError:
        pass                  # a cache: not being able to write it costs speed, nothing else


def open_ssh_connection(target: SSHTarget, prompt: Optional[PromptFunc] = None,
                        session_id: str = "", name: str = "", timeout: float = 120,
                        subsystem: Optional[str] = "pshell", hello: bool = True,
                        prepare: Any = None) -> RemoteConnection:
    """Connect, start the engine, say hello: a ready :class:`RemoteConnection`.  Raises SSHError.
    ``prepare(conn)`` (instead of the hello) sends the first requests, which leave with stage
    two or the direct line (its result is ``conn.prepared``)."""
    computer = target.host
    load_asyncssh()             # here, not on the event loop's thread while others wait on it
    # the RemoteConnection must exist before bytes arrive
    conn = RemoteConnection(None, computer)
    link = SSHSessionLink(computer, cache_key(target))
    link.conn = conn
    conn.link = link
    if prepare is not None:
        hello = False
        link.corked = []
        conn.prepared = prepare(conn)

    async def start() -> SSHSessionLink:
        ssh = await connect(target, prompt)
        try:
            await link.start(ssh, subsystem)
        except BaseException:
            ssh.close()
            raise
        return link

    try:
        run_async(start(), timeout)
    except SSHError:
        raise
    except Exception as exc:
        raise SSHError(f"Cannot connect to {computer}: {exc}") from None
    if hello:
        try:
            conn.hello(session_id, name, timeout=timeout)
        except ConnectionBroken as exc:
            conn.close()
            raise SSHError(f"Cannot start pshell on {computer}: {exc}") from None
    return conn


def open_ssh_session(target: SSHTarget, prompt: Optional[PromptFunc] = None,
                     session_id: str = "", name: str = "", timeout: float = 120,
                     subsystem: Optional[str] = "pshell") -> Any:
    """Connect and open the remote runspace: (RemoteConnection, RemoteRunspace)."""
    conn = open_ssh_connection(target, prompt, session_id, name, timeout, subsystem, hello=False)
    try:
        runspace = conn.open(session_id, name, 0, timeout)
    except ConnectionBroken as exc:
        conn.close()
        raise SSHError(f"Cannot start pshell on {target.host}: {exc}") from None
    return conn, runspace
