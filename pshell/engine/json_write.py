"""JSON text out of PowerShell values, for ConvertTo-Json: the layout pwsh writes (two-space
indentation, ``"key": value``, or one line with ``compress``), objects deeper than the depth limit
written as their string form, the three -EscapeHandling modes, enums as numbers or names."""

from __future__ import annotations

import datetime as _dt
import math
from decimal import Decimal

from pshell.engine.numbers import PSSingle, format_decimal, format_single
from pshell.engine.values import AutomationNull, PSObject, get_property, properties_of, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple

__all__ = ["JsonWriter", "JsonKeyError"]


class JsonKeyError(ValueError):
    """A dictionary whose key is not a string: JSON has no way to write it."""


def _is_scriptblock(value: Any) -> bool:
    return type(value).__name__ == "ScriptBlock"


class JsonWriter:
    """Newtonsoft-style JSON text: two-space indentation, ``"key": value``; values nested
    deeper than ``depth`` become their string form (and a warning is due)."""

    def __init__(self, depth: int, compress: bool, escape: str = "Default",
                 enums_as_strings: bool = False) -> None:
        self.depth = depth
        self.compress = compress
        self.escape = escape
        self.enums_as_strings = enums_as_strings
        self.truncated = False

    def dump(self, value: Any) -> str:
        out: List[str] = []
        self._value(value, 0, 0, out)
        return "".join(out)

    # ---- pieces ---------------------------------------------------------------------
    def _string(self, text: str) -> str:
        import json
        if self.escape == "EscapeNonAscii":
            return json.dumps(text, ensure_ascii=True)
        encoded = json.dumps(text, ensure_ascii=False)
        if self.escape == "EscapeHtml":
            for ch in "<>&'":
                encoded = encoded.replace(ch, f"\\u{ord(ch):04x}")
        return encoded

    def _newline(self, indent: int) -> str:
        return "" if self.compress else "\n" + "  " * indent

    def _value(self, value: Any, depth: int, indent: int, out: List[str]) -> None:
        noted = None if type(value) is _Bare else _noted_value(value)
        if type(value) is _Bare:
            value = value.inner
        if noted is not None:       # a number, an array, a Uri... with members Add-Member gave it
            if depth > self.depth:
                self.truncated = True
                out.append(self._string(_truncated_text(value)))
            else:
                self._object(noted, depth, indent, out)
            return
        scalar = self._scalar(value)
        if scalar is not None:
            out.append(scalar)
            return
        if depth > self.depth:
            self.truncated = True
            out.append(self._string(_truncated_text(value)))
            return
        if isinstance(value, (list, tuple)):
            self._array(list(value), depth, indent, out)
            return
        self._object(_members(value), depth, indent, out)

    def _scalar(self, value: Any) -> Optional[str]:
        if value is None or value is AutomationNull:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            if type(value) is not int and "System.Enum" in getattr(value, "ps_type_names", ()):
                return self._string(str(value)) if self.enums_as_strings else str(int(value))
            return str(int(value))
        if isinstance(value, float):
            if type(value) is PSSingle and value == value and abs(value) != math.inf:
                return _decimal_place(format_single(value, shortest=True))
            return _json_double(value)
        if type(value) is Decimal:
            return format_decimal(value)
        if isinstance(value, str):
            return self._string(value)
        if isinstance(value, _dt.datetime):
            return self._string(_iso_date(value))
        if _is_scriptblock(value):
            return self._string(to_str(value))
        if hasattr(type(value), "ps_json_text"):     # [Uri]: the text it was made from
            return self._string(value.ps_json_text())
        if type(value).__name__ == "SwitchParameter":
            return "true" if value else "false"
        return None

    def _array(self, items: List[Any], depth: int, indent: int, out: List[str]) -> None:
        if not items:
            out.append("[]")
            return
        out.append("[")
        for index, item in enumerate(items):
            if index:
                out.append(",")
            out.append(self._newline(indent + 1))
            self._value(item, depth + 1, indent + 1, out)
        out.append(self._newline(indent))
        out.append("]")

    def _object(self, pairs: List[Tuple[str, Any]], depth: int, indent: int,
                out: List[str]) -> None:
        if not pairs:
            out.append("{}")
            return
        out.append("{")
        separator = ":" if self.compress else ": "
        for index, (key, item) in enumerate(pairs):
            if index:
                out.append(",")
            out.append(self._newline(indent + 1))
            out.append(self._string(key) + separator)
            self._value(item, depth + 1, indent + 1, out)
        out.append(self._newline(indent))
        out.append("}")


