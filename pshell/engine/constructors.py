"""What ``New-Object -TypeName T -ArgumentList ...`` makes when T has no constructor of its own in
pshell: an array of a length (``int[]`` 10), a value type's default (``char``), the host's
``Coordinates`` and ``Size`` structs, else whatever ``[T]::new(...)`` makes."""

from __future__ import annotations


from pshell.engine.errors import RuntimeException
from pshell.engine.values import PSChar, PSObject, to_number

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List

__all__ = ["construct", "CONSTRUCTORS"]


def _pair(type_name: str, first: str, second: str) -> Callable[[List[Any]], PSObject]:
    def make(args: List[Any]) -> PSObject:
        if len(args) not in (0, 2):
            raise ValueError(f"[{type_name}] is made from no arguments or two ({first}, {second}), "
                             f"not {len(args)}")
        x, y = (int(to_number(a)) for a in args) if args else (0, 0)
        return PSObject({first: x, second: y}, type_names=(type_name, "System.ValueType", "System.Object"))
    return make


def _new_variable(args: List[Any]) -> Any:
    """``[PSVariable]::new(name[, value[, options[, attributes]]])``: a variable in no scope."""
    from pshell.engine.state_drives import OPTION_NAMES, PSVariable
    from pshell.engine.values import to_str
    if not 1 <= len(args) <= 4:
        raise _no_overload("new", len(args))
    options = "None" if len(args) < 3 or args[2] is None else to_str(args[2])
    chosen = [o for o in OPTION_NAMES if o.lower() == options.strip().lower()]
    if not chosen:
        raise _bad_argument("options", options, "System.Management.Automation.ScopedItemOptions")
    if len(args) == 4 and args[3] is not None and not isinstance(args[3], (list, tuple)):
        raise _bad_argument("attributes", to_str(args[3]),
                            "System.Collections.ObjectModel.Collection[System.Attribute]")
    return PSVariable(to_str(args[0]), args[1] if len(args) > 1 else None, chosen[0])


def _no_overload(method: str, count: int) -> RuntimeException:
    return RuntimeException.make(
        f'Cannot find an overload for "{method}" and the argument count: "{count}".',
        "MethodCountCouldNotFindBest", "InvalidOperation",
        exception_type="System.Management.Automation.MethodException")


def _bad_argument(name: str, value: str, type_name: str) -> RuntimeException:
    return RuntimeException.make(
        f'Cannot convert argument "{name}", with value: "{value}", for "PSVariable" to type '
        f'"{type_name}".', "MethodArgumentConversionInvalidCastArgument", "InvalidArgument",
        exception_type="System.Management.Automation.MethodException")


#: names (lower case, without "system.") -> constructors; dotnet_types adds them to its table
CONSTRUCTORS: Dict[str, Callable[[List[Any]], Any]] = {
    "management.automation.psvariable": _new_variable,
    "psvariable": _new_variable,
    "management.automation.host.coordinates": _pair("System.Management.Automation.Host.Coordinates",
                                                    "X", "Y"),
    "management.automation.host.size": _pair("System.Management.Automation.Host.Size",
                                             "Width", "Height"),
}

#: the longest array ``[T[]]::new(n)`` makes (a list of 2**31 Python objects would exhaust memory)
_MAX_LENGTH = 1 << 26

_DEFAULTS: Dict[str, Callable[[], Any]] = {"char": lambda: PSChar("\0")}


def construct(frame: Any, type_name: str, args: List[Any]) -> Any:
    """The object; an unknown type raises the runtime's 'Unable to find type' error."""
    from pshell.engine.statics import static_call
    from pshell.engine.conversions import convert_to
    from pshell.engine.types import lookup_type
    lookup_type(type_name)
    key = type_name.strip().lower()
    key = key[7:] if key.startswith("system.") else key
    if key.endswith("[]"):
        if len(args) != 1 or isinstance(args[0], (list, tuple)):
            raise RuntimeException.make(
                f'Cannot find an overload for "new" and the argument count: "{len(args)}": an array '
                f'is made from its length.', "MethodCountCouldNotFindBest", "InvalidOperation")
        length = int(to_number(args[0]))
        if length < 0:
            raise RuntimeException.make(
                f'Exception calling ".ctor" with "1" argument(s): "Arithmetic operation resulted in '
                f'an overflow." (an array of length {length})', "OverflowException", "InvalidOperation")
        if length > _MAX_LENGTH:
            raise RuntimeException.make(
                f"Array dimensions exceeded supported range: {length} elements is more than pshell "
                f"makes at once ({_MAX_LENGTH}).", "OutOfMemoryException", "InvalidOperation")
        element = type_name.strip()[:-2]
        default = _default(element)
        return [default() if callable(default) else default for _ in range(length)]
    if not args and key in _DEFAULTS:
        return _DEFAULTS[key]()
    if not args:
        return convert_to(None, type_name)
    return static_call(frame, type_name, "new", args)


_NUMBERS = frozenset(("int", "int32", "long", "int64", "short", "int16", "byte", "sbyte", "uint16",
                      "ushort", "uint32", "uint", "uint64", "ulong", "double", "single", "float",
                      "decimal", "bool", "boolean"))


def _default(element: str) -> Any:
    """An array element's start value: a number type's zero, a char's NUL, else $null."""
    from pshell.engine.conversions import convert_to
    key = element.lower()
    key = key[7:] if key.startswith("system.") else key
    if key in _DEFAULTS:
        return _DEFAULTS[key]
    return convert_to(0, element) if key in _NUMBERS else None
