"""Get-Content, Set-Content, Add-Content, Out-File.

Get-Content streams: lines are read as the pipeline pulls them, so
``Get-Content big.log | Select-Object -First 1`` reads only the start, ``-Tail`` reads the file
from its end, and ``-Wait`` follows appended lines until the pipeline is stopped.  Writers hold
their input up to a bound, then write as it comes (cmdlets/_writer.py); ``Get-Content f |
Set-Content f`` is still safe.
"""

from __future__ import annotations

import os

from pshell.cmdlets.item import (FileSystemItem, PathCmdlet, _as_paths, env_entries, env_name,
                                 os_message)
from pshell.cmdlets import _writer
from pshell.cmdlets._writer import StreamedFiles, text_size
from pshell.engine.binder import ranged
from pshell.engine.cmdlet import Param, register
from pshell.engine.errors import RuntimeException
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS, must_confirm, what_if
from pshell.engine.values import enumerate_value, to_int, to_str
from pshell.engine.wildcards import has_wildcards

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, IO, Iterator, List, Optional

__all__ = ["encoding_of", "read_lines"]

_BLOCK = 65536
_WAIT_POLL = 0.2

_ENCODINGS = {
    "utf8": "utf-8", "utf-8": "utf-8", "utf8nobom": "utf-8", "utf8bom": "utf-8-sig",
    "ascii": "ascii", "unicode": "utf-16-le", "utf16": "utf-16-le", "utf-16": "utf-16-le",
    "bigendianunicode": "utf-16-be", "utf32": "utf-32-le", "bigendianutf32": "utf-32-be",
    "latin1": "latin-1", "iso-8859-1": "latin-1", "oem": "utf-8", "default": "utf-8",
    "utf7": "utf-7", "byte": "bytes", "string": "utf-8", "unknown": "utf-8",
    "ansi": "cp1252",
}


_PLAIN_TEXT = frozenset((str, int, float, bool))
_WRITE_CODECS = {"utf-16-le": "utf-16", "utf-32-le": "utf-32"}


def encoding_of(value: Any) -> str:
    """-Encoding: PowerShell's names (and code page names Python knows), or an encoding object
    ([System.Text.Encoding]::Unicode), to a codec name."""
    from pshell.engine.dotnet_types import TextEncoding
    if isinstance(value, TextEncoding):
        return "utf-8-sig" if value.codec == "utf-8" and value.bom else value.codec
    text = to_str(value).strip()
    codec = _ENCODINGS.get(text.lower())
    if codec is not None:
        return codec
    import codecs
    try:
        return codecs.lookup(text).name
    except LookupError:
        raise ValueError(
            f"Cannot convert '{text}' to an encoding. Use one of: ascii, bigendianunicode, "
            f"bigendianutf32, oem, unicode, utf7, utf8, utf8BOM, utf8NoBOM, utf32, or a code "
            f"page name.") from None


encoding_of.type_label = "System.Text.Encoding"     # type: ignore[attr-defined]  # for help


def _bom_codec(head: bytes, default: str) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith(b"\xff\xfe\x00\x00"):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return default


def open_text(path: str, codec: Optional[str], newline: Optional[str] = None) -> IO[str]:
    """A text reader with universal newlines (``newline=""``: line ends as they are); a byte
    order mark picks the encoding when no encoding was asked for."""
    with open(path, "rb") as probe:
        marked = _bom_codec(probe.read(4), "")
    if marked and (codec is None or codec.replace("-sig", "").split("-")[:2]
                   == marked.replace("-sig", "").split("-")[:2]):
        codec = marked        # the mark wins over a compatible -Encoding, and is not text
    return open(path, "r", encoding=codec or "utf-8", errors="replace", newline=newline)




_CHUNK = 1 << 18


