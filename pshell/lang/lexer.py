"""Modal lexer for pshell's PowerShell subset.

PowerShell is lexed *modally*: the parser asks for the next token either in **expression mode**
(``'E'``: ``-eq`` is an operator, ``foo`` is an identifier, ``1abc`` is a number followed by junk)
or in **command/argument mode** (``'C'``: ``-Path`` is a parameter, ``foo.txt`` / ``7z`` / ``1.2.3``
are bare words, ``-1`` is a number).  :meth:`Lexer.token` lexes one token at an offset in a mode
and caches the result, so the parser may peek freely.

Strings, bare words and variables are turned into AST nodes right here (the token's ``value``);
``$( ... )`` inside a double-quoted string or a bare word calls back into the parser through
:attr:`Lexer.hook`.

:func:`tokenize_for_display` classifies a text for syntax highlighting; it is driven by the parser
(which records the tokens it consumes, classified as it sees them) with a tolerant scanner for
whatever the parser did not reach.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import ast as A
from .errors import ParseError, SourceLocation

__all__ = [
    "Token", "Lexer", "tokenize_for_display", "STATEMENT_KEYWORDS", "BINARY_PRECEDENCE",
    "UNARY_DASH_OPERATORS", "DASH_OPERATORS", "parse_number",
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
_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.`+")

# PowerShell accepts typographic dashes and quotes (text pasted from documents) as ASCII ones.
DASHES = "-\u2013\u2014\u2015"
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
_SMART_SINGLE = SINGLE_QUOTES[1:]

_DIGITS = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_MULTIPLIERS = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4, "p": 1024 ** 5}


def is_name_char(c: str) -> bool:
    return c in _NAME_ASCII or (c > "\x7f" and c.isalnum())


def is_ws(c: str) -> bool:
    return c in _WS_ASCII or (c > "\x7f" and c.isspace())


def is_word_end(c: str) -> bool:
    return c in _WORD_END or c in _WS_ASCII or (c > "\x7f" and c.isspace())


NumberParts = Tuple[int, Optional[str], Optional[str], str, str]


def scan_number(text: str, i: int, n: int) -> Optional[NumberParts]:
    """The longest number literal at ``text[i:n]``: ``(end, hex_digits, decimal_text, type_suffix,
    multiplier)`` or None.  Grammar: ``0x`` hex digits | digits [``.`` digits] | ``.`` digits, with
    an optional exponent (decimal only), then an optional type suffix ``l``/``d`` and an optional
    multiplier ``kb mb gb tb pb`` (case-insensitive)."""
    hexd = dec = None
    k = i
    if text.startswith(("0b", "0B"), i):
        k = i + 2
        while k < n and text[k] in "01":
            k += 1
        if k > i + 2:
            hexd = format(int(text[i + 2:k], 2), "x")      # kept as hex digits from here on
        else:
            k = i
    elif text.startswith(("0x", "0X"), i):
        k = i + 2
        while k < n and text[k] in _HEX_DIGITS:
            k += 1
        if k > i + 2:
            hexd = text[i + 2:k]
        else:
            k = i
    if hexd is None:
        while k < n and text[k] in _DIGITS:
            k += 1
        if k + 1 < n and text[k] == "." and text[k + 1] in _DIGITS:
            k += 2
            while k < n and text[k] in _DIGITS:
                k += 1
        elif k > i and k < n and text[k] == "." and (k + 1 == n or text[k + 1] in " \t\r\n;,)}]"):
            k += 1                                          # 20. is a double
        if k == i:
            return None
        if k < n and text[k] in "eE":
            m = k + 1
            if m < n and text[m] in "+-":
                m += 1
            if m < n and text[m] in _DIGITS:
                while m < n and text[m] in _DIGITS:
                    m += 1
                k = m
        dec = text[i:k]
    suffix = mult = ""
    for candidate in _TYPE_SUFFIXES:
        if text[k:k + len(candidate)].lower() == candidate:
            suffix = candidate
            k += len(candidate)
            break
    if k + 1 < n and text[k] in "kKmMgGtTpP" and text[k + 1] in "bB":
        mult = text[k].lower()
        k += 2
    return k, hexd, dec, suffix, mult


# Type suffixes of number literals, longest first: long, unsigned long, unsigned (int), unsigned
# short, unsigned byte, short, signed byte, decimal, BigInteger.  The value range each allows.
_TYPE_SUFFIXES = ("ul", "us", "uy", "l", "u", "s", "y", "d", "n")
_SUFFIX_RANGES = {"l": (-2**63, 2**63 - 1), "ul": (0, 2**64 - 1), "u": (0, 2**64 - 1),
                  "us": (0, 2**16 - 1), "uy": (0, 255), "s": (-2**15, 2**15 - 1), "y": (-128, 127)}


# A command argument spelled with one of these suffixes stays its text (a [string] parameter gets
# "34uy" back, as in pwsh) until pshell's binder can keep a literal's spelling beside its value.
_TEXT_ARGUMENT_SUFFIXES = ("u", "ul", "us", "uy", "s", "y", "n")


def number_value(parts: NumberParts) -> Any:
    """The value of a :func:`scan_number` result, or None when the suffixes make no sense."""
    _, hexd, dec, suffix, mult = parts
    value: Any
    if hexd is not None:
        if suffix == "d":
            return None
        value = int(hexd, 16)
        if suffix in ("l", "y", "s") and value >= _SUFFIX_RANGES[suffix][1] + 1:
            value -= 2 * (_SUFFIX_RANGES[suffix][1] + 1)     # 0xFFl is 255, 0xFFy is -1
        elif suffix == "" and 2**31 <= value < 2**32:
            value -= 2**32                                   # 0xFFFFFFFF is -1 (an Int32)
    else:
        assert dec is not None
        real = "." in dec or "e" in dec or "E" in dec
        if suffix == "d":
            import decimal
            try:
                value = decimal.Decimal(dec)
            except Exception:                                   # pragma: no cover - defensive
                return None
        elif real:
            if suffix:
                exact = float(dec)
                if suffix == "d" or exact != int(exact):
                    return None
                value = int(exact)                           # 1.0l, 1e3u: whole numbers
            else:
                value = float(dec)
        else:
            try:
                value = int(dec)
            except ValueError:          # more digits than int() accepts from a string
                value = float(dec)
    if mult:
        value = value * _MULTIPLIERS[mult]
    bounds = _SUFFIX_RANGES.get(suffix)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        return None
    return value


# The .NET type a suffix names (the engine's kind names); "u" is UInt32, or UInt64 past its range.
_SUFFIX_TYPES = {"l": "long", "ul": "uint64", "us": "uint16", "uy": "byte", "s": "int16", "y": "sbyte",
                 "d": "decimal", "n": "bigint"}


def literal_type(text: str) -> str:
    """The type the suffix of the number literal ``text`` names (``10l``: ``long``), or '' when it
    has none (its value decides: Int32, Int64, Double)."""
    start = 1 if text[:1] in ("-", "\u2013", "\u2014", "\u2015") else 0
    parts = scan_number(text, start, len(text))
    if parts is None or not parts[3]:
        return ""
    if parts[3] == "u":
        value = number_value(parts)
        return "uint32" if value is not None and value < 2**32 else "uint64"
    return _SUFFIX_TYPES[parts[3]]


def parse_number(word: str) -> Any:
    """The value of ``word`` if the whole word is a PowerShell number literal, else None."""
    neg = word[:1] in ("-", "\u2013", "\u2014", "\u2015")
    parts = scan_number(word, 1 if neg else 0, len(word))
    if parts is None or parts[0] != len(word):
        return None
    v = number_value(parts)
    if v is None:
        return None
    return -v if neg else v


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
        self.smart_quotes = any(q in text for q in _SMART_SINGLE)
        nls = []
        find = text.find
        i = find("\n")
        while i >= 0:
            nls.append(i)
            i = find("\n", i + 1)
        self._nls = nls

    # ------------------------------------------------------------------ helpers

    def span(self, start: int, end: int) -> A.Span:
        line = bisect_right(self._nls, start - 1)
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
        j = start
        while j < n:
            ch = text[j]
            if is_word_end(ch):
                break
            if ch in "'\"$`" or ch in SINGLE_QUOTES or ch in DOUBLE_QUOTES:
                return None
            j += 1
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
                buf.append(c)
                i += 1
        if buf:
            parts.append("".join(buf))
        word = self.string_node(parts, "bare", start, i)
        return Token("word", start, i, word, spaced, inner or None,
                     text[start:i] if plain else None)

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


# --------------------------------------------------------------------------- display

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
