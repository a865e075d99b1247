"""The SSH transport, on asyncssh: connect like ``ssh`` does, start the engine, carry frames.

asyncssh runs on one background event-loop thread shared by every session
(:func:`event_loop`); the synchronous engine talks to it through
``asyncio.run_coroutine_threadsafe``.  asyncssh itself is imported only when a remote command
runs, so ``pshell -c 1`` never pays for it.

Connecting follows ``ssh``: ``~/.ssh/config`` (asyncssh reads Host, HostName, User, Port,
IdentityFile, ProxyJump, ConnectTimeout, ServerAliveInterval, UserKnownHostsFile; we add
StrictHostKeyChecking and BatchMode), the agent, ``~/.ssh/known_hosts``.  An unknown or changed
host key is refused with a clear message; ``StrictHostKeyChecking accept-new`` records a new key.
Passwords and keyboard-interactive answers are asked only when a prompt function is given (a
terminal is attached) and BatchMode is off; they are never logged or stored.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from pshell.remote.client import ConnectionBroken, RemoteConnection
from pshell.transport import bootstrap

__all__ = ["SSHTarget", "SSHError", "event_loop", "run_async", "connect", "SSHSessionLink",
           "open_ssh_connection", "open_ssh_session", "parse_destination"]

DEFAULT_KEEPALIVE = 5         # seconds between keepalives when the config sets none
DEFAULT_KEEPALIVE_COUNT = 3   # missed keepalives before the peer is declared dead
DEFAULT_CONNECT_TIMEOUT = 20

PromptFunc = Callable[[str, bool], Optional[str]]


class SSHError(Exception):
    """A connection could not be made; ``str()`` is the message to show the user."""


class SSHTarget:
    """Where to connect and how: what the cmdlets' parameters say (config fills the rest)."""

    def __init__(self, host: str, user: Optional[str] = None, port: Optional[int] = None,
                 key_file: Optional[str] = None, password: Optional[str] = None,
                 options: Optional[Dict[str, Any]] = None) -> None:
        self.host = host
        self.user = user
        self.port = port
        self.key_file = key_file
        self.password = password
        self.options = options or {}

    def __repr__(self) -> str:   # never shows the password
        return f"SSHTarget({self.user + '@' if self.user else ''}{self.host}:{self.port or ''})"


def parse_destination(text: str) -> Tuple[Optional[str], str, Optional[int]]:
    """``user@host:port`` -> (user, host, port); each part optional but the host."""
    user = None
    if "@" in text:
        user, text = text.rsplit("@", 1)
    port = None
    if text.startswith("[") and "]" in text:
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
        return user, host, port
    if text.count(":") == 1:
        host, _, port_text = text.partition(":")
        if port_text.isdigit():
            return user, host, int(port_text)
    return user, text, port


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


# --------------------------------------------------------------------------- ssh config extras

_EXTRAS_CACHE: Dict[str, Any] = {}
_WANTED = ("stricthostkeychecking", "batchmode")


def _config_extras(host: str, path: Optional[str] = None) -> Dict[str, str]:
    """StrictHostKeyChecking and BatchMode for ``host`` from ~/.ssh/config (asyncssh ignores
    them).  First value wins, as in ssh.  The file is read once while it does not change: a
    fan-out over a hundred hosts asks a hundred times."""
    from fnmatch import fnmatchcase
    path = path or os.path.join(os.path.expanduser("~"), ".ssh", "config")
    rules = _config_rules(path)
    found: Dict[str, str] = {}
    active = True
    for kind, first, second in rules:
        if kind == "host":
            active = (any(fnmatchcase(host, p) for p in first)
                      and not any(fnmatchcase(host, p) for p in second))
        elif kind == "match":
            active = first
        elif active and kind not in found:
            found[kind] = first
    return found


