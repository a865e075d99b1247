"""One client of the connection broker (:mod:`pshell.transport.broker_server`): its socket, read
and written directly; its request line, checked and answered; then the channel's bytes both ways,
with the transports' own flow control.  The broker's pools, warm channels and connections are
the server module's; a client asks the :class:`~pshell.transport.broker_server.Broker` for a
channel and relays.
"""

from __future__ import annotations

import _socket
import asyncio
import collections
import json
import os
import socket
import struct
import sys
import time
from typing import Any, Deque, Dict, List, Optional

from pshell.transport.broker_request import BadRequest, Plan

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pshell.transport.broker_server import Broker, _Demand, _Held

__all__ = ["MAX_REQUEST", "STATUS_REQUEST", "LINE_WAIT"]

MAX_REQUEST = 64 * 1024
STATUS_REQUEST = b'{"v": 1, "status": true}\n'     # what the broker holds (tests use it)
_PAUSE_AT = 4 << 20            # bytes waiting for the client before the channel stops reading
_READ_SIZE = 256 * 1024        # what one read of a client's socket takes at most
LINE_WAIT = 30.0               # seconds a client has to send its request line
_UID = os.getuid()
_CREDS = struct.Struct("3i")    # SO_PEERCRED: pid, uid, gid

def _peer_uid(sock: socket.socket) -> int:
    return _CREDS.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDS.size))[1]


