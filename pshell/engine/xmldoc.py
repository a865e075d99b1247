"""``[xml]``: an XmlDocument-like tree of our own, read through expat, written as .NET writes it.

Scripts reach into a document the way PowerShell's XML adapter lets them: ``$x.root.child`` finds
attributes and child elements by name (an element holding nothing but text is that text, several
children of one name are an array), ahead of the node's own properties (``Name``, ``OuterXml``, ...).
:meth:`XmlNode.ps_dynamic_member` is that lookup; engine/members.py asks it first.

Reading is a trust boundary (a file may come from anywhere): :func:`parse` refuses entity
declarations (no "billion laughs"), external entities and parameter entities, and nesting deeper
than :data:`MAX_DEPTH`; nothing is ever fetched.  XPath is engine/xpath.py.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Tuple
from xml.parsers import expat

from pshell.engine.values import NO_PROPERTY, to_str

__all__ = ["XmlError", "XmlNode", "XmlDocument", "XmlElement", "XmlAttribute", "XmlText",
           "XmlCDataSection", "XmlComment", "XmlDeclaration", "XmlProcessingInstruction",
           "XmlDocumentType", "XmlNodeList", "parse", "load_file", "MAX_DEPTH", "escape_text",
           "escape_attribute", "is_xml_node"]

MAX_DEPTH = 512                 # elements nested deeper than this are refused
XML_NS = "http://www.w3.org/XML/1998/namespace"
XMLNS_NS = "http://www.w3.org/2000/xmlns/"


class XmlError(Exception):
    """Text that is not XML we accept; the message names the line and column."""


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


def is_xml_node(value: Any) -> bool:
    return isinstance(value, XmlNode)


class XmlNodeList(list):
    """What SelectNodes and ChildNodes return: a list (the pipeline unrolls it) with .NET's names."""

    ps_type_names = ("System.Xml.XmlNodeList",)

    @property
    def Count(self) -> int:
        return len(self)

    def Item(self, index: Any) -> Any:
        i = int(index)
        return self[i] if 0 <= i < len(self) else None


# =========================================================================== nodes

