"""The remoting wire protocol: its messages and the serialisation of the values in them.

Each message is a JSON object ``{"t": type, ...}`` that crosses as a frame
(:mod:`pshell.remote.framing`).  Messages (client -> server unless noted):

``hello``      {v, session, name}            server answers ``hello`` {v, pid, user, host, python,
                                             session, name}
``create``     {rs}                          make runspace ``rs``; answer ``created`` {rs, prompt}
``invoke``     {id, rs, script, args, using, input, source, top}
``out``        {id, o: [values]}             (server) a batch of output objects, in order; as a
                                             binary frame (framing.encode_frame), one raw bytes chunk
                                             of native output (only when ``invoke`` had ``raw``),
                                             or with ``ln: n`` a batch of n strings, UTF-8, joined
                                             by newlines (framing.lines_message)
``rec``        {id, s: stream, r: record}    (server) an error/warning/verbose/debug/information/
                                             progress record, of its stream's kind only (an
                                             information one with ``hid``: shown by no host)
``done``       {id, ok, error, exit, prompt, o} (server) the invocation ended; ``o`` its last
                                             output objects (if any); ``error`` is the
                                             terminating error record, ``exit`` an exit code when
                                             the script ran ``exit``
``stop``       {id}                          stop a running invocation
``complete``   {id, rs, text, cursor}        answer ``completion`` {id, start, end, matches}
``prompt``     {id, rs}                      answer ``prompt`` {id, prompt}
``close``      {rs}                          close one runspace (all when ``rs`` is absent)
``bye``        {reason}                      (server) the server is going away

Values travel as plain JSON where JSON has the type (null, booleans, numbers, strings, arrays);
everything else is a JSON object tagged with ``"@"`` (so a JSON object is never ambiguous).  Objects
become property bags with their type names prefixed ``Deserialized.`` - like PowerShell's
deserialised objects - and nesting is cut at a depth so cycles cannot hang (deeper values arrive as
their string form).  Arguments and ``$using:`` values are data inside the message: nothing is ever
spliced into script text.
"""

from __future__ import annotations

try:                            # datetime's classes from the C module datetime.py re-exports:
    import _datetime as _dt     # datetime.py first defines them in Python (~0.6 ms of a fan-out)
except ImportError:
    import datetime as _dt

from pshell.engine import numbers
from pshell.engine.errors import ErrorRecord, ExceptionInfo
from pshell.engine.streams import (DebugRecord, HiddenInformation, InformationRecord, ProgressRecord,
                                   VerboseRecord, WarningRecord)
from pshell.engine.values import Hashtable, PSObject, to_str
from pshell.lang.errors import SourceLocation
from pshell.remote.framing import ProtocolError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, Optional

__all__ = ["PROTOCOL_VERSION", "serialize", "deserialize", "serialize_record", "deserialize_record",
           "DeserializedObject", "DEFAULT_DEPTH", "prompt_info"]

PROTOCOL_VERSION = 2      # 2: fragmented messages
DEFAULT_DEPTH = 4
_SCALARS = (str, int, float, bool, type(None))


# --------------------------------------------------------------------------- values

def serialize(value: Any, depth: int = DEFAULT_DEPTH, secrets: bool = False) -> Any:
    """A JSON-able form of ``value``; nesting deeper than ``depth`` becomes strings.

    A secret (SecureString, PSCredential, NetworkCredential: ``ps_secret``) goes with its text
    only when ``secrets`` is true - what the SSH channel (encrypted) asks for, so that the other
    side gets a usable one.  Otherwise (the remote spool, anything written to a file) it is only
    its type, as before: secret text never reaches a disk."""
    if type(value) in _SCALARS:
        return value
    return _serialize(value, depth, secrets)


