"""The functions every session has without defining them: ``cd..``, ``cd\\`` and ``cd~`` (one
word each, so they cannot be aliases with arguments).  Each is compiled the first time it is
called and shared by all runspaces; a function of the same name defined in a scope wins.
"""

from __future__ import annotations

import _thread

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict

__all__ = ["BUILTIN_FUNCTIONS", "builtin_function"]

#: name (lower case) -> body
BUILTIN_FUNCTIONS: Dict[str, str] = {
    "cd..": "Set-Location ..",
    "cd\\": "Set-Location /",
    "cd~": "Set-Location ~",
}
_MADE: Dict[str, Any] = {}
_LOCK = _thread.allocate_lock()


def builtin_function(lowered: str) -> Any:
    """The FunctionInfo of built-in function ``lowered`` (a key of BUILTIN_FUNCTIONS)."""
    found = _MADE.get(lowered)
    if found is None:
        from pshell.engine.compiler import Unit
        from pshell.engine.runtime import FunctionInfo
        with _LOCK:
            found = _MADE.get(lowered)
            if found is None:
                body = BUILTIN_FUNCTIONS[lowered]
                found = FunctionInfo(lowered, Unit.from_text(body, lowered).script_block())
                _MADE[lowered] = found
    return found
