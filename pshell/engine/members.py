"""Member access, method calls, indexing and static members: the .NET surface admins use daily,
mapped onto Python values."""

from __future__ import annotations

import datetime as _dt
import functools
import math
import os
import sys
from typing import Any, Callable, Dict, List, Optional

from pshell.engine import dotnet_types, hostinfo, instance_members, numbers, powershell_api
from pshell.engine.credentials import CONSTRUCTORS, PSCredential
from pshell.engine.errors import RuntimeException
from pshell.engine.runtime import CURRENT
from pshell.engine.values import (NO_PROPERTY, AutomationNull, DBNull, Guid, Hashtable, NullString, PSChar,
                                  PSObject, PSTypeInfo, format_number, get_property, properties_of,
                                  set_property, to_bool,
                                  to_number, to_str, type_names_of)

__all__ = ["get_member", "set_member", "call_method", "get_index", "set_index", "static_member",
           "static_call", "type_info"]


def user_type(type_name: str) -> Any:
    """The class or enum a script of this runspace defined under that name (or a built-in enum
    such as DayOfWeek), or None."""
    classes = sys.modules.get("pshell.engine.classes")
    found = None if classes is None else classes.find_type(type_name)
    return found if found is not None else dotnet_types.builtin_enum(type_name)


def _err(message: str, error_id: str, category: str = "InvalidOperation",
         exception_type: str = "System.Management.Automation.RuntimeException") -> RuntimeException:
    return RuntimeException.make(message, error_id, category, exception_type=exception_type)


# --------------------------------------------------------------------------- properties

def _len_like(value: Any) -> Any:
    return len(value)


_STR_PROPS: Dict[str, Callable[[str], Any]] = {"length": len}
_LIST_PROPS: Dict[str, Callable[[Any], Any]] = {"count": len, "length": len, "longlength": len,
                                                "rank": lambda v: 1, "isfixedsize": lambda v: True}
