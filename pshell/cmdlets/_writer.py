"""Writing files as input arrives (Set-Content, Add-Content, Out-File), with bounded memory.

A writer holds its text until it passes ``SPILL`` characters; most writes end before that and are
written at the end as one piece.  Past it, the writer opens its files and writes each further
batch as it comes.  ``Get-Content f | Set-Content f`` must still work (and ``Add-Content`` must
not read back what it appends): a target that this process or one of its child processes has
open is written to a temporary file instead, copied into the target when the input ends.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, IO, List, Tuple

SPILL = 1 << 22          # characters held before the files are opened
_COPY = 1 << 20


def open_elsewhere(path: str) -> bool:
    """Whether ``path`` is open in this process or one of its children (a reader upstream in
    the pipeline: Get-Content, or a native command).  True when it cannot be told."""
    try:
        target = os.stat(path)
    except OSError:
        return False                # not there yet: nobody reads it
    pids = ["self"]
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as handle:
                pids += handle.read().split()
    except OSError:
        return True
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            if pid == "self":
                return True
            continue                # a child that ended meanwhile
        for fd in fds:
            try:
                found = os.stat(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if found.st_ino == target.st_ino and found.st_dev == target.st_dev:
                return True
    return False


class StreamedFiles:
    """The open targets of a writer that passed SPILL.  ``open_target(full, append)`` opens a
    target's text handle (raising OSError); ``report(exc, full)`` reports a failure, after which
    that target gets nothing more (the error says which file is incomplete)."""

    def __init__(self, targets: List[str], append: bool,
                 open_target: Callable[[str, bool], IO[str]],
                 report: Callable[[OSError, str], None]) -> None:
        self.append = append
        self.open_target = open_target
        self.report = report
        # (path, handle, spooled): spooled is True when the handle is a temporary file
        self.files: List[Tuple[str, IO[str], bool]] = []
        for full in targets:
            try:
                if open_elsewhere(full):
                    import tempfile     # (not at import: it costs ~2 ms at every start)
                    spool = tempfile.TemporaryFile("w+", encoding="utf-8", errors="surrogatepass",
                                                   newline="")
                    self.files.append((full, spool, True))
                else:
                    self.files.append((full, open_target(full, append), False))
            except OSError as exc:
                report(exc, full)

    def write(self, text: str) -> None:
        kept = []
        for entry in self.files:
            try:
                entry[1].write(text)
            except OSError as exc:
                self._drop(entry, exc)
                continue
            kept.append(entry)
        self.files = kept

    def close(self) -> List[str]:
        """Close every target (copying spooled text into its file); the paths written whole."""
        done = []
        for full, handle, spooled in self.files:
            try:
                if spooled:
                    handle.seek(0)
                    with self.open_target(full, self.append) as target:
                        while True:
                            chunk = handle.read(_COPY)
                            if not chunk:
                                break
                            target.write(chunk)
                handle.close()
            except OSError as exc:
                self._drop((full, handle, spooled), exc)
                continue
            done.append(full)
        self.files = []
        return done

    def _drop(self, entry: Tuple[str, IO[str], bool], exc: OSError) -> None:
        full, handle, _ = entry
        try:
            handle.close()
        except OSError:
            pass
        self.report(exc, full)


def text_size(value: Any) -> int:
    """About how many characters a value adds to a writer's text."""
    return len(value) + 1 if type(value) is str else 16
