"""PowerShell wildcard patterns: ``*`` (any run), ``?`` (one character), ``[abc]`` / ``[a-z]`` (one
of a set; ``[!abc]`` none of it, as in POSIX globs) and the backtick escaping any character.

One translation to a regular expression serves ``-like``/``-notlike``, ``switch -Wildcard`` and
every command that takes wildcard names or paths.  Patterns match the whole text; case is ignored
unless asked for (file names on Linux are matched case-sensitively by their callers).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Tuple

__all__ = ["has_wildcards", "wildcard_regex", "wildcard_match", "unescape"]


def has_wildcards(text: str) -> bool:
    """True when ``text`` holds an unescaped ``*``, ``?`` or ``[``."""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "`":
            i += 2
            continue
        if ch in "*?[":
            return True
        i += 1
    return False


def escape(text: str) -> str:
    """``[WildcardPattern]::Escape``: a backtick before each of ``*?[]`` and backtick itself."""
    return "".join("`" + ch if ch in "*?[]`" else ch for ch in text)


def unescape(text: str) -> str:
    """A wildcard-free pattern as the literal text it stands for (backticks removed)."""
    if "`" not in text:
        return text
    out = []
    i = 0
    while i < len(text):
        if text[i] == "`" and i + 1 < len(text):
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out)


def _char_set(body: str) -> str:
    """The regex class for the inside of ``[...]``: ranges kept, everything else literal."""
    negate = body.startswith("!") and len(body) > 1
    if negate:
        body = body[1:]
    inner = "".join("\\" + c if c in "\\^[]" else c for c in body)
    return ("[^" if negate else "[") + inner + "]"


#: the translations made so far (emptied when it reaches _CACHE_MAX).  A plain dict rather than
#: functools.lru_cache, whose import pulls collections into every start-up.  Two threads may
#: translate the same pattern at once: both get equal expressions, one of them stays.
_CACHE: Dict[Tuple[str, bool], Any] = {}
_CACHE_MAX = 512


def wildcard_regex(pattern: str, case_sensitive: bool = False) -> Any:
    """``pattern`` as a compiled regular expression matching whole texts (use ``.match``)."""
    key = (pattern, case_sensitive)
    found = _CACHE.get(key)
    if found is None:
        found = _translate(pattern, case_sensitive)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = found
    return found


def _translate(pattern: str, case_sensitive: bool) -> Any:
    import re
    out = []
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "`" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            end = pattern.find("]", i + 2)      # a ']' right after '[' belongs to the set
            if end < 0:
                out.append(re.escape(ch))
            else:
                out.append(_char_set(pattern[i + 1:end]))
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.compile("".join(out) + r"\Z", flags)


def wildcard_match(pattern: str, text: str, case_sensitive: bool = False) -> bool:
    return wildcard_regex(pattern, case_sensitive).match(text) is not None
