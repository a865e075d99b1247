"""Shared machinery of the object cmdlets: property expressions (names, wildcards, calculated
properties), PowerShell's comparison rules for sorting/grouping, and wildcard patterns.

Not a cmdlet module (the leading underscore keeps the registry loader away from it).
"""

from __future__ import annotations

import datetime as _dt
import functools

from pshell.engine.errors import RuntimeException
from pshell.engine.values import (AutomationNull, Hashtable, NO_PROPERTY, PSObject, get_property,
                                  properties_of, to_str)
from pshell.engine.wildcards import has_wildcards, wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List, Optional, Sequence, Tuple

__all__ = ["is_scriptblock", "PropertyExpr", "parse_properties",
           "compare_values", "values_equal", "sort_key", "member_names", "unwrap_result",
           "hash_key"]


def is_scriptblock(value: Any) -> bool:
    return type(value).__name__ == "ScriptBlock"


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --------------------------------------------------------------------------- members

_DATE_NAMES = ("Date", "Day", "DayOfWeek", "DayOfYear", "Hour", "Kind", "Millisecond", "Minute",
               "Month", "Second", "Ticks", "TimeOfDay", "Year")


def member_names(value: Any) -> List[str]:
    """Property names usable for wildcard expansion (hashtables expose their keys)."""
    if isinstance(value, dict):
        return [str(k) for k in value.keys()]
    if isinstance(value, str):
        return ["Length"]
    if isinstance(value, _dt.datetime):
        return list(_DATE_NAMES)
    return properties_of(value)


_DICTIONARY_MEMBERS = ("count", "keys", "values", "isreadonly", "issynchronized")


def property_value(obj: Any, name: str) -> Any:
    """``obj.name`` as script code sees it (string ``Length``, date parts, member enumeration
    over arrays), or ``NO_PROPERTY`` when there is no such property."""
    if obj is None or obj is AutomationNull:
        return NO_PROPERTY
    if isinstance(obj, dict):
        value = get_property(obj, name)
        if value is NO_PROPERTY and "ps_members" in getattr(obj, "__dict__", ()):
            from pshell.engine.instance_members import find
            added = find(obj, name)                # what Add-Member put on the table
            if added is not None:
                return added.read(obj)
        if value is NO_PROPERTY and name.lower() in _DICTIONARY_MEMBERS:
            from pshell.engine.members import get_member
            return get_member(obj, name)       # an entry of that name wins over the member
        return value
    if isinstance(obj, PSObject):
        return get_property(obj, name)
    if isinstance(obj, (str, bool, int, float)):
        if isinstance(obj, str) and name.lower() == "length":
            return len(obj)
        if type(obj) not in (str, bool, int, float):     # a remote result: PSComputerName
            from pshell.engine.members import get_member
            value = get_member(obj, name)
            return NO_PROPERTY if value is None else value
        return NO_PROPERTY
    if isinstance(obj, (list, tuple, _dt.datetime, _dt.timedelta)):
        from pshell.engine.members import get_member
        value = get_member(obj, name)
        return NO_PROPERTY if value is None else value
    value = get_property(obj, name)
    if value is not NO_PROPERTY and callable(value) and not isinstance(value, type):
        return NO_PROPERTY
    return value


def unwrap_result(items: List[Any]) -> Any:
    """A script block's output as one value: nothing is ``$null``, one item is itself."""
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return list(items)


def single_output(value: Any) -> Any:
    """What ``unwrap_result(invoke(block))`` gives, from the value of a one-expression block's
    :meth:`item_function`: the value unrolled as its output would be, then made one value."""
    kind = type(value)
    if kind is bool or kind is int or kind is str or kind is float:
        return value
    from pshell.engine.rt import _enum
    return unwrap_result(list(_enum(value)))


class PropertyExpr:
    """One entry of ``-Property``: a name, a wildcard, or a calculated property."""

    __slots__ = ("name", "expression", "wildcard", "descending", "ascending", "source")

    def __init__(self, name: str, expression: Any = None, wildcard: bool = False,
                 descending: Optional[bool] = None, source: Any = None) -> None:
        self.name = name
        self.expression = expression if expression is not None else name
        self.wildcard = wildcard
        self.descending = descending
        self.source = source

    @property
    def is_calculated(self) -> bool:
        return not isinstance(self.expression, str) or self.source is not None

    def resolve(self, obj: Any) -> List[Tuple[str, Any]]:
        """``(name, expression)`` pairs this entry stands for on ``obj`` (wildcards expanded)."""
        if not self.wildcard:
            return [(self.name, self.expression)]
        names = member_names(obj)
        return [(n, n) for n in names if wildcard_match(self.name, n)]

    def value(self, cmdlet: Any, obj: Any, expression: Any = None) -> Any:
        expr = self.expression if expression is None else expression
        return evaluate(cmdlet, expr, obj)


