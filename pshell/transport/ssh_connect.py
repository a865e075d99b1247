"""Connecting as OpenSSH's ``ssh`` does: every decision from the ssh_config and known_hosts.

The config is resolved by :mod:`pshell.transport.ssh_config` (what ``ssh -G`` prints) and each
value is handed to asyncssh explicitly, with asyncssh's own config reading off.  The host key
is checked here, with OpenSSH's rules (:mod:`pshell.transport.known_hosts`):

- the name looked up is the HostKeyAlias, else the HostName (``[name]:port`` off port 22);
  an entry for the IP address alone does not make a name trusted (CheckHostIP, off by
  default, only adds a second check of the address);
- ``@revoked`` refuses; a known key connects; a changed key refuses, except under
  ``StrictHostKeyChecking no`` where, as in ssh, it connects with password and
  keyboard-interactive authentication turned off;
- an unknown key is recorded under the looked-up name (and the address with CheckHostIP)
  with ``accept-new`` or ``no``, and refused otherwise (``ask`` has nobody to ask);
- every ProxyJump host is reached with its own config and checked under its own name.

Passwords and keyboard-interactive answers are asked only when a prompt function is given (a
terminal is attached) and BatchMode is off; they are never logged or stored.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from pshell.transport import known_hosts as kh
from pshell.transport import ssh_config

__all__ = ["SSHTarget", "SSHError", "connect", "parse_destination", "load_asyncssh",
           "preferred_ciphers", "set_warning_sink", "session_env"]

DEFAULT_KEEPALIVE = 5         # seconds between keepalives when the config sets none
DEFAULT_KEEPALIVE_COUNT = 3   # missed keepalives before the peer is declared dead
DEFAULT_CONNECT_TIMEOUT = 20
MAX_JUMPS = 8

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
        #: what a TCP connection made ahead for this destination is held under
        #: (:mod:`pshell.transport.tcp_ahead`): taken when the connection starts
        self.ahead_key: Any = None

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


_IMPORT_LOCK = threading.Lock()
_ASYNCSSH: Any = None       # the module once its import is over


def load_asyncssh() -> Any:
    """``import asyncssh``, without its two ``ctypes.util.find_library`` calls for liboqs when
    no liboqs is installed: on Linux each runs ``ldconfig -p`` in a subprocess (~14 ms apiece,
    a tenth of the import), and without its X.509 support.  With liboqs present, asyncssh looks
    for it as usual.
    Never the half-made module another thread is still importing (it is in sys.modules from the
    start of its import): a fan-out's threads ask at once."""
    global _ASYNCSSH
    if _ASYNCSSH is not None:
        return _ASYNCSSH
    with _IMPORT_LOCK:
        if _ASYNCSSH is not None:
            return _ASYNCSSH
        import sys
        if "asyncssh" in sys.modules:   # imported otherwise (an import statement waits for its end)
            import asyncssh
            _ASYNCSSH = asyncssh
            return asyncssh
        import ctypes.util
        import warnings
        real = ctypes.util.find_library

        def find_library(name: str) -> Optional[str]:
            if name in ("oqs", "liboqs") and not _liboqs_present():
                return None
            return real(name)

        ctypes.util.find_library = find_library
        # asyncssh's X.509 certificate support (optional in asyncssh: it checks for it) is
        # not loaded: OpenSSH has none, pshell offers no X.509 keys or host key algorithms,
        # and its import (the crypto library's x509 package) was an eighth of asyncssh's
        sys.modules.setdefault("asyncssh.crypto.x509", None)      # type: ignore[arg-type]
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
        _ASYNCSSH = asyncssh
        return asyncssh


