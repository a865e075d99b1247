"""``[DateTimeOffset]``: a point in time together with the offset from UTC it was written with.

It is an aware ``datetime`` subclass, so comparison, sorting and ``-`` work as for dates; the
members that differ from ``[DateTime]``'s (``DateTime``, ``LocalDateTime``, ``UtcDateTime``,
``Offset``, ``EqualsExact``...) are in ``ps_props`` / ``ps_methods``, which members.py consults
before its DateTime tables.  A date without a zone (pshell's local/unspecified DateTime) is read as
local time where an offset is needed.
"""

from __future__ import annotations

import datetime as _dt

from pshell.engine.values import PSTypeInfo, to_number, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List

__all__ = ["DateTimeOffset", "from_datetime", "to_datetimeoffset", "STATIC_METHODS", "STATIC_PROPS",
           "KNOWN_TYPES"]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_ZERO_TICKS = _dt.datetime(1, 1, 1)


def _ticks(naive: _dt.datetime) -> int:
    delta = naive - _ZERO_TICKS
    return (delta.days * 86400 + delta.seconds) * 10**7 + delta.microseconds * 10


def _offset_text(offset: _dt.timedelta, colon: bool = True) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{':' if colon else ''}{minutes % 60:02d}"


class DateTimeOffset(_dt.datetime):
    """An aware datetime typed ``System.DateTimeOffset``."""

    ps_type_names = ("System.DateTimeOffset", "System.ValueType")
    is_offset = True

    @property
    def offset(self) -> _dt.timedelta:
        return self.utcoffset() or _dt.timedelta(0)

    def clock(self) -> _dt.datetime:
        """The wall-clock time as written, without its offset."""
        return _dt.datetime(self.year, self.month, self.day, self.hour, self.minute, self.second,
                            self.microsecond)

    def ps_text(self) -> str:
        return self.clock().strftime("%m/%d/%Y %H:%M:%S") + " " + _offset_text(self.offset)

    def __str__(self) -> str:
        return self.ps_text()


def from_datetime(value: _dt.datetime, offset: Any = None) -> DateTimeOffset:
    """A DateTimeOffset for a DateTime: an aware one keeps its offset, a naive one is local time;
    ``offset`` (a TimeSpan) puts the same wall-clock time at that offset."""
    if offset is not None:
        zone = _dt.timezone(_span(offset))
        base = value.replace(tzinfo=None)
    elif value.tzinfo is not None:
        zone = _dt.timezone(value.utcoffset() or _dt.timedelta(0))
        base = value.replace(tzinfo=None)
    else:
        local = value.astimezone()
        zone = _dt.timezone(local.utcoffset() or _dt.timedelta(0))
        base = value
    return DateTimeOffset(base.year, base.month, base.day, base.hour, base.minute, base.second,
                          base.microsecond, tzinfo=zone)


def to_datetimeoffset(value: Any) -> DateTimeOffset:
    """``[DateTimeOffset]value``: a date (local when it has no zone) or text in a date form."""
    if isinstance(value, DateTimeOffset):
        return value
    if isinstance(value, _dt.datetime):
        return from_datetime(value)
    if isinstance(value, str):
        return _parse([value])
    raise TypeError(to_str(value))


def _span(value: Any) -> _dt.timedelta:
    if isinstance(value, _dt.timedelta):
        if value.total_seconds() % 60:
            raise ValueError("Offset must be specified in whole minutes.")
        if abs(value) > _dt.timedelta(hours=14):
            raise ValueError("Offset must be within plus or minus 14 hours.")
        return value
    raise ValueError(f'Cannot convert "{to_str(value)}" to "System.TimeSpan".')


def _new(args: List[Any]) -> DateTimeOffset:
    """``::new(datetime[, offset])``, ``::new(ticks, offset)``, ``::new(y, M, d, h, m, s,
    [ms, [µs,]] offset)``."""
    if len(args) in (1, 2) and isinstance(args[0], _dt.datetime):
        return from_datetime(args[0], args[1] if len(args) == 2 else None)
    if len(args) == 2:
        ticks = int(to_number(args[0]))
        naive = _ZERO_TICKS + _dt.timedelta(microseconds=ticks / 10)
        return from_datetime(naive, args[1])
    if len(args) not in (7, 8, 9):
        raise IndexError(len(args))
    parts = [int(to_number(a)) for a in args[:-1]] + [0, 0]
    year, month, day, hour, minute, second, milli, micro = parts[:8]
    naive = _dt.datetime(year, month, day, hour, minute, second) + _dt.timedelta(
        milliseconds=milli, microseconds=micro)
    return from_datetime(naive, args[-1])


