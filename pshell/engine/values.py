"""pshell's value model.

PowerShell values map onto Python ones: ``$null`` is ``None``, numbers are ``int``/``float``, strings
``str``, booleans ``bool``, arrays ``list`` (a tuple is accepted wherever a list is), script blocks
:class:`~pshell.engine.runtime.ScriptBlock`, dates ``datetime``.  Two classes of our own:

- :class:`Hashtable` - a dict with case-insensitive string keys, insertion-ordered (``@{}`` and
  ``[ordered]@{}`` alike).
- :class:`PSObject` - a property bag (``[pscustomobject]@{}``, ``Select-Object`` results,
  deserialised remote objects) with ordered, case-insensitive properties and a list of type names.

Any other Python object is exposed through its attributes; a class may declare ``ps_properties``
(the properties formatting shows, in order) and ``ps_type_names`` (most specific first).
"""

from __future__ import annotations

try:                            # datetime's classes from the C module datetime.py re-exports:
    import _datetime as _dt     # datetime.py first defines them in Python (~0.6 ms of start-up)
except ImportError:
    import datetime as _dt
import math
from decimal import Decimal

from pshell.engine.numbers import PSSingle, format_decimal, format_single, round_half_even

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

__all__ = [
    "Hashtable", "OrderedHashtable", "PSObject", "PSChar", "PSTypeInfo", "AutomationNull", "type_names_of",
    "type_name_of",
    "properties_of", "get_property", "set_property", "to_bool", "to_str", "to_number", "to_int",
    "is_list", "as_list", "enumerate_value", "format_number", "format_date", "SwitchParameter",
    "InputEnumerator", "with_computer_name", "Guid", "DBNull", "NullString",
]


class _AutomationNull:
    """What a command that wrote nothing evaluates to; becomes ``$null`` when stored."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "AutomationNull"

    def __bool__(self) -> bool:
        return False


AutomationNull = _AutomationNull()


class _NullLike:
    """``[DBNull]::Value`` and ``[NullString]::Value``: objects, so ``??`` and ``?.`` keep them,
    yet equal to ``$null`` for ``-eq``, false, and empty as text."""

    __slots__ = ("ps_type_names",)
    ps_properties = ()

    def __init__(self, type_name: str) -> None:
        self.ps_type_names = (type_name,)

    def ToString(self) -> str:
        return ""

    def __repr__(self) -> str:
        return self.ps_type_names[0]

    def __bool__(self) -> bool:
        return False


DBNull = _NullLike("System.DBNull")
NullString = _NullLike("System.Management.Automation.Language.NullString")


class SwitchParameter:
    """``[switch]`` values: behave as bools, print as ``True``/``False``."""

    __slots__ = ("IsPresent",)
    ps_type_names = ("System.Management.Automation.SwitchParameter", "System.ValueType")
    ps_properties = ("IsPresent",)

    def __init__(self, present: bool) -> None:
        self.IsPresent = bool(present)

    def ToString(self) -> str:
        return "True" if self.IsPresent else "False"

    def ToBool(self) -> bool:
        return self.IsPresent

    def __bool__(self) -> bool:
        return self.IsPresent

    def __eq__(self, other: object) -> bool:
        return bool(self) == bool(other)

    def __hash__(self) -> int:
        return hash(self.IsPresent)

    def __repr__(self) -> str:
        return f"SwitchParameter({self.IsPresent})"


class PSChar(str):
    """A ``System.Char``: a one-character string that ``[int]`` turns into its code point."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"PSChar({str.__repr__(self)})"


