"""A JSON reader of our own, for ConvertFrom-Json and Test-Json (standard library only).

Python's ``json`` module is strict and has no knobs; the cmdlets need three dialects:

* ``strict``: RFC 8259 (Test-Json's default);
* ``strict`` plus ``comments`` (``//`` and ``/* */``) and/or ``trailing_commas`` (Test-Json -Options);
* ``lenient`` (ConvertFrom-Json, as pwsh's reader accepts it): comments, trailing commas, property
  names without quotes, strings in single quotes, ``NaN``/``Infinity``.

The reader is a loop over an explicit stack, not recursion, so a document nested 10,000 deep is an
error about its depth (when a limit is given) or a value, never a ``RecursionError``.

Objects are handed to ``make_object(pairs, path)`` with their key/value pairs in document order
(duplicates kept), arrays come back as Python lists, numbers as ``int`` (any size) or ``float``.
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List, Optional, Tuple

__all__ = ["JsonSyntaxError", "read_json"]


class JsonSyntaxError(ValueError):
    """Bad JSON text: ``reason`` says what, ``line``/``column`` (1-based) and ``path`` say where."""

    def __init__(self, reason: str, line: int, column: int, path: str) -> None:
        super().__init__(f"{reason} (line {line}, position {column}, path '{path}')")
        self.reason = reason
        self.line = line
        self.column = column
        self.path = path


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_WS = " \t\r\n"
_IDENT_END = set(" \t\r\n:,{}[]/'\"")


class _Reader:
    def __init__(self, text: str, lenient: bool, comments: bool, trailing_commas: bool,
                 max_depth: Optional[int]) -> None:
        self.text = text
        self.pos = 0
        self.lenient = lenient
        self.comments = comments or lenient
        self.trailing = trailing_commas or lenient
        self.max_depth = max_depth
        self.path: List[Any] = []

    # ---- errors ---------------------------------------------------------------------
    def fail(self, reason: str, at: Optional[int] = None) -> JsonSyntaxError:
        at = self.pos if at is None else at
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        return JsonSyntaxError(reason, line, column, self.path_text())

    def path_text(self) -> str:
        out = ""
        for part in self.path:
            if isinstance(part, int):
                out += f"[{part}]"
            else:
                out += ("." if out else "") + str(part)
        return out

    # ---- blanks -----------------------------------------------------------------------
    def skip(self) -> None:
        text = self.text
        n = len(text)
        while self.pos < n:
            ch = text[self.pos]
            if ch in _WS or (self.lenient and ch in "\ufeff\u00a0"):
                self.pos += 1
            elif ch == "/" and self.comments and self.pos + 1 < n and text[self.pos + 1] in "/*":
                if text[self.pos + 1] == "/":
                    end = text.find("\n", self.pos)
                    self.pos = n if end < 0 else end + 1
                else:
                    end = text.find("*/", self.pos + 2)
                    if end < 0:
                        raise self.fail("a /* comment is not closed")
                    self.pos = end + 2
            else:
                return

    # ---- scalars ---------------------------------------------------------------------
    def string(self) -> str:
        text = self.text
        quote = text[self.pos]
        start = self.pos
        self.pos += 1
        out: List[str] = []
        run = self.pos
        n = len(text)
        while True:
            if self.pos >= n:
                raise self.fail("a string is not closed", start)
            ch = text[self.pos]
            if ch == quote:
                out.append(text[run:self.pos])
                self.pos += 1
                return "".join(out)
            if ch == "\\":
                out.append(text[run:self.pos])
                self.pos += 1
                if self.pos >= n:
                    raise self.fail("a string is not closed", start)
                esc = text[self.pos]
                if esc == "u":
                    digits = text[self.pos + 1:self.pos + 5]
                    if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                        raise self.fail("\\u must be followed by four hexadecimal digits")
                    out.append(chr(int(digits, 16)))
                    self.pos += 5
                elif esc in _ESCAPES or (self.lenient and esc == "'"):
                    out.append(_ESCAPES.get(esc, esc))
                    self.pos += 1
                else:
                    raise self.fail(f"'\\{esc}' is not a valid escape in a string")
                run = self.pos
                continue
            if ch < " " and not self.lenient:
                raise self.fail("a control character must be escaped inside a string")
            self.pos += 1

    def word(self) -> str:
        start = self.pos
        text = self.text
        while self.pos < len(text) and text[self.pos] not in _IDENT_END:
            self.pos += 1
        return text[start:self.pos]

    def number_or_word(self) -> Any:
        start = self.pos
        word = self.word()
        if word in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[word]
        if self.lenient and word in ("NaN", "Infinity", "-Infinity"):
            return float(word.replace("Infinity", "inf"))
        number = _number(word)
        if number is None:
            if not word:
                raise self.fail(f"unexpected character '{self.text[start]}'", start)
            raise self.fail(f"'{word}' is not a JSON value", start)
        return number

    def key(self) -> str:
        ch = self.text[self.pos] if self.pos < len(self.text) else ""
        if ch == '"' or (ch == "'" and self.lenient):
            return self.string()
        if self.lenient and ch and ch not in _IDENT_END:
            return self.word()
        if not ch:
            raise self.fail("the text ends where a property name was expected")
        raise self.fail("a property name in double quotes was expected")

    # ---- the document ----------------------------------------------------------------
    def document(self, make_object: Callable[[List[Tuple[str, Any]], str], Any],
                 make_array: Callable[[List[Any]], Any]) -> Any:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("the text holds no JSON value")
        # each frame: [kind, container, pending key]
        stack: List[List[Any]] = []
        value: Any = None
        while True:
            self.skip()
            if self.pos >= len(self.text):
                raise self.fail("the text ends inside an object or array" if stack
                                else "the text holds no JSON value")
            ch = self.text[self.pos]
            if ch == "{" or ch == "[":
                if self.max_depth is not None and len(stack) >= self.max_depth:
                    raise self.fail(f"the document is nested deeper than the maximum depth of "
                                    f"{self.max_depth}")
                self.pos += 1
                self.skip()
                closing = "}" if ch == "{" else "]"
                if self.pos < len(self.text) and self.text[self.pos] == closing:
                    self.pos += 1
                    value = make_object([], self.path_text()) if ch == "{" else make_array([])
                else:
                    frame: List[Any] = ["o" if ch == "{" else "a", [], None]
                    stack.append(frame)
                    if ch == "{":
                        frame[2] = self.key()
                        self.colon()
                        self.path.append(frame[2])
                    else:
                        self.path.append(0)
                    continue
            elif ch == '"' or (ch == "'" and self.lenient):
                value = self.string()
            else:
                value = self.number_or_word()
            # a value is complete: hand it to the enclosing container(s)
            while True:
                if not stack:
                    self.skip()
                    if self.pos < len(self.text):
                        raise self.fail("more text follows the JSON value")
                    return value
                frame = stack[-1]
                if frame[0] == "o":
                    frame[1].append((frame[2], value))
                else:
                    frame[1].append(value)
                self.skip()
                if self.pos >= len(self.text):
                    raise self.fail("the text ends inside an object or array")
                ch = self.text[self.pos]
                closing = "}" if frame[0] == "o" else "]"
                if ch == ",":
                    self.pos += 1
                    self.skip()
                    if self.trailing and self.pos < len(self.text) and self.text[self.pos] == closing:
                        ch = closing
                    else:
                        self.path.pop()
                        if frame[0] == "o":
                            frame[2] = self.key()
                            self.colon()
                            self.path.append(frame[2])
                        else:
                            self.path.append(len(frame[1]))
                        break
                if ch == closing:
                    self.pos += 1
                    self.path.pop()
                    stack.pop()
                    value = (make_object(frame[1], self.path_text()) if frame[0] == "o"
                             else make_array(frame[1]))
                    continue
                expected = "',' or '}'" if frame[0] == "o" else "',' or ']'"
                raise self.fail(f"{expected} was expected after a value")

    def colon(self) -> None:
        self.skip()
        if self.pos >= len(self.text) or self.text[self.pos] != ":":
            raise self.fail("':' was expected after a property name")
        self.pos += 1


def _number(word: str) -> Any:
    """A JSON number's value (Int64 for an integer literal, a double otherwise), None if ``word``
    is not one."""
    import re
    if not re.fullmatch(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", word):
        return None
    if any(c in word for c in ".eE"):
        return float(word)
    from pshell.engine.numbers import PSBigInteger, PSInt64
    number = int(word)                  # an integer is an Int64, as ConvertFrom-Json gives it
    return PSInt64(number) if -2**63 <= number < 2**63 else PSBigInteger(number)


def _pairs_as_dict(pairs: List[Tuple[str, Any]], path: str) -> Any:
    return dict(pairs)


def read_json(text: str, *, lenient: bool = False, comments: bool = False,
              trailing_commas: bool = False, max_depth: Optional[int] = None,
              make_object: Callable[[List[Tuple[str, Any]], str], Any] = _pairs_as_dict,
              make_array: Callable[[List[Any]], Any] = list) -> Any:
    """Parse one JSON document; raise JsonSyntaxError on bad text."""
    return _Reader(text, lenient, comments, trailing_commas, max_depth).document(make_object,
                                                                               make_array)


# =========================================================================== PowerShell objects

_DATE_PATTERN = (r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?"
                 r"(Z|[+-]\d{2}:\d{2})?$")


def json_date(text: str, kind: str = "Default") -> Any:
    """A string in ISO 8601 form as a datetime (as pwsh's reader takes dates), else the string.
    ``kind``: Default and Local give local time (a date without a zone stays as written), Utc gives
    an aware UTC datetime, Offset keeps the written offset, String keeps the text."""
    import datetime as _dt
    import re

    from pshell.engine.dotnet_time import from_datetime
    if kind.lower() == "string":
        return text
    m = re.match(_DATE_PATTERN, text)
    if m is None:
        return text
    year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    ticks = int((m.group(7) or "0").ljust(7, "0"))
    try:        # 100 ns ticks rounded to the microsecond, as AddTicks rounds them
        value = _dt.datetime(year, month, day, hour, minute, second) + _dt.timedelta(
            microseconds=ticks / 10)
    except (ValueError, OverflowError):
        return text
    zone = m.group(8)
    kind = kind.lower()
    if zone:
        if zone == "Z":
            offset = _dt.timedelta(0)
        else:
            sign = 1 if zone[0] == "+" else -1
            offset = sign * _dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        aware = value.replace(tzinfo=_dt.timezone(offset))
        if kind == "offset":
            return from_datetime(aware)
        if kind == "utc" or (zone == "Z" and kind == "default"):
            return aware.astimezone(_dt.timezone.utc)
        return aware.astimezone().replace(tzinfo=None)
    if kind == "utc":
        return value.astimezone(_dt.timezone.utc)
    if kind == "offset":
        return from_datetime(value)
    return value


@functools.lru_cache(maxsize=None)
def _case_sensitive_hashtable() -> Any:
    """pwsh's -AsHashtable table compares keys by case, so ``{"a":1,"A":2}`` keeps both."""
    from pshell.engine.values import Hashtable

    class CaseSensitiveHashtable(Hashtable):
        __slots__ = ()

        @staticmethod
        def _fold(key: Any) -> Any:
            return key

    return CaseSensitiveHashtable


class JsonShapeError(ValueError):
    """Valid JSON that has no PSCustomObject form (an empty or case-clashing key): ``error_id``
    is the FullyQualifiedErrorId pwsh gives it."""

    def __init__(self, message: str, error_id: str) -> None:
        super().__init__(message)
        self.error_id = error_id


def json_to_objects(text: str, as_hashtable: bool = False, max_depth: Optional[int] = 1024,
                    date_kind: str = "Default") -> Any:
    """ConvertFrom-Json's value of one document: objects as PSCustomObjects (ordered hashtables
    with ``as_hashtable``), arrays as lists, ISO dates as datetimes."""
    from pshell.engine.values import PSObject

    def leaf(value: Any) -> Any:
        if isinstance(value, str) and "T" in value[:11]:
            return json_date(value, date_kind)
        return value

    def array(items: List[Any]) -> Any:
        return [leaf(v) for v in items]

    def make(pairs: List[Tuple[str, Any]], path: str) -> Any:
        if as_hashtable:
            table = _case_sensitive_hashtable()()
            for key, value in pairs:
                table[key] = leaf(value)
            return table
        obj = PSObject()
        for key, value in pairs:
            if key == "":
                raise JsonShapeError("The JSON has a property whose name is empty; only -AsHashtable "
                                     "can hold it.", "EmptyKeyInJsonString")
            if obj.has(key):
                existing = next(n for n in obj.names() if n.lower() == key.lower())
                if existing != key:
                    raise JsonShapeError(
                        f"The JSON has keys with different casing ('{existing}' and '{key}'); "
                        f"use -AsHashtable to keep both.", "KeysWithDifferentCasingInJsonString")
            obj.set(key, leaf(value))
        return obj

    return leaf(read_json(text, lenient=True, max_depth=max_depth, make_object=make,
                          make_array=array))


def convert_from_json_api(args: List[Any]) -> Any:
    """``[Microsoft.PowerShell.Commands.JsonObject]::ConvertFromJson(text, [hashtable?], [depth?],
    [ref]$error)``: the value of ConvertFrom-Json.  Bad JSON throws an ArgumentException; JSON with
    no PSCustomObject form is no throw but an ErrorRecord set into the last (out) argument."""
    from pshell.engine.errors import ErrorRecord, RuntimeException
    from pshell.engine.reference import PSReference
    from pshell.engine.values import to_bool
    if not args or not isinstance(args[-1], PSReference):
        raise ValueError("ConvertFromJson needs [ref] for its last argument (the error record)")
    out, rest = args[-1], args[:-1]
    text = "" if not rest or rest[0] is None else str(rest[0])
    as_hashtable = to_bool(rest[1]) if len(rest) > 1 else False
    depth = int(rest[2]) if len(rest) > 2 else 1024
    out.Value = None
    if not text.strip():
        return None
    try:
        return json_to_objects(text, as_hashtable, depth)
    except JsonSyntaxError as exc:
        raise RuntimeException.make(f"Conversion from JSON failed with error: {exc}", "ArgumentException",
                                    "InvalidArgument", exception_type="System.ArgumentException") from None
    except JsonShapeError as exc:
        out.Value = ErrorRecord(str(exc), exc.error_id, "InvalidOperation", text)
        return None
