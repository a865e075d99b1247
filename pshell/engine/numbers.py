""".NET's number types beyond Int32/Int64/Double, and arithmetic by .NET's rules.

A plain Python ``int`` is Int32 or Int64 (BigInteger past that) by its value and a plain ``float``
is a Double, so the hot paths (``type(x) is int``) never see what is here.  A value cast to or
written as another type is an instance of a small subclass that carries its .NET type: ``PSByte``,
``PSSByte``, ``PSInt16``, ``PSUInt16``, ``PSUInt32``, ``PSInt64``, ``PSUInt64``, ``PSBigInteger``
(int subclasses), ``PSSingle`` (a float subclass holding a value a float32 can hold) and
``decimal.Decimal`` for Decimal.  Python's own operators on them give plain values; PowerShell's
operators come here (:func:`binary`) and choose the result type as .NET does: the wider operand's
type, at least Int32, integer overflow to Double, a negative signed operand with an unsigned one
widening, Decimal overflow an error.
"""

from __future__ import annotations

import decimal
import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = ["PSInteger", "PSByte", "PSSByte", "PSInt16", "PSUInt16", "PSUInt32", "PSInt64",
           "PSUInt64", "PSBigInteger", "PSSingle", "Decimal", "is_typed", "binary", "negate",
           "convert", "KINDS", "format_single", "format_decimal", "make", "type_of_name",
           "DECIMAL_MAX", "NumberError"]

Decimal = decimal.Decimal
DECIMAL_MAX = Decimal("79228162514264337593543950335")
_CONTEXT = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_EVEN, Emax=999, Emin=-999)
_MANTISSA = 2**96 - 1

# .NET's TypeCode order: the wider operand's code picks the operation
CHAR, SBYTE, BYTE, INT16, UINT16, INT32, UINT32, INT64, UINT64, SINGLE, DOUBLE, DECIMAL = range(4, 16)
BIGINT = 20


class NumberError(ValueError):
    """A conversion or operation out of a type's range; the message is .NET's."""


class PSInteger(int):
    """An integer of one .NET type (the subclass says which)."""

    __slots__ = ()
    ps_type_names: Tuple[str, ...] = ()
    CODE = INT32
    MIN = -2**31
    MAX = 2**31 - 1
    RANGE_NAME = "an Int32"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"

    def __str__(self) -> str:
        return int.__repr__(self)

    def __reduce__(self) -> Any:
        return (type(self), (int(self),))


def _integer(name: str, code: int, low: int, high: int, range_name: str) -> type:
    return type("PS" + name, (PSInteger,), {
        "__slots__": (), "ps_type_names": (f"System.{name}", "System.ValueType"), "CODE": code,
        "MIN": low, "MAX": high, "RANGE_NAME": range_name, "__module__": __name__})


PSByte: Any = _integer("Byte", BYTE, 0, 255, "an unsigned byte")
PSSByte: Any = _integer("SByte", SBYTE, -128, 127, "a signed byte")
PSInt16: Any = _integer("Int16", INT16, -2**15, 2**15 - 1, "an Int16")
PSUInt16: Any = _integer("UInt16", UINT16, 0, 2**16 - 1, "a UInt16")
PSUInt32: Any = _integer("UInt32", UINT32, 0, 2**32 - 1, "a UInt32")
PSInt64: Any = _integer("Int64", INT64, -2**63, 2**63 - 1, "an Int64")
PSUInt64: Any = _integer("UInt64", UINT64, 0, 2**64 - 1, "a UInt64")


class PSBigInteger(PSInteger):
    __slots__ = ()
    ps_type_names = ("System.Numerics.BigInteger", "System.ValueType")
    CODE = BIGINT


def _single_value(value: float) -> float:
    """``value`` rounded to the nearest float32 (beyond its range: an infinity)."""
    import struct          # here: a Single is rare, and struct loads a C extension
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


class PSSingle(float):
    """A System.Single: the float32 nearest the value it was made from."""

    __slots__ = ()
    ps_type_names = ("System.Single", "System.ValueType")
    CODE = SINGLE

    def __new__(cls, value: Any = 0.0) -> "PSSingle":
        return float.__new__(cls, _single_value(float(value)))

    def __repr__(self) -> str:            # code that writes a float with repr() gets the double's
        return float.__repr__(self)

    def __str__(self) -> str:
        return format_single(self, shortest=True)

    def __reduce__(self) -> Any:
        return (PSSingle, (float(self),))


