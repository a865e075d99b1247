"""The .NET members of pshell's plain values: the properties and methods of strings, arrays,
hashtables, dates, time spans and numbers, as tables keyed by the lower-case member name.
``members.py`` looks a name up here by the kind of the value; the tables hold no dispatch."""

from __future__ import annotations

try:                            # datetime's classes from the C module datetime.py re-exports:
    import _datetime as _dt     # datetime.py first defines them in Python (~0.6 ms of start-up)
except ImportError:
    import datetime as _dt

from pshell.engine import numbers
from pshell.engine.errors import RuntimeException
from pshell.engine.values import Guid, Hashtable, PSChar, PSObject, PSTypeInfo, format_number, to_number, \
    to_str, type_names_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional

__all__ = ["member_error", "nth_arg", "STR_PROPS", "LIST_PROPS", "DICT_PROPS", "DATE_PROPS", "SPAN_PROPS",
           "STRING_METHODS", "LIST_METHODS", "DICT_METHODS", "CONCURRENT_METHODS", "DATE_METHODS",
           "NUMBER_METHODS", "RETURNS_NULL"]


def member_error(message: str, error_id: str, category: str = "InvalidOperation",
                 exception_type: str = "System.Management.Automation.RuntimeException") -> RuntimeException:
    return RuntimeException.make(message, error_id, category, exception_type=exception_type)


# --------------------------------------------------------------------------- properties

STR_PROPS: Dict[str, Callable[[str], Any]] = {"length": len}
LIST_PROPS: Dict[str, Callable[[Any], Any]] = {"count": len, "length": len, "longlength": len,
                                               "rank": lambda v: 1, "isfixedsize": lambda v: True}
DICT_PROPS: Dict[str, Callable[[Any], Any]] = {
    "count": len, "keys": lambda d: list(d.keys()), "values": lambda d: list(d.values()),
    "issynchronized": lambda d: False, "isreadonly": lambda d: False,
}
DATE_PROPS: Dict[str, Callable[[_dt.datetime], Any]] = {
    "year": lambda d: d.year, "month": lambda d: d.month, "day": lambda d: d.day,
    "hour": lambda d: d.hour, "minute": lambda d: d.minute, "second": lambda d: d.second,
    "millisecond": lambda d: d.microsecond // 1000, "dayofweek": lambda d: d.strftime("%A"),
    "dayofyear": lambda d: d.timetuple().tm_yday, "date": lambda d: d.replace(
        hour=0, minute=0, second=0, microsecond=0), "ticks": lambda d: _ticks(d),
    "timeofday": lambda d: _dt.timedelta(hours=d.hour, minutes=d.minute, seconds=d.second,
                                         microseconds=d.microsecond),
    "kind": lambda d: ("Utc" if d.tzinfo is not None and d.utcoffset() == _dt.timedelta(0)
                       else "Local"),
    # PowerShell's extended DateTime property: the long date and the long time
    "datetime": lambda d: (d.strftime("%A, %B %d, %Y").replace(" 0", " ") + " "
                           + d.strftime("%I:%M:%S %p").lstrip("0")),
}
def _span_component(span: _dt.timedelta, unit: float, modulo: int) -> int:
    """Hours, Minutes or Seconds of a TimeSpan: whole units truncated toward zero, signed as the
    span is."""
    seconds = span.total_seconds()
    if seconds >= 0:
        return int(seconds / unit) % modulo
    return -(int(-seconds / unit) % modulo)


SPAN_PROPS: Dict[str, Callable[[_dt.timedelta], Any]] = {
    "days": lambda t: int(t.total_seconds() / 86400),
    "hours": lambda t: _span_component(t, 3600, 24),
    "minutes": lambda t: _span_component(t, 60, 60),
    "seconds": lambda t: _span_component(t, 1, 60),
    "milliseconds": lambda t: int(round(t.total_seconds() * 1000)) % 1000,
    "ticks": lambda t: int(round(t.total_seconds() * 10**7)),
    "totaldays": lambda t: t.total_seconds() / 86400, "totalhours": lambda t: t.total_seconds() / 3600,
    "totalminutes": lambda t: t.total_seconds() / 60, "totalseconds": lambda t: t.total_seconds(),
    "totalmilliseconds": lambda t: t.total_seconds() * 1000,
}