_PROPERTY_KINDS = ("NoteProperty", "AliasProperty", "ScriptProperty", "CodeProperty", "Property")


def _noted_value(value: Any) -> Optional[List[Tuple[str, Any]]]:
    """``value`` and the properties Add-Member put on it, as pwsh writes them (``{"value":...,
    "Note":...}``), for anything but a string, a DateTime and a dictionary (whose notes JSON
    ignores); None when it has none."""
    members = getattr(value, "__dict__", {}).get("ps_members") if hasattr(value, "__dict__") else None
    if not members or isinstance(value, (str, dict, PSObject)):
        return None
    if isinstance(value, _dt.datetime) and not getattr(value, "is_offset", False):
        return None
    props = [m for m in members.values() if m.kind in _PROPERTY_KINDS]
    if not props:
        return None
    if isinstance(value, bool):
        plain: Any = bool(value)
    elif isinstance(value, int):
        plain = int(value)
    elif isinstance(value, float):
        plain = float(value)
    elif isinstance(value, (list, tuple)):
        plain = list(value)
    else:
        plain = _Bare(value)
    return [("value", plain)] + [(m.name, m.read(value)) for m in props]


class _Bare:
    """A value to write without the members Add-Member gave it."""

    __slots__ = ("inner",)

    def __init__(self, inner: Any) -> None:
        self.inner = inner


def _decimal_place(text: str) -> str:
    """A Single's text with a decimal point, as JSON writers give it (``1.0``)."""
    return text if "." in text or "E" in text else text + ".0"


def _json_double(value: float) -> str:
    import math
    if math.isnan(value):
        return '"NaN"'
    if math.isinf(value):
        return '"Infinity"' if value > 0 else '"-Infinity"'
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value)}.0"
    return repr(value).replace("e", "E")


def _iso_date(value: _dt.datetime) -> str:
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    if value.tzinfo is not None:
        offset = value.utcoffset() or _dt.timedelta(0)
        if offset == _dt.timedelta(0) and value.tzinfo is _dt.timezone.utc and not getattr(
                value, "is_offset", False):
            return text + "Z"
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        minutes = abs(minutes)
        text += f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return text


def _truncated_text(value: Any) -> str:
    """What an object past the depth limit is written as: its string form (an array's items
    joined with spaces, each as .NET would write it: an inner array as its type name, a custom
    object as nothing)."""
    if isinstance(value, (list, tuple)):
        return " ".join(_element_text(item) for item in value)
    return to_str(value)


def _element_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "System.Object[]"
    if isinstance(value, PSObject) and "System.Management.Automation.PSCustomObject" in value.type_names:
        return ""
    return to_str(value)


def _timespan_members(value: _dt.timedelta) -> List[Tuple[str, Any]]:
    ticks = (value.days * 86400 + value.seconds) * 10**7 + value.microseconds * 10
    sign = -1 if ticks < 0 else 1
    days, rem = divmod(abs(ticks), 864 * 10**9)
    hours, rem = divmod(rem, 36 * 10**9)
    minutes, rem = divmod(rem, 6 * 10**8)
    seconds, rem = divmod(rem, 10**7)
    return [("Ticks", ticks), ("Days", sign * days), ("Hours", sign * hours),
            ("Milliseconds", sign * (rem // 10**4)), ("Microseconds", sign * ((rem // 10) % 1000)),
            ("Nanoseconds", sign * (rem % 10) * 100), ("Minutes", sign * minutes),
            ("Seconds", sign * seconds), ("TotalDays", ticks / 864e9),
            ("TotalHours", ticks / 36e9), ("TotalMilliseconds", ticks / 1e4),
            ("TotalMicroseconds", ticks / 10), ("TotalNanoseconds", ticks * 100.0),
            ("TotalMinutes", ticks / 6e8), ("TotalSeconds", ticks / 1e7)]


def _members(value: Any) -> List[Tuple[str, Any]]:
    if isinstance(value, dict):
        pairs = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise JsonKeyError(f"The dictionary has a key of type '{type(key).__name__}'; only "
                                   f"dictionaries whose keys are strings can be written as JSON.")
            pairs.append((key, item))
        return pairs
    if isinstance(value, PSObject):
        return value.items()
    if isinstance(value, _dt.timedelta):
        return _timespan_members(value)
    pairs = []
    for name in properties_of(value):
        try:
            pairs.append((name, get_property(value, name, None)))
        except Exception:  # noqa: BLE001 - a property that cannot be read is skipped, as pwsh does
            continue
    return pairs