class XmlNode:
    """The base of every node: the tree links, the text views and the edit methods."""

    node_type = "None"
    ps_type_names: Tuple[str, ...] = ("System.Xml.XmlNode",)

    def __init__(self, document: Optional["XmlDocument"]) -> None:
        self._document = document
        self._parent: Optional[XmlNode] = None
        self._children: List[XmlNode] = []

    # ---- PowerShell's view: attributes and children by name --------------------------------
    def ps_dynamic_member(self, name: str) -> Any:
        return NO_PROPERTY

    def ps_set_dynamic_member(self, name: str, value: Any) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        # for readers that go through getattr (Select-Object, formatting)
        if name.startswith("_"):
            raise AttributeError(name)
        found = self.ps_dynamic_member(name)
        if found is NO_PROPERTY:
            raise AttributeError(name)
        return found

    # ---- identity ---------------------------------------------------------------------------
    @property
    def Name(self) -> str:
        return "#" + self.node_type.lower()

    @property
    def LocalName(self) -> str:
        return self.Name

    @property
    def Prefix(self) -> str:
        return ""

    @property
    def NamespaceURI(self) -> str:
        return ""

    @property
    def NodeType(self) -> str:
        return self.node_type

    @property
    def Value(self) -> Optional[str]:
        return None

    @Value.setter
    def Value(self, value: Any) -> None:
        raise XmlError(f"A node of type '{self.node_type}' has no value to set.")

    # ---- tree -------------------------------------------------------------------------------
    @property
    def OwnerDocument(self) -> Optional["XmlDocument"]:
        return self._document

    @property
    def ParentNode(self) -> Optional["XmlNode"]:
        return self._parent

    @property
    def ChildNodes(self) -> XmlNodeList:
        return XmlNodeList(self._children)

    @property
    def HasChildNodes(self) -> bool:
        return bool(self._children)

    @property
    def FirstChild(self) -> Optional["XmlNode"]:
        return self._children[0] if self._children else None

    @property
    def LastChild(self) -> Optional["XmlNode"]:
        return self._children[-1] if self._children else None

    def _sibling(self, step: int) -> Optional["XmlNode"]:
        if self._parent is None or isinstance(self, XmlAttribute):
            return None
        siblings = self._parent._children
        i = next(k for k, n in enumerate(siblings) if n is self) + step
        return siblings[i] if 0 <= i < len(siblings) else None

    @property
    def NextSibling(self) -> Optional["XmlNode"]:
        return self._sibling(1)

    @property
    def PreviousSibling(self) -> Optional["XmlNode"]:
        return self._sibling(-1)

    @property
    def Attributes(self) -> Any:
        return None

    # ---- text -------------------------------------------------------------------------------
    @property
    def InnerText(self) -> str:
        return "".join(n.InnerText for n in self._children
                       if not isinstance(n, (XmlComment, XmlProcessingInstruction)))

    @InnerText.setter
    def InnerText(self, value: Any) -> None:
        self._children = []
        text = to_str(value)
        if text:
            self.AppendChild(XmlText(self._document, text))

    @property
    def InnerXml(self) -> str:
        return "".join(n.OuterXml for n in self._children)

    @InnerXml.setter
    def InnerXml(self, value: Any) -> None:
        fragment = parse(f"<_>{to_str(value)}</_>", preserve_whitespace=True)
        holder = fragment.DocumentElement
        self._children = []
        for child in list(holder._children if holder is not None else []):
            self.AppendChild(_adopt(child, self._document))

    @property
    def OuterXml(self) -> str:
        return "".join(write_node(self, indent=False))

    # ---- edits ------------------------------------------------------------------------------
    def _check_child(self, child: Any) -> "XmlNode":
        if not isinstance(child, XmlNode) or isinstance(child, (XmlDocument, XmlAttribute)):
            raise XmlError("The node to insert is not of a type that can be a child.")
        node: Any = self
        while node is not None:
            if node is child:
                raise XmlError("The node to insert is an ancestor of this node.")
            node = node._parent
        if child._parent is not None:
            child._parent.RemoveChild(child)
        child._parent = self
        return child

    def AppendChild(self, child: Any) -> "XmlNode":
        self._children.append(self._check_child(child))
        return child

    def PrependChild(self, child: Any) -> "XmlNode":
        self._children.insert(0, self._check_child(child))
        return child

    def _index_of(self, ref: Any) -> int:
        for i, node in enumerate(self._children):
            if node is ref:
                return i
        raise XmlError("The reference node is not a child of this node.")

    def InsertBefore(self, child: Any, ref: Any) -> "XmlNode":
        if ref is None:
            return self.AppendChild(child)
        self._index_of(ref)
        self._check_child(child)
        self._children.insert(self._index_of(ref), child)
        return child

    def InsertAfter(self, child: Any, ref: Any) -> "XmlNode":
        if ref is None:
            return self.PrependChild(child)
        self._index_of(ref)
        self._check_child(child)
        self._children.insert(self._index_of(ref) + 1, child)
        return child

    def RemoveChild(self, child: Any) -> "XmlNode":
        del self._children[self._index_of(child)]
        child._parent = None
        return child

    def ReplaceChild(self, new: Any, old: Any) -> "XmlNode":
        self.InsertBefore(new, old)
        return self.RemoveChild(old)

    def RemoveAll(self) -> None:
        for child in self._children:
            child._parent = None
        self._children = []

    def CloneNode(self, deep: Any = True) -> "XmlNode":
        copy = self._shallow_copy()
        if deep:
            for child in self._children:
                copy.AppendChild(child.CloneNode(True))
        return copy

    def Clone(self) -> "XmlNode":
        return self.CloneNode(True)

    def _shallow_copy(self) -> "XmlNode":
        raise XmlError(f"A node of type '{self.node_type}' cannot be copied.")

    # ---- queries ----------------------------------------------------------------------------
    def SelectNodes(self, xpath: Any, namespaces: Any = None) -> XmlNodeList:
        from pshell.engine.xpath import select_nodes
        return XmlNodeList(select_nodes(self, to_str(xpath), _namespace_map(namespaces)))

    def SelectSingleNode(self, xpath: Any, namespaces: Any = None) -> Optional["XmlNode"]:
        found = self.SelectNodes(xpath, namespaces)
        return found[0] if found else None

    def GetElementsByTagName(self, name: Any) -> XmlNodeList:
        wanted = to_str(name)
        return XmlNodeList(n for n in self.descendants()
                           if isinstance(n, XmlElement) and (wanted == "*" or n.Name == wanted))

    def descendants(self) -> Iterator["XmlNode"]:
        stack = list(reversed(self._children))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node._children))

    def __getitem__(self, index: Any) -> Any:
        """``$node['child']``: the first child element of that name; ``$node[0]`` the node."""
        if isinstance(index, str):
            return next((c for c in self._children
                         if isinstance(c, XmlElement) and c.Name == index), None)
        if isinstance(index, int) and index in (0, -1):
            return self
        raise IndexError(index)

    def GetType(self) -> Any:
        from pshell.engine.values import PSTypeInfo
        return PSTypeInfo(self.ps_type_names[0])

    def ToString(self) -> str:
        return self.ps_type_names[0]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.Name}>"