def _ticks(d: _dt.datetime) -> int:
    naive = d.replace(tzinfo=None)
    return int((naive - _dt.datetime(1, 1, 1)).total_seconds() * 10**7)


# --------------------------------------------------------------------------- methods

def nth_arg(args: List[Any], i: int, default: Any = None) -> Any:
    return args[i] if len(args) > i else default


def _str_split(s: str, args: List[Any]) -> List[str]:
    if not args:
        return s.split()
    sep = args[0]
    count = None
    options = None
    for extra in args[1:]:
        if isinstance(extra, int) and not isinstance(extra, bool) and not hasattr(extra, "ps_enum"):
            count = extra
        else:
            options = to_str(extra)     # [StringSplitOptions]::RemoveEmptyEntries, 'TrimEntries'...
    if isinstance(sep, (list, tuple)):
        seps = [to_str(x) for x in sep]
    else:
        # PowerShell 7 binds one string to .NET Core's Split(string): 'a,b;c'.Split(',;')
        # splits on the whole ',;' (a [char[]] argument splits on each character).
        seps = [to_str(sep)]
    import re
    pattern = "|".join(re.escape(x) for x in seps if x) or r"\s"
    options = (options or "").lower()
    if "removeemptyentries" in options or "trimentries" in options:
        return _split_kept(s, re.compile(pattern), count, "removeemptyentries" in options,
                           "trimentries" in options)
    return re.split(pattern, s) if count is None else re.split(pattern, s, maxsplit=max(count - 1, 0))


def _split_kept(s: str, sep: Any, count: Optional[int], drop_empty: bool, trim: bool) -> List[str]:
    """Split with RemoveEmptyEntries/TrimEntries: as .NET, at most ``count`` pieces are kept, the
    last holding the rest of the text (only empty pieces are dropped before the limit counts)."""
    parts: List[str] = []
    pos = 0
    limit = count if count is not None else -1
    while limit < 0 or len(parts) < limit - 1:
        found = sep.search(s, pos)
        if found is None or found.end() == found.start():
            break
        piece = s[pos:found.start()]
        piece = piece.strip() if trim else piece
        if piece or not drop_empty:
            parts.append(piece)
        pos = found.end()
    rest = s[pos:]
    if drop_empty:
        while True:             # the last piece starts after any separators that lead it
            found = sep.match(rest)
            if found is None or not found.group():
                break
            rest = rest[found.end():]
    rest = rest.strip() if trim else rest
    if rest or not drop_empty:
        parts.append(rest)
    return parts[:limit] if limit >= 0 else parts


def _trim_chars(args: List[Any]) -> Optional[str]:
    if not args:
        return None
    return "".join(to_str(a) for a in (args[0] if isinstance(args[0], (list, tuple)) else args))


def _cmp_kind(args: List[Any], i: int) -> bool:
    """True when a StringComparison / bool ignoreCase argument asks for case-insensitivity."""
    extra = nth_arg(args, i)
    if extra is None:
        return False
    if isinstance(extra, bool):
        return extra
    return "ignorecase" in to_str(extra).lower()


def _index_of(s: str, args: List[Any], last: bool = False) -> int:
    needle = to_str(args[0]) if args else ""
    ci = _cmp_kind(args, 1) if len(args) > 1 and not isinstance(args[1], int) else False
    hay = s.lower() if ci else s
    if ci:
        needle = needle.lower()
    if len(args) > 1 and isinstance(args[1], int) and not isinstance(args[1], bool):
        return hay.rfind(needle, 0, args[1] + 1) if last else hay.find(needle, args[1])
    return hay.rfind(needle) if last else hay.find(needle)


def _pad(s: str, args: List[Any], left: bool) -> str:
    width = int(to_number(nth_arg(args, 0, 0)))
    fill = to_str(nth_arg(args, 1, " "))[:1] or " "
    return s.rjust(width, fill) if left else s.ljust(width, fill)


