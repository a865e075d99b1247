"""The broker's first clients, met while it imports asyncssh.

The clients that start a broker send their requests while it loads asyncssh (~150-250 ms of
CPU): they wait in its socket's backlog.  :class:`EarlyClients` runs a thread meanwhile that
accepts them (and those arriving), checks each one's uid as the serving loop does (another
user's socket: nothing done with it), looks at its request line without reading it (MSG_PEEK),
when the whole line has arrived within :data:`PEEK_WAIT`, decides it with the broker's own
``_plan`` (kept, so the serving loop does not decide it again) and hands its destination to
:mod:`pshell.transport.tcp_ahead`: the TCP connection is made while asyncssh loads, and the
handshake for that key takes it (``SSHTarget.ahead_key``).  A line that is not a good request:
nothing is made for it.  When asyncssh is in, the main thread stops the thread and waits for
its end, then the serving loop adopts every socket it accepted (its request still unread) as it
would a client it accepts itself: the answers are the same either way.
"""

from __future__ import annotations

import _socket
import _thread
import os
import select
import time
from typing import Any, Dict, List

from pshell.transport.broker_clients import _UID, MAX_REQUEST, STATUS_REQUEST, _peer_uid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pshell.transport.broker_server import Broker

__all__ = ["EarlyClients", "PEEK_WAIT"]

PEEK_WAIT = 0.05        # seconds a client's request line may take to arrive whole
_PEEK_EVERY = 0.005     # seconds between two looks at a line still arriving
_MAX_EARLY = 512        # clients accepted by the thread (more wait in the backlog)


class EarlyClients:
    """The thread that meets clients while asyncssh loads; :meth:`stop` ends it and returns the
    sockets it accepted, in order."""

    def __init__(self, broker: Broker, server_sock: Any) -> None:
        self.broker = broker
        self.server = server_sock
        self.accepted: List[Any] = []
        self.keys: List[str] = []           # handed to tcp_ahead
        self.wake_r, self.wake_w = os.pipe()
        self.done = _thread.allocate_lock()
        self.done.acquire()
        _thread.start_new_thread(self._run, ())

    def stop(self) -> List[Any]:
        os.write(self.wake_w, b"x")
        self.done.acquire()                 # only one of the thread and the loop accepts
        os.close(self.wake_r)
        os.close(self.wake_w)
        return self.accepted

    def _run(self) -> None:
        try:
            self._serve()
        except Exception as exc:            # the serving loop still gets every socket
            import sys
            print(f"pshell broker: meeting the first clients failed: {type(exc).__name__}: "
                  f"{exc}", file=sys.stderr, flush=True)
        finally:
            self.done.release()

    def _serve(self) -> None:
        server = self.server
        server.setblocking(False)
        fd = server.fileno()
        waiting: Dict[Any, float] = {}      # ours, line not whole yet: until when it is looked at
        watch = select.poll()
        watch.register(self.wake_r, select.POLLIN)
        watch.register(fd, select.POLLIN)
        while True:
            ready = [ready_fd for ready_fd, _ in watch.poll(_PEEK_EVERY * 1000 if waiting else None)]
            if self.wake_r in ready:
                return
            if fd in ready:
                self._accept(waiting)
                if len(self.accepted) >= _MAX_EARLY:
                    watch.unregister(fd)        # the rest wait in the backlog for the loop
            now = time.monotonic()
            for sock, until in list(waiting.items()):
                if self._look(sock) or now >= until:
                    del waiting[sock]

    def _accept(self, waiting: Dict[Any, float]) -> None:
        while len(self.accepted) < _MAX_EARLY:
            try:
                fd, _ = self.server._accept()
            except OSError:                 # none waiting (or out of descriptors: the loop says)
                return
            sock: Any = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM, 0, fd)
            sock.setblocking(False)
            self.accepted.append(sock)
            try:
                ours = _peer_uid(sock) == _UID      # as _Client.start checks it
            except OSError:
                ours = False
            if ours and not self._look(sock):
                waiting[sock] = time.monotonic() + PEEK_WAIT

    def _look(self, sock: Any) -> bool:
        """Whether looking at this client is over: its line was there (and was decided), or it
        will not be (its end, an error, too long)."""
        try:
            data = sock.recv(MAX_REQUEST + 1, _socket.MSG_PEEK | _socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        end = data.find(b"\n", 0, MAX_REQUEST)
        if end < 0:
            return not data or len(data) > MAX_REQUEST
        line = data[:end + 1]
        if line != STATUS_REQUEST:
            self._ahead(line)
        return True

    def _ahead(self, line: bytes) -> None:
        """The line decided as the serving loop will decide it, and its TCP connection made."""
        try:
            plan = self.broker._plan(line, kept_only=True)
        except Exception:                   # a bad request: the serving loop answers it
            return
        if plan is None:                    # decided anew at each request (a Match exec runs
            return                          # a command): decided by the serving loop only
        req = plan.req
        from pshell.transport import tcp_ahead
        from pshell.transport.ssh_connect import SSHTarget
        target = SSHTarget(req["host"], req["user"], req["port"], req["key_file"], None,
                           req["options"])
        self.keys.append(plan.key)
        tcp_ahead.start([(plan.key, target)])

