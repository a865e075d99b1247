"""Get-Error's detailed view: an error record with its exception chain, invocation and stack.

Get-Error hands out a copy of each record whose PSTypeNames are replaced by
``ErrorRecord#PSExtendedError`` (the record's own class stays its .NET type, so ``-is`` still
holds); the view registered for that name renders it and gives the copy its usual type names
back, as pwsh's formatter does.  The original in ``$Error`` is never touched.
"""

from __future__ import annotations

import copy

from pshell.engine.values import AutomationNull, PSObject, properties_of, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Tuple

__all__ = ["EXTENDED_SUFFIX", "extended_copy", "render_extended", "HRESULTS"]

EXTENDED_SUFFIX = "#PSExtendedError"
STEP = "    "
MAX_NESTING = 10

# Well-known HResult values of .NET exception types (the number each type reports).
HRESULTS = {
    "System.Exception": -2146233088,
    "System.SystemException": -2146233087,
    "System.Management.Automation.RuntimeException": -2146233087,
    "System.Management.Automation.ItemNotFoundException": -2146233087,
    "System.Management.Automation.CommandNotFoundException": -2146233087,
    "System.Management.Automation.ParameterBindingException": -2146233087,
    "System.Management.Automation.PSInvalidCastException": -2147467262,
    "System.InvalidCastException": -2147467262,
    "System.DivideByZeroException": -2147352558,
    "System.OverflowException": -2146233066,
    "System.ArgumentException": -2147024809,
    "System.ArgumentNullException": -2147467261,
    "System.ArgumentOutOfRangeException": -2146233086,
    "System.InvalidOperationException": -2146233079,
    "System.NotSupportedException": -2146233067,
    "System.IO.IOException": -2146232800,
    "System.IO.FileNotFoundException": -2147024894,
    "System.IO.DirectoryNotFoundException": -2147024893,
    "System.UnauthorizedAccessException": -2147024891,
    "System.FormatException": -2146233033,
    "System.OutOfMemoryException": -2147024882,
}


def extended_copy(record: Any) -> Any:
    """A copy of ``record`` that the extended view will show (None: the type has no such view)."""
    base = list(getattr(type(record), "ps_type_names", ()) or ())
    if not base or not hasattr(record, "__dict__"):
        return None
    shown = copy.copy(record)
    shown.ps_type_names = (base[0] + EXTENDED_SUFFIX,) + tuple(base[1:])
    return shown


def restore_type_names(obj: Any) -> None:
    if "ps_type_names" in getattr(obj, "__dict__", {}):
        del obj.ps_type_names


def render_extended(obj: Any) -> str:
    restore_type_names(obj)
    lines: List[str] = []
    _pairs(_record_pairs(obj), "", lines, 0)
    lines.append("")        # records shown one after another stay apart
    return "\n".join(lines)


def exception_type_name(exception: Any) -> str:
    return str(getattr(exception, "type_name", "") or "System.Exception")


def _record_pairs(record: Any) -> List[Tuple[str, Any]]:
    pairs: List[Tuple[str, Any]] = []
    exception = getattr(record, "Exception", None)
    if exception is not None:
        pairs.append(("Exception", _Nested(_exception_pairs(exception))))
    target = getattr(record, "TargetObject", None)
    if target is not None:
        pairs.append(("TargetObject", target))
    pairs.append(("CategoryInfo", to_str(getattr(record, "CategoryInfo", ""))))
    pairs.append(("FullyQualifiedErrorId", getattr(record, "FullyQualifiedErrorId", "")))
    invocation = getattr(record, "InvocationInfo", None)
    if invocation is not None:
        pairs.append(("InvocationInfo", _Nested(_object_pairs(invocation))))
    stack = getattr(record, "ScriptStackTrace", "")
    if stack:
        pairs.append(("ScriptStackTrace", stack))
    return pairs


def _exception_pairs(exception: Any, depth: int = 0) -> List[Tuple[str, Any]]:
    type_name = exception_type_name(exception)
    pairs: List[Tuple[str, Any]] = [("Type", type_name),
                                    ("Message", to_str(getattr(exception, "Message", exception)))]
    inner = getattr(exception, "InnerException", None)
    if inner is not None and depth < MAX_NESTING:
        pairs.append(("InnerException", _Nested(_exception_pairs(inner, depth + 1))))
    hresult = HRESULTS.get(type_name)
    if hresult is not None:
        pairs.append(("HResult", hresult))
    return pairs


def _object_pairs(obj: Any) -> List[Tuple[str, Any]]:
    from pshell.engine.format import member_value
    pairs = []
    for name in properties_of(obj):
        value = member_value(obj, name)
        if value is None or value is AutomationNull or value == "":
            continue
        pairs.append((name, _Nested(_object_pairs(value)) if isinstance(value, PSObject) else value))
    return pairs


class _Nested:
    """A value shown as its own indented block of ``name : value`` lines."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: List[Tuple[str, Any]]) -> None:
        self.pairs = pairs


def _pairs(pairs: List[Tuple[str, Any]], pad: str, lines: List[str], depth: int) -> None:
    width = max((len(name) for name, _ in pairs), default=0)
    for name, value in pairs:
        label = f"{pad}{name.ljust(width)} : "
        if isinstance(value, _Nested):
            lines.append(label.rstrip() if depth < MAX_NESTING else label + "...")
            if depth < MAX_NESTING:
                _pairs(value.pairs, pad + STEP, lines, depth + 1)
            continue
        _text(label, _value_text(value), lines)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return to_str(value)


def _text(label: str, text: str, lines: List[str]) -> None:
    """A value after its label; its further lines line up under its first."""
    parts = text.split("\n") or [""]
    lines.append((label + parts[0]).rstrip())
    indent = " " * len(label)
    for part in parts[1:]:
        lines.append((indent + part).rstrip())
