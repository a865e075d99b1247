"""The remoting wire protocol: framing and the serialisation of values.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON, one message
``{"t": type, ...}``.  Messages (client -> server unless noted):

``hello``      {v, session, name}            server answers ``hello`` {v, pid, user, host, python,
                                             session, name}
``create``     {rs}                          make runspace ``rs``; answer ``created`` {rs, prompt}
``invoke``     {id, rs, script, args, using, input, source, top}
``out``        {id, o: [values]}             (server) a batch of output objects, in order; as a
                                             binary frame (see encode_frame), one raw bytes chunk
                                             of native output (only when ``invoke`` had ``raw``),
                                             or with ``ln: n`` a batch of n strings, UTF-8, joined
                                             by newlines (see lines_message)
``rec``        {id, s: stream, r: record}    (server) an error/warning/verbose/debug/information/
                                             progress record
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

import datetime as _dt
import struct
from typing import Any, BinaryIO, Callable, Dict, Iterable, List, Optional

from pshell.engine.errors import ErrorRecord, ExceptionInfo
from pshell.engine.streams import (DebugRecord, InformationRecord, ProgressRecord, VerboseRecord,
                                   WarningRecord)
from pshell.engine.values import Hashtable, PSObject, to_str

__all__ = ["PROTOCOL_VERSION", "MAX_FRAME", "encode_frame", "FrameDecoder", "read_frame",
           "serialize", "deserialize", "is_binary", "decode_binary", "lines_message", "split_lines",
           "serialize_record", "deserialize_record",
           "DeserializedObject", "ProtocolError", "DEFAULT_DEPTH", "prompt_info"]

PROTOCOL_VERSION = 1
MAX_FRAME = 256 * 1024 * 1024
DEFAULT_DEPTH = 4
_HEADER = struct.Struct(">I")
_SCALARS = (str, int, float, bool, type(None))


class ProtocolError(Exception):
    """The peer sent something that is not a valid frame or message."""


# --------------------------------------------------------------------------- framing

_BINARY = 0x80000000         # high bit of the length: a binary frame (see encode_frame)


def encode_frame(message: Dict[str, Any]) -> bytes:
    """One message as a frame: length prefix + compact JSON.

    A message with a ``"_bin"`` entry (bytes) becomes a binary frame: the length has its high bit
    set, and the body is a 4-byte length, the JSON of the rest of the message, then the bytes
    as they are (raw native output crosses without base64).  Decoding puts them back in
    ``"_bin"``."""
    import json
    raw = message.get("_bin")
    if raw is not None:
        rest = {k: v for k, v in message.items() if k != "_bin"}
        head = json.dumps(rest, ensure_ascii=False, separators=(",", ":"), allow_nan=True,
                          check_circular=False).encode("utf-8", "surrogatepass")
        return b"".join((_HEADER.pack((4 + len(head) + len(raw)) | _BINARY),
                         _HEADER.pack(len(head)), head, raw))
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=True,
                      check_circular=False).encode("utf-8", "surrogatepass")
    return _HEADER.pack(len(body)) + body


def is_binary(frame: bytes) -> bool:
    """Whether an encoded frame is a binary one."""
    return bool(frame[0] & 0x80)


def decode_binary(body: Any) -> Dict[str, Any]:
    """The message of a binary frame's body (its bytes in ``"_bin"``)."""
    if len(body) < 4:
        raise ProtocolError("malformed frame: short binary frame")
    (size,) = _HEADER.unpack_from(body, 0)
    message = decode_body(bytes(body[4:4 + size]))
    message["_bin"] = bytes(body[4 + size:])
    return message


def decode_body(body: bytes) -> Dict[str, Any]:
    import json
    try:
        message = json.loads(body.decode("utf-8", "surrogatepass"))
    except ValueError as exc:
        raise ProtocolError(f"malformed frame: {exc}") from None
    if not isinstance(message, dict) or "t" not in message:
        raise ProtocolError("malformed frame: not a message")
    return message


