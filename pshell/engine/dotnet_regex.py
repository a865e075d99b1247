""".NET regular expressions on Python's ``re`` (the engine is standard-library only).

``translate(pattern)`` rewrites what .NET writes differently and refuses, with the construct
named, what ``re`` cannot do; ``substitution(text)`` turns a .NET replacement (``$1``, ``${name}``,
``$&``, ``$```, ``$'``, ``$+``, ``$_``, ``$$``) into a function of the match.  Imported only when a
pattern is compiled.

Rewritten: ``(?<name>..)``/``(?'name'..)`` named groups, ``\\k<name>`` back references, ``\\z``
(Python's ``\\Z``), ``\\Z`` (end or before a final newline), ``\\e``, ``\\cX``, ``\\p{L}`` and other
common Unicode categories, a ``-`` next to a class shorthand inside ``[...]`` (``[\\w-.]``: a
literal dash in .NET), inline options in mid-pattern (``a(?i)b`` -> ``a(?i:b)``), a bare ``[``
inside a class.  Refused (``RegexNotSupported``): balancing groups ``(?<a-b>..)``, character
class subtraction ``[a-z-[aeiou]]``, ``\\G``, the ``n`` (explicit capture) inline option,
conditionals ``(?(..)..|..)`` on an expression, Unicode categories without an equivalent.
"""

from __future__ import annotations

import re
import warnings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List, Tuple

# Python warns that '[a--b]' may mean a set difference some day; .NET never does, and the warning
# would reach the user's terminal
warnings.filterwarnings("ignore", message="Possible (nested set|set )", category=FutureWarning)

__all__ = ["translate", "substitution", "RegexNotSupported", "options_flags"]


class RegexNotSupported(ValueError):
    """A .NET construct Python's engine has no equivalent for."""

    def __init__(self, construct: str, position: int) -> None:
        super().__init__(f"{construct} (at offset {position}) is not supported by pshell's "
                         "regular expressions")
        self.construct = construct
        self.position = position


_CATEGORIES = {
    "L": r"^\W\d_", "Lu": None, "Ll": None, "N": r"\d", "Nd": r"\d", "P": None,
    "Z": r"\s", "Zs": r"\s", "IsBasicLatin": r"\x00-\x7f", "IsLatin-1Supplement": r"\x80-\xff",
}
_SHORTHANDS = "wWdDsS"
_FLAG_CHARS = set("imsx")


def _category(name: str, negated: bool, in_class: bool, pos: int) -> str:
    body = _CATEGORIES.get(name)
    if body is None:
        raise RegexNotSupported(f"the Unicode category \\{'P' if negated else 'p'}{{{name}}}", pos)
    if body.startswith("^"):
        if in_class:
            if negated:
                raise RegexNotSupported(f"\\P{{{name}}} inside a character class", pos)
            raise RegexNotSupported(f"\\p{{{name}}} inside a character class", pos)
        return r"[\W\d_]" if negated else f"[{body}]"
    if in_class:
        if negated:
            raise RegexNotSupported(f"\\P{{{name}}} inside a character class", pos)
        return body
    return f"[{'^' if negated else ''}{body}]"


def translate(pattern: str) -> str:
    out: List[str] = []
    i = 0
    n = len(pattern)
    # per open group: the inline options opened in it (``a(?i)b`` -> ``a(?i:b)``), closed with it
    pending: List[List[str]] = [[]]
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            piece, i = _escape(pattern, i, False)
            out.append(piece)
            continue
        if ch == "[":
            piece, i = _char_class(pattern, i)
            out.append(piece)
            continue
        if ch == "(":
            if pattern.startswith("(?", i):
                piece, i, opened = _group_start(pattern, i, out)
                out.append(piece)
                if opened is None:                  # inline options: (?i) in mid-pattern
                    pending[-1].append(piece)
                elif opened is True:
                    pending.append([])
                continue
            pending.append([])
            out.append("(")
            i += 1
            continue
        if ch == ")":
            scoped = pending.pop() if len(pending) > 1 else []
            out.append(")" * len(scoped) + ")")
            i += 1
            continue
        if ch == "|" and pending[-1]:
            # the options hold for the group's later alternatives too
            out.append(")" * len(pending[-1]) + "|" + "".join(pending[-1]))
            i += 1
            continue
        out.append(ch)
        i += 1
    out.append(")" * len(pending[0]))
    return "".join(out)


