"""Export-Clixml, Import-Clixml, ConvertTo-CliXml, ConvertFrom-CliXml (the format itself is
engine/clixml.py)."""

from __future__ import annotations

import os
import re

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.clixml import CliXmlError, dumps, loads, secure_key
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.values import AutomationNull, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, List, Optional

__all__ = ["ExportClixml", "ImportClixml", "ConvertToCliXml", "ConvertFromCliXml"]

_DRIVE = re.compile(r"^([A-Za-z][\w-]*):")
_MAX_DEPTH = 1000


def _check_depth(cmdlet: Cmdlet) -> int:
    depth = cmdlet.Depth if cmdlet.Depth is not None else 2
    if not 1 <= depth <= _MAX_DEPTH:
        raise cmdlet.terminate(f"Cannot validate argument on parameter 'Depth'. The {depth} argument "
                               f"is not between 1 and {_MAX_DEPTH}.", "ParameterArgumentValidationError",
                               "InvalidData")
    return depth


def _file_path(cmdlet: Cmdlet, path: Any, literal: bool) -> str:
    """The file a path names; a path on a drive of another provider (Env:, Variable:) is an error."""
    text = to_str(path)
    if text == "":
        raise cmdlet.terminate("Cannot bind argument to parameter 'Path' because it is an empty string.",
                               "ParameterArgumentValidationErrorEmptyStringNotAllowed", "InvalidData")
    match = _DRIVE.match(text)
    if match is not None:
        from pshell.engine.drives import find_drive
        drive = find_drive(cmdlet.runspace, match.group(1))
        if drive is not None and drive.Provider.Name != "FileSystem":
            raise cmdlet.terminate(f"The path '{text}' is on the {drive.Provider.Name} provider; only "
                                   f"file system paths can be read or written here.",
                                   "ReadWriteFileNotFileSystemProvider", "InvalidArgument", text)
    if not literal:
        from pshell.cmdlets._paths import expand_paths
        found = expand_paths(cmdlet, [text])
        if len(found) > 1:
            raise cmdlet.terminate(f"The path '{text}' names {len(found)} files; give one.",
                                   "ReadWriteMultipleFilesNotSupported", "InvalidArgument", text)
        if found:
            return found[0]
    return cmdlet.resolve_path(text)


def _null_path(cmdlet: Cmdlet) -> None:
    for name in ("Path", "LiteralPath"):
        if cmdlet.is_bound(name) and cmdlet.bound[name] is None:
            raise cmdlet.terminate(f"Cannot bind argument to parameter '{name}' because it is null.",
                                   "ParameterArgumentValidationErrorNullNotAllowed", "InvalidData")


def _key_of(cmdlet: Cmdlet) -> Callable[[], bytes]:
    """This user's SecureString key, found through the runspace's HOME (made when first needed)."""
    environ = cmdlet.runspace.environ
    return lambda: secure_key(environ)


def _encoding(cmdlet: Cmdlet) -> str:
    name = to_str(cmdlet.Encoding or "utf8").lower().replace("-", "")
    return {"utf8": "utf-8", "utf8nobom": "utf-8", "utf8bom": "utf-8-sig", "ascii": "ascii",
            "unicode": "utf-16", "utf32": "utf-32", "bigendianunicode": "utf-16-be",
            "latin1": "latin-1", "default": "utf-8", "oem": "utf-8"}.get(name, "utf-8")


@register
class ExportClixml(Cmdlet):
    name = "Export-Clixml"
    synopsis = "Writes objects to a file as CLIXML, for Import-Clixml to read back."
    default_set = "ByPath"
    params = (
        Param("Path", "string", position=0, mandatory=("ByPath",), sets=("ByPath",)),
        Param("LiteralPath", "string", mandatory=("ByLiteralPath",), aliases=("PSPath", "LP"),
              sets=("ByLiteralPath",)),
        Param("InputObject", "object", mandatory=True, pipeline=True),
        Param("Depth", "int"),
        Param("Force", "switch"),
        Param("NoClobber", "switch", aliases=("NoOverwrite",)),
        Param("Encoding", "string"),
    ) + SHOULD_PROCESS_PARAMS

    def begin(self) -> None:
        _null_path(self)
        self._depth = _check_depth(self)
        literal = self.is_bound("LiteralPath")
        self._target = _file_path(self, self.LiteralPath if literal else self.Path, literal)
        self._values: List[Any] = []

    def process(self) -> None:
        if self.InputObject is not AutomationNull:
            self._values.append(self.InputObject)

    def end(self) -> None:
        target = self._target
        if self.NoClobber and os.path.exists(target):
            raise self.terminate(f"The file '{target}' already exists.", "NoClobber", "ResourceExists",
                                 target)
        if not self.should_process(target):
            return
        text = _dump(self, self._values, self._depth)
        if os.path.isdir(target):
            raise self.terminate(f"'{target}' is a directory.", "FileOpenFailure", "OpenError", target)
        if self.Force and os.path.exists(target) and not os.access(target, os.W_OK):
            try:
                os.chmod(target, os.stat(target).st_mode | 0o200)
            except OSError:
                pass
        try:
            with open(target, "w", encoding=_encoding(self), newline="\n") as handle:
                handle.write(text)
        except OSError as exc:
            raise self.terminate(f"Cannot write '{target}': {exc.strerror}.", "FileOpenFailure",
                                 "OpenError", target) from None