STRING_METHODS: Dict[str, Callable[[str, List[Any]], Any]] = {
    "split": _str_split,
    "trim": lambda s, a: s.strip(_trim_chars(a)),
    "trimstart": lambda s, a: s.lstrip(_trim_chars(a)),
    "trimend": lambda s, a: s.rstrip(_trim_chars(a)),
    "toupper": lambda s, a: s.upper(), "tolower": lambda s, a: s.lower(),
    "toupperinvariant": lambda s, a: s.upper(), "tolowerinvariant": lambda s, a: s.lower(),
    "replace": lambda s, a: _str_replace(s, a),
    "startswith": lambda s, a: (s.lower().startswith(to_str(a[0]).lower()) if _cmp_kind(a, 1)
                                else s.startswith(to_str(a[0]))),
    "endswith": lambda s, a: (s.lower().endswith(to_str(a[0]).lower()) if _cmp_kind(a, 1)
                              else s.endswith(to_str(a[0]))),
    "contains": lambda s, a: (to_str(a[0]).lower() in s.lower() if _cmp_kind(a, 1)
                              else to_str(a[0]) in s),
    "substring": lambda s, a: _substring(s, a),
    "indexof": lambda s, a: _index_of(s, a), "lastindexof": lambda s, a: _index_of(s, a, True),
    "indexofany": lambda s, a: min([i for i in (s.find(c) for c in to_str(a[0])) if i >= 0] or [-1]),
    "padleft": lambda s, a: _pad(s, a, True), "padright": lambda s, a: _pad(s, a, False),
    "tostring": lambda s, a: str(s), "equals": lambda s, a: s == to_str(nth_arg(a, 0)),
    "compareto": lambda s, a: (s > to_str(a[0])) - (s < to_str(a[0])),
    "insert": lambda s, a: s[:int(a[0])] + to_str(a[1]) + s[int(a[0]):],
    "remove": lambda s, a: s[:int(a[0])] + (s[int(a[0]) + int(a[1]):] if len(a) > 1 else ""),
    "tochararray": lambda s, a: [PSChar(c) for c in s], "gethashcode": lambda s, a: hash(s) & 0x7FFFFFFF,
    "normalize": lambda s, a: s, "isnormalized": lambda s, a: True, "clone": lambda s, a: s,
    "gettype": lambda s, a: PSTypeInfo("System.Char" if type(s) is PSChar else
                                       "System.Guid" if type(s) is Guid else "System.String"),
    "format": lambda s, a: __import__("pshell.engine.operators", fromlist=["ps_format"]).ps_format(s, a),
}


def _str_replace(s: str, args: List[Any]) -> str:
    old = to_str(nth_arg(args, 0, ""))
    new = to_str(nth_arg(args, 1, ""))
    if not old:
        raise member_error('Exception calling "Replace" with "2" argument(s): "String cannot be of zero '
                   'length. (Parameter \'oldValue\')"', "MethodInvocationException")
    if len(args) > 2 and _cmp_kind(args, 2):
        import re
        return re.sub(re.escape(old), lambda m: new, s, flags=re.IGNORECASE)
    return s.replace(old, new)


def _substring(s: str, args: List[Any]) -> str:
    start = int(to_number(args[0]))
    if start < 0 or start > len(s):
        raise member_error('Exception calling "Substring" with "1" argument(s): "startIndex cannot be larger '
                   'than length of string. (Parameter \'startIndex\')"', "ArgumentOutOfRangeException",
                   exception_type="System.ArgumentOutOfRangeException")
    if len(args) > 1:
        length = int(to_number(args[1]))
        if length < 0 or start + length > len(s):
            raise member_error('Exception calling "Substring" with "2" argument(s): "Index and length must '
                       'refer to a location within the string. (Parameter \'length\')"',
                       "ArgumentOutOfRangeException", exception_type="System.ArgumentOutOfRangeException")
        return s[start:start + length]
    return s[start:]


def _list_add(obj: Any, args: List[Any]) -> Any:
    if isinstance(obj, tuple):
        raise member_error('Exception calling "Add" with "1" argument(s): "Collection was of a fixed size."',
                   "NotSupportedException")
    obj.append(nth_arg(args, 0))
    return None        # List[T].Add is void (ArrayList's index is rarely wanted in scripts)


