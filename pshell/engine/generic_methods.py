"""Generic method calls: ``[array]::Empty[string]()``, ``$dict.AddOrUpdate[float](...)``.

pshell's values are untyped, so a type argument list mostly selects nothing: each named type must
exist (else TypeNotFound, as in PowerShell), then the call is the ordinary method call.  The few
methods whose behaviour depends on being generic, or that exist only as generic methods, are here.
"""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Sequence

__all__ = ["call_generic", "add_or_update"]


def _check_types(type_args: Sequence[str]) -> None:
    from pshell.engine.types import lookup_type
    for name in type_args:
        lookup_type(name)


def call_generic(frame: Any, obj: Any, name: str, type_args: Sequence[str], args: List[Any],
                 static: bool) -> Any:
    """``obj.name[type_args](args)`` (``obj`` is a type name when ``static``)."""
    from pshell.engine.members import call_method
    from pshell.engine.statics import static_call
    from pshell.engine.types import lookup_type
    from pshell.engine.errors import RuntimeException
    _check_types(type_args)
    if static:
        type_name = obj
        if name.lower() == "empty" and lookup_type(type_name) == "array":
            if len(type_args) != 1 or args:
                raise RuntimeException.make(
                    f'Cannot find an overload for "{name}" and the type argument count: '
                    f'"{len(type_args)}".', "MethodCountCouldNotFindBestGeneric",
                    "InvalidOperation", exception_type="System.Management.Automation.MethodException")
            return []
        return static_call(frame, type_name, name, args)
    return call_method(frame, obj, name, args)


def _factory(frame: Any, value: Any, args: List[Any]) -> Any:
    """A value factory given as a script block (a Func) is invoked with ``args``; anything else is
    the value itself."""
    if hasattr(value, "compiled"):
        from pshell.engine.members import call_method
        result = call_method(frame, value, "Invoke", args)
        if isinstance(result, list) and len(result) == 1:
            return result[0]
        return result
    return value


def add_or_update(frame: Any, table: Any, args: List[Any]) -> Any:
    """ConcurrentDictionary.AddOrUpdate: (key, addValue or addFactory(key), updateFactory(key, old))
    or, generic, (key, addFactory(key, arg), updateFactory(key, old, arg), arg).  Returns the value
    stored."""
    from pshell.engine.errors import RuntimeException
    if len(args) not in (3, 4):
        raise RuntimeException.make(
            f'Cannot find an overload for "AddOrUpdate" and the argument count: "{len(args)}".',
            "MethodCountCouldNotFindBest", "InvalidOperation",
            exception_type="System.Management.Automation.MethodException")
    key, extra = args[0], args[3:]
    # as in .NET, the factories run outside the lock (they are scripts: they may touch the table)
    if key in table:
        value = _factory(frame, args[2], [key, table[key]] + extra)
    else:
        value = _factory(frame, args[1], [key] + extra)
    with table.lock:
        table[key] = value
    return value
