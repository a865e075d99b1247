"""JSON for the wire without ``import json``: the same C encoder and scanner, without the module.

``json`` imports ``re`` (and with it ``enum``) for its pure-Python fallbacks: ~4.7 ms of every
fresh ``pshell -c`` that remotes, whose frames are JSON.  The C accelerator ``_json`` is what
``json.dumps``/``json.loads`` run anyway for our arguments (no indent); this module makes the
same encoder and scanner objects directly, once.  The output is byte for byte ``json.dumps(...,
ensure_ascii=False, separators=(",", ":"), allow_nan=True, check_circular=False)``, the input
rules those of ``json.loads`` (errors are ``ValueError``, too deep a nesting ``RecursionError``).
Where ``_json`` is missing or its constructors differ (another Python), ``json`` is used.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["dumps", "loads"]

_WHITESPACE = " \t\n\r"         # JSON's whitespace (str.strip() would take more)


def _default(value: Any) -> Any:
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


class _Context:
    """What the C scanner reads from a decoder: json.JSONDecoder()'s defaults."""

    def __init__(self) -> None:
        nan = float("nan")
        inf = float("inf")
        self.strict = True
        self.object_hook = None
        self.object_pairs_hook = None
        self.parse_float = float
        self.parse_int = int
        self.parse_constant = {"-Infinity": -inf, "Infinity": inf, "NaN": nan}.__getitem__
        self.memo: dict = {}


_encode: Any = None
_scan: Any = None
try:
    import _json
    # markers (None: no circular check), default, string encoder, indent, key separator, item
    # separator, sort_keys, skipkeys, allow_nan: what json.JSONEncoder passes since Python 3.6
    _encode = _json.make_encoder(None, _default, _json.encode_basestring, None, ":", ",",
                                 False, False, True)
    _scan = _json.make_scanner(_Context())  # type: ignore[arg-type]
except (ImportError, TypeError, AttributeError):      # pragma: no cover (not CPython)
    _encode = _scan = None


def dumps(value: Any) -> str:
    """Compact JSON of ``value``, non-ASCII text as it is, NaN and infinities allowed."""
    if _encode is None:     # pragma: no cover
        import json
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=True,
                          check_circular=False)
    return "".join(_encode(value, 0))


def loads(text: str) -> Any:
    """The value of one JSON document (whitespace around it allowed, nothing else)."""
    if _scan is None or type(text) is not str:     # pragma: no cover
        import json
        return json.loads(text)
    try:
        value, end = _scan(text, _skip(text, 0))
    except StopIteration as exc:
        raise ValueError(f"Expecting value: char {exc.value}") from None
    if end < len(text) and _skip(text, end) < len(text):
        raise ValueError(f"Extra data: char {end}")
    return value


def _skip(text: str, pos: int) -> int:
    """Where the first character that is not JSON whitespace is at or after ``pos`` (a piece at a
    time: a message of blanks costs no copy of itself)."""
    size = len(text)
    while pos < size and text[pos] in _WHITESPACE:
        piece = text[pos:pos + 65536]
        pos += len(piece) - len(piece.lstrip(_WHITESPACE))
    return pos