LIST_METHODS: Dict[str, Callable[[Any, List[Any]], Any]] = {
    "contains": lambda items, a: any(_eq(x, nth_arg(a, 0)) for x in items),
    "indexof": lambda items, a: next((i for i, x in enumerate(items) if _eq(x, nth_arg(a, 0))), -1),
    "add": _list_add,
    "addrange": lambda items, a: items.extend(a[0] if isinstance(a[0], (list, tuple)) else [a[0]]),
    "remove": lambda items, a: _list_remove(items, nth_arg(a, 0)),
    "removeat": lambda items, a: _list_remove_at(items, int(a[0])),
    "insert": lambda items, a: items.insert(int(a[0]), a[1]),
    "clear": lambda items, a: items.clear(),
    "toarray": lambda items, a: list(items),
    "reverse": lambda items, a: items.reverse(),
    "sort": lambda items, a: items.sort(key=_sort_key),
    "gettype": lambda items, a: items.generic.type_info() if hasattr(items, "generic") else
    PSTypeInfo("System.Object[]"),
    "tostring": lambda items, a: items.ToString() if hasattr(items, "generic") else "System.Object[]",
    "where": lambda items, a: None, "foreach": lambda items, a: None,
    "getvalue": lambda items, a: items[int(a[0])],
    "setvalue": lambda items, a: items.__setitem__(int(a[1]), a[0]),
    "copyto": lambda items, a: None,
    "join": lambda items, a: to_str(nth_arg(a, 0, "")).join(to_str(x) for x in items),
}


def _list_remove_at(items: List[Any], index: int) -> None:
    del items[index]


def _list_remove(items: List[Any], value: Any) -> None:
    for i, item in enumerate(items):
        if _eq(item, value):
            del items[i]
            return


def _sort_key(value: Any) -> Any:
    from functools import cmp_to_key
    from pshell.engine.operators import compare_values
    return cmp_to_key(compare_values)(value)


def _eq(a: Any, b: Any) -> bool:
    from pshell.engine.operators import equals
    return equals(a, b)


def _dict_add(d: Any, a: List[Any]) -> None:
    key = nth_arg(a, 0)
    if key in d:
        raise member_error(f'Exception calling "Add" with "2" argument(s): "Item has already been added. '
                   f'Key in dictionary: \'{to_str(key)}\'  Key being added: \'{to_str(key)}\'"',
                   "ArgumentException", exception_type="System.ArgumentException")
    d[key] = nth_arg(a, 1)


def _dict_remove(d: Any, a: List[Any]) -> None:
    key = nth_arg(a, 0)
    if key in d:
        del d[key]


DICT_METHODS: Dict[str, Callable[[Any, List[Any]], Any]] = {
    "containskey": lambda d, a: nth_arg(a, 0) in d, "contains": lambda d, a: nth_arg(a, 0) in d,
    "containsvalue": lambda d, a: any(_eq(v, nth_arg(a, 0)) for v in d.values()),
    "add": _dict_add, "remove": _dict_remove, "clear": lambda d, a: d.clear(),
    "clone": lambda d, a: Hashtable(d.items()), "getenumerator": lambda d, a: [
        PSObject.from_pairs([("Name", k), ("Key", k), ("Value", v)],
                            ["System.Collections.DictionaryEntry"]) for k, v in d.items()],
    "gettype": lambda d, a: PSTypeInfo(type_names_of(d)[0]),
    "tostring": lambda d, a: to_str(d),
    "get_item": lambda d, a: d.get(nth_arg(a, 0)), "set_item": lambda d, a: d.__setitem__(a[0], a[1]),
}


def _locked(fn: Callable[[Any, List[Any]], Any]) -> Callable[[Any, List[Any]], Any]:
    def call(d: Any, a: List[Any]) -> Any:
        with d.lock:
            return fn(d, a)
    return call


def _try_add(d: Any, a: List[Any]) -> bool:
    key = nth_arg(a, 0)
    if key in d:
        return False
    d[key] = nth_arg(a, 1)
    return True


def _get_or_add(d: Any, a: List[Any]) -> Any:
    key = nth_arg(a, 0)
    if key not in d:
        d[key] = nth_arg(a, 1)
    return d[key]


def _try_remove(d: Any, a: List[Any]) -> bool:
    key = nth_arg(a, 0)
    if key not in d:
        return False
    del d[key]
    return True


CONCURRENT_METHODS = dict(DICT_METHODS, tryadd=_locked(_try_add), getoradd=_locked(_get_or_add),
                           tryremove=_locked(_try_remove))


