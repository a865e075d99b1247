"""Providers and drives: the FileSystem provider's drives (``/``, ``Temp:`` and those New-PSDrive
adds, which are folder names), and the Environment, Variable, Function and Alias providers' single
drives. A path on a file system drive resolves to a folder path (``Runspace.resolve_path``)."""

from __future__ import annotations

import os
import re
import tempfile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional

__all__ = ["ProviderInfo", "PSDriveInfo", "PROVIDERS", "drives_of", "find_drive", "add_drive",
           "remove_drive", "map_drive_path"]

_DRIVE_PREFIX = re.compile(r"^([A-Za-z_][\w\-]*):", re.DOTALL)


class ProviderInfo:
    ps_type_names = ("System.Management.Automation.ProviderInfo",)
    ps_properties = ("Name", "Capabilities", "Drives")

    def __init__(self, name: str, capabilities: str, separator: str = "/",
                 alt_separator: str = "\\") -> None:
        self.Name = name
        self.Capabilities = capabilities
        self._separators = (separator, alt_separator)
        self.ImplementingType = f"Microsoft.PowerShell.Commands.{name}Provider"
        self.ModuleName = "Microsoft.PowerShell.Core"
        self.Home = os.path.expanduser("~") if name == "FileSystem" else ""

    @property
    def ItemSeparator(self) -> str:
        return self._separators[0]

    @property
    def AltItemSeparator(self) -> str:
        return self._separators[1]

    @property
    def Drives(self) -> List[str]:
        return [d.Name for d in _BUILTIN if d.Provider is self]

    def ToString(self) -> str:
        return self.Name

    def __str__(self) -> str:
        return self.Name


PROVIDERS: Dict[str, ProviderInfo] = {p.Name.lower(): p for p in (
    ProviderInfo("Alias", "ShouldProcess"),
    ProviderInfo("Environment", "ShouldProcess"),
    ProviderInfo("FileSystem", "Filter, ShouldProcess, Credentials"),
    ProviderInfo("Function", "ShouldProcess"),
    ProviderInfo("Variable", "ShouldProcess"),
)}


class PSDriveInfo:
    ps_type_names = ("System.Management.Automation.PSDriveInfo",)
    ps_properties = ("Name", "Used", "Free", "Provider", "Root", "CurrentLocation")

    def __init__(self, name: str, provider: ProviderInfo, root: str, description: str = "",
                 scope: Any = None) -> None:
        self.Name = name
        self.Provider = provider
        self.Root = root
        self.Description = description
        self.DisplayRoot = root
        self.scope = scope

    def _usage(self) -> Optional[os.statvfs_result]:
        if self.Provider.Name != "FileSystem":
            return None
        try:
            return os.statvfs(self.Root or "/")
        except OSError:
            return None

    @property
    def Used(self) -> Optional[int]:
        st = self._usage()
        return None if st is None else (st.f_blocks - st.f_bfree) * st.f_frsize

    @property
    def Free(self) -> Optional[int]:
        st = self._usage()
        return None if st is None else st.f_bavail * st.f_frsize

    @property
    def CurrentLocation(self) -> str:
        return ""

    def ToString(self) -> str:
        return self.Name

    def __str__(self) -> str:
        return self.Name


def _temp_root() -> str:
    return os.path.join(tempfile.gettempdir(), "")


_BUILTIN: List[PSDriveInfo] = [
    PSDriveInfo("/", PROVIDERS["filesystem"], "/"),
    PSDriveInfo("Alias", PROVIDERS["alias"], ""),
    PSDriveInfo("Env", PROVIDERS["environment"], ""),
    PSDriveInfo("Function", PROVIDERS["function"], ""),
    PSDriveInfo("Temp", PROVIDERS["filesystem"], ""),
    PSDriveInfo("Variable", PROVIDERS["variable"], ""),
]


def _user_drives(rs: Any) -> Dict[str, PSDriveInfo]:
    found = getattr(rs, "user_drives", None)
    if found is None:
        found = {}
        rs.user_drives = found
    return found


def drives_of(rs: Any) -> List[PSDriveInfo]:
    out = []
    for drive in _BUILTIN:
        if drive.Name == "Temp":
            drive.Root = drive.DisplayRoot = _temp_root()
        out.append(drive)
    return out + sorted(_user_drives(rs).values(), key=lambda d: d.Name.lower())


def find_drive(rs: Any, name: str) -> Optional[PSDriveInfo]:
    lowered = name.lower()
    user = getattr(rs, "user_drives", None)
    if user and lowered in user:
        return user[lowered]
    for drive in drives_of(rs):
        if drive.Name.lower() == lowered:
            return drive
    return None


def add_drive(rs: Any, drive: PSDriveInfo) -> None:
    _user_drives(rs)[drive.Name.lower()] = drive


def remove_drive(rs: Any, name: str) -> bool:
    return _user_drives(rs).pop(name.lower(), None) is not None


def map_drive_path(rs: Any, text: str) -> Optional[str]:
    """``Temp:\\x`` or ``MyDrive:/x`` as a folder path, for a file system drive other than ``/``;
    None when ``text`` does not start with such a drive."""
    if ":" not in text:
        return None
    match = _DRIVE_PREFIX.match(text)
    if match is None:
        return None
    name = match.group(1)
    if name.lower() == "temp":
        root = _temp_root()
    else:
        user = getattr(rs, "user_drives", None)
        drive = user.get(name.lower()) if user else None
        if drive is None or drive.Provider.Name != "FileSystem":
            return None
        root = drive.Root
    rest = text[len(name) + 1:].lstrip("\\/")
    return os.path.join(root, rest) if rest else root


# --------------------------------------------------------------------------- drive-qualified locations

def qualifier_of(text: str) -> Optional[str]:
    """The drive name ``text`` starts with (``TestDrive`` of ``TestDrive:/a``), else None."""
    match = _DRIVE_PREFIX.match(text)
    return match.group(1) if match is not None and not text.startswith(match.group(0) + ":") else None


def _fs_drive(rs: Any, name: Optional[str]) -> Optional[PSDriveInfo]:
    drive = find_drive(rs, name) if name else None
    if drive is None or drive.Provider.Name != "FileSystem" or drive.Name == "/" or not drive.Root:
        return None
    return drive


def as_drive_path(rs: Any, name: Optional[str], physical: str) -> str:
    """``physical`` written through the file system drive ``name`` (``TestDrive:/a/b``) when it lies
    under that drive's root; else unchanged."""
    drive = _fs_drive(rs, name)
    if drive is None:
        return physical
    root = os.path.normpath(drive.Root).rstrip("/")
    if physical == root or physical == root + "/":
        return f"{drive.Name}:/"
    if physical.startswith(root + "/"):
        return f"{drive.Name}:/" + physical[len(root) + 1:]
    return physical


def note_location_drive(rs: Any, raw: str) -> None:
    """After the location changed to where ``raw`` leads: remember the drive it was entered by
    (a drive-qualified path sets it, an absolute path clears it, a relative one keeps it)."""
    text = raw.replace("\\", "/")
    name = qualifier_of(text)
    if name is not None:
        rs.location_drive = name if _fs_drive(rs, name) is not None else None
    elif text.startswith(("/", "~")):
        rs.location_drive = None


def logical_location(rs: Any) -> str:
    """The current location as pwsh shows it: through the drive it was entered by, if any."""
    return as_drive_path(rs, getattr(rs, "location_drive", None), rs.location)