def _namespace_map(namespaces: Any) -> Dict[str, str]:
    """An XmlNamespaceManager stand-in: a hashtable of prefix -> URI, or our NamespaceManager."""
    if namespaces is None:
        return {}
    if isinstance(namespaces, XmlNamespaceManager):
        return dict(namespaces.prefixes)
    if isinstance(namespaces, dict):
        return {to_str(k): to_str(v) for k, v in namespaces.items()}
    raise XmlError("The namespaces must be a hashtable of prefix = URI.")


class XmlNamespaceManager:
    """``[System.Xml.XmlNamespaceManager]::new($doc.NameTable)``: prefixes for XPath."""

    ps_type_names = ("System.Xml.XmlNamespaceManager",)

    def __init__(self, name_table: Any = None) -> None:
        self.prefixes: Dict[str, str] = {}

    def AddNamespace(self, prefix: Any, uri: Any) -> None:
        self.prefixes[to_str(prefix)] = to_str(uri)

    def LookupNamespace(self, prefix: Any) -> Optional[str]:
        return self.prefixes.get(to_str(prefix))

    def HasNamespace(self, prefix: Any) -> bool:
        return to_str(prefix) in self.prefixes


# --------------------------------------------------------------------------- the document

class XmlDocument(XmlNode):
    node_type = "Document"
    ps_type_names = ("System.Xml.XmlDocument", "System.Xml.XmlNode")

    def __init__(self) -> None:
        super().__init__(None)
        self.PreserveWhitespace = False

    @property
    def ps_properties(self) -> Tuple[str, ...]:
        return _child_names(self)

    def ps_dynamic_member(self, name: str) -> Any:
        return _member_by_name(self, name)

    def ps_set_dynamic_member(self, name: str, value: Any) -> bool:
        return _set_by_name(self, name, value)

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
        element = XmlElement(self, _check_name(to_str(name)))
        if namespace_uri is not None and to_str(namespace_uri):
            element._declared_ns = to_str(namespace_uri)
        return element

    def CreateAttribute(self, name: Any, namespace_uri: Any = None) -> "XmlAttribute":
        return XmlAttribute(self, _check_name(to_str(name)), "")

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
        return _adopt(node.CloneNode(bool(deep)), self)

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
            self.AppendChild(_adopt(child, self))

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
            for child in self._children:
                copy.AppendChild(_adopt(child.CloneNode(True), copy))   # type: ignore[arg-type]
        return copy


def _resolve(path: str) -> str:
    from pshell.engine.runtime import CURRENT
    rs = getattr(CURRENT, "runspace", None)
    return rs.resolve_path(path) if rs is not None else path


def _adopt(node: XmlNode, document: Optional[XmlDocument]) -> XmlNode:
    node._document = document
    for attr in getattr(node, "_attributes", ()):
        attr._document = document
    for child in node._children:
        _adopt(child, document)
    return node


def _check_name(name: str) -> str:
    if not name or name[0].isdigit() or any(c in name for c in " <>&\"'=/\t\n"):
        raise XmlError(f"The '{name}' name is not a valid XML name.")
    return name


# --------------------------------------------------------------------------- elements, attributes

class XmlAttributeCollection(list):
    """``$element.Attributes``: the attributes in order, also found by name."""

    ps_type_names = ("System.Xml.XmlAttributeCollection",)

    @property
    def Count(self) -> int:
        return len(self)

    def GetNamedItem(self, name: Any) -> Optional["XmlAttribute"]:
        wanted = to_str(name)
        return next((a for a in self if a.Name == wanted), None)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, str):
            return self.GetNamedItem(index)
        return list.__getitem__(self, index)


