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


# --------------------------------------------------------------------------- parsing

_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}
_DAY_NAMES = ("mon", "monday", "tue", "tuesday", "wed", "wednesday", "thu", "thursday", "fri",
              "friday", "sat", "saturday", "sun", "sunday")


def parse_loose_datetime(text: str) -> "_dt.datetime | None":
    """Date text in the shapes .NET's DateTime.Parse takes with the invariant culture and that
    strptime formats miss: unpadded ISO parts (``2030-4-5 1:2:3.09``), month names
    (``Jan 1, 2020``, ``1 January 2020 10:30 PM``), ``M/d/yyyy h:mm tt``, a trailing ``Z`` or
    ``+hh:mm`` (the moment is then given in local time, as .NET does). None when it is none of
    these."""
    import re
    s = text.strip()
    zone: "_dt.timezone | None" = None
    m = re.search(r"(?:\s*([zZ])|\s*([+-])(\d{1,2}):?(\d{2}))$", s)
    if m and re.search(r"\d", s[:m.start()] or ""):
        if m.group(1):
            zone = _dt.timezone.utc
        else:
            sign = 1 if m.group(2) == "+" else -1
            zone = _dt.timezone(sign * _dt.timedelta(hours=int(m.group(3)), minutes=int(m.group(4))))
        s = s[:m.start()]
    time_re = r"(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?(?:\s*([aApP][mM]))?"
    date_part, time_part = s, ""
    tm = re.search(r"(?:^|[\sT,])" + time_re + r"$", s)
    if tm:
        date_part = s[:tm.start()].rstrip(" ,T")
        time_part = tm.group(0).lstrip(" ,T")
    year = month = day = None
    words = [w for w in re.split(r"[\s,]+", date_part.lower()) if w and w not in _DAY_NAMES]
    if not date_part.strip():
        today = _dt.date.today()
        year, month, day = today.year, today.month, today.day
    elif re.fullmatch(r"\d{1,4}-\d{1,2}-\d{1,2}", date_part) or re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}",
                                                                             date_part):
        year, month, day = (int(p) for p in re.split(r"[-/]", date_part))
    elif re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2,4}", date_part):
        month, day, year = (int(p) for p in date_part.split("/"))
        if year < 100:
            year += 2000 if year < 50 else 1900
    elif len(words) in (2, 3) and any(w in _MONTHS for w in words):
        named = next(w for w in words if w in _MONTHS)
        rest = [w for w in words if w is not named]
        if not all(w.isdigit() for w in rest):
            return None
        month = _MONTHS[named]
        if len(rest) == 2:
            day, year = int(rest[0]), int(rest[1])
        else:
            day, year = int(rest[0]), _dt.date.today().year
    else:
        return None
    hour = minute = second = micro = 0
    if time_part:
        t = re.fullmatch(time_re, time_part)
        if t is None:
            return None
        hour, minute = int(t.group(1)), int(t.group(2))
        second = int(t.group(3) or 0)
        micro = int((t.group(4) or "0").ljust(7, "0")[:6])
        if t.group(5):
            if hour > 12:
                return None
            hour = hour % 12 + (12 if t.group(5).lower() == "pm" else 0)
    try:
        value = _dt.datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return None
    if zone is not None:
        try:
            value = value.replace(tzinfo=zone).astimezone().replace(tzinfo=None)
        except (OverflowError, ValueError, OSError):   # a moment near year 1 or 9999
            value = value.replace(tzinfo=None)
    return value


# --------------------------------------------------------------------------- -UFormat

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


def uformat(value: _dt.datetime, fmt: str) -> str:
    """``Get-Date -UFormat``: the Unix ``date`` specifiers, with pwsh's readings of them (``%c``
    is ``Tue 01 Jan 2030 00:00:00``, ``%C``, ``%U`` and ``%W`` are not zero-padded, years are four
    digits even before 1000). An unknown specifier is kept as written."""
    out = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%" or i + 1 >= len(fmt):
            out.append(ch)
            i += 1
            continue
        out.append(_uformat_code(value, fmt[i + 1]))
        i += 2
    return "".join(out)


def _offset(value: _dt.datetime) -> _dt.timedelta:
    if value.tzinfo is not None:
        return value.utcoffset() or _dt.timedelta(0)
    try:
        return value.astimezone().utcoffset() or _dt.timedelta(0)
    except (OverflowError, ValueError, OSError):
        return _dt.datetime.now().astimezone().utcoffset() or _dt.timedelta(0)


def _uformat_code(value: _dt.datetime, code: str) -> str:
    day_name = _DAYS[value.weekday()]
    month_name = _MONTH_NAMES[value.month - 1]
    sunday_based = (value.weekday() + 1) % 7
    day_of_year = value.timetuple().tm_yday
    iso_year, iso_week, _ = value.isocalendar()
    simple = {
        "a": day_name[:3], "A": day_name, "b": month_name[:3], "h": month_name[:3],
        "B": month_name, "C": str(value.year // 100), "d": f"{value.day:02d}",
        "D": f"{value.month:02d}/{value.day:02d}/{value.year % 100:02d}", "e": f"{value.day:>2d}",
        "F": f"{value.year:04d}-{value.month:02d}-{value.day:02d}", "g": f"{iso_year % 100:02d}",
        "G": f"{iso_year:04d}", "H": f"{value.hour:02d}", "I": f"{value.hour % 12 or 12:02d}",
        "j": f"{day_of_year:03d}", "k": f"{value.hour:>2d}", "l": f"{value.hour % 12 or 12:>2d}",
        "m": f"{value.month:02d}", "M": f"{value.minute:02d}", "n": "\n", "t": "\t",
        "p": "AM" if value.hour < 12 else "PM", "S": f"{value.second:02d}",
        "u": str(value.isoweekday()), "w": str(sunday_based), "V": f"{iso_week:02d}",
        "U": str((day_of_year - 1 + 7 - sunday_based) // 7),
        "W": str((day_of_year - 1 + 7 - value.weekday()) // 7),
        "y": f"{value.year % 100:02d}", "Y": f"{value.year:04d}", "%": "%",
    }
    if code in simple:
        return simple[code]
    if code in "TX":
        return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if code == "x":
        return simple["D"]
    if code == "R":
        return f"{value.hour:02d}:{value.minute:02d}"
    if code == "r":
        return f"{value.hour % 12 or 12:02d}:{value.minute:02d}:{value.second:02d} {simple['p']}"
    if code == "c":
        return (f"{day_name[:3]} {value.day:02d} {month_name[:3]} {value.year:04d} "
                f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}")
    if code == "s":
        epoch = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
        naive_utc = value.replace(tzinfo=None) - _offset(value)
        return str(int((naive_utc.replace(tzinfo=_dt.timezone.utc) - epoch).total_seconds()))
    if code == "Z":
        hours = int(_offset(value).total_seconds() // 3600)
        return f"{'+' if hours >= 0 else '-'}{abs(hours):02d}"
    if code == "z":
        minutes = int(_offset(value).total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        minutes = abs(minutes)
        return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    return "%" + code


class HintedDate(_dt.datetime):
    """A datetime from ``Get-Date -DisplayHint``: shown as its date, its time or both."""

    DisplayHint = "DateTime"


def with_display_hint(value: _dt.datetime, hint: str) -> _dt.datetime:
    hinted = HintedDate.combine(value.date(), value.timetz())
    hinted.DisplayHint = hint
    return hinted