# kind (the name types.lookup_type gives) -> class, full name
KINDS: Dict[str, Tuple[Any, str]] = {
    "byte": (PSByte, "System.Byte"), "sbyte": (PSSByte, "System.SByte"),
    "int16": (PSInt16, "System.Int16"), "uint16": (PSUInt16, "System.UInt16"),
    "uint32": (PSUInt32, "System.UInt32"), "long": (PSInt64, "System.Int64"),
    "uint64": (PSUInt64, "System.UInt64"), "bigint": (PSBigInteger, "System.Numerics.BigInteger"),
    "single": (PSSingle, "System.Single"), "decimal": (Decimal, "System.Decimal"),
}
_BY_FULL_NAME = {full.lower(): kind for kind, (_, full) in KINDS.items()}


def type_of_name(full_name: str) -> Optional[str]:
    """The kind of a full .NET type name (``System.Byte`` -> ``byte``), or None."""
    return _BY_FULL_NAME.get(full_name.lower())


def is_typed(value: Any) -> bool:
    """Whether ``value`` is one of the types here (not a plain int/float, not an enum)."""
    kind = type(value)
    return kind is Decimal or kind is PSSingle or (isinstance(value, PSInteger))


# --------------------------------------------------------------------------- text

def format_single(value: float, shortest: bool = False) -> str:
    """A Single as PowerShell's string conversion writes it (7 significant digits) or, with
    ``shortest``, as its ToString() does: the shortest text that reads back as the same float32.
    Scientific from 1E+07 up and below 1E-05."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    for digits in range(1, 10):
        if not shortest:
            text = f"{value:.6e}"
            break
        text = f"{value:.{digits}e}" if digits > 1 else f"{value:.0e}"
        if _single_value(float(text)) == value:
            break
    mantissa, exp_text = text.split("e")
    exponent = int(exp_text)
    if -5 <= exponent < 7:
        return _plain(Decimal(text))
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return f"{mantissa}E{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_decimal(value: Decimal) -> str:
    """A Decimal as .NET writes it: never an exponent, its trailing zeros kept (``1.50``)."""
    if not value.is_finite():
        return str(value)
    text = format(value, "f")
    return "0" if text == "-0" else text


# --------------------------------------------------------------------------- conversion

def _code(value: Any) -> int:
    kind = type(value)
    if kind is int or kind is bool:
        return INT32 if -2**31 <= value < 2**31 else INT64 if -2**63 <= value < 2**63 else BIGINT
    if kind is float:
        return DOUBLE
    if kind is Decimal:
        return DECIMAL
    code = getattr(value, "CODE", None)
    if code is not None:
        return code
    if isinstance(value, int):                      # an enum's value, a noted or remote int
        return _code(int(value))
    return DOUBLE


def _to_decimal(value: Any) -> Decimal:
    if type(value) is Decimal:
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value) or abs(value) > 7.9228162514264337e28:
            raise NumberError("Value was either too large or too small for a Decimal.")
        return Decimal(f"{float(value):.15g}") if type(value) is not PSSingle else \
            Decimal(format_single(value))
    return Decimal(int(value))


def _decimal_result(result: Decimal) -> Decimal:
    """``result`` as a .NET Decimal holds it: at most 28 decimal places and a 96-bit mantissa
    (rounded half to even), beyond DECIMAL_MAX an error."""
    if not result.is_finite() or result.copy_abs() > DECIMAL_MAX:
        raise NumberError("Value was either too large or too small for a Decimal.")
    places = -int(result.as_tuple().exponent)
    if places > 28:
        places = 28
        result = result.quantize(Decimal(1).scaleb(-28), rounding=decimal.ROUND_HALF_EVEN,
                                 context=_CONTEXT)
    while places > 0 and abs(result.scaleb(places, context=_CONTEXT)) > _MANTISSA:
        places -= 1
        result = result.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_EVEN,
                                 context=_CONTEXT)
    return result


def round_half_even(value: Any) -> int:
    """A Double or Decimal to an integer as .NET converts it: midpoints to the even neighbour."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise NumberError("Value was either too large or too small for an Int32.")
    if type(value) is Decimal:
        return int(value.to_integral_value(rounding=decimal.ROUND_HALF_EVEN))
    return int(round(value))


