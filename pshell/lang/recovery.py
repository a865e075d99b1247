"""Error recovery for the parser: keep going after a syntax error so one text yields all of them.

The parser raises :class:`ParseError` where it finds a mistake.  The statement loop
(``Parser.parse_statements``) catches it, hands it to :meth:`Recovery.resume`, and carries on from
a point this module picks:

- the error is recorded (an identical one, same place and id, only once);
- where the parser stopped, the next token decides: the end of input, a line end, ``;`` or the
  block's own closer simply end the statement; any other token is reported as unexpected too (as
  PowerShell does when a broken expression is followed by more text), then parsing starts a new
  statement at it, or after it when it cannot start one (``)``, ``]``, ``}``) or when the failed
  statement consumed nothing (so every recovery moves forward and the loop ends).

Parsing stops for good after :data:`MAX_ERRORS` errors.  Speculative parses (``[attr()]`` that may
turn out to be a type) switch recovery off with :meth:`Recovery.suspended`, so they fail and back
off exactly as without it.  When the script is done, :meth:`Recovery.finish` raises the first error
carrying the whole list (``ParseError.errors``): a script with any error runs nothing.
"""

from __future__ import annotations

from .errors import ParseError, SourceLocation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional

if TYPE_CHECKING:                                          # pragma: no cover
    from .parser import Parser

__all__ = ["Recovery", "MAX_ERRORS"]

MAX_ERRORS = 100
_ENDS = frozenset(("eof", "newline", ";"))
_CANNOT_START = frozenset((")", "}", "]"))


class _TooManyErrors(Exception):
    pass


class _Suspended:
    """``with recovery.suspended():`` - recovery is off inside, as it was after."""

    def __init__(self, recovery: "Recovery") -> None:
        self.recovery = recovery
        self.before = recovery.active

    def __enter__(self) -> None:
        self.before = self.recovery.active
        self.recovery.active = False

    def __exit__(self, *exc: object) -> None:
        self.recovery.active = self.before


class Recovery:
    """The errors found so far in one parse, and whether the statement loop may recover."""

    def __init__(self) -> None:
        self.errors: List[ParseError] = []
        self.active = True
        self._seen: set = set()

    def record(self, error: ParseError) -> None:
        key = (error.location.start, error.error_id)
        if key in self._seen:
            return
        self._seen.add(key)
        self.errors.append(error)
        if len(self.errors) >= MAX_ERRORS:
            raise _TooManyErrors()

    def suspended(self) -> "_Suspended":
        """Errors raised inside propagate (a speculative parse backs off on them).  A class,
        not ``contextlib.contextmanager``: contextlib was 0.4 ms of every ``pshell`` start."""
        return _Suspended(self)

    def resume(self, parser: "Parser", error: ParseError, stmt_start: int,
               closer: Optional[str]) -> None:
        """Record ``error`` (raised by the statement that began at ``stmt_start``) and move
        ``parser.pos`` to where the next statement may begin."""
        self.record(error)
        at = max(parser.pos, stmt_start)
        try:
            tok = parser.lx.token(at, "E")
        except ParseError as bad:                          # the text there does not even lex
            self.record(bad)
            parser.pos = parser.n if bad.incomplete else max(at + 1, bad.location.end)
            return
        if tok.kind in _ENDS or (tok.kind == closer and at > stmt_start):
            parser.pos = at
            return
        if tok.kind in (")", "}") and _open_in(parser, stmt_start, at, tok.kind):
            parser.pos = tok.end                           # it closes what the statement opened
            return
        if not (tok.start == error.location.start and error.error_id == "UnexpectedToken"):
            self.record(parser.unexpected(tok))
        if at == stmt_start or tok.kind in _CANNOT_START or tok.end <= at:
            parser.pos = max(tok.end, at + 1) if tok.kind != "eof" else at
        else:
            parser.pos = at

    def finish(self, pending: Optional[ParseError] = None) -> None:
        """Raise the first error (with ``errors``: all of them) when there was any."""
        errors = list(self.errors)
        if pending is not None and all(pending is not e for e in errors):
            errors.append(pending)
        if not errors:
            return
        first = errors[0]
        first.errors = errors
        raise first


_OPENERS = {")": ("(", "$(", "@("), "}": ("{", "@{")}


def _open_in(parser: "Parser", start: int, end: int, closing: str) -> bool:
    """Whether the tokens the parser consumed in ``[start, end)`` leave a ``closing`` bracket open."""
    text, opening = parser.text, _OPENERS[closing]
    depth = 0
    for s, e, _ in parser.records:
        if start <= s < end:
            piece = text[s:e]
            if piece in opening:
                depth += 1
            elif piece == closing:
                depth -= 1
    return depth > 0


def too_many(parser: "Parser") -> ParseError:
    """The error added when parsing gave up after :data:`MAX_ERRORS` errors."""
    return ParseError(f"Too many parse errors (more than {MAX_ERRORS}): parsing stopped here.",
                      SourceLocation(parser.source, parser.text, parser.pos), error_id="TooManyErrors")


TooManyErrors = _TooManyErrors
