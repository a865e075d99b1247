"""``[System.Text.StringBuilder]``: text built up piece by piece.

``Append``/``AppendLine``/``Insert``/``Remove``/``Replace``/``Clear`` return the builder itself (so
calls chain, and a script writes ``[void]`` or ``$null =`` before them, as in PowerShell);
``ToString()`` gives the text, ``Length`` its length (settable, to cut it short).
"""

from __future__ import annotations


from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List

__all__ = ["StringBuilder", "CONSTRUCTORS"]


class StringBuilder:
    ps_type_names = ("System.Text.StringBuilder", "System.Object")
    ps_properties = ("Capacity", "MaxCapacity", "Length")
    __slots__ = ("_parts",)

    def __init__(self, text: str = "") -> None:
        self._parts: List[str] = [text] if text else []

    def _joined(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    @property
    def Length(self) -> int:
        return len(self._joined())

    @Length.setter
    def Length(self, value: Any) -> None:
        size = int(value)
        text = self._joined()
        if size < 0:
            raise ValueError("Length cannot be less than zero.")
        self._parts = [text[:size] + "\0" * (size - len(text))]

    @property
    def Capacity(self) -> int:
        return max(16, self.Length)

    @property
    def MaxCapacity(self) -> int:
        return 2**31 - 1

    def Append(self, value: Any = None, *rest: Any) -> "StringBuilder":
        if rest:                                # Append(char, repeatCount)
            self._parts.append(to_str(value) * int(rest[0]))
        elif value is not None:
            self._parts.append(to_str(value))
        return self

    def AppendLine(self, value: Any = None) -> "StringBuilder":
        if value is not None:
            self._parts.append(to_str(value))
        self._parts.append("\n")
        return self

    def AppendFormat(self, fmt: Any, *args: Any) -> "StringBuilder":
        from pshell.engine.operators import ps_format
        self._parts.append(ps_format(fmt, list(args)))
        return self

    def AppendJoin(self, separator: Any, *values: Any) -> "StringBuilder":
        items = values[0] if len(values) == 1 and isinstance(values[0], (list, tuple)) else values
        self._parts.append(to_str(separator).join(to_str(v) for v in items))
        return self

    def Insert(self, index: Any, value: Any) -> "StringBuilder":
        text = self._joined()
        at = int(index)
        if not 0 <= at <= len(text):
            raise ValueError("Index was out of range.")
        self._parts = [text[:at] + to_str(value) + text[at:]]
        return self

    def Remove(self, start: Any, length: Any) -> "StringBuilder":
        text = self._joined()
        begin, count = int(start), int(length)
        if begin < 0 or count < 0 or begin + count > len(text):
            raise ValueError("Index and length must refer to a location within the string.")
        self._parts = [text[:begin] + text[begin + count:]]
        return self

    def Replace(self, old: Any, new: Any) -> "StringBuilder":
        self._parts = [self._joined().replace(to_str(old), "" if new is None else to_str(new))]
        return self

    def Clear(self) -> "StringBuilder":
        self._parts = []
        return self

    def ToString(self, start: Any = None, length: Any = None) -> str:
        text = self._joined()
        if start is None:
            return text
        return text[int(start):int(start) + int(length)]

    def __str__(self) -> str:
        return self._joined()


def _new(args: List[Any]) -> StringBuilder:
    """``::new()``, ``::new(capacity)``, ``::new(text)`` and ``::new(text, capacity)``."""
    first = args[0] if args else None
    if first is None or (isinstance(first, int) and not isinstance(first, bool)):
        return StringBuilder()
    return StringBuilder(to_str(first))


#: names (lower case, without "system.") -> constructors; dotnet_types adds them to its table
CONSTRUCTORS = {"text.stringbuilder": _new, "stringbuilder": _new}
