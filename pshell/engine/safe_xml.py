"""Reading XML that comes from elsewhere (CLIXML files, format files) as a small element tree.

expat with every DOCTYPE, entity declaration and external entity refused (no expansion, no file
read behind the user's back) and nesting bounded, so a hostile file is an error naming its line,
never a memory blow-up or a deep recursion.  Callers turn :class:`XmlReadError` into their own
error with the file's name.  (``engine/xmldoc.py``, the ``[xml]`` document model, builds its own
richer tree with the same refusals.)
"""

from __future__ import annotations

from xml.parsers import expat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional

__all__ = ["XmlElement", "XmlReadError", "read_elements"]


class XmlReadError(ValueError):
    """Why a text is not XML this reader takes, and on which line."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(f"line {line}: {detail}")
        self.line = line
        self.detail = detail


class XmlElement:
    """One element: tag (without its namespace when asked), attributes, children, text, line."""

    __slots__ = ("attrs", "children", "line", "tag", "text")

    def __init__(self, tag: str, attrs: Dict[str, str], line: int) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: List[XmlElement] = []
        self.text = ""
        self.line = line

    def child(self, tag: str) -> Optional["XmlElement"]:
        return next((c for c in self.children if c.tag == tag), None)

    def value(self, tag: str) -> Optional[str]:
        found = self.child(tag)
        return None if found is None else found.text.strip()


def read_elements(text: str, max_nesting: int, what: str, local_names: bool = False) -> XmlElement:
    """The document's root element.  ``what`` names the kind of file in the refusal of a DOCTYPE
    (``CLIXML``); ``local_names`` drops namespaces from tags."""
    parser = expat.ParserCreate(namespace_separator=" ") if local_names else expat.ParserCreate()
    top = XmlElement("", {}, 0)
    stack = [top]
    pieces: List[List[str]] = [[]]

    def refuse(*_: Any) -> Any:
        raise XmlReadError(parser.CurrentLineNumber,
                           f"a DOCTYPE or entity declaration (refused: {what} has none)")

    def start(tag: str, attrs: Dict[str, str]) -> None:
        if len(stack) > max_nesting:
            raise XmlReadError(parser.CurrentLineNumber, f"elements nested more than {max_nesting} deep")
        element = XmlElement(tag.rpartition(" ")[2] if local_names else tag, dict(attrs),
                             parser.CurrentLineNumber)
        stack[-1].children.append(element)
        stack.append(element)
        pieces.append([])

    def end(_tag: str) -> None:
        stack.pop().text = "".join(pieces.pop())

    def data(chunk: str) -> None:
        pieces[-1].append(chunk)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(text.lstrip("\ufeff"), True)
    except expat.ExpatError as exc:
        raise XmlReadError(exc.lineno, f"not valid XML: {expat.errors.messages[exc.code]}") from None
    if len(top.children) != 1:
        raise XmlReadError(1, "not one root element")
    return top.children[0]
