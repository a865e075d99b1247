"""Errors that carry a source location, rendered in one place with the line and a caret."""

from __future__ import annotations

from typing import Optional

__all__ = ["SourceLocation", "ParseError", "render_location"]


class SourceLocation:
    """Where something is in a script: the source name, its text, and an offset range."""

    __slots__ = ("source", "text", "start", "end")

    def __init__(self, source: str, text: str, start: int, end: Optional[int] = None) -> None:
        self.source = source
        self.text = text
        self.start = max(0, min(start, len(text)))
        self.end = self.start if end is None else max(self.start, min(end, len(text)))

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.start) + 1

    @property
    def column(self) -> int:
        return self.start - (self.text.rfind("\n", 0, self.start) + 1) + 1

    def line_text(self) -> str:
        begin = self.text.rfind("\n", 0, self.start) + 1
        stop = self.text.find("\n", self.start)
        return self.text[begin: len(self.text) if stop < 0 else stop]

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


def render_location(loc: SourceLocation) -> str:
    """``At file:3:7`` followed by the source line and a caret under the offending text."""
    line = loc.line_text().rstrip("\r")
    col = loc.column
    width = max(1, min(loc.end - loc.start, len(line) - col + 1))
    caret = " " * (col - 1) + "~" * width
    expanded = line.expandtabs(1)
    return f"At {loc}\n+ {expanded}\n+ {caret}"


# the ids PowerShell gives these parse errors (ParseException's inner record, $errors[i].ErrorId)
_ERROR_IDS = (
    ("You must provide a value expression", "ExpectedValueExpression"),
    ("An empty pipe element is not allowed", "EmptyPipeElement"),
    ("Unexpected token", "UnexpectedToken"),
    ("Missing closing ')' in expression", "MissingEndParenthesisInExpression"),
    ("Missing ')' in method call", "MissingEndParenthesisInMethodCall"),
    ("Missing closing '}'", "MissingEndCurlyBrace"),
    ("The Try statement is missing its Catch or Finally block", "MissingCatchOrFinally"),
    ("The assignment expression is not valid", "InvalidLeftHandSide"),
    ("Missing a pipeline after the", "EmptyPipelineChainElement"),
    ("The string is missing the terminator", "TerminatorExpectedAtEndOfString"),
)


class ParseError(Exception):
    """A syntax error.  ``incomplete`` is true when the input ended inside an open construct
    (a brace, bracket, quote, here-string, or after a trailing ``|`` / operator / backtick), so an
    interactive reader should ask for another line instead of reporting it."""

    def __init__(self, message: str, location: SourceLocation, incomplete: bool = False,
                 error_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.incomplete = incomplete
        self.error_id = error_id or next((eid for start, eid in _ERROR_IDS if message.startswith(start)),
                                         "ParseError")

    def render(self) -> str:
        return f"ParserError: {render_location(self.location)}\n{self.message}"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"
