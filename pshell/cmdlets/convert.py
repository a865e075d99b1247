"""ConvertTo-Json, ConvertFrom-Json, ConvertTo-Csv, ConvertFrom-Csv, Export-Csv, Import-Csv."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Iterator, List, Optional, Tuple

from pshell.cmdlets._objects import is_scriptblock
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.values import (NO_PROPERTY, AutomationNull, Hashtable, PSObject, format_number,
                                  get_property, properties_of, to_str, type_names_of)


def _gather(cmdlet: Cmdlet, upstream: Optional[Iterator[Any]]) -> List[Any]:
    if upstream is None:
        if cmdlet.is_bound("InputObject"):
            return [cmdlet.InputObject]
        return []
    return [item for item in upstream if item is not AutomationNull]


# =========================================================================== JSON out

class _JsonWriter:
    """Newtonsoft-style JSON text: two-space indentation, ``"key": value``; values nested
    deeper than ``depth`` become their string form (and a warning is due)."""

    def __init__(self, depth: int, compress: bool, escape: str = "Default") -> None:
        self.depth = depth
        self.compress = compress
        self.escape = escape
        self.truncated = False

    def dump(self, value: Any) -> str:
        out: List[str] = []
        self._value(value, 0, 0, out)
        return "".join(out)

    # ---- pieces ---------------------------------------------------------------------
    def _string(self, text: str) -> str:
        import json
        if self.escape == "EscapeNonAscii":
            return json.dumps(text, ensure_ascii=True)
        encoded = json.dumps(text, ensure_ascii=False)
        if self.escape == "EscapeHtml":
            for ch in "<>&'":
                encoded = encoded.replace(ch, f"\\u{ord(ch):04x}")
        return encoded

    def _newline(self, indent: int) -> str:
        return "" if self.compress else "\n" + "  " * indent

    def _value(self, value: Any, depth: int, indent: int, out: List[str]) -> None:
        scalar = self._scalar(value)
        if scalar is not None:
            out.append(scalar)
            return
        if depth > self.depth:
            self.truncated = True
            out.append(self._string(_truncated_text(value)))
            return
        if isinstance(value, (list, tuple)):
            self._array(list(value), depth, indent, out)
            return
        self._object(_members(value), depth, indent, out)

    def _scalar(self, value: Any) -> Optional[str]:
        if value is None or value is AutomationNull:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return _json_double(value)
        if isinstance(value, str):
            return self._string(value)
        if isinstance(value, _dt.datetime):
            return self._string(_iso_date(value))
        if is_scriptblock(value):
            return self._string(to_str(value))
        if type(value).__name__ == "SwitchParameter":
            return "true" if value else "false"
        return None

    def _array(self, items: List[Any], depth: int, indent: int, out: List[str]) -> None:
        if not items:
            out.append("[]")
            return
        out.append("[")
        for index, item in enumerate(items):
            if index:
                out.append(",")
            out.append(self._newline(indent + 1))
            self._value(item, depth + 1, indent + 1, out)
        out.append(self._newline(indent))
        out.append("]")

    def _object(self, pairs: List[Tuple[str, Any]], depth: int, indent: int,
                out: List[str]) -> None:
        if not pairs:
            out.append("{}")
            return
        out.append("{")
        separator = ":" if self.compress else ": "
        for index, (key, item) in enumerate(pairs):
            if index:
                out.append(",")
            out.append(self._newline(indent + 1))
            out.append(self._string(key) + separator)
            self._value(item, depth + 1, indent + 1, out)
        out.append(self._newline(indent))
        out.append("}")


def _json_double(value: float) -> str:
    import math
    if math.isnan(value):
        return '"NaN"'
    if math.isinf(value):
        return '"Infinity"' if value > 0 else '"-Infinity"'
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value)}.0"
    return repr(value).replace("e", "E")


def _iso_date(value: _dt.datetime) -> str:
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    if value.tzinfo is not None:
        offset = value.utcoffset() or _dt.timedelta(0)
        if offset == _dt.timedelta(0) and value.tzinfo is _dt.timezone.utc:
            return text + "Z"
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        minutes = abs(minutes)
        text += f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return text


def _truncated_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "System.Object[]"
    return to_str(value)


def _timespan_members(value: _dt.timedelta) -> List[Tuple[str, Any]]:
    ticks = (value.days * 86400 + value.seconds) * 10**7 + value.microseconds * 10
    sign = -1 if ticks < 0 else 1
    days, rem = divmod(abs(ticks), 864 * 10**9)
    hours, rem = divmod(rem, 36 * 10**9)
    minutes, rem = divmod(rem, 6 * 10**8)
    seconds, rem = divmod(rem, 10**7)
    return [("Ticks", ticks), ("Days", sign * days), ("Hours", sign * hours),
            ("Milliseconds", sign * (rem // 10**4)), ("Microseconds", sign * ((rem // 10) % 1000)),
            ("Nanoseconds", sign * (rem % 10) * 100), ("Minutes", sign * minutes),
            ("Seconds", sign * seconds), ("TotalDays", ticks / 864e9),
            ("TotalHours", ticks / 36e9), ("TotalMilliseconds", ticks / 1e4),
            ("TotalMicroseconds", ticks / 10), ("TotalNanoseconds", ticks * 100.0),
            ("TotalMinutes", ticks / 6e8), ("TotalSeconds", ticks / 1e7)]


def _members(value: Any) -> List[Tuple[str, Any]]:
    if isinstance(value, dict):
        return [(to_str(k), v) for k, v in value.items()]
    if isinstance(value, PSObject):
        return value.items()
    if isinstance(value, _dt.timedelta):
        return _timespan_members(value)
    pairs = []
    for name in properties_of(value):
        try:
            pairs.append((name, get_property(value, name, None)))
        except Exception:  # noqa: BLE001 - a property that cannot be read is skipped, as pwsh does
            continue
    return pairs


@register
class ConvertToJson(Cmdlet):
    name = "ConvertTo-Json"
    synopsis = "Converts objects to JSON text."
    params = (
        Param("InputObject", "object", position=0, mandatory=True, pipeline=True),
        Param("Depth", "int", default=2),
        Param("Compress", "switch"),
        Param("EnumsAsStrings", "switch"),
        Param("AsArray", "switch"),
        Param("EscapeHandling", "string",
              validate_set=("Default", "EscapeNonAscii", "EscapeHtml")),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if self.Depth is not None and not 0 <= self.Depth <= 100:
            high = self.Depth > 100
            bound = "greater than the maximum allowed range of 100" if high else \
                "less than the minimum allowed range of 0"
            wanted = "less than or equal to 100" if high else "greater than or equal to 0"
            raise self.terminate(
                f"Cannot validate argument on parameter 'Depth'. The {self.Depth} argument is "
                f"{bound}. Supply an argument that is {wanted} and then try the command again.",
                "ParameterArgumentValidationError", "InvalidData")
        if upstream is None:
            items = [self.InputObject] if self.is_bound("InputObject") else []
        else:
            items = [item for item in upstream if item is not AutomationNull]
        if not items and upstream is not None and not self.AsArray:
            return
        value: Any = items[0] if len(items) == 1 and not self.AsArray else list(items)
        if self.AsArray and len(items) == 1 and isinstance(items[0], (list, tuple)) \
                and upstream is None:
            value = list(items[0])
        writer = _JsonWriter(self.Depth if self.Depth is not None else 2, bool(self.Compress),
                             self.EscapeHandling or "Default")
        text = writer.dump(value)
        if writer.truncated:
            self.write_warning(f"Resulting JSON is truncated as serialization has exceeded the "
                               f"set depth of {writer.depth}.")
        yield text


# =========================================================================== JSON in

_DATE_PATTERN = (r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?"
                 r"(Z|[+-]\d{2}:\d{2})?$")


def _parse_json_date(text: str) -> Any:
    import re
    m = re.match(_DATE_PATTERN, text)
    if m is None:
        return text
    year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    micro = int((m.group(7) or "0").ljust(7, "0")[:6])
    try:
        value = _dt.datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return text
    zone = m.group(8)
    if zone:
        if zone == "Z":
            offset = _dt.timedelta(0)
        else:
            sign = 1 if zone[0] == "+" else -1
            offset = sign * _dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        aware = value.replace(tzinfo=_dt.timezone(offset))
        value = aware.astimezone().replace(tzinfo=None)
    return value


class _JsonError(Exception):
    pass


def _json_load(text: str, as_hashtable: bool) -> Any:
    import json

    def hook(pairs: List[Tuple[str, Any]]) -> Any:
        if as_hashtable:
            table = Hashtable()
            for key, value in pairs:
                table[key] = _convert_leaf(value)
            return table
        obj = PSObject()
        for key, value in pairs:
            if key == "":
                raise _JsonError("The provided JSON includes a property whose name is an empty "
                                 "string, this is only supported using the -AsHashTable switch.")
            if obj.has(key):
                existing = next(n for n in obj.names() if n.lower() == key.lower())
                if existing != key:
                    raise _JsonError(
                        "Cannot convert the JSON string because it contains keys with different "
                        "casing. Please use the -AsHashTable switch instead. The key that was "
                        f"attempted to be added to the existing key '{existing}' was '{key}'.")
            obj.set(key, _convert_leaf(value))
        return obj

    try:
        value = json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        raise _JsonError(f"Conversion from JSON failed with error: {exc.msg}. Path '', line "
                         f"{exc.lineno}, position {exc.colno}.") from None
    return _convert_leaf(value)


def _convert_leaf(value: Any) -> Any:
    if isinstance(value, str):
        return _parse_json_date(value) if "T" in value[:11] else value
    if isinstance(value, list):
        return [_convert_leaf(v) for v in value]
    return value


@register
class ConvertFromJson(Cmdlet):
    name = "ConvertFrom-Json"
    synopsis = "Converts JSON text to objects (PSCustomObject, or hashtables with -AsHashtable)."
    params = (
        Param("InputObject", "string", position=0, mandatory=True, pipeline=True),
        Param("AsHashtable", "switch"),
        Param("Depth", "int", default=1024),
        Param("NoEnumerate", "switch"),
        Param("DateKind", "string"),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        texts = [to_str(t) for t in _gather(self, upstream) if t is not None]
        if not texts:
            return
        values: List[Any] = []
        try:
            if len(texts) == 1:
                values = [self._load(texts[0])]
            else:
                try:
                    values = [self._load(t) for t in texts if t.strip()]
                except _JsonError:
                    values = [self._load("\n".join(texts))]
        except _JsonError as exc:
            raise self.terminate(str(exc), "System.ArgumentException", "ParserError") from None
        for value in values:
            if value is _EMPTY:
                continue
            if isinstance(value, list) and not self.NoEnumerate:
                yield from value
            else:
                yield value

    def _load(self, text: str) -> Any:
        if not text.strip():
            return _EMPTY
        value = _json_load(text, bool(self.AsHashtable))
        if self.Depth is not None and _nesting(value) > self.Depth:
            raise _JsonError(f"Conversion from JSON failed with error: The reader's MaxDepth of "
                             f"{self.Depth} has been exceeded.")
        return value


_EMPTY = object()


def _nesting(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_nesting(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_nesting(v) for v in value.values()), default=0)
    if isinstance(value, PSObject):
        return 1 + max((_nesting(v) for _, v in value.items()), default=0)
    return 0


# =========================================================================== CSV out

_QUOTE_KINDS = ("Never", "Always", "AsNeeded")


def _csv_names(value: Any) -> List[str]:
    if isinstance(value, dict):
        return [to_str(k) for k in value.keys()]
    if isinstance(value, str):
        return ["Length"]
    return properties_of(value)


def _csv_value(obj: Any, name: str) -> Optional[str]:
    if isinstance(obj, dict):
        value = obj.get(name) if name in obj else get_property(obj, name, None)
    elif isinstance(obj, str) and name.lower() == "length":
        value = len(obj)
    else:
        value = get_property(obj, name, None)
    if value is None or value is AutomationNull:
        return None
    if isinstance(value, (list, tuple)):
        return "System.Object[]"
    if isinstance(value, float):
        return format_number(value)
    return to_str(value)


class _CsvWriter:
    def __init__(self, cmdlet: Cmdlet, delimiter: str) -> None:
        self.delimiter = delimiter
        quote = getattr(cmdlet, "UseQuotes", None)
        self.kind = quote or "Always"
        fields = getattr(cmdlet, "QuoteFields", None)
        self.quote_fields = {f.lower() for f in fields} if fields else None
        self.names: Optional[List[str]] = None

    def _field(self, name: str, value: Optional[str], header: bool = False) -> str:
        if value is None:
            return ""
        if self.quote_fields is not None:
            quote = name.lower() in self.quote_fields
        elif self.kind == "Always":
            quote = True
        elif self.kind == "Never":
            quote = False
        else:
            quote = any(ch in value for ch in (self.delimiter, "\n", '"'))
        if quote:
            return '"' + value.replace('"', '""') + '"'
        return value

    def header(self) -> str:
        assert self.names is not None
        return self.delimiter.join(self._field(n, n, True) for n in self.names)

    def row(self, obj: Any) -> str:
        assert self.names is not None
        return self.delimiter.join(self._field(n, _csv_value(obj, n)) for n in self.names)


def _delimiter(cmdlet: Cmdlet) -> str:
    if getattr(cmdlet, "UseCulture", False):
        return ","
    value = getattr(cmdlet, "Delimiter", None)
    if value is None:
        return ","
    text = to_str(value)
    if len(text) != 1:
        raise cmdlet.terminate(f'Cannot bind parameter \'Delimiter\'. Cannot convert value "{text}" '
                               f'to type "System.Char". Error: "String must be exactly one '
                               f'character long."', "CannotConvertArgumentNoMessage",
                               "InvalidArgument")
    return text


def _type_line(obj: Any) -> str:
    names = type_names_of(obj)
    name = names[0] if names else "System.Object"
    if name.startswith("CSV:"):
        name = name[4:]
    return f"#TYPE {name}"


_CSV_OUT_PARAMS = (
    Param("Delimiter", "object", position=1),
    Param("UseCulture", "switch"),
    Param("IncludeTypeInformation", "switch", aliases=("ITI",)),
    Param("NoTypeInformation", "switch", aliases=("NTI",)),
    Param("QuoteFields", "string[]", aliases=("QF",)),
    Param("UseQuotes", "string", aliases=("UQ",), validate_set=_QUOTE_KINDS),
    Param("NoHeader", "switch"),
)


def _csv_lines(cmdlet: Cmdlet, items: Iterator[Any], writer: _CsvWriter,
               header: bool) -> Iterator[str]:
    for obj in items:
        if obj is None or obj is AutomationNull:
            continue
        if writer.names is None:
            writer.names = _csv_names(obj)
            if getattr(cmdlet, "IncludeTypeInformation", False):
                yield _type_line(obj)
            if header and not getattr(cmdlet, "NoHeader", False):
                yield writer.header()
        yield writer.row(obj)


@register
class ConvertToCsv(Cmdlet):
    name = "ConvertTo-Csv"
    synopsis = "Converts objects to CSV text (one string per line)."
    params = (Param("InputObject", "object", position=0, mandatory=True, pipeline=True),) \
        + _CSV_OUT_PARAMS

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        writer = _CsvWriter(self, _delimiter(self))
        source: Iterator[Any] = iter(_gather(self, None)) if upstream is None else upstream
        yield from _csv_lines(self, source, writer, True)


def _open_for_write(cmdlet: Cmdlet, path: str, append: bool) -> Any:
    try:
        return open(path, "a" if append else "w", encoding="utf-8", newline="")
    except IsADirectoryError:
        raise cmdlet.terminate(f"Access to the path '{path}' is denied.",
                               "UnauthorizedAccessException", "PermissionDenied", path) from None
    except FileNotFoundError:
        raise cmdlet.terminate(f"Could not find a part of the path '{path}'.",
                               "DirectoryNotFoundException", "ObjectNotFound", path) from None
    except OSError as exc:
        raise cmdlet.terminate(f"Cannot open file '{path}': {exc.strerror}.", "FileOpenFailure",
                               "OpenError", path) from None


@register
class ExportCsv(Cmdlet):
    name = "Export-Csv"
    synopsis = "Writes objects to a CSV file."
    default_set = "Delimiter"
    params = (
        Param("InputObject", "object", mandatory=True, pipeline=True),
        Param("Path", "string", position=0, aliases=("FilePath",)),
        Param("LiteralPath", "string", aliases=("PSPath", "LP")),
        Param("Force", "switch"),
        Param("NoClobber", "switch", aliases=("NoOverwrite",)),
        Param("Encoding", "string"),
        Param("Append", "switch"),
    ) + _CSV_OUT_PARAMS

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        import os
        target = self.Path or self.LiteralPath
        if not target:
            raise self.terminate("Cannot process command because of one or more missing mandatory "
                                 "parameters: Path.", "MissingMandatoryParameter",
                                 "InvalidArgument")
        path = self.resolve_path(target)
        writer = _CsvWriter(self, _delimiter(self))
        exists = os.path.exists(path) and os.path.getsize(path) > 0
        if self.NoClobber and os.path.exists(path) and not self.Append:
            raise self.terminate(f"The file '{path}' already exists.", "NoClobber",
                                 "ResourceExists", path)
        header = True
        if self.Append and exists:
            existing = _existing_header(path, writer.delimiter)
            if existing:
                writer.names = existing
                header = False
        source: Iterator[Any] = iter(_gather(self, None)) if upstream is None else upstream
        handle = _open_for_write(self, path, bool(self.Append))
        try:
            if self.Append and exists and _needs_newline(path):
                handle.write("\n")
            for line in _csv_lines(self, source, writer, header):
                handle.write(line + "\n")
        finally:
            handle.close()
        yield from ()


def _existing_header(path: str, delimiter: str) -> List[str]:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            for line in handle:
                if line.startswith("#TYPE") or not line.strip():
                    continue
                return [field for field in _parse_csv_records(line, delimiter)[0]]
    except (OSError, IndexError):
        return []
    return []


def _needs_newline(path: str) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1) != b"\n"


# =========================================================================== CSV in

def _parse_csv_records(text: str, delimiter: str) -> List[List[str]]:
    """Split CSV text into records; quoted fields may hold delimiters, quotes and newlines."""
    records: List[List[str]] = []
    fields: List[str] = []
    field: List[str] = []
    i = 0
    n = len(text)
    in_quotes = False
    line_has_content = False
    while i < n:
        ch = text[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    field.append('"')
                    i += 2
                    continue
                in_quotes = False
            else:
                field.append(ch)
            i += 1
            continue
        if ch == '"' and delimiter != '"':     # a quote as delimiter quotes nothing
            in_quotes = True
            line_has_content = True
        elif ch in " \t" and not line_has_content and not field:
            pass                                # indentation before a line's first field
        elif ch == delimiter:
            fields.append("".join(field))
            field = []
            line_has_content = True
        elif ch in "\r\n":
            if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
                i += 1
            if line_has_content or field:
                fields.append("".join(field))
                records.append(fields)
            fields, field, line_has_content = [], [], False
        else:
            field.append(ch)
            line_has_content = True
        i += 1
    if line_has_content or field:
        fields.append("".join(field))
        records.append(fields)
    return records


def _csv_objects(cmdlet: Cmdlet, text: str, delimiter: str, header: Optional[List[str]]
                 ) -> Iterator[PSObject]:
    type_names = ["System.Management.Automation.PSCustomObject", "System.Object"]
    lines = re.split(r"\r\n|\r|\n", text)
    fields: Optional[List[str]] = None
    skipped = 0
    for line in lines:                  # '#' lines before the header: #TYPE, W3C #Fields, comments
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        skipped += 1
        if stripped[:6].upper() == "#TYPE " and stripped[6:].strip():
            type_name = stripped[6:].strip()
            type_names = [type_name, f"CSV:{type_name}"]
        elif stripped.lower().startswith("#fields:"):
            fields = _parse_csv_records(stripped[8:].strip(), delimiter)[0] or None
    if skipped:
        text = "\n".join(lines[skipped:])
    records = _parse_csv_records(text, delimiter)
    names = list(header) if header else fields
    seen_names = set()
    for record in records:
        if names is None:
            names = [name or f"H{index}" for index, name in enumerate(record)]  # unnamed: H<position>
            for name in names:
                if name.lower() in seen_names:
                    raise cmdlet.terminate(f'The member "{name}" is already present.',
                                           "AlreadyPresentPSMemberInfoInternalCollectionAdd",
                                           "NotSpecified")
                seen_names.add(name.lower())
            continue
        pairs: List[Tuple[str, Any]] = []
        for index, name in enumerate(names):
            pairs.append((name, record[index] if index < len(record) else None))
        for index in range(len(names), len(record)):
            pairs.append((f"H{index + 1}", record[index]))
        yield PSObject.from_pairs(pairs, type_names=type_names)


@register
class ConvertFromCsv(Cmdlet):
    name = "ConvertFrom-Csv"
    synopsis = "Converts CSV text to objects."
    params = (
        Param("InputObject", "object", position=0, mandatory=True, pipeline=True),
        Param("Delimiter", "object", position=1),
        Param("UseCulture", "switch"),
        Param("Header", "string[]"),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        lines: List[str] = []
        for item in _gather(self, upstream):
            if isinstance(item, (list, tuple)):
                lines.extend(to_str(x) for x in item)
            elif item is not None:
                lines.append(to_str(item))
        yield from _csv_objects(self, "\n".join(lines), _delimiter(self), self.Header)


def _csv_sources(items: List[Any]) -> Tuple[List[str], List[str]]:
    """Import-Csv's -Path values split into wildcard paths and literal ones: an object piped in
    gives its LiteralPath/PSPath (a file item) or its Path property, as pwsh binds by name."""
    paths: List[str] = []
    literal: List[str] = []
    for item in items:
        if isinstance(item, str):
            paths.append(item)
            continue
        found = False
        for name, into in (("LiteralPath", literal), ("FullName", literal), ("Path", paths)):
            value = get_property(item, name) if not isinstance(item, (int, float)) else NO_PROPERTY
            if value is not NO_PROPERTY and value is not None:
                into.append(to_str(value))
                found = True
                break
        if not found:
            paths.append(to_str(item))
    return paths, literal


@register
class ImportCsv(Cmdlet):
    name = "Import-Csv"
    synopsis = "Reads a CSV file into objects."
    params = (
        Param("Path", "object[]", position=0, pipeline=True),
        Param("LiteralPath", "string[]", aliases=("PSPath", "LP")),
        Param("Delimiter", "object", position=1),
        Param("UseCulture", "switch"),
        Param("Header", "string[]"),
        Param("Encoding", "string"),
    )

    def process(self) -> Iterator[Any]:
        from pshell.cmdlets._paths import expand_paths
        if not self.Path and not self.LiteralPath:
            raise self.terminate("Cannot process command because of one or more missing mandatory "
                                 "parameters: Path.", "MissingMandatoryParameter",
                                 "InvalidArgument")
        delimiter = _delimiter(self)
        paths, literal = _csv_sources(self.Path or [])
        for path in expand_paths(self, paths, literal + list(self.LiteralPath or [])):
            try:
                with open(path, encoding="utf-8-sig", newline="") as handle:
                    text = handle.read()
            except FileNotFoundError:
                self.write_error(f"Could not find file '{path}'.", "FileOpenFailure",
                                 "OpenError", path)
                continue
            except IsADirectoryError:
                self.write_error(f"Access to the path '{path}' is denied.", "FileOpenFailure",
                                 "OpenError", path)
                continue
            except (OSError, UnicodeDecodeError) as exc:
                self.write_error(f"Cannot read file '{path}': {exc}.", "FileOpenFailure",
                                 "OpenError", path)
                continue
            yield from _csv_objects(self, text, delimiter, self.Header)


__all__ = ["ConvertToJson", "ConvertFromJson", "ConvertToCsv", "ConvertFromCsv", "ExportCsv",
           "ImportCsv"]
