"""PowerShell's operators over pshell values.

Every function here takes already-evaluated operands.  Comparison operators are case-insensitive
unless called with ``cs=True`` (the ``-c...`` spellings).  When the left operand is a list,
comparison operators filter it (``1,2,3 -gt 1`` is ``2,3``), as PowerShell does.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
import sys
from typing import Any, Callable, Dict, List

from pshell.engine import accelerators as _accelerators
from pshell.engine import numbers as _numbers
from pshell.engine.errors import RuntimeException
from pshell.engine.values import (AutomationNull, ConversionError, DBNull, Guid, Hashtable, NullString,
                                  OrderedHashtable, PSChar, PSObject, PSTypeInfo, to_bool, to_number, to_str,
                                  type_names_of)
from pshell.engine.wildcards import wildcard_regex as like_to_regex

__all__ = ["add", "sub", "mul", "div", "mod", "BINARY", "compare_values", "equals", "like_to_regex",
           "convert_to", "ps_format", "lookup_type"]


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
    from pshell.engine.members import type_info
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
        found = compile_regex(text, (0 if cs else re.IGNORECASE) | flags)
        if len(_RE_CACHE) > 500:
            _RE_CACHE.clear()
        _RE_CACHE[key] = found
    return found


def compile_regex(text: str, flags: int) -> Any:
    """A .NET pattern compiled by Python's engine (engine/dotnet_regex.py translates it); a bad
    or untranslatable pattern is an error naming the pattern and what is wrong."""
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
    from pshell.engine.pipeline import invoke_block
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


# --------------------------------------------------------------------------- types

_TYPE_ALIASES = {
    "int": "int", "int32": "int", "system.int32": "int", "long": "long", "int64": "long",
    "system.int64": "long", "byte": "byte", "system.byte": "byte", "double": "double",
    "system.double": "double", "float": "single", "single": "single", "decimal": "decimal",
    "system.decimal": "decimal", "string": "string", "system.string": "string", "bool": "bool",
    "boolean": "bool", "system.boolean": "bool", "char": "char", "system.char": "char",
    "array": "array", "system.array": "array", "object[]": "array", "hashtable": "hashtable",
    "system.collections.hashtable": "hashtable", "ordered": "ordered",
    "system.collections.specialized.ordereddictionary": "ordered",
    "collections.specialized.ordereddictionary": "ordered",
    "pscustomobject": "pscustomobject", "psobject": "psobject",
    "system.management.automation.psobject": "psobject", "object": "object",
    "system.object": "object", "datetime": "datetime", "system.datetime": "datetime",
    "timespan": "timespan", "system.timespan": "timespan", "scriptblock": "scriptblock",
    "regex": "regex", "void": "void", "switch": "switch", "version": "version", "guid": "guid",
    "uint32": "uint32", "uint64": "uint64", "int16": "int16", "uint16": "uint16", "sbyte": "sbyte",
    "short": "int16", "ushort": "uint16", "uint": "uint32", "ulong": "uint64", "bigint": "bigint",
    "numerics.biginteger": "bigint", "system.numerics.biginteger": "bigint",
    "ref": "ref", "psreference": "ref", "management.automation.psreference": "ref",
    "string[]": "string[]", "int[]": "int[]", "long[]": "long[]", "double[]": "double[]",
    "xml": "xml", "xml.xmldocument": "xml", "system.xml.xmldocument": "xml",
    "math": "math", "system.math": "math",
    "ipaddress": "string", "securestring": "securestring", "pscredential": "pscredential",
    "security.securestring": "securestring", "management.automation.pscredential": "pscredential",
    "environment": "environment", "system.environment": "environment", "char[]": "char[]",
    "bool[]": "bool[]", "byte[]": "byte[]", "hashtable[]": "array", "psobject[]": "array",
    "pscustomobject[]": "array", "datetime[]": "array", "scriptblock[]": "array",
    "microsoft.powershell.commands.modulespecification": "modulespecification",
    "modulespecification": "modulespecification",
}


def lookup_type(name: str) -> str:
    """The canonical kind for a type name, or raise 'Unable to find type'."""
    key = name.strip().lower()
    kind = _TYPE_ALIASES.get(key)
    if kind is None and key in _accelerators.USER:       # [TypeAccelerators]::Add's names
        return lookup_type(_accelerators.USER[key][1])
    if kind is None and key.startswith("system."):
        kind = _TYPE_ALIASES.get(key[7:])
    if kind is None:
        if key.endswith("[]"):
            return "array"
        if key.endswith("]") and "[" in key:
            from pshell.engine import generics
            if generics.resolve(name) is not None:
                return "generic"            # [List[int]], [Dictionary[string, int]] ...
        if key.startswith(("system.collections.concurrent.concurrentdictionary",
                           "collections.concurrent.concurrentdictionary")):
            return "concurrentdictionary"
        if key.startswith(("system.collections.generic.stack", "collections.generic.stack")):
            return "stack"
        if key.startswith(("system.collections.generic.list", "system.collections.objectmodel.collection",
                           "collections.objectmodel.collection")) or key in (
                "system.collections.arraylist", "collections.arraylist"):
            return "list"
        if key in _KNOWN_NAMED_TYPES or key.rsplit(".", 1)[-1] in _KNOWN_NAMED_TYPES:
            return "named"
        if key.startswith(("system.management.automation.language.", "management.automation.language.")):
            from pshell.engine.ast_view import TYPE_NAMES      # [Parser]::ParseInput's tree
            if key.rsplit(".", 1)[-1] in TYPE_NAMES:
                return "named"
        from pshell.engine import exception_types, powershell_api
        if exception_types.is_exception_type(key) or powershell_api.is_hosting_type(key):
            return "named"      # .NET's exceptions (::new, -is, catch) and the hosting types
        classes = sys.modules.get("pshell.engine.classes")
        if classes is not None and classes.find_type(key) is not None:
            return "user"
        from pshell.engine import dotnet_types
        if key in dotnet_types.ENUM_NAMES:
            return "user"
        if key in dotnet_types.KNOWN_TYPES or "system." + key in dotnet_types.KNOWN_TYPES:
            return "named"
        raise RuntimeException.make(f"Unable to find type [{name}].", "TypeNotFound",
                                     "InvalidOperation")
    return kind


_FULL_TYPE_NAMES = {
    "int": "System.Int32", "long": "System.Int64", "byte": "System.Byte", "double": "System.Double",
    "string": "System.String", "bool": "System.Boolean", "char": "System.Char",
    "array": "System.Object[]", "hashtable": "System.Collections.Hashtable",
    "ordered": "System.Collections.Specialized.OrderedDictionary",
    "pscustomobject": "System.Management.Automation.PSCustomObject",
    "psobject": "System.Management.Automation.PSObject", "object": "System.Object",
    "datetime": "System.DateTime", "timespan": "System.TimeSpan",
    "scriptblock": "System.Management.Automation.ScriptBlock",
    "regex": "System.Text.RegularExpressions.Regex", "void": "System.Void",
    "switch": "System.Management.Automation.SwitchParameter", "version": "System.Version",
    "guid": "System.Guid", "string[]": "System.String[]", "int[]": "System.Int32[]",
    "math": "System.Math", "list": "System.Collections.Generic.List",
    "stack": "System.Collections.Generic.Stack`1", "long[]": "System.Int64[]",
    "double[]": "System.Double[]", "environment": "System.Environment",
    "securestring": "System.Security.SecureString",
    "pscredential": "System.Management.Automation.PSCredential",
    "ref": "System.Management.Automation.PSReference",
    "xml": "System.Xml.XmlDocument",
}
_FULL_TYPE_NAMES.update((kind, full) for kind, (_, full) in _numbers.KINDS.items())


# .NET types pshell has no conversion for but whose objects it produces (so `-is [ErrorRecord]`,
# `catch [System.IO.IOException]` and `[System.Management.Automation.PSCredential]` parse).
_KNOWN_NAMED_TYPES = {
    "errorrecord", "system.management.automation.errorrecord", "exception", "system.exception",
    "runtimeexception", "system.management.automation.runtimeexception", "ioexception",
    "system.io.ioexception", "fileinfo", "system.io.fileinfo", "directoryinfo",
    "system.io.directoryinfo", "filesysteminfo", "system.io.filesysteminfo",
    "job", "system.management.automation.job", "pssession",
    "system.management.automation.runspaces.pssession", "process", "system.diagnostics.process",
    "warningrecord", "verboserecord", "debugrecord", "informationrecord", "progressrecord",
    "matchinfo", "microsoft.powershell.commands.matchinfo", "pathinfo", "commandinfo",
    "system.management.automation.commandinfo", "dividebyzeroexception",
    "system.dividebyzeroexception", "argumentexception", "system.argumentexception",
    "itemnotfoundexception", "system.management.automation.itemnotfoundexception",
    "commandnotfoundexception", "system.management.automation.commandnotfoundexception",
    "invalidoperationexception", "system.invalidoperationexception", "psinvalidcastexception",
    "cultureinfo", "system.globalization.cultureinfo", "globalization.cultureinfo",
    "system.net.networkcredential", "net.networkcredential",
    "system.management.automation.psparser", "management.automation.psparser",
    "powershell", "system.management.automation.powershell", "runspacefactory",
    "system.management.automation.runspaces.runspacefactory",
    "system.management.automation.language.parser", "management.automation.language.parser",
    "errorcategory", "system.management.automation.errorcategory",
    "psmoduleinfo", "system.management.automation.psmoduleinfo",
    "attribute", "system.attribute",        # engine/dynparams.py's attribute objects
}


# objects of engine modules that have no conversion of their own (kept apart from the set above)
_KNOWN_NAMED_TYPES.update(("timezoneinfo", "system.timezoneinfo",
                           "system.management.automation.internal.internaltesthooks",
                           "management.automation.internal.internaltesthooks"))
# what Get-Command and Get-Alias give (cmdlets/commands.py, engine/alias_table.py)
_KNOWN_NAMED_TYPES.update(("aliasinfo", "system.management.automation.aliasinfo", "cmdletinfo",
                           "system.management.automation.cmdletinfo", "functioninfo",
                           "system.management.automation.functioninfo", "applicationinfo",
                           "system.management.automation.applicationinfo"))
_KNOWN_NAMED_TYPES.update("system.xml." + name for name in (        # engine/xmldoc.py's nodes
    "xmlnode", "xmlelement", "xmlattribute", "xmltext", "xmlcdatasection", "xmlcomment",
    "xmldeclaration", "xmlnodelist", "xmlnamespacemanager", "xmllinkednode", "xmlcharacterdata"))


def full_type_name(kind: str) -> str:
    return _FULL_TYPE_NAMES.get(kind, kind)


def _cast_error(value: Any, type_name: str, detail: str = "") -> RuntimeException:
    shown = to_str(value)
    src = type_names_of(value)[0]
    extra = f' Error: "{detail}"' if detail else ""
    message = f'Cannot convert value "{shown}" to type "{type_name}".{extra}' if not isinstance(
        value, (list, tuple, dict, PSObject)) else \
        f'Cannot convert the "{shown}" value of type "{src}" to type "{type_name}".'
    return invalid_cast(message, "InvalidCastException" if not detail else
                        "InvalidCastParseTargetInvocation")


def invalid_cast(message: str, error_id: str = "InvalidCastException") -> RuntimeException:
    """A failed conversion as pwsh reports it: a RuntimeException around a PSInvalidCastException."""
    return RuntimeException.wrapping(message, "System.Management.Automation.PSInvalidCastException",
                                     error_id, "InvalidArgument")


def convert_to(value: Any, type_name: str) -> Any:
    """``[type]value``."""
    kind = lookup_type(type_name)
    if value is AutomationNull:
        value = None
    try:
        return _CONVERTERS[kind](value, type_name)
    except RuntimeException:
        raise
    except _numbers.NumberError as exc:
        raise _cast_error(value, full_type_name(kind), str(exc)) from None
    except (ConversionError, ValueError, TypeError, OverflowError) as exc:
        detail = str(exc) if isinstance(exc, ConversionError) else ""
        raise _cast_error(value, full_type_name(kind), "" if detail else "") from None


def _unwrap_single(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return value[0]
    return value


def _to_int_kind(value: Any, type_name: str) -> int:
    from pshell.engine.values import to_int
    value = _unwrap_single(value)
    if value is None:
        return 0
    if isinstance(value, (list, tuple, dict, PSObject)):
        raise _cast_error(value, "System.Int32")
    if isinstance(value, str) and not value.strip():
        return 0
    if isinstance(value, PSChar) or (isinstance(value, str) and len(value) == 1 and
                                     type_name.lower() in ("char",)):
        return ord(value)
    return to_int(value)


def _to_double(value: Any, type_name: str) -> float:
    value = _unwrap_single(value)
    if value is None:
        return 0.0
    if isinstance(value, (list, tuple, dict, PSObject)):
        raise _cast_error(value, "System.Double")
    return float(to_number(value))


def _to_string(value: Any, type_name: str) -> Any:
    if value is None:
        return ""
    return to_str(value)


def _to_bool(value: Any, type_name: str) -> bool:
    return to_bool(value)


def _to_char(value: Any, type_name: str) -> str:
    value = _unwrap_single(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return PSChar(chr(value))
    text = to_str(value)
    if len(text) != 1:
        raise _cast_error(value, "System.Char", "String must be exactly one character long.")
    return PSChar(text)


def _to_array(value: Any, type_name: str) -> List[Any]:
    if value is None:
        return None  # type: ignore[return-value]  # [object[]]$null is $null
    element = type_name.strip()[:-2] if type_name.strip().endswith("[]") else ""
    if isinstance(value, (list, tuple, range)):
        items = list(value)
    elif hasattr(value, "__next__"):
        items = list(value)
    elif isinstance(value, str) and element.lower() in ("char", "system.char"):
        items = list(value)
    else:
        items = [value]
    if element and lookup_type(element) not in ("object", "array"):
        return [convert_to(item, element) for item in items]
    return items


def _to_typed_array(value: Any, type_name: str) -> List[Any]:
    return _to_array(value, type_name)


def _to_hashtable(value: Any, type_name: str) -> Hashtable:
    if isinstance(value, Hashtable):
        return value
    if isinstance(value, dict):
        return Hashtable(value.items())
    if isinstance(value, PSObject):
        return Hashtable(value.items())
    raise _cast_error(value, "System.Collections.Hashtable")


def _to_ordered(value: Any, type_name: str) -> Hashtable:
    if isinstance(value, OrderedHashtable):
        return value
    return OrderedHashtable(_to_hashtable(value, type_name).items())


def _to_pscustomobject(value: Any, type_name: str) -> Any:
    if isinstance(value, dict):
        obj = PSObject(dict((k, v) for k, v in value.items() if to_str(k).lower() != "pstypename"))
        for k, v in value.items():
            if to_str(k).lower() == "pstypename":   # names the object's type, is no property
                obj.type_names.insert(0, to_str(v))
        return obj
    return value


def _identity(value: Any, type_name: str) -> Any:
    return value


def _to_datetime(value: Any, type_name: str) -> _dt.datetime:
    value = _unwrap_single(value)
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, int):
        return _dt.datetime(1, 1, 1) + _dt.timedelta(microseconds=value // 10)
    raise _cast_error(value, "System.DateTime")


def parse_datetime(text: str) -> _dt.datetime:
    cleaned = text.strip()
    formats = ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f",
               "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
               "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m/%d/%Y %I:%M:%S %p",
               "%d %B %Y", "%B %d, %Y", "%Y/%m/%d", "%H:%M:%S", "%H:%M")
    iso = cleaned.replace("Z", "+00:00") if cleaned.endswith("Z") else cleaned
    try:
        return _dt.datetime.fromisoformat(iso)
    except ValueError:
        pass
    for fmt in formats:
        try:
            parsed = _dt.datetime.strptime(cleaned, fmt)
            if fmt.startswith("%H"):
                today = _dt.date.today()
                parsed = parsed.replace(year=today.year, month=today.month, day=today.day)
            return parsed
        except ValueError:
            continue
    from pshell.engine.dates import parse_loose_datetime
    loose = parse_loose_datetime(cleaned)
    if loose is not None:
        return loose
    raise _cast_error(text, "System.DateTime",
                      f'String \'{text}\' was not recognized as a valid DateTime.')


def _to_timespan(value: Any, type_name: str) -> _dt.timedelta:
    value = _unwrap_single(value)
    if isinstance(value, _dt.timedelta):
        return value
    if isinstance(value, (int, float)):
        return _dt.timedelta(microseconds=value / 10)
    if isinstance(value, str):
        m = re.match(r"^\s*(-)?(?:(\d+)\.)?(\d+):(\d+)(?::(\d+)(?:\.(\d+))?)?\s*$", value)
        if m:
            sign = -1 if m.group(1) else 1
            days = int(m.group(2) or 0)
            frac = float("0." + m.group(6)) if m.group(6) else 0.0
            delta = _dt.timedelta(days=days, hours=int(m.group(3)), minutes=int(m.group(4)),
                                  seconds=int(m.group(5) or 0) + frac)
            return delta * sign
    raise _cast_error(value, "System.TimeSpan")


def _to_scriptblock(value: Any, type_name: str) -> Any:
    if hasattr(value, "ast") and hasattr(value, "text"):
        return value
    raise _cast_error(value, "System.Management.Automation.ScriptBlock")


def _to_regex(value: Any, type_name: str) -> Any:
    from pshell.engine.dotnet_regex import Regex, options_flags
    if isinstance(value, Regex):
        return value
    flags = 0
    if isinstance(value, (list, tuple)) and len(value) == 2:        # [regex]::new(p, options)
        value, flags = value[0], options_flags(value[1])
    text = to_str(value)
    return Regex(text, regex(text, not flags & re.IGNORECASE, flags & ~re.IGNORECASE))


def _to_void(value: Any, type_name: str) -> Any:
    return AutomationNull


def _to_switch(value: Any, type_name: str) -> bool:
    return to_bool(value)


def _to_version(value: Any, type_name: str) -> Any:
    from pshell.engine.version import Version
    found = Version.parse(value) if not isinstance(value, int) else None
    if found is None:
        raise _cast_error(value, "System.Version")
    return found


def _to_guid(value: Any, type_name: str) -> str:
    import uuid
    try:
        return Guid(uuid.UUID(to_str(value)))
    except ValueError:
        raise _cast_error(value, "System.Guid") from None


def _to_list(value: Any, type_name: str) -> List[Any]:
    return [] if value is None else _to_array(value, "object[]")   # [ArrayList]::new() is empty


def _numeric(kind: str) -> Callable[[Any, str], Any]:
    """The converter to one of engine/numbers.py's types."""
    full = _numbers.KINDS[kind][1]

    def to_kind(value: Any, type_name: str) -> Any:
        value = _unwrap_single(value)
        if isinstance(value, (list, tuple, dict, PSObject)):
            raise _cast_error(value, full)
        if isinstance(value, str) and type(value) is not PSChar and value.strip():
            try:
                return _numbers.convert(value, kind, to_number)
            except ConversionError:
                raise _cast_error(value, full, "Input string was not in a correct format.") from None
        return _numbers.convert(value, kind, lambda v: ord(v) if type(v) is PSChar else to_number(v))
    return to_kind