def _liboqs_present() -> bool:
    import glob
    dirs = ["/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64", "/lib", "/lib64"]
    dirs += glob.glob("/usr/lib/*-linux-gnu") + glob.glob("/lib/*-linux-gnu")
    dirs += [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    return any(glob.glob(os.path.join(d, "liboqs.so*")) for d in dirs)


def _no_ignore_packets(conn: Any) -> None:
    """asyncssh puts an empty ``SSH_MSG_IGNORE`` before every packet it encrypts: a defence of
    CBC ciphers (the next packet's IV is the last ciphertext block, which an observer saw).  With
    a counter-mode or AEAD cipher (every default: aes-gcm, chacha20-poly1305, aes-ctr) it
    protects nothing and doubles the packets, their encryption and sshd's work decrypting them
    (OpenSSH sends none): this connection keeps them only while its outgoing cipher is CBC.
    (The padding ignore is asyncssh's only sender of the message.)"""
    from asyncssh.constants import MSG_IGNORE
    send = conn.send_packet
    empty = b"\0\0\0\0"         # String(b""): the padding ignore's only argument

    def send_packet(pkttype: int, *args: bytes, handler: Any = None) -> None:
        cipher = getattr(conn, "_enc_alg_cs", None)     # unknown (another asyncssh): keep them
        if pkttype == MSG_IGNORE and args == (empty,) and isinstance(cipher, bytes) and \
                cipher and not cipher.endswith(b"-cbc"):
            return
        send(pkttype, *args, handler=handler)
    conn.send_packet = send_packet


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


def _rekey_on_received(conn: Any, limit: int) -> bool:
    """Rekey after ``limit`` bytes received, as ssh does (it counts each direction; asyncssh
    counts only what it sends): past the limit, the next packet sent starts a key exchange.
    Counted from the last key exchange, whichever side began it.  False when this asyncssh
    keeps its counters otherwise (the limit then holds for data sent only)."""
    if not all(hasattr(conn, name) for name in ("_rekey_bytes_sent", "_rekey_bytes",
                                                  "_kex_complete")):
        return False
    receive = conn.data_received
    received = 0

    def data_received(data: bytes, *args: Any) -> None:
        nonlocal received
        if not conn._kex_complete:
            received = 0                # a key exchange under way: the count starts again
        else:
            received += len(data)
            if received >= limit:
                received = 0
                conn._rekey_bytes_sent = max(conn._rekey_bytes_sent, conn._rekey_bytes)
        receive(data, *args)

    conn.data_received = data_received
    return True


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


# --------------------------------------------------------------------------- warnings

def _stderr_warning(text: str) -> None:
    import sys
    try:
        sys.stderr.write(f"WARNING: {text}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


_WARN: List[Callable[[str], None]] = [_stderr_warning]


def set_warning_sink(sink: Callable[[str], None]) -> None:
    """Where connection warnings go (a changed key accepted under StrictHostKeyChecking no,
    a config option pshell cannot honour); stderr by default."""
    _WARN[0] = sink


def _warn(text: str) -> None:
    _WARN[0](text)


# --------------------------------------------------------------------------- host keys

def _is_local(addr: str) -> bool:
    import ipaddress
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_loopback


class HostKeyPolicy:
    """One connection's host-key decision, made as ssh makes it (see the module docstring)."""

    def __init__(self, options: ssh_config.SSHOptions, label: str, proxied: bool,
                 batch: bool) -> None:
        self.options = options
        self.label = label
        self.alias = options.get("hostkeyalias")
        self.port = int(options.get("port"))
        self.hostname = options.get("hostname")
        self.name = self.alias or kh.lookup_name(self.hostname, self.port)
        self.user_files = list(options.get("userknownhostsfile") or [])
        self.known = kh.KnownHosts(self.user_files + list(options.get("globalknownhostsfile") or []))
        self.strict = options.get("stricthostkeychecking")
        if self.strict == "ask" and batch:
            self.strict = "yes"
        self.check_ip = options.get("checkhostip") == "yes" and not proxied and not self.alias
        self.failure = ""
        self.unsafe = False        # a changed key let through: no password may be sent

    def host_key_algorithms(self, supported: Sequence[str]) -> List[str]:
        """The configured list, or ssh's default with the kinds already known for this host
        first; certificate algorithms only when a @cert-authority line covers the host."""
        algs = [a for a in self.options.get("hostkeyalgorithms") if a in supported]
        has_ca = bool(self.known.authorities([self.name]))
        if not has_ca:
            algs = [a for a in algs if "-cert-" not in a]
        if "hostkeyalgorithms" not in self.options.origin:
            kinds = {kh.key_kind(k) for k in self.known.known_kinds([self.name])}
            first = [a for a in algs if kh.key_kind(a) in kinds and "-cert-" not in a]
            algs = first + [a for a in algs if a not in first]
        return algs

    def decide(self, addr: str, key: Any) -> bool:
        key_type = key.algorithm.decode("ascii")
        blob = key.public_data
        if (self.options.get("nohostauthenticationforlocalhost") == "yes" and not self.alias
                and _is_local(addr)):
            return True
        status, where = self.known.check([self.name], key_type, blob)
        if status == "new" and self.port != 22 and not self.alias:
            # as ssh: a key known for the bare name (no [name]:port entry) is accepted
            plain, plain_where = self.known.check([self.hostname], key_type, blob)
            if plain == "ok":
                status, where = plain, plain_where
        wfile, wline = where or ("known_hosts", 0)
        fingerprint = key.get_fingerprint()
        check_ip = self.check_ip and addr and not _is_local(addr) and addr != self.hostname
        ip_name = kh.lookup_name(addr, self.port) if check_ip else ""
        if status == "revoked":
            self.failure = (f"the host key of {self.label} ({fingerprint}) is REVOKED "
                            f"({wfile} line {wline}); the connection was refused")
            return False
        if status == "ok":
            return self._check_address(ip_name, key_type, blob, fingerprint)
        if status == "changed":
            message = (f"the host key of {self.label} has CHANGED ({fingerprint}; "
                       f"{wfile} line {wline} holds another); this could be an attack, "
                       f"or the server was reinstalled")
            if self.strict == "no":
                _warn(message + ". StrictHostKeyChecking is no: connecting with password and "
                      "keyboard-interactive authentication disabled")
                self.unsafe = True
                return True
            self.failure = (f"{message}. The connection was refused. If you trust the new key, "
                            f"remove the old one from {wfile}")
            return False
        if self.strict in ("accept-new", "no"):
            names = [self.name] + ([ip_name] if ip_name else [])
            self._record(names, key_type, blob)
            return True
        where_to = self.user_files[0] if self.user_files else "a known_hosts file"
        self.failure = (f"the host key of {self.label} is not known ({fingerprint}, looked up "
                        f"as '{self.name}'); the connection was refused. Check the "
                        f"fingerprint, then add the key to {where_to} (e.g. connect once "
                        f"with ssh), or set StrictHostKeyChecking accept-new for it")
        return False

    def _check_address(self, ip_name: str, key_type: str, blob: bytes, fingerprint: str) -> bool:
        """CheckHostIP: the address is checked too, and recorded when new."""
        if not ip_name:
            return True
        status, where = self.known.check([ip_name], key_type, blob)
        if status == "new":
            self._record([ip_name], key_type, blob)
        elif status in ("changed", "revoked"):
            message = (f"the host key of {self.label} is known, but the address {ip_name} is "
                       f"known with another key ({(where or ('known_hosts', 0))[0]} line "
                       f"{(where or ('known_hosts', 0))[1]})")
            if self.strict == "yes" or status == "revoked":
                self.failure = message + "; the connection was refused (CheckHostIP)"
                return False
            _warn(message)
        return True

    def _record(self, names: List[str], key_type: str, blob: bytes) -> None:
        if not self.user_files:
            _warn(f"the host key of {self.label} was accepted but not recorded "
                  f"(UserKnownHostsFile none)")
            return
        try:
            kh.add_known_host(self.user_files[0], names, key_type, blob,
                              self.options.get("hashknownhosts") == "yes")
        except OSError as exc:
            _warn(f"the host key of {self.label} could not be recorded in "
                  f"{self.user_files[0]}: {exc.strerror or exc}")

    def decide_ca(self, signing_key: Any) -> bool:
        blob = signing_key.public_data
        if self.known.revoked([self.name], blob):
            self.failure = f"the certificate authority of {self.label}'s host key is REVOKED"
            return False
        if blob in self.known.authorities([self.name]):
            return True
        self.failure = f"the host certificate of {self.label} is signed by an unknown authority"
        return False


def _client_class(policy: HostKeyPolicy, label: str, batch: bool, prompt: Optional[PromptFunc],
                  password: Optional[str], rekey_received: int = 0) -> Any:
    import asyncssh

    class _Client(asyncssh.SSHClient):
        """Host key policy and interactive authentication, as ``ssh`` does them."""

        def connection_made(self, conn: Any) -> None:
            _quick_acks(conn)
            _no_ignore_packets(conn)
            if rekey_received and not _rekey_on_received(conn, rekey_received):
                _warn(f"{policy.options.where('rekeylimit')}: pshell cannot honour RekeyLimit "
                      f"for the data {label} sends (this asyncssh counts only what it sends)")

        def validate_host_public_key(self, host: str, addr: str, port: int, key: Any) -> bool:
            return policy.decide(addr, key)

        def validate_host_ca_key(self, host: str, addr: str, port: int, key: Any) -> bool:
            return policy.decide_ca(key)

        async def _ask(self, text: str, secret: bool) -> Optional[str]:
            if prompt is None or batch or policy.unsafe:
                return None
            import asyncio
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, prompt, text, secret)

        def password_auth_requested(self) -> Any:
            if policy.unsafe:
                return None
            if password is not None:
                return password
            if prompt is None or batch:
                return None
            return self._ask(f"{label}'s password: ", True)

        def kbdint_auth_requested(self) -> Any:
            if policy.unsafe:
                return None
            if password is not None and (prompt is None or batch):
                return NotImplemented       # asyncssh answers a password prompt with it
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


# --------------------------------------------------------------------------- connecting

def _supported(kind: str) -> List[str]:
    import asyncssh.compression
    import asyncssh.encryption
    import asyncssh.kex
    import asyncssh.mac
    import asyncssh.public_key as pk
    source = {"ciphers": asyncssh.encryption.get_encryption_algs,
              "macs": asyncssh.mac.get_mac_algs, "kexalgorithms": asyncssh.kex.get_kex_algs,
              "compression": asyncssh.compression.get_compression_algs,
              "hostkeyalgorithms": lambda: pk.get_public_key_algs() + pk.get_certificate_algs()}
    return [a.decode("ascii") for a in source[kind]()]


def _algorithms(options: ssh_config.SSHOptions, kind: str, label: str) -> List[str]:
    supported = _supported(kind)
    wanted = options.get(kind)
    algs = [a for a in wanted if a in supported]
    if not algs:
        raise SSHError(f"Cannot connect to {label}: none of the {kind} "
                       f"({','.join(wanted)}, {options.where(kind)}) is one pshell can use")
    if kind == "ciphers" and kind not in options.origin:
        fast = [a for a in preferred_ciphers() if a in algs and "gcm" in a]
        algs = fast + [a for a in algs if a not in fast]
    return algs


#: what ssh 9.2 offers for Compression yes / no (``ssh -vvv`` shows its proposal)
_COMPRESSION = {"yes": ["zlib@openssh.com", "zlib", "none"],
                "no": ["none", "zlib@openssh.com", "zlib"]}
_GIB = 1 << 30


def _rekey_bytes(options: ssh_config.SSHOptions, ciphers: Sequence[str]) -> int:
    """The bytes after which ssh rekeys: its cipher's own limit (2^32 blocks of 16 bytes for
    AES, 1 GiB for the ciphers with 8-byte blocks: chacha20-poly1305, 3des), lowered by
    RekeyLimit.  asyncssh takes one limit before the cipher is chosen: the smallest of the
    ciphers offered, so never later than ssh would."""
    cap = min((64 * _GIB if c.startswith("aes") else _GIB) for c in ciphers) if ciphers else _GIB
    size = options.get("rekeylimit") or 0
    return min(size, cap) if size else cap


#: what each connection sends with a session channel: (SendEnv's patterns, SetEnv's values)
_ENV_OF: Any = None


def session_env(conn: Any, environ: Any = None) -> Dict[bytes, bytes]:
    """The variables ssh would send with a session channel of ``conn`` now: those of
    ``environ`` (this process's environment by default: the values of the moment, as a new
    ``ssh`` would take them) whose names match SendEnv's patterns, then SetEnv's (which win
    over a SendEnv variable of the same name).  sshd keeps the ones its AcceptEnv names."""
    spec = _ENV_OF.get(conn) if _ENV_OF is not None else None
    if not spec:
        return {}
    patterns, setenv = spec
    sent: Dict[bytes, bytes] = {}
    if patterns:
        for name, value in (os.environb if environ is None else environ).items():
            if name not in setenv and any(ssh_config.match_pattern(os.fsdecode(name), p)
                                          for p in patterns):
                sent[name] = value
    sent.update(setenv)
    return sent


def _remember_env(conn: Any, options: ssh_config.SSHOptions) -> None:
    global _ENV_OF
    patterns = list(options.get("sendenv") or ())
    setenv = {os.fsencode(name): os.fsencode(value) for name, value in
              (word.split("=", 1) for word in options.get("setenv") or ())}
    if not (patterns or setenv):
        return
    if _ENV_OF is None:
        import weakref
        _ENV_OF = weakref.WeakKeyDictionary()
    _ENV_OF[conn] = (patterns, setenv)


def _overrides(target: "SSHTarget") -> Dict[str, Any]:
    """The -Options hashtable, read like ssh's ``-o`` options (they come before the files)."""
    return {str(k): v for k, v in target.options.items()}


class _NoKeyFiles(list):   # type: ignore[type-arg]
    """No key file to offer, the agent still asked: asyncssh takes an empty ``client_keys``
    as "load ~/.ssh/id_*" (keys ssh offers only when no IdentityFile is configured) and
    ``None`` as "no public key authentication at all, agent included"."""

    def __bool__(self) -> bool:
        return True


_KEY_FILES: Dict[str, Any] = {}      # path -> (its stat, whether asyncssh can load it)
_KEY_FILES_LOCK = threading.Lock()


def _loadable_key(path: str, explicit: bool) -> bool:
    """Whether ``path`` is a key file asyncssh can load (one under a passphrase counts: it is
    skipped at login, as ssh skips it without a terminal).  One it cannot load (XMSS, a security
    key without its library, a damaged file) is left out instead of failing the connection, as
    ssh leaves it out; a configured one is said once (ssh says ``Load key "...": ...``).  Decided
    once per file while its stat is unchanged (a fan-out asks for each computer)."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
    with _KEY_FILES_LOCK:
        known = _KEY_FILES.get(path)
        if known is not None and known[0] == stamp:
            return bool(known[1])
        asyncssh = load_asyncssh()
        try:
            asyncssh.load_keypairs(path, ignore_encrypted=True)
            loadable, reason = True, ""
        except (asyncssh.KeyImportError, OSError, ValueError, TypeError) as exc:
            loadable, reason = False, str(exc) or type(exc).__name__
        _KEY_FILES[path] = (stamp, loadable)
    if not loadable and explicit:
        _warn(f'Load key "{path}": {reason} (the key is not offered)')
    return loadable


def _auth_kwargs(options: ssh_config.SSHOptions, target: "SSHTarget") -> Dict[str, Any]:
    # the keys are ssh's: the IdentityFiles, or ssh's default files when none is configured
    # (never asyncssh's own defaults); a key under a passphrase is skipped, as ssh skips it
    # without a terminal (its agent copy, if any, is still offered)
    kwargs: Dict[str, Any] = {"username": options.get("user"), "ignore_encrypted": True}
    configured = ([os.path.expanduser(target.key_file)] if target.key_file
                  else list(options.get("identityfile")))
    explicit = bool(target.key_file) or not options.get("identityfile_default")
    files = [f for f in configured if _loadable_key(f, explicit)]
    kwargs["client_keys"] = files or _NoKeyFiles()
    certs = [f for f in options.get("certificatefile") or () if os.path.exists(f)]
    if certs:
        kwargs["client_certs"] = certs
    agent = options.get("identityagent")
    if agent is not None:
        if agent.lower() == "none":
            kwargs["agent_path"] = None
        elif agent.lower() == "ssh_auth_sock":
            kwargs["agent_path"] = os.environ.get("SSH_AUTH_SOCK") or None
        else:
            kwargs["agent_path"] = agent
    if options.get("identitiesonly") == "yes":
        # only the agent's keys whose public half a configured file holds (asyncssh takes
        # an empty list as "every key of the agent")
        identities = [f + ".pub" if os.path.exists(f + ".pub") else f for f in configured
                      if os.path.exists(f + ".pub") or os.path.exists(f)]
        if identities:
            kwargs["agent_identities"] = identities
        else:
            kwargs["agent_path"] = None
    if options.get("passwordauthentication") == "no":
        kwargs["password_auth"] = False
    if options.get("kbdinteractiveauthentication") == "no":
        kwargs["kbdint_auth"] = False
    if options.get("pubkeyauthentication") == "no":
        kwargs["public_key_auth"] = False
    kwargs["gss_auth"] = options.get("gssapiauthentication") == "yes"
    kwargs["gss_kex"] = False
    kwargs["host_based_auth"] = False       # HostbasedAuthentication: warned about, not done
    preferred = options.get("preferredauthentications")
    if preferred:
        known = ("gssapi-keyex", "gssapi-with-mic", "hostbased", "publickey",
                 "keyboard-interactive", "password")
        # none known: ssh has no method left and refuses; asyncssh takes [] as "all"
        kwargs["preferred_auth"] = [m for m in preferred if m in known] or ["none"]
    return kwargs


async def _jump_chain(spec: str, prompt: Optional[PromptFunc], depth: int) -> Any:
    """Connect through ``a,b,c``: a with its own config, then b through a, ..."""
    conn: Any = None
    try:
        for hop in spec.split(","):
            if hop.startswith("ssh://"):
                hop = hop[6:]
            user, host, port = parse_destination(hop)
            conn = await _connect(SSHTarget(host, user, port), prompt, conn, depth + 1)
        return conn
    except BaseException:
        if conn is not None:
            conn.close()
        raise


def destination_options(target: SSHTarget) -> ssh_config.SSHOptions:
    """The ssh_config options for ``target`` (what a connection to it follows).  Raises
    ssh_config.ConfigError."""
    return ssh_config.resolve(target.host, target.user, target.port, _overrides(target))


async def connect(target: SSHTarget, prompt: Optional[PromptFunc] = None) -> Any:
    """Open an SSH connection (coroutine, on the shared loop).  Raises SSHError."""
    return await _connect(target, prompt, None, 0)


async def _connect(target: SSHTarget, prompt: Optional[PromptFunc], tunnel: Any,
                   depth: int) -> Any:
    asyncssh = load_asyncssh()
    label = target.host if not target.port else f"{target.host}:{target.port}"
    if depth > MAX_JUMPS:
        raise SSHError(f"Cannot connect to {label}: more than {MAX_JUMPS} ProxyJump hops "
                       f"(a loop in the config?)")
    # a TCP connection made while asyncssh loaded (tcp_ahead) serves this destination only
    sock = None
    if depth == 0 and target.ahead_key is not None:
        from pshell.transport import tcp_ahead
        sock = tcp_ahead.take(target.ahead_key)
    try:
        return await _connect_with(target, prompt, tunnel, depth, label, asyncssh, sock)
    except BaseException:
        if sock is not None:
            sock.close()
        raise


async def _connect_with(target: SSHTarget, prompt: Optional[PromptFunc], tunnel: Any,
                        depth: int, label: str, asyncssh: Any, sock: Any) -> Any:
    import asyncio
    try:
        options = ssh_config.resolve(target.host, target.user, target.port,
                                     _overrides(target) if depth == 0 else None)
        ssh_config.warn_unhonoured(options, _warn)
    except ssh_config.ConfigError as exc:
        raise SSHError(f"Cannot connect to {label}: {exc}") from None
    batch = options.get("batchmode") == "yes"
    jump = options.get("proxyjump") if tunnel is None else None
    proxy_command = options.get("proxycommand") if tunnel is None else None
    policy = HostKeyPolicy(options, label, bool(jump or proxy_command or tunnel), batch)
    kwargs = _auth_kwargs(options, target)
    ciphers = _algorithms(options, "ciphers", label)
    rekey_bytes = _rekey_bytes(options, ciphers)
    kwargs.update(
        # no trusted keys of asyncssh's own: every host key goes to the policy (known_hosts=b""
        # made it read ~/.ssh/known_hosts for each connection and trust what it found there,
        # whatever UserKnownHostsFile said, without asking the policy)
        port=int(options.get("port")), config=None, known_hosts=([], [], []),
        x509_trusted_certs=None,
        encryption_algs=ciphers,
        mac_algs=_algorithms(options, "macs", label),
        kex_algs=_algorithms(options, "kexalgorithms", label),
        server_host_key_algs=policy.host_key_algorithms(_supported("hostkeyalgorithms")),
        host_key_alias=policy.alias or (),
        compression_algs=[a for a in _COMPRESSION[options.get("compression")]
                          if a in _supported("compression")],
        tcp_keepalive=options.get("tcpkeepalive") == "yes",
        # ssh's limits: its cipher's own (or RekeyLimit's) bytes, and no time limit unless
        # RekeyLimit names one (asyncssh's own would rekey every hour)
        rekey_bytes=rekey_bytes, rekey_seconds=options.get("rekeylimit_time") or 0,
        client_factory=_client_class(policy, label, batch, prompt, target.password,
                                     rekey_bytes if options.get("rekeylimit") else 0))
    setenv = options.get("setenv")
    if setenv:      # a channel's default (SSHSessionLink gives its own: SendEnv's with these)
        kwargs["env"] = dict(word.split("=", 1) for word in setenv)
    if not kwargs["server_host_key_algs"]:
        raise SSHError(f"Cannot connect to {label}: none of the HostKeyAlgorithms "
                       f"({options.where('hostkeyalgorithms')}) is one pshell can use")
    family = {"inet": 2, "inet6": 10}.get(options.get("addressfamily"))
    if family:
        import socket
        kwargs["family"] = socket.AF_INET if family == 2 else socket.AF_INET6
    if (batch or prompt is None) and target.password is None:
        kwargs["kbdint_auth"] = False
    if "serveraliveinterval" in options.origin:
        kwargs["keepalive_interval"] = options.get("serveraliveinterval")
    else:
        kwargs["keepalive_interval"] = DEFAULT_KEEPALIVE
    kwargs["keepalive_count_max"] = (options.get("serveralivecountmax")
                                     if "serveralivecountmax" in options.origin
                                     else DEFAULT_KEEPALIVE_COUNT)
    timeout = options.get("connecttimeout") or DEFAULT_CONNECT_TIMEOUT
    kwargs["connect_timeout"] = timeout
    if proxy_command:
        shell = os.environ.get("SHELL") or "/bin/sh"
        kwargs["proxy_command"] = [shell, "-c", f"exec {proxy_command}"]
    if jump:
        tunnel = await _jump_chain(jump, prompt, depth)
        owned_tunnel = tunnel
    else:
        owned_tunnel = None
    if tunnel is not None:
        kwargs["tunnel"] = tunnel
    if sock is not None:
        if tunnel is None and not proxy_command:
            kwargs["sock"] = sock
        else:
            sock.close()                # not made for a connection through a jump or proxy
    try:
        conn = await asyncio.wait_for(
            asyncssh.connect(options.get("hostname"), **kwargs), timeout + 5)
    except BaseException as exc:
        if owned_tunnel is not None:
            owned_tunnel.close()
        _raise_clear(exc, target, label, policy, prompt, batch, timeout)
        raise
    _remember_env(conn, options)        # sent with each session channel (SSHSessionLink)
    if owned_tunnel is not None:
        conn.set_tunnel(owned_tunnel)        # closing the connection closes the jump too
    elif tunnel is not None and depth > 0:
        conn.set_tunnel(tunnel)
    return conn


def _raise_clear(exc: BaseException, target: "SSHTarget", label: str, policy: HostKeyPolicy,
                 prompt: Optional[PromptFunc], batch: bool, timeout: float) -> None:
    """Turn what asyncssh raised into an SSHError with a message for people."""
    import asyncio
    import asyncssh
    if isinstance(exc, SSHError):
        raise exc
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        raise SSHError(f"Cannot connect to {label}: {policy.failure or exc}") from None
    if isinstance(exc, asyncssh.PermissionDenied):
        who = f"{target.user}@{label}" if target.user else label
        hint = "" if (prompt and not batch) else \
            " (no password prompt: no terminal is attached or BatchMode is on)"
        if policy.unsafe:
            hint = " (password authentication is off: the host key has changed)"
        raise SSHError(f"Cannot connect to {who}: authentication failed (tried: keys, agent"
                       f"{', password' if target.password or (prompt and not batch) else ''})"
                       f"{hint}") from None
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        raise SSHError(f"Cannot connect to {label}: timed out after {timeout:g} seconds") from None
    if isinstance(exc, asyncssh.KeyExchangeFailed):
        raise SSHError(f"Cannot connect to {label}: no algorithm both sides accept "
                       f"({exc.reason or exc})") from None
    if isinstance(exc, asyncssh.Error):
        raise SSHError(f"Cannot connect to {label}: {exc.reason or exc}") from None
    if isinstance(exc, OSError):
        import socket
        if isinstance(exc, socket.gaierror):
            raise SSHError(f"Cannot connect to {label}: unknown host name "
                           f"'{policy.hostname}'") from None
        reason = exc.strerror or (os.strerror(exc.errno) if exc.errno else "") or str(exc)
        if "Connect call failed" in reason:
            reason = "connection refused or host unreachable"
        raise SSHError(f"Cannot connect to {label}: {reason}") from None
    if isinstance(exc, ValueError):
        raise SSHError(f"Cannot connect to {label}: {exc}") from None
