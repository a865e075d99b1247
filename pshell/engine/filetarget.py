"""Where `> file`, `>> file` and `2> file` write (engine/redirection._RedirectSink routes streams here).

Strings and plain scalars go as their text, batched, without the formatter; other objects are
formatted as on the console; blocks of bytes (Get-Content's lines as UTF-8, a remote's raw
output) go as they are, from the second on through a writer thread (engine/blockwriter.py).  A
failed write raises FileWriteFailure naming the file."""

from __future__ import annotations

import os

from pshell.engine.errors import RuntimeException
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List

__all__ = ["FileTarget"]


_PLAIN_TEXT = frozenset((str, int, float, bool))


def _several_cpus() -> bool:
    """Whether this process may run on more than one CPU (a writer thread has nothing to overlap
    with on one: it would only add its hand-overs)."""
    try:
        return len(os.sched_getaffinity(0)) > 1
    except (AttributeError, OSError):
        return (os.cpu_count() or 1) > 1


class FileTarget:
    """A file a redirection writes to; opened on first write, formatted like the console."""

    def __init__(self, path: str, append: bool, encoding: Any = None) -> None:
        self.path = path
        self.append = append
        self.encoding = encoding            # a dotnet_types.TextEncoding, None for UTF-8 (no BOM)
        self.handle: Any = None
        self.formatter: Any = None
        self.opened = False
        self.pending: List[str] = []        # plain text not written yet (see write_object)
        self.blocks = 0                     # blocks of bytes received
        self.writer: Any = None             # a BlockWriter from the second block on
        self.failed = False                 # a write failed and was raised: close quietly

    def _open(self) -> None:
        if self.opened:
            return
        self.opened = True
        try:
            self.handle = open(self.path, "ab" if self.append else "wb")
        except OSError as exc:
            raise RuntimeException.make(
                f"Could not open file '{self.path}': {exc.strerror}.", "FileOpenFailure",
                "OpenError", self.path, exception_type="System.IO.IOException") from None
        if self.encoding is not None and self.encoding.bom and self.handle.tell() == 0:
            self._write(self.encoding.bom)

    def _encode(self, text: str) -> bytes:
        if self.encoding is None:
            return text.encode("utf-8", "replace")
        return self.encoding.encode(text)

    def write_object(self, item: Any) -> None:
        kind = type(item)
        if kind in _PLAIN_TEXT and (self.formatter is None or not self.formatter.holding):
            # a string or number is its text: batched, without the formatter (which would only
            # find it has no view); not while the formatter holds rows, to keep the order
            if not self.opened:
                self._open()
            pending = self.pending
            pending.append(item if kind is str else to_str(item))
            if len(pending) >= 4096:
                self.flush_text()
            return
        self._open()
        if self.pending:
            self.flush_text()
        if isinstance(item, bytes):
            self._write_block(item)
            return
        if self.writer is not None:
            self._settle()
        if self.formatter is None:
            from pshell.engine.host import make_text_formatter
            self.formatter = make_text_formatter(120)
        for line in self.formatter.feed(item):
            self._write(self._encode(line + "\n"))

    def _write_block(self, block: bytes) -> None:
        """Bytes (Get-Content's lines as UTF-8, a remote's raw output): the first block as it
        comes, the next ones through a writer thread, so reading overlaps writing."""
        self.blocks += 1
        if self.encoding is not None:       # blocks are UTF-8: written in the file's encoding
            block = self._encode(block.decode("utf-8", "replace"))
        if self.writer is None:
            if self.blocks == 1 or not _several_cpus():
                self._write(block)
                return
            from pshell.engine.blockwriter import BlockWriter
            self._guarded(self.handle.flush)
            self.writer = BlockWriter(self.handle.fileno())
        self._guarded(self.writer.put, block)

    def _settle(self) -> None:
        """Wait for the writer thread to write what it holds (text follows it in order)."""
        writer, self.writer = self.writer, None
        self._guarded(writer.finish)

    def _write(self, data: bytes) -> None:
        self._guarded(self.handle.write, data)

    def _guarded(self, func: Any, *args: Any) -> Any:
        """A failed write (full disk, file too large, a device gone) says which file: the rest
        of the output is lost, and the redirection must not look as if it worked."""
        try:
            return func(*args)
        except OSError as exc:
            self.failed = True
            raise RuntimeException.make(
                f"Could not write to file '{self.path}': {exc.strerror or exc}. The file is incomplete.",
                "FileWriteFailure", "WriteError", self.path,
                exception_type="System.IO.IOException") from None

    def flush_text(self) -> None:
        """Write the batched text: one line per item (CRLF inside an item made LF, as the
        formatter does)."""
        if self.writer is not None:
            self._settle()
        text = "\n".join(self.pending)
        self.pending = []
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        self._write(self._encode(text + "\n"))

    def close(self) -> None:
        if not self.opened:
            # `> file` with no output still creates (truncates) the file
            self._open()
        if self.handle is None:
            return
        handle = self.handle
        try:
            if self.failed:             # already raised: only let go of the file
                if self.writer is not None:
                    self.writer.finish()
                return
            if self.writer is not None:
                self._settle()
            if self.pending:
                self.flush_text()
            if self.formatter is not None:
                for line in self.formatter.flush():
                    self._write(self._encode(line + "\n"))
                self.formatter = None
            self._guarded(handle.flush)
        except OSError:
            pass                        # the writer's failure, raised before
        finally:
            self.handle = None
            self.writer = None
            if self.failed:
                try:
                    handle.close()
                except OSError:
                    pass
            else:
                self._guarded(handle.close)
