"""Select-Xml, ConvertTo-Xml, ConvertTo-Html (the XML itself is engine/xmldoc.py and engine/xpath.py;
the documents and pages are built by engine/xml_convert.py and engine/html_table.py)."""

from __future__ import annotations

import os
import re

from pshell.engine import html_table, xmldoc, xpath
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.values import NO_PROPERTY, AutomationNull, properties_of, to_str
from pshell.engine.xml_convert import XmlConverter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional

__all__ = ["SelectXml", "ConvertToXml", "ConvertToHtml"]

# drives whose items are not files: Select-Xml cannot read a document from them
_OTHER_PROVIDER = re.compile(r"^(env|variable|function|alias|cert|hkcu|hklm|wsman):",
                             re.IGNORECASE)


def _inputs(cmdlet: Cmdlet, upstream: Optional[Iterator[Any]], name: str) -> List[Any]:
    if upstream is None:
        value = getattr(cmdlet, name)
        if value is None:
            return []
        return list(value) if isinstance(value, (list, tuple)) else [value]
    return [item for item in upstream if item is not AutomationNull]


# =========================================================================== Select-Xml

@register
class SelectXml(Cmdlet):
    name = "Select-Xml"
    synopsis = "Finds nodes in XML documents (files, text or [xml] objects) with an XPath query."
    default_set = "Xml"
    params = (
        Param("XPath", "string", position=0, mandatory=True),
        Param("Path", "string[]", position=1, mandatory=("Path",), sets=("Path",)),
        Param("LiteralPath", "string[]", mandatory=("LiteralPath",), aliases=("PSPath", "LP"),
              by_property=True, sets=("LiteralPath",)),
        Param("Xml", "object[]", position=1, mandatory=("Xml",), pipeline=True, aliases=("Node",),
              sets=("Xml",)),
        Param("Content", "string[]", mandatory=("Content",), sets=("Content",)),
        Param("Namespace", "hashtable"),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        namespaces = self._namespaces()
        pattern = self.XPath
        if self.is_bound("Path") or self.is_bound("LiteralPath"):
            yield from self._files(namespaces)
            return
        if self.is_bound("Content"):
            for text in self.Content or []:
                document = self._document_from_text(to_str(text))
                if document is not None:
                    yield from self._select(document, "InputStream", namespaces)
            return
        for item in _inputs(self, upstream, "Xml"):
            if isinstance(item, xmldoc.XmlNode):
                yield from self._select(item, "InputStream", namespaces)
            elif isinstance(item, str):
                document = self._document_from_text(item)
                if document is not None:
                    yield from self._select(document, "InputStream", namespaces)
            else:
                self.write_error(f"Select-Xml cannot search a {type(item).__name__} for "
                                 f"'{pattern}': give it [xml] objects, -Content text or -Path files.",
                                 "InvalidCastToXmlDocument", "InvalidArgument", item)

    def _namespaces(self) -> Dict[str, str]:
        table = self.Namespace or {}
        out: Dict[str, str] = {}
        for prefix, uri in table.items():
            if uri is None or not to_str(uri) or not to_str(prefix):
                raise self.terminate(
                    f"The namespace prefix '{to_str(prefix)}' has no namespace URI: each entry of "
                    f"-Namespace must map a prefix to a URI.", "PrefixError", "InvalidArgument",
                    prefix)
            out[to_str(prefix)] = to_str(uri)
        return out

    def _document_from_text(self, text: str) -> Optional[xmldoc.XmlDocument]:
        try:
            return xmldoc.parse(text)
        except xmldoc.XmlError as exc:
            self.write_error(f"The text is not an XML document: {exc}.",
                             "InvalidCastToXmlDocument", "InvalidArgument", text)
            return None

    def _files(self, namespaces: Dict[str, str]) -> Iterator[Any]:
        from pshell.cmdlets._paths import expand_paths
        given = list(self.Path or []) + list(self.LiteralPath or [])
        for text in given:
            if _OTHER_PROVIDER.match(to_str(text)):
                self.write_error(f"Cannot read '{text}' as an XML file: Select-Xml reads files only, "
                                 f"and that path is not on the file system.", "ProcessingFile",
                                 "InvalidArgument", text)
        paths = [p for p in self.Path or [] if not _OTHER_PROVIDER.match(to_str(p))]
        literal = [p for p in self.LiteralPath or [] if not _OTHER_PROVIDER.match(to_str(p))]
        for path in expand_paths(self, paths, literal, report_missing=True):
            if not os.path.isfile(path):
                self.write_error(f"Cannot find the file '{path}'.", "ProcessingFile",
                                 "ObjectNotFound", path)
                continue
            try:
                document = xmldoc.load_file(path)
            except (OSError, xmldoc.XmlError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else str(exc)
                self.write_error(f"Cannot read '{path}' as XML: {reason}.", "ProcessingFile",
                                 "InvalidArgument", path)
                continue
            yield from self._select(document, path, namespaces)

    def _select(self, node: xmldoc.XmlNode, path: str, namespaces: Dict[str, str]) -> Iterator[Any]:
        try:
            found = xpath.select_nodes(node, self.XPath, namespaces)
        except xpath.XPathError as exc:
            error_id = "PrefixError" if exc.kind == "prefix" else "XPathEvaluationError"
            self.write_error(f"The XPath '{self.XPath}' cannot be used: {exc}", error_id,
                             "InvalidArgument", self.XPath)
            return
        for hit in found:
            yield xpath.SelectXmlInfo(hit, path, self.XPath)


# =========================================================================== ConvertTo-Xml

@register
class ConvertToXml(Cmdlet):
    name = "ConvertTo-Xml"
    synopsis = "Converts objects to an XML document (or its text) describing their properties."
    params = (
        Param("InputObject", "object", position=0, mandatory=True, pipeline=True),
        Param("Depth", "int"),
        Param("NoTypeInformation", "switch"),
        Param("As", "string", validate_set=("Stream", "String", "Document")),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        depth = 1 if self.Depth is None else self.Depth
        if depth < 0:
            raise self.terminate(f"The depth {depth} is less than 0: give 0 or more.",
                                 "ParameterArgumentValidationError", "InvalidData")
        converter = XmlConverter(depth, not self.NoTypeInformation)
        items = _inputs(self, upstream, "InputObject") if upstream is not None else (
            [self.InputObject] if self.is_bound("InputObject") else [])
        mode = (self.As or "Document").lower()
        if mode == "stream":
            yield '<?xml version="1.0" encoding="utf-8"?>'
            yield "<Objects>"
            for item in items:
                element = converter.add(item)
                yield "".join(xmldoc.write_node(element, indent=True))
            yield "</Objects>"
            return
        for item in items:
            converter.add(item)
        yield converter.as_string() if mode == "string" else converter.document


# =========================================================================== ConvertTo-Html

@register
class ConvertToHtml(Cmdlet):
    name = "ConvertTo-Html"
    synopsis = "Converts objects to the lines of an HTML page (or fragment) showing them as a table."
    params = (
        Param("InputObject", "object", pipeline=True),
        Param("Property", "object[]", position=0),
        Param("Body", "string[]", position=1, sets=("Page",)),
        Param("Head", "string[]", position=2, sets=("Page",)),
        Param("Title", "string", position=3, sets=("Page",)),
        Param("As", "string", validate_set=("Table", "List")),
        Param("CssUri", "string", aliases=("cu", "uri"), sets=("Page",)),
        Param("Fragment", "switch", sets=("Fragment",)),
        Param("PostContent", "string[]"),
        Param("PreContent", "string[]"),
        Param("Meta", "hashtable", sets=("Page",)),
        Param("Charset", "string", sets=("Page",)),
        Param("Transitional", "switch", sets=("Page",)),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        items = _inputs(self, upstream, "InputObject") if upstream is not None else (
            [self.InputObject] if self.is_bound("InputObject") and self.InputObject is not None
            else [])
        meta: List[Any] = []
        if self.Meta:
            meta, unknown = html_table.check_meta(self.Meta)
            for name in unknown:
                self.write_warning(f"'{name}' is not a standard meta name (those are "
                                   f"{', '.join(html_table.META_NAMES)}, and the http-equiv names "
                                   f"{', '.join(html_table.HTTP_EQUIV_NAMES)}); it is written as given.")
        page = html_table.HtmlPage(
            title=self.Title if self.Title is not None else "HTML TABLE", head=self.Head or (),
            body=self.Body or (), css=[self.CssUri] if self.CssUri else (),
            charset=self.Charset or "", meta=meta, transitional=bool(self.Transitional),
            pre=self.PreContent or (), post=self.PostContent or (), fragment=bool(self.Fragment))
        yield from page.opening()
        if items:
            yield from self._tables(items)
        else:
            yield "<table>"
            yield "</table>"
        yield from page.closing()

    def _columns(self, first: Any) -> List[Any]:
        """(column, how to get its value) pairs, from -Property or the first object."""
        from pshell.cmdlets._objects import parse_properties
        if self.Property is None:
            names = properties_of(first)
            if not names:
                return [(html_table.Column("*"), None)]
            return [(html_table.Column(n), n) for n in names]
        specs = self.Property if isinstance(self.Property, (list, tuple)) else [self.Property]
        entries = parse_properties(self, specs, allowed_extra=("width", "alignment"))
        columns = []
        for spec, entry in zip(specs, entries):
            width = align = None
            if isinstance(spec, dict):
                for key, value in spec.items():
                    if "width".startswith(to_str(key).lower()):
                        width = to_str(value)
                    elif "alignment".startswith(to_str(key).lower()):
                        align = to_str(value)
            if entry.wildcard:
                for name, expression in entry.resolve(first):
                    columns.append((html_table.Column(name), expression))
                continue
            columns.append((html_table.Column(entry.name, width, align), entry))
        return columns

    def _value(self, getter: Any, item: Any) -> Any:
        from pshell.cmdlets._objects import PropertyExpr, evaluate
        if getter is None:
            return item
        value = getter.value(self, item) if isinstance(getter, PropertyExpr) else evaluate(
            self, getter, item)
        return None if value is NO_PROPERTY else value

    def _tables(self, items: List[Any]) -> Iterator[str]:
        columns = self._columns(items[0])
        heads = [c for c, _ in columns]
        rows = [[self._value(g, item) for _, g in columns] for item in items]
        if (self.As or "Table").lower() == "list":
            for row in rows:
                yield from html_table.list_lines(heads, row)
            return
        yield from html_table.table_lines(heads, rows)
