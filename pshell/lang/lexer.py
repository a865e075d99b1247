"""Modal lexer for pshell's PowerShell subset.

PowerShell is lexed *modally*: the parser asks for the next token either in **expression mode**
(``'E'``: ``-eq`` is an operator, ``foo`` is an identifier, ``1abc`` is a number followed by junk)
or in **command/argument mode** (``'C'``: ``-Path`` is a parameter, ``foo.txt`` / ``7z`` / ``1.2.3``
are bare words, ``-1`` is a number).  :meth:`Lexer.token` lexes one token at an offset in a mode
and caches the result, so the parser may peek freely.

Strings, bare words and variables are turned into AST nodes right here (the token's ``value``);
``$( ... )`` inside a double-quoted string or a bare word calls back into the parser through
:attr:`Lexer.hook`.

Number literals are scanned and valued in ``lex_numbers``; ``lex_display`` classifies a text for
syntax highlighting (:func:`~pshell.lang.lex_display.tokenize_for_display`).
"""

from __future__ import annotations

from . import ast as A
from .errors import ParseError, SourceLocation
from .lex_numbers import _TEXT_ARGUMENT_SUFFIXES, number_value, parse_number, scan_number

__all__ = [
    "Token", "Lexer", "STATEMENT_KEYWORDS", "BINARY_PRECEDENCE", "UNARY_DASH_OPERATORS",
    "DASH_OPERATORS",
]

# --------------------------------------------------------------------------- tables

STATEMENT_KEYWORDS = frozenset(
    "if elseif else foreach for while do until switch function filter try catch finally trap "
    "break continue return exit throw param begin process end".split())

_COMPARISON = ("eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch",
               "contains", "notcontains", "in", "notin", "replace", "split")

# Binary operator precedence, higher binds tighter.  (The comma, the unary operators, casts and
# postfix operators bind tighter than all of these and are handled by the parser directly.)
PREC_LOGICAL, PREC_COMPARISON, PREC_BITWISE, PREC_ADD, PREC_MUL, PREC_FORMAT, PREC_RANGE = range(1, 8)

BINARY_PRECEDENCE: Dict[str, int] = {}
for _b in _COMPARISON:
    for _p in ("", "c", "i"):
        BINARY_PRECEDENCE["-" + _p + _b] = PREC_COMPARISON
for _o in ("-is", "-isnot", "-as", "-join"):
    BINARY_PRECEDENCE[_o] = PREC_COMPARISON
for _o in ("-and", "-or", "-xor"):
    BINARY_PRECEDENCE[_o] = PREC_LOGICAL
for _o in ("-band", "-bor", "-bxor", "-shl", "-shr"):
    BINARY_PRECEDENCE[_o] = PREC_BITWISE
# `a ?? b` binds tighter than the comparison, logical and bitwise operators, looser than arithmetic
BINARY_PRECEDENCE["??"] = PREC_BITWISE + 0.5  # type: ignore[assignment]
BINARY_PRECEDENCE.update({"+": PREC_ADD, "-": PREC_ADD, "*": PREC_MUL, "/": PREC_MUL,
                          "%": PREC_MUL, "-f": PREC_FORMAT, "..": PREC_RANGE})

UNARY_DASH_OPERATORS = frozenset(("-not", "-bnot", "-split", "-join", "-csplit", "-isplit"))
DASH_OPERATORS = frozenset(k for k in BINARY_PRECEDENCE if k.startswith("-")) | UNARY_DASH_OPERATORS

_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t", "v": "\v"}