def new_guid_v7() -> "Guid":
    """A time-ordered UUID (version 7): 48 bits of Unix milliseconds, then random bits."""
    import os
    import time
    raw = bytearray((int(time.time() * 1000) & (2**48 - 1)).to_bytes(6, "big") + os.urandom(10))
    raw[6] = (raw[6] & 0x0F) | 0x70
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return Guid(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")


class ConcurrentDictionary(dict):
    """System.Collections.Concurrent.ConcurrentDictionary: keys compare exactly (as its string
    comparer does), and its Try*/GetOrAdd methods are atomic under one lock."""

    __slots__ = ("lock",)

    def __init__(self) -> None:
        super().__init__()
        import _thread
        self.lock = _thread.allocate_lock()


class Hashtable(dict):
    """A dict whose string keys compare case-insensitively; the first spelling of a key is kept."""

    __slots__ = ("_folded", "__dict__")     # __dict__: what Add-Member puts on it

    def __init__(self, items: Iterable[Tuple[Any, Any]] = (), ordered: bool = False) -> None:
        super().__init__()
        self._folded: Dict[Any, Any] = {}
        for key, value in items:
            self[key] = value

    @staticmethod
    def _fold(key: Any) -> Any:
        return key.lower() if isinstance(key, str) else key

    def __setitem__(self, key: Any, value: Any) -> None:
        folded = self._fold(key)
        existing = self._folded.get(folded, _MISSING)
        if existing is _MISSING:
            self._folded[folded] = key
            super().__setitem__(key, value)
        else:
            super().__setitem__(existing, value)

    def __getitem__(self, key: Any) -> Any:
        real = self._folded.get(self._fold(key), _MISSING)
        if real is _MISSING:
            return None
        return super().__getitem__(real)

    def get(self, key: Any, default: Any = None) -> Any:
        real = self._folded.get(self._fold(key), _MISSING)
        return default if real is _MISSING else super().__getitem__(real)

    def __contains__(self, key: object) -> bool:
        return self._fold(key) in self._folded

    def __delitem__(self, key: Any) -> None:
        real = self._folded.pop(self._fold(key), _MISSING)
        if real is not _MISSING:
            super().__delitem__(real)

    def pop(self, key: Any, *default: Any) -> Any:
        real = self._folded.pop(self._fold(key), _MISSING)
        if real is _MISSING:
            if default:
                return default[0]
            raise KeyError(key)
        return super().pop(real)

    def clear(self) -> None:
        super().clear()
        self._folded.clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def copy(self) -> "Hashtable":
        return Hashtable(self.items())

    def real_key(self, key: Any) -> Any:
        return self._folded.get(self._fold(key), key)

    def __reduce__(self) -> Any:
        return (Hashtable, (list(self.items()),))


class OrderedHashtable(Hashtable):
    """``[ordered]@{}``: the same case-insensitive, insertion-ordered table, typed
    ``System.Collections.Specialized.OrderedDictionary``."""

    __slots__ = ()

    def copy(self) -> "OrderedHashtable":
        return OrderedHashtable(self.items())

    def __reduce__(self) -> Any:
        return (OrderedHashtable, (list(self.items()),))


_MISSING = object()


class PSObject:
    """A property bag with ordered, case-insensitive properties and PowerShell type names."""

    __slots__ = ("_props", "_names", "type_names")

    def __init__(self, props: Optional[Dict[str, Any]] = None,
                 type_names: Iterable[str] = ("System.Management.Automation.PSCustomObject",)) -> None:
        self._props: Dict[str, Any] = {}
        self._names: Dict[str, str] = {}
        self.type_names: List[str] = list(type_names)
        if props:
            for key, value in props.items():
                self.set(str(key), value)

    @classmethod
    def from_pairs(cls, pairs: Iterable[Tuple[str, Any]], type_names: Optional[Iterable[str]] = None
                   ) -> "PSObject":
        obj = cls() if type_names is None else cls(type_names=type_names)
        for key, value in pairs:
            obj.set(key, value)
        return obj

    def set(self, name: str, value: Any) -> None:
        folded = name.lower()
        real = self._names.get(folded)
        if real is None:
            self._names[folded] = name
            self._props[name] = value
        else:
            self._props[real] = value

    def get(self, name: str, default: Any = None) -> Any:
        real = self._names.get(name.lower())
        return default if real is None else self._props[real]

    def has(self, name: str) -> bool:
        return name.lower() in self._names

    def remove(self, name: str) -> None:
        real = self._names.pop(name.lower(), None)
        if real is not None:
            del self._props[real]

    def names(self) -> List[str]:
        return list(self._props)

    def items(self) -> List[Tuple[str, Any]]:
        return list(self._props.items())

    def __repr__(self) -> str:
        inner = "; ".join(f"{k}={v!r}" for k, v in self._props.items())
        return f"@{{{inner}}}"

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)


