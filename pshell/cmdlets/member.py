"""Get-Member: the properties and methods of objects, as PowerShell names them."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Dict, Iterator, List, Optional, Tuple

from pshell.engine.cmdlet import Cmdlet, Param, enum_type, register
from pshell.engine.values import (AutomationNull, PSObject, PSTypeInfo, properties_of,
                                  to_str, type_names_of)
from pshell.engine.wildcards import wildcard_match

_OBJECT_METHODS = (
    ("Equals", "bool Equals(System.Object obj)"),
    ("GetHashCode", "int GetHashCode()"),
    ("GetType", "type GetType()"),
    ("ToString", "string ToString()"),
)

_STRING_METHODS = (
    ("Clone", "System.Object Clone(), System.Object ICloneable.Clone()"),
    ("CompareTo", "int CompareTo(System.Object value), int CompareTo(string strB)"),
    ("Contains", "bool Contains(string value), bool Contains(char value)"),
    ("EndsWith", "bool EndsWith(string value), bool EndsWith(char value)"),
    ("Equals", "bool Equals(System.Object obj), bool Equals(string value)"),
    ("Format", "string Format(string format, System.Object arg0)"),
    ("GetHashCode", "int GetHashCode()"),
    ("GetType", "type GetType()"),
    ("IndexOf", "int IndexOf(char value), int IndexOf(string value), "
                "int IndexOf(string value, int startIndex)"),
    ("IndexOfAny", "int IndexOfAny(char[] anyOf)"),
    ("Insert", "string Insert(int startIndex, string value)"),
    ("LastIndexOf", "int LastIndexOf(char value), int LastIndexOf(string value)"),
    ("PadLeft", "string PadLeft(int totalWidth), string PadLeft(int totalWidth, char paddingChar)"),
    ("PadRight", "string PadRight(int totalWidth), string PadRight(int totalWidth, char paddingChar)"),
    ("Remove", "string Remove(int startIndex, int count), string Remove(int startIndex)"),
    ("Replace", "string Replace(string oldValue, string newValue)"),
    ("Split", "string[] Split(char separator), string[] Split(string separator)"),
    ("StartsWith", "bool StartsWith(string value), bool StartsWith(char value)"),
    ("Substring", "string Substring(int startIndex), string Substring(int startIndex, int length)"),
    ("ToCharArray", "char[] ToCharArray()"),
    ("ToLower", "string ToLower()"),
    ("ToLowerInvariant", "string ToLowerInvariant()"),
    ("ToString", "string ToString()"),
    ("ToUpper", "string ToUpper()"),
    ("ToUpperInvariant", "string ToUpperInvariant()"),
    ("Trim", "string Trim(), string Trim(char trimChar), string Trim(Params char[] trimChars)"),
    ("TrimEnd", "string TrimEnd(), string TrimEnd(char trimChar)"),
    ("TrimStart", "string TrimStart(), string TrimStart(char trimChar)"),
)

_NUMBER_METHODS = (
    ("CompareTo", "int CompareTo(System.Object value)"),
    ("Equals", "bool Equals(System.Object obj)"),
    ("GetHashCode", "int GetHashCode()"),
    ("GetType", "type GetType()"),
    ("GetTypeCode", "System.TypeCode GetTypeCode()"),
    ("ToString", "string ToString(), string ToString(string format)"),
)

_HASHTABLE_METHODS = (
    ("Add", "void Add(System.Object key, System.Object value)"),
    ("Clear", "void Clear()"),
    ("Clone", "System.Object Clone()"),
    ("Contains", "bool Contains(System.Object key)"),
    ("ContainsKey", "bool ContainsKey(System.Object key)"),
    ("ContainsValue", "bool ContainsValue(System.Object value)"),
    ("CopyTo", "void CopyTo(array array, int arrayIndex)"),
    ("Equals", "bool Equals(System.Object obj)"),
    ("GetEnumerator", "System.Collections.IDictionaryEnumerator GetEnumerator()"),
    ("GetHashCode", "int GetHashCode()"),
    ("GetType", "type GetType()"),
    ("Remove", "void Remove(System.Object key)"),
    ("ToString", "string ToString()"),
)
_HASHTABLE_PROPERTIES = (
    ("Count", "int Count {get;}"), ("IsFixedSize", "bool IsFixedSize {get;}"),
    ("IsReadOnly", "bool IsReadOnly {get;}"), ("IsSynchronized", "bool IsSynchronized {get;}"),
    ("Keys", "System.Collections.ICollection Keys {get;}"),
    ("SyncRoot", "System.Object SyncRoot {get;}"),
    ("Values", "System.Collections.ICollection Values {get;}"),
)

_ARRAY_METHODS = (
    ("Clone", "System.Object Clone()"), ("Contains", "bool IList.Contains(System.Object value)"),
    ("CopyTo", "void CopyTo(array array, int index)"), ("Equals", "bool Equals(System.Object obj)"),
    ("ForEach", "void ForEach(scriptblock expression)"),
    ("GetEnumerator", "System.Collections.IEnumerator GetEnumerator()"),
    ("GetHashCode", "int GetHashCode()"), ("GetType", "type GetType()"),
    ("IndexOf", "int IList.IndexOf(System.Object value)"), ("ToString", "string ToString()"),
    ("Where", "System.Collections.ObjectModel.Collection[psobject] Where(scriptblock expression)"),
)

_DATE_PROPERTIES = (
    ("Date", "datetime Date {get;}"), ("Day", "int Day {get;}"),
    ("DayOfWeek", "System.DayOfWeek DayOfWeek {get;}"), ("DayOfYear", "int DayOfYear {get;}"),
    ("Hour", "int Hour {get;}"), ("Kind", "System.DateTimeKind Kind {get;}"),
    ("Millisecond", "int Millisecond {get;}"), ("Minute", "int Minute {get;}"),
    ("Month", "int Month {get;}"), ("Second", "int Second {get;}"), ("Ticks", "long Ticks {get;}"),
    ("TimeOfDay", "timespan TimeOfDay {get;}"), ("Year", "int Year {get;}"),
)
_DATE_METHODS = (
    ("Add", "datetime Add(timespan value)"), ("AddDays", "datetime AddDays(double value)"),
    ("AddHours", "datetime AddHours(double value)"),
    ("AddMilliseconds", "datetime AddMilliseconds(double value)"),
    ("AddMinutes", "datetime AddMinutes(double value)"), ("AddMonths", "datetime AddMonths(int months)"),
    ("AddSeconds", "datetime AddSeconds(double value)"), ("AddYears", "datetime AddYears(int value)"),
    ("CompareTo", "int CompareTo(System.Object value)"), ("Equals", "bool Equals(System.Object value)"),
    ("GetHashCode", "int GetHashCode()"), ("GetType", "type GetType()"),
    ("Subtract", "timespan Subtract(datetime value), datetime Subtract(timespan value)"),
    ("ToLocalTime", "datetime ToLocalTime()"), ("ToLongDateString", "string ToLongDateString()"),
    ("ToShortDateString", "string ToShortDateString()"),
    ("ToString", "string ToString(), string ToString(string format)"),
    ("ToUniversalTime", "datetime ToUniversalTime()"),
)

_SHORT_TYPES = {
    "System.Int32": "int", "System.Int64": "long", "System.Double": "double",
    "System.String": "string", "System.Boolean": "bool", "System.DateTime": "datetime",
    "System.TimeSpan": "timespan", "System.Collections.Hashtable": "hashtable",
    "System.Object[]": "Object[]", "System.Management.Automation.ScriptBlock": "scriptblock",
    "System.Collections.Specialized.OrderedDictionary": "System.Collections.Specialized.OrderedDictionary",
}


class MemberDefinition:
    ps_type_names = ("Microsoft.PowerShell.Commands.MemberDefinition",)
    ps_properties = ("Name", "MemberType", "Definition")

    def __init__(self, type_name: str, name: str, member_type: str, definition: str) -> None:
        self.TypeName = type_name
        self.Name = name
        self.MemberType = member_type
        self.Definition = definition

    def ToString(self) -> str:
        return self.Definition


def _register_view() -> None:
    try:
        from pshell.engine.format import register_view
    except ImportError:
        return
    register_view("Microsoft.PowerShell.Commands.MemberDefinition", "table",
                  ["Name", "MemberType", "Definition"], group_by=("TypeName", "TypeName"),
                  group_label="TypeName")


_register_view()


def _short_type(value: Any) -> str:
    if value is None or value is AutomationNull:
        return "object"
    name = type_names_of(value)[0]
    return _SHORT_TYPES.get(name, name)


def _note_definition(name: str, value: Any) -> str:
    if value is None:
        shown = "null"
    elif isinstance(value, (list, tuple)):
        shown = "System.Object[]"
    else:
        shown = to_str(value)
    return f"{_short_type(value)} {name}={shown}"


Member = Tuple[str, str, str]      # name, member type, definition


def members_of(value: Any) -> List[Member]:
    """The members Get-Member lists for ``value`` (unsorted)."""
    members = _own_members(value)
    added = getattr(value, "__dict__", {}).get("ps_members") if not isinstance(value, PSObject) else None
    for member in (added or {}).values():        # what Add-Member put on a hashtable, a string...
        if member.kind == "NoteProperty":
            members.append((member.name, "NoteProperty", _note_definition(member.name, member.value)))
        else:
            members.append((member.name, member.kind, f"System.Object {member.name}"))
    computer = None if isinstance(value, PSObject) else getattr(type(value), "PSComputerName", None)
    if computer is not None:
        # a string, number or date a remote command returned: its remoting notes, as PowerShell's
        members += [("PSComputerName", "NoteProperty", _note_definition("PSComputerName", computer)),
                    ("PSShowComputerName", "NoteProperty", "bool PSShowComputerName=True")]
    return members


def _own_members(value: Any) -> List[Member]:
    if isinstance(value, PSObject):
        out = [(n, "Method", d) for n, d in _OBJECT_METHODS]
        out += [(n, "NoteProperty", _note_definition(n, v)) for n, v in value.items()]
        return out
    if isinstance(value, str):
        out = [(n, "Method", d) for n, d in _STRING_METHODS]
        out += [("Chars", "ParameterizedProperty", "char Chars(int index) {get;}"),
                ("Length", "Property", "int Length {get;}")]
        return out
    if isinstance(value, (bool, int, float)):
        return [(n, "Method", d) for n, d in _NUMBER_METHODS]
    if isinstance(value, dict):
        out = [(n, "Method", d) for n, d in _HASHTABLE_METHODS]
        out += [(n, "Property", d) for n, d in _HASHTABLE_PROPERTIES]
        out.append(("Item", "ParameterizedProperty",
                    "System.Object Item(System.Object key) {get;set;}"))
        return out
    if isinstance(value, (list, tuple)):
        out = [(n, "Method", d) for n, d in _ARRAY_METHODS]
        out += [("Count", "AliasProperty", "Count = Length"),
                ("Length", "Property", "int Length {get;}"),
                ("Rank", "Property", "int Rank {get;}")]
        return out
    if isinstance(value, _dt.datetime):
        out = [(n, "Method", d) for n, d in _DATE_METHODS]
        out += [(n, "Property", d) for n, d in _DATE_PROPERTIES]
        out.append(("DateTime", "ScriptProperty", "System.Object DateTime {get=...;}"))
        return out
    return _python_members(value)


def _python_members(value: Any) -> List[Member]:
    from pshell.engine.values import get_property
    out: List[Member] = []
    seen = set()
    for name in properties_of(value):
        prop = get_property(value, name, None)
        out.append((name, "Property", f"{_short_type(prop)} {name} {{get;}}"))
        seen.add(name.lower())
    for name in dir(type(value)):
        if name.startswith("_") or not name[:1].isupper() or name.lower() in seen:
            continue
        attr = getattr(type(value), name, None)
        if callable(attr):
            out.append((name, "Method", f"{name}()"))
        elif isinstance(attr, property):
            out.append((name, "Property", f"System.Object {name} {{get;}}"))
        seen.add(name.lower())
    for name, definition in _OBJECT_METHODS:
        if name.lower() not in seen:
            out.append((name, "Method", definition))
    return out


_PROPERTY_KINDS = {"aliasproperty", "codeproperty", "property", "noteproperty", "scriptproperty"}
_METHOD_KINDS = {"method", "codemethod", "scriptmethod"}
_MEMBER_TYPES = ("AliasProperty", "CodeProperty", "Property", "NoteProperty", "ScriptProperty",
                 "Properties", "PropertySet", "Method", "CodeMethod", "ScriptMethod", "Methods",
                 "ParameterizedProperty", "MemberSet", "Event", "Dynamic", "All")


_member_type = enum_type("System.Management.Automation.PSMemberTypes", _MEMBER_TYPES)


def _wanted(kind: str, filters: Optional[List[str]]) -> bool:
    if not filters:
        return True
    lowered = kind.lower()
    for f in filters:
        f = f.lower()
        if f == "all" or f == lowered:
            return True
        if f == "properties" and lowered in _PROPERTY_KINDS:
            return True
        if f == "methods" and lowered in _METHOD_KINDS:
            return True
    return False


_STATIC: Dict[str, List[Member]] = {
    "System.String": [("Empty", "Property", "static string Empty {get;}"),
                      ("Format", "Method", "static string Format(string format, System.Object arg0)"),
                      ("IsNullOrEmpty", "Method", "static bool IsNullOrEmpty(string value)"),
                      ("IsNullOrWhiteSpace", "Method", "static bool IsNullOrWhiteSpace(string value)"),
                      ("Join", "Method", "static string Join(string separator, Params string[] value)")],
    "System.Int32": [("MaxValue", "Property", "static int MaxValue {get;}"),
                     ("MinValue", "Property", "static int MinValue {get;}"),
                     ("Parse", "Method", "static int Parse(string s)"),
                     ("TryParse", "Method", "static bool TryParse(string s, [ref] int result)")],
    "System.DateTime": [("Now", "Property", "datetime Now {get;}"),
                        ("Today", "Property", "datetime Today {get;}"),
                        ("UtcNow", "Property", "datetime UtcNow {get;}"),
                        ("Parse", "Method", "static datetime Parse(string s)")],
}


@register
class GetMember(Cmdlet):
    name = "Get-Member"
    synopsis = "Lists the properties and methods of objects."
    params = (
        Param("InputObject", "object", pipeline=True),
        Param("Name", "string[]", position=0),
        Param("MemberType", _member_type, aliases=("Type",)),
        Param("View", "string"),
        Param("Static", "switch"),
        Param("Force", "switch"),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if upstream is None:
            items: Iterator[Any] = iter((self.InputObject,)) if self.is_bound("InputObject") \
                and self.InputObject is not None else iter(())
        else:
            items = (item for item in upstream if item is not None and item is not AutomationNull)
        seen = set()
        any_input = False
        filters = self._filters()
        for item in items:
            any_input = True
            type_name = self._type_name(item)
            if type_name in seen:
                continue
            seen.add(type_name)
            members = self._static_members(item) if self.Static else members_of(item)
            rows = [m for m in members if _wanted(m[1], filters) and self._name_ok(m[0])]
            rows.sort(key=lambda m: (m[1].lower(), m[0].lower()))
            for name, kind, definition in rows:
                yield MemberDefinition(type_name, name, kind, definition)
        if not any_input:
            raise self.terminate("You must specify an object for the Get-Member cmdlet.",
                                 "NoObjectInGetMember", "CloseError")

    def _filters(self) -> Optional[List[str]]:
        value = self.MemberType
        if value is None:
            return None
        return list(value) if isinstance(value, (list, tuple)) else [value]

    def _name_ok(self, name: str) -> bool:
        if not self.Name:
            return True
        return any(wildcard_match(pattern, name) for pattern in self.Name)

    def _type_name(self, item: Any) -> str:
        if self.Static and isinstance(item, PSTypeInfo):
            return item.FullName
        names = type_names_of(item)
        return names[0] if names else "System.Object"

    def _static_members(self, item: Any) -> List[Member]:
        name = item.FullName if isinstance(item, PSTypeInfo) else type_names_of(item)[0]
        members = list(_STATIC.get(name, []))
        members += [("Equals", "Method", "static bool Equals(System.Object objA, System.Object objB)"),
                    ("ReferenceEquals", "Method",
                     "static bool ReferenceEquals(System.Object objA, System.Object objB)")]
        return members


__all__ = ["GetMember", "MemberDefinition", "members_of"]