def _to_int32(value: Any, type_name: str) -> int:
    number = _to_int_kind(value, type_name)
    if not -2**31 <= number < 2**31:
        raise _cast_error(value, "System.Int32", "Value was either too large or too small for an "
                                                "Int32.")
    return number


def _to_user(value: Any, type_name: str) -> Any:
    from pshell.engine.classes import find_type
    from pshell.engine.dotnet_types import builtin_enum
    found = find_type(type_name) or builtin_enum(type_name)
    if found is None:
        raise _cast_error(value, type_name)
    return found.convert(value)


def _not_a_value(value: Any, type_name: str) -> Any:
    raise _cast_error(value, type_name)


def _to_named(value: Any, type_name: str) -> Any:
    if is_type(value, type_name):
        return value
    if type_name.strip().lower().rsplit(".", 1)[-1] == "cultureinfo" and value is not None:
        from pshell.engine.hostinfo import to_culture
        return to_culture(_unwrap_single(value))
    from pshell.engine.dotnet_types import CASTS
    key = type_name.strip().lower()
    cast = CASTS.get(key[7:] if key.startswith("system.") else key)
    if cast is not None and value is not None:          # [Uri]'...', [DateTimeOffset]$date
        try:
            return cast(_unwrap_single(value))
        except ValueError as exc:
            raise _cast_error(value, type_name, str(exc)) from None
        except TypeError:
            pass
    raise _cast_error(value, type_name)


