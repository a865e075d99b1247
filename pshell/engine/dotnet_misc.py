"""Two small .NET classes scripts use for timing and for building text:
``[System.Diagnostics.Stopwatch]`` and ``[System.Text.StringBuilder]`` (and the names of
ProcessModule and FileVersionInfo, so that ``-is`` and ``-eq`` know them as types).

``dotnet_types`` merges ``STATIC_METHODS`` (``::StartNew()``, ``::new()``...) and ``KNOWN_TYPES``
into its own tables.
"""

from __future__ import annotations

import datetime as _dt
import time

from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional

__all__ = ["Stopwatch", "StringBuilder", "STATIC_METHODS", "STATIC_PROPS", "KNOWN_TYPES"]

#: ticks per second of Stopwatch.GetTimestamp(): nanoseconds, as .NET on Linux
FREQUENCY = 1_000_000_000


class Stopwatch:
    """Measures elapsed time on the monotonic clock; it can be stopped and started again and
    adds up the running intervals."""

    ps_type_names = ("System.Diagnostics.Stopwatch", "System.Object")
    ps_properties = ("IsRunning", "Elapsed", "ElapsedMilliseconds", "ElapsedTicks")

    def __init__(self) -> None:
        self._total = 0                    # nanoseconds of the finished intervals
        self._started: Optional[int] = None

    def _now_total(self) -> int:
        running = time.monotonic_ns() - self._started if self._started is not None else 0
        return self._total + running

    @property
    def IsRunning(self) -> bool:
        return self._started is not None

    @property
    def Elapsed(self) -> _dt.timedelta:
        return _dt.timedelta(microseconds=self._now_total() // 1000)

    @property
    def ElapsedMilliseconds(self) -> int:
        return self._now_total() // 1_000_000

    @property
    def ElapsedTicks(self) -> int:
        return self._now_total()

    def Start(self) -> None:
        if self._started is None:
            self._started = time.monotonic_ns()

    def Stop(self) -> None:
        if self._started is not None:
            self._total += time.monotonic_ns() - self._started
            self._started = None

    def Reset(self) -> None:
        self._total, self._started = 0, None

    def Restart(self) -> None:
        self._total, self._started = 0, time.monotonic_ns()

    def ToString(self) -> str:
        return "System.Diagnostics.Stopwatch"


def _start_new(args: List[Any]) -> Stopwatch:
    watch = Stopwatch()
    watch.Start()
    return watch


def _elapsed_since(args: List[Any]) -> _dt.timedelta:
    """``GetElapsedTime(start[, end])`` between two GetTimestamp() values."""
    from pshell.engine.values import to_number
    start = int(to_number(args[0]))
    end = int(to_number(args[1])) if len(args) > 1 else time.monotonic_ns()
    return _dt.timedelta(microseconds=(end - start) // 1000)


class StringBuilder:
    """Text built piece by piece; Append* return the builder, so calls chain."""

    ps_type_names = ("System.Text.StringBuilder", "System.Object")
    ps_properties = ("Capacity", "MaxCapacity", "Length")

    def __init__(self, text: str = "", capacity: int = 16) -> None:
        self._parts: List[str] = [text] if text else []
        self._capacity = capacity

    def _text(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    @property
    def Length(self) -> int:
        return len(self._text())

    @Length.setter
    def Length(self, value: Any) -> None:
        from pshell.engine.values import to_number
        size = int(to_number(value))
        if size < 0:
            raise ValueError("Length cannot be less than zero.")
        text = self._text()
        self._parts = [text[:size] + "\0" * (size - len(text))]

    @property
    def Capacity(self) -> int:
        return max(self._capacity, self.Length)

    @property
    def MaxCapacity(self) -> int:
        return 2 ** 31 - 1

    def Append(self, value: Any = None, count: Any = None) -> "StringBuilder":
        text = "" if value is None else to_str(value)
        if count is not None:                   # Append(char, repeatCount)
            from pshell.engine.values import to_number
            text = text * int(to_number(count))
        self._parts.append(text)
        return self

    def AppendLine(self, value: Any = None) -> "StringBuilder":
        return self.Append(("" if value is None else to_str(value)) + "\n")

    def AppendJoin(self, separator: Any, *values: Any) -> "StringBuilder":
        items = values[0] if len(values) == 1 and isinstance(values[0], (list, tuple)) else values
        return self.Append(to_str(separator).join(to_str(v) for v in items))

    def AppendFormat(self, fmt: Any, *values: Any) -> "StringBuilder":
        from pshell.engine.operators import ps_format
        items = list(values[0]) if len(values) == 1 and isinstance(values[0], (list, tuple)) else list(values)
        return self.Append(ps_format(to_str(fmt), items))

    def Insert(self, index: Any, value: Any) -> "StringBuilder":
        text, at = self._text(), int(index)
        if not 0 <= at <= len(text):
            raise IndexError("Index was out of range.")
        self._parts = [text[:at] + to_str(value) + text[at:]]
        return self

    def Remove(self, start: Any, length: Any) -> "StringBuilder":
        text, at, size = self._text(), int(start), int(length)
        if at < 0 or size < 0 or at + size > len(text):
            raise IndexError("Index and length must refer to a location within the string.")
        self._parts = [text[:at] + text[at + size:]]
        return self

    def Replace(self, old: Any, new: Any) -> "StringBuilder":
        self._parts = [self._text().replace(to_str(old), "" if new is None else to_str(new))]
        return self

    def Clear(self) -> "StringBuilder":
        self._parts = []
        return self

    def ToString(self, start: Any = None, length: Any = None) -> str:
        text = self._text()
        if start is None:
            return text
        at = int(start)
        return text[at:at + int(length)] if length is not None else text[at:]

    def __str__(self) -> str:
        return self._text()


def _new_builder(args: List[Any]) -> StringBuilder:
    if args and isinstance(args[0], str):
        return StringBuilder(args[0])
    if args and isinstance(args[0], int) and not isinstance(args[0], bool):
        return StringBuilder("", args[0])
    return StringBuilder(to_str(args[0]) if args and args[0] is not None else "")


_STOPWATCH: Dict[str, Callable[[List[Any]], Any]] = {
    "new": lambda a: Stopwatch(), "startnew": _start_new,
    "gettimestamp": lambda a: time.monotonic_ns(), "getelapsedtime": _elapsed_since,
}
_BUILDER: Dict[str, Callable[[List[Any]], Any]] = {"new": _new_builder}

STATIC_METHODS: Dict[str, Dict[str, Callable[[List[Any]], Any]]] = {
    "diagnostics.stopwatch": _STOPWATCH, "text.stringbuilder": _BUILDER,
}
STATIC_PROPS: Dict[str, Dict[str, Callable[[], Any]]] = {
    "diagnostics.stopwatch": {"frequency": lambda: FREQUENCY, "ishighresolution": lambda: True},
}
#: also named types: what Get-Process -Module / -FileVersionInfo write (engine/proc_modules.py)
_OTHER_TYPES = ("diagnostics.processmodule", "diagnostics.fileversioninfo")
KNOWN_TYPES = frozenset(n for base in (*STATIC_METHODS, *_OTHER_TYPES) for n in (base, "system." + base))