class XmlElement(XmlNode):
    node_type = "Element"
    ps_type_names = ("System.Xml.XmlElement", "System.Xml.XmlLinkedNode", "System.Xml.XmlNode")

    def __init__(self, document: Optional[XmlDocument], name: str) -> None:
        super().__init__(document)
        self._name = name
        self._attributes: List[XmlAttribute] = []
        self._declared_ns: Optional[str] = None     # CreateElement(name, uri) before insertion

    @property
    def ps_properties(self) -> Tuple[str, ...]:
        names = [a.Name for a in self._attributes]
        return tuple(names + [n for n in _child_names(self) if n not in names])

    def ps_dynamic_member(self, name: str) -> Any:
        attr = self._attribute(name)
        if attr is not None:
            found = _member_by_name(self, name)
            return attr.Value if found is NO_PROPERTY else [attr.Value] + _as_list(found)
        return _member_by_name(self, name)

    def ps_set_dynamic_member(self, name: str, value: Any) -> bool:
        if self._attribute(name) is not None:
            self.SetAttribute(name, value)
            return True
        return _set_by_name(self, name, value)

    @property
    def Name(self) -> str:
        return self._name

    @property
    def LocalName(self) -> str:
        return self._name.split(":", 1)[1] if ":" in self._name else self._name

    @property
    def Prefix(self) -> str:
        return self._name.split(":", 1)[0] if ":" in self._name else ""

    @property
    def NamespaceURI(self) -> str:
        return _lookup_namespace(self, self.Prefix) if self._declared_ns is None else self._declared_ns

    @property
    def Attributes(self) -> XmlAttributeCollection:
        return XmlAttributeCollection(self._attributes)

    @property
    def HasAttributes(self) -> bool:
        return bool(self._attributes)

    @property
    def IsEmpty(self) -> bool:
        return not self._children

    def _attribute(self, name: str) -> Optional["XmlAttribute"]:
        return next((a for a in self._attributes if a.Name == name), None)

    def GetAttribute(self, name: Any, namespace_uri: Any = None) -> str:
        if namespace_uri is not None:
            local, uri = to_str(name), to_str(namespace_uri)
            attr = next((a for a in self._attributes
                         if a.LocalName == local and a.NamespaceURI == uri), None)
        else:
            attr = self._attribute(to_str(name))
        return attr.Value if attr is not None else ""

    def GetAttributeNode(self, name: Any) -> Optional["XmlAttribute"]:
        return self._attribute(to_str(name))

    def HasAttribute(self, name: Any) -> bool:
        return self._attribute(to_str(name)) is not None

    def SetAttribute(self, name: Any, value: Any) -> None:
        text = to_str(name)
        attr = self._attribute(text)
        if attr is None:
            attr = XmlAttribute(self._document, _check_name(text), "")
            attr._parent = self
            self._attributes.append(attr)
        attr.Value = to_str(value)

    def SetAttributeNode(self, attr: Any) -> Optional["XmlAttribute"]:
        if not isinstance(attr, XmlAttribute):
            raise XmlError("SetAttributeNode takes an attribute made by CreateAttribute.")
        old = self._attribute(attr.Name)
        if old is not None:
            self._attributes[self._attributes.index(old)] = attr
            old._parent = None
        else:
            self._attributes.append(attr)
        attr._parent = self
        return old

    def RemoveAttribute(self, name: Any) -> None:
        attr = self._attribute(to_str(name))
        if attr is not None:
            self._attributes.remove(attr)
            attr._parent = None

    def RemoveAllAttributes(self) -> None:
        self._attributes = []

    def RemoveAll(self) -> None:
        super().RemoveAll()
        self._attributes = []

    def _shallow_copy(self) -> XmlNode:
        copy = XmlElement(self._document, self._name)
        copy._declared_ns = self._declared_ns if self._declared_ns is not None else (
            self.NamespaceURI or None)
        for attr in self._attributes:
            clone = XmlAttribute(self._document, attr.Name, attr.Value)
            clone._parent = copy
            copy._attributes.append(clone)
        return copy