class FrameDecoder:
    """Incremental decoder: feed bytes as they arrive, get complete messages back."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> List[Dict[str, Any]]:
        self._buf += data
        messages = []
        buf = self._buf
        pos = 0
        while len(buf) - pos >= 4:
            (size,) = _HEADER.unpack_from(buf, pos)
            binary = size & _BINARY
            size &= ~_BINARY
            if size > MAX_FRAME:
                raise ProtocolError(f"frame of {size} bytes is larger than the limit")
            if len(buf) - pos - 4 < size:
                break
            if binary:
                with memoryview(buf) as view:
                    messages.append(decode_binary(view[pos + 4: pos + 4 + size]))
            else:
                messages.append(decode_body(bytes(buf[pos + 4: pos + 4 + size])))
            pos += 4 + size
        if pos:
            del buf[:pos]
        return messages

    @property
    def pending(self) -> int:
        return len(self._buf)


def read_frame(stream: BinaryIO) -> Optional[Dict[str, Any]]:
    """Read one message from a blocking byte stream; None at a clean end of stream."""
    header = _read_exact(stream, 4)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    binary = size & _BINARY
    size &= ~_BINARY
    if size > MAX_FRAME:
        raise ProtocolError(f"frame of {size} bytes is larger than the limit")
    body = _read_exact(stream, size)
    if body is None:
        raise ProtocolError("connection closed in the middle of a frame")
    return decode_binary(body) if binary else decode_body(body)


def _read_exact(stream: BinaryIO, size: int) -> Optional[bytes]:
    chunks = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            if remaining == size:
                return None
            raise ProtocolError("connection closed in the middle of a frame")
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def lines_message(inv_id: Any, items: List[Any]) -> Optional[Dict[str, Any]]:
    """A batch made only of strings without a newline, as a binary ``out`` message: the strings
    joined by newlines (C-speed both ways, where JSON escapes and parses every character;
    this is what makes a remote Get-Content fast).  None when the batch is not like that."""
    if not items or type(items[0]) is not str:
        return None
    try:
        text = "\n".join(items)            # raises when one is not a string
    except TypeError:
        return None
    if text.count("\n") != len(items) - 1:
        return None
    return {"t": "out", "id": inv_id, "ln": len(items),
            "_bin": text.encode("utf-8", "surrogatepass")}


def split_lines(data: bytes) -> List[str]:
    """The strings of a ``lines_message``."""
    return data.decode("utf-8", "surrogatepass").split("\n")


# --------------------------------------------------------------------------- values

def serialize(value: Any, depth: int = DEFAULT_DEPTH) -> Any:
    """A JSON-able form of ``value``; nesting deeper than ``depth`` becomes strings."""
    if type(value) in _SCALARS:
        return value
    return _serialize(value, depth)


def _serialize(value: Any, depth: int) -> Any:
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
        return [serialize(item, depth - 1) for item in value]
    if isinstance(value, dict):
        if depth <= 0:
            return "System.Collections.Hashtable"
        pairs = [[serialize(k, depth - 1), serialize(v, depth - 1)] for k, v in value.items()]
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
        return _serialize_bag(value.type_names, value.items(), value, depth)
    props = getattr(value, "ps_properties", None)
    if props is not None:
        from pshell.engine.values import get_property, type_names_of
        items = []
        for name in props:
            try:
                items.append((name, get_property(value, name, None)))
            except Exception as exc:  # a property getter failed: keep the object, not the error
                items.append((name, f"<{exc}>"))
        return _serialize_bag(type_names_of(value), items, value, depth)
    return to_str(value)


def _is_scriptblock(value: Any) -> bool:
    return type(value).__name__ == "ScriptBlock"


def _serialize_bag(type_names: Iterable[str], items: Iterable[Any], value: Any, depth: int) -> Any:
    names = [n for n in type_names if n != "System.Object"] + ["System.Object"]
    if depth <= 0:
        return {"@": "o", "n": names, "p": {}, "s": _safe_str(value)}
    props = {}
    for name, item in items:
        props[str(name)] = serialize(item, depth - 1)
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
    """The value for a serialised form.  Objects come back as :class:`DeserializedObject`."""
    kind = type(data)
    if kind is str or kind is int or kind is float or kind is bool or data is None:
        return data
    if kind is list:
        return [deserialize(item) for item in data]
    if kind is dict:
        tag = data.get("@")
        decoder = _DECODERS.get(tag)  # type: ignore[arg-type]
        if decoder is None:
            raise ProtocolError(f"unknown value tag {tag!r}")
        return decoder(data)
    raise ProtocolError(f"unexpected value of type {kind.__name__}")


def _decode_object(data: Dict[str, Any]) -> Any:
    names = []
    for name in data.get("n") or ():
        if name == "System.Object" or name.startswith("Deserialized."):
            names.append(name)
        else:
            names.append("Deserialized." + name)
    obj = DeserializedObject(type_names=names, to_string=data.get("s"))
    for key, value in (data.get("p") or {}).items():
        obj.set(key, deserialize(value))
    return obj


def _decode_hashtable(data: Dict[str, Any]) -> Any:
    table = Hashtable(ordered=bool(data.get("ord")))
    for key, value in data.get("v") or ():
        table[deserialize(key)] = deserialize(value)
    return table


def _decode_date(data: Dict[str, Any]) -> Any:
    return _dt.datetime.fromisoformat(data["v"])


def _decode_timespan(data: Dict[str, Any]) -> Any:
    days, seconds, micro = data["v"]
    return _dt.timedelta(days=days, seconds=seconds, microseconds=micro)


def _decode_bytes(data: Dict[str, Any]) -> Any:
    import base64
    return base64.b64decode(data["v"])


# --------------------------------------------------------------------------- stream records

_RECORD_TYPES = (WarningRecord, VerboseRecord, DebugRecord, InformationRecord, ProgressRecord)
_MESSAGE_TAGS = {WarningRecord: "w", VerboseRecord: "vb", DebugRecord: "db"}
_MESSAGE_CLASSES = {"w": WarningRecord, "vb": VerboseRecord, "db": DebugRecord}
_PROGRESS_FIELDS = ("Activity", "StatusDescription", "PercentComplete", "ActivityId",
                    "ParentActivityId", "CurrentOperation", "SecondsRemaining", "RecordType")


def serialize_record(record: Any) -> Dict[str, Any]:
    """An error, warning, verbose, debug, information or progress record as a tagged object."""
    if isinstance(record, ErrorRecord):
        return _serialize_error(record)
    tag = _MESSAGE_TAGS.get(type(record))
    if tag is not None:
        return {"@": tag, "m": record.Message}
    if isinstance(record, InformationRecord):
        return {"@": "i", "d": serialize(record.MessageData), "tags": list(record.Tags),
                "src": record.Source, "host": record.host, "nl": record.newline,
                "fg": record.fg, "bg": record.bg}
    if isinstance(record, ProgressRecord):
        return {"@": "p", "v": [getattr(record, f) for f in _PROGRESS_FIELDS]}
    for cls, tag in _MESSAGE_TAGS.items():   # subclasses
        if isinstance(record, cls):
            return {"@": tag, "m": record.Message}
    return {"@": "w", "m": to_str(record)}


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


def _decode_error(data: Dict[str, Any]) -> ErrorRecord:
    location = None
    if data.get("loc"):
        from pshell.lang.errors import SourceLocation
        source, line, column, text, width = data["loc"]
        padding = "\n" * (max(1, line) - 1)
        start = len(padding) + max(0, column - 1)
        location = SourceLocation(source, padding + text, start, start + max(0, width))
    exc_type = data.get("x") or "System.Management.Automation.RuntimeException"
    record = ErrorRecord(data.get("m", ""), data.get("id") or "RuntimeException",
                         data.get("c") or "NotSpecified", data.get("tg"), location,
                         data.get("cmd") or "", exception_type=exc_type,
                         exception=ExceptionInfo(data.get("m", ""), exc_type))
    record.computer_name = data.get("cn")
    record.ScriptStackTrace = data.get("st") or ""
    return record


def _decode_message(data: Dict[str, Any]) -> Any:
    return _MESSAGE_CLASSES[data["@"]](data.get("m", ""))


def _decode_information(data: Dict[str, Any]) -> InformationRecord:
    tags = tuple(t for t in data.get("tags") or () if t != "PSHOST")
    record = InformationRecord(deserialize(data.get("d")), tags, data.get("src") or "",
                               bool(data.get("host")), bool(data.get("nl", True)),
                               data.get("fg"), data.get("bg"))
    return record


def _decode_progress(data: Dict[str, Any]) -> ProgressRecord:
    record = ProgressRecord("")
    for name, value in zip(_PROGRESS_FIELDS, data.get("v") or ()):
        setattr(record, name, value)
    return record


def deserialize_record(data: Dict[str, Any]) -> Any:
    return deserialize(data)


_DECODERS: Dict[str, Callable[[Dict[str, Any]], Any]] = {
    "o": _decode_object, "h": _decode_hashtable, "d": _decode_date, "ts": _decode_timespan,
    "b": _decode_bytes, "e": _decode_error, "w": _decode_message, "vb": _decode_message,
    "db": _decode_message, "i": _decode_information, "p": _decode_progress,
}


# --------------------------------------------------------------------------- prompt

_WHO: Optional[tuple] = None


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