def evaluate(cmdlet: Any, expression: Any, obj: Any) -> Any:
    """The value of a property expression (name or script block) for ``obj``; ``NO_PROPERTY``
    when a named property does not exist."""
    if isinstance(expression, str):
        return property_value(obj, expression)
    fast = getattr(cmdlet, "_item_functions", None)
    if fast is None:
        fast = cmdlet._item_functions = {}
    key = id(expression)
    if key not in fast:
        fast[key] = (expression, cmdlet.item_function(expression, new_scope=True))
    function = fast[key][1]
    if function is not None:
        return single_output(function(obj))
    return unwrap_result(cmdlet.invoke(expression, dollar_under=obj))


_NAME_KEYS = ("name", "label")
_EXPR_KEYS = ("expression",)


def _key_kind(key: str, allowed: Sequence[str]) -> Optional[str]:
    lowered = key.lower()
    for full in allowed:
        if lowered and full.startswith(lowered):
            return full
    return None


def parse_properties(cmdlet: Any, specs: Any, allowed_extra: Sequence[str] = (),
                     allow_name: bool = True) -> List[PropertyExpr]:
    """Turn ``-Property`` arguments into :class:`PropertyExpr` entries; raises a terminating
    error for a malformed calculated property."""
    result: List[PropertyExpr] = []
    if specs is None:
        return result
    if not isinstance(specs, (list, tuple)):
        specs = [specs]
    for spec in specs:
        if isinstance(spec, dict):
            result.append(_calculated(cmdlet, spec, allowed_extra, allow_name))
        elif is_scriptblock(spec):
            if not to_str(spec).strip() and getattr(cmdlet, "name", "") == "Select-Object":
                raise RuntimeException(cmdlet.error_record(
                    "A property can not be an empty script block without a name: give it "
                    "@{Name=...; Expression={...}}.", "EmptyScriptBlockAndNoName", "InvalidArgument",
                    exception_type="System.Management.Automation.PSArgumentException"))
            result.append(PropertyExpr(to_str(spec).strip(), spec, source=spec))
        else:
            text = to_str(spec)
            result.append(PropertyExpr(text, text, wildcard=has_wildcards(text)))
    return result


def _calculated(cmdlet: Any, spec: dict, allowed_extra: Sequence[str],
                allow_name: bool) -> PropertyExpr:
    allowed = list(_EXPR_KEYS) + list(allowed_extra) + (list(_NAME_KEYS) if allow_name else [])
    name = None
    expression: Any = None
    descending = None
    for key, value in spec.items():
        kind = _key_kind(str(key), ["n"] + allowed if allow_name else allowed)
        if kind is None:
            raise cmdlet.terminate(f'The {key} key is not valid.', "DictionaryKeyIllegal",
                                   "InvalidArgument")
        if kind in ("n", "name", "label"):
            name = to_str(value)
        elif kind == "expression":
            expression = value
        elif kind == "descending":
            descending = bool(value)
        elif kind == "ascending":
            descending = not bool(value)
    if expression is None:
        raise cmdlet.terminate('The Expression key is missing.', "DictionaryKeyMissing",
                               "InvalidArgument")
    if not is_scriptblock(expression):
        expression = to_str(expression)
    if name is None:
        name = expression if isinstance(expression, str) else to_str(expression).strip()
    entry = PropertyExpr(name, expression, source=spec, descending=descending)
    if isinstance(expression, str):
        entry.source = None
        entry.wildcard = False
        entry.name = name
    return entry


# --------------------------------------------------------------------------- comparison

def compare_values(a: Any, b: Any, case_sensitive: bool = False) -> int:
    """PowerShell's ordering (``$null`` first, the left operand's type decides), as ``-lt`` and
    ``-gt`` use it."""
    from pshell.engine.operators import compare_values as _compare
    return _compare(a, b, case_sensitive)


def values_equal(a: Any, b: Any, case_sensitive: bool = False) -> bool:
    from pshell.engine.operators import equals
    return equals(a, b, case_sensitive)


def sort_key(case_sensitive: bool = False) -> Callable[[Any], Any]:
    return functools.cmp_to_key(lambda x, y: compare_values(x, y, case_sensitive))


def hash_key(value: Any, case_sensitive: bool = False) -> Any:
    """A hashable stand-in for ``value`` under :func:`values_equal` (for grouping and
    de-duplication at dictionary speed)."""
    if value is AutomationNull:
        value = None
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("n", int(value))
    if is_number(value):
        return ("n", value)
    if isinstance(value, (list, tuple)):
        return ("l",) + tuple(hash_key(v, case_sensitive) for v in value)
    if isinstance(value, (_dt.datetime, _dt.timedelta)):
        return ("d", value)
    text = value if isinstance(value, str) else to_str(value)
    return ("s", text if case_sensitive else text.lower())


def new_object(pairs: List[Tuple[str, Any]], type_names: Optional[List[str]] = None) -> PSObject:
    return PSObject.from_pairs(pairs, type_names=type_names)


def has_property(value: Any, name: str) -> bool:
    return get_property(value, name) is not NO_PROPERTY


def is_hashtable(value: Any) -> bool:
    return isinstance(value, (Hashtable, dict))
