"""ConvertTo-Json, ConvertFrom-Json, Test-Json (the JSON itself is engine/json_read.py,
engine/json_write.py and engine/json_schema.py)."""

from __future__ import annotations

import os

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.json_read import JsonShapeError, JsonSyntaxError, json_to_objects, read_json
from pshell.engine.json_schema import Schema, SchemaError
from pshell.engine.json_write import JsonKeyError, JsonWriter
from pshell.engine.values import AutomationNull, Guid, PSObject, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional

__all__ = ["ConvertToJson", "ConvertFromJson", "TestJson"]


# =========================================================================== ConvertTo-Json

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
            # a Guid that came down the pipeline is wrapped, and pwsh writes the wrapper: its
            # value and its Guid property
            items = [PSObject.from_pairs([("value", str(item)), ("Guid", str(item))])
                     if type(item) is Guid else item
                     for item in upstream if item is not AutomationNull]
        if not items and upstream is not None and not self.AsArray:
            return
        value: Any = items[0] if len(items) == 1 and not self.AsArray else list(items)
        if self.AsArray and len(items) == 1 and isinstance(items[0], (list, tuple)) \
                and upstream is None:
            value = list(items[0])
        writer = JsonWriter(self.Depth if self.Depth is not None else 2, bool(self.Compress),
                            self.EscapeHandling or "Default", bool(self.EnumsAsStrings))
        try:
            text = writer.dump(value)
        except JsonKeyError as exc:
            raise self.terminate(str(exc), "NonStringKeyInDictionary", "InvalidOperation") from None
        if writer.truncated:
            self.write_warning(f"Resulting JSON is truncated as serialization has exceeded the "
                               f"set depth of {writer.depth}.")
        yield text


# =========================================================================== ConvertFrom-Json

def _syntax_message(exc: JsonSyntaxError) -> str:
    return (f"Conversion from JSON failed with error: {exc.reason[:1].upper()}{exc.reason[1:]}. "
            f"Path '{exc.path}', line {exc.line}, position {exc.column}.")


_EMPTY = object()


@register
class ConvertFromJson(Cmdlet):
    name = "ConvertFrom-Json"
    synopsis = "Converts JSON text to objects (PSCustomObject, or hashtables with -AsHashtable)."
    params = (
        Param("InputObject", "string", position=0, mandatory=True, pipeline=True),
        Param("AsHashtable", "switch"),
        Param("Depth", "int", default=1024),
        Param("NoEnumerate", "switch"),
        Param("DateKind", "string", validate_set=("Default", "Local", "Utc", "Offset", "String")),
    )

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if upstream is None:
            given = [self.InputObject] if self.is_bound("InputObject") else []
        else:
            given = [item for item in upstream if item is not AutomationNull]
        texts = [to_str(t) for t in given if t is not None]
        if not texts:
            return
        values: List[Any] = []
        if len(texts) == 1:
            values = [self._load(texts[0])]
        else:
            try:
                values = [self._load(t, quiet=True) for t in texts if t.strip()]
            except (JsonSyntaxError, JsonShapeError):
                # several lines of one document (Get-Content file.json | ConvertFrom-Json)
                values = [self._load("\n".join(texts))]
        for value in values:
            if value is _EMPTY:
                continue
            if isinstance(value, list) and not self.NoEnumerate:
                yield from value
            else:
                yield value

    def _load(self, text: str, quiet: bool = False) -> Any:
        if not text.strip():
            return _EMPTY
        try:
            return json_to_objects(text, bool(self.AsHashtable), self.Depth,
                                   self.DateKind or "Default")
        except JsonSyntaxError as exc:
            if quiet:
                raise
            raise self.terminate(_syntax_message(exc), "System.ArgumentException",
                                 "ParserError") from None
        except JsonShapeError as exc:
            if quiet:
                raise
            raise self.terminate(str(exc), exc.error_id, "InvalidOperation") from None


# =========================================================================== Test-Json

_OPTIONS = ("Default", "IgnoreComments", "AllowTrailingCommas")


def _is_file_object(value: Any) -> bool:
    return hasattr(value, "PSPath") and not isinstance(value, (str, PSObject))


def _json_text(value: Any) -> Any:
    """-Json takes text; a file object coming down the pipeline is kept as it is and read as a
    -LiteralPath (PowerShell binds its PSPath to -LiteralPath)."""
    return value if _is_file_object(value) else to_str(value)


