"""``[xml]``: an XmlDocument-like tree of our own, read through expat, written as .NET writes it.

Scripts reach into a document the way PowerShell's XML adapter lets them: ``$x.root.child`` finds
attributes and child elements by name (an element holding nothing but text is that text, several
children of one name are an array), ahead of the node's own properties (``Name``, ``OuterXml``, ...).
``XmlNode.ps_dynamic_member`` is that lookup; engine/members.py asks it first.  The nodes are
engine/xml_nodes.py; XPath is engine/xpath.py.

Reading is a trust boundary (a file may come from anywhere): :func:`parse` refuses entity
declarations (no "billion laughs"), external entities and parameter entities, and nesting deeper
than :data:`MAX_DEPTH`; nothing is ever fetched.
"""

from __future__ import annotations

from xml.parsers import expat

from pshell.engine.values import to_str
from pshell.engine.xml_nodes import (XmlAttribute, XmlAttributeCollection, XmlCDataSection,
                                     XmlComment, XmlDeclaration, XmlDocumentType, XmlElement,
                                     XmlError, XmlNamespaceManager, XmlNode, XmlNodeList,
                                     XmlProcessingInstruction, XmlText, XmlWhitespace, adopt, check_name,
                                     child_names, copy_children, escape_attribute, escape_text,
                                     is_xml_node, member_by_name, set_by_name)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional, Tuple

__all__ = ["XmlError", "XmlNode", "XmlDocument", "XmlElement", "XmlAttribute", "XmlText",
           "XmlCDataSection", "XmlComment", "XmlDeclaration", "XmlProcessingInstruction",
           "XmlDocumentType", "XmlNodeList", "XmlAttributeCollection", "XmlNamespaceManager",
           "XmlWhitespace", "parse", "load_file", "to_document", "MAX_DEPTH", "escape_text",
           "escape_attribute", "is_xml_node", "write_node"]

MAX_DEPTH = 512                 # elements nested deeper than this are refused


