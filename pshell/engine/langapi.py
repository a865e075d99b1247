"""The parser as scripts reach it through .NET: ``[System.Management.Automation.PSParser]::Tokenize``
and ``[System.Management.Automation.Language.Parser]::ParseInput``.

Both fill their out parameters (``[ref]$tokens``, ``[ref]$errors``) and never throw for a syntax
error: the parser recovers after each error (lang/recovery.py), so the list holds every one.
"""

from __future__ import annotations


from pshell.engine.reference import PSReference
from pshell.engine.values import PSObject

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List

__all__ = ["tokenize", "parse_input"]

_TOKEN_TYPES = {
    "keyword": "Keyword", "string": "String", "number": "Number", "variable": "Variable",
    "comment": "Comment", "operator": "Operator", "parameter": "CommandParameter",
    "command": "Command", "type": "Type", "member": "Member",
}


def _position(text: str, offset: int) -> PSObject:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return PSObject.from_pairs([("Offset", offset), ("LineNumber", line), ("ColumnNumber", column)])


def _extent(text: str, start: int, end: int) -> PSObject:
    first, last = _position(text, start), _position(text, end)
    return PSObject.from_pairs([("Text", text[start:end]), ("StartOffset", start), ("EndOffset", end),
                     ("StartLineNumber", first.get("LineNumber")),
                     ("StartColumnNumber", first.get("ColumnNumber")),
                     ("EndLineNumber", last.get("LineNumber")),
                     ("EndColumnNumber", last.get("ColumnNumber")),
                     ("StartScriptPosition", first), ("EndScriptPosition", last)])


def _parse(text: str) -> Any:
    """(ast or None, the ParseError or None)."""
    from pshell.lang.errors import ParseError
    from pshell.lang.parser import parse
    try:
        return parse(text, "<ParseInput>"), None
    except ParseError as exc:
        return None, exc


def _all(exc: Any) -> List[Any]:
    return [] if exc is None else list(getattr(exc, "errors", None) or [exc])


def _error_record(text: str, exc: Any) -> PSObject:
    loc = exc.location
    error = PSObject.from_pairs([("ErrorId", exc.error_id), ("Message", exc.message),
                      ("Extent", _extent(text, loc.start, loc.end)),
                      ("IncompleteInput", bool(exc.incomplete))])
    error.type_names = ["System.Management.Automation.Language.ParseError"]
    return error


def _set(ref: Any, value: Any) -> None:
    if isinstance(ref, PSReference):
        ref.Value = value


def _text(value: Any) -> str:
    from pshell.engine.values import to_str
    return "" if value is None else to_str(value)


def tokenize(args: List[Any]) -> List[PSObject]:
    """``[PSParser]::Tokenize(script, [ref]$errors)``: PSToken objects (Content, Type, Start,
    Length, StartLine, StartColumn); the errors as PSParseError objects (Message, Token)."""
    from pshell.lang.lex_display import tokenize_for_display
    text = _text(args[0] if args else None)
    tokens = []
    for start, end, kind in tokenize_for_display(text):
        pos = _position(text, start)
        tokens.append(PSObject.from_pairs([("Content", text[start:end]),
                                ("Type", _TOKEN_TYPES.get(kind, kind.capitalize() if kind else "Unknown")),
                                ("Start", start), ("Length", end - start),
                                ("StartLine", pos.get("LineNumber")),
                                ("StartColumn", pos.get("ColumnNumber"))]))
    _, exc = _parse(text)
    errors = [PSObject.from_pairs([("Message", e.message),
                                   ("Token", _extent(text, e.location.start, e.location.end))])
              for e in _all(exc)]
    if len(args) > 1:
        _set(args[1], errors)
    return tokens


def parse_input(args: List[Any]) -> Any:
    """``[Parser]::ParseInput(script, [ref]$tokens, [ref]$errors)``: the tree as a read-only view
    (engine/ast_view.py); with errors, the tree the parser recovered around them."""
    from pshell.engine.ast_view import view_of
    text = _text(args[0] if args else None)
    tree, exc = _parse(text)
    if len(args) > 1:
        _set(args[1], tokenize([text]))
    if len(args) > 2:
        _set(args[2], [_error_record(text, e) for e in _all(exc)])
    return view_of(tree if exc is None else exc.tree, text, _all(exc))