def make(kind: str, number: Any) -> Any:
    """``number`` (already numeric: int, float, Decimal) as the type of ``kind``; out of range is a
    NumberError with .NET's wording."""
    cls = KINDS[kind][0]
    if cls is Decimal:
        return _decimal_result(_to_decimal(number))
    if cls is PSSingle:
        return PSSingle(float(number))
    whole = number if isinstance(number, int) else round_half_even(number)
    if cls is not PSBigInteger and not cls.MIN <= whole <= cls.MAX:
        raise NumberError(f"Value was either too large or too small for {cls.RANGE_NAME}.")
    return cls(whole)


def convert(value: Any, kind: str, to_number: Callable[[Any], Any]) -> Any:
    """``[kind]value`` for a number type: ``to_number`` turns text, bools and chars to numbers."""
    if value is None:
        return make(kind, 0)
    if isinstance(value, str) and not value.strip():
        return make(kind, 0)
    if kind == "decimal" and isinstance(value, str) and type(value) is str:
        try:
            return _decimal_result(Decimal(value.strip().replace("_", "")))
        except decimal.InvalidOperation:
            pass
    return make(kind, to_number(value))


# --------------------------------------------------------------------------- arithmetic

def _int_result(code: int, r: int) -> Any:
    """An integer result of the operation type ``code``: its type when in range, else a Double."""
    if code <= INT32:
        return r if -2**31 <= r < 2**31 else float(r)
    if code == UINT32:
        return PSUInt32(r) if 0 <= r < 2**32 else float(r)
    if code == INT64:
        return PSInt64(r) if -2**63 <= r < 2**63 else float(r)
    if code == UINT64:
        return PSUInt64(r) if 0 <= r < 2**64 else float(r)
    return PSBigInteger(r)


def _divide_by_zero() -> Exception:
    return ZeroDivisionError("Attempted to divide by zero.")


def _int_op(op: str, code: int, x: int, y: int) -> Any:
    if op == "+":
        return _int_result(code, x + y)
    if op == "-":
        return _int_result(code, x - y)
    if op == "*":
        return _int_result(code, x * y)
    if y == 0:
        raise _divide_by_zero()
    q, rem = abs(x) // abs(y), abs(x) % abs(y)
    if op == "%":
        return _int_result(code, -rem if x < 0 else rem)
    if code == BIGINT:                              # BigInteger division truncates
        return PSBigInteger(q if (x < 0) == (y < 0) else -q)
    if rem == 0:
        return _int_result(code, q if (x < 0) == (y < 0) else -q)
    return x / y


def _op_code(ca: int, cb: int, x: Any, y: Any) -> int:
    """The operation's type: the wider code; a negative signed operand with an unsigned one widens
    (UInt32 with it to Int64, UInt64 to Double)."""
    if ca == BIGINT or cb == BIGINT:
        return DOUBLE if DOUBLE in (ca, cb) or SINGLE in (ca, cb) else \
            DECIMAL if DECIMAL in (ca, cb) else BIGINT
    code = max(ca, cb)
    if code in (UINT32, UINT64) and (x < 0 or y < 0):
        return INT64 if code == UINT32 else DOUBLE
    return code


def binary(op: str, a: Any, b: Any) -> Any:
    """``a op b`` for ``+ - * / %`` on two numbers (at least one a type from here)."""
    ca, cb = _code(a), _code(b)
    code = _op_code(ca, cb, a, b)
    if code == DECIMAL:
        x, y = _to_decimal(a), _to_decimal(b)
        if op in "/%" and y == 0:
            raise _divide_by_zero()
        with decimal.localcontext(_CONTEXT):
            r = x + y if op == "+" else x - y if op == "-" else x * y if op == "*" else \
                x / y if op == "/" else x % y
        return _decimal_result(r)
    if code in (SINGLE, DOUBLE):
        fx, fy = float(a), float(b)
        if op in "/%" and fy == 0:
            if op == "%" or isinstance(a, int) and isinstance(b, int):
                raise _divide_by_zero()
            return math.copysign(math.inf, fx) if fx else math.nan
        return fx + fy if op == "+" else fx - fy if op == "-" else fx * fy if op == "*" else \
            fx / fy if op == "/" else math.fmod(fx, fy)
    return _int_op(op, code, int(a), int(b))


def bitwise(fn: Callable[[int, int], int], a: Any, b: Any) -> Any:
    """``-band -bor -bxor`` keep the wider integer type (at least Int32)."""
    code = _op_code(_code(a), _code(b), 0, 0)
    r = fn(int(a), int(b))
    if code <= INT32:
        return r
    cls = {UINT32: PSUInt32, INT64: PSInt64, UINT64: PSUInt64}.get(code, PSInt64)
    return cls(r & 0xFFFFFFFFFFFFFFFF if cls is PSUInt64 else r & 0xFFFFFFFF if cls is PSUInt32 else r)


