"""Get-FormatData: the registered views as ``ExtendedTypeDefinition`` objects.

A view shared by several type names (files and directories) is one definition naming them all,
its type names sorted; each definition lists its views as ``FormatViewDefinition`` objects whose
``Control`` says the kind (``TableControl``, ``ListControl``, ``WideControl``, ``CustomControl``).
"""

from __future__ import annotations

import importlib
from typing import Dict, List, Sequence, Tuple

from pshell.engine import format as fmt
from pshell.engine.values import PSObject
from pshell.engine.wildcards import wildcard_match

__all__ = ["format_definitions"]

_CONTROLS = {"table": "TableControl", "list": "ListControl", "wide": "WideControl",
             "custom": "CustomControl"}


def _load_all_views() -> None:
    from pshell.cmdlets import VIEW_MODULES
    for module in sorted(set(VIEW_MODULES.values())):
        importlib.import_module(f"pshell.cmdlets.{module}")


def _views_by_type() -> Dict[Tuple[str, ...], List[fmt.View]]:
    views: Dict[int, fmt.View] = {}
    for bucket in fmt.all_views():
        for view in bucket:
            views[id(view)] = view
    grouped: Dict[Tuple[str, ...], List[fmt.View]] = {}
    for view in views.values():
        key = tuple(sorted(dict.fromkeys(view.names), key=str.lower))
        grouped.setdefault(key, []).append(view)
    return grouped


def format_definitions(patterns: Sequence[str] = ("*",)) -> List[PSObject]:
    """One definition per group of type names that share views, for names matching a pattern."""
    _load_all_views()
    out: List[PSObject] = []
    for names, views in sorted(_views_by_type().items(), key=lambda item: item[0][0].lower()):
        if not any(wildcard_match(p, n) for p in patterns for n in names):
            continue
        definitions = [PSObject({"Name": v.name, "Control": _CONTROLS[v.kind]},
                                ("System.Management.Automation.FormatViewDefinition",))
                       for v in views]
        out.append(PSObject({"TypeNames": list(names), "TypeName": names[0],
                             "FormatViewDefinition": definitions},
                            ("System.Management.Automation.ExtendedTypeDefinition",)))
    return out