def _to_secret(value: Any, type_name: str) -> Any:
    """[securestring] and [pscredential] take only what already is one (text is no secret)."""
    if value is None or is_type(value, type_name):
        return value
    raise _cast_error(value, type_name)


_CONVERTERS: Dict[str, Callable[[Any, str], Any]] = {
    "int": _to_int32, "double": _to_double,
    "string": _to_string, "bool": _to_bool, "char": _to_char, "array": _to_array,
    "string[]": _to_typed_array, "int[]": _to_typed_array, "long[]": _to_typed_array,
    "double[]": _to_typed_array, "bool[]": _to_typed_array, "byte[]": _to_typed_array,
    "char[]": _to_typed_array,
    "hashtable": _to_hashtable, "ordered": _to_ordered, "pscustomobject": _to_pscustomobject,
    "psobject": _identity, "object": _identity, "datetime": _to_datetime,
    "timespan": _to_timespan, "scriptblock": _to_scriptblock, "regex": _to_regex,
    "void": _to_void, "switch": _to_switch, "version": _to_version, "guid": _to_guid,
    "list": _to_list, "math": _not_a_value, "securestring": _to_secret, "pscredential": _to_secret,
    "environment": _not_a_value, "named": _to_named, "user": _to_user,
    "concurrentdictionary": lambda value, type_name: _new_concurrent(value),
    "ref": lambda value, type_name: _reference().to_reference(value),
    "modulespecification": lambda value, type_name: _to_module_spec(value),
    "xml": lambda value, type_name: _to_xml(value),
    "stack": lambda value, type_name: _new_stack(value),
    "generic": lambda value, type_name: _generics().convert(value, type_name),
}
_CONVERTERS.update((kind, _numeric(kind)) for kind in _numbers.KINDS)