def _group_start(p: str, i: int, out: List[str]) -> Tuple[str, int, Any]:
    """At ``(?``: returns (text, next index, True for a group / None for inline options)."""
    rest = p[i + 2:]
    if rest.startswith("<") and not rest.startswith(("<=", "<!")):
        end = p.find(">", i + 3)
        if end < 0:
            return "(?<", i + 3, True
        name = p[i + 3:end]
        if "-" in name:
            raise RegexNotSupported(f"the balancing group (?<{name}>...)", i)
        if name.isdigit():
            raise RegexNotSupported(f"the numbered group (?<{name}>...)", i)
        return f"(?P<{name}>", end + 1, True
    if rest.startswith("'"):
        end = p.find("'", i + 3)
        if end < 0:
            return "(?'", i + 3, True
        name = p[i + 3:end]
        if "-" in name:
            raise RegexNotSupported(f"the balancing group (?'{name}'...)", i)
        return f"(?P<{name}>", end + 1, True
    if rest.startswith("("):
        # (?(name)yes|no) is Python's (?(name)...) too; a test that is an expression is not
        close = p.find(")", i + 3)
        cond = p[i + 3:close] if close > 0 else ""
        if cond and (cond.isdigit() or re.fullmatch(r"[A-Za-z_]\w*", cond)):
            return f"(?({cond})", close + 1, True
        raise RegexNotSupported("a conditional on an expression (?(...)...)", i)
    m = re.match(r"\(\?([imnsx]*)(?:-([imnsx]*))?([:)])", p[i:])
    if m and (m.group(1) or m.group(2) is not None):
        on, off, close_kind = m.group(1), m.group(2) or "", m.group(3)
        if "n" in on or "n" in off:
            raise RegexNotSupported("the explicit capture option (?n)", i)
        nxt = i + m.end()
        if close_kind == ":":
            return f"(?{on}{'-' + off if off else ''}:", nxt, True
        if not out and not off:
            return f"(?{on})", nxt, False       # at the very start: global, nothing to close
        return f"(?{on}{'-' + off if off else ''}:", nxt, None
    return "(?", i + 2, True


def _escape(p: str, i: int, in_class: bool) -> Tuple[str, int]:
    if i + 1 >= len(p):
        return "\\\\", i + 1        # a trailing backslash: Python's error names it
    c = p[i + 1]
    if c == "k" and i + 2 < len(p) and p[i + 2] in "<'":
        close = ">" if p[i + 2] == "<" else "'"
        end = p.find(close, i + 3)
        if end > 0:
            name = p[i + 3:end]
            return (f"\\{name}" if name.isdigit() else f"(?P={name})"), end + 1
    if c == "z":
        return ("z" if in_class else "\\Z"), i + 2
    if c == "Z":
        return ("Z" if in_class else r"(?=\n?\Z)"), i + 2
    if c == "G":
        raise RegexNotSupported("\\G (the end of the previous match)", i)
    if c == "e":
        return "\\x1b", i + 2
    if c == "c" and i + 2 < len(p) and p[i + 2].isalpha():
        return f"\\x{ord(p[i + 2].upper()) - 64:02x}", i + 3
    if c in "pP" and i + 2 < len(p) and p[i + 2] == "{":
        end = p.find("}", i + 3)
        if end > 0:
            return _category(p[i + 3:end], c == "P", in_class, i), end + 1
    return p[i:i + 2], i + 2


def _char_class(p: str, i: int) -> Tuple[str, int]:
    """``[...]`` from ``i``; returns the Python text and the index after ``]``."""
    out = ["["]
    j = i + 1
    n = len(p)
    if j < n and p[j] == "^":
        out.append("^")
        j += 1
    first = True
    prev_shorthand = False
    while j < n:
        c = p[j]
        if c == "]" and not first:
            out.append("]")
            return "".join(out), j + 1
        first = False
        if c == "\\":
            piece, j = _escape(p, j, True)
            prev_shorthand = len(piece) == 2 and piece[1] in _SHORTHANDS or piece.startswith("\\p")
            out.append(piece)
            continue
        if c == "-" and j + 1 < n and p[j + 1] == "[":
            raise RegexNotSupported("character class subtraction [...-[...]]", j)
        if c == "-" and (prev_shorthand or (j + 1 < n and p[j + 1] == "\\" and j + 2 < n
                                            and p[j + 2] in _SHORTHANDS)):
            out.append("\\-")                   # [\w-.] : a literal dash in .NET
            prev_shorthand = False
            j += 1
            continue
        if c == "[" or (c in "&~|" and j + 1 < n and p[j + 1] == c):
            out.append("\\" + c)                # no nested-set syntax in .NET
            prev_shorthand = False
            j += 1
            continue
        prev_shorthand = False
        out.append(c)
        j += 1
    return "".join(out), j                      # unterminated: Python's error says so