class PSTypeInfo:
    """What ``$x.GetType()`` and ``[int]`` evaluate to: a type name with ``Name``/``FullName``."""

    __slots__ = ("FullName",)
    ps_properties = ("Name", "FullName")

    def __init__(self, full_name: str) -> None:
        self.FullName = full_name

    @property
    def Name(self) -> str:
        return self.FullName.rsplit(".", 1)[-1]

    @property
    def Assembly(self) -> Any:
        """The engine's assembly (only to reach its TypeAccelerators type)."""
        from pshell.engine.accelerators import Assembly
        return Assembly()

    @property
    def BaseType(self) -> Optional["PSTypeInfo"]:
        from pshell.engine.type_facts import base_type_name
        base = base_type_name(self.FullName)
        return PSTypeInfo(base) if base else None

    @property
    def IsPublic(self) -> bool:
        return True

    @property
    def IsSerializable(self) -> bool:
        from pshell.engine.type_facts import is_serializable
        return is_serializable(self.FullName)

    @property
    def IsValueType(self) -> bool:
        from pshell.engine.type_facts import is_value_type
        return is_value_type(self.FullName)

    def ToString(self) -> str:
        return self.FullName

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PSTypeInfo) and other.FullName.lower() == self.FullName.lower()

    def __hash__(self) -> int:
        return hash(self.FullName.lower())

    def __repr__(self) -> str:
        return f"[{self.FullName}]"


# --------------------------------------------------------------------------- type names

def _int_type(value: int) -> str:
    if -2**31 <= value < 2**31:
        return "System.Int32"
    if -2**63 <= value < 2**63:
        return "System.Int64"
    return "System.Numerics.BigInteger"


def type_names_of(value: Any) -> List[str]:
    """PowerShell type names of a value, most specific first (``PSTypeNames``)."""
    if isinstance(value, PSObject):
        return value.type_names
    if isinstance(value, bool):
        return ["System.Boolean", "System.ValueType", "System.Object"]
    if isinstance(value, int):
        if type(value) is not int and hasattr(value, "ps_type_names"):
            return list(value.ps_type_names) + ["System.Object"]       # an enum's value
        return [_int_type(value), "System.ValueType", "System.Object"]
    if isinstance(value, float):
        if type(value) is PSSingle:
            return ["System.Single", "System.ValueType", "System.Object"]
        return ["System.Double", "System.ValueType", "System.Object"]
    if type(value) is Decimal:
        return ["System.Decimal", "System.ValueType", "System.Object"]
    if isinstance(value, str):
        if type(value) is PSChar:
            return ["System.Char", "System.ValueType", "System.Object"]
        if type(value) is Guid:
            return ["System.Guid", "System.ValueType", "System.Object"]
        return ["System.String", "System.Object"]
    if type(value) is ConcurrentDictionary:
        return ["System.Collections.Concurrent.ConcurrentDictionary`2", "System.Object"]
    if isinstance(value, Hashtable):
        if hasattr(value, "generic"):
            return value.generic.type_names()         # engine/generics.py's Dictionary[K, V]
        if type(value) is OrderedHashtable:
            return ["System.Collections.Specialized.OrderedDictionary", "System.Object"]
        return ["System.Collections.Hashtable", "System.Object"]
    if isinstance(value, dict):
        return ["System.Collections.Specialized.OrderedDictionary", "System.Object"]
    if isinstance(value, (list, tuple)):
        if type(value) is not list and hasattr(value, "generic"):
            return value.generic.type_names()         # engine/generics.py's List[T]
        return ["System.Object[]", "System.Array", "System.Object"]
    if isinstance(value, _dt.datetime):
        own = getattr(type(value), "ps_type_names", None)   # [DateTimeOffset]
        return list(own or ("System.DateTime", "System.ValueType")) + ["System.Object"]
    if isinstance(value, _dt.timedelta):
        return ["System.TimeSpan", "System.ValueType", "System.Object"]
    names = getattr(value, "ps_type_names", None)
    if names:
        return list(names) + ["System.Object"]
    return [f"pshell.{type(value).__name__}", "System.Object"]


def type_name_of(value: Any) -> str:
    return type_names_of(value)[0]


# --------------------------------------------------------------------------- properties

_TIMESPAN_PROPS = ("Days", "Hours", "Minutes", "Seconds", "Milliseconds", "Ticks", "TotalDays",
                   "TotalHours", "TotalMinutes", "TotalSeconds", "TotalMilliseconds")


