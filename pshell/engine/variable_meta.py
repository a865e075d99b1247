"""What the *-Variable cmdlets keep about a variable beside its value: the name as it was spelled,
the description, the Private and AllScope options and the visibility.  ReadOnly and Constant stay
in ``Scope.readonly`` (the language checks them on every assignment); this table lives in
``Scope.var_meta``, made on first use, keyed by the lower-cased name like ``Scope.vars``.
"""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional

__all__ = ["VariableMeta", "meta_of", "ensure_meta", "drop_meta", "options_text", "option_names",
           "is_private"]

#: ScopedItemOptions in the order of their flag values (how .NET spells a combination)
_ORDER = ("ReadOnly", "Constant", "Private", "AllScope", "Unspecified")


class VariableMeta:
    __slots__ = ("name", "description", "private", "allscope", "visibility")

    def __init__(self, name: str) -> None:
        self.name = name
        self.description = ""
        self.private = False
        self.allscope = False
        self.visibility = "Public"


def meta_of(scope: Any, key: str) -> Optional[VariableMeta]:
    table = getattr(scope, "var_meta", None)
    return table.get(key) if table else None


def ensure_meta(scope: Any, name: str) -> VariableMeta:
    """The variable's record in ``scope``, made (with ``name``'s spelling) when missing."""
    if scope.var_meta is None:
        scope.var_meta = {}
    found = scope.var_meta.get(name.lower())
    if found is None:
        found = scope.var_meta[name.lower()] = VariableMeta(name)
    return found


def drop_meta(scope: Any, key: str) -> None:
    if getattr(scope, "var_meta", None):
        scope.var_meta.pop(key, None)


def option_names(scope: Any, key: str) -> List[str]:
    """Every option the variable has, in flag order."""
    names = []
    flag = (scope.readonly or {}).get(key)
    if flag:
        names.append(flag)
    meta = meta_of(scope, key)
    if meta is not None:
        if meta.private:
            names.append("Private")
        if meta.allscope:
            names.append("AllScope")
    return sorted(names, key=_ORDER.index)


def options_text(scope: Any, key: str) -> str:
    """``ReadOnly, Private``, or ``None``."""
    return ", ".join(option_names(scope, key)) or "None"


def is_private(scope: Any, key: str) -> bool:
    meta = meta_of(scope, key)
    return meta is not None and meta.private
