"""Get-Date, Get-Random, Start-Sleep, Measure-Command, New-Object."""

from __future__ import annotations

import datetime as _dt
import weakref

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.errors import PipelineStopped, RuntimeException
from pshell.engine.numbers import PSInt64
from pshell.engine.values import (AutomationNull, Hashtable, PSObject, set_property, to_number,
                                  to_str, type_name_of)


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, Dict, Iterator, List, Optional, Tuple

def _to_datetime(cmdlet: Cmdlet, value: Any, parameter: str) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return _to_datetime(cmdlet, value[0], parameter)
    from pshell.engine.conversions import convert_to
    try:
        return convert_to(value, "datetime")
    except RuntimeException as exc:
        raise cmdlet.terminate(f"Cannot bind parameter '{parameter}'. {exc.record.message}",
                               "CannotConvertArgumentNoMessage", "InvalidArgument") from None


# --------------------------------------------------------------------------- Get-Date

def _uformat(value: _dt.datetime, fmt: str) -> str:
    from pshell.engine.dates import uformat
    return uformat(value, fmt)


def _date_argument(value: Any) -> Any:
    """-Date takes a date, or text or a number that converts to one; another object coming down
    the pipeline binds by its Date or LastWriteTime property instead."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, PSObject) or not isinstance(value, (_dt.datetime, str, int, float)):
        if value is not None and value is not AutomationNull:
            raise ValueError(f"Cannot convert the \"{to_str(value)}\" value to type "
                             f"\"System.DateTime\".")
    return value


def _file_stamp(value: _dt.datetime, with_time: bool, utc: bool) -> str:
    text = f"{value.year:04d}{value.month:02d}{value.day:02d}"
    if with_time:
        text += (f"T{value.hour:02d}{value.minute:02d}{value.second:02d}"
                 f"{value.microsecond // 100:04d}")
    return text + ("Z" if utc else "")


_DATE_PARTS = ("Year", "Month", "Day", "Hour", "Minute", "Second", "Millisecond")


@register
class GetDate(Cmdlet):
    name = "Get-Date"
    synopsis = "Gets the current date and time, or a date built from parts or parsed from text."
    default_set = "DateAndFormat"
    params = (
        Param("Date", _date_argument, position=0, pipeline=True, by_property=True,
              aliases=("LastWriteTime",), sets=("DateAndFormat", "DateAndUFormat")),
        Param("UnixTimeSeconds", "long", aliases=("UnixTime",),
              sets=("UnixTimeSecondsAndFormat", "UnixTimeSecondsAndUFormat")),
        Param("Year", "int"), Param("Month", "int"), Param("Day", "int"), Param("Hour", "int"),
        Param("Minute", "int"), Param("Second", "int"), Param("Millisecond", "int"),
        Param("DisplayHint", "string", validate_set=("Date", "Time", "DateTime")),
        Param("Format", "string", sets=("DateAndFormat", "UnixTimeSecondsAndFormat")),
        Param("UFormat", "string", sets=("DateAndUFormat", "UnixTimeSecondsAndUFormat")),
        Param("AsUTC", "switch"),
    )

    def process(self) -> Iterator[Any]:
        if self.is_bound("UFormat") and not self.UFormat:
            empty = "EmptyString" if self.UFormat == "" else "Null"
            raise self.terminate(f"Cannot validate argument on parameter 'UFormat'. The argument is "
                                 f"{'empty' if empty == 'EmptyString' else 'null'}. Provide a "
                                 f"valid value for the argument, and then try running the "
                                 f"command again.", f"ParameterArgumentValidationError{empty}NotAllowed",
                                 "InvalidData")
        if self.Format is not None and self.UFormat is not None:
            raise self.terminate("Parameter set cannot be resolved using the specified named "
                                 "parameters. One or more parameters issued cannot be used "
                                 "together or an insufficient number of parameters were provided.",
                                 "AmbiguousParameterSet", "InvalidArgument")
        value = self._base()
        value = self._with_parts(value)
        if self.AsUTC:
            aware = value if value.tzinfo else value.astimezone()
            value = aware.astimezone(_dt.timezone.utc)
        if self.UFormat is not None:
            yield _uformat(value, self.UFormat)
        elif self.Format is not None:
            from pshell.engine.dates import format_datetime
            kind = self.Format.lower()
            if kind in ("filedate", "filedatetime", "filedateuniversal", "filedatetimeuniversal"):
                universal = kind.endswith("universal")
                if universal:
                    try:
                        value = value.astimezone(_dt.timezone.utc)
                    except (OverflowError, ValueError, OSError):
                        pass
                yield _file_stamp(value, "time" in kind, universal)
            else:
                yield format_datetime(value, self.Format)
        elif self.DisplayHint is not None:
            from pshell.engine.dates import with_display_hint
            yield with_display_hint(value, self.DisplayHint)
        else:
            yield value

    def _base(self) -> _dt.datetime:
        if self.UnixTimeSeconds is not None:
            moment = _dt.datetime.fromtimestamp(int(self.UnixTimeSeconds), _dt.timezone.utc)
            return moment.astimezone().replace(tzinfo=None)
        if self.Date is not None and self.Date is not AutomationNull:
            return _to_datetime(self, self.Date, "Date")
        return _dt.datetime.now()

    def _with_parts(self, value: _dt.datetime) -> _dt.datetime:
        changes: Dict[str, Any] = {}
        for part in _DATE_PARTS:
            given = getattr(self, part)
            if given is None:
                continue
            if part == "Millisecond":
                changes["microsecond"] = int(given) * 1000 + value.microsecond % 1000
            else:
                changes[part.lower()] = int(given)
        if not changes:
            return value
        try:
            return value.replace(**changes)
        except ValueError as exc:
            raise self.terminate(f"Cannot build the date: {exc}.", "ArgumentOutOfRange",
                                 "InvalidArgument") from None


# --------------------------------------------------------------------------- Get-Random

_GENERATORS: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
INT32_MAX = 2**31 - 1


def _generator(cmdlet: Cmdlet, seed: Optional[int] = None) -> Any:
    import random
    runspace = cmdlet.runspace
    try:
        found = _GENERATORS.get(runspace)
    except TypeError:
        found = None
    if found is None or seed is not None:
        found = random.Random(seed)
        try:
            _GENERATORS[runspace] = found
        except TypeError:
            pass
    return found


def _is_double(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, str):
        return any(ch in value for ch in ".eE") and not value.lower().startswith("0x")
    return False


def _wants_int64(given: Tuple[Any, ...], bounds: Tuple[int, int]) -> bool:
    """pwsh draws an Int64 when a bound is one, or does not fit an Int32."""
    return any(type_name_of(v) == "System.Int64" for v in given if v is not None) or any(
        not -2**31 <= b <= INT32_MAX for b in bounds)


@register
class GetRandom(Cmdlet):
    name = "Get-Random"
    synopsis = "Gets a random number, or random items from a collection."
    default_set = "RandomNumberParameterSet"
    params: ClassVar[Tuple[Param, ...]] = (
        Param("Maximum", "object", position=0, sets=("RandomNumberParameterSet",)),
        Param("Minimum", "object", sets=("RandomNumberParameterSet",)),
        Param("InputObject", "object", pipeline=True, sets=("RandomListItemParameterSet",
                                                          "ShuffleParameterSet")),
        Param("Count", "int", sets=("RandomNumberParameterSet", "RandomListItemParameterSet")),
        Param("SetSeed", "int"),
        Param("Shuffle", "switch", sets=("ShuffleParameterSet",)),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if self.Count is not None and self.Count < 1:
            raise self.terminate(
                f"Cannot validate argument on parameter 'Count'. The {self.Count} argument is less "
                f"than the minimum allowed range of 1. Supply an argument that is greater than or "
                f"equal to 1 and then try the command again.", "ParameterArgumentValidationError",
                "InvalidData")
        if self.name == "Get-SecureRandom":
            import random
            rng: Any = random.SystemRandom()
        else:
            rng = _generator(self, self.SetSeed)
        if upstream is not None or self.is_bound("InputObject") or self.Shuffle:
            items: List[Any] = []
            if upstream is not None:
                for item in upstream:
                    items.extend(item if isinstance(item, (list, tuple)) else [item])
            elif self.is_bound("InputObject"):
                value = self.InputObject
                items = list(value) if isinstance(value, (list, tuple)) else [value]
            if not items:
                return
            if self.Shuffle:
                count = len(items)
            else:
                count = 1 if self.Count is None else max(0, min(int(self.Count), len(items)))
            yield from rng.sample(items, count)
            return
        count = 1 if self.Count is None else int(self.Count)
        for _ in range(max(count, 0)):
            yield self._number(rng)

    def _number(self, rng: Any) -> Any:
        maximum, minimum = self.Maximum, self.Minimum
        as_double = _is_double(maximum) or _is_double(minimum)
        try:
            high = None if maximum is None else to_number(maximum)
            low = 0 if minimum is None else to_number(minimum)
        except (ValueError, TypeError) as exc:
            raise self.terminate(str(exc), "InvalidArgument", "InvalidArgument") from None
        if as_double:
            low_f = float(low)
            high_f = float(high) if high is not None else float(INT32_MAX)
            self._check_range(low, high if high is not None else high_f)
            return low_f + rng.random() * (high_f - low_f)
        high_i = INT32_MAX if high is None else int(high)
        self._check_range(low, high_i)
        drawn = rng.randrange(int(low), high_i)
        return PSInt64(drawn) if _wants_int64((maximum, minimum), (high_i, int(low))) else drawn

    def _check_range(self, low: Any, high: Any) -> None:
        if low >= high:
            raise self.terminate(
                f"The Minimum value ({to_str(low)}) cannot be greater than or equal to the "
                f"Maximum value ({to_str(high)}).", "MinGreaterThanOrEqualMax", "InvalidArgument")


@register
class GetSecureRandom(GetRandom):
    name = "Get-SecureRandom"
    synopsis = "Gets a random number or random items, from the system's cryptographically secure source."
    params: ClassVar[Tuple[Param, ...]] = tuple(p for p in GetRandom.params if p.name != "SetSeed")

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        self.SetSeed = None
        return super().run(upstream)


# --------------------------------------------------------------------------- Start-Sleep

def _seconds_or_span(value: Any) -> Any:
    """-Seconds as a Double; a TimeSpan given by position or through the pipeline is kept for
    -Duration (pwsh picks the FromTimeSpan set by the argument's type)."""
    if isinstance(value, _dt.timedelta):
        return value
    from pshell.engine.binder import _convert_scalar
    return _convert_scalar("double", value)


_seconds_or_span.type_label = "System.Double"     # type: ignore[attr-defined]


@register
class StartSleep(Cmdlet):
    name = "Start-Sleep"
    synopsis = "Suspends the script for a time; Ctrl-C or Stop-Job ends the wait at once."
    default_set = "Seconds"
    params = (
        Param("Seconds", _seconds_or_span, position=0, mandatory=("Seconds",), sets=("Seconds",),
              pipeline=True),
        Param("Milliseconds", "int", mandatory=("Milliseconds",), sets=("Milliseconds",),
              aliases=("ms",)),
        Param("Duration", "timespan", mandatory=("FromTimeSpan",), sets=("FromTimeSpan",),
              aliases=("ts",)),
    )

    def process(self) -> None:
        span: Any = self.Duration
        by_seconds: Any = self.Seconds
        if isinstance(by_seconds, _dt.timedelta):     # Start-Sleep $span: the FromTimeSpan set
            span, by_seconds = by_seconds, None
        if isinstance(span, _dt.timedelta):
            if span < _dt.timedelta(0):
                raise self.terminate(
                    f"Cannot validate argument on parameter 'Duration'. The {to_str(span)} "
                    f"argument is less than zero.", "ParameterArgumentValidationError", "InvalidData")
            if span.total_seconds() * 1000 > 2 ** 31 - 1:
                raise self.terminate(
                    f"Cannot sleep for {to_str(span)}: the longest sleep is "
                    f"{to_str(_dt.timedelta(milliseconds=2 ** 31 - 1))}.", "MaximumDurationExceeded",
                    "InvalidArgument", span)
        if span is not None:
            seconds = span.total_seconds() if isinstance(span, _dt.timedelta) else float(to_number(span))
        elif self.Milliseconds is not None:
            seconds = int(self.Milliseconds) / 1000.0
        elif by_seconds is not None:
            seconds = float(by_seconds)
        else:
            raise self.terminate("Cannot process command because of one or more missing "
                                 "mandatory parameters: Seconds.", "MissingMandatoryParameter",
                                 "InvalidArgument")
        if seconds < 0:
            raise self.terminate(
                f"Cannot validate argument on parameter 'Seconds'. The {to_str(seconds)} argument "
                f"is less than the minimum allowed range of 0. Supply an argument that is greater "
                f"than or equal to 0 and then try the command again.",
                "ParameterArgumentValidationError", "InvalidData")
        self._sleep(seconds)

    def _sleep(self, seconds: float) -> None:
        waiter = getattr(self.runspace, "wait_stop", None)
        if waiter is not None:
            if waiter(seconds):
                raise PipelineStopped()
            return
        import time
        deadline = time.monotonic() + seconds
        while True:
            if self.stopping:
                raise PipelineStopped()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.05))