#: what Export-Csv, Select-Object * and Format-List * show of a DateTime
_DATETIME_PROPS = ("DateTime", "Date", "Day", "DayOfWeek", "DayOfYear", "Hour", "Kind", "Millisecond",
                   "Minute", "Month", "Second", "Ticks", "TimeOfDay", "Year")


def properties_of(value: Any) -> List[str]:
    """The names formatting shows for a value, in order."""
    if isinstance(value, PSObject):
        return value.names()
    if value is None or isinstance(value, (str, int, float, bool)):
        return []
    if isinstance(value, dict):
        return []
    if isinstance(value, _dt.timedelta):
        return list(_TIMESPAN_PROPS)
    if isinstance(value, _dt.datetime) and not hasattr(value, "ps_properties"):
        return list(_DATETIME_PROPS)
    props = getattr(value, "ps_properties", None)
    if props is not None:
        return list(props)
    return [n for n in vars(value)] if hasattr(value, "__dict__") else []


class _NoProperty:
    __slots__ = ()


NO_PROPERTY = _NoProperty()


def get_property(value: Any, name: str, default: Any = NO_PROPERTY) -> Any:
    """Member access ``value.name`` with PowerShell's case-insensitivity.  Returns ``default``
    (``NO_PROPERTY`` unless given) when there is no such property."""
    if isinstance(value, PSObject):
        real = value._names.get(name.lower())
        if real is not None:
            return value._props[real]
        return default
    if isinstance(value, dict):
        if name in value:
            return value[name] if isinstance(value, Hashtable) else value.get(name)
        if not isinstance(value, Hashtable):
            for key in value:
                if isinstance(key, str) and key.lower() == name.lower():
                    return value[key]
        return default
    if value is None:
        return default
    attr = getattr(value, name, _MISSING)
    if attr is not _MISSING and not name.startswith("_"):
        return attr
    lowered = name.lower()
    for candidate in _attribute_names(value):
        if candidate.lower() == lowered and not candidate.startswith("_"):
            return getattr(value, candidate)
    return default


def _attribute_names(value: Any) -> Iterator[str]:
    props = getattr(value, "ps_properties", None)
    if props:
        yield from props
    yield from dir(value)


def set_property(value: Any, name: str, new: Any) -> None:
    if isinstance(value, PSObject):
        if not value.has(name):
            raise KeyError(name)
        value.set(name, new)
        return
    if isinstance(value, dict):
        value[name] = new
        return
    for candidate in _attribute_names(value):
        if candidate.lower() == name.lower():
            setattr(value, candidate, new)
            return
    raise KeyError(name)


# --------------------------------------------------------------------------- conversions

def is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def as_list(value: Any) -> List[Any]:
    """``@(value)``: a list for anything; ``$null`` is an empty list."""
    if value is None or value is AutomationNull:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, (tuple, range)) or getattr(type(value), "ps_enumerable", False):
        return list(value)
    return [value]


class InputEnumerator:
    """``$input``: an enumerator over what came down the pipeline (or ``-InputObject``), with
    ``MoveNext()``, ``Current`` and ``Reset()`` as in PowerShell; binding it to a parameter
    takes what is left of it."""

    ps_type_names = ("System.Collections.IEnumerator",)
    ps_properties = ("Current",)

    def __init__(self, source: Any = ()) -> None:
        self._source = iter(source)
        self._seen: List[Any] = []
        self._pos = 0
        self.Current: Any = None

    def __iter__(self) -> "InputEnumerator":
        return self

    def __next__(self) -> Any:
        if self._pos < len(self._seen):
            value = self._seen[self._pos]
        else:
            value = next(self._source)
            self._seen.append(value)
        self._pos += 1
        self.Current = value
        return value

    def MoveNext(self) -> bool:
        try:
            next(self)
        except StopIteration:
            self.Current = None
            return False
        return True

    def Reset(self) -> None:
        self._pos = 0
        self.Current = None

    def ToString(self) -> str:
        return "System.Collections.IEnumerator"


class Guid(str):
    """A System.Guid (a job's or session's InstanceId): its text, shown as a table headed Guid."""

    __slots__ = ()
    ps_type_names = ("System.Guid", "System.ValueType")
    ps_properties = ("Guid",)

    @property
    def Guid(self) -> str:
        return str.__str__(self)

    def ToString(self) -> str:
        return str.__str__(self)


