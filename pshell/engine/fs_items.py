"""File system items as pwsh shows them: ``System.IO.FileInfo`` and ``DirectoryInfo``
(``FileSystemItem``), read from one ``lstat`` each, with the Unix additions (UnixMode, User,
Group, UnixStat) and link properties (LinkType, Target, LinkTarget, ResolvedTarget); and the
listing of one directory.  The cmdlets that make them live in ``cmdlets/item.py``.
"""

from __future__ import annotations

import datetime as _dt
import os
import stat as _stat

from pshell.engine.values import to_str
from pshell.engine.wildcards import wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

__all__ = ["FileSystemItem", "make_item", "list_dir", "item_or_none", "PROVIDER_PREFIX",
           "ITEM_TYPE_FILE", "ITEM_TYPE_DIR"]

PROVIDER_PREFIX = "Microsoft.PowerShell.Core\\FileSystem::"
ITEM_TYPE_FILE = ("System.IO.FileInfo", "System.IO.FileSystemInfo", "System.MarshalByRefObject")
ITEM_TYPE_DIR = ("System.IO.DirectoryInfo", "System.IO.FileSystemInfo", "System.MarshalByRefObject")

# --------------------------------------------------------------------------- items

_USERS: Dict[int, str] = {}
_GROUPS: Dict[int, str] = {}


def _user_name(uid: int) -> str:
    if uid not in _USERS:
        try:
            import pwd
            _USERS[uid] = pwd.getpwuid(uid).pw_name
        except (KeyError, ImportError):
            _USERS[uid] = str(uid)
    return _USERS[uid]


def _group_name(gid: int) -> str:
    if gid not in _GROUPS:
        try:
            import grp
            _GROUPS[gid] = grp.getgrgid(gid).gr_name
        except (KeyError, ImportError):
            _GROUPS[gid] = str(gid)
    return _GROUPS[gid]


_RESET = "\x1b[0m"
_STYLES: List[Any] = []


def _file_styles() -> Any:
    if not _STYLES:
        from pshell.engine.psstyle import PSStyle
        _STYLES.append(PSStyle().FileInfo)
    return _STYLES[0]


#: the names of System.IO.FileAttributes (lower case)
_ATTRIBUTE_NAMES = frozenset((
    "readonly", "hidden", "system", "directory", "archive", "device", "normal", "temporary",
    "sparsefile", "reparsepoint", "compressed", "offline", "notcontentindexed", "encrypted",
    "integritystream", "noscrubdata"))


