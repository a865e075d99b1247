"""Syntax-highlighting classes for a text: :func:`tokenize_for_display` returns ``(start, end,
kind)`` runs covering the whole text.  It is driven by the parser (which records the tokens it
consumes, classified as it sees them) with a tolerant scan over the modal lexer for whatever the
parser did not reach (after a syntax error, in incomplete input)."""

from __future__ import annotations


from .errors import ParseError
from .lexer import STATEMENT_KEYWORDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Tuple

__all__ = ["tokenize_for_display"]


_DISPLAY_KINDS = frozenset(("keyword", "command", "parameter", "variable", "string", "number",
                            "operator", "comment", "type", "member", "punctuation", "text",
                            "error"))

_PUNCT = frozenset(("(", ")", "{", "}", "[", "]", ",", ";", "$(", "@(", "@{", "::", "."))
_OPERATOR_TOKENS = frozenset(("|", "||", "&", "&&", "=", "+=", "-=", "*=", "/=", "%=", "++", "--",
                              "+", "-", "*", "/", "%", "!", "..", "op", "redir", "dashdash"))


def tokenize_for_display(text: str) -> List[Tuple[int, int, str]]:
    """Classify ``text`` for syntax highlighting: ``(start, end, kind)`` runs covering the whole
    text in order.  Never raises; incomplete input is fine."""
    try:
        return _display(text)
    except Exception:                                       # pragma: no cover - last resort
        return [(0, len(text), "text")] if text else []


def _display(text: str) -> List[Tuple[int, int, str]]:
    n = len(text)
    if not n:
        return []
    from .parser import Parser
    parser = Parser(text, "<display>")
    error: Optional[ParseError] = None
    try:
        parser.parse_script()
    except ParseError as exc:
        error = exc
    except Exception:
        pass
    owner = [0] * n
    kinds = ["text"]

    def paint(records: List[Tuple[int, int, str]]) -> None:
        for s, e, k in sorted(records, key=lambda r: r[0] - r[1]):
            s = max(0, s)
            e = min(n, e)
            if s < e:
                kinds.append(k)
                owner[s:e] = [len(kinds) - 1] * (e - s)

    paint(_fallback_scan(text))
    recs = list(parser.records)
    recs.extend((s, e, "comment") for s, e in parser.lx.comments.items())
    paint(recs)
    if error is not None and not error.incomplete:
        s, e = error.location.start, error.location.end
        if s < n:
            paint([(s, max(e, s + 1), "error")])
    out: List[Tuple[int, int, str]] = []
    run_start = 0
    cur = owner[0]
    for i in range(1, n):
        o = owner[i]
        if o != cur:
            out.append((run_start, i, kinds[cur]))
            run_start = i
            cur = o
    out.append((run_start, n, kinds[cur]))
    return out


def _fallback_scan(text: str) -> List[Tuple[int, int, str]]:
    """A tolerant classification used where the parser did not get (after a syntax error or in
    incomplete input): a small state machine over the modal lexer."""
    from .parser import Parser
    helper = Parser(text, "<display>")
    lx = helper.lx
    n = len(text)
    out: List[Tuple[int, int, str]] = []
    pos = 0
    state = "start"                                         # start | args | expr
    prev = ""
    guard = 0
    while pos < n and guard < 4 * n + 10:
        guard += 1
        mode = "E" if state == "expr" else "C"
        try:
            tok = lx.token(pos, mode)
        except ParseError as e:
            s = max(pos, e.location.start)
            if s >= n:
                break
            c = text[s]
            kind = "error"
            if c in "'\"" or (c == "@" and text.startswith(("'", '"'), s + 1)):
                kind = "string"
            elif c == "<" and text.startswith("#", s + 1):
                kind = "comment"
            elif c == "$":
                kind = "variable"
            elif c == "[":
                kind = "type"
            elif c == "`":
                kind = "text"
            if kind == "error" and s + 1 < n:
                out.append((s, s + 1, "error"))
                pos = s + 1
                continue
            out.append((s, n, kind))
            break
        k = tok.kind
        if k == "eof":
            break
        kind = "text"
        nstate = state
        if k == "newline" or k == ";" or k == "|" or k == "||" or k == "&&":
            nstate = "start"
            kind = "operator" if k in ("|", "||", "&&") else "punctuation"
        elif k in ("(", "{", "$(", "@("):
            nstate = "start"
            kind = "punctuation"
        elif k in (")", "}", "]", ",", "@{", "[", "::", "."):
            kind = "punctuation"
            nstate = "expr" if state != "args" else "args"
            if k == "[" and state == "expr" and prev not in ("var", ")", "]"):
                kind = "punctuation"
        elif k == "word":
            if state == "start":
                low = (tok.plain or "").lower()
                if low in STATEMENT_KEYWORDS:
                    kind = "keyword"
                    nstate = "start"
                elif text[tok.start] in "[":
                    kind = "type"
                    nstate = "expr"
                else:
                    kind = "command"
                    nstate = "args"
            else:
                kind = "text"
        elif k == "ident":
            kind = "member" if prev in (".", "::") else "text"
        elif k == "num":
            kind = "number"
            if state == "start":
                nstate = "expr"
        elif k in ("str", "dstr"):
            kind = "string"
            if state == "start":
                nstate = "expr"
        elif k in ("var", "splat"):
            kind = "variable"
            if state == "start":
                nstate = "expr"
        elif k == "param":
            kind = "parameter" if state == "args" else "operator"
        elif k in _OPERATOR_TOKENS:
            kind = "operator"
            if k == "&" and state == "start":
                nstate = "args"
            elif state == "start":
                nstate = "expr"
        elif k == "bad":
            kind = "error"
        out.append((tok.start, tok.end, kind))
        if tok.inner:
            out.extend(tok.inner)
        prev = k
        state = nstate
        pos = tok.end if tok.end > pos else pos + 1
    out.extend((s, e, "comment") for s, e in lx.comments.items())
    return out
