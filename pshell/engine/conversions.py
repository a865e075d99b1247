"""Conversions: ``[type]value`` (convert_to and its table of converters per kind) and the cast
errors pwsh reports for them."""

from __future__ import annotations

try:                            # datetime's classes from the C module datetime.py re-exports:
    import _datetime as _dt     # datetime.py first defines them in Python (~0.6 ms of start-up)
except ImportError:
    import datetime as _dt

from pshell.engine import numbers as _numbers
from pshell.engine.errors import RuntimeException
from pshell.engine.operators import regex
from pshell.engine.types import full_type_name, is_type, lookup_type
from pshell.engine.values import (AutomationNull, ConversionError, Guid, Hashtable, OrderedHashtable, PSChar,
                                  PSObject, to_bool, to_number, to_str, type_names_of)


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List

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
        import re
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
    import re
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
