"""The connection broker's process: pshell's own ControlMaster/ControlPersist.

One per user (and per environment that changes SSH decisions, see ``client/broker.py``), started
on demand by a pshell process that wants a connection.  It listens on a Unix socket in a 0700
directory, answers only its own user (``SO_PEERCRED``), keeps each authenticated SSH connection
for ``persist`` seconds after its last channel closed, and ends when it has held nothing for that
long.  A short-lived pshell then neither imports asyncssh nor handshakes: it asks the broker for a
channel and speaks the remoting protocol over the Unix socket, the broker relaying bytes.

A request is one JSON line: ``{"v": 1, "host", "user", "port", "key_file", "options",
"subsystem"}`` (never a password: a target with one does not come here).  The answer is one JSON
line, ``{"ok": true, "warnings": [...]}`` then the channel's bytes both ways, or ``{"ok": false,
"error": text, "auth": bool}`` and the end (``auth``: authentication failed, so the client, if it
may prompt, connects itself).  Connections are reused only for the same request and the same
resolved ssh_config (a changed config gives a new connection); each carries at most
``MAX_CHANNELS`` channels (sshd's MaxSessions is 10 by default).

Run: ``python3 -m pshell.transport.broker_server DIRECTORY PERSIST_SECONDS``.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import time
from typing import Any, Dict, List, Optional

__all__ = ["main", "check_request"]

MAX_CHANNELS = 8
MAX_REQUEST = 64 * 1024
SOCKET_NAME = "sock"
LOCK_NAME = "lock"
_PAUSE_AT = 4 << 20            # bytes waiting for the client before the channel stops reading


class BadRequest(ValueError):
    pass


def _text(value: Any, what: str, limit: int = 1024) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > limit or \
            any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise BadRequest(f"{what} is not a valid name")
    return value


def check_request(line: bytes) -> Dict[str, Any]:
    """The request's fields, checked (types, sizes, no control characters); BadRequest else."""
    try:
        req = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the request is not JSON") from None
    if not isinstance(req, dict) or req.get("v") != 1:
        raise BadRequest("the request is not a version 1 request")
    host = _text(req.get("host"), "the host", 255)
    if host is None:
        raise BadRequest("the request names no host")
    port = req.get("port")
    if port is not None and (type(port) is not int or not 0 < port < 65536):
        raise BadRequest("the port is not a number from 1 to 65535")
    options = req.get("options") or {}
    if not isinstance(options, dict) or len(options) > 64:
        raise BadRequest("the options are not a table of at most 64 entries")
    for key, value in options.items():
        _text(key, "an option name", 64)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, (str, int)) or isinstance(item, bool) or \
                    (isinstance(item, str) and len(item) > 4096):
                raise BadRequest(f"option {key} has a value that is not text or a number")
    return {"host": host, "user": _text(req.get("user"), "the user", 255), "port": port,
            "key_file": _text(req.get("key_file"), "the key file", 4096), "options": options,
            "subsystem": _text(req.get("subsystem"), "the subsystem", 64)}


def _peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


class _Held:
    """One SSH connection the broker keeps, and how many channels use it."""

    def __init__(self, ssh: Any) -> None:
        self.ssh = ssh
        self.channels = 0
        self.idle: Any = None           # the timer that closes it when unused


