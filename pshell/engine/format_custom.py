"""Format-Custom's default layout: an object as a ``class Name { prop = value }`` tree.

Nested objects open their own block, collections are listed between ``[`` and ``]``; each object
and each collection is one level deeper, and past ``depth`` levels an object shows as its string.
The columns (from ``-Property``) apply to the top object only; nested ones show every property.
"""

from __future__ import annotations

import datetime as _dt
import sys

from pshell.engine.values import (
    AutomationNull,
    properties_of,
    to_str,
    type_names_of,
)

__all__ = ["DEFAULT_DEPTH", "render_custom"]

DEFAULT_DEPTH = 5
INDENT = "  "

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List, Optional, Sequence, Tuple
    Pairs = Sequence[Tuple[str, Callable[[Any], Any]]]


def render_custom(obj: Any, fields: Optional[Pairs] = None, depth: int = DEFAULT_DEPTH) -> str:
    """``obj`` as Format-Custom shows it; ``fields`` are (label, getter) pairs for the top level
    (None: every property)."""
    if _is_leaf(obj):
        return _leaf_text(obj)
    lines: List[str] = []
    _block(obj, fields, 0, depth, "", lines)
    return "\n".join(lines)


def _is_leaf(value: Any) -> bool:
    if value is None or value is AutomationNull or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, (_dt.datetime, _dt.date, _dt.timedelta)):
        return True
    enum = sys.modules.get("enum")      # not imported: no value is an enum member
    if enum is not None and isinstance(value, enum.Enum):
        return True
    if _is_collection(value):
        return False
    return not properties_of(value)


def _is_collection(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _leaf_text(value: Any) -> str:
    if value is None or value is AutomationNull:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    return to_str(value)


def _class_name(obj: Any) -> str:
    return type_names_of(obj)[0].rsplit(".", 1)[-1]


def _fields_of(obj: Any) -> List[Tuple[str, Callable[[Any], Any]]]:
    from pshell.engine.format import member_value
    def reader(name: str) -> Callable[[Any], Any]:
        return lambda o: member_value(o, name)
    return [(name, reader(name)) for name in properties_of(obj)]


def _block(obj: Any, fields: Optional[Pairs], level: int, depth: int, pad: str,
           lines: List[str]) -> None:
    lines.append(f"{pad}class {_class_name(obj)}")
    lines.append(pad + "{")
    for label, getter in (fields if fields is not None else _fields_of(obj)):
        try:
            value = getter(obj)
        except Exception:  # noqa: BLE001 - a property that throws shows empty, as in a table
            value = None
        _field(label, value, level + 1, depth, pad + INDENT, lines)
    lines.append(pad + "}")


def _field(label: str, value: Any, level: int, depth: int, pad: str, lines: List[str]) -> None:
    if _is_leaf(value):
        lines.append(f"{pad}{label} = {_leaf_text(value)}".rstrip())
        return
    lines.append(f"{pad}{label} =")
    if level > depth:
        lines[-1] += " " + to_str(value)
        return
    _value(value, level, depth, pad + INDENT, lines)


def _value(value: Any, level: int, depth: int, pad: str, lines: List[str]) -> None:
    """A non-leaf value at ``level``: a collection in brackets or an object's block."""
    if _is_collection(value):
        lines.append(pad + "[")
        for item in value:
            if _is_leaf(item):
                lines.append(pad + INDENT + _leaf_text(item))
            elif level + 1 > depth:
                lines.append(pad + INDENT + to_str(item))
            else:
                _value(item, level + 1, depth, pad + INDENT, lines)
        lines.append(pad + "]")
        lines.append("")
        return
    _block(value, None, level, depth, pad, lines)