def negate(value: Any) -> Any:
    code = _code(value)
    if code == DECIMAL:
        return value.copy_negate()
    if code == SINGLE:
        return PSSingle(-float(value))
    if code == BIGINT:
        return PSBigInteger(-int(value))
    if code == UINT64:
        return -float(value) if value else PSUInt64(0)
    return _int_result(INT64 if code in (UINT32, INT64) else INT32, -int(value))


def complement(value: Any) -> Any:
    """``-bnot``: the complement in the operand's own type (at least Int32)."""
    code = _code(value)
    n = int(value)
    if code == UINT32:
        return PSUInt32(~n & 0xFFFFFFFF)
    if code == UINT64:
        return PSUInt64(~n & 0xFFFFFFFFFFFFFFFF)
    if code == INT64:
        return PSInt64(~n)
    return ~n


# --------------------------------------------------------------------------- [T]:: members

def _limits(kind: str) -> Tuple[Any, Any]:
    cls = KINDS[kind][0]
    if cls is Decimal:
        return DECIMAL_MAX, DECIMAL_MAX.copy_negate()
    if cls is PSSingle:
        top = PSSingle(3.4028234663852886e38)
        return top, PSSingle(-top)
    return cls(cls.MAX), cls(cls.MIN)


def static_props() -> Dict[str, Dict[str, Callable[[], Any]]]:
    """``[byte]::MaxValue`` and the like, for statics.py's table (keyed by type name)."""
    tables: Dict[str, Dict[str, Callable[[], Any]]] = {}
    for kind in KINDS:
        if kind == "bigint":
            tables[kind] = {"zero": lambda: PSBigInteger(0), "one": lambda: PSBigInteger(1),
                            "minusone": lambda: PSBigInteger(-1)}
            continue
        top, bottom = _limits(kind)
        tables[kind] = {"maxvalue": _constant(top), "minvalue": _constant(bottom)}
    tables["decimal"].update(zero=lambda: Decimal(0), one=lambda: Decimal(1),
                             minusone=lambda: Decimal(-1))
    tables["single"].update(nan=lambda: PSSingle(math.nan), epsilon=lambda: PSSingle(1.401298464324817e-45),
                            positiveinfinity=lambda: PSSingle(math.inf),
                            negativeinfinity=lambda: PSSingle(-math.inf))
    return tables


def parse(kind: str, text: str) -> Any:
    """``[T]::Parse(text)``: the number the text spells (no hex, no multipliers), or NumberError."""
    stripped = text.strip().replace(",", "") if kind != "single" and kind != "decimal" else \
        text.strip()
    try:
        if kind in ("single", "decimal"):
            number: Any = Decimal(stripped) if kind == "decimal" else float(stripped)
            if kind == "decimal" and not number.is_finite():
                raise ValueError(text)
        else:
            if not stripped.lstrip("+-").isdigit():
                raise ValueError(text)
            number = int(stripped)
    except (ValueError, decimal.InvalidOperation):
        raise NumberError("The input string '" + text + "' was not in a correct format.") from None
    return make(kind, number)


def static_methods() -> Dict[str, Dict[str, Callable[[List[Any]], Any]]]:
    from pshell.engine.values import to_str
    tables: Dict[str, Dict[str, Callable[[List[Any]], Any]]] = {}
    for kind in KINDS:
        tables[kind] = {"parse": _parse_of(kind, to_str), "tryparse": _try_parse_of(kind)}
    return tables


def _parse_of(kind: str, to_str: Callable[[Any], str]) -> Callable[[List[Any]], Any]:
    return lambda args: _parse_args(kind, to_str, args)


def _try_parse_of(kind: str) -> Callable[[List[Any]], bool]:
    return lambda args: _try_parse(kind, args)


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _parse_args(kind: str, to_str: Callable[[Any], str], args: List[Any]) -> Any:
    return parse(kind, to_str(args[0]))


def _try_parse(kind: str, args: List[Any]) -> bool:
    from pshell.engine.reference import set_out
    from pshell.engine.values import to_str
    try:
        value, ok = parse(kind, to_str(args[0]) if args and args[0] is not None else ""), True
    except NumberError:
        value, ok = make(kind, 0), False
    if len(args) > 1:
        set_out(args[1], value)
    return ok