class XmlAttribute(XmlNode):
    node_type = "Attribute"
    ps_type_names = ("System.Xml.XmlAttribute", "System.Xml.XmlNode")

    def __init__(self, document: Optional[XmlDocument], name: str, value: str) -> None:
        super().__init__(document)
        self._name = name
        self._value = value

    @property
    def Name(self) -> str:
        return self._name

    @property
    def LocalName(self) -> str:
        return self._name.split(":", 1)[1] if ":" in self._name else self._name

    @property
    def Prefix(self) -> str:
        return self._name.split(":", 1)[0] if ":" in self._name else ""

    @property
    def NamespaceURI(self) -> str:
        if self._name == "xmlns" or self.Prefix == "xmlns":
            return XMLNS_NS
        if not self.Prefix or self._parent is None:
            return ""
        return _lookup_namespace(self._parent, self.Prefix)

    @property
    def OwnerElement(self) -> Optional[XmlNode]:
        return self._parent

    @property
    def Value(self) -> str:
        return self._value

    @Value.setter
    def Value(self, value: Any) -> None:
        self._value = to_str(value)

    @property
    def InnerText(self) -> str:
        return self._value

    @InnerText.setter
    def InnerText(self, value: Any) -> None:
        self._value = to_str(value)

    @property
    def InnerXml(self) -> str:
        return escape_attribute(self._value)

    @property
    def OuterXml(self) -> str:
        return f'{self._name}="{escape_attribute(self._value)}"'

    def _shallow_copy(self) -> XmlNode:
        return XmlAttribute(self._document, self._name, self._value)


def _lookup_namespace(node: Optional[XmlNode], prefix: str) -> str:
    if prefix == "xml":
        return XML_NS
    if prefix == "xmlns":
        return XMLNS_NS
    wanted = f"xmlns:{prefix}" if prefix else "xmlns"
    while isinstance(node, XmlElement):
        attr = node._attribute(wanted)
        if attr is not None:
            return attr.Value
        if not prefix and node._declared_ns is not None and not node.Prefix:
            return node._declared_ns
        node = node._parent
    return ""


# --------------------------------------------------------------------------- character data

class XmlCharacterData(XmlNode):
    ps_type_names = ("System.Xml.XmlCharacterData", "System.Xml.XmlLinkedNode", "System.Xml.XmlNode")

    def __init__(self, document: Optional[XmlDocument], data: str) -> None:
        super().__init__(document)
        self.Data = data

    @property
    def Value(self) -> str:
        return self.Data

    @Value.setter
    def Value(self, value: Any) -> None:
        self.Data = to_str(value)

    @property
    def InnerText(self) -> str:
        return self.Data

    @InnerText.setter
    def InnerText(self, value: Any) -> None:
        self.Data = to_str(value)

    @property
    def Length(self) -> int:
        return len(self.Data)

    def _shallow_copy(self) -> XmlNode:
        return type(self)(self._document, self.Data)


class XmlText(XmlCharacterData):
    node_type = "Text"
    ps_type_names = ("System.Xml.XmlText",) + XmlCharacterData.ps_type_names


class XmlCDataSection(XmlCharacterData):
    node_type = "CDATA"
    ps_type_names = ("System.Xml.XmlCDataSection",) + XmlCharacterData.ps_type_names

    @property
    def Name(self) -> str:
        return "#cdata-section"


class XmlWhitespace(XmlCharacterData):
    node_type = "Whitespace"
    ps_type_names = ("System.Xml.XmlWhitespace",) + XmlCharacterData.ps_type_names


class XmlComment(XmlCharacterData):
    node_type = "Comment"
    ps_type_names = ("System.Xml.XmlComment",) + XmlCharacterData.ps_type_names


class XmlProcessingInstruction(XmlNode):
    node_type = "ProcessingInstruction"
    ps_type_names = ("System.Xml.XmlProcessingInstruction", "System.Xml.XmlLinkedNode",
                     "System.Xml.XmlNode")

    def __init__(self, document: Optional[XmlDocument], target: str, data: str) -> None:
        super().__init__(document)
        self.Target = target
        self.Data = data

    @property
    def Name(self) -> str:
        return self.Target

    @property
    def Value(self) -> str:
        return self.Data

    @property
    def InnerText(self) -> str:
        return self.Data

    def _shallow_copy(self) -> XmlNode:
        return XmlProcessingInstruction(self._document, self.Target, self.Data)