_REMOTE_TYPES: Dict[Tuple[type, str], type] = {}


def with_computer_name(value: Any, computer: str) -> Any:
    """A remote command's result tagged with ``PSComputerName`` (and PowerShell's other remoting
    properties).  Objects get the properties; strings and numbers become instances of a subclass
    made once per computer, whose class carries them (so tagging costs one call per value, and
    ``"$_"``, comparisons and arithmetic see the plain value)."""
    kind = type(value)
    if kind is str or kind is int or kind is float:
        cls = _REMOTE_TYPES.get((kind, computer))
        if cls is None:
            cls = _REMOTE_TYPES[(kind, computer)] = type(kind.__name__, (kind,), {
                "__slots__": (), "PSComputerName": computer, "PSShowComputerName": True,
                "__reduce__": lambda self, k=kind, c=computer: (with_computer_name, (k(self), c))})
        return cls(value)
    if kind is _dt.datetime:
        cls = _REMOTE_TYPES.get((kind, computer))
        if cls is None:
            cls = _REMOTE_TYPES[(kind, computer)] = type("datetime", (kind,), {
                "__slots__": (), "PSComputerName": computer, "PSShowComputerName": True,
                "__reduce__": lambda self, c=computer: (
                    with_computer_name, (_dt.datetime.combine(self.date(), self.timetz()), c))})
        return cls.combine(value.date(), value.timetz())  # type: ignore[attr-defined]
    if isinstance(value, PSObject):
        value.set("PSComputerName", computer)
    return value


def remote_values(values: Iterable[Any], computer: str) -> Iterator[Any]:
    """``with_computer_name`` over a run of plain values (strings of one batch), at C speed."""
    it = iter(values)
    sentinel = object()
    first = next(it, sentinel)
    if first is sentinel:
        return iter(())
    if type(first) is not str:
        return map(lambda v: with_computer_name(v, computer), _chain(first, it))
    with_computer_name(first, computer)
    return map(_REMOTE_TYPES[(str, computer)], _chain(first, it))