# --------------------------------------------------------------------------- replacements

def substitution(text: str) -> Callable[[Any], str]:
    """A .NET replacement pattern as a function of a match."""
    parts: List[Any] = []          # str, or (kind, value)
    i = 0
    n = len(text)
    literal: List[str] = []
    while i < n:
        ch = text[i]
        if ch != "$" or i + 1 >= n:
            literal.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        token: Any = None
        if nxt == "$":
            literal.append("$")
            i += 2
            continue
        if nxt.isdigit():
            j = i + 1
            while j < n and text[j].isdigit():
                j += 1
            token, i = ("num", text[i + 1:j]), j
        elif nxt == "{":
            end = text.find("}", i + 2)
            if end > 0:
                token, i = ("name", text[i + 2:end]), end + 1
        elif nxt in "&`'+_":
            token, i = ("special", nxt), i + 2
        if token is None:
            literal.append("$")
            i += 1
            continue
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(token)
    if literal:
        parts.append("".join(literal))

    def expand(m: Any) -> str:
        out: List[str] = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(_group_text(m, part))
        return "".join(out)
    return expand


def _group_text(m: Any, token: Tuple[str, str]) -> str:
    kind, value = token
    if kind == "special":
        if value == "&":
            return m.group(0)
        if value == "`":
            return m.string[:m.start()]
        if value == "'":
            return m.string[m.end():]
        if value == "_":
            return m.string
        for index in range(m.re.groups, 0, -1):        # $+ : the last group that took part
            if m.group(index) is not None:
                return m.group(index)
        return ""
    if kind == "num":
        digits = value
        # .NET reads as many digits as make a group number that exists
        while digits:
            number = int(digits)
            if number <= m.re.groups:
                return (m.group(number) or "") + value[len(digits):]
            digits = digits[:-1]
        return "$" + value
    if value.isdigit():
        number = int(value)
        return (m.group(number) or "") if number <= m.re.groups else "${" + value + "}"
    if value in m.re.groupindex:
        return m.group(value) or ""
    return "${" + value + "}"


# --------------------------------------------------------------------------- options

_OPTION_FLAGS = {"none": 0, "ignorecase": re.IGNORECASE, "multiline": re.MULTILINE,
                 "singleline": re.DOTALL, "ignorepatternwhitespace": re.VERBOSE,
                 "cultureinvariant": 0, "compiled": 0, "ecmascript": re.ASCII,
                 "explicitcapture": None, "righttoleft": None, "nonbacktracking": 0}
_OPTION_BITS = {1: "ignorecase", 2: "multiline", 4: "explicitcapture", 8: "compiled",
                16: "singleline", 32: "ignorepatternwhitespace", 64: "righttoleft",
                256: "ecmascript", 512: "cultureinvariant", 1024: "nonbacktracking"}


def options_flags(value: Any) -> int:
    """``[RegexOptions]`` as names (``'IgnoreCase, Multiline'``, an array) or its number."""
    names: List[str] = []
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a RegexOptions value")
    if isinstance(value, int):
        names = [name for bit, name in _OPTION_BITS.items() if value & bit]
    else:
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if isinstance(item, int) and not isinstance(item, bool):
                names.extend(name for bit, name in _OPTION_BITS.items() if item & bit)
            else:
                names.extend(part.strip().lower() for part in str(item).split(",") if part.strip())
    flags = 0
    for name in names:
        if name not in _OPTION_FLAGS:
            raise ValueError(f"'{name}' is not a RegexOptions value; use one of: None, IgnoreCase, "
                             "Multiline, Singleline, IgnorePatternWhitespace, CultureInvariant")
        flag = _OPTION_FLAGS[name]
        if flag is None:
            raise ValueError(f"the RegexOptions value '{name}' is not supported by pshell")
        flags |= flag
    return flags


# --------------------------------------------------------------------------- [regex] objects

class Group:
    """A group of a match (``$m.Groups[1]``, ``$m.Groups['name']``)."""

    ps_type_names: Tuple[str, ...] = ("System.Text.RegularExpressions.Group",)
    ps_properties: Tuple[str, ...] = ("Success", "Name", "Index", "Length", "Value")

    def __init__(self, m: Any, key: Any, name: str) -> None:
        value = m.group(key)
        self.Success = value is not None
        self.Name = name
        self.Value = value or ""
        self.Index = m.start(key) if value is not None else 0
        self.Length = len(self.Value)

    def ToString(self) -> str:
        return self.Value


