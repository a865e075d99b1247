"""Connections without a session, for the supervisor (:mod:`pshell.remote.supervisor`): one
accepted on the socket (the peer's uid checked), its first line and the login's environment
from a relay, a direct connection waiting in the lobby for its first frame, frames read one at a
time without reading ahead, and the answers that need no session (``hello`` without one,
``list``, ``remove``); a ``hello`` that creates or attaches hands the connection's descriptors
to the session's process.

The login's environment: a relay runs in the SSH login's environment and sends it, with its
umask, along with the channel; a session created over it starts with exactly that.  A direct
channel has no login process, so the supervisor keeps the latest relay's environment as a
template (less the per-connection variables) and adds ``SSH_CONNECTION``/``SSH_CLIENT`` from
what the client saw of its TCP connection.  pshell never forwards the agent, so a session has an
``SSH_AUTH_SOCK`` only when the login that created it had one.

The variables a client sends with its channel (SendEnv, SetEnv): sshd keeps those its AcceptEnv
names, and a login has them.  A client says which it sent: a login's in an ``env`` frame before
its hello, a direct channel's in its first line.  From each login the host learns which names
sshd kept (the login has the value sent) or refused, and the template never holds a value a
client sent (a name sshd kept takes the value a login not sent it had, or none): another
connection's session never sees it.  A direct channel's session gets the values its client sent
of the names sshd kept in a login, nothing of the ones it refused; a name no login has shown sshd's
answer for makes the host refuse the direct channel (the client then logs in, which teaches it).
"""

from __future__ import annotations

# Imported before the supervisor's first thread starts (see supervisor.py).
import itertools
import json
import os
import socket
import struct
import threading
from typing import Any, Dict, List, Optional, Tuple

from pshell.remote import messages as _messages  # noqa: F401 - read_frame's checks, imported late
from pshell.remote.children import _no_session, _write
from pshell.remote.framing import _HEADER, _SIZE, ProtocolError, read_frame
from pshell.remote.protocol import PROTOCOL_VERSION, prompt_info, python_version
from pshell.remote.session_process import _log
from pshell.remote.session_table import SessionTable, _Child

# variables that belong to one SSH connection, never to the template of later sessions
PER_CONNECTION = (b"SSH_CONNECTION", b"SSH_CLIENT", b"SSH_TTY", b"SSH_ORIGINAL_COMMAND",
                  b"SSH_AUTH_SOCK")
_ENV_MAX = 1 << 20
#: what a client may say its channel was sent with: at most this many variables (sshd keeps
#: at most ~128 a session), names and values of at most these sizes; the names learnt in all
_SENT_MAX = 256
_NAME_MAX = 256
_VALUE_MAX = 1 << 16
_KNOWN_MAX = 4096
#: what every hello answer says (worked out once: it was a chain of calls per session)
_PYTHON_VERSION = python_version()

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


def _sent_env(value: Any) -> Optional[Dict[bytes, bytes]]:
    """The variables a client says its channel was sent with, checked; None when the list
    makes no sense (then nothing of it is believed)."""
    if not isinstance(value, dict) or len(value) > _SENT_MAX:
        return None
    sent: Dict[bytes, bytes] = {}
    for key, text in value.items():
        if not isinstance(key, str) or not isinstance(text, str):
            return None
        try:        # bytes that are not UTF-8 cross as surrogates (os.fsdecode)
            name = key.encode("utf-8", "surrogateescape")
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return None
        if (not name or len(name) > _NAME_MAX or b"=" in name or b"\0" in name
                or len(data) > _VALUE_MAX or b"\0" in data):
            return None
        sent[name] = data
    return sent


def _readable(sock: socket.socket) -> bool:
    """Whether reading ``sock`` would not wait (something to read, its end, or an error)."""
    try:
        sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        pass
    return True



def _close_connection(rfd: int, wfd: int, lifeline: socket.socket) -> None:
    """Close a connection's descriptors and its lifeline (ending the relay's wait)."""
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