class _Relay:
    """What SSHSessionLink feeds: the channel's bytes go to the client's socket (held back
    until the answer line is written)."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.started = False
        self.early: List[bytes] = []
        self.link: Any = None
        self.ended = False

    def feed(self, data: bytes) -> None:
        if not self.started:
            self.early.append(data)
            return
        self.writer.write(data)
        transport = self.writer.transport
        if self.link is not None and transport.get_write_buffer_size() > _PAUSE_AT:
            self.link.chan.pause_reading()
            import asyncio
            asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        try:
            await self.writer.drain()
        except (ConnectionError, OSError):
            return
        try:
            self.link.chan.resume_reading()
        except Exception:
            pass

    def start(self) -> None:
        self.started = True
        for data in self.early:
            self.writer.write(data)
        self.early = []

    def lost(self, reason: str) -> None:
        self.ended = True
        try:
            self.writer.close()
        except Exception:
            pass

    def hello(self, *args: Any, **kwargs: Any) -> None:   # never called: the client says hello
        pass


class Broker:
    def __init__(self, directory: str, persist: float) -> None:
        self.directory = directory
        self.persist = persist
        self.held: Dict[str, List[_Held]] = {}
        self.clients = 0
        self.last_used = time.monotonic()
        self.warnings: List[List[str]] = []     # one list per connect in progress

    # ---- connections ------------------------------------------------------------------
    def _key(self, req: Dict[str, Any]) -> Any:
        """The held-connection key (the request and every resolved option) and what a direct
        connection would warn about the config."""
        from pshell.transport import ssh_config
        from pshell.transport.ssh_connect import SSHTarget, _overrides
        target = SSHTarget(req["host"], req["user"], req["port"], req["key_file"], None,
                           req["options"])
        try:
            resolved = ssh_config.resolve(req["host"], req["user"], req["port"], _overrides(target))
        except ssh_config.ConfigError as exc:
            from pshell.transport.ssh_connect import SSHError
            raise SSHError(f"Cannot connect to {req['host']}: {exc}") from None
        said = [text for _, text in ssh_config.unhonoured_messages(resolved)]
        decided = sorted((name, repr(value)) for name, value in resolved.values.items())
        return json.dumps([req["host"].lower(), req["user"], req["port"], req["key_file"],
                           sorted((k, repr(v)) for k, v in req["options"].items()), decided]), said

    async def _connection(self, key: str, req: Dict[str, Any], fresh: bool) -> _Held:
        from pshell.transport.ssh_connect import SSHTarget, connect
        pool = self.held.setdefault(key, [])
        if not fresh:
            for held in pool:
                if held.channels < MAX_CHANNELS and not _closed(held.ssh):
                    return held
        target = SSHTarget(req["host"], req["user"], req["port"], req["key_file"], None,
                           req["options"])
        ssh = await connect(target, None)
        held = _Held(ssh)
        pool.append(held)
        return held

    def _release(self, key: str, held: _Held) -> None:
        held.channels -= 1
        self.last_used = time.monotonic()
        if held.channels == 0:
            import asyncio
            loop = asyncio.get_running_loop()
            held.idle = loop.call_later(self.persist, self._expire, key, held)

    def _expire(self, key: str, held: _Held) -> None:
        if held.channels:
            return
        self._drop(key, held)

    def _drop(self, key: str, held: _Held) -> None:
        pool = self.held.get(key, [])
        if held in pool:
            pool.remove(held)
        if not pool:
            self.held.pop(key, None)
        try:
            held.ssh.close()
        except Exception:
            pass

    # ---- a client -----------------------------------------------------------------------
    async def handle(self, reader: Any, writer: Any) -> None:
        import asyncio
        self.clients += 1
        self.last_used = time.monotonic()
        try:
            sock = writer.get_extra_info("socket")
            if sock is None or _peer_uid(sock) != os.getuid():
                return                  # only this user's own processes
            try:
                line = await asyncio.wait_for(reader.readuntil(b"\n"), 30)
                req = check_request(line)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError):
                await self._answer(writer, {"ok": False, "error": "the request was not one line "
                                            f"of at most {MAX_REQUEST} bytes", "auth": False})
                return
            except BadRequest as exc:
                await self._answer(writer, {"ok": False, "error": str(exc), "auth": False})
                return
            await self._serve(req, reader, writer)
        except (ConnectionError, OSError):
            pass
        finally:
            self.clients -= 1
            self.last_used = time.monotonic()
            try:
                writer.close()
            except Exception:
                pass

    async def _answer(self, writer: Any, answer: Dict[str, Any]) -> None:
        writer.write(json.dumps(answer).encode("utf-8") + b"\n")
        await writer.drain()

    async def _serve(self, req: Dict[str, Any], reader: Any, writer: Any) -> None:
        import asyncio
        import asyncssh
        from pshell.transport import ssh as ssh_transport
        from pshell.transport.ssh_connect import SSHError, SSHTarget
        warnings: List[str] = []
        self.warnings.append(warnings)
        relay = _Relay(writer)
        target = SSHTarget(req["host"], req["user"], req["port"], req["key_file"], None,
                           req["options"])
        try:
            key, said = self._key(req)
            warnings[:0] = said
            held, link = await self._channel(key, req, relay, target)
        except SSHError as exc:
            text = str(exc)
            await self._answer(writer, {"ok": False, "error": text, "warnings": warnings,
                                        "auth": "authentication failed" in text})
            return
        except Exception as exc:        # the broker must go on serving others
            await self._answer(writer, {"ok": False, "error": f"the connection broker failed: "
                                        f"{type(exc).__name__}: {exc}", "auth": False})
            return
        finally:
            self.warnings.remove(warnings)
        try:
            await self._answer(writer, {"ok": True, "warnings": warnings,
                                        "cache_key": link.cache_key,
                                        "socket_known": ssh_transport.known_socket(link.cache_key)
                                        if link.cache_key else None})
            relay.start()
            while not relay.ended:
                data = await reader.read(1 << 18)
                if not data:
                    break
                link.chan.write(data)
                while link.chan.get_write_buffer_size() > _PAUSE_AT and not relay.ended:
                    await asyncio.sleep(0.005)      # the far side is slower than the client
        except (ConnectionError, OSError, asyncssh.Error):
            pass
        finally:
            link.closed = True
            try:
                if link.chan is not None:
                    link.chan.close()
            except Exception:
                pass
            self._release(key, held)

    async def _channel(self, key: str, req: Dict[str, Any], relay: _Relay, target: Any) -> Any:
        """A held (or new) connection with a started channel on it: (held, link)."""
        import asyncssh
        from pshell.transport import ssh as ssh_transport
        from pshell.transport.ssh_connect import SSHError
        for attempt in (0, 1):      # a held connection may have died, or be full: once more
            held = await self._connection(key, req, fresh=attempt > 0)
            held.channels += 1
            if held.idle is not None:
                held.idle.cancel()
                held.idle = None
            link = ssh_transport.SSHSessionLink(req["host"], ssh_transport.cache_key(target))
            link.conn = relay               # type: ignore[assignment]
            link.owns_ssh = False
            relay.link = link
            ssh_transport.refresh_sockets()     # clients remember host sockets too
            try:
                await link.start(held.ssh, req["subsystem"])
                return held, link
            except BaseException as exc:
                if link.chan is not None:
                    link.chan.close()
                self._release(key, held)
                if isinstance(exc, (asyncssh.Error, OSError)):
                    if _closed(held.ssh):
                        self._drop(key, held)
                    if attempt == 0:
                        continue
                    raise SSHError(f"Cannot connect to {req['host']}: {exc}") from None
                raise
        raise AssertionError("unreachable")

    def warn(self, text: str) -> None:
        for pending in self.warnings:
            pending.append(text)

    def idle(self) -> bool:
        return not self.clients and not any(self.held.values()) and \
            time.monotonic() - self.last_used > self.persist


def _closed(ssh: Any) -> bool:
    transport = getattr(ssh, "_transport", None)
    return transport is None or transport.is_closing()


async def _serve_forever(directory: str, persist: float, server_sock: socket.socket,
                         inode: int) -> None:
    import asyncio
    from pshell.transport.ssh_connect import set_warning_sink
    broker = Broker(directory, persist)
    set_warning_sink(broker.warn)
    server = await asyncio.start_unix_server(broker.handle, sock=server_sock, limit=MAX_REQUEST)
    path = os.path.join(directory, SOCKET_NAME)
    async with server:
        while True:
            await asyncio.sleep(min(1.0, max(0.05, persist / 4)))
            if broker.idle():
                break
            try:                        # the socket was removed or replaced: nobody finds us
                if os.stat(path).st_ino != inode:
                    break
            except OSError:
                break
    for pool in list(broker.held.values()):
        for held in list(pool):
            held.ssh.close()


def main(argv: List[str]) -> int:
    import fcntl
    directory, persist = argv[0], float(argv[1])
    lock = os.open(os.path.join(directory, LOCK_NAME), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0                        # another broker serves this directory
    path = os.path.join(directory, SOCKET_NAME)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    server_sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server_sock.bind(path)
    finally:
        os.umask(old)
    server_sock.listen(128)
    inode = os.stat(path).st_ino
    pid_fd = os.open(os.path.join(directory, "pid"),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.write(pid_fd, f"{os.getpid()}\n".encode())
    os.close(pid_fd)
    from pshell.transport.ssh import run_async
    from pshell.transport.ssh_connect import load_asyncssh
    load_asyncssh()
    try:
        run_async(_serve_forever(directory, persist, server_sock, inode))
    finally:
        try:
            if os.stat(path).st_ino == inode:
                os.unlink(path)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
