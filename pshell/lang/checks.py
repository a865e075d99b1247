"""Semantic checks the parser makes on a tree it could build (errors that PowerShell reports when
a script is parsed, before anything runs)."""

from __future__ import annotations


from . import ast as A

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Optional, Tuple

__all__ = ["automatic_constraint_problem"]

# The automatic variables a script may assign with a type constraint, and the types allowed (the
# type the engine gives them; an empty tuple: an internal type no script can name).
_AUTOMATIC_TYPES: Dict[str, Tuple[str, ...]] = {
    "_": ("object",), "psitem": ("object",), "this": ("object",), "input": ("object",),
    "args": ("object[]",),
    "myinvocation": ("management.automation.invocationinfo",),
    "psscriptroot": ("string",), "pscommandpath": ("string",),
    "pscmdlet": (), "psboundparameters": (),
}


def _plain_type(name: str) -> str:
    name = name.strip().lower().replace(" ", "")
    return name[7:] if name.startswith("system.") else name


def automatic_constraint_problem(target: A.Expr) -> Optional[str]:
    """The message when ``target`` is ``[type]$auto`` with a type the automatic variable cannot
    hold (``[datetime]$_ = 1``), else None."""
    if not (isinstance(target, A.Convert) and isinstance(target.expr, A.Variable)):
        return None
    var = target.expr
    if var.scope is not None:
        return None
    allowed = _AUTOMATIC_TYPES.get(var.name.lower())
    if allowed is None or _plain_type(target.type_name) in allowed:
        return None
    return (f"The automatic variable '${var.name}' cannot be constrained to [{target.type_name}]: "
            "it holds a value the engine gives it.")
