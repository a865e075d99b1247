"""The nodes of an ``[xml]`` document (engine/xmldoc.py holds the document and the reader): the tree
links, the text views (InnerText, InnerXml, OuterXml), the edit methods, and PowerShell's view of a
node, where attributes and child elements are found by name ahead of the node's own properties.

Everything that walks the tree is a loop, not recursion: a document may be as deep as the reader
allows (xmldoc.MAX_DEPTH).
"""

from __future__ import annotations


from pshell.engine.values import NO_PROPERTY, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Tuple
    from pshell.engine.xmldoc import XmlDocument

__all__ = ["XmlError", "XmlNode", "XmlElement", "XmlAttribute", "XmlText", "XmlCDataSection",
           "XmlComment", "XmlWhitespace", "XmlDeclaration", "XmlProcessingInstruction",
           "XmlDocumentType", "XmlNodeList", "XmlAttributeCollection", "XmlNamespaceManager",
           "escape_text", "escape_attribute", "is_xml_node", "member_by_name",
           "set_by_name", "child_names", "adopt", "check_name", "copy_children", "XML_NS", "XMLNS_NS"]

XML_NS = "http://www.w3.org/XML/1998/namespace"
XMLNS_NS = "http://www.w3.org/2000/xmlns/"


class XmlError(ValueError):
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
        return "".join(n.Data for n in self.descendants()      # type: ignore[attr-defined]
                       if isinstance(n, (XmlText, XmlCDataSection, XmlWhitespace)))

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
        from pshell.engine.xmldoc import parse
        fragment = parse(f"<_>{to_str(value)}</_>", preserve_whitespace=True)
        holder = fragment.DocumentElement
        self._children = []
        for child in list(holder._children if holder is not None else []):
            self.AppendChild(adopt(child, self._document))

    @property
    def OuterXml(self) -> str:
        from pshell.engine.xmldoc import write_node
        return "".join(write_node(self, indent=False))

    # ---- edits ------------------------------------------------------------------------------
    def _check_child(self, child: Any) -> "XmlNode":
        if not isinstance(child, XmlNode) or isinstance(child, XmlAttribute) or \
                child.node_type == "Document":
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
            copy_children(self, copy)
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



def copy_children(source: XmlNode, target: XmlNode) -> None:
    """Copies of every node under ``source``, put under ``target`` (a loop, not recursion: a
    document may be as deep as the reader allows)."""
    stack = [(source, target)]
    while stack:
        src, dst = stack.pop()
        for child in src._children:
            copy = child._shallow_copy()
            copy._parent = dst
            dst._children.append(copy)
            stack.append((child, copy))


def adopt(node: XmlNode, document: Optional["XmlDocument"]) -> XmlNode:
    for each in [node, *node.descendants()]:
        if each is not document:
            each._document = document
        for attr in getattr(each, "_attributes", ()):
            attr._document = document
    return node


def check_name(name: str) -> str:
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

    def __init__(self, document: Optional["XmlDocument"], name: str) -> None:
        super().__init__(document)
        self._name = name
        self._attributes: List[XmlAttribute] = []
        self._declared_ns: Optional[str] = None     # CreateElement(name, uri) before insertion

    @property
    def ps_properties(self) -> Tuple[str, ...]:
        names = [a.Name for a in self._attributes]
        return tuple(names + [n for n in child_names(self) if n not in names])

    def ps_dynamic_member(self, name: str) -> Any:
        attr = self._attribute(name)
        if attr is not None:
            found = member_by_name(self, name)
            return attr.Value if found is NO_PROPERTY else [attr.Value] + _as_list(found)
        return member_by_name(self, name)

    def ps_set_dynamic_member(self, name: str, value: Any) -> bool:
        if self._attribute(name) is not None:
            self.SetAttribute(name, value)
            return True
        return set_by_name(self, name, value)

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

    def ToString(self) -> str:
        return self._name          # how a table of nodes shows an element

    def GetAttributeNode(self, name: Any) -> Optional["XmlAttribute"]:
        return self._attribute(to_str(name))

    def HasAttribute(self, name: Any) -> bool:
        return self._attribute(to_str(name)) is not None

    def SetAttribute(self, name: Any, value: Any) -> None:
        text = to_str(name)
        attr = self._attribute(text)
        if attr is None:
            attr = XmlAttribute(self._document, check_name(text), "")
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

    def __init__(self, document: Optional["XmlDocument"], name: str, value: str) -> None:
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

    @InnerXml.setter
    def InnerXml(self, value: Any) -> None:
        self._value = to_str(value)

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
    ps_type_names: Tuple[str, ...] = ("System.Xml.XmlCharacterData", "System.Xml.XmlLinkedNode",
                                      "System.Xml.XmlNode")

    def __init__(self, document: Optional["XmlDocument"], data: str) -> None:
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

    def __init__(self, document: Optional["XmlDocument"], target: str, data: str) -> None:
        super().__init__(document)
        self.Target = target
        self.Data = data

    @property
    def Name(self) -> str:
        return self.Target

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

    def _shallow_copy(self) -> XmlNode:
        return XmlProcessingInstruction(self._document, self.Target, self.Data)


class XmlDeclaration(XmlNode):
    node_type = "XmlDeclaration"
    ps_type_names = ("System.Xml.XmlDeclaration", "System.Xml.XmlLinkedNode", "System.Xml.XmlNode")

    def __init__(self, document: Optional["XmlDocument"], version: str, encoding: Optional[str],
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

    @Value.setter
    def Value(self, value: Any) -> None:
        raise XmlError("An XML declaration is changed through Version, Encoding and Standalone.")

    @property
    def InnerText(self) -> str:
        return self.Value

    @InnerText.setter
    def InnerText(self, value: Any) -> None:
        raise XmlError("An XML declaration is changed through Version, Encoding and Standalone.")

    def _shallow_copy(self) -> XmlNode:
        return XmlDeclaration(self._document, self.Version, self.Encoding, self.Standalone)


class XmlDocumentType(XmlNode):
    node_type = "DocumentType"
    ps_type_names = ("System.Xml.XmlDocumentType", "System.Xml.XmlLinkedNode", "System.Xml.XmlNode")

    def __init__(self, document: Optional["XmlDocument"], name: str, public_id: Optional[str],
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

    @InnerText.setter
    def InnerText(self, value: Any) -> None:
        raise XmlError("A document type declaration has no text to set.")

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


def child_names(node: XmlNode) -> Tuple[str, ...]:
    seen: Dict[str, None] = {}
    for child in node._children:
        seen.setdefault(child.Name, None)
    return tuple(seen)


def member_by_name(node: XmlNode, name: str) -> Any:
    found = [c for c in node._children if c.Name == name]
    if not found:
        return NO_PROPERTY
    values = [_node_value(c) for c in found]
    return values[0] if len(values) == 1 else values


def set_by_name(node: XmlNode, name: str, value: Any) -> bool:
    found = [c for c in node._children if c.Name == name]
    if not found:
        return False
    if len(found) > 1 or not (_is_simple(found[0]) or isinstance(found[0], XmlCharacterData)):
        raise XmlError(f"Cannot set '{name}' because only strings can be used as values to set "
                       f"XmlNode properties.")
    found[0].InnerText = value
    return True
