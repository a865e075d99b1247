"""``[System.Management.Automation.LanguagePrimitives]``: the script-visible face of the engine's own
conversions and comparisons (``ConvertTo``, ``TryConvertTo``, ``IsTrue``, ``Compare``, ``Equals``),
and the names of cmdlet output types scripts test with ``-is`` (``GenericMeasureInfo``...)."""

from __future__ import annotations


from pshell.engine.errors import RuntimeException
from pshell.engine.values import to_bool, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List

__all__ = ["STATIC_METHODS", "KNOWN_TYPES"]


def _type_name(value: Any) -> str:
    """A type argument: ``[double]`` or its name."""
    return to_str(getattr(value, "FullName", value))


def _convert_to(args: List[Any]) -> Any:
    from pshell.engine.conversions import convert_to
    if len(args) < 2:
        raise IndexError("ConvertTo takes a value and a type")
    return convert_to(args[0], _type_name(args[1]))


def _try_convert_to(args: List[Any]) -> bool:
    """(value, type[, culture], [ref] result): whether the conversion works; the result (or $null)
    goes to the reference."""
    from pshell.engine.reference import set_out
    if len(args) < 3:
        raise IndexError("TryConvertTo takes a value, a type and a [ref]")
    try:
        value, ok = _convert_to(args[:2]), True
    except RuntimeException:
        value, ok = None, False
    set_out(args[-1], value)
    return ok


def _compare(args: List[Any]) -> int:
    from pshell.engine.operators import compare_values
    if len(args) < 2:
        raise IndexError("Compare takes two values")
    ignore_case = to_bool(args[2]) if len(args) > 2 else True
    return compare_values(args[0], args[1], cs=not ignore_case)


def _equals(args: List[Any]) -> bool:
    return _compare(args) == 0


_METHODS: Dict[str, Callable[[List[Any]], Any]] = {
    "convertto": _convert_to, "tryconvertto": _try_convert_to,
    "istrue": lambda a: to_bool(a[0]), "compare": _compare, "equals": _equals,
}

#: names (lower case, without "system.") -> static methods; dotnet_types merges them
STATIC_METHODS: Dict[str, Dict[str, Callable[[List[Any]], Any]]] = {
    "management.automation.languageprimitives": _METHODS,
}

#: the type names cmdlets' objects carry that ``[T]`` / ``-is [T]`` accept
KNOWN_TYPES = frozenset(name.lower() for name in (
    "Microsoft.PowerShell.Commands.GenericMeasureInfo", "Microsoft.PowerShell.Commands.TextMeasureInfo",
    "Microsoft.PowerShell.Commands.MeasureInfo", "Microsoft.PowerShell.Commands.GroupInfo",
    "Microsoft.PowerShell.Commands.GenericObjectMeasureInfo"))
