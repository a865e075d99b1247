"""Import-PowerShellDataFile: a .psd1 file's hash table, read as data (engine/data_file.py)."""

from __future__ import annotations


from pshell.cmdlets.item import PathCmdlet
from pshell.engine.cmdlet import Param, register
from pshell.engine.errors import RuntimeException


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

@register
class ImportPowerShellDataFile(PathCmdlet):
    name = "Import-PowerShellDataFile"
    synopsis = "Reads the hash table of a .psd1 data file without running anything in it."
    output_type = "System.Collections.Hashtable"
    params = (Param("Path", "string[]", position=0, mandatory=("ByPath",), pipeline=True,
                    by_property=True, sets=("ByPath",)),
              Param("LiteralPath", "string[]", mandatory=("ByLiteralPath",), by_property=True,
                    aliases=("PSPath", "LP"), sets=("ByLiteralPath",)),
              Param("SkipLimitCheck", "switch"))

    def process(self) -> Iterator[Any]:
        from pshell.engine.data_file import DataFileError, read_data_file
        literal = self.LiteralPath is not None
        for given in (self.LiteralPath if literal else self.Path) or ():
            matches, wild = self.expand(given, literal)
            if wild and not matches:
                self.not_found(self.absolute(given))
            for path in matches:
                try:
                    yield read_data_file(path, bool(self.SkipLimitCheck))
                except DataFileError as exc:
                    record = self.error_record(exc.message, exc.error_id, exc.category, path,
                                               exception_type=exc.exception_type)
                    if exc.exception_type == "System.InvalidOperationException":
                        raise RuntimeException(record) from None     # unsafe or too large: stop
                    self.write_error(record)