def _to_xml(value: Any) -> Any:
    """``[xml]text``: a document (engine/xmldoc.py); text that is not XML is a cast error."""
    from pshell.engine import xmldoc
    if value is None:
        return None
    try:
        return xmldoc.to_document(value)
    except xmldoc.XmlError as exc:
        raise RuntimeException.make(
            f'Cannot convert value "{to_str(value)[:200]}" to type "System.Xml.XmlDocument". '
            f'Error: "{exc}"', "InvalidCastToXmlDocument", "InvalidArgument",
            exception_type="System.Management.Automation.PSInvalidCastException") from None


def _generics() -> Any:
    from pshell.engine import generics
    return generics


def _new_stack(value: Any) -> Any:
    from pshell.engine.dotnet_types import new_stack
    return new_stack(value)


def _reference() -> Any:
    from pshell.engine import reference
    return reference


def _to_module_spec(value: Any) -> Any:
    from pshell.engine.module_spec import to_spec
    return to_spec(value)


def _new_concurrent(value: Any) -> Any:
    from pshell.engine.values import ConcurrentDictionary
    if value is not None:
        raise RuntimeException.make("A ConcurrentDictionary is made empty: ::new().",
                                    "InvalidCastConstructorException", "InvalidArgument")
    return ConcurrentDictionary()