def _from_unix(scale: int) -> Callable[[List[Any]], Any]:
    def make(args: List[Any]) -> DateTimeOffset:
        return from_datetime(_EPOCH + _dt.timedelta(seconds=int(to_number(args[0])) / scale))
    return make


def _parse(args: List[Any]) -> DateTimeOffset:
    from pshell.engine.json_read import json_date
    text = to_str(args[0]).strip()
    found = json_date(text, "Offset")
    if isinstance(found, _dt.datetime):
        return found if isinstance(found, DateTimeOffset) else from_datetime(found)
    from pshell.engine.dates import parse_loose_datetime
    loose = parse_loose_datetime(text)
    if loose is None:
        raise ValueError(f"String '{text}' was not recognized as a valid DateTime.")
    return from_datetime(loose)


def _add_ticks(d: DateTimeOffset, a: List[Any]) -> Any:
    return d + _dt.timedelta(microseconds=int(to_number(a[0])) / 10)


def _tostring(d: DateTimeOffset, a: List[Any]) -> str:
    if not a:
        return d.ps_text()
    from pshell.engine.dates import format_datetime
    return format_datetime(d, to_str(a[0]))


def _utc(d: DateTimeOffset) -> _dt.datetime:
    moved = d.astimezone(_dt.timezone.utc)
    return _dt.datetime(moved.year, moved.month, moved.day, moved.hour, moved.minute, moved.second,
                        moved.microsecond, tzinfo=_dt.timezone.utc)


def _local(d: DateTimeOffset) -> _dt.datetime:
    moved = d.astimezone()
    return _dt.datetime(moved.year, moved.month, moved.day, moved.hour, moved.minute, moved.second,
                        moved.microsecond)


def _same_moment(d: DateTimeOffset, other: Any) -> bool:
    return isinstance(other, _dt.datetime) and other.tzinfo is not None and d == other


#: DateTimeOffset's own properties (lower case); members.py falls back to DateTime's
DateTimeOffset.ps_props = {            # type: ignore[attr-defined]
    "datetime": lambda d: d.clock(),
    "localdatetime": _local,
    "utcdatetime": _utc,
    "offset": lambda d: d.offset,
    "ticks": lambda d: _ticks(d.clock()),
    "utcticks": lambda d: _ticks(d.astimezone(_dt.timezone.utc).replace(tzinfo=None)),
    "date": lambda d: _dt.datetime(d.year, d.month, d.day),
    "totaloffsetminutes": lambda d: int(d.offset.total_seconds() // 60),
    "kind": lambda d: None,
}
DateTimeOffset.ps_methods = {          # type: ignore[attr-defined]
    "addticks": _add_ticks,
    "tostring": _tostring,
    "equalsexact": lambda d, a: _same_moment(d, a[0]) and d.utcoffset() == a[0].utcoffset(),
    "equals": lambda d, a: _same_moment(d, a[0]),
    "tounixtimeseconds": lambda d, a: int((d - _EPOCH).total_seconds() // 1),
    "tounixtimemilliseconds": lambda d, a: (d - _EPOCH) // _dt.timedelta(milliseconds=1),
    "touniversaltime": lambda d, a: from_datetime(d.astimezone(_dt.timezone.utc)),
    "tolocaltime": lambda d, a: from_datetime(_local(d)),
    "tooffset": lambda d, a: from_datetime(d.astimezone(_dt.timezone(_span(a[0])))),
    "gettype": lambda d, a: PSTypeInfo("System.DateTimeOffset"),
}

_STATICS: Dict[str, Callable[[List[Any]], Any]] = {
    "new": _new, "parse": _parse,
    "fromunixtimeseconds": _from_unix(1), "fromunixtimemilliseconds": _from_unix(1000),
}
_PROPS: Dict[str, Callable[[], Any]] = {
    "now": lambda: from_datetime(_dt.datetime.now()),
    "utcnow": lambda: from_datetime(_dt.datetime.now(_dt.timezone.utc)),
    "unixepoch": lambda: from_datetime(_EPOCH),
    "minvalue": lambda: DateTimeOffset(1, 1, 1, tzinfo=_dt.timezone.utc),
    "maxvalue": lambda: DateTimeOffset(9999, 12, 31, 23, 59, 59, 999999, tzinfo=_dt.timezone.utc),
}
#: names (lower case, without "system.") as dotnet_types keys its tables
STATIC_METHODS: Dict[str, Dict[str, Callable[[List[Any]], Any]]] = {"datetimeoffset": _STATICS}
STATIC_PROPS: Dict[str, Dict[str, Callable[[], Any]]] = {"datetimeoffset": _PROPS}
KNOWN_TYPES = ("datetimeoffset", "system.datetimeoffset")