class Connections(SessionTable):
    """The connections part of :class:`pshell.remote.supervisor.Supervisor` (which sets this
    state up)."""

    connections: int
    exiting: bool
    prewarmed: threading.Event
    socket_path: str
    empty_since: Optional[float]
    template: Dict[bytes, bytes]
    template_umask: int
    _numbers: itertools.count[int]

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
                # a direct line says no login's environment (only a relay's count)
                info.pop("env", None)
                info.pop("umask", None)
                refused = self._direct_sent(info)
                if refused:
                    _log(refused)
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
        _close_connection(rfd, wfd, lifeline)
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
        info.pop("sent", None)          # a login says what it was sent in a frame, not here
        info["env"] = env
        info["umask"] = umask

    def _env_state(self) -> Tuple[Dict[bytes, bool], Dict[bytes, bytes]]:
        """(name -> whether sshd kept it in a login, name -> the value a login not sent it
        had); under the lock."""
        kept = self.__dict__.get("env_kept")
        if kept is None:
            kept = self.__dict__["env_kept"] = {}
            self.__dict__["env_base"] = {}
        return kept, self.__dict__["env_base"]

    def _direct_sent(self, info: Dict[str, Any]) -> Optional[str]:
        """Check what a direct channel's client says it would have sent a login: why the
        channel is refused, or None (``info["sent"]`` then holds the variables)."""
        if "sent" not in info:
            info["sent"] = {}
            return None
        sent = _sent_env(info["sent"])
        if sent is None:
            return "refused a direct channel: its list of variables makes no sense"
        info["sent"] = sent
        with self.lock:
            kept, _ = self._env_state()
            unknown = [name for name in sent if name not in kept]
        if unknown:
            shown = b", ".join(unknown[:5]).decode("utf-8", "replace")
            return (f"a direct channel sends variables no login has shown sshd's answer for "
                    f"({shown}): it goes through a login")
        return None

    def _learn(self, info: Dict[str, Any]) -> None:
        """A login's environment becomes the template, less what its client sent (once per
        connection, at its hello); which of the names sent sshd kept is noted."""
        env = info.get("env")
        if not isinstance(env, dict) or info.get("learnt"):
            return
        info["learnt"] = True
        sent = info.get("sent", {})
        if sent is None:            # a list that made no sense: nothing is learnt of this login
            return
        template = {k: v for k, v in env.items() if k not in PER_CONNECTION}
        with self.lock:
            kept, base = self._env_state()
            for name in kept:       # names some client sends: what a login not sent them has
                if name not in sent:
                    if name in env:
                        base[name] = env[name]
                    else:
                        base.pop(name, None)
            for name, value in sent.items():
                arrived = env.get(name) == value
                if name in kept or len(kept) < _KNOWN_MAX:
                    kept[name] = arrived
                if arrived:         # the client's value: never another connection's
                    if name in base:
                        template[name] = base[name]
                    else:
                        template.pop(name, None)
            self.template = template
            self.template_umask = info["umask"]

    def _login_env(self, info: Dict[str, Any]) -> Tuple[Dict[bytes, bytes], int]:
        env = info.get("env")
        if isinstance(env, dict):
            return env, int(info.get("umask") or 0)
        sent = info.get("sent") or {}
        with self.lock:
            env, umask = dict(self.template), self.template_umask
            if sent:                # the client's values of the names sshd kept in a login
                kept, _ = self._env_state()
                env.update((k, v) for k, v in sent.items() if kept.get(k))
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
                elif kind == "env":         # before a login's hello: what it was sent
                    if isinstance(info.get("env"), dict) and not info.get("learnt"):
                        info["sent"] = _sent_env(msg.get("env"))
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
                _close_connection(rfd, wfd, lifeline)
        return None

    def _hello(self, msg: Dict[str, Any], rfd: int, wfd: int, lifeline: socket.socket,
               info: Dict[str, Any]) -> Optional[_Child]:
        """Answer a hello, or hand the connection to the session's process (returned)."""
        who = prompt_info("")
        answer: Dict[str, Any] = {"t": "hello", "v": PROTOCOL_VERSION, "pid": os.getpid(),
                                  "user": who["user"], "host": who["host"],
                                  "python": _PYTHON_VERSION, "persistent": True,
                                  "sock": self.socket_path}
        if int(msg.get("v") or 0) != PROTOCOL_VERSION:
            answer["error"] = f"the pshell host speaks protocol {PROTOCOL_VERSION}"
            _write(wfd, answer)
            return None
        self._learn(info)
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
        if "_bin" in hello:     # a hello sent as a binary frame: its bytes mean nothing, and a
            hello = {k: v for k, v in hello.items() if k != "_bin"}    # control message is JSON
        plain = {k: v for k, v in info.items() if k not in ("env", "umask", "sent", "learnt")}
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