class _Client:
    """One client on the broker's socket: its request line, the answer, then the channel's
    bytes both ways.  Nothing past the request line goes anywhere before the channel is open (it
    is held, and the socket is not read meanwhile); the channel's bytes that arrive before the
    answer is written wait for it.  Either side's end ends both.

    The socket is read and written directly (the C socket, the event loop's reader and writer
    callbacks), not through an asyncio transport: a transport's making and ending were about a
    tenth of the broker's work per channel.  What the socket does not take at once waits, in
    order; while more than 4 MiB wait, the channel is not read (and from 1 MiB on again)."""

    def __init__(self, broker: Broker, sock: Any) -> None:
        self.broker = broker
        self.sock: Any = sock           # None once closed
        self.fd = sock.fileno()
        self.loop = asyncio.get_running_loop()
        self.reading = False
        self.out: Deque[bytes] = collections.deque()     # what the socket has yet to take
        self.out_size = 0
        self.closing = False            # the socket closes once `out` is written
        self.chan_paused = False        # the channel is not read: `out` holds too much
        self.buffer = b""               # the request line, until its end arrives
        self.pending: List[bytes] = []  # what followed it, until the channel is open
        self.early: List[bytes] = []    # the channel's bytes, until the answer is written
        self.state = "line"             # line, opening, relay, done
        self.plan: Optional[Plan] = None
        self.held: Optional[_Held] = None
        self.chan: Any = None           # the SSH channel (a warm one's or a new one's)
        self.link: Any = None           # a new channel's SSHSessionLink
        self.demand: Optional[_Demand] = None
        self.ended = False              # the channel ended while it was being opened

    # ---- the client's socket ----------------------------------------------------------
    def start(self) -> None:
        broker = self.broker
        broker.clients += 1
        now = broker.last_used = time.monotonic()
        try:
            ours = _peer_uid(self.sock) == _UID
        except OSError:
            ours = False
        if not ours:
            self.state = "done"         # only this user's own processes
            self._close_now()
            return
        broker.waiting[self] = now + LINE_WAIT     # the serving loop refuses it after that
        self._read(True)

    def _read(self, on: bool) -> None:
        if self.sock is None or on == self.reading:
            return
        self.reading = on
        if on:
            self.loop.add_reader(self.fd, self._readable)
        else:
            self.loop.remove_reader(self.fd)

    def _readable(self) -> None:
        try:
            data = self.sock.recv(_READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._gone()
            return
        if data:
            self.data_received(data)
        elif self.state == "line":
            self._no_line()
        else:
            self._finish()

    def _write(self, data: bytes) -> None:
        sock = self.sock
        if sock is None:
            return
        if not self.out:
            try:
                sent = sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._gone()
                return
            if sent == len(data):
                return
            data = data[sent:]
            self.loop.add_writer(self.fd, self._writable)
        self.out.append(data)
        self.out_size += len(data)
        if self.out_size > _PAUSE_AT and not self.chan_paused:     # the client reads slower
            self.chan_paused = True                                 # than the channel brings
            try:
                self.chan.pause_reading()
            except Exception:
                pass

    def _writable(self) -> None:
        out = self.out
        while out:
            chunk = out[0]
            try:
                sent = self.sock.send(chunk)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self._gone()
                return
            self.out_size -= sent
            if sent < len(chunk):
                out[0] = chunk[sent:]
                break
            out.popleft()
        if self.chan_paused and self.out_size <= _PAUSE_AT // 4:
            self.chan_paused = False
            try:
                self.chan.resume_reading()
            except Exception:
                pass
        if not out:
            self.loop.remove_writer(self.fd)
            if self.closing:
                self._close_now()

    def _gone(self) -> None:
        """The socket failed (the client went away): nothing more can reach it."""
        if self.out and self.sock is not None:
            self.loop.remove_writer(self.fd)
        self.out.clear()
        self.out_size = 0
        self._finish()

    def _close(self) -> None:
        """Close the socket once what waits for it is written."""
        if self.sock is None:
            return
        self._read(False)
        if self.out:
            self.closing = True
        else:
            self._close_now()

    def _close_now(self) -> None:
        sock, self.sock = self.sock, None
        if sock is None:
            return
        if self.reading:
            self.reading = False
            self.loop.remove_reader(self.fd)
        if self.out:
            self.loop.remove_writer(self.fd)
            self.out.clear()
        sock.close()
        self.broker.clients -= 1
        self.broker.last_used = time.monotonic()
        self._finish()

    def data_received(self, data: bytes) -> None:
        state = self.state
        if state == "relay":
            self._to_channel(data)
        elif state == "opening":
            self.pending.append(data)
        elif state == "line":
            buffer = self.buffer + data if self.buffer else data
            end = buffer.find(b"\n", 0, MAX_REQUEST)
            if end < 0:
                if len(buffer) > MAX_REQUEST:
                    self._no_line()
                else:
                    self.buffer = buffer
                return
            self.buffer = b""
            if end + 1 < len(buffer):
                self.pending.append(buffer[end + 1:])
            self._request(buffer[:end + 1])

    def _no_line(self) -> None:
        self._refuse({"ok": False, "error": "the request was not one line of at most "
                      f"{MAX_REQUEST} bytes", "auth": False})

    def _refuse(self, answer: Dict[str, Any]) -> None:
        if self.state != "done":
            self._write(json.dumps(answer).encode("utf-8") + b"\n")
        self._finish()

    # ---- the request -------------------------------------------------------------------
    def _request(self, line: bytes) -> None:
        from pshell.transport.ssh_connect import SSHError
        self.broker.waiting.pop(self, None)
        if line == STATUS_REQUEST:
            self._refuse(self.broker.status())
            return
        try:
            plan = self.plan = self.broker._plan(line)
        except (BadRequest, SSHError) as exc:   # SSHError: the config cannot be read
            self._refuse({"ok": False, "error": str(exc), "auth": False})
            return
        except Exception as exc:        # the broker must go on serving others
            self._refuse({"ok": False, "error": "the connection broker failed: "
                          f"{type(exc).__name__}: {exc}", "auth": False})
            return
        warm = self.broker._warm_channel(plan)
        if warm is not None:
            warm.client = self
            self._relay(warm.held, warm.chan, None, warm.path)
            return
        self.state = "opening"
        self._read(False)
        asyncio.ensure_future(self._open(plan))

    async def _open(self, plan: Plan) -> None:
        from pshell.transport import ssh as ssh_transport
        from pshell.transport.ssh_connect import SSHError
        warnings = list(plan.said)
        self.broker.warnings.append(warnings)
        try:
            held, link = await self.broker._channel(plan, self)
        except SSHError as exc:
            text = str(exc)
            self._refuse({"ok": False, "error": text, "warnings": warnings,
                          "auth": "authentication failed" in text})
            return
        except Exception as exc:        # the broker must go on serving others
            self._refuse({"ok": False, "error": "the connection broker failed: "
                          f"{type(exc).__name__}: {exc}", "auth": False})
            return
        finally:
            self.broker.warnings.remove(warnings)
        known = ssh_transport.known_socket(link.cache_key) if link.cache_key else None
        self.link = link
        self._relay(held, link.chan, warnings if warnings != plan.said else None, known)

    def _relay(self, held: _Held, chan: Any, warnings: Optional[List[str]],
               known: Optional[str]) -> None:
        """The channel is open: answer, then pass the bytes both ways.  ``warnings``: None for
        the plan's own (the answer is then made once per plan and socket path)."""
        self.held, self.chan = held, chan
        plan = self.plan
        assert plan is not None
        broker = self.broker
        broker.counts["served"] += 1
        self.demand = broker._served(plan)
        if self.state == "done" or self.ended:      # the client, or the channel, went away
            self._finish()
            return
        self.state = "relay"
        if warnings is None:
            answer = plan.answers.get(known)
            if answer is None:
                answer = plan.answers[known] = _answer(plan.said, plan.cache_key, known)
        else:
            answer = _answer(warnings, plan.cache_key, known)
        early, self.early = self.early, []
        self._write(b"".join([answer, *early]) if early else answer)
        self._read(True)
        pending, self.pending = self.pending, []
        for data in pending:
            if self.state == "relay":
                self._to_channel(data)

    def _to_channel(self, data: bytes) -> None:
        chan = self.chan
        try:
            chan.write(data)
        except Exception:               # the channel is gone
            self._finish()
            return
        if chan.get_write_buffer_size() > _PAUSE_AT:
            self._read(False)                   # the far side is slower than the client
            asyncio.get_running_loop().call_later(0.005, self._drained)

    def _drained(self) -> None:
        if self.state != "relay":
            return
        if self.chan.get_write_buffer_size() > _PAUSE_AT:
            asyncio.get_running_loop().call_later(0.005, self._drained)
        else:
            self._read(True)

    def _finish(self) -> None:
        """The end, from either side (once): the channel closes, the client's socket too."""
        if self.state == "done" and self.chan is None:
            self._close()
            return
        self.state = "done"
        self.broker.waiting.pop(self, None)
        chan, self.chan = self.chan, None
        if chan is not None:
            if self.link is not None:
                self.link.closed = True
            try:
                chan.close()
            except Exception:
                pass
            assert self.plan is not None and self.held is not None
            self.broker._release(self.plan.key, self.held)
            if self.demand is not None:
                self.demand.active -= 1
                self.demand = None
        self._close()

    # ---- what the channel's session calls -------------------------------------------------
    def feed(self, data: bytes) -> None:
        if self.state == "relay":
            self._write(data)
        elif self.state != "done":
            self.early.append(data)

    def lost(self, reason: str) -> None:
        if self.state == "relay":
            self._finish()
        else:
            self.ended = True

    def hello(self, *args: Any, **kwargs: Any) -> None:   # never called: the client says hello
        pass


def _answer(warnings: List[str], cache_key: str, known: Optional[str]) -> bytes:
    return json.dumps({"ok": True, "warnings": warnings, "cache_key": cache_key,
                       "socket_known": known}).encode("utf-8") + b"\n"


def _accept(broker: Broker, server_sock: socket.socket) -> None:
    """The clients waiting on the broker's socket (the C socket's own accept: no socket.py
    object per client)."""
    for _ in range(64):
        try:
            fd, _ = server_sock._accept()       # type: ignore[attr-defined]
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        except OSError as exc:          # out of descriptors: the next ones wait a second
            print(f"pshell broker: cannot accept a client: {exc}", file=sys.stderr, flush=True)
            loop = asyncio.get_running_loop()
            loop.remove_reader(server_sock.fileno())
            loop.call_later(1.0, loop.add_reader, server_sock.fileno(), _accept, broker,
                            server_sock)
            return
        _adopt(broker, _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM, 0, fd))


def _adopt(broker: Broker, sock: Any) -> None:
    """Serve an accepted client (by the loop, or by the thread that met the first ones)."""
    try:
        sock.setblocking(False)
        _Client(broker, sock).start()
    except Exception as exc:        # the broker must go on serving others
        print(f"pshell broker: a client failed: {type(exc).__name__}: {exc}",
              file=sys.stderr, flush=True)
        sock.close()
