"""``[ref]``: PowerShell's PSReference, a box whose ``Value`` is a variable or a value.

``[ref]$name`` (the runtime's ``_ref_var``) refers to the variable itself: reading ``.Value`` reads
it where the scope chain finds it, writing sets it there (or in the scope that made the reference
when it did not exist yet), honouring the variable's type constraint.  ``[ref]<expression>`` boxes
the value.  .NET methods with out/ref parameters (``[int]::TryParse(s, [ref]$n)``) set ``.Value``.
"""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["PSReference", "variable_reference", "to_reference"]


class PSReference:
    ps_type_names = ("System.Management.Automation.PSReference",)
    ps_properties = ("Value",)

    __slots__ = ("_scope", "_name", "_value")

    def __init__(self, value: Any = None, scope: Any = None, name: Optional[str] = None) -> None:
        self._scope = scope
        self._name = name
        self._value = value

    @property
    def Value(self) -> Any:
        if self._scope is None:
            return self._value
        from pshell.engine.runtime import _NOT_FOUND
        found = self._scope.lookup(self._name)
        return None if found is _NOT_FOUND else found

    @Value.setter
    def Value(self, value: Any) -> None:
        if self._scope is None:
            self._value = value
            return
        target = self._scope.find_scope(self._name) or self._scope
        constraint = (target.constraints or {}).get(self._name)
        if constraint:
            from pshell.engine.conversions import convert_to
            value = convert_to(value, constraint)
        target.vars[self._name] = value

    def ToString(self) -> str:
        return "System.Management.Automation.PSReference"


def variable_reference(F: Any, name: str) -> PSReference:
    """``[ref]$name``: the variable ``name`` (lower case) as the frame's scope chain sees it."""
    return PSReference(scope=F.scope, name=name)


def to_reference(value: Any, type_name: str = "ref") -> PSReference:
    """``[ref]value``: a reference stays itself, anything else is boxed."""
    return value if isinstance(value, PSReference) else PSReference(value)


def set_out(argument: Any, value: Any) -> None:
    """An out parameter of a .NET method: set the reference passed for it, if one was."""
    if isinstance(argument, PSReference):
        argument.Value = value
