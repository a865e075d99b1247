"""PowerShell's operators over pshell values.

Every function here takes already-evaluated operands.  Comparison operators are case-insensitive
unless called with ``cs=True`` (the ``-c...`` spellings).  When the left operand is a list,
comparison operators filter it (``1,2,3 -gt 1`` is ``2,3``), as PowerShell does.
"""

from __future__ import annotations

try:                            # datetime's classes from the C module datetime.py re-exports:
    import _datetime as _dt     # datetime.py first defines them in Python (~0.6 ms of start-up)
except ImportError:
    import datetime as _dt
import decimal

from pshell.engine import numbers as _numbers
from pshell.engine.errors import RuntimeException
from pshell.engine.values import (AutomationNull, ConversionError, DBNull, Hashtable, NullString,
                                  PSChar, PSObject, PSTypeInfo, to_bool, to_number, to_str,
                                  type_names_of)
from pshell.engine.wildcards import wildcard_regex as like_to_regex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List

__all__ = ["add", "sub", "mul", "div", "mod", "BINARY", "compare_values", "equals", "like_to_regex",
           "ps_format"]


def _fail(message: str, error_id: str = "RuntimeException",
          exception_type: str = "System.Management.Automation.RuntimeException") -> RuntimeException:
    return RuntimeException.make(message, error_id, "InvalidOperation", exception_type=exception_type)


def _num(value: Any, op: str) -> Any:
    try:
        return to_number(value)
    except ConversionError as exc:
        raise _fail(str(exc), "InvalidArgument") from None


def _normalize_int(value: Any) -> Any:
    return value


def _typed_op(op: str, a: Any, b: Any) -> Any:
    """``a op b`` when an operand is a number of a type from engine/numbers.py (Byte, Int64,
    Decimal, Single...): the operand that is not a number is converted first."""
    x, y = _num(a, op), _num(b, op)
    try:
        return _numbers.binary(op, x, y)
    except ZeroDivisionError:
        raise RuntimeException.wrapping("Attempted to divide by zero.",
                                        "System.DivideByZeroException") from None
    except _numbers.NumberError as exc:
        raise RuntimeException.wrapping(str(exc), "System.OverflowException") from None


def _is_typed(a: Any, b: Any) -> bool:
    return _numbers.is_typed(a) or (_numbers.is_typed(b) and not isinstance(a, (str, list, tuple)))


# --------------------------------------------------------------------------- arithmetic

def _overflow(a: int, b: int, r: int) -> Any:
    """An integer result outside Int32: Int64 when an operand already was one, a Double when the
    result overflows the wider operand's type (as .NET arithmetic in PowerShell does)."""
    if -2**31 <= a < 2**31 and -2**31 <= b < 2**31:
        return float(r)
    if -2**63 <= r < 2**63 or not (-2**63 <= a < 2**63 and -2**63 <= b < 2**63):
        return r
    return float(r)


def add(a: Any, b: Any) -> Any:
    ta = type(a)
    if ta is int and type(b) is int:
        r = a + b
        return r if -2147483648 <= r <= 2147483647 else _overflow(a, b, r)
    if a is None or a is AutomationNull:
        if isinstance(b, (list, tuple)):
            return list(b)
        return b
    if ta is str:
        return a + to_str(b)
    if _is_typed(a, b):
        return _typed_op("+", a, b)
    if ta is float or ta is int or ta is bool or ta is PSChar:
        return _num(a, "+") + _num(b, "+")
    if isinstance(a, (list, tuple)):
        if isinstance(b, (list, tuple)):
            return list(a) + list(b)
        return list(a) + [b]
    if isinstance(a, Hashtable):
        if not isinstance(b, dict):
            raise _fail("A hash table can only be added to another hash table.")
        result = Hashtable(a.items())
        for key, value in b.items():
            if key in result:
                raise _fail(f"Item has already been added. Key in dictionary: '{key}'  "
                            f"Key being added: '{key}'", "AddingDuplicateKey")
            result[key] = value
        return result
    if isinstance(a, _dt.datetime):
        if isinstance(b, _dt.timedelta):
            return a + b
        return a + _dt.timedelta(microseconds=to_number(b) / 10)
    if isinstance(a, _dt.timedelta) and isinstance(b, _dt.timedelta):
        return a + b
    if isinstance(a, (str, int, float)):     # a remote result tagged with its computer
        return add(ta.__mro__[1](a), b)
    raise _fail(f"Method invocation failed because [{type_names_of(a)[0]}] does not contain a method "
                f"named 'op_Addition'.", "MethodNotFound")


