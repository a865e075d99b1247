"""The files a process has mapped (``System.Diagnostics.ProcessModule``) and the version record
of a program file (``System.Diagnostics.FileVersionInfo``), as .NET gives them on Linux: modules
come from ``/proc/<pid>/maps`` (one per mapped file, the lowest address its base, the span of its
mappings its size); Linux files carry no version resource, so the version fields are empty.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Tuple

__all__ = ["ProcessModule", "FileVersionInfo", "process_modules", "main_module"]

_PROC = "/proc"
#: the most lines of a maps file read (a process maps far fewer; a bound against absurd ones)
_MAX_MAP_LINES = 200_000


class FileVersionInfo:
    """What .NET reports about a program file's version; on Linux only the names are known."""

    ps_type_names = ("System.Diagnostics.FileVersionInfo", "System.Object")
    ps_properties = ("FileName", "FileVersion", "ProductVersion", "FileDescription", "ProductName",
                     "CompanyName", "FileMajorPart", "FileMinorPart", "FileBuildPart",
                     "FilePrivatePart", "OriginalFilename", "InternalName", "Language")

    def __init__(self, path: str) -> None:
        self.FileName = path
        self.OriginalFilename = os.path.basename(path)
        self.InternalName = os.path.basename(path)
        self.FileVersion: Optional[str] = None
        self.ProductVersion: Optional[str] = None
        self.FileDescription: Optional[str] = None
        self.ProductName: Optional[str] = None
        self.CompanyName: Optional[str] = None
        self.Language: Optional[str] = None
        self.FileMajorPart = self.FileMinorPart = self.FileBuildPart = self.FilePrivatePart = 0

    def ToString(self) -> str:
        return f"File:             {self.FileName}\nInternalName:     {self.InternalName}\n" \
               f"OriginalFilename: {self.OriginalFilename}"


class ProcessModule:
    """One file mapped into a process."""

    ps_type_names = ("System.Diagnostics.ProcessModule", "System.ComponentModel.Component",
                     "System.MarshalByRefObject", "System.Object")
    ps_properties = ("ModuleName", "FileName", "BaseAddress", "ModuleMemorySize",
                     "EntryPointAddress", "FileVersionInfo", "Size", "Company", "FileVersion",
                     "ProductVersion", "Description", "Product")

    def __init__(self, path: str, base: int, size: int) -> None:
        self.FileName = path
        self.ModuleName = os.path.basename(path)
        self.BaseAddress = base
        self.ModuleMemorySize = size
        self.EntryPointAddress = 0

    @property
    def Size(self) -> int:
        return self.ModuleMemorySize // 1024

    @property
    def FileVersionInfo(self) -> FileVersionInfo:
        return FileVersionInfo(self.FileName)

    Company = FileVersion = ProductVersion = Description = Product = None

    def ToString(self) -> str:
        return f"System.Diagnostics.ProcessModule ({self.ModuleName})"


def process_modules(pid: int) -> List[ProcessModule]:
    """The modules of process ``pid`` in address order; OSError when its maps cannot be read
    (another user's process, or one that has ended)."""
    spans: Dict[str, Tuple[int, int]] = {}
    with open(f"{_PROC}/{pid}/maps", "rb") as handle:
        for count, raw in enumerate(handle):
            if count >= _MAX_MAP_LINES:
                break
            fields = raw.decode("utf-8", errors="replace").rstrip("\n").split(None, 5)
            if len(fields) < 6 or not fields[5].startswith("/"):
                continue                # anonymous memory, [heap], [stack], [vdso]...
            path = fields[5]
            if path.endswith(" (deleted)"):
                path = path[:-len(" (deleted)")]
            low_text, _, high_text = fields[0].partition("-")
            try:
                low, high = int(low_text, 16), int(high_text, 16)
            except ValueError:
                continue
            known = spans.get(path)
            spans[path] = (low, high) if known is None else (min(known[0], low), max(known[1], high))
    return [ProcessModule(path, low, high - low)
            for path, (low, high) in sorted(spans.items(), key=lambda item: item[1][0])]


def main_module(pid: int, exe: Optional[str]) -> Optional[ProcessModule]:
    """The module of the process's own program file (None for a kernel thread, which maps none)."""
    if not exe:
        return None
    try:
        modules = process_modules(pid)
    except OSError:
        return None
    return next((m for m in modules if m.FileName == exe), None)
