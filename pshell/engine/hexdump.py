"""Format-Hex's rows: ``ByteCollection`` (16 bytes at an offset, with the label of what they came
from) and the conversion of pipeline values to the bytes .NET keeps them in."""

from __future__ import annotations

import struct

from pshell.engine.values import PSChar

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Iterator, Optional, Tuple

__all__ = ["ByteCollection", "rows", "value_bytes", "ROW"]

ROW = 16


def _shown(byte: int) -> str:
    """The text column: printable ASCII and Latin-1 as themselves, NUL as a space, others '.'."""
    if byte == 0:
        return " "
    if 0x20 <= byte < 0x7F or byte >= 0xA0:
        return chr(byte)
    return "."


class ByteCollection:
    """One row of a hex dump (PowerShell's Microsoft.PowerShell.Commands.ByteCollection)."""

    ps_type_names = ("Microsoft.PowerShell.Commands.ByteCollection",)
    ps_properties = ("Offset64", "Bytes", "Label", "HexBytes", "Ascii")

    def __init__(self, offset: int, data: bytes, label: str, path: Optional[str] = None) -> None:
        self.Offset64 = offset
        self.Bytes = list(data)
        self.Label = label
        self.Path = path

    @property
    def Offset(self) -> int:
        return self.Offset64 & 0xFFFFFFFF

    @property
    def Length(self) -> int:
        return len(self.Bytes)

    @property
    def Count(self) -> int:
        return 1

    @property
    def HexOffset(self) -> str:
        return f"{self.Offset64:016X}"

    @property
    def HexBytes(self) -> str:
        return " ".join(f"{b:02X}" for b in self.Bytes)

    @property
    def Ascii(self) -> str:
        return "".join(_shown(b) for b in self.Bytes)

    def ToString(self) -> str:
        return f"{self.HexOffset}   {self.HexBytes:<{ROW * 3 - 1}}  {self.Ascii:<{ROW}}"

    def __str__(self) -> str:
        return self.ToString()

    def __repr__(self) -> str:
        return f"<ByteCollection {self.ToString()}>"


def rows(blocks: Iterable[bytes], label: str, offset: int = 0, count: Optional[int] = None,
         path: Optional[str] = None) -> Iterator[ByteCollection]:
    """Rows of 16 bytes from a stream of blocks, skipping ``offset`` bytes and stopping after
    ``count``; the rows' offsets count from the start of the data."""
    skip = offset
    left = count
    pending = b""
    position = offset
    for block in blocks:
        if skip:
            taken = min(skip, len(block))
            block = block[taken:]
            skip -= taken
        if left is not None:
            block = block[:left]
            left -= len(block)
        pending += block
        while len(pending) >= ROW:
            yield ByteCollection(position, pending[:ROW], label, path)
            position += ROW
            pending = pending[ROW:]
        if left == 0:
            break
    if pending:
        yield ByteCollection(position, pending, label, path)


#: .NET's size and struct code for the scalar types Format-Hex takes
_INT_FORMATS = (("<i", "System.Int32", -2**31, 2**31), ("<q", "System.Int64", -2**63, 2**63))


def value_bytes(value: Any) -> Optional[Tuple[str, bytes]]:
    """(type name, bytes) of a number, bool or char as .NET lays it out in memory (little
    endian); None for what has no such layout."""
    if isinstance(value, bool):
        return "System.Boolean", struct.pack("<i", int(value))
    if isinstance(value, PSChar):
        return "System.Char", value.encode("utf-16-le")
    if isinstance(value, int):
        for fmt, name, low, high in _INT_FORMATS:
            if low <= value < high:
                return name, struct.pack(fmt, value)
        if 0 <= value < 2**64:
            return "System.UInt64", struct.pack("<Q", value)
        return None
    if isinstance(value, float):
        return "System.Double", struct.pack("<d", value)
    return None
