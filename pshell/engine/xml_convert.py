"""ConvertTo-Xml's document: each input object an ``<Object>`` under ``<Objects>``, its properties
``<Property Name=... Type=...>`` elements, ``depth`` levels deep.

Below the last level an object that has properties is written flat: first its text, then each
property's text (typed by its kind of member), so nothing is lost silently, only flattened.
Dictionaries write each entry as a ``Key`` and a ``Value`` property; other collections one
nameless property per item.
"""

from __future__ import annotations

import datetime as _dt

from pshell.engine.values import (PSObject, get_property, properties_of, to_str, type_names_of)
from pshell.engine.xmldoc import XmlDeclaration, XmlDocument, XmlElement, XmlText, write_node

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional

__all__ = ["XmlConverter"]

_CUSTOM = "System.Management.Automation.PSCustomObject"


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, _dt.datetime, _dt.timedelta)) or (
        hasattr(value, "ps_enum"))


def _has_properties(value: Any) -> bool:
    return isinstance(value, PSObject) or bool(properties_of(value))


def _property_pairs(value: Any) -> List[Any]:
    if isinstance(value, PSObject):
        return [(k, v, "System.Management.Automation.PSNoteProperty") for k, v in value.items()]
    return [(name, get_property(value, name, None), "System.Management.Automation.PSProperty")
            for name in properties_of(value)]


def _flat_text(value: Any) -> str:
    """The text of a custom object whose nested custom objects show empty (they have no text
    of their own, only properties)."""
    if isinstance(value, PSObject) and value.type_names[:1] == [_CUSTOM]:
        inner = "; ".join(f"{k}={'' if isinstance(v, PSObject) else to_str(v)}"
                          for k, v in value.items())
        return f"@{{{inner}}}"
    return to_str(value)


class XmlConverter:
    """Builds the document for a run of ConvertTo-Xml (one per call)."""

    def __init__(self, depth: int, type_information: bool = True) -> None:
        self.depth = depth
        self.types = type_information
        self.document = XmlDocument()
        self.document.AppendChild(XmlDeclaration(self.document, "1.0", "utf-8", None))
        self.root = XmlElement(self.document, "Objects")
        self.document.AppendChild(self.root)

    def add(self, value: Any) -> XmlElement:
        element = self._element(self.root, "Object", None, value)
        self._fill(element, value, self.depth)
        return element

    # ---- building ---------------------------------------------------------------------
    def _element(self, parent: XmlElement, tag: str, name: Optional[str], value: Any,
                 type_name: Optional[str] = None) -> XmlElement:
        element = XmlElement(self.document, tag)
        if name is not None:
            element.SetAttribute("Name", name)
        if self.types and (value is not None or type_name is not None):
            element.SetAttribute("Type", type_name or _type_name(value))
        parent.AppendChild(element)
        return element

    def _text(self, element: XmlElement, text: str) -> None:
        if text:
            element.AppendChild(XmlText(self.document, text))

    def _fill(self, element: XmlElement, value: Any, depth: int) -> None:
        if value is None or _is_scalar(value):
            self._text(element, to_str(value))
            return
        if isinstance(value, dict):
            if depth <= 0:
                self._text(element, to_str(value))
                return
            for key, item in value.items():
                self._fill(self._element(element, "Property", "Key", key), key, depth - 1)
                self._fill(self._element(element, "Property", "Value", item), item, depth - 1)
            return
        if isinstance(value, (list, tuple)):
            if depth <= 0:
                self._text(element, to_str(value))
                return
            for item in value:
                self._fill(self._element(element, "Property", None, item), item, depth - 1)
            return
        if not _has_properties(value):
            self._text(element, to_str(value))
            return
        if depth <= 0:
            self._flat(element, value)
            return
        for name, item, _kind in _property_pairs(value):
            self._fill(self._element(element, "Property", name, item), item, depth - 1)

    def _flat(self, element: XmlElement, value: Any) -> None:
        self._text(self._element(element, "Property", None, "", "System.String"),
                   _flat_text(value))
        for name, item, kind in _property_pairs(value):
            self._text(self._element(element, "Property", name, item, kind), to_str(item))

    # ---- output -----------------------------------------------------------------------
    def as_string(self) -> str:
        return self.document.to_text(indent=True)

    def as_stream(self) -> Iterator[str]:
        yield '<?xml version="1.0" encoding="utf-8"?>'
        yield "<Objects>"
        for element in self.root.ChildNodes:
            yield "".join(write_node(element, indent=True))
        yield "</Objects>"


def _type_name(value: Any) -> str:
    names = type_names_of(value)
    return names[0].replace("Deserialized.", "", 1) if names else "System.Object"
