"""Get-FormatData and Export-FormatData: the registered views as ``ExtendedTypeDefinition`` objects,
and those objects written back as a format file.

A view shared by several type names (files and directories) is one definition naming them all,
its type names sorted; each definition lists its views as ``FormatViewDefinition`` objects whose
``Control`` says the kind (``TableControl``, ``ListControl``, ``WideControl``, ``CustomControl``).
Views the runspace read from format files (engine/format_xml.py) are listed with the built-in ones.

A definition keeps the views it was made from, so ``export_xml`` can write them: a view read from
a file is written as it was read; a built-in one is described from its columns (a column computed
by pshell's own code is written as the property of its header's name).
"""

from __future__ import annotations

import importlib
from xml.sax.saxutils import escape, quoteattr

from pshell.engine import format as fmt
from pshell.engine.safe_xml import XmlElement
from pshell.engine.values import PSObject
from pshell.engine.wildcards import wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ["ViewDefinition", "export_xml", "format_definitions"]

_CONTROLS = {"table": "TableControl", "list": "ListControl", "wide": "WideControl",
             "custom": "CustomControl"}


def _load_all_views() -> None:
    from pshell.cmdlets import VIEW_MODULES
    for module in sorted(set(VIEW_MODULES.values())):
        importlib.import_module(f"pshell.cmdlets.{module}")


class ViewDefinition(PSObject):
    """A ``FormatViewDefinition`` that remembers its view (for Export-FormatData)."""

    __slots__ = ("view",)
    view: fmt.View


def _views_by_type(session: Any = None) -> Dict[Tuple[str, ...], List[fmt.View]]:
    views: Dict[int, fmt.View] = {}
    for bucket in fmt.all_views():
        for view in bucket:
            views[id(view)] = view
    if session is not None:
        for view in session.all_views():
            views[id(view)] = view
    grouped: Dict[Tuple[str, ...], List[fmt.View]] = {}
    for view in views.values():
        key = tuple(sorted(dict.fromkeys(view.names), key=str.lower))
        grouped.setdefault(key, []).append(view)
    return grouped


def _definition(view: fmt.View) -> ViewDefinition:
    made = ViewDefinition({"Name": view.name, "Control": _CONTROLS[view.kind]},
                          ("System.Management.Automation.FormatViewDefinition",))
    made.view = view
    return made


def format_definitions(patterns: Sequence[str] = ("*",), session: Any = None) -> List[PSObject]:
    """One definition per group of type names that share views, for names matching a pattern;
    ``session``: the runspace's views from format files."""
    _load_all_views()
    out: List[PSObject] = []
    for names, views in sorted(_views_by_type(session).items(),
                               key=lambda item: item[0][0].lower()):
        if not any(wildcard_match(p, n) for p in patterns for n in names):
            continue
        definitions = [_definition(v) for v in views]
        out.append(PSObject({"TypeNames": list(names), "TypeName": names[0],
                             "FormatViewDefinition": definitions},
                            ("System.Management.Automation.ExtendedTypeDefinition",)))
    return out


# --------------------------------------------------------------------------- Export-FormatData

def _leaf(tag: str, text: str) -> XmlElement:
    element = XmlElement(tag, {}, 0)
    element.text = text
    return element


def _node(tag: str, *children: Optional[XmlElement]) -> XmlElement:
    element = XmlElement(tag, {}, 0)
    element.children = [c for c in children if c is not None]
    return element


def _value_element(column: fmt.Column) -> XmlElement:
    getter = column.getter
    if isinstance(getter, str):
        return _leaf("PropertyName", getter)
    script = getattr(getter, "script", None)
    if isinstance(script, str):
        return _leaf("ScriptBlock", script)
    return _leaf("PropertyName", column.header)


def _described(view: fmt.View) -> XmlElement:
    """A format file's <View> for a built-in view."""
    parts: List[Optional[XmlElement]] = [
        _leaf("Name", view.name),
        _node("ViewSelectedBy", *(_leaf("TypeName", n) for n in view.names))]
    if view.group_by is not None:
        parts.append(_node("GroupBy", _value_element(view.group_by),
                           _leaf("Label", view.group_label) if view.group_label else None))
    columns = view.columns
    if view.kind == "table":
        headers = [_node("TableColumnHeader", _leaf("Label", c.header),
                         _leaf("Width", str(c.width)) if c.width else None,
                         _leaf("Alignment", c.align.capitalize())
                         if c.align and c.align != "left" else None) for c in columns]
        items = [_node("TableColumnItem", _value_element(c)) for c in columns]
        parts.append(_node("TableControl", _node("TableHeaders", *headers), _node(
            "TableRowEntries", _node("TableRowEntry", _node("TableColumnItems", *items)))))
    elif view.kind == "list":
        items = [_node("ListItem", _leaf("Label", c.header), _value_element(c)) for c in columns]
        parts.append(_node("ListControl", _node("ListEntries", _node(
            "ListEntry", _node("ListItems", *items)))))
    elif view.kind == "wide":
        item = _node("WideItem", _value_element(columns[0])) if columns else None
        parts.append(_node("WideControl", _node("WideEntries", _node("WideEntry", item))))
    else:
        parts.append(_node("CustomControl", _node("CustomEntries", _node("CustomEntry", _node(
            "CustomItem", _node("ExpressionBinding", _leaf("ScriptBlock", "$_ | Out-String")))))))
    return _node("View", *parts)


def _write(element: XmlElement, depth: int, out: List[str]) -> None:
    pad = "  " * depth
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in element.attrs.items())
    text = element.text.strip()
    if element.children:
        out.append(f"{pad}<{element.tag}{attrs}>")
        for child in element.children:
            _write(child, depth + 1, out)
        out.append(f"{pad}</{element.tag}>")
    elif text:
        out.append(f"{pad}<{element.tag}{attrs}>{escape(text)}</{element.tag}>")
    else:
        out.append(f"{pad}<{element.tag}{attrs} />")


def export_xml(views: Sequence[fmt.View]) -> str:
    """A format file holding ``views`` (each view once, in the order given)."""
    seen: Dict[int, fmt.View] = {}
    for view in views:
        seen.setdefault(id(view), view)
    elements = [v.source if v.source is not None else _described(v) for v in seen.values()]
    out = ['<?xml version="1.0" encoding="utf-8"?>']
    _write(_node("Configuration", _node("ViewDefinitions", *elements)), 0, out)
    return "\n".join(out) + "\n"
