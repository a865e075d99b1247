"""Update-FormatData and Export-FormatData (the reading is engine/format_xml.py, the writing
engine/format_data.py)."""

from __future__ import annotations

import os

from pshell.cmdlets.clixml import _file_path
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.format_data import ViewDefinition, export_xml
from pshell.engine.format_xml import MAX_BYTES, FormatXmlError, load_file, session_views
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List

__all__ = ["ExportFormatData", "UpdateFormatData"]


@register
class UpdateFormatData(Cmdlet):
    name = "Update-FormatData"
    synopsis = "Loads views from *.format.ps1xml files into the session, or reloads those loaded."
    params = (
        Param("AppendPath", "string[]", position=0, aliases=("PSPath", "Path")),
        Param("PrependPath", "string[]"),
    ) + SHOULD_PROCESS_PARAMS

    def process(self) -> None:
        table = session_views(self.runspace)
        work = [(path, False) for path in self.AppendPath or []] + \
            [(path, True) for path in self.PrependPath or []]
        if not work:
            # no path: read again every file the session loaded, in place
            for path, prepend, _ in list(table.files if table is not None else []):
                self._load(path, path, prepend)
            return
        for path, prepend in work:
            full = self.resolve_path(to_str(path).replace("\\", "/"))
            self._load(to_str(path), full, prepend)

    def _load(self, given: str, full: str, prepend: bool) -> None:
        if not self.should_process(full, "Update-FormatData"):
            return
        try:
            if os.path.getsize(full) > MAX_BYTES:
                raise FormatXmlError(f"{full}: the file is larger than {MAX_BYTES} bytes.")
            with open(full, encoding="utf-8-sig", errors="replace") as handle:
                text = handle.read(MAX_BYTES + 1)
            load_file(self.runspace, full, text, prepend)
        except OSError as exc:
            self.write_error(f"Cannot read the format file '{full}': {exc.strerror}.",
                             "FormatXmlUpdateException", "InvalidOperation", given)
        except FormatXmlError as exc:
            self.write_error(f"The format file was not loaded: {exc}", "FormatXmlUpdateException",
                             "InvalidOperation", given)


@register
class ExportFormatData(Cmdlet):
    name = "Export-FormatData"
    synopsis = "Writes views (from Get-FormatData) to a *.format.ps1xml file."
    default_set = "ByPath"
    params = (
        Param("InputObject", "object[]", mandatory=True, pipeline=True),
        Param("Path", "string", mandatory=("ByPath",), sets=("ByPath",), aliases=("FilePath",)),
        Param("LiteralPath", "string", mandatory=("ByLiteral",), sets=("ByLiteral",),
              aliases=("PSPath", "LP")),
        Param("Force", "switch"),
        Param("NoClobber", "switch", aliases=("NoOverwrite",)),
        Param("IncludeScriptBlock", "switch"),
    ) + SHOULD_PROCESS_PARAMS

    def begin(self) -> None:
        self._views: List[Any] = []

    def process(self) -> None:
        items = self.InputObject if isinstance(self.InputObject, (list, tuple)) else [self.InputObject]
        for item in items:
            views = _property(item, "FormatViewDefinition")
            if not isinstance(views, (list, tuple)):
                views = [views]
            found = [v.view for v in views if isinstance(v, ViewDefinition)]
            if not found:
                self.write_error("Only what Get-FormatData returns can be exported.",
                                 "InvalidTypeDefinition", "InvalidArgument", item)
            self._views += found

    def end(self) -> None:
        literal = self.is_bound("LiteralPath")
        target = _file_path(self, self.LiteralPath if literal else self.Path, literal)
        if self.NoClobber and os.path.exists(target):
            raise self.terminate(f"The file '{target}' already exists (-NoClobber).", "NoClobber",
                                 "ResourceExists", target)
        if os.path.isdir(target):
            raise self.terminate(f"'{target}' is a directory.", "FileOpenFailure", "OpenError", target)
        if not self.should_process(target, "Export-FormatData"):
            return
        if self.Force and os.path.exists(target) and not os.access(target, os.W_OK):
            try:
                os.chmod(target, os.stat(target).st_mode | 0o200)
            except OSError:
                pass
        try:
            with open(target, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(export_xml(self._views))
        except OSError as exc:
            raise self.terminate(f"Cannot write '{target}': {exc.strerror}.", "FileOpenFailure",
                                 "OpenError", target) from None


def _property(item: Any, name: str) -> Any:
    from pshell.engine import format as fmt
    return fmt.member_value(item, name)