class FileSystemItem:
    """A file or directory as pwsh shows it (``System.IO.FileInfo`` / ``DirectoryInfo``):
    the properties are read from one ``lstat`` when the object is made."""

    def __init__(self, path: str, st: Optional[os.stat_result] = None) -> None:
        self.FullName = path
        self.Name = os.path.basename(path) or path
        if st is None:
            st = os.lstat(path)
        self._lst = st
        self._is_link = _stat.S_ISLNK(st.st_mode)
        target_st = st
        if self._is_link:
            try:
                target_st = os.stat(path)
            except OSError:
                target_st = st
        self._st = target_st
        self.PSIsContainer = _stat.S_ISDIR(target_st.st_mode)
        self.ps_type_names = ITEM_TYPE_DIR if self.PSIsContainer else ITEM_TYPE_FILE

    # ---- identity ------------------------------------------------------------------
    @property
    def ps_properties(self) -> Tuple[str, ...]:
        common = ("PSPath", "PSParentPath", "PSChildName", "PSIsContainer", "Mode", "UnixMode",
                  "User", "Group", "Size", "Name", "FullName", "Extension", "BaseName")
        if self.PSIsContainer:
            return common + ("Parent", "Root", "Exists", "CreationTime", "LastAccessTime",
                             "LastWriteTime", "Attributes", "LinkType", "Target", "LinkTarget",
                             "ResolvedTarget", "UnixStat")
        return common + ("Length", "DirectoryName", "IsReadOnly", "Exists", "CreationTime",
                         "LastAccessTime", "LastWriteTime", "Attributes", "LinkType", "Target",
                         "LinkTarget", "ResolvedTarget", "UnixStat")

    def ToString(self) -> str:
        return self.FullName

    def __str__(self) -> str:
        return self.FullName

    def __repr__(self) -> str:
        return f"FileSystemItem({self.FullName!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileSystemItem) and other.FullName == self.FullName

    def __hash__(self) -> int:
        return hash(self.FullName)

    # ---- names ---------------------------------------------------------------------
    @property
    def Extension(self) -> str:
        base, ext = os.path.splitext(self.Name)
        if not ext and self.Name.startswith(".") and self.Name.count(".") == 1 and len(self.Name) > 1:
            return self.Name        # .bashrc: .NET treats the whole name as the extension
        return ext

    @property
    def NameString(self) -> str:
        """The name as a listing colours it ($PSStyle.FileInfo's defaults); a link shows its target."""
        style = _file_styles()
        if self._is_link:
            return f"{style.SymbolicLink}{self.Name}{_RESET} -> {self.Target}"
        if self.PSIsContainer:
            colour = style.Directory
        elif self._st.st_mode & 0o111:
            colour = style.Executable
        else:
            colour = style.Extension.get(self.Extension.lower(), "")
        return f"{colour}{self.Name}{_RESET}" if colour else self.Name

    @property
    def BaseName(self) -> str:
        if self.PSIsContainer:
            return self.Name
        ext = self.Extension
        return self.Name[: len(self.Name) - len(ext)] if ext else self.Name

    @property
    def DirectoryName(self) -> Optional[str]:
        return os.path.dirname(self.FullName) if self.FullName != "/" else None

    @property
    def Directory(self) -> Optional["FileSystemItem"]:
        return _item_or_none(self.DirectoryName)

    @property
    def Parent(self) -> Optional["FileSystemItem"]:
        return _item_or_none(self.DirectoryName)

    @property
    def Root(self) -> "FileSystemItem":
        return FileSystemItem("/")

    @property
    def PSPath(self) -> str:
        return PROVIDER_PREFIX + self.FullName

    @property
    def PSParentPath(self) -> str:
        parent = self.DirectoryName
        return PROVIDER_PREFIX + parent if parent is not None else ""

    @property
    def PSChildName(self) -> str:
        return self.Name

    @property
    def PSDrive(self) -> str:
        return "/"

    @property
    def PSProvider(self) -> str:
        return "Microsoft.PowerShell.Core\\FileSystem"

    # ---- stat ----------------------------------------------------------------------
    @property
    def Exists(self) -> bool:
        return os.path.lexists(self.FullName)

    @property
    def Length(self) -> Optional[int]:
        return None if self.PSIsContainer else self._st.st_size

    @property
    def Size(self) -> int:
        return self._lst.st_size

    @property
    def LastWriteTime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self._st.st_mtime)

    @LastWriteTime.setter
    def LastWriteTime(self, value: Any) -> None:
        self._set_times(mtime=_timestamp(value))

    @property
    def LastAccessTime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self._st.st_atime)

    @LastAccessTime.setter
    def LastAccessTime(self, value: Any) -> None:
        self._set_times(atime=_timestamp(value))

    def _set_times(self, atime: Optional[float] = None, mtime: Optional[float] = None) -> None:
        """Changes the file's times (through a link, to its target, as .NET does) and reads
        them back."""
        os.utime(self.FullName, (self._st.st_atime if atime is None else atime,
                                 self._st.st_mtime if mtime is None else mtime))
        self._refresh()

    def _refresh(self) -> None:
        self._lst = os.lstat(self.FullName)
        try:
            self._st = os.stat(self.FullName) if self._is_link else self._lst
        except OSError:
            self._st = self._lst

    @property
    def CreationTime(self) -> _dt.datetime:
        birth = getattr(self._st, "st_birthtime", None)
        return _dt.datetime.fromtimestamp(birth if birth is not None else self._st.st_mtime)

    @property
    def LastWriteTimeUtc(self) -> _dt.datetime:
        return _dt.datetime.utcfromtimestamp(self._st.st_mtime)

    @LastWriteTimeUtc.setter
    def LastWriteTimeUtc(self, value: Any) -> None:
        when = _to_datetime(value).replace(tzinfo=_dt.timezone.utc)
        self._set_times(mtime=when.timestamp())

    @property
    def UnixMode(self) -> str:
        return _stat.filemode(self._lst.st_mode)

    @property
    def UnixFileMode(self) -> int:
        return _stat.S_IMODE(self._lst.st_mode)

    @property
    def User(self) -> str:
        return _user_name(self._lst.st_uid)

    @property
    def Group(self) -> str:
        return _group_name(self._lst.st_gid)

    @property
    def IsReadOnly(self) -> bool:
        return not (self._st.st_mode & _stat.S_IWUSR)

    @IsReadOnly.setter
    def IsReadOnly(self, value: Any) -> None:
        """True takes every write permission away (as .NET does on Unix); False gives the
        owner's back."""
        from pshell.engine.values import to_bool
        mode = _stat.S_IMODE(self._st.st_mode)
        mode = mode & ~0o222 if to_bool(value) else mode | _stat.S_IWUSR
        os.chmod(self.FullName, mode)
        self._refresh()

    @property
    def Hidden(self) -> bool:
        return self.Name.startswith(".")

    @property
    def Mode(self) -> str:
        kind = "l" if self._is_link else ("d" if self.PSIsContainer else "-")
        readonly = "r" if (self.IsReadOnly and not self.PSIsContainer) else "-"
        hidden = "h" if self.Hidden else "-"
        return f"{kind}-{readonly}{hidden}-"

    @property
    def Attributes(self) -> str:
        names = []
        if self.IsReadOnly and not self.PSIsContainer:
            names.append("ReadOnly")
        if self.Hidden:
            names.append("Hidden")
        if self.PSIsContainer:
            names.append("Directory")
        if self._is_link:
            names.append("ReparsePoint")
        return ", ".join(names) if names else "Normal"

    @Attributes.setter
    def Attributes(self, value: Any) -> None:
        """Of the attributes only ReadOnly means something on Linux: it is set or cleared.  The
        others are accepted and change nothing, as .NET does on Linux (Hidden is a leading dot in
        the name, not a flag); a word that is no attribute at all is refused."""
        words = {w.strip().lower() for w in to_str(value).replace("+", ",").split(",") if w.strip()}
        unknown = words - _ATTRIBUTE_NAMES
        if unknown:
            from pshell.engine.values import ConversionError
            raise ConversionError(f"Cannot convert value \"{to_str(value)}\" to type "
                                  f"\"System.IO.FileAttributes\": {', '.join(sorted(unknown))} is not one of "
                                  f"{', '.join(sorted(_ATTRIBUTE_NAMES))}.")
        self.IsReadOnly = "readonly" in words

    @property
    def LinkType(self) -> Optional[str]:
        if self._is_link:
            return "SymbolicLink"
        if not self.PSIsContainer and self._lst.st_nlink > 1:
            return "HardLink"
        return None

    @property
    def Target(self) -> Optional[str]:
        if not self._is_link:
            return None
        try:
            return os.readlink(self.FullName)
        except OSError:
            return None

    @property
    def LinkTarget(self) -> Optional[str]:
        """The link's own target text (.NET's FileSystemInfo.LinkTarget); None for no link."""
        return self.Target

    @property
    def ResolvedTarget(self) -> str:
        """Where the item finally leads: a link followed to its end (even when the end does not
        exist), any other item its own full name."""
        if not self._is_link:
            return self.FullName
        return os.path.realpath(self.FullName)

    @property
    def UnixStat(self) -> "UnixStat":
        return UnixStat(self._lst)

    # ---- a few methods admins call ----------------------------------------------------
    def Delete(self, recursive: Any = False) -> None:
        import shutil
        if self.PSIsContainer and not self._is_link:
            if recursive:
                shutil.rmtree(self.FullName)
            else:
                os.rmdir(self.FullName)
        else:
            os.remove(self.FullName)

    def GetFiles(self, pattern: str = "*") -> List["FileSystemItem"]:
        return [i for i in _list_dir(self.FullName, True) if not i.PSIsContainer
                and wildcard_match(pattern, i.Name, case_sensitive=True)]

    def GetDirectories(self, pattern: str = "*") -> List["FileSystemItem"]:
        return [i for i in _list_dir(self.FullName, True) if i.PSIsContainer
                and wildcard_match(pattern, i.Name, case_sensitive=True)]