class XmlDocument(XmlNode):
    node_type = "Document"
    ps_type_names = ("System.Xml.XmlDocument", "System.Xml.XmlNode")

    def __init__(self) -> None:
        super().__init__(None)
        self.PreserveWhitespace = False

    @property
    def ps_properties(self) -> Tuple[str, ...]:
        return child_names(self)

    def ps_dynamic_member(self, name: str) -> Any:
        return member_by_name(self, name)

    def ps_set_dynamic_member(self, name: str, value: Any) -> bool:
        return set_by_name(self, name, value)

    @property
    def OwnerDocument(self) -> Optional["XmlDocument"]:
        return None

    @property
    def DocumentElement(self) -> Optional["XmlElement"]:
        return next((n for n in self._children if isinstance(n, XmlElement)), None)

    @property
    def NameTable(self) -> Any:
        return None

    def AppendChild(self, child: Any) -> XmlNode:
        if isinstance(child, XmlElement) and self.DocumentElement is not None:
            raise XmlError("This document already has a 'DocumentElement' node.")
        return super().AppendChild(child)

    def _own(self, node: XmlNode) -> XmlNode:
        node._document = self
        return node

    def CreateElement(self, name: Any, namespace_uri: Any = None, third: Any = None) -> "XmlElement":
        if third is not None:           # (prefix, localName, namespaceURI)
            qualified = f"{to_str(name)}:{to_str(namespace_uri)}" if to_str(name) else to_str(
                namespace_uri)
            element = XmlElement(self, qualified)
            if to_str(third):
                element._declared_ns = to_str(third)
            return element
        element = XmlElement(self, check_name(to_str(name)))
        if namespace_uri is not None and to_str(namespace_uri):
            element._declared_ns = to_str(namespace_uri)
        return element

    def CreateAttribute(self, name: Any, namespace_uri: Any = None) -> "XmlAttribute":
        return XmlAttribute(self, check_name(to_str(name)), "")

    def CreateTextNode(self, text: Any) -> "XmlText":
        return XmlText(self, to_str(text))

    def CreateComment(self, text: Any) -> "XmlComment":
        return XmlComment(self, to_str(text))

    def CreateCDataSection(self, text: Any) -> "XmlCDataSection":
        return XmlCDataSection(self, to_str(text))

    def CreateXmlDeclaration(self, version: Any, encoding: Any = None,
                             standalone: Any = None) -> "XmlDeclaration":
        return XmlDeclaration(self, to_str(version) or "1.0", to_str(encoding) or None,
                              to_str(standalone) or None)

    def CreateProcessingInstruction(self, target: Any, data: Any) -> "XmlProcessingInstruction":
        return XmlProcessingInstruction(self, to_str(target), to_str(data))

    def ImportNode(self, node: Any, deep: Any = True) -> XmlNode:
        if not isinstance(node, XmlNode) or isinstance(node, XmlDocument):
            raise XmlError("Only a node that is not a document can be imported.")
        return adopt(node.CloneNode(bool(deep)), self)

    def LoadXml(self, text: Any) -> None:
        loaded = parse(to_str(text), preserve_whitespace=bool(self.PreserveWhitespace))
        self._take(loaded)

    def Load(self, source: Any) -> None:
        loaded = load_file(to_str(source), preserve_whitespace=bool(self.PreserveWhitespace))
        self._take(loaded)

    def _take(self, loaded: "XmlDocument") -> None:
        self.RemoveAll()
        for child in list(loaded._children):
            loaded.RemoveChild(child)
            self.AppendChild(adopt(child, self))

    def Save(self, target: Any) -> None:
        text = self.to_text(indent=not self.PreserveWhitespace)
        with open(_resolve(to_str(target)), "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)

    def to_text(self, indent: bool = True) -> str:
        return "".join(write_node(self, indent=indent))

    @property
    def Name(self) -> str:
        return "#document"

    def _shallow_copy(self) -> XmlNode:
        copy = XmlDocument()
        copy.PreserveWhitespace = self.PreserveWhitespace
        return copy

    def CloneNode(self, deep: Any = True) -> XmlNode:
        copy = self._shallow_copy()
        if deep:
            copy_children(self, copy)
        return adopt(copy, copy)       # type: ignore[arg-type]




# =========================================================================== writing

def write_node(node: XmlNode, indent: bool, level: int = 0, newline: str = "\n") -> Iterator[str]:
    """The node as .NET's writer puts it: compact, or indented two spaces a level (an element whose
    content has text in it is kept on one line, as whitespace there would change it).  A loop
    over a stack of pieces, not recursion: a document may be as deep as the reader allows."""
    stack: List[Any] = [(node, indent, level)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
            continue
        current, ind, lvl = item
        parts: List[Any] = []
        if isinstance(current, XmlDocument):
            for i, child in enumerate(current._children):
                if i and ind:
                    parts.append(newline)
                parts.append((child, ind, 0))
        elif isinstance(current, XmlElement):
            head = "<" + current._name + "".join(" " + a.OuterXml for a in current._attributes)
            if not current._children:
                yield head + " />"
                continue
            yield head + ">"
            inner = ind and not any(isinstance(c, (XmlText, XmlCDataSection, XmlWhitespace))
                                    for c in current._children)
            for child in current._children:
                if inner:
                    parts.append(newline + "  " * (lvl + 1))
                parts.append((child, inner, lvl + 1))
            if inner:
                parts.append(newline + "  " * lvl)
            parts.append(f"</{current._name}>")
        else:
            yield _leaf_text(current)
        stack.extend(reversed(parts))


def _leaf_text(node: XmlNode) -> str:
    if isinstance(node, XmlCDataSection):
        return f"<![CDATA[{node.Data}]]>"
    if isinstance(node, XmlComment):
        return f"<!--{node.Data}-->"
    if isinstance(node, (XmlText, XmlWhitespace)):
        return escape_text(node.Data)
    if isinstance(node, XmlDeclaration):
        return f"<?xml {node.Value}?>"
    if isinstance(node, XmlProcessingInstruction):
        return f"<?{node.Target} {node.Data}?>" if node.Data else f"<?{node.Target}?>"
    if isinstance(node, XmlDocumentType):
        if node.PublicId:
            return f'<!DOCTYPE {node.Name} PUBLIC "{node.PublicId}" "{node.SystemId or ""}">'
        if node.SystemId:
            return f'<!DOCTYPE {node.Name} SYSTEM "{node.SystemId}">'
        return f"<!DOCTYPE {node.Name}>"
    if isinstance(node, XmlAttribute):
        return node.OuterXml
    return ""


# =========================================================================== reading

class _Builder:
    """expat's callbacks building our tree, refusing what could make a small file huge or reach
    outside it."""

    def __init__(self, preserve_whitespace: bool) -> None:
        self.document = XmlDocument()
        self.document.PreserveWhitespace = preserve_whitespace
        self.stack: List[XmlNode] = [self.document]
        self.in_cdata = False
        self.preserve = preserve_whitespace

    def refuse_entity(self, *args: Any) -> None:
        raise XmlError("the document declares entities, which are not accepted (a DTD's entities "
                       "can expand a small file without bound or read other files)")

    def refuse_external(self, *args: Any) -> int:
        raise XmlError("the document refers to an entity it does not define (an external entity "
                       "is never read)")

    def doctype(self, name: str, system_id: Optional[str], public_id: Optional[str],
                has_internal_subset: int) -> None:
        self.stack[-1].AppendChild(XmlDocumentType(self.document, name, public_id, system_id))

    def declaration(self, version: Optional[str], encoding: Optional[str], standalone: int) -> None:
        alone = None if standalone == -1 else ("yes" if standalone else "no")
        self.document.AppendChild(XmlDeclaration(self.document, version or "1.0", encoding, alone))

    def start(self, name: str, attributes: List[str]) -> None:
        if len(self.stack) > MAX_DEPTH:
            raise XmlError(f"elements are nested deeper than {MAX_DEPTH} levels")
        self._end_text()
        element = XmlElement(self.document, name)
        for i in range(0, len(attributes), 2):
            attr = XmlAttribute(self.document, attributes[i], attributes[i + 1])
            attr._parent = element
            element._attributes.append(attr)
        self.stack[-1].AppendChild(element)
        self.stack.append(element)

    def end(self, name: str) -> None:
        self._end_text()
        self.stack.pop()

    def text(self, data: str) -> None:
        parent = self.stack[-1]
        last = parent._children[-1] if parent._children else None
        if self.in_cdata:
            assert isinstance(last, XmlCDataSection)
            last.Data += data
        elif type(last) is XmlText:
            last.Data += data
        elif parent is not self.document:
            parent.AppendChild(XmlText(self.document, data))

    def _end_text(self) -> None:
        """Whitespace between elements is no node unless the document keeps whitespace."""
        parent = self.stack[-1]
        last = parent._children[-1] if parent._children else None
        if type(last) is XmlText and not last.Data.strip():
            parent.RemoveChild(last)
            if self.preserve:
                parent.AppendChild(XmlWhitespace(self.document, last.Data))

    def start_cdata(self) -> None:
        self._end_text()
        self.stack[-1].AppendChild(XmlCDataSection(self.document, ""))
        self.in_cdata = True

    def end_cdata(self) -> None:
        self.in_cdata = False

    def comment(self, data: str) -> None:
        self._end_text()
        self.stack[-1].AppendChild(XmlComment(self.document, data))

    def instruction(self, target: str, data: str) -> None:
        self._end_text()
        self.stack[-1].AppendChild(XmlProcessingInstruction(self.document, target, data))


def parse(source: Any, preserve_whitespace: bool = False) -> XmlDocument:
    """A document from text (str: its own encoding declaration is ignored) or bytes (the
    declaration or a byte-order mark says how to decode them)."""
    builder = _Builder(preserve_whitespace)
    parser = expat.ParserCreate("utf-8" if isinstance(source, str) else None)
    parser.buffer_text = True
    parser.ordered_attributes = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = builder.doctype
    parser.EntityDeclHandler = builder.refuse_entity
    parser.UnparsedEntityDeclHandler = builder.refuse_entity
    parser.ExternalEntityRefHandler = builder.refuse_external
    parser.SkippedEntityHandler = builder.refuse_external
    parser.XmlDeclHandler = builder.declaration
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.text
    parser.StartCdataSectionHandler = builder.start_cdata
    parser.EndCdataSectionHandler = builder.end_cdata
    parser.CommentHandler = builder.comment
    parser.ProcessingInstructionHandler = builder.instruction
    try:
        parser.Parse(source.encode("utf-8") if isinstance(source, str) else source, True)
    except expat.ExpatError as exc:
        raise XmlError(f"{expat.errors.messages[exc.code]} (line {exc.lineno}, position "
                       f"{exc.offset + 1})") from None
    except XmlError as exc:
        raise XmlError(f"{exc} (line {parser.CurrentLineNumber}, position "
                       f"{parser.CurrentColumnNumber + 1})") from None
    if builder.document.DocumentElement is None:
        raise XmlError("the document has no root element")
    return builder.document


MAX_FILE_BYTES = 1 << 30


def load_file(path: str, preserve_whitespace: bool = False) -> XmlDocument:
    """A document read from a file (OSError for a file that cannot be read)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise XmlError(f"the file is larger than {MAX_FILE_BYTES} bytes")
    return parse(data, preserve_whitespace)


def _resolve(path: str) -> str:
    from pshell.engine.runtime import CURRENT
    rs = getattr(CURRENT, "runspace", None)
    return rs.resolve_path(path) if rs is not None else path


def to_document(value: Any) -> XmlDocument:
    """``[xml]value``: a document from text (or lines of text), or the document itself."""
    if isinstance(value, XmlDocument):
        return value
    if isinstance(value, (list, tuple)):
        value = "\n".join(to_str(v) for v in value)
    if value is None:
        raise XmlError("there is no text to read")
    if isinstance(value, XmlNode):
        value = value.OuterXml
    return parse(to_str(value))