# --------------------------------------------------------------------------- Measure-Command

@register
class MeasureCommand(Cmdlet):
    name = "Measure-Command"
    synopsis = "Times how long a script block takes to run (its output is discarded)."
    params = (
        Param("Expression", "scriptblock", position=0, mandatory=True),
        Param("InputObject", "object", pipeline=True),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        import time
        elapsed = 0.0
        inputs: Iterator[Any] = iter((None,)) if upstream is None else upstream
        for item in inputs:
            start = time.perf_counter()
            for _ in self.invoke_iter(self.Expression, dollar_under=item, new_scope=False):
                pass
            elapsed += time.perf_counter() - start
        yield _dt.timedelta(seconds=elapsed)


# --------------------------------------------------------------------------- New-Object

_PSOBJECT_NAMES = {"psobject", "system.management.automation.psobject", "pscustomobject",
                   "system.management.automation.pscustomobject", "object", "system.object"}
_LIST_NAMES = {"system.collections.arraylist", "collections.arraylist", "arraylist"}
_TABLE_NAMES = {"hashtable", "system.collections.hashtable", "collections.hashtable"}
_ORDERED_NAMES = {"ordered", "system.collections.specialized.ordereddictionary",
                  "collections.specialized.ordereddictionary"}


_NOT_A_TYPE = object()


@register
class NewObject(Cmdlet):
    name = "New-Object"
    synopsis = "Creates an object: PSObject (with -Property), ArrayList, List, Hashtable, DateTime."
    default_set = "Net"
    params = (
        Param("TypeName", "string", position=0, mandatory=("Net",), sets=("Net",)),
        Param("ArgumentList", "object[]", position=1, aliases=("Args",), sets=("Net",)),
        Param("Property", "object"),
    )       # no -ComObject: pwsh off Windows has none either

    def process(self) -> Iterator[Any]:
        name = (self.TypeName or "").strip()
        if name.startswith("[") and name.endswith("]"):
            name = name[1:-1]
        obj = self._create(name, list(self.ArgumentList or []))
        if self.Property is not None:
            self._apply(obj, self.Property)
        yield obj

    def _create(self, name: str, args: List[Any]) -> Any:
        key = name.lower()
        if key in _PSOBJECT_NAMES:
            if key in ("object", "system.object"):
                return PSObject(type_names=("System.Object",))
            return PSObject()
        from pshell.engine import generics
        if generics.resolve(name) is not None:      # List[int], Dictionary[string, int] ...
            return generics.new(name, args)
        if key in _LIST_NAMES or key.startswith(("system.collections.generic.list",
                                                 "collections.generic.list")):
            if args and isinstance(args[0], (list, tuple)):
                return list(args[0])
            return []
        if key in _TABLE_NAMES:
            return Hashtable()
        if key in _ORDERED_NAMES:
            return Hashtable(ordered=True)
        if key in ("datetime", "system.datetime"):
            try:
                parts: List[Any] = [int(to_number(a)) for a in args] if args else [1, 1, 1]
                return _dt.datetime(*parts)
            except (TypeError, ValueError) as exc:
                raise self.terminate(f"Cannot create DateTime: {exc}.", "ConstructorInvokedThrowException",
                                     "InvalidOperation") from None
        if key in ("timespan", "system.timespan"):
            return self._timespan(args)
        if key in ("string", "system.string"):
            if len(args) == 2:
                return to_str(args[0]) * int(to_number(args[1]))
            return "".join(to_str(a) for a in args)
        from pshell.engine.credentials import CONSTRUCTORS
        new = CONSTRUCTORS.get(key[7:] if key.startswith("system.") else key)
        if new is not None:          # New-Object System.Management.Automation.PSCredential(u, p)
            return new(args)
        from pshell.engine.dotnet_types import CONSTRUCTORS as DOTNET_CONSTRUCTORS
        make = DOTNET_CONSTRUCTORS.get(key[7:] if key.startswith("system.") else key)
        if make is not None:         # New-Object System.Text.UTF8Encoding $false
            return self._construct(make, name, args)
        from pshell.engine.statics import static_new
        made = static_new(name, self.runspace)
        if made is not None:          # a type whose [T]::new() pshell has
            return self._construct(made, name, args)
        from pshell.engine.constructors import construct
        found = self._construct(lambda a: construct(self.ctx.frame, name, a), name, args)
        if found is not _NOT_A_TYPE:
            return found
        raise RuntimeException(self.error_record(
            f"Cannot find type [{name}]: verify that the assembly containing this type is loaded.",
            "TypeNotFound", "InvalidType", name,
            exception_type="System.Management.Automation.PSArgumentException"))

    def _construct(self, make: Any, name: str, args: List[Any]) -> Any:
        try:
            return make(args)
        except RuntimeException as exc:
            if exc.record.FullyQualifiedErrorId.split(",")[0] == "TypeNotFound":
                return _NOT_A_TYPE
            raise self._constructor_failed(exc.record.message, name, getattr(
                exc.record.Exception, "type_name", "")) from None
        except (ValueError, TypeError) as exc:
            raise self._constructor_failed(f"Cannot create [{name}]: {exc}.", name, "") from None

    def _constructor_failed(self, message: str, name: str, inner_type: str) -> RuntimeException:
        """The constructor refused its arguments (a MethodException) or threw (the rest)."""
        kind = inner_type if inner_type.endswith(".MethodException") else \
            "System.Management.Automation.MethodInvocationException"
        return RuntimeException(self.error_record(message, "ConstructorInvokedThrowException",
                                                  "InvalidOperation", name, exception_type=kind))

    def _timespan(self, args: List[Any]) -> _dt.timedelta:
        numbers = [int(to_number(a)) for a in args]
        if len(numbers) == 1:
            return _dt.timedelta(microseconds=numbers[0] / 10)
        if len(numbers) == 3:
            return _dt.timedelta(hours=numbers[0], minutes=numbers[1], seconds=numbers[2])
        if len(numbers) in (4, 5):
            return _dt.timedelta(days=numbers[0], hours=numbers[1], minutes=numbers[2],
                                 seconds=numbers[3],
                                 milliseconds=numbers[4] if len(numbers) == 5 else 0)
        return _dt.timedelta(0)

    def _apply(self, obj: Any, props: Any) -> None:
        if not isinstance(props, dict):
            raise self.terminate("Cannot bind parameter 'Property'. The value is not a hashtable.",
                                 "CannotConvertArgument", "InvalidArgument")
        for key, value in props.items():
            name = to_str(key)
            if isinstance(obj, PSObject):
                obj.set(name, value)
            elif isinstance(obj, dict):
                obj[name] = value
            else:
                try:
                    set_property(obj, name, value)
                except (KeyError, AttributeError, TypeError):
                    self.write_error(
                        f'The member "{name}" was not found for the specified .NET object.',
                        "InvalidOperationException", "InvalidOperation", obj)
