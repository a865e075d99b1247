"""Number literals of pshell's lexer: :func:`scan_number` finds the longest literal at an offset
(hex or decimal, exponent, type suffix such as ``l``/``ul``/``d``/``n``, multiplier ``kb``..``pb``),
:func:`number_value` computes its value, :func:`parse_number` reads a whole word as a number and
:func:`literal_type` names the type a literal's text gives (for the compiler)."""

from __future__ import annotations


_DIGITS = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_MULTIPLIERS = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4, "p": 1024 ** 5}


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple
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
