"""What the utility cmdlets need from the engine, in one place: comparison operators, method
calls, formatting objects to text, and the caller's variables.

Each function imports the engine module it needs when first called, so this module is cheap to
import and the cmdlets do not depend on engine internals directly.
"""

from __future__ import annotations


from pshell.engine.values import AutomationNull, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple

__all__ = ["compare", "call_method", "format_text", "format_lines", "caller_scope",
           "set_variable"]


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def compare(op: str, left: Any, right: Any) -> Any:
    """A comparison operator (``eq``, ``clike``, ``notin``, ``is`` ...) with PowerShell's rules:
    a list on the left filters, the right operand is converted to the left one's type."""
    from pshell.engine import operators as ops
    cs = op.startswith("c") and op not in ("contains",)
    base = op[1:] if (op[0] in "ci" and op not in ("contains", "in", "is", "isnot")) else op
    if base in ("eq", "ne", "gt", "ge", "lt", "le", "like", "notlike"):
        return ops.compare_op(("c" if cs else "") + base, left, right)
    if base in ("match", "notmatch"):
        pattern = ops.regex(right, cs)
        if _is_list(left):
            hits = [item for item in left if pattern.search(to_str(item))]
            if base == "match":
                return hits
            return [item for item in left if not pattern.search(to_str(item))]
        found = pattern.search(to_str(left)) is not None
        return found if base == "match" else not found
    if base in ("contains", "notcontains"):
        items = left if _is_list(left) else [left]
        found = any(ops.equals(item, right, cs) for item in items)
        return found if base == "contains" else not found
    if base in ("in", "notin"):
        items = right if _is_list(right) else [right]
        found = any(ops.equals(item, left, cs) for item in items)
        return found if base == "in" else not found
    if base in ("is", "isnot"):
        type_name = getattr(right, "FullName", None) or to_str(right).strip("[]")
        from pshell.engine.types import is_type
        result = is_type(left, type_name)
        return result if base == "is" else not result
    raise ValueError(f"unknown operator -{op}")


def call_method(cmdlet: Any, target: Any, name: str, args: List[Any]) -> Tuple[bool, Any]:
    """Call ``target.name(*args)`` as script code would; ``(False, None)`` when there is no
    such method."""
    from pshell.engine.errors import RuntimeException
    from pshell.engine.members import call_method as invoke
    if target is None or target is AutomationNull:
        return False, None
    try:
        return True, invoke(cmdlet.ctx.frame, target, name, list(args))
    except RuntimeException as exc:
        if exc.record.FullyQualifiedErrorId == "MethodNotFound":
            return False, None
        raise


def format_lines(cmdlet: Any, objects: List[Any], width: Optional[int] = None) -> List[str]:
    """Objects as Out-String would render them, one string per line."""
    text = format_text(cmdlet, objects, width)
    return text.splitlines()


def format_text(cmdlet: Any, objects: List[Any], width: Optional[int] = None) -> str:
    """Objects as the default formatter renders them (Out-File / Out-String text)."""
    from pshell.engine.format_render import format_to_text
    location = cmdlet.runspace.location
    return format_to_text(objects, width or 120, location=lambda: location)


def caller_scope(cmdlet: Any) -> Any:
    """The scope of the code that invoked the cmdlet."""
    ctx = cmdlet.ctx
    frame = getattr(ctx, "frame", None)
    if frame is not None:
        return frame.scope
    scope = getattr(ctx, "scope", None)
    if scope is not None:
        return scope
    return cmdlet.runspace.global_scope


def set_variable(cmdlet: Any, name: str, value: Any) -> None:
    """``$name = value`` in the caller's scope."""
    name = name[1:] if name.startswith("$") else name
    scope = caller_scope(cmdlet)
    scope.vars[name.lower()] = value