def _serialize(value: Any, depth: int, secrets: bool = False) -> Any:
    if numbers.is_typed(value):         # a Byte, Int64, Decimal, Single...: its exact type crosses
        return {"@": "n", "t": value.ps_type_names[0] if hasattr(value, "ps_type_names")
                else "System.Decimal", "v": str(value) if type(value) is not numbers.PSSingle
                else repr(float(value))}
    if isinstance(value, _SCALARS):
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str(value)
        return None
    if isinstance(value, (list, tuple)):
        if depth <= 0:
            return "System.Object[]"
        return [serialize(item, depth - 1, secrets) for item in value]
    if isinstance(value, dict):
        if depth <= 0:
            return "System.Collections.Hashtable"
        pairs = [[serialize(k, depth - 1, secrets), serialize(v, depth - 1, secrets)]
                 for k, v in value.items()]
        result: Dict[str, Any] = {"@": "h", "v": pairs}
        if not isinstance(value, Hashtable):
            result["ord"] = 1
        return result
    if isinstance(value, _dt.datetime):
        return {"@": "d", "v": value.isoformat()}
    if isinstance(value, _dt.timedelta):
        return {"@": "ts", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, (bytes, bytearray)):
        import base64
        return {"@": "b", "v": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, ErrorRecord) or isinstance(value, _RECORD_TYPES):
        return serialize_record(value)
    if _is_scriptblock(value):
        return to_str(value)
    if isinstance(value, PSObject):
        return _serialize_bag(value.type_names, value.items(), value, depth, secrets)
    if getattr(type(value), "ps_secret", False) is True:
        return _serialize_secret(value, depth, secrets)
    props = getattr(value, "ps_properties", None)
    if props is not None:
        from pshell.engine.values import get_property, type_names_of
        items = []
        for name in props:
            try:
                items.append((name, get_property(value, name, None)))
            except Exception as exc:  # a property getter failed: keep the object, not the error
                items.append((name, f"<{exc}>"))
        return _serialize_bag(type_names_of(value), items, value, depth, secrets)
    return to_str(value)


def _serialize_secret(value: Any, depth: int, secrets: bool) -> Any:
    """``{"@": "ss", "v": text}``, ``{"@": "pc", "u": user, "p": text}`` and ``{"@": "nc", "u":
    user, "p": text, "dm": domain}`` on the wire; elsewhere a bag of the type name alone."""
    from pshell.engine.credentials import NetworkCredential, PSCredential, SecureString, plain_text
    if not secrets:
        return {"@": "o", "n": [type(value).ps_type_names[0], "System.Object"], "p": {},
                "s": type(value).ps_type_names[0]}
    if isinstance(value, SecureString):
        return {"@": "ss", "v": value.plain_text()}
    if isinstance(value, PSCredential):
        return {"@": "pc", "u": None if value.UserName is None else to_str(value.UserName),
                "p": plain_text(value.Password)}
    if isinstance(value, NetworkCredential):
        return {"@": "nc", "u": to_str(value.UserName), "p": to_str(value.Password),
                "dm": to_str(value.Domain)}
    return to_str(value)


def _is_scriptblock(value: Any) -> bool:
    return type(value).__name__ == "ScriptBlock"


def _serialize_bag(type_names: Iterable[str], items: Iterable[Any], value: Any, depth: int,
                   secrets: bool = False) -> Any:
    names = [n for n in type_names if n != "System.Object"] + ["System.Object"]
    if depth <= 0:
        return {"@": "o", "n": names, "p": {}, "s": _safe_str(value)}
    props = {}
    for name, item in items:
        props[str(name)] = serialize(item, depth - 1, secrets)
    return {"@": "o", "n": names, "p": props, "s": _safe_str(value)}


def _safe_str(value: Any) -> str:
    try:
        return to_str(value)
    except (Exception, RecursionError):
        return type(value).__name__


class DeserializedObject(PSObject):
    """A property bag that came over the wire.  It remembers the original's string form, which
    ``to_str`` reads through ``get("ToString")`` when no such property exists."""

    __slots__ = ("to_string",)

    def __init__(self, props: Optional[Dict[str, Any]] = None, type_names: Iterable[str] = (),
                 to_string: Optional[str] = None) -> None:
        super().__init__(props, type_names)
        self.to_string = to_string

    def get(self, name: str, default: Any = None) -> Any:
        real = self._names.get(name.lower())
        if real is not None:
            return self._props[real]
        if name == "ToString" and self.to_string is not None:
            return self.to_string
        return default

    def ToString(self) -> str:
        if self.to_string is not None:
            return self.to_string
        return to_str(self)


def deserialize(data: Any) -> Any:
    """The value for a serialised form.  Objects come back as :class:`DeserializedObject`.
    Anything malformed (a wrong type, a value out of range, nesting beyond any sense) raises
    ProtocolError saying what."""
    kind = type(data)
    if kind is str or kind is int or kind is float or kind is bool or data is None:
        return data
    try:
        return _deserialize(data)
    except ProtocolError:
        raise
    except RecursionError:
        raise ProtocolError("malformed value: nested too deeply") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise ProtocolError(f"malformed value: {type(exc).__name__}: {exc}") from None