_NAME_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_WS_ASCII = frozenset(" \t\f\v")
# Characters that end a bare word (command mode) besides whitespace.
_WORD_END = frozenset(";,|&(){}<>\r\n")
# Characters that end a run of plain characters in a bare word (see Lexer.plain_end).
_RUN_STOP = _WORD_END | _WS_ASCII | frozenset("`$'\"\u2018\u2019\u201a\u201b\u201c\u201d\u201e")
_LONG_RUN = 64
_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.`+")

# PowerShell accepts typographic dashes and quotes (text pasted from documents) as ASCII ones.
DASHES = "-\u2013\u2014\u2015"
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
_SMART_SINGLE = SINGLE_QUOTES[1:]

def is_name_char(c: str) -> bool:
    return c in _NAME_ASCII or (c > "\x7f" and c.isalnum())


def is_ws(c: str) -> bool:
    return c in _WS_ASCII or (c > "\x7f" and c.isspace())


def is_word_end(c: str) -> bool:
    return c in _WORD_END or c in _WS_ASCII or (c > "\x7f" and c.isspace())


# --------------------------------------------------------------------------- tokens

class Token:
    """One token.  ``kind`` is the punctuation itself (``'('``, ``'|'``, ``'+='``...) or one of
    ``eof newline num str dstr var splat word param dashdash op ident redir bad``.
    ``value``: an AST node for num/str/dstr/var/splat/word, ``(name, colon)`` for param, the
    lower-cased operator for op, the name for ident, ``(kind, stream, x)`` for redir, a message
    (or None) for bad.  ``spaced``: whitespace/comments precede the token.  ``inner``: display
    records of nested tokens (variables inside strings...).  ``plain``: for a word without quotes,
    escapes or variables, its text."""

    __slots__ = ("kind", "start", "end", "value", "spaced", "inner", "plain")

    def __init__(self, kind: str, start: int, end: int, value: Any = None, spaced: bool = False,
                 inner: Optional[list] = None, plain: Optional[str] = None) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.value = value
        self.spaced = spaced
        self.inner = inner
        self.plain = plain

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Token({self.kind!r}, {self.start}, {self.end}, {self.value!r})"


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Tuple, Union
    Hook = Callable[[int], Tuple[A.Expr, int, list]]
    #: A string literal: constant, or with variables/subexpressions to expand.
    StringNode = Union[A.StringConstant, A.ExpandableString]
    #: A scanned string: its node, the offset after it, display records of what is nested in it.
    ScannedString = Tuple[StringNode, int, list]


class Lexer:
    """Lexes ``text`` on demand: :meth:`token` (offset, mode) -> :class:`Token` (cached)."""

    def __init__(self, text: str, source: str = "<stdin>") -> None:
        self.text = text
        self.n = len(text)
        self.source = source
        self.cache: Dict[int, Token] = {}
        self.str_cache: Dict[int, ScannedString] = {}
        self.comments: Dict[int, int] = {}
        self.hook: Optional[Hook] = None
        self._runs: Optional[tuple] = None          # long plain runs: (starts, ends, bisect_right)
        self.smart_quotes = any(q in text for q in _SMART_SINGLE)
        nls = []
        find = text.find
        i = find("\n")
        while i >= 0:
            nls.append(i)
            i = find("\n", i + 1)
        self._nls = nls
        if nls:                 # one line (``pshell -c``) needs no search: bisect loads a C extension
            from bisect import bisect_right
            self._line_of = bisect_right

    # ------------------------------------------------------------------ helpers

    def span(self, start: int, end: int) -> A.Span:
        if not self._nls:
            return A.Span(start, end, 1, start + 1)
        line = self._line_of(self._nls, start - 1)
        col = start - (self._nls[line - 1] + 1 if line else 0) + 1
        return A.Span(start, end, line + 1, col)

    def error(self, message: str, start: int, end: Optional[int] = None,
              incomplete: bool = False) -> ParseError:
        return ParseError(message, SourceLocation(self.source, self.text, start, end),
                          incomplete=incomplete)

    def token(self, pos: int, mode: str) -> Token:
        key = pos * 2 + (mode == "C")
        tok = self.cache.get(key)
        if tok is None:
            tok = self._lex(pos, mode)
            self.cache[key] = tok
        return tok

    def skip_trivia(self, pos: int) -> int:
        """Skip blanks, comments and backtick line continuations (not newlines)."""
        text, n = self.text, self.n
        while pos < n:
            c = text[pos]
            if c == " " or c == "\t":
                pos += 1
            elif c == "#":
                end = text.find("\n", pos)
                if end < 0:
                    end = n
                stop = end - 1 if end > pos and text[end - 1] == "\r" else end
                self.comments[pos] = stop
                pos = stop
            elif c == "<" and text.startswith("#", pos + 1):
                end = text.find("#>", pos + 2)
                if end < 0:
                    raise self.error("Missing the terminator '#>' of the block comment.",
                                     pos, pos + 2, incomplete=True)
                self.comments[pos] = end + 2
                pos = end + 2
            elif c == "`":
                if pos + 1 >= n:
                    raise self.error("Missing a line after the line-continuation character '`'.",
                                     pos, pos + 1, incomplete=True)
                nc = text[pos + 1]
                if nc == "\n":
                    end = pos + 2
                elif nc == "\r":
                    end = pos + (3 if text.startswith("\n", pos + 2) else 2)
                elif is_ws(nc):
                    pos += 2            # an escaped blank is a blank (no continuation)
                    continue
                else:
                    break
                if end >= n:
                    raise self.error("Missing a line after the line-continuation character '`'.",
                                     pos, pos + 1, incomplete=True)
                pos = end
            elif c == "\n" or c == "\r":
                break
            elif is_ws(c):
                pos += 1
            else:
                break
        return pos

    # ------------------------------------------------------------------ dispatcher

    def _lex(self, pos: int, mode: str) -> Token:
        text, n = self.text, self.n
        start = self.skip_trivia(pos)
        spaced = start != pos
        if start >= n:
            return Token("eof", n, n, None, spaced)
        c = text[start]
        nx = text[start + 1] if start + 1 < n else ""
        if c == "\n":
            return Token("newline", start, start + 1, None, spaced)
        if c == "\r":
            return Token("newline", start, start + (2 if nx == "\n" else 1), None, spaced)
        if c in "(){},;":
            return Token(c, start, start + 1, None, spaced)
        if c == "|" or c == "&":
            if nx == c:
                return Token(c + c, start, start + 2, None, spaced)
            return Token(c, start, start + 1, None, spaced)
        if c in SINGLE_QUOTES:
            quoted, end, inner = self.scan_single(start)
            return Token("str", start, end, quoted, spaced, inner)
        if c in DOUBLE_QUOTES:
            string, end, inner = self.scan_double(start)
            return Token("dstr", start, end, string, spaced, inner)
        if c == "$":
            if nx == "(":
                return Token("$(", start, start + 2, None, spaced)
            r = self.scan_variable(start)
            if r is not None:
                return Token("var", start, r[1], r[0], spaced)
        elif c == "@":
            if nx == "(" or nx == "{":
                return Token(c + nx, start, start + 2, None, spaced)
            if nx == "'" or nx == '"':
                node, end, inner = self.scan_here(start)
                return Token("str" if nx == "'" else "dstr", start, end, node, spaced, inner)
            if nx and is_name_char(nx):
                r = self.scan_variable(start, splat=True)
                if r is not None:
                    return Token("splat", start, r[1], r[0], spaced)
        elif c == ">" or (nx == ">" and c in "123456*"):
            return self.lex_redirection(start, spaced)
        elif c == "<":
            return Token("bad", start, start + 1, "The '<' operator is reserved for future use.",
                         spaced)
        if mode == "C":
            return self.lex_command_token(start, spaced)
        return self.lex_expression_token(start, spaced)

    def lex_redirection(self, start: int, spaced: bool) -> Token:
        text, n = self.text, self.n
        i = start
        if text[i] == ">":
            stream = "1"
        else:
            stream = text[i]
            i += 1
        i += 1                                      # the '>'
        if i < n and text[i] == ">":
            return Token("redir", start, i + 1, ("file", stream, True), spaced)
        if i + 1 < n and text[i] == "&" and text[i + 1].isdigit():
            return Token("redir", start, i + 2, ("merge", stream, text[i + 1]), spaced)
        return Token("redir", start, i, ("file", stream, False), spaced)

    # ------------------------------------------------------------------ expression mode

    def lex_expression_token(self, start: int, spaced: bool) -> Token:
        text, n = self.text, self.n
        c = text[start]
        nx = text[start + 1] if start + 1 < n else ""
        if c in DASHES:
            if nx in DASHES and nx:
                return Token("--", start, start + 2, None, spaced)
            if nx == "=":
                return Token("-=", start, start + 2, None, spaced)
            if nx.isalpha():
                j = start + 1
                while j < n and is_name_char(text[j]):
                    j += 1
                word = "-" + text[start + 1:j].lower()
                if word in DASH_OPERATORS:
                    return Token("op", start, j, word, spaced)
                return Token("param", start, j, (text[start + 1:j], False), spaced)
            return Token("-", start, start + 1, None, spaced)
        if c == "+":
            if nx == "+" or nx == "=":
                return Token(c + nx, start, start + 2, None, spaced)
            return Token("+", start, start + 1, None, spaced)
        if c in "*/%":
            if nx == "=":
                return Token(c + "=", start, start + 2, None, spaced)
            return Token(c, start, start + 1, None, spaced)
        if c == "!" or c == "=" or c == "[" or c == "]":
            return Token(c, start, start + 1, None, spaced)
        if c == ".":
            if nx == ".":
                return Token("..", start, start + 2, None, spaced)
            if nx.isdigit():
                return self.lex_number(start, spaced)
            return Token(".", start, start + 1, None, spaced)
        if c == ":":
            if nx == ":":
                return Token("::", start, start + 2, None, spaced)
            return Token(":", start, start + 1, None, spaced)     # the ternary's else
        if c == "?":
            if nx == "?":
                if start + 2 < n and text[start + 2] == "=":
                    return Token("??=", start, start + 3, None, spaced)
                return Token("op", start, start + 2, "??", spaced)
            return Token("?", start, start + 1, None, spaced)     # the ternary's then
        if "0" <= c <= "9":
            return self.lex_number(start, spaced)
        if c.isalpha() or c == "_":
            j = start + 1
            while j < n and is_name_char(text[j]):
                j += 1
            return Token("ident", start, j, text[start:j], spaced)
        return Token("bad", start, start + 1, None, spaced)

    def lex_number(self, start: int, spaced: bool) -> Token:
        parts = scan_number(self.text, start, self.n)
        if parts is None:                                   # pragma: no cover - defensive
            return Token("bad", start, start + 1, None, spaced)
        value = number_value(parts)
        m_end = parts[0]
        if value is None:
            # e.g. ``1.5l``: lex the number without its suffix and let the parser complain
            m_end = start + (len(parts[2]) if parts[2] is not None else 2 + len(parts[1] or ""))
            value = number_value((m_end,) + parts[1:3] + ("", ""))
        node = A.Constant(value, self.text[start:m_end], span=self.span(start, m_end))
        return Token("num", start, m_end, node, spaced)

    # ------------------------------------------------------------------ command mode

    def lex_command_token(self, start: int, spaced: bool) -> Token:
        text, n = self.text, self.n
        c = text[start]
        nx = text[start + 1] if start + 1 < n else ""
        if c in DASHES:
            if nx and nx in DASHES:
                if start + 2 >= n or is_word_end(text[start + 2]):
                    return Token("dashdash", start, start + 2, None, spaced)
            elif nx.isalpha() or nx == "_" or nx == "?":
                j = start + 1
                while j < n and (is_name_char(text[j]) or text[j] == "?"):
                    j += 1
                if j < n and text[j] == ":" and not text.startswith("::", j):
                    return Token("param", start, j + 1, (text[start + 1:j], True), spaced)
                if j >= n or is_word_end(text[j]):
                    return Token("param", start, j, (text[start + 1:j], False), spaced)
            elif nx.isdigit() or (nx == "." and start + 2 < n and text[start + 2].isdigit()):
                tok = self.try_number_word(start, spaced)
                if tok is not None:
                    return tok
        elif "0" <= c <= "9" or (c == "." and nx.isdigit()):
            tok = self.try_number_word(start, spaced)
            if tok is not None:
                return tok
        return self.scan_word(start, spaced)

    def try_number_word(self, start: int, spaced: bool) -> Optional[Token]:
        text, n = self.text, self.n
        j = self.plain_end(start)
        if j < n and not is_word_end(text[j]):
            return None                                     # a quote, `$` or backtick follows
        word = text[start:j]
        value = parse_number(word)
        if value is None or word.rstrip("kKmMgGtTpPbB").lower().endswith(_TEXT_ARGUMENT_SUFFIXES):
            return None
        return Token("num", start, j, A.Constant(value, word, span=self.span(start, j)), spaced)

    def scan_word(self, start: int, spaced: bool = False) -> Token:
        """A bare word (command mode): up to whitespace or ``; , | & ( ) { } < >``, with quoted
        segments, ``$var`` / ``$(...)`` expansions and backtick escapes inside."""
        text, n = self.text, self.n
        i = start
        parts: List[Any] = []
        buf: List[str] = []
        inner: list = []
        plain = True
        while i < n:
            c = text[i]
            if is_word_end(c):
                break
            if c == "`":
                if i + 1 >= n:
                    raise self.error("Missing a character after the escape character '`'.",
                                     i, i + 1, incomplete=True)
                if text[i + 1] in "\r\n":
                    break                                   # line continuation
                ch, i = self.escape_at(i + 1)
                buf.append(ch)
                plain = False
            elif c in SINGLE_QUOTES:
                quoted, i, _ = self.scan_single(i)
                buf.append(quoted.value)
                plain = False
            elif c in DOUBLE_QUOTES:
                string, i, sub = self.scan_double(i)
                inner.extend(sub)
                if isinstance(string, A.StringConstant):
                    buf.append(string.value)
                else:
                    for p in string.parts:
                        if isinstance(p, str):
                            buf.append(p)
                        else:
                            if buf:
                                parts.append("".join(buf))
                                buf = []
                            parts.append(p)
                plain = False
            elif c == "$" and i + 1 < n and text[i + 1] == "(" and self.hook is not None:
                if buf:
                    parts.append("".join(buf))
                    buf = []
                expansion, i, sub = self.hook(i)
                inner.extend(sub)
                parts.append(expansion)
                plain = False
            elif c == "$" and self._var_at(i):
                variable, end = self.variable_at(i)
                if buf:
                    parts.append("".join(buf))
                    buf = []
                parts.append(variable)
                inner.append((i, end, "variable"))
                i = end
                plain = False
            else:
                j = self.plain_end(i + 1)
                buf.append(text[i:j])
                i = j
        if buf:
            parts.append("".join(buf))
        word = self.string_node(parts, "bare", start, i)
        return Token("word", start, i, word, spaced, inner or None,
                     text[start:i] if plain else None)

    def plain_end(self, i: int) -> int:
        """The end of the run of plain word characters at ``i``: the first word end, quote, ``$``
        or backtick.  Runs longer than :data:`_LONG_RUN` are remembered, so the parser asking for a
        word at many places of one long run (a statement after each nesting error in ``!!!!...``)
        scans it once, not once per place."""
        text, n = self.text, self.n
        j = i
        stop = min(n, i + _LONG_RUN)
        while j < stop:
            c = text[j]
            if c in _RUN_STOP or (c > "\x7f" and c.isspace()):
                return j
            j += 1
        if j >= n:
            return j
        runs = self._runs
        if runs is None:
            from bisect import bisect_right
            runs = self._runs = ([], [], bisect_right)
        starts, ends, bisect = runs
        k = bisect(starts, i) - 1
        if k >= 0 and i < ends[k]:
            return ends[k]                                  # inside a run scanned before
        while j < n:
            c = text[j]
            if c in _RUN_STOP or (c > "\x7f" and c.isspace()):
                break
            j += 1
        starts.insert(k + 1, i)
        ends.insert(k + 1, j)
        return j

    def _var_at(self, i: int) -> bool:
        """Is there a variable reference at ``text[i] == '$'``?"""
        text, n = self.text, self.n
        if i + 1 >= n:
            return False
        c = text[i + 1]
        return c == "{" or c in "?^$" or is_name_char(c)

    # ------------------------------------------------------------------ strings & variables

    def string_node(self, parts: List[Any], kind: str, start: int, end: int) -> StringNode:
        merged: List[Any] = []
        for p in parts:
            if isinstance(p, str) and merged and isinstance(merged[-1], str):
                merged[-1] += p
            elif not (isinstance(p, str) and not p):
                merged.append(p)
        span = self.span(start, end)
        if all(isinstance(p, str) for p in merged):
            return A.StringConstant("".join(merged), kind, span=span)
        return A.ExpandableString(tuple(merged), kind, span=span)

    def escape_at(self, j: int) -> Tuple[str, int]:
        """Process the escape whose character is at ``j`` (after a backtick); return the text and
        the offset after it."""
        text = self.text
        ch = text[j]
        if ch == "u" and text.startswith("{", j + 1):
            k = text.find("}", j + 2, j + 10)
            if k > j + 2:
                digits = text[j + 2:k]
                if all(d in "0123456789abcdefABCDEF" for d in digits):
                    v = int(digits, 16)
                    if v <= 0x10FFFF:
                        return chr(v), k + 1
            return "u", j + 1
        if ch == "\r" and text.startswith("\n", j + 1):
            return "\r\n", j + 2
        return _ESCAPES.get(ch, ch), j + 1

    def scan_single(self, start: int) -> Tuple[A.StringConstant, int, list]:
        text = self.text
        i = start + 1
        buf = []
        while True:
            j = text.find("'", i)
            if self.smart_quotes:
                for q in _SMART_SINGLE:
                    k = text.find(q, i, j if j >= 0 else self.n)
                    if k >= 0:
                        j = k
            if j < 0:
                raise self.error("The string is missing the terminator: '.", start, start + 1,
                                 incomplete=True)
            buf.append(text[i:j])
            if j + 1 < self.n and text[j + 1] in SINGLE_QUOTES:
                buf.append(text[j + 1])
                i = j + 2
                continue
            end = j + 1
            return A.StringConstant("".join(buf), "single", span=self.span(start, end)), end, []

    def scan_double(self, start: int) -> ScannedString:
        r = self.str_cache.get(start)
        if r is None:
            r = self._scan_expandable(start, start + 1, False)
            self.str_cache[start] = r
        return r

    def scan_here(self, start: int) -> ScannedString:
        r = self.str_cache.get(start)
        if r is not None:
            return r
        text, n = self.text, self.n
        q = text[start + 1]
        i = start + 2
        while i < n and (text[i] == " " or text[i] == "\t"):
            i += 1
        if i >= n:
            raise self.error(f"The string is missing the terminator: {q}@.", start, start + 2,
                             incomplete=True)
        if text[i] == "\r":
            i += 2 if text.startswith("\n", i + 1) else 1
        elif text[i] == "\n":
            i += 1
        else:
            raise self.error("No characters are allowed after a here-string header but before "
                             "the end of the line.", i, i + 1)
        if q == '"':
            r = self._scan_expandable(start, i, True)
        else:
            if text.startswith("'@", i):
                content, end = "", i + 2
            else:
                k = min((at for at in (text.find("\n'@", i), text.find("\r'@", i)) if at >= 0),
                        default=-1)                 # a line ends with LF, CRLF or a lone CR
                if k < 0:
                    raise self.error("The string is missing the terminator: '@.", start,
                                     start + 2, incomplete=True)
                content = text[i:k]
                if content.endswith("\r"):
                    content = content[:-1]
                end = k + 3
            r = (A.StringConstant(content, "here_single", span=self.span(start, end)), end, [])
        self.str_cache[start] = r
        return r

    def _scan_expandable(self, start: int, i: int, here: bool) -> ScannedString:
        text, n = self.text, self.n
        parts: List[Any] = []
        buf: List[str] = []
        inner: list = []
        if here and text.startswith('"@', i):
            return self.string_node([], "here_double", start, i + 2), i + 2, inner
        while True:
            if i >= n:
                term = '"@' if here else '"'
                raise self.error(f"The string is missing the terminator: {term}.", start,
                                 start + (2 if here else 1), incomplete=True)
            c = text[i]
            if here:
                if c == "\n" and text.startswith('"@', i + 1):
                    end = i + 3
                    break
                if c == "\r" and text.startswith('\n"@', i + 1):
                    end = i + 4
                    break
                if c == "\r" and text.startswith('"@', i + 1):     # a lone CR ends the line too
                    end = i + 3
                    break
            elif c in DOUBLE_QUOTES:
                if i + 1 < n and text[i + 1] in DOUBLE_QUOTES:
                    buf.append(text[i + 1])
                    i += 2
                    continue
                end = i + 1
                break
            if c == "`":
                if i + 1 >= n:
                    i += 1                                  # reports the missing terminator
                    continue
                ch, i = self.escape_at(i + 1)
                buf.append(ch)
            elif c == "$" and text.startswith("(", i + 1) and self.hook is not None:
                if buf:
                    parts.append("".join(buf))
                    buf = []
                node, i, sub = self.hook(i)
                inner.extend(sub)
                parts.append(node)
            elif c == "$" and self._var_at(i):
                node, end = self.variable_at(i)
                if buf:
                    parts.append("".join(buf))
                    buf = []
                parts.append(node)
                inner.append((i, end, "variable"))
                i = end
            else:
                buf.append(c)
                i += 1
        if buf:
            parts.append("".join(buf))
        kind = "here_double" if here else "double"
        return self.string_node(parts, kind, start, end), end, inner

    def variable_at(self, pos: int) -> Tuple[A.Variable, int]:
        """The variable at ``pos``, where :meth:`_var_at` found one."""
        found = self.scan_variable(pos)
        assert found is not None
        return found

    def scan_variable(self, pos: int, splat: bool = False) -> Optional[Tuple[A.Variable, int]]:
        """``$name``, ``$scope:name``, ``${any name}``, ``$_ $? $^ $$`` (or ``@name`` when
        ``splat``) at ``pos``; None when there is no variable there."""
        text, n = self.text, self.n
        i = pos + 1
        if i >= n:
            return None
        if text[i] == "{" and not splat:
            j = i + 1
            buf = []
            while j < n:
                ch = text[j]
                if ch == "`" and j + 1 < n:
                    piece, j = self.escape_at(j + 1)  # `u{2195} and the C# escapes work here too
                    buf.append(piece)
                elif ch == "}":
                    break
                else:
                    buf.append(ch)
                    j += 1
            if j >= n:
                raise self.error("Missing closing '}' of the variable name '${'.", pos, pos + 2,
                                 incomplete=True)
            name = "".join(buf)
            if not name:
                raise self.error("Empty variable name '${}'.", pos, j + 1)
            scope = None
            colon = name.find(":")
            if colon > 0 and colon + 1 < len(name) and all(is_name_char(ch) for ch in name[:colon]):
                scope, name = name[:colon].lower(), name[colon + 1:]
            return A.Variable(name, scope, splat, span=self.span(pos, j + 1)), j + 1
        j = i
        while j < n and (is_name_char(text[j]) or (text[j] == "?" and j > i)):  # $a? is a name
            j += 1
        if j == i:
            if not splat and text[i] in "?^$":
                return A.Variable(text[i], None, False, span=self.span(pos, i + 1)), i + 1
            return None
        name = text[i:j]
        scope = None
        if j + 1 < n and text[j] == ":" and is_name_char(text[j + 1]):
            k = j + 1
            while k < n and (is_name_char(text[k]) or
                             (text[k] == ":" and k + 1 < n and is_name_char(text[k + 1]))):
                k += 1                                      # $Variable:a:b names 'a:b'
            scope, name = name.lower(), text[j + 1:k]
            j = k
        elif j < n and text[j] == ":" and not text.startswith("::", j) and not splat:
            raise self.error(f"Invalid variable reference '{text[pos:j + 1]}': a ':' after a variable "
                             f"name must be followed by a name (write ${{{name}}} to end the name "
                             "before the ':').", pos, j + 1)
        return A.Variable(name, scope, splat, span=self.span(pos, j)), j

    # ------------------------------------------------------------------ type names

    def scan_type_name(self, start: int) -> Tuple[str, int, int, int, bool]:
        """At ``[``: read a type name.  Returns ``(name, name_start, name_end, next, is_attribute)``;
        for a type ``next`` is after the closing ``]``, for an attribute it is at its ``(``."""
        text, n = self.text, self.n
        i = start + 1
        while i < n and is_ws(text[i]):
            i += 1
        ns = i
        i = self._type_name_end(i, 0)
        ne = i
        while i < n and is_ws(text[i]):
            i += 1
        name = text[ns:ne]
        if any(is_ws(c) for c in name):
            name = "".join(c for c in name if not is_ws(c))
        if i < n and text[i] == "(":
            return name, ns, ne, i, True
        if i < n and text[i] == "]":
            return name, ns, ne, i + 1, False
        if i >= n:
            raise self.error("Missing ']' at end of type name.", start, start + 1, incomplete=True)
        raise self.error("Missing ']' at end of type name.", i, i + 1)

    def _type_name_end(self, i: int, depth: int) -> int:
        text, n = self.text, self.n
        if depth > 40:
            raise self.error("The type name is nested too deeply.", i, i + 1)
        j = i
        while j < n and (text[j] in _TYPE_CHARS or (text[j] > "\x7f" and text[j].isalnum())):
            j += 1
        if j == i:
            if i >= n:
                raise self.error("Missing type name after '['.", i, i, incomplete=True)
            raise self.error("Missing type name after '['.", i, i + 1)
        s = j
        while s < n and is_ws(text[s]):
            s += 1
        if s > j and s < n and text[s] == "[":              # [string []]: space before the rank
            k = s + 1
            while k < n and is_ws(text[k]):
                k += 1
            if k < n and text[k] in "],":
                j = s
        while j < n and text[j] == "[":
            k = j + 1
            while k < n and is_ws(text[k]):
                k += 1
            if k < n and text[k] in "],":
                while k < n and (text[k] == "," or is_ws(text[k])):
                    k += 1
                if k >= n:
                    raise self.error("Missing ']' at end of type name.", j, j + 1, incomplete=True)
                if text[k] != "]":
                    raise self.error("Missing ']' at end of type name.", k, k + 1)
                j = k + 1
                continue
            while True:                                     # generic arguments
                while k < n and is_ws(text[k]):
                    k += 1
                if k < n and text[k] == "[":
                    k = self._type_name_end(k + 1, depth + 1)
                    while k < n and is_ws(text[k]):
                        k += 1
                    if k >= n:
                        raise self.error("Missing ']' at end of type name.", j, j + 1,
                                         incomplete=True)
                    if text[k] != "]":
                        raise self.error("Missing ']' at end of type name.", k, k + 1)
                    k += 1
                else:
                    k = self._type_name_end(k, depth + 1)
                while k < n and is_ws(text[k]):
                    k += 1
                if k >= n:
                    raise self.error("Missing ']' at end of generic type arguments.", j, j + 1,
                                     incomplete=True)
                if text[k] == ",":
                    k += 1
                    continue
                if text[k] == "]":
                    j = k + 1
                    break
                raise self.error("Missing ']' at end of generic type arguments.", k, k + 1)
        return j