@register
class TestJson(Cmdlet):
    name = "Test-Json"
    synopsis = "Tells whether text is valid JSON, and whether it matches a JSON schema."
    default_set = "JsonString"
    params = (
        Param("Json", _json_text, position=0, mandatory=("JsonString",), pipeline=True,
              sets=("JsonString",)),
        Param("Path", "string", position=0, mandatory=("JsonPath",), by_property=True,
              sets=("JsonPath",)),
        Param("LiteralPath", "string", aliases=("PSPath", "LP"), mandatory=("JsonLiteralPath",),
              by_property=True, sets=("JsonLiteralPath",)),
        Param("Schema", "string", position=1),
        Param("SchemaFile", "string"),
        Param("Options", "string[]", validate_set=_OPTIONS),
    )

    def begin(self) -> None:
        if self.Schema is not None and self.SchemaFile is not None:
            raise self.terminate("Give either -Schema or -SchemaFile, not both.",
                                 "AmbiguousParameterSet", "InvalidArgument")
        self.schema: Optional[Schema] = None
        if self.Schema is not None:
            self.schema = self._schema(self.Schema, "")
        elif self.SchemaFile is not None:
            path = self.resolve_path(self.SchemaFile)
            try:
                text = _read_text(path)
            except OSError as exc:
                raise self.terminate(f"Cannot open the JSON schema file '{path}': "
                                     f"{exc.strerror or exc}.", "JsonSchemaFileOpenFailure",
                                     "OpenError", path) from None
            self.schema = self._schema(text, path)

    def _schema(self, text: str, path: str) -> Schema:
        where = f" in '{path}'" if path else ""

        def load(uri: str) -> Any:
            if "://" in uri and not uri.startswith("file://"):
                raise SchemaError(f"the schema refers to '{uri}'; only local files are read")
            full = self.resolve_path(uri[7:] if uri.startswith("file://") else uri)
            try:
                return read_json(_read_text(full))
            except OSError as exc:
                raise SchemaError(f"the referenced schema '{full}' cannot be read: "
                                  f"{exc.strerror or exc}")
            except JsonSyntaxError as exc:
                raise SchemaError(f"the referenced schema '{full}' is not valid JSON: {exc}")

        try:
            return Schema(read_json(text), load, path)
        except JsonSyntaxError as exc:
            message = f"The JSON schema{where} is not valid JSON: {exc}."
        except SchemaError as exc:
            message = f"The JSON schema{where} cannot be used: {exc}."
        raise self.terminate(message, "InvalidJsonSchema", "InvalidData", path or None)

    def process(self) -> Iterator[Any]:
        if self.parameter_set == "JsonString" and not _is_file_object(self.Json):
            if self.Json is None:
                return
            yield self._test(to_str(self.Json))
            return
        if self.parameter_set == "JsonString":            # a file object from the pipeline
            full = self._file(to_str(self.Json.PSPath), True)
        elif self.parameter_set == "JsonLiteralPath":
            full = self._file(to_str(self.LiteralPath), True)
        else:
            full = self._file(to_str(self.Path), False)
        if full is None:
            return
        try:
            text = _read_text(full)
        except OSError as exc:
            self.write_error(f"Cannot read the JSON file '{full}': {exc.strerror or exc}.",
                             "FileOpenFailure", "OpenError", full)
            return
        yield self._test(text)

    def _file(self, given: str, literal: bool) -> Optional[str]:
        from pshell.engine.wildcards import has_wildcards, unescape
        if "::" in given:                # a PSPath (Microsoft.PowerShell.Core\FileSystem::/x)
            given = given.split("::", 1)[1]
        full = self.resolve_path(given)
        if not literal and has_wildcards(given):
            import glob

            from pshell.cmdlets._paths import _glob_pattern
            found = sorted(glob.glob(_glob_pattern(full)))
            if len(found) != 1:
                self.write_error(f"Cannot open '{full}': the path matches "
                                 f"{'no file' if not found else 'more than one file'}.",
                                 "FileOpenFailure", "OpenError", full)
                return None
            return found[0]
        if not literal:
            full = self.resolve_path(unescape(given))
        if not os.path.exists(full):
            self.write_error(f"Cannot find path '{full}' because it does not exist.",
                             "PathNotFound", "ObjectNotFound", full)
            return None
        return full

    def _test(self, text: str) -> bool:
        options = {o.lower() for o in (self.Options or ())}
        try:
            document = read_json(text, comments="ignorecomments" in options,
                                 trailing_commas="allowtrailingcommas" in options)
        except JsonSyntaxError as exc:
            self.write_error(f"The text is not valid JSON: {exc}.", "InvalidJson", "InvalidData",
                             text)
            return False
        if self.schema is None:
            return True
        failures = self.schema.validate(document)
        for pointer, reason in failures:
            self.write_error(f"The JSON does not match the schema at '{pointer or '/'}': {reason}.",
                             "InvalidJsonAgainstSchemaDetailed", "InvalidData", text)
        return not failures


def _read_text(path: str) -> str:
    if os.path.isdir(path):
        raise IsADirectoryError(21, "it is a directory")
    with open(path, "rb") as handle:
        data = handle.read()
    return data.decode("utf-8-sig", errors="replace")
