"""``#requires`` comments: read when a script is parsed (a malformed one is a parse error), kept on
the script's root node as plain data for the engine to check before the first statement runs.

``#requires -Version N[.n]``, ``-PSEdition Core|Desktop``, ``-Modules a, 'b', @{ModuleName=..}``,
``-RunAsAdministrator``; ``-ShellId``, ``-PSSnapin`` and ``-Assembly`` are read and ignored.
"""

from __future__ import annotations


from .errors import ParseError, SourceLocation

__all__ = ["LANGUAGE_VERSION", "read_requires"]

#: the PowerShell language version pshell speaks (what ``#requires -Version`` is checked against)
LANGUAGE_VERSION = (7, 7)

_VERSION = r"^\d+(\.\d+){0,3}$"
_PARAMS = ("version", "psedition", "modules", "runasadministrator", "shellid", "pssnapin", "assembly")

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Tuple
    # (version text or None, editions, module specifications as text, run as administrator)
    Requirements = Tuple[Optional[str], Tuple[str, ...], Tuple[str, ...], bool]


def read_requires(text: str, comments: Dict[int, int], source: str) -> Optional[Requirements]:
    """The requirements of the ``#requires`` line comments of ``text`` (offsets of comments from
    the lexer, so a ``#requires`` inside a string is not one); None when there are none."""
    if "#requires" not in text.lower():
        return None
    version: Optional[str] = None
    editions: List[str] = []
    modules: List[str] = []
    admin = False
    import re
    found = False
    for start, stop in sorted(comments.items()):
        comment = text[start:stop]
        if not comment[:9].lower() == "#requires":
            continue
        found = True
        for name, values, at in _parameters(comment, start, text, source):
            if name == "version":
                if len(values) != 1 or not re.match(_VERSION, values[0]):
                    raise _fail(f"'{','.join(values)}' is not a version for #requires -Version "
                                f"(write it as 7 or 7.2).", "RequiresVersionInvalid", at, stop, text, source)
                version = values[0]
            elif name == "psedition":
                for value in values:
                    if value.lower() not in ("core", "desktop"):
                        raise _fail(f"'{value}' is not a PowerShell edition (Core or Desktop).",
                                    "RequiresPSEditionInvalid", at, stop, text, source)
                    editions.append(value)
            elif name == "modules":
                modules.extend(values)
            elif name == "runasadministrator":
                admin = True
    if not found:
        return None
    return version, tuple(editions), tuple(modules), admin


def _fail(message: str, error_id: str, start: int, stop: int, text: str, source: str) -> ParseError:
    return ParseError(message, SourceLocation(source, text, start, stop), error_id=error_id)


def _parameters(comment: str, offset: int, text: str, source: str) -> List[Tuple[str, List[str], int]]:
    """``(parameter, values, offset)`` of one ``#requires`` comment."""
    import re
    rest = comment[9:]
    pos = 0
    out: List[Tuple[str, List[str], int]] = []
    stop = offset + len(comment)
    if rest and not rest[0].isspace():
        raise _fail(f"'{comment}' is not a #requires statement: '#requires' must be followed by a "
                    f"space and parameters such as -Version or -Modules.", "ScriptRequiresInvalidFormat",
                    offset, stop, text, source)
    while True:
        while pos < len(rest) and rest[pos].isspace():
            pos += 1
        if pos >= len(rest):
            return out
        at = offset + 9 + pos
        match = re.match(r"-([A-Za-z]+)", rest[pos:])
        if match is None:
            raise _fail(f"Expected a parameter such as -Version or -Modules after #requires, not "
                        f"'{rest[pos:].strip()}'.", "ScriptRequiresInvalidFormat", at, stop, text, source)
        given = match.group(1).lower()
        names = [p for p in _PARAMS if p.startswith(given)]
        if given == "module":
            names = ["modules"]
        if len(names) != 1:
            raise _fail(f"'-{match.group(1)}' is not a #requires parameter (Version, PSEdition, Modules, "
                        f"RunAsAdministrator).", "ScriptRequiresInvalidFormat", at, stop, text, source)
        pos += match.end()
        if names[0] == "runasadministrator":
            out.append((names[0], [], at))
            continue
        values, pos = _values(rest, pos)
        if not values:
            raise _fail(f"Missing an argument for #requires -{match.group(1)}.", "ParameterRequiresArgument",
                        at, stop, text, source)
        out.append((names[0], values, at))


def _values(rest: str, pos: int) -> Tuple[List[str], int]:
    """Comma-separated arguments: words, quoted strings, ``@{...}`` hash tables (kept as text)."""
    import re
    values: List[str] = []
    while True:
        while pos < len(rest) and rest[pos] in " \t":
            pos += 1
        if pos >= len(rest) or (rest[pos] == "-" and not values):
            break
        ch = rest[pos]
        if rest.startswith("@{", pos):
            depth, end = 0, pos
            while end < len(rest):
                if rest[end] == "{":
                    depth += 1
                elif rest[end] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            values.append(rest[pos:end + 1])
            pos = end + 1
        elif ch in "'\"":
            end = rest.find(ch, pos + 1)
            end = len(rest) if end < 0 else end
            values.append(rest[pos + 1:end])
            pos = end + 1
        else:
            match = re.match(r"[^\s,]+", rest[pos:])
            if match is None:
                break
            values.append(match.group(0))
            pos += match.end()
        while pos < len(rest) and rest[pos] in " \t":
            pos += 1
        if pos < len(rest) and rest[pos] == ",":
            pos += 1
            continue
        break
    return values, pos
