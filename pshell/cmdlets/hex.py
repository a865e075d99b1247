"""Format-Hex: files, strings and numbers as rows of hexadecimal bytes (engine/hexdump.py)."""

from __future__ import annotations

import os

from pshell.cmdlets.item import FileSystemItem, PathCmdlet
from pshell.engine.binder import ranged
from pshell.engine.cmdlet import Param, register
from pshell.engine.dotnet_types import encoding_named
from pshell.engine.format import register_view
from pshell.engine.hexdump import ByteCollection, rows, value_bytes
from pshell.engine.values import to_str, type_name_of
from pshell.engine.wildcards import has_wildcards

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional

__all__ = ["FormatHex"]

_BLOCK = 1 << 16


#: -Count at least 1, -Offset at least 0 (the binder's [ValidateRange()] checks)
_COUNT = ranged("long", 1, 2**63 - 1)
_OFFSET = ranged("long", 0, 2**63 - 1)


def _encoding(value: Any) -> Any:
    return encoding_named(value)


@register
class FormatHex(PathCmdlet):
    name = "Format-Hex"
    synopsis = "Shows the bytes of files, strings or numbers as rows of hexadecimal and text."
    output_type = "Microsoft.PowerShell.Commands.ByteCollection"
    dotnet_class = "FormatHex"
    # one parameter set: process() picks -Path, -LiteralPath or the input object, so that a
    # string or number piped in is never taken for a missing -Path
    params = (
        Param("Path", "string[]", position=0),
        Param("LiteralPath", "string[]", aliases=("PSPath", "LP"), by_property=True),
        Param("InputObject", "object", pipeline=True),
        Param("Encoding", _encoding),
        Param("Count", _COUNT),
        Param("Offset", _OFFSET),
        Param("Raw", "switch"),
    )

    def begin(self) -> None:
        self._kind: Optional[str] = None
        self._pending: List[bytes] = []
        self._direct = self.InputObject is not None      # -InputObject on the command line

    def process(self) -> Iterator[Any]:
        if self.Path is not None or self.LiteralPath is not None:
            literal = self.LiteralPath is not None
            for raw in (self.LiteralPath if literal else self.Path) or []:
                yield from self._path(raw, literal)
            return
        value = self.InputObject
        if value is None and not self._direct:
            raise self.terminate("Format-Hex needs -Path, -LiteralPath or -InputObject (or input "
                                 "from the pipeline).", "MissingInput", "InvalidArgument")
        items = value if isinstance(value, (list, tuple)) and self._direct else [value]
        for item in items:
            yield from self._one(item)

    def end(self) -> Iterator[Any]:
        yield from self._flush()

    def _one(self, item: Any) -> Iterator[Any]:
        if isinstance(item, FileSystemItem):
            yield from self._flush()
            yield from self._path(item.FullName, literal=True)
            return
        if isinstance(item, str) and type(item).__name__ != "PSChar":
            yield from self._flush()
            codec = self.Encoding or encoding_named("utf8")
            yield from self._rows([codec.encode(item)], "System.String")
            return
        laid_out = value_bytes(item)
        if laid_out is None:
            yield from self._flush()
            self.write_error(self.error_record(
                f"Format-Hex cannot show a value of type '{type_name_of(item)}': give it strings, "
                f"numbers, booleans, characters or files.", "FormatHexTypeNotSupported",
                "InvalidArgument", target=item))
            return
        kind, data = laid_out
        if kind != self._kind:
            yield from self._flush()
            self._kind = kind
        self._pending.append(data)

    def _flush(self) -> Iterator[Any]:
        if self._pending:
            yield from self._rows([b"".join(self._pending)], self._kind or "")
        self._pending = []
        self._kind = None

    def _rows(self, blocks: Any, label: str, path: Optional[str] = None) -> Iterator[ByteCollection]:
        return rows(blocks, label, self.Offset or 0, self.Count, path)

    def _path(self, raw: Any, literal: bool) -> Iterator[Any]:
        if raw is None:
            return
        text = to_str(raw)
        drive = text.split(":", 1)[0] if ":" in text and not text.startswith("/") else ""
        if drive and drive.lower() not in ("filesystem", "microsoft.powershell.core\\filesystem") \
                and "/" not in drive and "\\" not in drive and not self._file_drive(drive):
            self.write_error(self.error_record(
                f"Format-Hex reads files only; '{text}' is on the {drive}: drive.",
                "FormatHexOnlySupportsFileSystemPaths", "InvalidArgument", target=text))
            return
        if not literal and has_wildcards(text):
            paths = self.expand(text)[0]
        else:
            paths = [self.absolute(text)]
        for full in paths:
            yield from self._file(full)

    def _file_drive(self, drive: str) -> bool:
        try:
            self.resolve_path(drive + ":/")
        except Exception:
            return False
        return True

    def _file(self, full: str) -> Iterator[Any]:
        if os.path.isdir(full):
            self.write_error(self.error_record(
                f"'{full}' is a folder: Format-Hex reads files.", "FormatHexCannotReadFolder",
                "InvalidArgument", target=full))
            return
        try:
            handle = open(full, "rb")
        except FileNotFoundError:
            self.write_error(self.error_record(
                f"Cannot find path '{full}' because it does not exist.", "FileNotFound",
                "ObjectNotFound", target=full))
            return
        except OSError as exc:
            self.write_error(self.error_record(
                f"Cannot read '{full}': {exc.strerror or exc}.", "FileReadError", "ReadError",
                target=full))
            return
        with handle:
            if self.Offset:
                handle.seek(self.Offset)
            blocks = iter(lambda: handle.read(_BLOCK), b"")
            yield from rows(blocks, full, self.Offset or 0, self.Count, full) if not self.Offset \
                else self._seeked(blocks, full)

    def _seeked(self, blocks: Any, full: str) -> Iterator[ByteCollection]:
        for row in rows(blocks, full, 0, self.Count, full):    # the file was sought to -Offset
            row.Offset64 += self.Offset
            yield row


register_view(ByteCollection.ps_type_names[0], "custom", render=lambda row: row.ToString(),
              group_by="Label", group_label="   Label: {0}")
