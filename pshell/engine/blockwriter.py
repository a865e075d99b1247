"""Blocks of bytes a redirection writes (Get-Content's lines handed over as UTF-8, a remote
invocation's raw output), written by a thread of their own: reading the next block overlaps
writing this one, so `Get-Content big > out` takes about as long as the slower of the two.

At most ``DEPTH`` blocks wait.  Every block is written whole (a short write is continued, a write
of nothing is an error); the first failure stops the writing, is kept, and is raised at the next
``put`` or at ``finish``: nothing is dropped without saying so."""

from __future__ import annotations

import errno
import os
import queue
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

__all__ = ["BlockWriter", "write_all"]

DEPTH = 4
_heap_ready = False


def _keep_heap() -> None:
    """glibc gives the top of its heap back past twice the biggest block it has unmapped (from
    128 KiB): 1 MiB blocks passing through would fault fresh pages in again and again (~10% of
    the copy's CPU, and its spread).  Freeing one 8 MiB block, calloc'd and so never touched,
    raises that bar, as any program handling an 8 MiB string does."""
    global _heap_ready
    if not _heap_ready:
        _heap_ready = True
        bytes(8 << 20)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd``, continuing after short writes."""
    view = memoryview(data)
    while view:
        done = os.write(fd, view)
        if done <= 0:
            raise OSError(errno.EIO, "the file took no more bytes")
        view = view[done:]


class BlockWriter:
    def __init__(self, fd: int) -> None:
        _keep_heap()
        self.fd = fd
        self.error: Optional[OSError] = None
        self._queue: "queue.Queue[Optional[bytes]]" = queue.Queue(DEPTH)
        self._thread = threading.Thread(target=self._run, name="pshell-redirect-writer", daemon=True)
        self._thread.start()

    def put(self, block: bytes) -> None:
        if self.error is not None:
            raise self.error
        self._queue.put(block)

    def finish(self) -> None:
        """Wait until every block put is written (or the writing failed); raise its failure."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        get = self._queue.get
        while True:
            block = get()
            if block is None:
                return
            if self.error is None:        # after a failure, blocks are only taken off the queue
                try:
                    write_all(self.fd, block)
                except OSError as exc:
                    self.error = exc
                except Exception as exc:     # never die with blocks still coming: put would wait
                    self.error = OSError(errno.EIO, f"{type(exc).__name__}: {exc}")