_DICT_PROPS: Dict[str, Callable[[Any], Any]] = {
    "count": len, "keys": lambda d: list(d.keys()), "values": lambda d: list(d.values()),
    "issynchronized": lambda d: False, "isreadonly": lambda d: False,
}
_DATE_PROPS: Dict[str, Callable[[_dt.datetime], Any]] = {
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


_SPAN_PROPS: Dict[str, Callable[[_dt.timedelta], Any]] = {
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


def get_member(obj: Any, name: str) -> Any:
    """``obj.name``: properties, the built-in members of strings/arrays/hashtables, and member
    enumeration over arrays (``$files.Name``)."""
    value = _get_member(obj, name)
    if value is None:
        table = getattr(CURRENT, "type_data", None)       # Update-TypeData's members
        if table is not None:
            found, typed = table.property_value(obj, name)
            if found:
                return typed
    if value is None and name.lower() in ("count", "length"):
        # PowerShell's intrinsic members: $null has 0 items, any other single object 1
        return 0 if obj is None or obj is AutomationNull else 1
    return value


def _remote_property(obj: Any, lowered: str) -> Any:
    """PSComputerName and PSShowComputerName of a string or number a remote command returned."""
    if lowered == "pscomputername":
        return getattr(obj, "PSComputerName", None)
    if lowered == "psshowcomputername":
        return getattr(obj, "PSShowComputerName", None)
    return None


_NO_INSTANCE_MEMBERS = frozenset((str, int, float, bool, list, PSObject, _dt.datetime))


def _get_member(obj: Any, name: str) -> Any:
    lowered = name.lower()
    if obj is None or obj is AutomationNull:
        return 0 if lowered in ("count", "length") else None
    if type(obj) not in _NO_INSTANCE_MEMBERS:          # what Add-Member put on a value
        added = instance_members.find(obj, name)
        if added is not None:
            return added.read(obj)
        if lowered == "pstypenames" and "ps_extra_type_names" in getattr(obj, "__dict__", ()):
            return list(obj.ps_extra_type_names) + type_names_of(obj)
    if isinstance(obj, str):
        fn = _STR_PROPS.get(lowered)
        if fn is None and type(obj) is not str:      # a string with notes of its own ($PROFILE)
            found = next((getattr(obj, p) for p in getattr(obj, "ps_properties", ())
                          if p.lower() == lowered), None)
            return found if found is not None else _remote_property(obj, lowered)
        return fn(obj) if fn is not None else None
    if isinstance(obj, (list, tuple)):
        fn = _LIST_PROPS.get(lowered)
        if fn is not None:
            return fn(obj)
        values = []
        for item in obj:
            value = get_member(item, name)
            if isinstance(value, list):
                values.extend(value)
            elif value is not None:
                values.append(value)
        if not values:
            return None
        return values[0] if len(values) == 1 else values
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        fn = _DICT_PROPS.get(lowered)
        return fn(obj) if fn is not None else None
    if isinstance(obj, PSObject):
        value = obj.get(name, NO_PROPERTY)
        if value is not NO_PROPERTY:
            return value
        if lowered == "pstypenames":
            return TypeNameList(obj)
        if lowered == "psobject":
            return _PSObjectView(obj)
        return None
    if isinstance(obj, bool) or isinstance(obj, (int, float)):
        return _remote_property(obj, lowered)
    if isinstance(obj, _dt.datetime):
        own = getattr(type(obj), "ps_props", None)       # [DateTimeOffset]'s members first
        date_prop = own.get(lowered) if own is not None else None
        date_prop = date_prop or _DATE_PROPS.get(lowered)
        return date_prop(obj) if date_prop is not None else _remote_property(obj, lowered)
    if isinstance(obj, _dt.timedelta):
        span_prop = _SPAN_PROPS.get(lowered)
        return span_prop(obj) if span_prop is not None else None
    dynamic = getattr(type(obj), "ps_dynamic_member", None)
    if dynamic is not None:                     # an XML node's attributes and children
        found = dynamic(obj, name)
        if found is not NO_PROPERTY:
            return found
    if lowered == "pstypenames":
        return type_names_of(obj)
    if lowered == "psobject" and get_property(obj, name) is NO_PROPERTY:
        return _BaseObjectView(obj)
    value = get_property(obj, name)
    if value is NO_PROPERTY:
        return None
    if callable(value) and not isinstance(value, type):
        return None
    return value


def _with_object(names: List[str]) -> List[str]:
    """A custom object's type names end in System.Object, its base type (names set outright, as
    Import-Csv's ``#Type`` does, stay as they are)."""
    if names and names[-1] == "System.Management.Automation.PSCustomObject":
        return list(names) + ["System.Object"]
    return list(names)


class TypeNameList(list):
    """A property bag's ``pstypenames``: inserting, adding or removing a name changes the
    object's own type names (the ``System.Object`` shown last is not stored)."""

    def __init__(self, owner: PSObject) -> None:
        super().__init__(_with_object(owner.type_names))
        self._owner = owner
        self._shown_base = len(self) > len(owner.type_names)

    def _sync(self) -> None:
        names = list(self)
        if self._shown_base and names and names[-1] == "System.Object":
            names.pop()
        self._owner.type_names = names


def _syncing(method: str) -> Callable[..., Any]:
    base = getattr(list, method)

    def call(self: TypeNameList, *args: Any) -> Any:
        result = base(self, *args)
        self._sync()
        return result
    call.__name__ = method
    return call


for _method in ("insert", "append", "extend", "remove", "pop", "clear", "reverse", "__setitem__",
                "__delitem__"):
    setattr(TypeNameList, _method, _syncing(_method))


class PropertyCollection(list):
    """``$obj.psobject.Properties``: a list of properties that also finds one by name
    (``.Item('Name')``, ``['Name']``)."""

    by_name = True

    def Item(self, name: Any) -> Any:
        wanted = to_str(name).lower()
        return next((p for p in self if to_str(p.get("Name")).lower() == wanted), None)

    named = Item

    def Match(self, pattern: Any) -> List[Any]:
        from pshell.engine.wildcards import wildcard_match
        return [p for p in self if wildcard_match(to_str(pattern), to_str(p.get("Name")))]


class _PSObjectView:
    """``$obj.psobject``: its properties, for scripts that enumerate them."""

    ps_properties = ("Properties", "TypeNames")

    def __init__(self, obj: PSObject) -> None:
        self._obj = obj

    @property
    def Properties(self) -> List[PSObject]:
        return PropertyCollection(
            PSObject.from_pairs([("Name", k), ("Value", v), ("MemberType", "NoteProperty"),
                                 ("TypeNameOfValue", _type_name_of_value(v))])
            for k, v in self._obj.items())

    @property
    def TypeNames(self) -> List[str]:
        return TypeNameList(self._obj)


def _type_name_of_value(value: Any) -> str:
    return "System.Object" if value is None else type_names_of(value)[0]


class _BaseObjectView:
    """``$obj.psobject`` of an object that is not a property bag: its type names and properties."""

    ps_properties = ("Properties", "TypeNames")

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    @property
    def Properties(self) -> List[PSObject]:
        return PropertyCollection(
            PSObject.from_pairs([("Name", k), ("Value", value), ("MemberType", "Property"),
                                 ("TypeNameOfValue", _type_name_of_value(value))])
            for k in properties_of(self._obj) for value in (get_member(self._obj, k),))

    @property
    def TypeNames(self) -> List[str]:
        return type_names_of(self._obj)


def set_member(obj: Any, name: str, value: Any) -> None:
    if obj is None:
        raise _err(f"The property '{name}' cannot be found on this object. Verify that the property "
                   f"exists and can be set.", "PropertyNotFound")
    added = instance_members.find(obj, name) if type(obj) not in _NO_INSTANCE_MEMBERS else None
    if added is not None:
        added.write(obj, value)
        return
    if isinstance(obj, PSObject) and getattr(obj, "ps_class", None) is not None:
        obj.ps_class.set_property(obj, name, value)     # type: ignore[attr-defined]
        return
    if isinstance(obj, PSTypeInfo) and hasattr(obj, "set_static"):
        obj.set_static(name, value)
        return
    if isinstance(obj, PSTypeInfo):
        setter = _STATIC_SETTERS.get(_norm_type(obj.FullName), {}).get(name.lower())
        if setter is not None:
            setter(value)
            return
    if isinstance(obj, dict):
        obj[name] = value
        return
    if isinstance(obj, (list, tuple)):
        for item in obj:
            set_member(item, name, value)
        return
    dynamic = getattr(type(obj), "ps_set_dynamic_member", None)
    if dynamic is not None:                     # an XML node's attribute or simple child
        from pshell.engine.xmldoc import XmlError
        try:
            if dynamic(obj, name, value):
                return
        except XmlError as exc:
            raise _err(str(exc), "XmlNodeSetShouldBeAString") from None
    try:
        set_property(obj, name, value)
    except (KeyError, AttributeError):
        raise _err(f"The property '{name}' cannot be found on this object. Verify that the property "
                   f"exists and can be set.", "PropertyNotFound") from None


# --------------------------------------------------------------------------- indexing

def get_index(obj: Any, index: Any) -> Any:
    if obj is None or obj is AutomationNull:
        raise _err("Cannot index into a null array.", "NullArray")
    if isinstance(obj, dict):
        if isinstance(index, (list, tuple)):
            return [obj[k] for k in index]
        return obj[index]
    if isinstance(obj, PSObject):
        if isinstance(index, int) and not isinstance(index, bool):
            return obj if index in (0, -1) else None     # one object is a one-item list
        return obj.get(to_str(index))
    if isinstance(index, str) and hasattr(obj, "by_name"):
        return obj.named(index)                 # $m.Groups['name']
    if isinstance(obj, (list, tuple, str, range)):
        if isinstance(index, (list, tuple, range)):
            result = []
            for i in index:
                value = _index_one(obj, i)
                if value is not _MISSING:
                    result.append(value)
            return result
        value = _index_one(obj, index)
        return None if value is _MISSING else value
    getter = getattr(obj, "__getitem__", None)
    if getter is not None:
        try:
            return getter(index)
        except (KeyError, IndexError, TypeError):
            return None
    # a scalar indexed with 0 or -1 is itself, as PowerShell does
    try:
        i = int(to_number(index))
    except Exception:
        i = None
    if i in (0, -1):
        return obj
    raise _err(f"Unable to index into an object of type {type_names_of(obj)[0]}.", "CannotIndex")


_MISSING = object()


def _index_one(seq: Any, index: Any) -> Any:
    try:
        i = int(to_number(index))
    except Exception:
        raise _err(f"Cannot convert value \"{to_str(index)}\" to type \"System.Int32\".",
                   "InvalidCastFromStringToInteger") from None
    n = len(seq)
    if i < 0:
        i += n
    if 0 <= i < n:
        return PSChar(seq[i]) if isinstance(seq, str) else seq[i]
    return _MISSING


def set_index(obj: Any, index: Any, value: Any) -> None:
    if obj is None:
        raise _err("Cannot index into a null array.", "NullArray")
    if isinstance(obj, dict):
        obj[index] = value
        return
    if isinstance(obj, PSObject):
        obj.set(to_str(index), value)
        return
    if isinstance(obj, list):
        i = int(to_number(index))
        n = len(obj)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise _err("Index was outside the bounds of the array.", "IndexOutOfRange",
                       exception_type="System.IndexOutOfRangeException")
        obj[i] = value
        return
    raise _err(f"Unable to index into an object of type {type_names_of(obj)[0]}.", "CannotIndex")


# --------------------------------------------------------------------------- methods

def _arg(args: List[Any], i: int, default: Any = None) -> Any:
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
    extra = _arg(args, i)
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
    width = int(to_number(_arg(args, 0, 0)))
    fill = to_str(_arg(args, 1, " "))[:1] or " "
    return s.rjust(width, fill) if left else s.ljust(width, fill)


_STRING_METHODS: Dict[str, Callable[[str, List[Any]], Any]] = {
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
    "tostring": lambda s, a: str(s), "equals": lambda s, a: s == to_str(_arg(a, 0)),
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
    old = to_str(_arg(args, 0, ""))
    new = to_str(_arg(args, 1, ""))
    if not old:
        raise _err('Exception calling "Replace" with "2" argument(s): "String cannot be of zero '
                   'length. (Parameter \'oldValue\')"', "MethodInvocationException")
    if len(args) > 2 and _cmp_kind(args, 2):
        import re
        return re.sub(re.escape(old), lambda m: new, s, flags=re.IGNORECASE)
    return s.replace(old, new)


def _substring(s: str, args: List[Any]) -> str:
    start = int(to_number(args[0]))
    if start < 0 or start > len(s):
        raise _err('Exception calling "Substring" with "1" argument(s): "startIndex cannot be larger '
                   'than length of string. (Parameter \'startIndex\')"', "ArgumentOutOfRangeException",
                   exception_type="System.ArgumentOutOfRangeException")
    if len(args) > 1:
        length = int(to_number(args[1]))
        if length < 0 or start + length > len(s):
            raise _err('Exception calling "Substring" with "2" argument(s): "Index and length must '
                       'refer to a location within the string. (Parameter \'length\')"',
                       "ArgumentOutOfRangeException", exception_type="System.ArgumentOutOfRangeException")
        return s[start:start + length]
    return s[start:]


def _list_index(obj: Any, item: Any) -> int:
    from pshell.engine.operators import equals
    for index, element in enumerate(obj if isinstance(obj, (list, tuple)) else [obj]):
        if equals(element, item):
            return index
    return -1


def _cmp(a: Any, b: Any) -> int:
    from pshell.engine.operators import compare_values
    return compare_values(a, b)


def _list_add(obj: Any, args: List[Any]) -> Any:
    if isinstance(obj, tuple):
        raise _err('Exception calling "Add" with "1" argument(s): "Collection was of a fixed size."',
                   "NotSupportedException")
    obj.append(_arg(args, 0))
    return None        # List[T].Add is void (ArrayList's index is rarely wanted in scripts)


_LIST_METHODS: Dict[str, Callable[[Any, List[Any]], Any]] = {
    "contains": lambda items, a: any(_eq(x, _arg(a, 0)) for x in items),
    "indexof": lambda items, a: next((i for i, x in enumerate(items) if _eq(x, _arg(a, 0))), -1),
    "add": _list_add,
    "addrange": lambda items, a: items.extend(a[0] if isinstance(a[0], (list, tuple)) else [a[0]]),
    "remove": lambda items, a: _list_remove(items, _arg(a, 0)),
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
    "join": lambda items, a: to_str(_arg(a, 0, "")).join(to_str(x) for x in items),
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
    key = _arg(a, 0)
    if key in d:
        raise _err(f'Exception calling "Add" with "2" argument(s): "Item has already been added. '
                   f'Key in dictionary: \'{to_str(key)}\'  Key being added: \'{to_str(key)}\'"',
                   "ArgumentException", exception_type="System.ArgumentException")
    d[key] = _arg(a, 1)


def _dict_remove(d: Any, a: List[Any]) -> None:
    key = _arg(a, 0)
    if key in d:
        del d[key]


_DICT_METHODS: Dict[str, Callable[[Any, List[Any]], Any]] = {
    "containskey": lambda d, a: _arg(a, 0) in d, "contains": lambda d, a: _arg(a, 0) in d,
    "containsvalue": lambda d, a: any(_eq(v, _arg(a, 0)) for v in d.values()),
    "add": _dict_add, "remove": _dict_remove, "clear": lambda d, a: d.clear(),
    "clone": lambda d, a: Hashtable(d.items()), "getenumerator": lambda d, a: [
        PSObject.from_pairs([("Name", k), ("Key", k), ("Value", v)],
                            ["System.Collections.DictionaryEntry"]) for k, v in d.items()],
    "gettype": lambda d, a: PSTypeInfo(type_names_of(d)[0]),
    "tostring": lambda d, a: to_str(d),
    "get_item": lambda d, a: d.get(_arg(a, 0)), "set_item": lambda d, a: d.__setitem__(a[0], a[1]),
}


def _locked(fn: Callable[[Any, List[Any]], Any]) -> Callable[[Any, List[Any]], Any]:
    def call(d: Any, a: List[Any]) -> Any:
        with d.lock:
            return fn(d, a)
    return call


def _try_add(d: Any, a: List[Any]) -> bool:
    key = _arg(a, 0)
    if key in d:
        return False
    d[key] = _arg(a, 1)
    return True


def _get_or_add(d: Any, a: List[Any]) -> Any:
    key = _arg(a, 0)
    if key not in d:
        d[key] = _arg(a, 1)
    return d[key]


def _try_remove(d: Any, a: List[Any]) -> bool:
    key = _arg(a, 0)
    if key not in d:
        return False
    del d[key]
    return True


_CONCURRENT_METHODS = dict(_DICT_METHODS, tryadd=_locked(_try_add), getoradd=_locked(_get_or_add),
                           tryremove=_locked(_try_remove))


def _hashtable_synchronized(a: List[Any]) -> Any:
    """[hashtable]::Synchronized: the table itself (each of its operations is already atomic
    here; a read-modify-write such as $h.n++ is not, as in PowerShell)."""
    table = _arg(a, 0)
    if not isinstance(table, dict):
        raise _err(f'Cannot convert argument "table", with value: "{to_str(table)}", for '
                   f'"Synchronized" to type "System.Collections.Hashtable".',
                   "MethodArgumentConversionInvalidCastArgument")
    return table


def _date_add(unit: str) -> Callable[[_dt.datetime, List[Any]], Any]:
    def add(d: _dt.datetime, a: List[Any]) -> Any:
        amount = float(to_number(_arg(a, 0, 0)))
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

_DATE_METHODS: Dict[str, Callable[[_dt.datetime, List[Any]], Any]] = {
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


_NUMBER_METHODS: Dict[str, Callable[[Any, List[Any]], Any]] = {
    "tostring": lambda n, a: _number_tostring(n, a),
    "gettype": lambda n, a: PSTypeInfo(type_names_of(n)[0]),
    "equals": lambda n, a: _eq(n, _arg(a, 0)),
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


for _kind in numbers.KINDS:       # IConvertible's ToByte(provider), ToDecimal(), ToSingle() ...
    _NUMBER_METHODS["to" + numbers.KINDS[_kind][1].rsplit(".", 1)[1].lower()] = \
        functools.partial(lambda k, n, a: numbers.make(k, n), _kind)
_NUMBER_METHODS["toint32"] = lambda n, a: _int32(n)
_NUMBER_METHODS["todouble"] = lambda n, a: float(n)


def _int32(n: Any) -> int:
    value = n if isinstance(n, int) else numbers.round_half_even(n)
    if not -2**31 <= value < 2**31:
        raise numbers.NumberError("Value was either too large or too small for an Int32.")
    return int(value)


def call_method(frame: Any, obj: Any, name: str, args: List[Any]) -> Any:
    lowered = name.lower()
    if obj is None or obj is AutomationNull:
        raise _err("You cannot call a method on a null-valued expression.", "InvokeMethodOnNull")
    table: Optional[Dict[str, Callable[..., Any]]] = None
    added = instance_members.find(obj, name) if type(obj) not in _NO_INSTANCE_MEMBERS else None
    if added is not None and added.kind == "ScriptMethod":
        result = added.run(added.value, obj, args)
        return AutomationNull if result is None else result
    types = getattr(CURRENT, "type_data", None)             # Update-TypeData's script methods
    if types is not None:
        member = types.member(obj, name)
        if member is not None and member.MemberType == "ScriptMethod":
            result = types.run(obj, member.Value, args)
            return result[0] if len(result) == 1 else (result or None)
    if lowered == "getenumerator" and isinstance(obj, (list, tuple, range)) and not args:
        from pshell.engine.values import InputEnumerator
        return InputEnumerator(obj)         # its own position: MoveNext(), Current, Reset()
    if isinstance(obj, str):
        table = _STRING_METHODS
    elif isinstance(obj, (list, tuple)):
        if lowered in ("where", "foreach"):
            return _magic_method(frame, obj, lowered, args)
        if isinstance(obj, PropertyCollection) and lowered in ("item", "match"):
            return getattr(obj, name[0].upper() + lowered[1:])(*args[:1])
        table = _LIST_METHODS
    elif isinstance(obj, dict):
        table = _CONCURRENT_METHODS if type(obj).__name__ == "ConcurrentDictionary" else _DICT_METHODS
    elif isinstance(obj, _dt.datetime):
        own_methods = getattr(type(obj), "ps_methods", None)
        table = own_methods if own_methods is not None and lowered in own_methods else _DATE_METHODS
    elif isinstance(obj, (int, float, numbers.Decimal)) and not isinstance(obj, bool):
        table = _NUMBER_METHODS
    elif isinstance(obj, _dt.timedelta):
        if lowered == "tostring":
            return to_str(obj)
    if table is _CONCURRENT_METHODS and lowered == "addorupdate":
        from pshell.engine.generic_methods import add_or_update
        return add_or_update(frame, obj, args)      # its value factories are scripts to run
    if table is not None:
        fn = table.get(lowered)
        if fn is not None:
            try:
                result = fn(obj, args)
            except RuntimeException:
                raise
            except IndexError:
                # the method read an argument it was not given
                raise _err(f'Cannot find an overload for "{name}" and the argument count: '
                           f'"{len(args)}".', "MethodCountCouldNotFindBest",
                           exception_type="System.Management.Automation.MethodException") from None
            except (TypeError, ValueError, KeyError) as exc:
                raise _err(f'Exception calling "{name}" with "{len(args)}" argument(s): "{exc}"',
                           "MethodInvocationException",
                           exception_type="System.Management.Automation.MethodInvocationException") from None
            return AutomationNull if result is None and lowered not in _RETURNS_NULL else result
        if table is _LIST_METHODS and obj and lowered not in ("gettype", "tostring"):
            # method enumeration: ('a', 'b').ToUpper() calls ToUpper on each element
            results: List[Any] = []
            for item in obj:
                value = call_method(frame, item, name, args)
                if value is not AutomationNull:
                    results.append(value)
            return results if len(results) != 1 else results[0]
    if isinstance(obj, PSObject):
        cls = getattr(obj, "ps_class", None)
        if cls is not None:
            from pshell.engine import classes
            result = classes.call_instance_method(frame, obj, name, args)  # type: ignore[arg-type]
            if result is not classes.NOT_OURS:
                return result
            if lowered == "gettype":
                return cls
            if lowered == "tostring":
                return classes.instance_to_string(obj)  # type: ignore[arg-type]
        member = obj.get(name, NO_PROPERTY)
        if member is not NO_PROPERTY and hasattr(member, "compiled"):
            from pshell.engine.pipeline import invoke_block
            from pshell.engine.runtime import collect
            return collect(invoke_block(frame, member, tuple(args), dollar_under=obj))
        if lowered == "tostring":
            return to_str(obj)
        if lowered == "gettype":
            return PSTypeInfo(obj.type_names[0] if obj.type_names else "System.Object")
        if lowered == "psobject":
            return _PSObjectView(obj)
    if isinstance(obj, PSTypeInfo) and hasattr(obj, "static_call") and lowered not in (
            "tostring", "gettype"):
        return obj.method(name, args)  # type: ignore[attr-defined]  # [Color].GetEnumNames()
    if lowered == "gettype" and not (args and hasattr(type(obj), "GetType")):   # Assembly.GetType(name)
        if hasattr(obj, "ps_enum"):
            return obj.ps_enum
        return PSTypeInfo(type_names_of(obj)[0])
    if lowered == "tostring" and not hasattr(obj, "ToString"):
        return to_str(obj)
    if lowered == "invoke" and hasattr(obj, "compiled"):
        from pshell.engine.pipeline import invoke_block
        from pshell.engine.runtime import collect
        return collect(invoke_block(frame, obj, tuple(args)))
    if lowered == "getnewclosure" and hasattr(obj, "compiled"):
        return obj
    if lowered == "getsteppablepipeline" and hasattr(obj, "compiled"):
        from pshell.engine.steppable import steppable_pipeline
        return steppable_pipeline(frame, obj)
    if lowered.startswith("get_") and not args and len(name) > 4:
        value = get_member(obj, name[4:])       # a property's getter: $h.get_Keys()
        if value is not None:
            return value
    method = get_property(obj, name)
    if method is not NO_PROPERTY and callable(method):
        try:
            result = method(*args)
        except RuntimeException:
            raise
        except TypeError as exc:
            raise _err(f'Cannot find an overload for "{name}" and the argument count: "{len(args)}".',
                       "MethodCountCouldNotFindBest") from exc
        except ValueError as exc:       # what the method refused (an XML document's LoadXml, ...)
            raise _err(f'Exception calling "{name}" with "{len(args)}" argument(s): "{exc}"',
                       "MethodInvocationException",
                       exception_type="System.Management.Automation.MethodInvocationException") from None
        return AutomationNull if result is None else result
    if lowered in ("where", "foreach"):             # a scalar is a collection of one
        return _magic_method(frame, [obj], lowered, args)
    raise _err(f"Method invocation failed because [{type_names_of(obj)[0]}] does not contain a "
               f"method named '{name}'.", "MethodNotFound")


_RETURNS_NULL = {"get_item"}


_WHERE_MODES = ("default", "first", "last", "skipuntil", "until", "split")


def _where(items: Any, test: Callable[[Any], bool], args: List[Any]) -> Any:
    """``.Where({...}, mode, count)``: Default, First, Last, SkipUntil, Until or Split."""
    mode = to_str(args[1]).lower() if len(args) > 1 and args[1] is not None else "default"
    if mode not in _WHERE_MODES:
        raise RuntimeException.make(f"Cannot convert value \"{to_str(args[1])}\" to type "
                                    f"\"System.Management.Automation.WhereOperatorSelectionMode\".",
                                    "InvalidCastFromStringToEnum", "InvalidArgument")
    count = int(to_str(args[2])) if len(args) > 2 and args[2] is not None else 0
    items = list(items)
    if mode in ("default", "first", "last"):
        hits = [item for item in items if test(item)]
        if mode == "first":
            return hits[:count or 1]
        if mode == "last":
            return hits[-(count or 1):]
        return hits[:count] if count else hits
    if mode == "split":
        yes: List[Any] = []
        no: List[Any] = []
        for item in items:
            (yes if (not count or len(yes) < count) and test(item) else no).append(item)
        return [yes, no]
    for index, item in enumerate(items):               # SkipUntil / Until: the first match splits
        if test(item):
            chosen = items[index:] if mode == "skipuntil" else items[:index]
            break
    else:
        chosen = [] if mode == "skipuntil" else items
    return chosen[:count] if count else chosen


def _magic_method(frame: Any, items: Any, name: str, args: List[Any]) -> Any:
    """``.Where({...})`` and ``.ForEach({...})`` on arrays."""
    from pshell.engine.pipeline import invoke_block
    from pshell.engine.runtime import collect
    block = _arg(args, 0)
    if name == "where":
        return _where(items, lambda item: to_bool(collect(invoke_block(
            frame, block, (), dollar_under=item, new_scope=False))), args)
    result: List[Any] = []
    for item in items:
        if hasattr(block, "compiled"):
            result.extend(invoke_block(frame, block, (), dollar_under=item, new_scope=False))
        else:
            result.append(get_member(item, to_str(block)))
    return result


# --------------------------------------------------------------------------- types & statics

def type_info(type_name: str) -> PSTypeInfo:
    from pshell.engine.accelerators import target_of
    added = target_of(type_name.strip().lower())        # [TypeAccelerators]::Add's names
    if added is not None:
        return type_info(added)
    found = user_type(type_name)
    if found is not None:
        return found
    from pshell.engine.operators import full_type_name, lookup_type
    kind = lookup_type(type_name)
    if kind == "generic":
        from pshell.engine import generics
        return generics.type_info(type_name) or PSTypeInfo(type_name)
    if kind == "named":
        from pshell.engine.exception_types import exception_name
        return PSTypeInfo(exception_name(type_name) or type_name)
    if kind in ("array", "string[]", "int[]") and type_name.endswith("[]"):
        return PSTypeInfo(type_name if "." in type_name else full_type_name(kind))
    return PSTypeInfo(full_type_name(kind))


def _norm_type(type_name: str) -> str:
    name = type_name.lower().strip()
    if name.startswith("system."):
        name = name[7:]
    return name


def _tick_count() -> int:
    import time
    return int(time.monotonic() * 1000)


_STATIC_PROPS: Dict[str, Dict[str, Callable[[], Any]]] = {
    "math": {"pi": lambda: math.pi, "e": lambda: math.e, "tau": lambda: math.tau},
    "int": {"maxvalue": lambda: 2**31 - 1, "minvalue": lambda: -2**31},
    "int32": {"maxvalue": lambda: 2**31 - 1, "minvalue": lambda: -2**31},
    "double": {"maxvalue": lambda: 1.7976931348623157e308, "minvalue": lambda: -1.7976931348623157e308,
               "nan": lambda: float("nan"), "positiveinfinity": lambda: float("inf"),
               "negativeinfinity": lambda: float("-inf"), "epsilon": lambda: 5e-324},
    "string": {"empty": lambda: ""},
    "datetime": {"now": _dt.datetime.now, "today": lambda: _dt.datetime.combine(_dt.date.today(),
                                                                                 _dt.time()),
                 "utcnow": lambda: _dt.datetime.now(_dt.timezone.utc),
                 "minvalue": lambda: _dt.datetime(1, 1, 1),
                 "maxvalue": lambda: _dt.datetime(9999, 12, 31, 23, 59, 59)},
    "environment": {"machinename": lambda: os.uname().nodename, "username": lambda: _username(),
                    "newline": lambda: "\n", "processorcount": lambda: os.cpu_count() or 1,
                    "currentdirectory": os.getcwd, "osversion": lambda: " ".join(os.uname()[:3]),
                    "is64bitprocess": lambda: True, "processid": os.getpid,
                    "tickcount": _tick_count,
                    "userdomainname": lambda: os.uname().nodename},
    "io.path": {"directoryseparatorchar": lambda: "/", "pathseparator": lambda: ":",
                "altdirectoryseparatorchar": lambda: "/"},
    "timespan": {"zero": lambda: _dt.timedelta(0)},
    "guid": {"empty": lambda: Guid("00000000-0000-0000-0000-000000000000")},
}


def _username() -> str:
    import getpass
    try:
        return getpass.getuser()
    except Exception:
        return str(os.getuid())


def static_member(type_name: str, name: str) -> Any:
    found = user_type(type_name)
    if found is not None:
        return found.static(name)
    table = _STATIC_PROPS.get(_norm_type(type_name))
    if table is not None:
        fn = table.get(name.lower())
        if fn is not None:
            return fn()
    _known_type(type_name)
    raise _err(f"The property '{name}' cannot be found on type [{type_name}].", "PropertyNotFound")


def _known_type(type_name: str) -> None:
    """Raise 'Unable to find type' for a name that is no type at all."""
    if _norm_type(type_name) in _STATIC_PROPS or _norm_type(type_name) in _STATIC_METHODS:
        return
    from pshell.engine.operators import lookup_type
    lookup_type(type_name)


def _create_script_block(text: str) -> Any:
    """``[scriptblock]::Create(text)``: a parse error is a ParseException, as in pwsh."""
    from pshell.engine.compiler import Unit
    from pshell.engine.errors import ErrorRecord
    from pshell.lang.errors import ParseError
    try:
        return Unit.from_text(text, "<scriptblock>").script_block()
    except ParseError as exc:
        raise RuntimeException(ErrorRecord(exc.message, "ParseException", "ParserError", text,
                                           exc.location,
                                           exception_type="System.Management.Automation."
                                                          "ParseException")) from None


def _round(args: List[Any]) -> Any:
    value = to_number(args[0])
    digits = int(to_number(args[1])) if len(args) > 1 and not isinstance(args[1], str) else 0
    mode = to_str(args[-1]).lower() if len(args) > 1 and isinstance(args[-1], str) else ""
    if mode == "awayfromzero":
        from decimal import ROUND_HALF_UP, Decimal
        quant = Decimal(1).scaleb(-digits)
        result = float(Decimal(str(value)).quantize(quant, rounding=ROUND_HALF_UP))
    else:
        result = round(value, digits)
    if digits == 0 and isinstance(value, float):
        return float(result)
    return result


def _rx(args: List[Any], options_at: int) -> Any:
    """``[regex]::Method(input, pattern, ..., [options])``: a [regex] value, case-sensitive
    unless the options say IgnoreCase (as in .NET)."""
    from pshell.engine.operators import convert_to
    pattern = args[1]
    if len(args) > options_at:
        return convert_to([pattern, args[options_at]], "regex")
    return convert_to(pattern, "regex")


def _regex_match(args: List[Any]) -> Any:
    return _rx(args, 2).Match(args[0])


def _regex_is_match(args: List[Any]) -> bool:
    return _rx(args, 2).IsMatch(args[0])


def _regex_matches(args: List[Any]) -> List[Any]:
    return _rx(args, 2).Matches(args[0])


def _regex_replace(args: List[Any]) -> Any:
    return _rx(args, 3).Replace(args[0], args[2])


def _regex_split(args: List[Any]) -> List[str]:
    return _rx(args, 2).Split(args[0])


def _path_combine(args: List[Any]) -> str:
    parts = [to_str(a) for a in (args[0] if len(args) == 1 and isinstance(args[0], list) else args)]
    return os.path.join(*parts) if parts else ""


def _file_read(path: Any) -> str:
    with open(to_str(path), encoding="utf-8", errors="replace") as handle:
        return handle.read()


def _file_write(path: Any, text: Any, mode: str = "w") -> None:
    with open(to_str(path), mode, encoding="utf-8") as handle:
        handle.write(to_str(text))


def _directory_entries(path: Any, wanted: Callable[[str], bool]) -> List[str]:
    folder = to_str(path)
    return sorted(full for full in (os.path.join(folder, name) for name in os.listdir(folder))
                  if wanted(full))


def _base64(args: List[Any]) -> str:
    import base64
    data = args[0]
    if isinstance(data, list):
        data = bytes(int(x) for x in data)
    elif isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def _from_base64(args: List[Any]) -> List[int]:
    import base64
    return list(base64.b64decode(to_str(args[0])))


def _sign(value: Any) -> int:
    return (value > 0) - (value < 0)


def _string_format(args: List[Any]) -> str:
    from pshell.engine.operators import ps_format
    return ps_format(args[0], args[1] if len(args) == 2 and isinstance(args[1], list) else args[1:])


def _string_compare(args: List[Any]) -> int:
    """[string]::Compare(a, b[, ignoreCase])"""
    ignore_case = len(args) > 2 and to_bool(args[2])
    a, b = (to_str(v).lower() if ignore_case else to_str(v) for v in args[:2])
    return (a > b) - (a < b)


def _parse_datetime(args: List[Any]) -> Any:
    from pshell.engine.operators import parse_datetime
    return parse_datetime(to_str(args[0]))


def _days_in_month(args: List[Any]) -> int:
    import calendar
    return calendar.monthrange(int(args[0]), int(args[1]))[1]


def _is_leap_year(args: List[Any]) -> bool:
    import calendar
    return calendar.isleap(int(args[0]))


def new_guid_v4() -> Any:
    from pshell.engine.values import Guid
    return Guid(_new_guid())


def _new_guid() -> Any:
    import uuid
    return uuid.uuid4()


def _set_environment_variable(rs: Any, args: List[Any]) -> None:
    """[Environment]::SetEnvironmentVariable(name, value): $null or '' removes the variable."""
    rs.set_env(to_str(args[0]), None if args[1] is None or args[1] == "" else to_str(args[1]))


#: static methods that need the calling runspace (its environment, or to make a runspace beside it:
#: engine/powershell_api.py's hosting types): fn(runspace, args)
_ENVIRONMENT_METHODS: Dict[str, Dict[str, Callable[[Any, List[Any]], Any]]] = {
    "environment": {
        "getenvironmentvariable": lambda rs, a: rs.environ.get(to_str(a[0])),
        "setenvironmentvariable": _set_environment_variable,
        "getenvironmentvariables": lambda rs, a: Hashtable(dict(rs.environ).items()),
        "getfolderpath": lambda rs, a: rs.home(),
    },
    "io.path": {
        "gettemppath": lambda rs, a: (rs.environ.get("TMPDIR") or "/tmp").rstrip("/") + "/",
    },
}
_ENVIRONMENT_METHODS["system.io.path"] = _ENVIRONMENT_METHODS["io.path"]
_ENVIRONMENT_METHODS.update(powershell_api.STATIC_METHODS)    # [PowerShell], [RunspaceFactory], ...
def _exit(args: List[Any]) -> None:
    from pshell.engine.errors import ExitException
    raise ExitException(int(args[0]))


def _temp_file_name(args: List[Any]) -> str:
    import tempfile
    handle, path = tempfile.mkstemp()
    os.close(handle)
    return path


def _regex_escape(args: List[Any]) -> str:
    import re
    return re.escape(to_str(args[0]))


def _sleep(args: List[Any]) -> None:
    import time
    time.sleep(to_number(args[0]) / 1000)


_STATIC_METHODS: Dict[str, Dict[str, Callable[[List[Any]], Any]]] = {
    "math": {
        "round": _round, "floor": lambda a: math.floor(to_number(a[0])),
        "ceiling": lambda a: math.ceil(to_number(a[0])), "abs": lambda a: abs(to_number(a[0])),
        "max": lambda a: max(to_number(a[0]), to_number(a[1])),
        "min": lambda a: min(to_number(a[0]), to_number(a[1])),
        "pow": lambda a: float(to_number(a[0])) ** float(to_number(a[1])),
        "sqrt": lambda a: math.sqrt(to_number(a[0])),
        "truncate": lambda a: math.trunc(to_number(a[0])),
        "log": lambda a: math.log(*(to_number(x) for x in a[:2])),
        "log10": lambda a: math.log10(to_number(a[0])), "log2": lambda a: math.log2(to_number(a[0])),
        "exp": lambda a: math.exp(to_number(a[0])), "sign": lambda a: _sign(to_number(a[0])),
        "sin": lambda a: math.sin(to_number(a[0])), "cos": lambda a: math.cos(to_number(a[0])),
        "tan": lambda a: math.tan(to_number(a[0])), "atan": lambda a: math.atan(to_number(a[0])),
    },
    "string": {
        "isnullorempty": lambda a: a[0] is None or to_str(a[0]) == "",
        "isnullorwhitespace": lambda a: a[0] is None or to_str(a[0]).strip() == "",
        "join": lambda a: to_str(a[0]).join(to_str(x) for x in (
            a[1] if len(a) == 2 and isinstance(a[1], (list, tuple)) else a[1:])),
        "format": _string_format,
        "concat": lambda a: "".join(to_str(x) for x in a),
        "equals": lambda a: to_str(a[0]) == to_str(a[1]),
        "compare": _string_compare,
        "new": lambda a: to_str(a[0]) * int(to_number(a[1])) if len(a) > 1 else to_str(a[0]),
    },
    "datetime": {
        "parse": _parse_datetime,
        "parseexact": lambda a: _parse_exact(to_str(a[0]), to_str(a[1])),
        "now": lambda a: _dt.datetime.now(),
        "daysinmonth": _days_in_month,
        "isleapyear": _is_leap_year,
    },
    "guid": {"newguid": lambda a: new_guid_v4()},
    "environment": {
        "exit": _exit,
    },
    "io.path": {
        "combine": _path_combine, "join": _path_combine,
        "getfilename": lambda a: os.path.basename(to_str(a[0])),
        "getextension": lambda a: os.path.splitext(to_str(a[0]))[1],
        "getdirectoryname": lambda a: os.path.dirname(to_str(a[0])),
        "getfilenamewithoutextension": lambda a: os.path.splitext(os.path.basename(to_str(a[0])))[0],
        "getfullpath": lambda a: os.path.abspath(to_str(a[0])),
        "ispathrooted": lambda a: to_str(a[0]).startswith("/"),
        "changeextension": lambda a: os.path.splitext(to_str(a[0]))[0] + (
            ("." + to_str(a[1]).lstrip(".")) if a[1] else ""),
        "gettempfilename": _temp_file_name,
        "getrandomfilename": lambda a: _new_guid().hex[:8] + "." + _new_guid().hex[:3],
    },
    "io.file": {
        "exists": lambda a: os.path.isfile(to_str(a[0])),
        "readalltext": lambda a: _file_read(a[0]),
        "readalllines": lambda a: _file_read(a[0]).splitlines(),
        "writealltext": lambda a: _file_write(a[0], a[1]),
        "appendalltext": lambda a: _file_write(a[0], a[1], "a"),
        "delete": lambda a: os.remove(to_str(a[0])),
    },
    "io.directory": {
        "exists": lambda a: os.path.isdir(to_str(a[0])),
        "createdirectory": lambda a: os.makedirs(to_str(a[0]), exist_ok=True),
        "getfiles": lambda a: _directory_entries(a[0], os.path.isfile),
        "getdirectories": lambda a: _directory_entries(a[0], os.path.isdir),
        "getcurrentdirectory": lambda a: os.getcwd(),
    },
    "regex": {
        "escape": _regex_escape,
        "ismatch": _regex_is_match,
        "match": _regex_match,
        "matches": _regex_matches,
        "replace": _regex_replace,
        "split": _regex_split,
        "unescape": lambda a: to_str(a[0]).replace("\\", ""),
        "new": lambda a: _rx(["", *a], 2),
    },
    "convert": {
        "tobase64string": _base64, "frombase64string": _from_base64,
        "toint32": lambda a: int(to_str(a[0]), int(a[1])) if len(a) > 1 else int(round(to_number(a[0]))),
        "toint64": lambda a: int(to_str(a[0]), int(a[1])) if len(a) > 1 else int(round(to_number(a[0]))),
        "todouble": lambda a: float(to_number(a[0])), "tostring": lambda a: _convert_tostring(a),
        "toboolean": lambda a: to_bool(a[0]),
    },
    "char": {
        "isdigit": lambda a: to_str(a[0]).isdigit(), "isletter": lambda a: to_str(a[0]).isalpha(),
        "iswhitespace": lambda a: to_str(a[0]).isspace(), "isupper": lambda a: to_str(a[0]).isupper(),
        "islower": lambda a: to_str(a[0]).islower(),
        "isletterordigit": lambda a: to_str(a[0]).isalnum(), "toupper": lambda a: to_str(a[0]).upper(),
        "tolower": lambda a: to_str(a[0]).lower(),
    },
    "text.encoding": {},
    "int": {"parse": lambda a: int(to_str(a[0]).strip()),
            "tryparse": lambda a: _try_parse(a, int, 2**31)},
    "int32": {"parse": lambda a: int(to_str(a[0]).strip()),
              "tryparse": lambda a: _try_parse(a, int, 2**31)},
    "double": {"parse": lambda a: float(to_str(a[0]).strip()),
               "tryparse": lambda a: _try_parse(a, float, 0)},
    "timespan": {
        "fromseconds": lambda a: _dt.timedelta(seconds=to_number(a[0])),
        "fromminutes": lambda a: _dt.timedelta(minutes=to_number(a[0])),
        "fromhours": lambda a: _dt.timedelta(hours=to_number(a[0])),
        "fromdays": lambda a: _dt.timedelta(days=to_number(a[0])),
        "frommilliseconds": lambda a: _dt.timedelta(milliseconds=to_number(a[0])),
    },
    "threading.thread": {"sleep": _sleep},
}
_STATIC_METHODS["array"] = {
    "indexof": lambda a: _list_index(a[0], a[1]),
    "reverse": lambda a: a[0].reverse() if isinstance(a[0], list) else None,
    "sort": lambda a: a[0].sort(key=functools.cmp_to_key(_cmp)) if isinstance(a[0], list) else None,
}
_STATIC_METHODS["system.array"] = _STATIC_METHODS["array"]
_STATIC_METHODS["scriptblock"] = {"create": lambda a: _create_script_block(to_str(a[0]))}
_STATIC_METHODS["management.automation.scriptblock"] = _STATIC_METHODS["scriptblock"]
_STATIC_METHODS["system.io.path"] = _STATIC_METHODS["io.path"]
_STATIC_PROPS["system.io.path"] = _STATIC_PROPS["io.path"]
_STATIC_METHODS["management.automation.wildcardpattern"] = _STATIC_METHODS["wildcardpattern"] = {
    "escape": lambda a: __import__("pshell.engine.wildcards", fromlist=["escape"]).escape(to_str(a[0])),
    "unescape": lambda a: __import__("pshell.engine.wildcards", fromlist=["u"]).unescape(to_str(a[0])),
    "containswildcardcharacters":
        lambda a: __import__("pshell.engine.wildcards", fromlist=["h"]).has_wildcards(to_str(a[0])),
}
_STATIC_METHODS["hashtable"] = {"synchronized": _hashtable_synchronized}
_STATIC_METHODS["object"] = _STATIC_METHODS["system.object"] = {
    "referenceequals": lambda a: _same_object(_arg_or_none(a, 0), _arg_or_none(a, 1)),
}


def _arg_or_none(args: List[Any], index: int) -> Any:
    return args[index] if index < len(args) else None


def _same_object(a: Any, b: Any) -> bool:
    """[object]::ReferenceEquals: the same object (nulls are the same; a number or a string is a
    value, boxed anew each time in .NET, so never the same object as another)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float, str, bool)):
        return False
    return a is b


def _langapi(name: str) -> Callable[[List[Any]], Any]:
    def call(args: List[Any]) -> Any:
        from pshell.engine import langapi
        return getattr(langapi, name)(args)
    return call


_STATIC_PROPS["management.automation.typeaccelerators"] = {"get": lambda: _accelerators().get_table()}
_STATIC_METHODS["management.automation.typeaccelerators"] = {
    "add": lambda a: _accelerators().add(a), "remove": lambda a: _accelerators().remove(a)}


def _accelerators() -> Any:
    from pshell.engine import accelerators
    return accelerators


_STATIC_METHODS["management.automation.psparser"] = {"tokenize": _langapi("tokenize")}
_STATIC_METHODS["management.automation.language.parser"] = {"parseinput": _langapi("parse_input")}


def _json_api(args: List[Any]) -> Any:
    from pshell.engine.json_read import convert_from_json_api
    return convert_from_json_api(args)


_STATIC_METHODS["microsoft.powershell.commands.jsonobject"] = {"convertfromjson": _json_api}


def _timezones() -> Any:
    from pshell.engine import timezones
    return timezones


_STATIC_PROPS["timezoneinfo"] = {"local": lambda: _timezones().local_zone(),
                                 "utc": lambda: _timezones().find_zone("UTC")}
_STATIC_METHODS["timezoneinfo"] = {
    "getsystemtimezones": lambda a: _timezones().system_zones(),
    "findsystemtimezonebyid": lambda a: _timezones().find_zone(to_str(a[0])),
}


def _markdown_info(args: List[Any]) -> Any:
    from pshell.engine.markdown_render import MarkdownInfo
    return MarkdownInfo()


def _set_test_hook(args: List[Any]) -> None:
    from pshell.engine.testhooks import set_test_hook
    set_test_hook(args)


_STATIC_METHODS["microsoft.powershell.markdownrender.markdowninfo"] = {"new": _markdown_info}
_STATIC_METHODS["management.automation.internal.internaltesthooks"] = {"settesthook": _set_test_hook}


_STATIC_METHODS["collections.hashtable"] = _STATIC_METHODS["hashtable"]
for _type, _new in CONSTRUCTORS.items():        # [securestring]::new(), [pscredential]::new(u, p)
    _STATIC_METHODS[_type] = {"new": _new}
for _type in ("xml", "xml.xmldocument"):                # [xml]::new(), an empty document
    _STATIC_METHODS[_type] = {"new": lambda a: _xmldoc().XmlDocument()}
_STATIC_METHODS["xml.xmlnamespacemanager"] = {"new": lambda a: _xmldoc().XmlNamespaceManager(*a[:1])}
_STATIC_PROPS["pscredential"] = _STATIC_PROPS["management.automation.pscredential"] = {
    "empty": lambda: PSCredential(None, None)}

def _number_statics() -> None:
    """[byte]::MaxValue, [decimal]::Parse(...) ...: under every name of each type of numbers.py."""
    from pshell.engine import numbers
    from pshell.engine.operators import _TYPE_ALIASES
    props, methods = numbers.static_props(), numbers.static_methods()
    for alias, kind in _TYPE_ALIASES.items():
        if kind in numbers.KINDS and not alias.startswith("system."):
            _STATIC_PROPS[alias] = props[kind]
            _STATIC_METHODS[alias] = methods[kind]


_number_statics()
_STATIC_PROPS["char"] = {"maxvalue": lambda: PSChar("\uffff"), "minvalue": lambda: PSChar("\0")}
for _type, _methods in dotnet_types.STATIC_METHODS.items():  # [IO.File], [Text.Encoding], ...
    _STATIC_METHODS.setdefault(_type, {}).update(_methods)
for _type, _props in dotnet_types.STATIC_PROPS.items():
    _STATIC_PROPS.setdefault(_type, {}).update(_props)
for _type, _props in hostinfo.STATIC_PROPS.items():        # [CultureInfo]
    _STATIC_PROPS.setdefault(_type, {}).update(_props)
for _type, _methods in hostinfo.STATIC_METHODS.items():
    _STATIC_METHODS.setdefault(_type, {}).update(_methods)
#: settable static properties: type -> name -> setter
_STATIC_SETTERS: Dict[str, Dict[str, Callable[[Any], None]]] = dict(hostinfo.STATIC_SETTERS)


def _xmldoc() -> Any:
    from pshell.engine import xmldoc
    return xmldoc


# ---- [NullString], [Random]: what scripts and PowerShell's tests ask of them
_STATIC_PROPS["nullstring"] = _STATIC_PROPS["management.automation.language.nullstring"] = {
    "value": lambda: NullString}
_STATIC_PROPS["dbnull"] = {"value": lambda: DBNull}
_STATIC_PROPS["management.automation.internal.automationnull"] = {"value": lambda: AutomationNull}
_STATIC_METHODS["psobject"] = _STATIC_METHODS["management.automation.psobject"] = {
    "new": lambda a: a[0] if a else PSObject()}


class DotNetRandom:
    """``[Random]::new()``: Next, NextDouble and NextBytes over Python's generator."""

    ps_type_names = ("System.Random",)
    ps_properties = ()

    def __init__(self, seed: Any = None) -> None:
        import random
        self._gen = random.Random(seed)

    def Next(self, *bounds: Any) -> int:
        low, high = (0, 2**31 - 1) if not bounds else (0, int(bounds[0])) if len(bounds) == 1 \
            else (int(bounds[0]), int(bounds[1]))
        if high < low:
            raise _err("'minValue' cannot be greater than maxValue.", "ArgumentOutOfRangeException")
        return low if high == low else self._gen.randrange(low, high)

    def NextDouble(self) -> float:
        return self._gen.random()


_STATIC_METHODS["random"] = {"new": lambda a: DotNetRandom(a[0] if a else None)}


def static_new(type_name: str, runspace: Any = None) -> Optional[Callable[[List[Any]], Any]]:
    """``[T]::new`` for a type pshell knows the constructor of (New-Object uses it too), or None."""
    made = _ENVIRONMENT_METHODS.get(_norm_type(type_name), {}).get("new")
    if made is not None:
        return functools.partial(made, runspace)
    return _STATIC_METHODS.get(_norm_type(type_name), {}).get("new")


def _enum_value(value: str) -> Callable[[], Any]:
    return lambda: value


_STATIC_PROPS["management.automation.runspaces.pipelinestate"] = {
    name.lower(): _enum_value(name) for name in (
        "NotStarted", "Running", "Stopping", "Stopped", "Completed", "Failed", "Disconnected")}


def _date_kind(value: Any) -> Optional[str]:
    """The DateTimeKind an argument names ('Utc', [DateTimeKind]::Local), or None for a number."""
    enum = getattr(value, "ps_enum", None)
    if enum is not None and enum.name == "System.DateTimeKind":
        return to_str(value).lower()
    if isinstance(value, str) and value.strip().lower() in ("utc", "local", "unspecified"):
        return value.strip().lower()
    return None


def _new_datetime(args: List[Any]) -> Any:
    """``[datetime]::new(year, month, day[, hour, minute, second[, millisecond[, microsecond]]]
    [, kind])`` or (ticks[, kind]).  A Utc kind gives an aware UTC date; Local and Unspecified
    the plain (local) date pshell uses for both."""
    kind = _date_kind(args[-1]) if len(args) in (2, 7, 8, 9) else None
    if kind is not None:
        args = args[:-1]
    numbers = [int(to_number(a)) for a in args]
    if len(numbers) == 1:
        made = _dt.datetime(1, 1, 1) + _dt.timedelta(microseconds=numbers[0] / 10)
    else:
        year, month, day, hour, minute, second, milli, micro = (numbers + [0] * 8)[:8]
        made = _dt.datetime(year, month, day, hour, minute, second) + _dt.timedelta(
            milliseconds=milli, microseconds=micro)
    return made.replace(tzinfo=_dt.timezone.utc) if kind == "utc" else made


_STATIC_METHODS["datetime"]["new"] = _new_datetime


_STATIC_PROPS.update(powershell_api.STATIC_PROPS)          # [RunspaceMode]::CurrentRunspace


def _new_error_object(type_name: str, args: List[Any]) -> Any:
    """``[SomeException]::new(...)`` with .NET's overloads and ``[ErrorRecord]::new(exception, id,
    category, target)`` (engine/exception_types.py); None for other types."""
    from pshell.engine import exception_types
    full = exception_types.exception_name(type_name)
    if full is not None:
        return exception_types.construct(full, args)
    if _norm_type(type_name) in ("management.automation.errorrecord", "errorrecord"):
        return exception_types.new_error_record(args)
    return None


ERROR_CATEGORIES = (
    "NotSpecified", "OpenError", "CloseError", "DeviceError", "DeadlockDetected", "InvalidArgument",
    "InvalidData", "InvalidOperation", "InvalidResult", "InvalidType", "MetadataError",
    "NotImplemented", "NotInstalled", "ObjectNotFound", "OperationStopped", "OperationTimeout",
    "SyntaxError", "ParserError", "PermissionDenied", "ResourceBusy", "ResourceExists",
    "ResourceUnavailable", "ReadError", "WriteError", "FromStdErr", "SecurityError", "ProtocolError",
    "ConnectionError", "AuthenticationError", "LimitsExceeded", "QuotaExceeded", "NotEnabled")


def _constant(value: str) -> Callable[[], str]:
    return lambda: value


_STATIC_PROPS["management.automation.errorcategory"] = _STATIC_PROPS["errorcategory"] = {
    c.lower(): _constant(c) for c in ERROR_CATEGORIES}


def _try_parse(args: List[Any], kind: Callable[[str], Any], limit: int) -> bool:
    """``[int]::TryParse(text, [ref]$n)``: whether ``text`` is a number of the type; the number
    (or 0 when it is not) goes to the reference."""
    from pshell.engine.reference import set_out
    text = to_str(args[0]).strip() if args and args[0] is not None else ""
    value: Any = kind("0")
    try:
        value = kind(text)
        ok = not limit or -limit <= value < limit
    except ValueError:
        ok = False
    if len(args) > 1:
        set_out(args[1], value if ok else kind("0"))
    return ok


def _convert_tostring(args: List[Any]) -> str:
    if len(args) > 1:
        value, base = int(to_number(args[0])), int(to_number(args[1]))
        if base == 2:
            return format(value, "b")
        if base == 8:
            return format(value, "o")
        if base == 16:
            return format(value, "x")
    return to_str(args[0])


def _parse_exact(text: str, fmt: str) -> _dt.datetime:
    mapping = [("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("hh", "%I"),
               ("mm", "%M"), ("ss", "%S"), ("tt", "%p"), ("fff", "%f")]
    py = fmt
    for src, dst in mapping:
        py = py.replace(src, dst)
    try:
        return _dt.datetime.strptime(text, py)
    except ValueError:
        raise _err(f'Exception calling "ParseExact" with "3" argument(s): "String \'{text}\' was not '
                   f'recognized as a valid DateTime."', "FormatException",
                   exception_type="System.FormatException") from None


def static_call(frame: Any, type_name: str, name: str, args: List[Any]) -> Any:
    found = user_type(type_name)
    if found is not None:
        return found.static_call(frame, name, args)
    if _norm_type(type_name) in ("enum", "system.enum"):
        from pshell.engine.classes import enum_static_call
        return enum_static_call(type_name, name, args)
    table = _STATIC_METHODS.get(_norm_type(type_name))
    env_fn = _ENVIRONMENT_METHODS.get(_norm_type(type_name), {}).get(name.lower())
    if env_fn is not None and frame is not None:
        table = {name.lower(): functools.partial(env_fn, frame.rs)}
    if table is not None:
        fn = table.get(name.lower())
        if fn is not None:
            try:
                result = fn(args)
            except RuntimeException:
                raise
            except IndexError:          # the method read an argument it was not given
                raise _err(f'Cannot find an overload for "{name}" and the argument count: '
                           f'"{len(args)}".',
                           "MethodCountCouldNotFindBest",
                           exception_type="System.Management.Automation.MethodException") from None
            except (TypeError, ValueError, OSError, KeyError) as exc:
                detail = getattr(exc, "strerror", None) or str(exc)
                raise _err(f'Exception calling "{name}" with "{len(args)}" argument(s): "{detail}"',
                           "MethodInvocationException",
                           exception_type="System.Management.Automation.MethodInvocationException") from None
            return AutomationNull if result is None else result
    _known_type(type_name)
    if name.lower() == "new" and type_name.endswith("]") and not type_name.endswith("[]"):
        from pshell.engine import generics
        made = generics.new(type_name, args)
        if made is not None:
            return made
    if name.lower() == "new" and type_name.rstrip().endswith("[]"):
        from pshell.engine.constructors import construct
        return construct(frame, type_name, args)        # [int[]]::new(3): three zeros
    if name.lower() == "new":
        made = _new_error_object(type_name, args)
        if made is not None:
            return made
        from pshell.engine.operators import convert_to
        return convert_to(args[0] if len(args) == 1 else list(args), type_name) if args else \
            convert_to(None, type_name)
    raise _err(f"Method invocation failed because [{type_name}] does not contain a method named "
               f"'{name}'.", "MethodNotFound")
