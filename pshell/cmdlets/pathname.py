"""Join-Path, Split-Path, Resolve-Path: path strings, the way admin scripts build them."""

from __future__ import annotations

import glob
import os

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.drives import as_drive_path, qualifier_of
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List

__all__: List[str] = []


def _has_wildcard(path: str) -> bool:
    return any(c in path for c in "*?[")


@register
class JoinPath(Cmdlet):
    name = "Join-Path"
    synopsis = "Joins a path and child paths into one path."
    params = (
        Param("Path", "string[]", position=0, mandatory=True, pipeline=True, by_property=True,
              aliases=("PSPath",)),
        Param("ChildPath", "string[]", position=1, by_property=True),
        Param("AdditionalChildPath", "string[]", position=2, remaining=True),
        Param("Extension", "string", by_property=True),
        Param("Resolve", "switch"),
    )

    def process(self) -> Iterator[str]:
        children = [c for c in list(self.ChildPath or []) + list(self.AdditionalChildPath or [])
                    if c is not None]
        for base in self.Path:
            joined = base
            for child in children or [""]:
                joined = joined.rstrip("/\\") + "/" + child.lstrip("/\\") if joined else child
            if self.Extension is not None:
                joined = _with_extension(joined, self.Extension)
            if not self.Resolve:
                yield joined
                continue
            drive = joined.split(":", 1)[0] if ":" in joined.split("/")[0] else None
            if drive is not None and drive.lower() not in ("filesystem",):
                from pshell.engine.drives import find_drive
                if find_drive(self.runspace, drive) is None:
                    self.write_error(self.error_record(
                        f"Cannot find drive. A drive with the name '{drive}' does not exist.",
                        "DriveNotFound", "ObjectNotFound", drive,
                        exception_type="System.Management.Automation.DriveNotFoundException"))
                    continue
            full = self.resolve_path(joined)
            matches = sorted(glob.glob(full)) if _has_wildcard(full) else (
                [full] if os.path.exists(full) else [])
            if not matches:
                self.write_error(f"Cannot find path '{full}' because it does not exist.",
                                 "PathNotFound", "ObjectNotFound", full)
            yield from (_shown(self.runspace, joined, match) for match in matches)


def _with_extension(path: str, extension: str) -> str:
    """The last extension of the path's leaf replaced (or added); an empty one removes it."""
    head, sep, leaf = path.rpartition("/")
    stem = os.path.splitext(leaf)[0] or leaf
    if extension and not extension.startswith("."):
        extension = "." + extension
    return head + sep + stem + extension


def _shown(rs: Any, given: str, physical: str) -> str:
    """A resolved path as pwsh writes it: through the drive ``given`` named, or, for a relative
    ``given``, through the drive the location was entered by."""
    text = to_str(given).replace("\\", "/")
    drive = qualifier_of(text)
    if drive is None and not text.startswith(("/", "~")):
        drive = getattr(rs, "location_drive", None)
    return as_drive_path(rs, drive, physical)


@register
class SplitPath(Cmdlet):
    name = "Split-Path"
    synopsis = "Returns a part of a path: its parent (default), leaf, base name, extension..."
    params = (
        Param("Path", "string[]", position=0, mandatory=True, pipeline=True, by_property=True,
              aliases=("PSPath",)),
        Param("Parent", "switch"),
        Param("Leaf", "switch"),
        Param("LeafBase", "switch"),
        Param("Extension", "switch"),
        Param("Qualifier", "switch"),
        Param("NoQualifier", "switch"),
        Param("IsAbsolute", "switch"),
        Param("Resolve", "switch"),
    )

    def process(self) -> Iterator[Any]:
        for path in self.Path:
            targets = [path]
            if self.Resolve:
                full = self.resolve_path(path)
                targets = sorted(glob.glob(full)) if _has_wildcard(full) else [full]
            for target in targets:
                yield self._part(_shown(self.runspace, path, target) if self.Resolve else target)

    def _part(self, path: str) -> Any:
        trimmed = path.rstrip("/") or path
        if self.IsAbsolute:
            return path.startswith("/") or path.startswith("~") or qualifier_of(path) is not None
        if self.Leaf:
            return os.path.basename(trimmed)
        if self.LeafBase:
            return os.path.splitext(os.path.basename(trimmed))[0]
        if self.Extension:
            return os.path.splitext(os.path.basename(trimmed))[1]
        drive = qualifier_of(path)
        if self.Qualifier:
            if drive is not None:
                return drive + ":"
            if path.startswith("/"):
                return "/"
            raise self.terminate(f"Cannot parse path because path '{path}' does not have a "
                                 f"qualifier specified.", "ParsePathError", "InvalidArgument", path)
        if self.NoQualifier:
            return path[len(drive) + 1:] if drive is not None else path
        parent = os.path.dirname(trimmed)
        return parent if parent != trimmed else ""


class PathInfo:
    ps_type_names = ("System.Management.Automation.PathInfo",)
    ps_properties = ("Path",)

    def __init__(self, path: str) -> None:
        self.Path = path
        self.ProviderPath = path

    def ToString(self) -> str:
        return self.Path


@register
class ResolvePath(Cmdlet):
    name = "Resolve-Path"
    synopsis = "Resolves wildcards and relative paths to the existing full paths."
    params = (
        Param("Path", "string[]", position=0, pipeline=True, by_property=True, aliases=("PSPath",)),
        Param("LiteralPath", "string[]", aliases=("LP",)),
        Param("Relative", "switch"),
        Param("RelativeBasePath", "string"),
        Param("Force", "switch"),
    )

    def _full(self, path: str, base: str) -> str:
        """A relative path is relative to -RelativeBasePath when given."""
        text = to_str(path).replace("\\", "/")
        if self.RelativeBasePath and not (os.path.isabs(text) or text.startswith("~") or ":" in text):
            return self.resolve_path(os.path.join(base, text))
        return self.resolve_path(path)

    def process(self) -> Iterator[Any]:
        paths = [(p, False) for p in (self.Path or [])] + [(p, True) for p in (self.LiteralPath or [])]
        base = self.resolve_path(self.RelativeBasePath) if self.RelativeBasePath else \
            self.runspace.location
        for path, literal in paths:
            full = self._full(path, base)
            found = [full] if (literal or not _has_wildcard(full)) and os.path.exists(full) else (
                sorted(glob.glob(full)) if not literal else [])
            if found and not self.Force and not literal and _has_wildcard(full):
                found = [f for f in found if not os.path.basename(f).startswith(".")]   # hidden
            if not found:
                self.write_error(f"Cannot find path '{full}' because it does not exist.",
                                 "PathNotFound", "ObjectNotFound", full)
                continue
            for item in found:
                if self.Relative:
                    relative = os.path.relpath(item, base)
                    if not relative.startswith(".."):
                        relative = "./" + ("" if relative == "." else relative)
                    yield relative
                else:
                    yield PathInfo(_shown(self.runspace, to_str(path), item))