def _chain(first: Any, rest: Iterable[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def enumerate_value(value: Any) -> Iterator[Any]:
    """What a pipeline does with a value written to it: arrays (and ranges, generators) are
    unrolled one level; everything else, hashtables and strings included, is one object."""
    if isinstance(value, (list, tuple, range)):
        return iter(value)
    if value is AutomationNull:
        return iter(())
    if hasattr(value, "__next__") and not isinstance(value, str):
        return value
    if getattr(type(value), "ps_enumerable", False):      # a .NET collection (Stack, HashSet)
        return iter(value)
    return iter((value,))


def to_bool(value: Any) -> bool:
    """PowerShell truthiness: ``$null``, 0, '', empty arrays are false; a one-element array is
    judged by its element; a longer array is true; any other object is true."""
    if value is None or value is AutomationNull or type(value) is _NullLike:
        return False
    if isinstance(value, (bool, int, float, Decimal)):
        return bool(value)
    if isinstance(value, str):
        return len(value) > 0
    if isinstance(value, (list, tuple)):
        if len(value) == 0:
            return False
        if len(value) == 1:
            return to_bool(value[0])
        return True
    if isinstance(value, SwitchParameter):
        return value.IsPresent
    return True


def format_number(value: float, roundtrip: bool = False) -> str:
    """A double as PowerShell prints it: 15 significant digits (with ``roundtrip``, as ToString()
    gives it: the shortest text that reads back the same), ``E+nn`` for large exponents."""
    if type(value) is PSSingle:
        return format_single(value, shortest=roundtrip)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exp = text.split("e")
        sign = "-" if exp.startswith("-") else "+"
        digits = exp.lstrip("+-").rjust(2, "0")
        return f"{mantissa}E{sign}{digits}"
    if not roundtrip and len(text.replace("-", "").replace(".", "").lstrip("0")) > 15:
        text = f"{value:.15g}"
    return text


def format_date(value: _dt.datetime) -> str:
    if getattr(value, "is_offset", False):
        return str(value)
    return value.strftime("%m/%d/%Y %H:%M:%S")


def to_str(value: Any, ofs: str = " ") -> str:
    """PowerShell's string conversion (as in ``"$x"`` and ``[string]$x``)."""
    if value is None or value is AutomationNull:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)           # (an enum's value: its name)
    if isinstance(value, float):
        return format_single(value) if type(value) is PSSingle else format_number(value)
    if type(value) is Decimal:
        return format_decimal(value)
    if isinstance(value, (list, tuple)):
        return ofs.join(to_str(item, ofs) for item in value)
    if isinstance(value, _dt.datetime):
        return format_date(value)
    if isinstance(value, _dt.timedelta):
        return format_timespan(value)
    if isinstance(value, Hashtable):
        if hasattr(value, "generic"):
            return value.ToString()  # type: ignore[attr-defined]
        if type(value) is OrderedHashtable:
            return "System.Collections.Specialized.OrderedDictionary"
        return "System.Collections.Hashtable"
    if isinstance(value, dict):
        return "System.Collections.Specialized.OrderedDictionary"
    if isinstance(value, PSObject):
        if not value.type_names or value.type_names[0] == "System.Management.Automation.PSCustomObject":
            inner = "; ".join(f"{k}={to_str(v)}" for k, v in value.items())
            return f"@{{{inner}}}"
        tostring = value.get("ToString")
        if isinstance(tostring, str):
            return tostring
        if getattr(value, "ps_class", None) is not None:
            from pshell.engine.classes import instance_to_string
            return instance_to_string(value)  # type: ignore[arg-type]
        return value.type_names[0].replace("Deserialized.", "", 1)
    method = getattr(value, "ToString", None)
    if callable(method):
        return str(method())
    return str(value)


def format_timespan(value: _dt.timedelta) -> str:
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rem = divmod(int(total), 86400)
    hours, rem = divmod(rem, 3600)
    minutes, seconds = divmod(rem, 60)
    frac = round((total - int(total)) * 10**7)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if days:
        text = f"{days}.{text}"
    if frac:
        text = f"{text}.{frac:07d}"
    return sign + text


class ConversionError(ValueError):
    pass


def to_number(value: Any) -> Any:
    """Numeric conversion for arithmetic: ints stay ints, numeric strings parse, ``$null`` is 0."""
    if value is None or value is AutomationNull:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) or type(value) is Decimal:
        return value
    if isinstance(value, str):
        if type(value) is PSChar:
            return ord(value)
        return parse_number(value)
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return to_number(value[0])
    if isinstance(value, SwitchParameter):
        return int(value.IsPresent)
    raise ConversionError(f'Cannot convert value "{to_str(value)}" of type "{type_name_of(value)}" '
                          f'to a number.')


_MULTIPLIERS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}


def parse_number(text: str) -> Any:
    stripped = text.strip()
    if not stripped:
        return 0
    lowered = stripped.lower().replace("_", "")
    mult = 1
    if lowered[-2:] in _MULTIPLIERS:
        mult = _MULTIPLIERS[lowered[-2:]]
        lowered = lowered[:-2]
    try:
        if lowered.startswith(("0x", "-0x", "+0x")):
            return int(lowered, 16) * mult
        if lowered.lstrip("+-").isdigit():
            return int(lowered) * mult
        number = float(lowered) * mult
        return number
    except ValueError:
        typed = _suffixed_number(stripped)
        if typed is not None:
            return typed
        raise ConversionError(f'Cannot convert value "{text}" to type "System.Int32". '
                              f'Error: "Input string was not in a correct format."') from None


def _suffixed_number(text: str) -> Any:
    """A number spelled with a type suffix (``"100y"``, ``"0x10L"``, ``"1.5d"``) as that type,
    or None."""
    from pshell.engine import numbers
    from pshell.lang.lex_numbers import literal_type, parse_number as parse_literal
    value = parse_literal(text)
    if value is None:
        return None
    kind = literal_type(text)
    try:
        return numbers.make(kind, value) if kind else value
    except numbers.NumberError:
        return None


def to_int(value: Any) -> int:
    """``[int]`` conversion: banker's rounding for doubles, as .NET does."""
    number = to_number(value)
    if isinstance(number, float):
        if math.isnan(number) or math.isinf(number):
            raise ConversionError(f'Cannot convert value "{format_number(number)}" to type "System.Int32".')
        return int(round(number))
    if type(number) is Decimal:
        return round_half_even(number)
    return int(number)