def _date_add(unit: str) -> Callable[[_dt.datetime, List[Any]], Any]:
    def add(d: _dt.datetime, a: List[Any]) -> Any:
        amount = float(to_number(nth_arg(a, 0, 0)))
        if unit == "months" or unit == "years":
            months = int(amount) * (12 if unit == "years" else 1)
            month_index = d.month - 1 + months
            year = d.year + month_index // 12
            month = month_index % 12 + 1
            import calendar
            day = min(d.day, calendar.monthrange(year, month)[1])
            return d.replace(year=year, month=month, day=day)
        return d + _dt.timedelta(**{unit: amount})
    return add


_FILETIME_EPOCH = _dt.datetime(1601, 1, 1)

DATE_METHODS: Dict[str, Callable[[_dt.datetime, List[Any]], Any]] = {
    "adddays": _date_add("days"), "addhours": _date_add("hours"), "addminutes": _date_add("minutes"),
    "addseconds": _date_add("seconds"), "addmilliseconds": _date_add("milliseconds"),
    "addmonths": _date_add("months"), "addyears": _date_add("years"),
    "add": lambda d, a: d + a[0],
    "subtract": lambda d, a: d - a[0],
    "tostring": lambda d, a: _date_tostring(d, a),
    "touniversaltime": lambda d, a: d.astimezone(_dt.timezone.utc),
    "tolocaltime": lambda d, a: d.astimezone() if d.tzinfo else d,
    "toshortdatestring": lambda d, a: d.strftime("%m/%d/%Y"),
    "tolongdatestring": lambda d, a: d.strftime("%A, %B %d, %Y").replace(" 0", " "),
    "toshorttimestring": lambda d, a: d.strftime("%I:%M %p").lstrip("0"),
    "tolongtimestring": lambda d, a: d.strftime("%I:%M:%S %p").lstrip("0"),
    "tofiletime": lambda d, a: int((d.replace(tzinfo=None) - _FILETIME_EPOCH).total_seconds() * 10**7),
    "gettype": lambda d, a: PSTypeInfo("System.DateTime"),
    "compareto": lambda d, a: (d > a[0]) - (d < a[0]),
}


def _date_tostring(d: _dt.datetime, args: List[Any]) -> str:
    if args:
        from pshell.engine.dates import format_datetime
        return format_datetime(d, to_str(args[0]))
    return to_str(d)


NUMBER_METHODS: Dict[str, Callable[[Any, List[Any]], Any]] = {
    "tostring": lambda n, a: _number_tostring(n, a),
    "gettype": lambda n, a: PSTypeInfo(type_names_of(n)[0]),
    "equals": lambda n, a: _eq(n, nth_arg(a, 0)),
    "compareto": lambda n, a: (n > to_number(a[0])) - (n < to_number(a[0])),
    "gethashcode": lambda n, a: hash(n),
}


def _number_tostring(n: Any, args: List[Any]) -> str:
    if args and not (len(args) == 1 and not isinstance(args[0], str)):  # (a format provider only)
        from pshell.engine.operators import format_value
        return format_value(n, to_str(args[0]))
    if type(n) is float:
        return format_number(n, roundtrip=True)
    if type(n) is numbers.PSSingle:
        return numbers.format_single(n, shortest=True)
    return to_str(n)


def _to_kind(kind: str) -> Callable[[Any, List[Any]], Any]:
    return lambda n, a: numbers.make(kind, n)


for _kind in numbers.KINDS:       # IConvertible's ToByte(provider), ToDecimal(), ToSingle() ...
    NUMBER_METHODS["to" + numbers.KINDS[_kind][1].rsplit(".", 1)[1].lower()] = _to_kind(_kind)
NUMBER_METHODS["toint32"] = lambda n, a: _int32(n)
NUMBER_METHODS["todouble"] = lambda n, a: float(n)


def _int32(n: Any) -> int:
    value = n if isinstance(n, int) else numbers.round_half_even(n)
    if not -2**31 <= value < 2**31:
        raise numbers.NumberError("Value was either too large or too small for an Int32.")
    return int(value)


#: methods whose None result is $null, not AutomationNull
RETURNS_NULL = {"get_item"}