def _deserialize(data: Any) -> Any:
    kind = type(data)
    if kind is str or kind is int or kind is float or kind is bool or data is None:
        return data
    if kind is list:
        return [_deserialize(item) for item in data]
    if kind is dict:
        tag = data.get("@")
        decoder = _DECODERS.get(tag) if type(tag) is str else None
        if decoder is None:
            raise ProtocolError(f"unknown value tag {_short(tag)}")
        return decoder(data)
    raise ProtocolError(f"unexpected value of type {kind.__name__}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field(data: Dict[str, Any], key: str, kinds: tuple, default: Any = None) -> Any:
    """``data[key]`` when its JSON type is one of ``kinds`` (absent: ``default``)."""
    value = data.get(key, default)
    if value is default or type(value) in kinds:
        return value
    raise ProtocolError(f"malformed value: field {key!r} of a {_short(data.get('@'))} value is "
                        f"{type(value).__name__}")


# Types PowerShell's deserializer rehydrates whose copy here is the whole object (its properties
# and its text): they keep their own type name (about_Remote_Variables: a System.Version arrives
# as a System.Version).
_REHYDRATED = frozenset({"System.Version"})


def _decode_object(data: Dict[str, Any]) -> Any:
    names = []
    given = _field(data, "n", (list,), ())
    exact = bool(given) and given[0] in _REHYDRATED
    for name in given:
        if type(name) is not str:
            raise ProtocolError("malformed value: a type name that is not a string")
        if exact or name == "System.Object" or name.startswith("Deserialized."):
            names.append(name)
        else:
            names.append("Deserialized." + name)
    obj = DeserializedObject(type_names=names, to_string=_field(data, "s", (str,)))
    for key, value in _field(data, "p", (dict,), {}).items():
        obj.set(key, _deserialize(value))
    return obj


def _decode_hashtable(data: Dict[str, Any]) -> Any:
    table = Hashtable(ordered=bool(data.get("ord")))
    for pair in _field(data, "v", (list,), ()):
        if type(pair) is not list or len(pair) != 2:
            raise ProtocolError("malformed value: a hashtable entry that is not a pair")
        key = _deserialize(pair[0])
        try:
            hash(key)
        except TypeError:
            raise ProtocolError("malformed value: a hashtable key that cannot be a key") from None
        table[key] = _deserialize(pair[1])
    return table


def _decode_date(data: Dict[str, Any]) -> Any:
    text = _field(data, "v", (str,), "")
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        raise ProtocolError(f"malformed value: not a date: {_short(text)}") from None


def _decode_timespan(data: Dict[str, Any]) -> Any:
    parts = _field(data, "v", (list,), [])
    if len(parts) != 3 or any(type(p) is not int for p in parts):
        raise ProtocolError("malformed value: a timespan that is not three integers")
    try:
        return _dt.timedelta(days=parts[0], seconds=parts[1], microseconds=parts[2])
    except OverflowError:
        raise ProtocolError("malformed value: a timespan out of range") from None


def _decode_bytes(data: Dict[str, Any]) -> Any:
    import base64
    import binascii
    try:
        return base64.b64decode(_field(data, "v", (str,), ""), validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("malformed value: bytes that are not base64") from None


def _decode_secure_string(data: Dict[str, Any]) -> Any:
    from pshell.engine.credentials import SecureString
    _only(data, ("@", "v"))
    return SecureString(_required(data, "v"))


def _decode_credential(data: Dict[str, Any]) -> Any:
    from pshell.engine.credentials import PSCredential, SecureString
    _only(data, ("@", "u", "p"))
    user = _field(data, "u", (str,))
    password = _field(data, "p", (str,))
    if user is None and password is not None:
        raise ProtocolError("malformed value: a credential with a password and no user name")
    return PSCredential(user, None if password is None else SecureString(password))


def _decode_network_credential(data: Dict[str, Any]) -> Any:
    from pshell.engine.credentials import NetworkCredential
    _only(data, ("@", "u", "p", "dm"))
    return NetworkCredential(_required(data, "u"), _required(data, "p"), _required(data, "dm"))


def _only(data: Dict[str, Any], keys: tuple) -> None:
    extra = [k for k in data if k not in keys]
    if extra:
        raise ProtocolError(f"malformed value: unexpected field {_short(extra[0])} in a "
                            f"{_short(data.get('@'))} value")


def _required(data: Dict[str, Any], key: str) -> str:
    value = data.get(key)
    if type(value) is not str:
        raise ProtocolError(f"malformed value: field {key!r} of a {_short(data.get('@'))} value is "
                            f"{'missing' if value is None else type(value).__name__}")
    return value


# --------------------------------------------------------------------------- stream records

_RECORD_TYPES = (WarningRecord, VerboseRecord, DebugRecord, InformationRecord, ProgressRecord)
_MESSAGE_TAGS = {WarningRecord: "w", VerboseRecord: "vb", DebugRecord: "db"}
_MESSAGE_CLASSES = {"w": WarningRecord, "vb": VerboseRecord, "db": DebugRecord}
_STREAM_TAGS = {"warning": "w", "verbose": "vb", "debug": "db"}
_PROGRESS_FIELDS = ("Activity", "StatusDescription", "PercentComplete", "ActivityId",
                    "ParentActivityId", "CurrentOperation", "SecondsRemaining", "RecordType")


def serialize_record(record: Any, stream: Optional[str] = None) -> Dict[str, Any]:
    """An error, warning, verbose, debug, information or progress record as a tagged object.  An
    information record InformationPreference hid keeps that mark (``hid``).  A value that is not
    a record (``stream`` names where it was written) becomes a record of that stream."""
    if isinstance(record, ErrorRecord):
        return _serialize_error(record)
    tag = _MESSAGE_TAGS.get(type(record))
    if tag is not None:
        return {"@": tag, "m": record.Message}
    if isinstance(record, HiddenInformation):
        return dict(serialize_record(record.record, "information"), hid=True)
    if isinstance(record, InformationRecord):
        return {"@": "i", "d": serialize(record.MessageData), "tags": list(record.Tags),
                "src": record.Source, "host": record.host, "nl": record.newline,
                "fg": record.fg, "bg": record.bg}
    if isinstance(record, ProgressRecord):
        return {"@": "p", "v": [getattr(record, f) for f in _PROGRESS_FIELDS]}
    for cls, tag in _MESSAGE_TAGS.items():   # subclasses
        if isinstance(record, cls):
            return {"@": tag, "m": record.Message}
    if stream == "information":
        return {"@": "i", "d": serialize(record)}
    return {"@": _STREAM_TAGS.get(stream or "", "w"), "m": to_str(record)}


def _serialize_error(record: ErrorRecord) -> Dict[str, Any]:
    result: Dict[str, Any] = {
        "@": "e", "m": record.message, "id": record.FullyQualifiedErrorId,
        "c": record.category, "cmd": record.command,
        "x": getattr(record.Exception, "type_name", "System.Management.Automation.RuntimeException"),
    }
    if record.TargetObject is not None:
        result["tg"] = _safe_str(record.TargetObject)
    if record.computer_name:
        result["cn"] = record.computer_name
    loc = record.location
    if loc is not None and getattr(loc, "text", None):
        result["loc"] = [loc.source, loc.line, loc.column, loc.line_text(), loc.end - loc.start]
    if record.ScriptStackTrace:
        result["st"] = record.ScriptStackTrace
    return result


_STR = (str,)
_OPT_STR = (str, type(None))
_INT = (int,)
_MAX_LINE = (1 << 31) - 1


class RemoteLocation(SourceLocation):
    """Where a remote error happened: the remote's line and column as numbers, and only the one
    line of text it sent - a line number of 300000000 costs nothing (no padding)."""

    __slots__ = ("_line", "_column")

    def __init__(self, source: str, text: str, line: int, column: int, width: int) -> None:
        start = min(max(0, column - 1), len(text))
        super().__init__(source, text, start, start + max(0, width))
        self._line = line
        self._column = column

    @property
    def line(self) -> int:
        return self._line

    @property
    def column(self) -> int:
        # rendering puts the caret under this column: never beyond the text it has
        return min(self._column, len(self.text) + 1)

    def line_text(self) -> str:
        return self.text

    def __str__(self) -> str:
        return f"{self.source}:{self._line}:{self._column}"


def _decode_location(data: Any) -> Optional[RemoteLocation]:
    if type(data) is not list or len(data) != 5:
        raise ProtocolError("malformed value: an error position that is not five fields")
    source, line, column, text, width = data
    if type(source) is not str or type(text) is not str or "\n" in text:
        raise ProtocolError("malformed value: an error position without its source line")
    for name, number in (("line", line), ("column", column), ("width", width)):
        if type(number) is not int or not 0 <= number <= _MAX_LINE:
            raise ProtocolError(f"malformed value: an error position with {name} {_short(number)}")
    return RemoteLocation(source, text, max(1, line), max(1, column), width)


def _decode_error(data: Dict[str, Any]) -> ErrorRecord:
    location = _decode_location(data["loc"]) if data.get("loc") else None
    message = _field(data, "m", _STR, "")
    exc_type = _field(data, "x", _OPT_STR) or "System.Management.Automation.RuntimeException"
    record = ErrorRecord(message, _field(data, "id", _OPT_STR) or "RuntimeException",
                         _field(data, "c", _OPT_STR) or "NotSpecified", _field(data, "tg", _OPT_STR),
                         location, _field(data, "cmd", _OPT_STR) or "", exception_type=exc_type,
                         exception=ExceptionInfo(message, exc_type))
    record.computer_name = _field(data, "cn", _OPT_STR)
    record.ScriptStackTrace = _field(data, "st", _OPT_STR) or ""
    return record


def _decode_message(data: Dict[str, Any]) -> Any:
    return _MESSAGE_CLASSES[data["@"]](_field(data, "m", _STR, ""))


def _decode_information(data: Dict[str, Any]) -> InformationRecord:
    tags = _field(data, "tags", (list,), ())
    if any(type(t) is not str for t in tags):
        raise ProtocolError("malformed value: an information tag that is not a string")
    record = InformationRecord(_deserialize(data.get("d")), tuple(t for t in tags if t != "PSHOST"),
                               _field(data, "src", _OPT_STR) or "", bool(data.get("host")),
                               bool(data.get("nl", True)), _field(data, "fg", _OPT_STR),
                               _field(data, "bg", _OPT_STR))
    _field(data, "hid", (bool, type(None)))     # honoured by the client, for a record of its stream
    return record


_NUM = (int, float)
_PROGRESS_KINDS = (_OPT_STR, _OPT_STR, _NUM, _INT, _INT, _OPT_STR, _NUM, _STR)


def _decode_progress(data: Dict[str, Any]) -> ProgressRecord:
    record = ProgressRecord("")
    values = _field(data, "v", (list,), ())
    if len(values) > len(_PROGRESS_FIELDS):
        raise ProtocolError("malformed value: a progress record with too many fields")
    for name, kinds, value in zip(_PROGRESS_FIELDS, _PROGRESS_KINDS, values):
        if type(value) not in kinds:
            raise ProtocolError(f"malformed value: progress field {name} is {type(value).__name__}")
        setattr(record, name, value)
    if record.RecordType not in ("Processing", "Completed"):
        raise ProtocolError(f"malformed value: progress record type {_short(record.RecordType)}")
    return record


def deserialize_record(data: Dict[str, Any]) -> Any:
    return deserialize(data)


def _decode_number(data: Dict[str, Any]) -> Any:
    """A number of an exact .NET type: the type must be one pshell has, the text its number,
    within the type's range."""
    kind = numbers.type_of_name(_field(data, "t", (str,), ""))
    text = _field(data, "v", (str,), "")
    if kind is None or not text or len(text) > 80:
        raise ProtocolError(f"malformed value: number {_short(data.get('t'))} {_short(text)}")
    try:
        number: Any = float(text) if kind == "single" else numbers.Decimal(text) \
            if kind == "decimal" else int(text)
        if kind == "decimal" and not number.is_finite():
            raise ValueError(text)
        return numbers.make(kind, number)
    except (ValueError, ArithmeticError) as exc:
        raise ProtocolError(f"malformed value: number {_short(text)} of type {data['t']}: "
                            f"{exc}") from None


_DECODERS: Dict[str, Callable[[Dict[str, Any]], Any]] = {
    "o": _decode_object, "h": _decode_hashtable, "d": _decode_date, "ts": _decode_timespan,
    "b": _decode_bytes, "e": _decode_error, "w": _decode_message, "vb": _decode_message,
    "db": _decode_message, "i": _decode_information, "p": _decode_progress,
    "ss": _decode_secure_string, "pc": _decode_credential, "nc": _decode_network_credential,
    "n": _decode_number,
}


# --------------------------------------------------------------------------- prompt

_WHO: Optional[tuple] = None


def python_version() -> str:
    """``platform.python_version()`` without importing ``platform`` (~1.6 ms of the host's start,
    on every computer's first contact): 3.11.2, 3.13.0rc1."""
    import sys
    major, minor, micro, level, serial = sys.version_info
    suffix = {"alpha": "a", "beta": "b", "candidate": "rc"}.get(level, "")
    return f"{major}.{minor}.{micro}" + (f"{suffix}{serial}" if suffix else "")


def prompt_info(location: str) -> Dict[str, Any]:
    """What the client needs to draw ``[host]: PS dir>``: the remote cwd, user and host name
    (looked up once: every invocation's answer carries them)."""
    global _WHO
    if _WHO is None:
        import getpass
        import socket
        try:
            user = getpass.getuser()
        except Exception:
            user = ""
        _WHO = (user, socket.gethostname())
    return {"cwd": location, "user": _WHO[0], "host": _WHO[1]}
