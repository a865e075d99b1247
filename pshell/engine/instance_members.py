"""Members Add-Member puts on objects that are not PSObjects: a string, a number, a hashtable, an
alias... (PowerShell keeps them on the object's PSObject wrapper).

A member is a :class:`Member` (note, alias, script property, script method) in the object's
``ps_members`` table, kept in its ``__dict__``.  Immutable values (strings, numbers) and arrays
cannot take attributes: :func:`carrier` gives a copy of a subclass that can (what
``Add-Member -PassThru`` returns and the caller keeps), the plain value everywhere else.
``members.get_member``/``set_member``/``call_method`` ask :func:`find` before anything else for
such objects.  Script members run with ``$this`` (and ``$_``) set to the object, in a scope below
the one Add-Member ran in.
"""

from __future__ import annotations

try:                            # datetime's classes from the C module datetime.py re-exports:
    import _datetime as _dt     # datetime.py first defines them in Python (~0.6 ms of start-up)
except ImportError:
    import datetime as _dt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional

__all__ = ["Member", "carrier", "table_of", "find", "extra_type_names", "MEMBER_KINDS"]

#: PowerShell's PSMemberTypes: name -> value (a number given to -MemberType picks by value)
MEMBER_KINDS = {
    "aliasproperty": 1, "codeproperty": 2, "property": 4, "noteproperty": 8, "scriptproperty": 16,
    "propertyset": 32, "method": 64, "codemethod": 128, "scriptmethod": 256,
    "parameterizedproperty": 512, "memberset": 1024,
}
CANONICAL = {k: n for n in ("AliasProperty", "CodeProperty", "Property", "NoteProperty",
                            "ScriptProperty", "PropertySet", "Method", "CodeMethod", "ScriptMethod",
                            "ParameterizedProperty", "MemberSet") for k in (n.lower(),)}


class NotedStr(str):
    """A string carrying members of its own."""

    def __reduce__(self) -> Any:          # a job's spill file or the wire: the plain string
        return (str, (str(self),))


class NotedInt(int):
    def __reduce__(self) -> Any:
        return (int, (int(self),))


class NotedFloat(float):
    def __reduce__(self) -> Any:
        return (float, (float(self),))


class NotedList(list):
    """An array carrying members of its own."""

    def __reduce__(self) -> Any:
        return (list, (list(self),))


class NotedDate(_dt.datetime):
    """A DateTime carrying members of its own."""

    def __reduce__(self) -> Any:
        return (_dt.datetime, (self.year, self.month, self.day, self.hour, self.minute, self.second,
                               self.microsecond, self.tzinfo))


def _noted_date(value: _dt.datetime) -> NotedDate:
    return NotedDate.combine(value.date(), value.timetz())


_COPIES: Dict[type, Callable[[Any], Any]] = {
    str: NotedStr, int: NotedInt, float: NotedFloat, list: NotedList, tuple: NotedList,
    _dt.datetime: _noted_date}


def carrier(obj: Any) -> Optional[Any]:
    """``obj`` itself when it can hold members, a copy that can for strings, numbers and arrays,
    None for what cannot ($null, booleans)."""
    if obj is None or isinstance(obj, bool):
        return None
    if "ps_members" in getattr(obj, "__dict__", ()):
        return obj
    for base, copy in _COPIES.items():
        if isinstance(obj, base) and not (base is _dt.datetime and type(obj) is not base):
            return copy(obj)
    try:
        obj.__dict__.setdefault("ps_members", {})
    except AttributeError:
        return None
    return obj


def table_of(obj: Any) -> Dict[str, "Member"]:
    """The members of a carrier (made empty on first use)."""
    return obj.__dict__.setdefault("ps_members", {})


def extra_type_names(obj: Any) -> List[str]:
    return obj.__dict__.setdefault("ps_extra_type_names", [])


def find(obj: Any, name: str) -> Optional["Member"]:
    """The member ``name`` Add-Member put on ``obj``, or None."""
    table = getattr(obj, "__dict__", None)
    if not table:
        return None
    members = table.get("ps_members")
    return members.get(name.lower()) if members else None


class Member:
    """One added member: ``kind`` is PowerShell's member type name."""

    __slots__ = ("kind", "name", "value", "second", "frame")

    def __init__(self, kind: str, name: str, value: Any, second: Any = None,
                 frame: Any = None) -> None:
        self.kind = kind
        self.name = name
        self.value = value
        self.second = second
        self.frame = frame

    def read(self, obj: Any) -> Any:
        if self.kind == "NoteProperty":
            return self.value
        if self.kind == "AliasProperty":
            from pshell.engine.members import get_member
            value = get_member(obj, self.value)
            if self.second:
                from pshell.engine.conversions import convert_to
                value = convert_to(value, self.second)
            return value
        if self.kind == "ScriptProperty":
            if self.value is None:
                return None
            return self.run(self.value, obj, ())
        return self.value

    def write(self, obj: Any, new: Any) -> None:
        if self.kind == "NoteProperty":
            self.value = new
        elif self.kind == "AliasProperty":
            from pshell.engine.members import set_member
            set_member(obj, self.value, new)
        elif self.kind == "ScriptProperty" and self.second is not None:
            self.run(self.second, obj, (new,))
        else:
            from pshell.engine.errors import RuntimeException
            raise RuntimeException.make(f"'{self.name}' is a {self.kind} without a way to set it.",
                                        "SetWithoutSetterFromScriptProperty", "InvalidOperation")

    def run(self, block: Any, obj: Any, args: Any) -> Any:
        """The block's output as a value (nothing is None, one object itself, more a list)."""
        from pshell.engine.command_context import invoke_block
        from pshell.engine.runtime import Frame, Scope, collect
        home = self.frame
        scope = Scope(home.scope)
        scope.vars["this"] = obj
        frame = Frame(home.rs, scope, home.streams, home.script_scope, block.unit, home.using, False)
        return collect(invoke_block(frame, block, tuple(args), dollar_under=obj, new_scope=False))