class UnixStat:
    """What ``lstat`` says about an item (pwsh's Platform+Unix+CommonStat)."""

    ps_type_names = ("System.Management.Automation.Platform+Unix+CommonStat", "System.Object")
    ps_properties = ("Inode", "Mode", "UserId", "GroupId", "HardlinkCount", "Size", "AccessTime",
                     "ModifiedTime", "StatusChangeTime", "BlockSize", "DeviceId", "NumberOfBlocks",
                     "IsDirectory", "IsFile", "IsSymbolicLink", "IsReadOnly", "IsSetUid", "IsSetGid",
                     "IsSticky")

    def __init__(self, st: os.stat_result) -> None:
        self._st = st
        self.Inode = st.st_ino
        self.Mode = st.st_mode
        self.UserId = st.st_uid
        self.GroupId = st.st_gid
        self.HardlinkCount = st.st_nlink
        self.Size = st.st_size
        self.BlockSize = getattr(st, "st_blksize", 0)
        self.DeviceId = st.st_dev
        self.NumberOfBlocks = getattr(st, "st_blocks", 0)
        self.IsDirectory = _stat.S_ISDIR(st.st_mode)
        self.IsFile = _stat.S_ISREG(st.st_mode)
        self.IsSymbolicLink = _stat.S_ISLNK(st.st_mode)
        self.IsSetUid = bool(st.st_mode & _stat.S_ISUID)
        self.IsSetGid = bool(st.st_mode & _stat.S_ISGID)
        self.IsSticky = bool(st.st_mode & _stat.S_ISVTX)

    @property
    def IsReadOnly(self) -> bool:
        return not self._st.st_mode & 0o222

    @property
    def AccessTime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self._st.st_atime)

    @property
    def ModifiedTime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self._st.st_mtime)

    @property
    def StatusChangeTime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self._st.st_ctime)

    def GetModeString(self) -> str:
        return _stat.filemode(self._st.st_mode)

    def ToString(self) -> str:
        return self.GetModeString()


def _to_datetime(value: Any) -> _dt.datetime:
    from pshell.engine.conversions import convert_to
    return convert_to(value, "datetime")


def _timestamp(value: Any) -> float:
    when = _to_datetime(value)
    return when.timestamp()     # a naive time is local time, as .NET's DateTime Kind Local


def make_item(path: str) -> FileSystemItem:
    return FileSystemItem(path)


def _item_or_none(path: Optional[str]) -> Optional[FileSystemItem]:
    if path is None:
        return None
    try:
        return FileSystemItem(path)
    except OSError:
        return None


def _list_dir(folder: str, force: bool, on_error: Any = None) -> List[FileSystemItem]:
    """A directory's entries: directories first, then files, each sorted by name.
    ``on_error(exc)`` hears about a directory that cannot be read."""
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        if on_error is not None:
            on_error(exc)
        return []
    items = []
    for entry in entries:
        if not force and entry.name.startswith("."):
            continue
        try:
            items.append(FileSystemItem(entry.path, entry.stat(follow_symlinks=False)))
        except OSError:
            continue
    items.sort(key=lambda i: (not i.PSIsContainer, i.Name.lower(), i.Name))
    return items


list_dir = _list_dir
item_or_none = _item_or_none
