""".NET date format strings (``yyyy-MM-dd HH:mm:ss``, ``o``, ``s``, ``D``...) on Python datetimes."""

from __future__ import annotations

import datetime as _dt

__all__ = ["format_datetime"]

_STANDARD = {
    "d": "MM/dd/yyyy", "D": "dddd, MMMM d, yyyy", "t": "h:mm tt", "T": "h:mm:ss tt",
    "f": "dddd, MMMM d, yyyy h:mm tt", "F": "dddd, MMMM d, yyyy h:mm:ss tt",
    "g": "MM/dd/yyyy h:mm tt", "G": "MM/dd/yyyy HH:mm:ss", "s": "yyyy-MM-ddTHH:mm:ss",
    "u": "yyyy-MM-dd HH:mm:ssZ", "M": "MMMM d", "m": "MMMM d", "Y": "MMMM yyyy", "y": "MMMM yyyy",
}


def format_datetime(value: _dt.datetime, fmt: str) -> str:
    if fmt in ("o", "O"):
        text = value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0"
        if value.tzinfo is not None:
            offset = value.strftime("%z")
            text += offset[:3] + ":" + offset[3:]
        return text
    if fmt in ("r", "R"):
        return value.strftime("%a, %d %b %Y %H:%M:%S GMT")
    if len(fmt) == 1 and fmt in _STANDARD:
        fmt = _STANDARD[fmt]
    out = []
    i = 0
    n = len(fmt)
    while i < n:
        ch = fmt[i]
        if ch in "'\"":
            end = fmt.find(ch, i + 1)
            end = n if end < 0 else end
            out.append(fmt[i + 1:end])
            i = end + 1
            continue
        if ch == "\\" and i + 1 < n:
            out.append(fmt[i + 1])
            i += 2
            continue
        j = i
        while j < n and fmt[j] == ch:
            j += 1
        count = j - i
        out.append(_token(value, ch, count))
        i = j
    return "".join(out)


def _named(value: _dt.datetime, count: int, full: str, abbreviated: str, number: int) -> str:
    """A month or day field: MMMM/dddd the name, MMM/ddd its abbreviation, MM/dd two digits, M/d
    the number."""
    if count >= 4:
        return value.strftime(full)
    if count == 3:
        return value.strftime(abbreviated)
    return f"{number:02d}" if count == 2 else str(number)


def _token(value: _dt.datetime, ch: str, count: int) -> str:
    if ch == "y":
        return f"{value.year % 100:02d}" if count == 2 else (
            str(value.year % 100) if count == 1 else f"{value.year:0{count}d}")
    if ch == "M":
        return _named(value, count, "%B", "%b", value.month)
    if ch == "d":
        return _named(value, count, "%A", "%a", value.day)
    if ch == "H":
        return f"{value.hour:02d}" if count >= 2 else str(value.hour)
    if ch == "h":
        hour = value.hour % 12 or 12
        return f"{hour:02d}" if count >= 2 else str(hour)
    if ch == "m":
        return f"{value.minute:02d}" if count >= 2 else str(value.minute)
    if ch == "s":
        return f"{value.second:02d}" if count >= 2 else str(value.second)
    if ch in "fF":
        digits = f"{value.microsecond:06d}0"[:count]
        return digits.rstrip("0") if ch == "F" else digits
    if ch == "t":
        text = "AM" if value.hour < 12 else "PM"
        return text[:count]
    if ch == "z":
        offset = value.utcoffset() if value.tzinfo else _dt.datetime.now().astimezone().utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        sign = "+" if minutes >= 0 else "-"
        minutes = abs(minutes)
        if count == 1:
            return f"{sign}{minutes // 60}"
        if count == 2:
            return f"{sign}{minutes // 60:02d}"
        return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    if ch == "K":
        return "Z" if value.tzinfo is not None and value.utcoffset() == _dt.timedelta(0) else ""
    return ch * count
