"""Member access, method calls and indexing on values: the .NET surface admins use daily, mapped onto
Python values. The static side ([T]::X, [T]::new, type_info) is in statics.py."""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Any, Callable, Dict, List, Optional

from pshell.engine import instance_members, numbers
from pshell.engine.errors import RuntimeException
from pshell.engine.runtime import CURRENT
from pshell.engine.statics import static_setter
from pshell.engine.values import (NO_PROPERTY, AutomationNull, Guid, Hashtable, PSChar, PSObject, PSTypeInfo,
                                  format_number, get_property, properties_of, set_property, to_bool,
                                  to_number, to_str, type_names_of)

__all__ = ["get_member", "set_member", "call_method", "get_index", "set_index"]


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
        setter = static_setter(obj.FullName, name)
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
            from pshell.engine.command_context import invoke_block
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
        from pshell.engine.command_context import invoke_block
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
    from pshell.engine.command_context import invoke_block
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