class XmlDeclaration(XmlNode):
    node_type = "XmlDeclaration"
    ps_type_names = ("System.Xml.XmlDeclaration", "System.Xml.XmlLinkedNode", "System.Xml.XmlNode")

    def __init__(self, document: Optional[XmlDocument], version: str, encoding: Optional[str],
                 standalone: Optional[str]) -> None:
        super().__init__(document)
        self.Version = version
        self.Encoding = encoding or ""
        self.Standalone = standalone or ""

    @property
    def Name(self) -> str:
        return "xml"

    @property
    def Value(self) -> str:
        parts = [f'version="{self.Version}"']
        if self.Encoding:
            parts.append(f'encoding="{self.Encoding}"')
        if self.Standalone:
            parts.append(f'standalone="{self.Standalone}"')
        return " ".join(parts)

    @property
    def InnerText(self) -> str:
        return self.Value

    def _shallow_copy(self) -> XmlNode:
        return XmlDeclaration(self._document, self.Version, self.Encoding, self.Standalone)


class XmlDocumentType(XmlNode):
    node_type = "DocumentType"
    ps_type_names = ("System.Xml.XmlDocumentType", "System.Xml.XmlLinkedNode", "System.Xml.XmlNode")

    def __init__(self, document: Optional[XmlDocument], name: str, public_id: Optional[str],
                 system_id: Optional[str]) -> None:
        super().__init__(document)
        self._name = name
        self.PublicId = public_id
        self.SystemId = system_id

    @property
    def Name(self) -> str:
        return self._name

    @property
    def InnerText(self) -> str:
        return ""

    def _shallow_copy(self) -> XmlNode:
        return XmlDocumentType(self._document, self._name, self.PublicId, self.SystemId)


# --------------------------------------------------------------------------- the adapter's view

def _is_simple(node: XmlNode) -> bool:
    """An element PowerShell shows as its text: no attributes, nothing but text inside."""
    return (isinstance(node, XmlElement) and not node._attributes and
            all(isinstance(c, (XmlText, XmlCDataSection, XmlWhitespace)) for c in node._children))


def _node_value(node: XmlNode) -> Any:
    if isinstance(node, (XmlText, XmlCDataSection, XmlWhitespace, XmlDeclaration)):
        return node.Value
    if _is_simple(node):
        return node.InnerText
    return node


def _as_list(value: Any) -> List[Any]:
    return list(value) if isinstance(value, list) else [value]


def _child_names(node: XmlNode) -> Tuple[str, ...]:
    seen: Dict[str, None] = {}
    for child in node._children:
        seen.setdefault(child.Name, None)
    return tuple(seen)


def _member_by_name(node: XmlNode, name: str) -> Any:
    found = [c for c in node._children if c.Name == name]
    if not found:
        return NO_PROPERTY
    values = [_node_value(c) for c in found]
    return values[0] if len(values) == 1 else values


def _set_by_name(node: XmlNode, name: str, value: Any) -> bool:
    found = [c for c in node._children if c.Name == name]
    if not found:
        return False
    if len(found) > 1 or not (_is_simple(found[0]) or isinstance(found[0], XmlCharacterData)):
        raise XmlError(f"Cannot set '{name}' because only strings can be used as values to set "
                       f"XmlNode properties.")
    found[0].InnerText = value
    return True


# =========================================================================== writing

def write_node(node: XmlNode, indent: bool, level: int = 0, newline: str = "\n") -> Iterator[str]:
    """The node as .NET's writer puts it: compact, or indented two spaces a level (an element whose
    content has text in it is kept on one line, as whitespace there would change it)."""
    pad = newline + "  " * level if indent else ""
    if isinstance(node, XmlDocument):
        first = True
        for child in node._children:
            if not first and indent:
                yield newline
            first = False
            yield from write_node(child, indent, 0, newline)
        return
    if isinstance(node, XmlElement):
        yield "<" + node._name
        for attr in node._attributes:
            yield " " + attr.OuterXml
        if not node._children:
            yield " />"
            return
        yield ">"
        mixed = any(isinstance(c, (XmlText, XmlCDataSection, XmlWhitespace)) for c in node._children)
        inner_indent = indent and not mixed
        for child in node._children:
            if inner_indent:
                yield newline + "  " * (level + 1)
            yield from write_node(child, inner_indent, level + 1, newline)
        if inner_indent:
            yield pad
        yield f"</{node._name}>"
        return
    yield _leaf_text(node)


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
