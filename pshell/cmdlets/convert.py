"""ConvertTo-Csv, ConvertFrom-Csv, Export-Csv, Import-Csv."""

from __future__ import annotations

import datetime as _dt

import re

from pshell.engine.format import member_value
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.values import (NO_PROPERTY, AutomationNull, PSObject, format_number,
                                  get_property, properties_of, to_str, type_names_of)


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional, Tuple

def _gather(cmdlet: Cmdlet, upstream: Optional[Iterator[Any]]) -> List[Any]:
    if upstream is None:
        if cmdlet.is_bound("InputObject"):
            return [cmdlet.InputObject]
        return []
    return [item for item in upstream if item is not AutomationNull]


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
    elif isinstance(obj, _dt.datetime):
        value = member_value(obj, name)             # Ticks, TimeOfDay...: members, not attributes
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
        from pshell.engine.hostinfo import current_culture
        return current_culture(cmdlet.runspace).TextInfo.ListSeparator or ","
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
    ) + _CSV_OUT_PARAMS + SHOULD_PROCESS_PARAMS

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
        if not self.should_process(path, "Export-Csv"):
            for _ in source:                    # the input is taken, nothing written
                pass
            return
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


__all__ = ["ConvertToCsv", "ConvertFromCsv", "ExportCsv",
           "ImportCsv"]