class GroupCollection(list):
    """The groups of a match, indexed by number or by name."""

    def __init__(self, groups: List[Any]) -> None:
        super().__init__(groups)
        self.by_name = {g.Name.lower(): g for g in groups}

    def named(self, name: str) -> Any:
        return self.by_name.get(name.lower())

    @property
    def Keys(self) -> List[str]:
        return [g.Name for g in self]


class Match(Group):
    """What ``[regex]::Match`` gives."""

    ps_type_names = ("System.Text.RegularExpressions.Match",)
    ps_properties = ("Groups", "Success", "Name", "Captures", "Index", "Length", "Value")

    def __init__(self, m: Any, regex: Any = None) -> None:
        super().__init__(m, 0, "0")
        self._m = m
        self._regex = regex
        names = {index: name for name, index in m.re.groupindex.items()}
        self.Groups = GroupCollection([Group(m, i, names.get(i, str(i)))
                                       for i in range(m.re.groups + 1)])
        self.Captures = [self]

    def NextMatch(self) -> "Match":
        m = self._m
        start = m.end() if m.end() > m.start() else m.end() + 1
        found = m.re.search(m.string, start) if start <= len(m.string) else None
        return Match(found, self._regex) if found is not None else no_match()

    def Result(self, replacement: str) -> str:
        return substitution(replacement)(self._m)


class _NoMatch:
    ps_type_names = ("System.Text.RegularExpressions.Match",)
    ps_properties = ("Groups", "Success", "Name", "Captures", "Index", "Length", "Value")
    Success = False
    Value = ""
    Index = 0
    Length = 0
    Name = "0"

    def __init__(self) -> None:
        self.Groups = GroupCollection([])
        self.Captures: List[Any] = []

    def ToString(self) -> str:
        return ""

    def NextMatch(self) -> "_NoMatch":
        return self


def no_match() -> Any:
    return _NoMatch()


def match_object(m: Any) -> Any:
    return Match(m) if m is not None else no_match()


class Regex:
    """A ``[regex]`` value: case-sensitive unless created with IgnoreCase, as in .NET."""

    ps_type_names = ("System.Text.RegularExpressions.Regex",)
    ps_properties = ("Options", "RightToLeft", "MatchTimeout")

    def __init__(self, pattern: str, compiled: Any) -> None:
        self.pattern = pattern
        self.compiled = compiled
        self.RightToLeft = False
        self.MatchTimeout = "-00:00:00.0010000"

    @property
    def Options(self) -> str:
        names = [name for flag, name in ((re.IGNORECASE, "IgnoreCase"), (re.MULTILINE, "Multiline"),
                                         (re.DOTALL, "Singleline"),
                                         (re.VERBOSE, "IgnorePatternWhitespace"))
                 if self.compiled.flags & flag]
        return ", ".join(names) or "None"

    def ToString(self) -> str:
        return self.pattern

    def __str__(self) -> str:
        return self.pattern

    def IsMatch(self, text: Any, start: int = 0) -> bool:
        return self.compiled.search(_s(text), int(start)) is not None

    def Match(self, text: Any, start: int = 0) -> Any:
        return match_object(self.compiled.search(_s(text), int(start)))

    def Matches(self, text: Any, start: int = 0) -> List[Any]:
        return [Match(m) for m in self.compiled.finditer(_s(text), int(start))]

    def Replace(self, text: Any, replacement: Any, count: int = -1) -> str:
        fn = getattr(replacement, "invoke_with_match", None)
        if callable(fn):
            repl: Any = lambda m: _s(fn(m))
        else:
            repl = substitution(_s(replacement))
        return self.compiled.sub(repl, _s(text), count=0 if int(count) < 0 else int(count))

    def Split(self, text: Any, count: int = 0) -> List[str]:
        parts = self.compiled.split(_s(text), maxsplit=max(0, int(count) - 1))
        return ["" if p is None else p for p in parts]

    def GetGroupNames(self) -> List[str]:
        names = {index: name for name, index in self.compiled.groupindex.items()}
        return [names.get(i, str(i)) for i in range(self.compiled.groups + 1)]

    def GetGroupNumbers(self) -> List[int]:
        return list(range(self.compiled.groups + 1))


def _s(value: Any) -> str:
    from pshell.engine.values import to_str
    return to_str(value)