def _chunked_lines(handle: IO[str]) -> Iterator[str]:
    """The lines of a text reader (universal newlines), cut from big blocks: one split per
    block instead of a readline per line (about three times faster on a log file)."""
    read = handle.read
    rest = ""
    while True:
        block = read(_CHUNK)
        if not block:
            break
        lines = (rest + block).split("\n") if rest else block.split("\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def _line_bytes(path: str) -> Iterator[bytes]:
    """A file's lines as a redirection writes them (UTF-8, each ending with LF), in big blocks
    with no str per line: what `Get-Content file > out` hands over.  An ASCII block without CR
    goes as it was read; any other is cut before a byte that starts a character (never inside a
    UTF-8 sequence, nor after a CR an LF may follow), with invalid bytes made U+FFFD and CRLF or
    lone CR made LF, as text mode reads them.  A file starting with a byte order mark is read as
    text."""
    with open(path, "rb", buffering=0) as handle:
        head = handle.read(4)
        if _bom_codec(head, ""):
            with open_text(path, None) as text:
                for line in _chunked_lines(text):
                    yield line.encode("utf-8", "replace") + b"\n"
            return
        rest = head
        last = b"\n"
        while True:
            block = handle.read(_CHUNK * 4)
            if not block:
                break
            if rest:
                block, rest = rest + block, b""
            if b"\r" not in block and block.isascii():
                last = block[-1:]
                yield block                         # the everyday case: no copy, no split
                continue
            cut = _char_cut(block)
            rest = block[cut:]
            if cut:
                block = _clean_lines(block[:cut])
                last = block[-1:]
                yield block
        if rest:
            yield _clean_lines(rest if rest.endswith((b"\n", b"\r")) else rest + b"\n")
        elif last != b"\n":
            yield b"\n"


def _char_cut(block: bytes) -> int:
    """Where ``block`` can be cut so that cleaning each part gives what cleaning it whole would:
    before a final CR (an LF may follow), before the start of its last character when that is
    in its last four bytes (it may go on in the next block), else at its end."""
    end = len(block)
    if block[end - 1] == 13:
        return end - 1
    for at in range(end - 1, max(end - 5, -1), -1):
        if block[at] < 0x80:
            return end
        if block[at] >= 0xC0:
            return at
    return end


def _clean_lines(data: bytes) -> bytes:
    """Whole lines of bytes as text mode would give them back: LF endings, valid UTF-8."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = data.decode("utf-8", "replace").encode("utf-8")
    return data


def read_lines(handle: IO[str]) -> Iterator[str]:
    for line in handle:
        yield line[:-1] if line.endswith("\n") else line


def _tail_lines(path: str, count: int, codec: Optional[str]) -> List[str]:
    """The last ``count`` lines, reading blocks backwards from the end."""
    if count <= 0:
        return []
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        data = b""
        pos = end
        while pos > 0 and data.count(b"\n") <= count + 1:
            step = min(_BLOCK, pos)
            pos -= step
            handle.seek(pos)
            data = handle.read(step) + data
        if pos == 0:
            head = data[:4]
        else:
            handle.seek(0)
            head = handle.read(4)
    codec = codec or _bom_codec(head, "utf-8")
    if codec in ("utf-16", "utf-32", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be") \
            and pos > 0:
        # multi-byte encodings: too fiddly to cut backwards; read it all
        with open_text(path, codec) as whole:
            return list(read_lines(whole))[-count:]
    text = data.decode(codec, errors="replace")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines[-count:]


# --------------------------------------------------------------------------- Get-Content

# -TotalCount and -Tail: -1 means every line, anything below is refused when binding
def _count(value: Any) -> int:
    return to_int(value)


_count.type_label = "Int32"            # type: ignore[attr-defined]
_COUNT = ranged(_count, -1, 2 ** 63 - 1)
_OTHER_DRIVES = ("env:", "variable:", "function:", "alias:")


@register
class GetContent(PathCmdlet):
    name = "Get-Content"
    synopsis = "Gets the content of a file, line by line."
    #: parameters only the FileSystem provider has (Get-Command Get-Content -Path function:)
    provider_params = ("FileSystem", ("Raw", "Wait", "Encoding", "Delimiter", "AsByteStream"))
    params = (
        Param("Path", "string[]", position=0, pipeline=False,
              by_property=True),
        Param("LiteralPath", "string[]", aliases=("PSPath", "LP"), by_property=True),
        Param("TotalCount", _COUNT, aliases=("First", "Head")),
        Param("Tail", _COUNT, aliases=("Last",)),
        Param("ReadCount", "long", default=1),
        Param("Raw", "switch"),
        Param("Wait", "switch"),
        Param("Encoding", encoding_of),
        Param("AsByteStream", "switch"),
        Param("Delimiter", "string"),
        Param("Force", "switch"),
        Param("Filter", "string"),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
    )

    env_drive = True
    # set by the pipeline when the output goes straight to a file (`> file`, or a remote
    # invocation whose client writes to one): the lines are then handed over as UTF-8 bytes
    text_as_bytes = False

    def begin(self) -> None:
        if self.TotalCount is not None and self.Tail is not None:
            raise self.terminate("The parameters TotalCount and Tail cannot be used together. Give one "
                                 "of them.", "TailAndHeadCannotCoexist", "InvalidOperation")
        if self.Tail is not None and self.Raw:
            raise self.terminate("The parameters Tail and Raw cannot be used together: -Raw reads the "
                                 "whole file as one string.", "InvalidOperation", "InvalidOperation")
        if self.Tail is not None:
            given = _as_paths(self.LiteralPath if self.LiteralPath is not None else self.Path)
            other = next((to_str(p) for p in given if to_str(p).lower().startswith(_OTHER_DRIVES)
                          or (env_name(p) is not None)), None)
            if other is not None:
                raise self.terminate(f"The -Tail parameter works on files only, not on '{other}'.",
                                     "TailNotSupported", "InvalidOperation", other)

    def no_match(self, raw: Any) -> None:
        self.write_error(self.error_record(
            f"Cannot find path '{to_str(raw)}' because it does not exist.", "ItemNotFound",
            "ObjectNotFound", target=to_str(raw),
            exception_type="System.Management.Automation.ItemNotFoundException"))

    def process(self) -> Iterator[Any]:
        yield from self._environment_values()
        narrowed = bool(self.Filter or self.Include or self.Exclude)
        for _, full, _ in self.paths_of(bool(self.Force)):
            if narrowed and not self.selected(os.path.basename(full)):
                continue            # -Filter/-Include/-Exclude: the name must pass all three
            if os.path.isdir(full):
                self.write_error(self.error_record(
                    f"Unable to get content because it is a directory: '{full}'. Please use "
                    f"'Get-ChildItem' instead.", "GetContainerContentException",
                    "InvalidOperation", target=full))
                continue
            try:
                if self._plain() and self.text_as_bytes and self._codec() is None:
                    yield from _line_bytes(full)
                elif self._plain():
                    # the everyday case, at C speed: no wrapper generators per line
                    with open_text(full, self._codec()) as handle:
                        yield from _chunked_lines(handle)
                else:
                    yield from self._batched(self._read(full))
            except OSError as exc:
                self.io_error(exc, full, "GetContentReaderIOError", "ReadError")

    def _environment_values(self) -> Iterator[str]:
        """``Get-Content Env:NAME``: the variable's value (one per match of a pattern)."""
        for raw in _as_paths(self.LiteralPath if self.LiteralPath is not None else self.Path):
            name = env_name(raw)
            if name is None:
                continue
            entries = env_entries(self.runspace.environ, name) if name else []
            if not entries and not has_wildcards(name):
                self.env_not_found(name)
            for entry in entries:
                yield entry.Value

    def _plain(self) -> bool:
        return not (self.AsByteStream or self.Encoding == "bytes" or self.Raw or self.Wait or
                    self.Delimiter is not None or self.TotalCount is not None or
                    self.Tail is not None or (self.ReadCount is not None and self.ReadCount != 1))

    def _codec(self) -> Optional[str]:
        codec = self.Encoding
        return None if codec in (None, "utf-8") else codec

    def _read(self, full: str) -> Iterator[Any]:
        if self.AsByteStream or self.Encoding == "bytes":
            yield from self._bytes(full)
            return
        if self.Raw:
            with open_text(full, self._codec(), newline="") as handle:
                text = handle.read()
            if text:
                yield text
            return
        if self.Delimiter is not None:
            yield from self._delimited(full)
            return
        limit = self.TotalCount if self.TotalCount is not None and self.TotalCount >= 0 else None
        tail = self.Tail if self.Tail is not None and self.Tail >= 0 else None
        if self.Wait:
            lines = self._follow(full, tail=tail)
        elif tail is not None:
            lines = iter(_tail_lines(full, tail, self._codec()))
        else:
            lines = self._lines(full)
        if limit is None:
            yield from lines
            return
        if limit == 0:
            return
        count = 0
        for line in lines:
            yield line
            count += 1
            if count >= limit:
                return

    def _lines(self, full: str) -> Iterator[str]:
        with open_text(full, self._codec()) as handle:
            yield from read_lines(handle)

    def _bytes(self, full: str) -> Iterator[Any]:
        with open(full, "rb") as handle:
            data = handle.read()
        if self.Tail is not None:
            data = data[-self.Tail:] if self.Tail > 0 else b""
        if self.TotalCount is not None and self.TotalCount >= 0:
            data = data[: self.TotalCount]
        if self.Raw:
            yield list(data)
        else:
            yield from data

    def _delimited(self, full: str) -> Iterator[str]:
        with open_text(full, self._codec()) as handle:
            text = handle.read()
        # each piece without its delimiter, as PowerShell 7 gives them
        parts = text.split(self.Delimiter) if self.Delimiter else [text]
        pieces = parts[:-1] + ([parts[-1]] if parts[-1] else [])
        limit = self.TotalCount
        if self.Tail is not None:
            pieces = pieces[-self.Tail:] if self.Tail > 0 else []
        for index, piece in enumerate(pieces):
            if limit is not None and 0 <= limit <= index:
                return
            yield piece

    def _follow(self, full: str, tail: Optional[int]) -> Iterator[str]:
        """Print the file (or its last ``tail`` lines), then every line appended to it, until
        the pipeline is stopped."""
        codec = self._codec() or "utf-8"
        if tail is not None:
            yield from _tail_lines(full, tail, codec)
            position = os.path.getsize(full)
        else:
            position = 0
        pending = b""
        while True:
            try:
                size = os.path.getsize(full)
            except OSError:
                size = position
            if size < position:      # truncated or replaced: start again from the top
                position, pending = 0, b""
            if size > position:
                with open(full, "rb") as handle:
                    handle.seek(position)
                    data = handle.read(size - position)
                position += len(data)
                if position == len(data) and data.startswith(b"\xef\xbb\xbf"):
                    data = data[3:]
                lines = (pending + data).split(b"\n")
                pending = lines.pop()
                for raw in lines:
                    text = raw.decode(codec, errors="replace")
                    yield text[:-1] if text.endswith("\r") else text
                continue
            if self._wait_stop(_WAIT_POLL):
                return

    def _wait_stop(self, seconds: float) -> bool:
        waiter = getattr(self.runspace, "wait_stop", None)
        if waiter is not None:
            return bool(waiter(seconds))
        import time
        time.sleep(seconds)
        return bool(self.stopping)

    def _batched(self, items: Iterator[Any]) -> Iterator[Any]:
        size = self.ReadCount if self.ReadCount is not None else 1
        if self.Raw or size == 1 or (self.AsByteStream and size < 0):
            yield from items
            return
        if size <= 0:
            whole = list(items)
            if whole:
                yield whole
            return
        batch: List[Any] = []
        for item in items:
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


# --------------------------------------------------------------------------- writers

class _WriterCmdlet(PathCmdlet):
    """Collects -Value/pipeline input, then writes every target file at the end."""

    append = False

    def begin(self) -> None:
        self._values: List[Any] = []
        self._seen_input = False
        self._size = 0                          # about how many characters _values make
        self._files: Optional[StreamedFiles] = None

    def process(self) -> None:
        value = self._input_value()
        if value is None and not self._seen_input and not self.is_bound("Value") \
                and not self.is_bound("InputObject"):
            return
        self._seen_input = True
        values = self._values
        if isinstance(value, (list, tuple)):
            for item in enumerate_value(value):
                values.append(item)
                self._size += text_size(item)
        else:
            values.append(value)
            self._size += text_size(value)
        if self._size > _writer.SPILL:
            self._spill()

    def _spill(self) -> None:
        """Past SPILL characters: open the files (once) and write what is held."""
        self._size = 0
        if self._files is None:
            if not self._streams():
                self._size = -(1 << 62)         # held to the end, as before
                return
            self._files = StreamedFiles(self._stream_targets(), self.append, self._open_target,
                                        lambda exc, full: self.io_error(exc, full, "WriteError"))
        text = self._text(final=False)
        self._values = []
        self._files.write(text)

    def _streams(self) -> bool:
        """Whether this writer may write as input arrives (not for -PassThru, -WhatIf, bytes,
        or the Env: drive, which need the whole input)."""
        if getattr(self, "PassThru", False) or what_if(self) or must_confirm(self) or \
                getattr(self, "AsByteStream", False) or getattr(self, "Encoding", None) == "bytes":
            return False
        literal = getattr(self, "LiteralPath", None) is not None
        given = self.LiteralPath if literal else self.Path
        return all(env_name(to_str(raw)) is None for raw in _as_paths(given))

    def _stream_targets(self) -> List[str]:
        return self._targets()

    def _finish_streaming(self) -> None:
        files = self._files
        assert files is not None
        files.write(self._text())
        self._values = []
        files.close()

    def _input_value(self) -> Any:
        return getattr(self, "Value", None)

    def _targets(self) -> List[str]:
        literal = getattr(self, "LiteralPath", None) is not None
        given = self.LiteralPath if literal else self.Path
        self.require_path()
        out = []
        for raw in _as_paths(given):
            text = to_str(raw)
            if env_name(text) is not None:
                if not self.env_drive:
                    self.write_error(self.error_record(
                        f"{self.name} cannot write to the Env: drive ('{text}'); use "
                        f"$env:NAME = value.", "NotSupportedOnEnvDrive", "InvalidOperation",
                        target=text))
                continue                 # Set-Content / Add-Content: _set_environment
            if not literal and has_wildcards(text):
                matches, _ = self.expand(text, False, bool(getattr(self, "Force", False)))
                files = [m for m in matches if not os.path.isdir(m)]
                if not files:
                    self.not_found(self.absolute(text))
                if getattr(self, "Include", None) or getattr(self, "Exclude", None) or \
                        getattr(self, "Filter", None):
                    files = [m for m in files if self.selected(os.path.basename(m))]
                out += files
            else:
                out.append(self.absolute(text))
        return out

    def _text(self, final: bool = True) -> str:
        pieces = [to_str(v) for v in self._values]
        if getattr(self, "NoNewline", False):
            return "".join(pieces)
        return "".join(p + "\n" for p in pieces)

    def _write(self, full: str, text: str, append: bool) -> bool:
        if os.path.isdir(full):
            self.write_error(self.error_record(
                f"Access to the path '{full}' is denied.", "UnauthorizedAccessError",
                "PermissionDenied", target=full))
            return False
        try:
            with self._open_target(full, append) as handle:
                handle.write(text)
        except OSError as exc:
            self.io_error(exc, full, "WriteError")
            return False
        return True

    def _open_target(self, full: str, append: bool) -> IO[str]:
        if os.path.isdir(full):
            raise IsADirectoryError(21, "Is a directory", full)
        codec = getattr(self, "Encoding", None) or "utf-8"
        if codec == "bytes":
            codec = "latin-1"
        if not os.path.isdir(os.path.dirname(full)):
            raise OSError(2, "No such file or directory", full)
        if getattr(self, "Force", False) and os.path.exists(full) \
                and not os.access(full, os.W_OK):
            os.chmod(full, os.stat(full).st_mode | 0o200)
        # "utf-16"/"utf-32"/"utf-8-sig" write a byte order mark, except when appending to
        # a file that already has content (TextIOWrapper knows the position)
        codec = _WRITE_CODECS.get(codec, codec)
        return open(full, "a" if append else "w", encoding=codec, errors="replace", newline="")


@register
class SetContent(_WriterCmdlet):
    name = "Set-Content"
    synopsis = "Writes new content to a file, replacing what it held."
    params = (
        Param("Path", "string[]", position=0, by_property=True),
        Param("LiteralPath", "string[]", aliases=("PSPath", "LP"), by_property=True),
        Param("Value", "object[]", position=1, pipeline=True, by_property=True),
        Param("NoNewline", "switch"),
        Param("PassThru", "switch"),
        Param("Encoding", encoding_of),
        Param("Force", "switch"),
        Param("AsByteStream", "switch"),
        Param("Filter", "string"),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
        *SHOULD_PROCESS_PARAMS,
    )

    env_drive = True

    @property
    def _action(self) -> str:
        return "Add Content" if self.append else "Set Content"

    def end(self) -> Iterator[Any]:
        if self._files is not None:             # the input passed SPILL: written as it came
            self._finish_streaming()
            return
        text = self._text()
        if self._set_environment() and self.PassThru:
            yield from self._values
        for full in self._targets():
            if not self.should_process(f"Path: {full}", self._action):
                continue
            if self.AsByteStream:
                ok = self._write_bytes(full, append=self.append)
            else:
                ok = self._write(full, text, self.append)
            if ok and self.PassThru:
                yield from self._values

    def _set_environment(self) -> bool:
        """``Set-Content Env:NAME v`` sets the variable (the values one per line); Add-Content
        appends to it.  True when a variable was written."""
        given = self.LiteralPath if self.LiteralPath is not None else self.Path
        written = False
        for raw in _as_paths(given):
            name = env_name(raw)
            if name is None:
                continue
            if not name or has_wildcards(name):
                self.write_error(self.error_record(
                    f"Name one environment variable to write: '{to_str(raw)}' does not.",
                    "EnvironmentVariableName", "InvalidArgument", target=to_str(raw)))
                continue
            joiner = "" if self.NoNewline else "\n"
            value = joiner.join(to_str(v) for v in self._values)
            if self.append:
                value = self.runspace.environ.get(name, "") + value
            if not self.should_process(f"Item: {name}", self._action):
                continue
            try:
                self.runspace.set_env(name, value or None)
            except RuntimeException as exc:
                self.write_error(exc.record)
                continue
            written = True
        return written

    def _write_bytes(self, full: str, append: bool) -> bool:
        try:
            data = bytes(int(v) & 0xFF for v in self._values)
            with open(full, "ab" if append else "wb") as handle:
                handle.write(data)
        except (OSError, ValueError, TypeError) as exc:
            message = os_message(exc, full) if isinstance(exc, OSError) else str(exc)
            self.write_error(self.error_record(message, "WriteError", "WriteError", target=full))
            return False
        return True


@register
class AddContent(SetContent):
    name = "Add-Content"
    synopsis = "Appends content to a file, creating it if needed."
    append = True


@register
class OutFile(_WriterCmdlet):
    name = "Out-File"
    synopsis = "Sends output to a file, formatted as the console shows it."
    default_set = "ByPath"
    params = (
        Param("FilePath", "string", position=0, mandatory=("ByPath",), aliases=("Path",),
              sets=("ByPath",)),
        Param("LiteralPath", "string", aliases=("PSPath", "LP"), mandatory=("ByLiteralPath",),
              sets=("ByLiteralPath",)),
        Param("Encoding", encoding_of, position=1),
        Param("InputObject", "psobject", pipeline=True),
        Param("Append", "switch"),
        Param("Force", "switch"),
        Param("NoClobber", "switch", aliases=("NoOverwrite",)),
        Param("Width", "int"),
        Param("NoNewline", "switch"),
        *SHOULD_PROCESS_PARAMS,
    )

    @property
    def Path(self) -> Any:   # the writer base reads .Path
        return self.FilePath

    def _input_value(self) -> Any:
        return self.InputObject

    @property
    def append(self) -> bool:  # type: ignore[override]
        return bool(self.Append)

    def process(self) -> None:
        if self.is_bound("InputObject") or self.InputObject is not None:
            self._values.append(self.InputObject)
            self._size += text_size(self.InputObject)
            if self._size > _writer.SPILL:
                self._spill()

    def _streams(self) -> bool:
        if self.NoClobber and not self.Append and self._targets() and \
                os.path.exists(self._targets()[0]):
            return False                        # end() says so
        return super()._streams()

    def _stream_targets(self) -> List[str]:
        return self._targets()[:1]

    def end(self) -> None:
        if self._files is not None:             # the input passed SPILL: written as it came
            self._finish_streaming()
            return
        targets = self._targets()
        if not targets:
            return
        full = targets[0]
        if self.NoClobber and os.path.exists(full) and not self.Append:
            self.write_error(self.error_record(
                f"The file '{full}' already exists.", "NoClobber", "ResourceExists", target=full,
                exception_type="System.IO.IOException"))
            return
        if not self.should_process(full, "Output to File"):
            return
        self._write(full, self._text(), bool(self.Append))

    def _text(self, final: bool = True) -> str:
        """The held objects formatted as the console shows them (``final``: and what the
        formatter still holds); one formatter for the whole input, so a table's widths come
        from all its rows held so far."""
        formatter: Any = getattr(self, "_formatter", None)
        if formatter is None:
            width = self.Width if self.Width and self.Width > 0 else 120
            try:
                from pshell.engine.format_render import OutDefault
            except ImportError:    # a bare engine without formatting
                formatter = False
            else:
                formatter = OutDefault(width, batch_seconds=None, batch_max=10**9,
                                       location=lambda: self.runspace.location)
            self._formatter = formatter
        if formatter is False:
            lines = [to_str(v) for v in self._values]
        else:
            lines = []
            plain = not self.NoNewline
            for value in self._values:
                kind = type(value)
                if plain and kind in _PLAIN_TEXT and not formatter.holding:
                    text = value if kind is str else to_str(value)     # its own text, as feed
                    lines.append(text.replace("\r\n", "\n") if "\r" in text else text)
                else:
                    lines += formatter.feed(value)
            if final:
                lines += formatter.flush()
        self._values = []
        if self.NoNewline:
            return "".join(lines)
        return "".join(line + "\n" for line in lines)


def content_item(path: str) -> Optional[FileSystemItem]:
    try:
        return FileSystemItem(path)
    except OSError:
        return None
