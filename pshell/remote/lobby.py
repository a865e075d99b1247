"""One thread that waits, for the supervisor (:mod:`pshell.remote.supervisor`), on what would
otherwise hold a thread each: connections that have said nothing yet (a broker's warm channels
wait there until a client takes them), and the control sockets of the session processes.

Every thread alive in the supervisor when it forks costs each child a few page copies (the
child's interpreter forgets the other threads' states, writing to their pages), and a thread
woken after a fork copies its stack's pages again; a 100-host fan-out left 100 warm channels,
so 100 threads, in the supervisor that forks its spares.

The callbacks run in this thread and must not block: what may wait (a frame read in pieces, a
session's end that restarts it) goes to a thread of its own.  A callback's exception is logged,
never the end of the loop: every connection waiting here would hang with it.  Standard library
only; everything is imported at the top (see the supervisor's note on forking).
"""

from __future__ import annotations

import os
import selectors
import threading
from typing import Callable, List, Tuple

__all__ = ["Lobby"]

#: seconds between two tries of what could not be done yet (a process that closed its control
#: socket but is not yet reaped)
RETRY = 0.005


class Lobby:
    """A selector thread: ``add(fd, callback)`` calls ``callback(fd)`` in this thread each time
    ``fd`` is readable, until ``drop(fd)``; ``retry(func)`` calls ``func()`` every RETRY seconds
    until it returns True."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self._log = log
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._incoming: List[Tuple[int, Callable[[int], None]]] = []
        self._retries: List[Callable[[], bool]] = []
        self._thread = threading.Thread(target=self._loop, name="pshell-host-lobby", daemon=True)
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def in_loop(self) -> bool:
        return threading.current_thread() is self._thread

    def add(self, fd: int, callback: Callable[[int], None]) -> None:
        """Wait for ``fd`` to be readable (any thread may ask)."""
        if self.in_loop():
            self._selector.register(fd, selectors.EVENT_READ, callback)
            return
        with self._lock:
            self._incoming.append((fd, callback))
        self._wake()

    def drop(self, fd: int) -> None:
        """Stop waiting on ``fd`` (in this thread only: a callback does it)."""
        try:
            self._selector.unregister(fd)
        except (KeyError, ValueError):
            pass

    def retry(self, func: Callable[[], bool]) -> None:
        """Call ``func`` every RETRY seconds in this thread until it returns True."""
        if self.in_loop():
            self._retries.append(func)
            return
        with self._lock:
            self._retries.append(func)
        self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"\0")
        except BlockingIOError:     # the pipe is full: the loop will wake anyway
            pass

    def _loop(self) -> None:
        while True:
            try:
                events = self._selector.select(RETRY if self._retries else None)
            except InterruptedError:
                continue
            for key, _ in events:
                if key.data is None:
                    self._take_incoming()
                    continue
                try:
                    key.data(key.fd)
                except Exception as exc:        # noqa: BLE001 - the loop serves all the others
                    self._log(f"lobby: {type(exc).__name__}: {exc}")
                    self.drop(key.fd)
            if self._retries:
                with self._lock:
                    retries, self._retries = self._retries, []
                for func in retries:
                    try:
                        done = func()
                    except Exception as exc:    # noqa: BLE001
                        self._log(f"lobby: {type(exc).__name__}: {exc}")
                        done = True
                    if not done:
                        with self._lock:
                            self._retries.append(func)

    def _take_incoming(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass
        with self._lock:
            incoming, self._incoming = self._incoming, []
        for fd, callback in incoming:
            try:
                self._selector.register(fd, selectors.EVENT_READ, callback)
            except (KeyError, ValueError, OSError) as exc:
                self._log(f"lobby: cannot wait on descriptor {fd}: {exc}")
