"""The host: where a runspace's output and messages go when nobody captures them.

``PlainHost`` writes deterministic plain text: output objects through the streaming Out-Default
formatter to stdout, errors/warnings/verbose/debug to stderr (so stdout stays data a script can
pipe), Write-Host to stdout.  The UI layer subclasses it with colour (``ui/console.py``).
"""

from __future__ import annotations

import os
import _thread
import sys

from pshell.engine.streams import Streams

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, Optional, TextIO

__all__ = ["PlainHost", "make_text_formatter", "visible", "writable"]


def _escape_table(newlines: bool) -> dict:
    table = {}
    for code in list(range(0x20)) + list(range(0x7f, 0xa0)):
        if newlines and code in (0x09, 0x0a):
            continue
        table[code] = {0x1b: "\\e", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t"}.get(
            code, f"\\x{code:02x}")
    return table


_VISIBLE = _escape_table(True)
_VISIBLE_ONE_LINE = _escape_table(False)


def visible(text: str, newlines: bool = True) -> str:
    """``text`` with its control characters shown instead of acting on the terminal: ESC as
    ``\\e``, CR as ``\\r``, any other C0/C1 control or DEL as ``\\xNN``; newlines and tabs
    stay unless ``newlines`` is false.  Used for everything pshell says itself (errors,
    warnings, verbose, debug, progress, status lines) - remote text in them cannot move the
    cursor, retitle the window or hide a line.  Output objects pass through unchanged, as
    ssh passes a remote command's output."""
    return text.translate(_VISIBLE if newlines else _VISIBLE_ONE_LINE)


def writable(text: str, stream: Any) -> str:
    """``text`` as ``stream`` can encode it: lone surrogates (``[char]0xD800``) become U+FFFD,
    anything else the encoding lacks its replacement character.  Called after a write failed,
    so the usual path pays nothing."""
    import re
    text = re.sub("[\ud800-\udfff]", "\ufffd", text)
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        text = text.encode(encoding, "replace").decode(encoding, "replace")
    return text


def make_text_formatter(width: int = 120) -> Any:
    from pshell.engine.format_render import make_out_default
    return make_out_default(width, batch_seconds=None)


class PlainHost(Streams):
    """A host writing plain text to two text streams."""

    is_terminal = False
    name = "pshell"
    plain_text = False      # $PSStyle.OutputRendering = 'PlainText': no escape sequences written

    def __init__(self, out: Optional[TextIO] = None, err: Optional[TextIO] = None,
                 width: Optional[int] = None, stdin: Optional[TextIO] = None) -> None:
        # None means "whatever sys.stdout/stderr is when writing": the REPL patches them so that
        # output from background work lands above the prompt
        self._out = out
        self._err = err
        self.stdin = stdin
        self.width = width or 120
        self.lock = _thread.RLock()      # threading.RLock, without importing threading
        self.session_stack: Any = None
        self.job_notice: Optional[Callable[[Any], None]] = None
        self.location: Optional[Callable[[], Optional[str]]] = None

    @property
    def out(self) -> TextIO:
        return self._out if self._out is not None else sys.stdout

    @property
    def err(self) -> TextIO:
        return self._err if self._err is not None else sys.stderr

    # ---- output ---------------------------------------------------------------------
    def write_objects(self, iterator: Iterator[Any]) -> None:
        # Strings and numbers print as themselves; the formatter (and its import) is only needed
        # once something else arrives, and then everything goes through it to keep the order.
        formatter = None
        for obj in iterator:
            if formatter is None:
                kind = type(obj)
                if kind is str or kind is int:
                    self.write_text(obj if kind is str else str(obj))
                    continue
                formatter = self.formatter()
            lines = formatter.feed(obj)
            if lines:
                self.write_lines(lines)
        if formatter is not None:
            lines = formatter.flush()
            if lines:
                self.write_lines(lines)

    def formatter(self) -> Any:
        from pshell.engine.format_render import make_out_default
        return make_out_default(self.width, self.location, batch_seconds=None)

    def write_lines(self, lines: Any) -> None:
        text = "".join(line + "\n" for line in lines)
        with self.lock:
            _write(self.out, _without_escapes(text) if self.plain_text else text)
            self.out.flush()

    def write_text(self, text: str, newline: bool = True) -> None:
        if self.plain_text:
            text = _without_escapes(text)
        with self.lock:
            _write(self.out, text + ("\n" if newline else ""))
            self.out.flush()

    def _err_line(self, text: str) -> None:
        with self.lock:
            try:
                self.out.flush()
            except (OSError, ValueError):
                pass
            _write(self.err, visible(text) + "\n")
            self.err.flush()

    # ---- streams --------------------------------------------------------------------
    def error(self, record: Any) -> None:
        self._err_line(record.render() if hasattr(record, "render") else str(record))

    def warning(self, record: Any) -> None:
        self._err_line(f"WARNING: {record.Message}")

    def verbose(self, record: Any) -> None:
        self._err_line(f"VERBOSE: {record.Message}")

    def debug(self, record: Any) -> None:
        self._err_line(f"DEBUG: {record.Message}")

    def information(self, record: Any) -> None:
        if getattr(record, "record", None) is not None and not hasattr(record, "MessageData"):
            return          # hidden by InformationPreference
        from pshell.engine.values import to_str
        text = to_str(record.MessageData)
        self.write_text(text, getattr(record, "newline", True))

    def progress(self, record: Any) -> None:
        pass

    def parse_error(self, error: Any) -> None:
        self._err_line(error.render())

    # ---- input ----------------------------------------------------------------------
    def read_line(self, prompt: str = "", secure: bool = False) -> str:
        stream = self.stdin if self.stdin is not None else sys.stdin
        if secure and stream.isatty():
            import getpass
            return getpass.getpass(prompt)
        if prompt:
            self.write_text(prompt, newline=False)
        line = stream.readline()
        if not line:
            raise EOFError("no more input")
        return line.rstrip("\n")

    # ---- jobs -----------------------------------------------------------------------
    def job_finished(self, job: Any) -> None:
        if self.job_notice is not None:
            self.job_notice(job)

    @property
    def Name(self) -> str:
        return "pshell"

    @property
    def UI(self) -> Any:
        return self

    def ToString(self) -> str:
        return "pshell"


#: an escape sequence: CSI (colours, cursor), OSC (hyperlinks, titles) or a two-character one
_ANSI = r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])"


def _without_escapes(text: str) -> str:
    """``text`` without its escape sequences ($PSStyle.OutputRendering = 'PlainText')."""
    import re
    return re.sub(_ANSI, "", text)


def _write(stream: Any, text: str) -> None:
    # a text stream encodes the whole string before it writes any of it: on failure nothing
    # went out, and the replaced text is written whole
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.write(writable(text, stream))


def is_color_wanted(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")