def _config_rules(path: str) -> List[Any]:
    """The lines of an ssh config that _config_extras looks at: ("host", positive patterns,
    negative ones), ("match", is-"all", None), (option, value, None)."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return []
    cached = _EXTRAS_CACHE.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    rules: List[Any] = []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.readlines()
    except OSError:
        return rules
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.replace("=", " ", 1).partition(" ")
        key, value = key.lower(), value.strip().strip('"')
        if key == "host":
            patterns = [p.lower() for p in value.split()]
            rules.append(("host", [p for p in patterns if not p.startswith("!")],
                          [p[1:] for p in patterns if p.startswith("!")]))
        elif key == "match":
            rules.append(("match", value.lower().strip() == "all", None))
        elif key in _WANTED:
            rules.append((key, value.lower(), None))
    _EXTRAS_CACHE[path] = (mtime, rules)
    return rules


# --------------------------------------------------------------------------- connecting

def _client_class(alias: str, host_label: str, strict: str, batch: bool, prompt: Optional[PromptFunc],
                  known_hosts_file: str, report: Dict[str, str]) -> Any:
    import asyncssh

    class _Client(asyncssh.SSHClient):
        """Host key policy and interactive authentication, as ``ssh`` does them."""

        def connection_made(self, conn: Any) -> None:
            _quick_acks(conn)

        def validate_host_public_key(self, host: str, addr: str, port: int, key: Any) -> bool:
            known = (_known_keys_for(known_hosts_file, alias, addr, port)
                     or _known_keys_for(known_hosts_file, host, addr, port))
            fingerprint = key.get_fingerprint()
            if known:
                report["hostkey"] = (
                    f"the host key of {host_label} has CHANGED ({fingerprint}); this could be an "
                    f"attack, or the server was reinstalled. The connection was refused. If you "
                    f"trust the new key, remove the old one from {known_hosts_file}")
                return False
            if strict == "accept-new" or strict == "no" or strict == "off":
                _add_known_host(known_hosts_file, [alias, addr] if addr != alias else [alias],
                                port, key)
                return True
            report["hostkey"] = (
                f"the host key of {host_label} is not known ({fingerprint}); the connection was "
                f"refused. Check the fingerprint, then add the key to {known_hosts_file} "
                f"(e.g. connect once with ssh), or set StrictHostKeyChecking accept-new for it")
            return False

        async def _ask(self, text: str, secret: bool) -> Optional[str]:
            if prompt is None or batch:
                return None
            import asyncio
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, prompt, text, secret)

        def password_auth_requested(self) -> Any:
            if prompt is None or batch:
                return None
            return self._ask(f"{host_label}'s password: ", True)

        def kbdint_auth_requested(self) -> Any:
            return None if prompt is None or batch else ""

        async def kbdint_challenge_received(self, name: str, instructions: str, lang: str,
                                            prompts: Sequence[Tuple[str, bool]]) -> Any:
            answers = []
            for text, echo in prompts:
                answer = await self._ask(text, not echo)
                if answer is None:
                    return None
                answers.append(answer)
            return answers

    return _Client


def _quick_acks(conn: Any) -> None:
    """Acknowledge what arrives at once instead of after the kernel's delayed-ACK timer.

    sshd does not set TCP_NODELAY on a connection without a terminal, so when it writes two
    small packets in a row (its host-keys notice then a channel confirmation; two answers of
    the host) Nagle holds the second until the first is acknowledged - and Linux delays that
    acknowledgement by 40 ms.  Setting TCP_QUICKACK after each read sends the pending ACK now:
    the first channel of a connection opens in ~2 ms instead of ~45."""
    import socket
    option = getattr(socket, "TCP_QUICKACK", None)
    receive = getattr(conn, "data_received", None)
    if option is None or receive is None:
        return
    sock: Any = None

    def data_received(data: bytes, *args: Any) -> None:
        nonlocal sock
        if sock is None:
            sock = conn.get_extra_info("socket") or False
            sock = getattr(sock, "_sock", sock)     # asyncio's wrapper adds a call per use
        if sock:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, option, 1)
            except OSError:
                sock = False            # not TCP (a ProxyCommand pipe): nothing to do
        receive(data, *args)

    conn.data_received = data_received


def _known_hosts_path(options: Dict[str, Any]) -> str:
    path = options.get("UserKnownHostsFile")
    if path:
        return os.path.expanduser(str(path).split()[0])
    return os.path.join(os.path.expanduser("~"), ".ssh", "known_hosts")


_KNOWN_HOSTS: Dict[str, Any] = {}


def _parsed_known_hosts(path: str) -> Any:
    """``path`` parsed, kept while the file does not change: a fan-out over a hundred hosts
    reads it once, not a hundred times (asyncssh takes the parsed form as ``known_hosts``)."""
    import asyncssh
    try:
        info = os.stat(path)
    except OSError:
        return b""                      # no file: nothing is known (the policy decides)
    stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
    cached = _KNOWN_HOSTS.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        parsed = asyncssh.read_known_hosts(path)
    except (OSError, ValueError):
        return path                     # let asyncssh report what is wrong with it
    _KNOWN_HOSTS[path] = (stamp, parsed)
    return parsed


def _known_keys_for(path: str, host: str, addr: str, port: int) -> List[Any]:
    import asyncssh
    try:
        known = asyncssh.read_known_hosts(path)
    except (OSError, ValueError):
        return []
    try:
        trusted = known.match(host, addr, port if port != 22 else None)[0]
    except Exception:
        return []
    return list(trusted)


def _add_known_host(path: str, hosts: List[str], port: int, key: Any) -> None:
    name = ",".join(h if port == 22 else f"[{h}]:{port}" for h in hosts)
    line = f"{name} {key.export_public_key().decode('ascii').strip()}\n"
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as fh:
        fh.write(line)



def _no_config(*_: Any) -> Any:
    """Stands in for the ssh config's lookup when ~/.ssh/config can't be read."""
    return None


_IMPORT_LOCK = threading.Lock()


def load_asyncssh() -> Any:
    """``import asyncssh``, without its two ``ctypes.util.find_library`` calls for liboqs when
    no liboqs is installed: on Linux each runs ``ldconfig -p`` in a subprocess (~14 ms apiece,
    a tenth of the import).  With liboqs present, asyncssh looks for it as usual."""
    import sys
    module = sys.modules.get("asyncssh")
    if module is not None:
        return module
    with _IMPORT_LOCK:
        module = sys.modules.get("asyncssh")
        if module is not None:
            return module
        import ctypes.util
        import warnings
        real = ctypes.util.find_library

        def find_library(name: str) -> Optional[str]:
            if name in ("oqs", "liboqs") and not _liboqs_present():
                return None
            return real(name)

        ctypes.util.find_library = find_library
        try:
            with warnings.catch_warnings():
                # asyncssh names the crypto library's DSA types at import; a release of that
                # library that deprecates DSA (cryptography 51 does) then prints ten lines in
                # every process that connects. They are about asyncssh's code, not anything
                # the user did (pshell offers no DSA keys, OpenSSH dropped them): not shown.
                warnings.filterwarnings("ignore", module=r"asyncssh(\.|$)")
                import asyncssh
        finally:
            ctypes.util.find_library = real
        return asyncssh


def _liboqs_present() -> bool:
    import glob
    dirs = ["/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64", "/lib", "/lib64"]
    dirs += glob.glob("/usr/lib/*-linux-gnu") + glob.glob("/lib/*-linux-gnu")
    dirs += [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    return any(glob.glob(os.path.join(d, "liboqs.so*")) for d in dirs)


async def connect(target: SSHTarget, prompt: Optional[PromptFunc] = None) -> Any:
    """Open an SSH connection (coroutine, on the shared loop).  Raises SSHError."""
    import asyncio
    asyncssh = load_asyncssh()
    host = target.host.lower()      # as ssh does: Host patterns and known_hosts match lower case
    extras = _config_extras(host)
    opts = dict(target.options)
    batch = extras.get("batchmode") == "yes" or bool(opts.pop("BatchMode", False))
    strict = str(opts.pop("StrictHostKeyChecking", extras.get("stricthostkeychecking", "ask"))).lower()
    label = target.host if not target.port else f"{target.host}:{target.port}"
    report: Dict[str, str] = {}
    kwargs: Dict[str, Any] = {}
    # ~/.ssh/config is read once: the options made here (which parse it) are handed to
    # asyncssh.connect, which takes their config over instead of parsing the file again (with a
    # long config, parsing is the biggest part of what a connection costs the client)
    base: Any = None
    try:
        base = asyncssh.SSHClientConnectionOptions(host=host, port=target.port or (),
                                                   username=target.user or ())
        cfg_get: Callable[..., Any] = base.config.get
    except Exception:
        base = None
        cfg_get = _no_config
    known_hosts = _known_hosts_path({"UserKnownHostsFile": opts.pop("UserKnownHostsFile", None)
                                     or _first(cfg_get("UserKnownHostsFile", None))})
    kwargs["known_hosts"] = _parsed_known_hosts(known_hosts)
    if target.user:
        kwargs["username"] = target.user
    if target.port:
        kwargs["port"] = int(target.port)
    if target.key_file:
        kwargs["client_keys"] = [os.path.expanduser(target.key_file)]
    if target.password is not None:
        kwargs["password"] = target.password
    keepalive: Any = cfg_get("ServerAliveInterval", None)
    kwargs["keepalive_interval"] = keepalive if keepalive else DEFAULT_KEEPALIVE
    kwargs["keepalive_count_max"] = cfg_get("ServerAliveCountMax", None) or DEFAULT_KEEPALIVE_COUNT
    timeout: Any = cfg_get("ConnectTimeout", None) or opts.pop("ConnectTimeout", None) \
        or DEFAULT_CONNECT_TIMEOUT
    kwargs["connect_timeout"] = timeout
    if (batch or prompt is None) and target.password is None:
        kwargs["kbdint_auth"] = False
    if not cfg_get("Ciphers", None) and "encryption_algs" not in opts:
        ciphers = preferred_ciphers()
        if ciphers:
            kwargs["encryption_algs"] = ciphers
    for key, value in opts.items():
        kwargs[_snake(key)] = value
    client = _client_class(host, label, strict, batch, prompt, known_hosts, report)
    try:
        return await asyncio.wait_for(
            asyncssh.connect(host, options=base, client_factory=client, **kwargs), timeout + 5)
    except asyncssh.HostKeyNotVerifiable as exc:
        raise SSHError(f"Cannot connect to {label}: {report.get('hostkey') or exc}") from None
    except asyncssh.PermissionDenied:
        who = f"{target.user}@{label}" if target.user else label
        hint = "" if (prompt and not batch) else \
            " (no password prompt: no terminal is attached or BatchMode is on)"
        raise SSHError(f"Cannot connect to {who}: authentication failed (tried: keys, agent"
                       f"{', password' if target.password or (prompt and not batch) else ''})"
                       f"{hint}") from None
    except (asyncio.TimeoutError, TimeoutError):
        raise SSHError(f"Cannot connect to {label}: timed out after {timeout:g} seconds") from None
    except asyncssh.Error as exc:
        raise SSHError(f"Cannot connect to {label}: {exc.reason or exc}") from None
    except OSError as exc:
        import socket
        if isinstance(exc, socket.gaierror):
            raise SSHError(f"Cannot connect to {label}: unknown host name") from None
        reason = exc.strerror or (os.strerror(exc.errno) if exc.errno else "") or str(exc)
        if "Connect call failed" in reason:
            reason = "connection refused or host unreachable"
        raise SSHError(f"Cannot connect to {label}: {reason}") from None
    except ValueError as exc:
        raise SSHError(f"Cannot connect to {label}: {exc}") from None


_CIPHERS: Optional[List[str]] = None


def preferred_ciphers() -> List[str]:
    """AES-GCM first when the processor has AES instructions, else asyncssh's own order.

    asyncssh's default, chacha20-poly1305, costs several calls into the crypto library per
    packet; AES-GCM with hardware AES is one.  Measured here: an SFTP round trip 0.25 ms
    against 0.50, a bulk transfer 2.3 times faster.  Both are AEAD ciphers OpenSSH offers by
    default; a ``Ciphers`` line in ~/.ssh/config still decides when present."""
    global _CIPHERS
    if _CIPHERS is None:
        _CIPHERS = []
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    key = line.split(":", 1)[0].strip().lower()
                    if key in ("flags", "features"):
                        if "aes" in line.split(":", 1)[1].split():
                            import asyncssh.encryption
                            algs = [a.decode("ascii") for a in
                                    asyncssh.encryption.get_default_encryption_algs()]
                            fast = [a for a in ("aes128-gcm@openssh.com",
                                                "aes256-gcm@openssh.com") if a in algs]
                            _CIPHERS = fast + [a for a in algs if a not in fast]
                        break
        except (OSError, ImportError):
            pass
    return list(_CIPHERS)


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _snake(name: str) -> str:
    import re
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


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
                self.chan.write(bootstrap.engine_payload())
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

    async def _start_direct(self, ssh: Any, path: str) -> bool:
        """Open a channel forwarded to the host's socket (no process starts on the remote
        computer); False when the host is not there (not running, forwarding refused)."""
        import asyncio
        import asyncssh
        self.direct = True
        try:
            self.chan, _ = await ssh.create_unix_connection(
                lambda: self.session_factory(unix=True), path)
            self.chan.write(_direct_line(ssh))
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
        forget_socket(self.cache_key)
        return False

    async def start(self, ssh: Any, subsystem: Optional[str] = "pshell") -> None:
        import asyncio
        import asyncssh
        self.ssh = ssh
        self.boot_timeout = _connect_timeout_of(ssh)
        self._ready = asyncio.get_running_loop().create_future()
        path = known_socket(self.cache_key) if self.cache_key else None
        if path and await self._start_direct(ssh, path):
            return
        if subsystem:
            try:
                self.chan, _ = await ssh.create_session(self.session_factory, subsystem=subsystem,
                                                        encoding=None, request_pty=False)
                self._booting = False
                self._ready.set_result(True)
                return
            except asyncssh.ChannelOpenError:
                self.attempt += 1
        self.chan, _ = await ssh.create_session(self.session_factory, bootstrap.LOADER_COMMAND,
                                                encoding=None, request_pty=False)
        self.chan.write(bootstrap.stage_two())
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


def _direct_line(ssh: Any) -> bytes:
    """The first line on a direct channel: what this side sees of the TCP connection, which
    the remote host gives a session as SSH_CONNECTION (no login process reports it there)."""
    import json
    line: Dict[str, Any] = {"direct": 1}
    try:
        local = ssh.get_extra_info("sockname")
        remote = ssh.get_extra_info("peername")
        if local and remote:
            line["ssh"] = f"{local[0]} {local[1]} {remote[0]} {remote[1]}"
    except Exception:
        pass
    return json.dumps(line).encode() + b"\n"


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


def known_socket(key: str) -> Optional[str]:
    with _SOCKETS_LOCK:
        return _load_sockets().get(key)


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
    except OSError:
        pass                  # a cache: not being able to write it costs speed, nothing else


def open_ssh_connection(target: SSHTarget, prompt: Optional[PromptFunc] = None,
                        session_id: str = "", name: str = "", timeout: float = 120,
                        subsystem: Optional[str] = "pshell", hello: bool = True
                        ) -> RemoteConnection:
    """Connect, start the engine, say hello: a ready :class:`RemoteConnection`.  Raises SSHError."""
    computer = target.host
    load_asyncssh()             # here, not on the event loop's thread while others wait on it
    # the RemoteConnection must exist before bytes arrive: create it first, attach in the loop
    conn = RemoteConnection(None, computer)

    async def start() -> SSHSessionLink:
        link = SSHSessionLink(computer, cache_key(target))
        link.conn = conn
        conn.link = link
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