def is_type(value: Any, type_name: str) -> bool:
    kind = lookup_type(type_name)
    if value is None or value is AutomationNull:
        return False
    if kind == "psobject":
        # a bare string, number or bool (a literal, a variable's value) is no PSObject wrapper
        return not isinstance(value, (str, int, float, decimal.Decimal)) or type(value) is Guid
    if kind == "object":
        return True
    if kind == "generic":
        return bool(_generics().is_generic(value, type_name))
    checks: Dict[str, Callable[[Any], bool]] = {
        "int": lambda v: type(v) is int and -2**31 <= v < 2**31,
        "long": lambda v: type(v) is _numbers.PSInt64 or (type(v) is int and -2**63 <= v < 2**63
                                                          and not -2**31 <= v < 2**31),
        "bigint": lambda v: type(v) is _numbers.PSBigInteger or (type(v) is int and
                                                                 not -2**63 <= v < 2**63),
        "double": lambda v: type(v) is float,
        "string": lambda v: isinstance(v, str) and type(v) is not Guid,
        "guid": lambda v: type(v) is Guid,
        "bool": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, (list, tuple)),
        "hashtable": lambda v: isinstance(v, dict) and type(v) is not OrderedHashtable,
        "ordered": lambda v: isinstance(v, OrderedHashtable) or (isinstance(v, dict)
                                                                 and not isinstance(v, Hashtable)),
        "pscustomobject": lambda v: isinstance(v, PSObject),
        "datetime": lambda v: isinstance(v, _dt.datetime),
        "timespan": lambda v: isinstance(v, _dt.timedelta),
        "scriptblock": lambda v: hasattr(v, "ast") and hasattr(v, "text"),
        "securestring": lambda v: "System.Security.SecureString" in type_names_of(v),
        "pscredential": lambda v: "System.Management.Automation.PSCredential" in type_names_of(v),
        "ref": lambda v: "System.Management.Automation.PSReference" in type_names_of(v),
        "xml": lambda v: "System.Xml.XmlDocument" in type_names_of(v),
    }
    if type_name.strip().lower() in ("type", "system.type"):
        return isinstance(value, PSTypeInfo)
    check = checks.get(kind)
    if check is not None:
        return check(value)
    if kind in _numbers.KINDS:
        return type(value) is _numbers.KINDS[kind][0]
    wanted = type_name.lower()
    # the class's own names count too: PSTypeNames changed on an instance do not change its type
    names = type_names_of(value)
    own = getattr(type(value), "ps_type_names", None)
    if isinstance(own, (tuple, list)):
        names = names + list(own)
    return any(name.lower() in (wanted, "deserialized." + wanted) or
               name.lower().endswith("." + wanted) for name in names)


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
    import decimal
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