def _dump(cmdlet: Cmdlet, values: List[Any], depth: int) -> str:
    try:
        return dumps(values, depth, _key_of(cmdlet))
    except (CliXmlError, OSError) as exc:
        raise cmdlet.terminate(f"Cannot write the objects as CLIXML: {exc}", "CliXmlWriteFailed",
                               "InvalidOperation") from None


@register
class ImportClixml(Cmdlet):
    name = "Import-Clixml"
    synopsis = "Reads a CLIXML file (Export-Clixml's) back into objects."
    default_set = "ByPath"
    params = (
        Param("Path", "string[]", position=0, mandatory=("ByPath",), pipeline=True, by_property=True,
              sets=("ByPath",)),
        Param("LiteralPath", "string[]", mandatory=("ByLiteralPath",), aliases=("PSPath", "LP"),
              by_property=True, sets=("ByLiteralPath",)),
        Param("First", "long"),
        Param("Skip", "long"),
        Param("IncludeTotalCount", "switch"),
    )

    def process(self) -> Iterator[Any]:
        _null_path(self)
        literal = self.is_bound("LiteralPath")
        paths = (self.LiteralPath if literal else self.Path) or []
        if any(p is None for p in paths):
            raise self.terminate("Cannot bind argument to parameter 'Path' because it is null.",
                                 "ParameterArgumentValidationErrorNullNotAllowed", "InvalidData")
        for path in paths:
            target = _file_path(self, path, literal)
            try:
                with open(target, "r", encoding="utf-8-sig", errors="strict") as handle:
                    text = handle.read()
            except FileNotFoundError:
                raise self.terminate(f"Could not find file '{target}'.", "FileOpenFailure",
                                     "OpenError", target) from None
            except (OSError, UnicodeDecodeError) as exc:
                detail = getattr(exc, "strerror", None) or "it is not UTF-8 text"
                raise self.terminate(f"Cannot read '{target}': {detail}.", "FileOpenFailure",
                                     "OpenError", target) from None
            yield from self._page(_read(self, text, target))

    def _page(self, values: List[Any]) -> Iterator[Any]:
        skip = max(0, self.Skip or 0)
        chosen = values[skip:]
        if self.First is not None:
            chosen = chosen[:max(0, self.First)]
        if self.IncludeTotalCount:
            yield len(values)
        yield from chosen


def _read(cmdlet: Cmdlet, text: str, where: str) -> List[Any]:
    try:
        return loads(text, _key_of(cmdlet))
    except CliXmlError as exc:
        raise cmdlet.terminate(f"'{where}' is not CLIXML pshell will read: {exc}", "InvalidCliXml",
                               "InvalidData", where) from None


@register
class ConvertToCliXml(Cmdlet):
    name = "ConvertTo-CliXml"
    synopsis = "Converts objects to CLIXML text."
    params = (
        Param("InputObject", "object", position=0, mandatory=True, pipeline=True),
        Param("Depth", "int"),
    )

    def begin(self) -> None:
        self._depth = _check_depth(self)
        self._values: List[Any] = []

    def process(self) -> None:
        if self.InputObject is not AutomationNull:
            self._values.append(self.InputObject)

    def end(self) -> Iterator[Any]:
        yield _dump(self, self._values, self._depth)


@register
class ConvertFromCliXml(Cmdlet):
    name = "ConvertFrom-CliXml"
    synopsis = "Converts CLIXML text back into objects."
    params = (
        Param("InputObject", "string", position=0, mandatory=True, pipeline=True),
    )

    def process(self) -> Iterator[Any]:
        text: Optional[str] = self.InputObject
        if text:
            yield from _read(self, text, "the text")