def sub(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        r = a - b
        return r if -2147483648 <= r <= 2147483647 else _overflow(a, b, r)
    if isinstance(a, _dt.datetime):
        if isinstance(b, _dt.datetime):
            return a - b
        if isinstance(b, _dt.timedelta):
            return a - b
    if isinstance(a, _dt.timedelta) and isinstance(b, _dt.timedelta):
        return a - b
    if isinstance(a, (list, tuple, dict)):
        raise _fail(f"Method invocation failed because [{type_names_of(a)[0]}] does not contain a "
                    f"method named 'op_Subtraction'.", "MethodNotFound")
    if _is_typed(a, b):
        return _typed_op("-", a, b)
    return _num(a, "-") - _num(b, "-")


def mul(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        r = a * b
        return r if -2147483648 <= r <= 2147483647 else _overflow(a, b, r)
    if isinstance(a, str):
        count = _num(b, "*")
        return a * int(count)
    if isinstance(a, (list, tuple)):
        return list(a) * int(_num(b, "*"))
    if _is_typed(a, b):
        return _typed_op("*", a, b)
    return _num(a, "*") * _num(b, "*")


def div(a: Any, b: Any) -> Any:
    if _is_typed(a, b):
        return _typed_op("/", a, b)
    x = _num(a, "/")
    y = _num(b, "/")
    if y == 0:
        raise RuntimeException.wrapping("Attempted to divide by zero.", "System.DivideByZeroException")
    if isinstance(x, int) and isinstance(y, int) and x % y == 0:
        return x // y
    return x / y


def mod(a: Any, b: Any) -> Any:
    if _is_typed(a, b):
        return _typed_op("%", a, b)
    x = _num(a, "%")
    y = _num(b, "%")
    if y == 0:
        raise RuntimeException.wrapping("Attempted to divide by zero.", "System.DivideByZeroException")
    result = abs(x) % abs(y)        # .NET remainder takes the sign of the dividend
    return -result if x < 0 else result


def negate(a: Any) -> Any:
    value = _num(a, "-")
    if _numbers.is_typed(value):
        return _numbers.negate(value)
    return -value


def complement(a: Any) -> Any:
    """``-bnot``: in the operand's integer type (at least Int32)."""
    value = _num(a, "-bnot")
    if _numbers.is_typed(value) or not -2**31 <= int(value) < 2**31:
        return _numbers.complement(value if isinstance(value, int) else _integral(value))
    return ~int(value)


def _integral(value: Any) -> Any:
    """A Double or Decimal operand of a bitwise operator: the Int64 it rounds to."""
    try:
        return _numbers.make("long", value)
    except _numbers.NumberError as exc:
        raise _fail(str(exc), "InvalidCastException") from None


def _int_op(a: Any, b: Any, fn: Callable[[int, int], int]) -> int:
    x, y = _num(a, "bit"), _num(b, "bit")
    if type(a) is not int and hasattr(a, "ps_enum"):
        return a.ps_enum.value(fn(int(x), int(y)))   # [Flags] enums: Red -bor Blue stays the enum
    if _numbers.is_typed(x) or _numbers.is_typed(y):
        return _numbers.bitwise(fn, x if isinstance(x, int) else _integral(x),
                                y if isinstance(y, int) else _integral(y))
    return fn(int(x), int(y))


# --------------------------------------------------------------------------- comparison

def _coerce_pair(a: Any, b: Any) -> Any:
    """Convert ``b`` to ``a``'s kind, PowerShell style (left operand decides)."""
    if isinstance(a, bool):
        return a, to_bool(b)
    if isinstance(a, (int, float)):
        if isinstance(b, (int, float)) and not isinstance(b, bool):
            return a, b
        if isinstance(b, str) and type(a) is not int and hasattr(a, "ps_enum"):
            try:                                # [Color]::Red -eq 'Red'
                return a, a.ps_enum.convert(b)
            except RuntimeException:
                return None
        if isinstance(b, bool):
            return a, int(b)
        try:
            return a, to_number(b)
        except (ConversionError, TypeError):
            return None
    if isinstance(a, str):
        return a, to_str(b)
    if isinstance(a, _dt.datetime) and isinstance(b, str):
        try:
            from pshell.engine.conversions import convert_to
            return a, convert_to(b, "datetime")
        except RuntimeException:
            return None
    return a, b


def equals(a: Any, b: Any, cs: bool = False) -> bool:
    if a is DBNull or a is NullString:                      # both equal $null (and each other)
        a = None
    if b is DBNull or b is NullString:
        b = None
    if a is None or a is AutomationNull:
        return b is None or b is AutomationNull
    if b is None or b is AutomationNull:
        return False
    if isinstance(a, PSTypeInfo) and isinstance(b, str):   # [int] -eq 'int': the type named
        return _type_named(a, b)
    if isinstance(b, PSTypeInfo) and isinstance(a, str):
        return _type_named(b, a)
    pair = _coerce_pair(a, b)
    if pair is None:
        return False
    x, y = pair
    if isinstance(x, str):
        return x == y if cs else x.lower() == y.lower()
    if isinstance(x, PSObject) or isinstance(y, PSObject):
        return x is y
    try:
        return bool(x == y)
    except Exception:
        return False


def _type_named(a: Any, name: str) -> bool:
    from pshell.engine.statics import type_info
    try:
        return bool(a == type_info(name))
    except RuntimeException:
        return False


def compare_values(a: Any, b: Any, cs: bool = False) -> int:
    """-1/0/1 as PowerShell orders values (used by -lt/-gt and Sort-Object)."""
    if a is None or a is AutomationNull:
        return 0 if (b is None or b is AutomationNull) else -_null_against(b)
    if b is None or b is AutomationNull:
        return _null_against(a)
    pair = _coerce_pair(a, b)
    if pair is None:
        x, y = to_str(a), to_str(b)
    else:
        x, y = pair
    if isinstance(x, str):
        if not cs:
            x, y = x.lower(), y.lower()
        elif x.lower() != y.lower():
            x, y = x.lower(), y.lower()
        else:
            # same letters: lower case sorts first, as .NET's culture comparison does
            x, y = y, x
    try:
        return (x > y) - (x < y)
    except TypeError:
        sa, sb = to_str(a).lower(), to_str(b).lower()
        return (sa > sb) - (sa < sb)


def _null_against(value: Any) -> int:
    """How ``value`` compares with null: a negative number is below it, anything else above."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return -1
    return 1


_RE_CACHE: Dict[Any, Any] = {}


def regex(pattern: Any, cs: bool = False, flags: int = 0) -> Any:
    """The compiled form of a .NET pattern (cached); ``flags``: more of ``re``'s flags."""
    text = to_str(pattern)
    key = (text, cs, flags)
    found = _RE_CACHE.get(key)
    if found is None:
        import re
        found = compile_regex(text, (0 if cs else re.IGNORECASE) | flags)
        if len(_RE_CACHE) > 500:
            _RE_CACHE.clear()
        _RE_CACHE[key] = found
    return found


def compile_regex(text: str, flags: int) -> Any:
    """A .NET pattern compiled by Python's engine (engine/dotnet_regex.py translates it); a bad
    or untranslatable pattern is an error naming the pattern and what is wrong."""
    import re
    from pshell.engine.dotnet_regex import RegexNotSupported, translate
    try:
        return re.compile(translate(text), flags)
    except (re.error, RegexNotSupported) as exc:
        raise _fail(f'The regular expression pattern {text} is not valid: {exc}.',
                    "InvalidRegularExpression") from None
    except (OverflowError, RecursionError):
        raise _fail(f'The regular expression pattern {text} is too large or too deeply nested.',
                    "InvalidRegularExpression") from None


def _like(a: Any, b: Any, cs: bool) -> bool:
    return like_to_regex(to_str(b), cs).match(to_str(a)) is not None


def _match(frame_matches: Any, a: Any, b: Any, cs: bool) -> Any:
    m = regex(b, cs).search(to_str(a))
    return m


def matches_table(m: Any) -> Hashtable:
    table = Hashtable()
    table[0] = m.group(0)
    for i, group in enumerate(m.groups(), start=1):
        if group is not None:
            table[i] = group
    for name, group in m.groupdict().items():
        if group is not None:
            table[name] = group
    return table


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _seq(value: Any) -> Any:
    """An enumerator (``$input``, a generator) as the list it yields; anything else as is."""
    if hasattr(value, "__next__") and not isinstance(value, str):
        return list(value)
    if isinstance(value, range) or getattr(type(value), "ps_enumerable", False):
        return list(value)
    return value


def _contains(collection: Any, item: Any, cs: bool) -> bool:
    collection = _seq(collection)
    items = collection if _is_list(collection) else [collection]
    return any(equals(element, item, cs) for element in items)


def compare_op(op: str, a: Any, b: Any) -> Any:
    """``-eq``, ``-cne``, ``-like`` ... with list filtering.  ``op`` without the dash."""
    cs = op.startswith("c")
    base = op[1:] if op[0] in "ci" and op[1:] in _SCALAR_COMPARE else op
    fn = _SCALAR_COMPARE[base]
    a = _seq(a)
    if _is_list(a):
        return [item for item in a if fn(item, b, cs)]
    return fn(a, b, cs)


def _order(a: Any, b: Any, cs: bool) -> int:
    """compare_values for -gt/-lt: a number or date on the left needs a right side that
    converts to it, as in PowerShell (Sort-Object keeps the lenient compare_values)."""
    if b is not None and b is not AutomationNull and not isinstance(a, bool) and \
            isinstance(a, (int, float, _dt.datetime)) and _coerce_pair(a, b) is None:
        target = "System.DateTime" if isinstance(a, _dt.datetime) else type_names_of(a)[0]
        raise _fail(f'Could not compare "{to_str(a)}" to "{to_str(b)}". Error: "Cannot convert '
                    f'value "{to_str(b)}" to type "{target}".', "ComparisonFailure")
    return compare_values(a, b, cs)


_SCALAR_COMPARE: Dict[str, Callable[[Any, Any, bool], bool]] = {
    "eq": equals,
    "ne": lambda a, b, cs: not equals(a, b, cs),
    "gt": lambda a, b, cs: _order(a, b, cs) > 0,
    "ge": lambda a, b, cs: _order(a, b, cs) >= 0,
    "lt": lambda a, b, cs: _order(a, b, cs) < 0,
    "le": lambda a, b, cs: _order(a, b, cs) <= 0,
    "like": _like,
    "notlike": lambda a, b, cs: not _like(a, b, cs),
}


def replace(a: Any, b: Any, cs: bool) -> Any:
    replacement: Any            # text, or a script block called with each match
    if _is_list(b):
        pattern = b[0] if b else ""
        replacement = b[1] if len(b) > 1 else ""
    else:
        pattern, replacement = b, ""
    compiled = regex(pattern, cs)
    if callable(getattr(replacement, "invoke_with_match", None)):
        fn = replacement.invoke_with_match
        repl: Any = lambda m: to_str(fn(m))
    else:
        from pshell.engine.dotnet_regex import substitution
        repl = substitution(to_str(replacement))
    a = _seq(a)
    if _is_list(a):
        return [compiled.sub(repl, to_str(item)) for item in a]
    return compiled.sub(repl, to_str(a))


def split(a: Any, b: Any, cs: bool) -> List[str]:
    limit = 0
    options = ""
    if _is_list(b):
        pattern = b[0] if b else " "
        if len(b) > 1:
            limit = int(to_number(b[1]))
        if len(b) > 2:
            options = to_str(b[2]).lower()
    else:
        pattern = b
    compiled = None
    explicit = "explicitcapture" in options
    if options and not hasattr(pattern, "compiled"):
        compiled = _split_regex(to_str(pattern), cs, options)
    result: List[str] = []
    a = _seq(a)
    for item in (a if _is_list(a) else [a]):
        text = to_str(item)
        if hasattr(pattern, "compiled") and hasattr(pattern, "bound_frame"):
            result.extend(_split_with_block(pattern, text, limit))
            continue
        splitter = compiled if compiled is not None else regex(pattern, cs)
        if limit < 0 or explicit:
            result.extend(_split_at(splitter, text, limit, explicit))
            continue
        parts = splitter.split(text, maxsplit=max(0, limit - 1) if limit > 0 else 0)
        result.extend(p for p in parts if p is not None)
    return result


def _split_at(rx: Any, text: str, limit: int, explicit: bool) -> List[str]:
    """Split at ``rx``'s matches keeping what its groups capture (only the named groups with
    ExplicitCapture).  A negative ``limit`` counts the pieces from the right: ``-2`` splits at
    the last match only."""
    matches = [m for m in rx.finditer(text) if m.end() > 0 and m.start() < len(text)]
    if limit > 0:
        matches = matches[:limit - 1]
    elif limit < 0:
        matches = matches[len(matches) - min(len(matches), -limit - 1):]
    named = set(rx.groupindex.values())
    parts: List[str] = []
    start = 0
    for m in matches:
        parts.append(text[start:m.start()])
        for number in range(1, (rx.groups or 0) + 1):
            if (not explicit or number in named) and m.group(number) is not None:
                parts.append(m.group(number))
        start = m.end()
    parts.append(text[start:])
    return parts


def _split_regex(pattern: str, cs: bool, options: str) -> Any:
    """``-split pattern, max, 'SimpleMatch,IgnoreCase,Multiline,Singleline'``."""
    import re
    words = {word.strip() for word in options.split(",")}
    unknown = words - {"simplematch", "regexmatch", "ignorecase", "multiline", "singleline",
                       "ignorepatternwhitespace", "explicitcapture", "cultureinvariant", "none", ""}
    if unknown:
        raise _fail(f"Cannot convert value \"{options}\" to type "
                    f"\"System.Management.Automation.SplitOptions\".", "InvalidSplitOptions")
    if {"simplematch", "regexmatch"} <= words:
        raise _fail("Cannot combine SimpleMatch and RegexMatch in the options of -split.",
                    "InvalidSplitOptionCombination")
    flags = 0 if cs and "ignorecase" not in words else re.IGNORECASE
    if "simplematch" in words:
        return re.compile(re.escape(pattern), flags)
    if "multiline" in words:
        flags |= re.MULTILINE
    if "singleline" in words:
        flags |= re.DOTALL
    if "ignorepatternwhitespace" in words:
        flags |= re.VERBOSE
    return compile_regex(pattern, flags)


def _split_with_block(block: Any, text: str, limit: int) -> List[str]:
    """``-split { predicate }``: split at each character for which the block is true."""
    from pshell.engine.command_context import invoke_block
    from pshell.engine.runtime import collect
    frame = block.bound_frame
    if frame is None:
        raise _fail("The script block has no runspace to run in.")
    parts: List[str] = []
    start = 0
    if limit < 0:                                   # the last -limit - 1 separators
        at = [index for index, char in enumerate(text)
              if to_bool(collect(invoke_block(frame, block, (char, index), dollar_under=char)))]
        for index in at[len(at) - min(len(at), -limit - 1):]:
            parts.append(text[start:index])
            start = index + 1
        parts.append(text[start:])
        return parts
    for index, char in enumerate(text):
        if 0 < limit <= len(parts) + 1:
            break
        if to_bool(collect(invoke_block(frame, block, (char, index), dollar_under=char))):
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def unary_split(a: Any) -> List[str]:
    result: List[str] = []
    a = _seq(a)
    for item in (a if _is_list(a) else [a]):
        result.extend(to_str(item).split())
    return result


def join(a: Any, b: Any) -> str:
    a = _seq(a)
    items = a if _is_list(a) else [a]
    return to_str(b).join(to_str(item) for item in items)


def in_range(a: Any, b: Any) -> range:
    """``a..b``, both ends included, counting down when ``b < a``; lazy, so that
    ``1..1e9 | Select-Object -First 3`` builds no list.  ``'a'..'e'``: characters."""
    if (isinstance(a, str) and isinstance(b, str) and len(a) == 1 and len(b) == 1
            and not (a.isdigit() and b.isdigit())):
        step = 1 if ord(a) <= ord(b) else -1
        return [PSChar(chr(c)) for c in range(ord(a), ord(b) + step, step)]  # type: ignore[return-value]
    start = int(round(to_number(a)))
    stop = int(round(to_number(b)))
    if start <= stop:
        return range(start, stop + 1)
    return range(start, stop - 1, -1)


# --------------------------------------------------------------------------- -f

def ps_format(fmt: Any, args: Any) -> str:
    """``"{0,-10} {1:N2}" -f $a, $b``: .NET composite formatting."""
    values = list(args) if isinstance(args, (list, tuple)) else [args]
    text = to_str(fmt)
    out = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "{":
            if i + 1 < n and text[i + 1] == "{":
                out.append("{")
                i += 2
                continue
            end = text.find("}", i)
            if end < 0:
                raise _fail("Error formatting a string: Input string was not in a correct format..",
                            "FormatError")
            spec = text[i + 1:end]
            out.append(_format_item(spec, values))
            i = end + 1
            continue
        if ch == "}":
            if i + 1 < n and text[i + 1] == "}":
                i += 2
            else:
                i += 1
            out.append("}")
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _format_item(spec: str, values: List[Any]) -> str:
    fmt = ""
    if ":" in spec:
        spec, fmt = spec.split(":", 1)
    align = 0
    if "," in spec:
        spec, width = spec.split(",", 1)
        align = int(width.strip())
    try:
        index = int(spec.strip())
        value = values[index]
    except (ValueError, IndexError):
        raise _fail("Error formatting a string: Index (zero based) must be greater than or equal "
                    "to zero and less than the size of the argument list..", "FormatError") from None
    text = format_value(value, fmt)
    if align > 0:
        return text.rjust(align)
    if align < 0:
        return text.ljust(-align)
    return text


def _fixed(value: Any, places: int, grouping: bool) -> str:
    """Fixed-point text as .NET writes it: midpoints of the exact value round away from zero
    (2.25 -> '2.3'), where Python's format rounds them to even."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return to_str(value)
    exact = decimal.Decimal(value).quantize(decimal.Decimal(1).scaleb(-places),
                                            rounding=decimal.ROUND_HALF_UP)
    return f"{exact:{',' if grouping else ''}.{places}f}"


def format_value(value: Any, fmt: str) -> str:
    """A value with a .NET format string (``N2``, ``D5``, ``X``, ``P1``, ``0.00``, dates)."""
    if not fmt:
        return to_str(value)
    if isinstance(value, _dt.datetime):
        from pshell.engine.dates import format_datetime
        return format_datetime(value, fmt)
    code = fmt[0].upper()
    digits = fmt[1:]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and (
            digits == "" or digits.isdigit()) and code in "NDXFPCEG":
        precision = int(digits) if digits else None
        if code == "N":
            return _fixed(value, 2 if precision is None else precision, True)
        if code == "D":
            return f"{int(value):0{precision or 0}d}"
        if code == "X":
            text = f"{int(value):0{precision or 0}x}"
            return text.upper() if fmt[0] == "X" else text
        if code == "F":
            return _fixed(value, 2 if precision is None else precision, False)
        if code == "P":
            return f"{value * 100:,.{2 if precision is None else precision}f} %"
        if code == "C":
            return f"${value:,.{2 if precision is None else precision}f}"
        if code == "E":
            return f"{value:.{6 if precision is None else precision}E}"
        if code == "G":
            return to_str(value)
    if isinstance(value, (int, float)) and set(fmt) <= set("0#.,"):
        decimals = fmt.split(".", 1)[1] if "." in fmt else ""
        min_dec = decimals.count("0")
        max_dec = len(decimals)
        grouping = "," in fmt.split(".")[0]
        int_zeros = fmt.split(".")[0].replace(",", "").count("0")
        text = f"{value:{',' if grouping else ''}.{max_dec}f}"
        if max_dec > min_dec and "." in text:
            head, tail = text.split(".")
            tail = tail.rstrip("0")
            if len(tail) < min_dec:
                tail = tail.ljust(min_dec, "0")
            text = head + ("." + tail if tail else "")
        head = text.split(".")[0]
        sign = "-" if head.startswith("-") else ""
        digits_part = head.lstrip("-")
        if len(digits_part.replace(",", "")) < int_zeros:
            digits_part = digits_part.zfill(int_zeros)
        return sign + digits_part + text[len(head):]
    return to_str(value)


BINARY: Dict[str, Callable[[Any, Any], Any]] = {
    "+": add, "-": sub, "*": mul, "/": div, "%": mod,
    "-band": lambda a, b: _int_op(a, b, lambda x, y: x & y),
    "-bor": lambda a, b: _int_op(a, b, lambda x, y: x | y),
    "-bxor": lambda a, b: _int_op(a, b, lambda x, y: x ^ y),
    "-shl": lambda a, b: _int_op(a, b, lambda x, y: x << y),
    "-shr": lambda a, b: _int_op(a, b, lambda x, y: x >> y),
    "..": in_range,
    "-f": ps_format,
}
