"""Get-Location, Set-Location, Push-Location, Pop-Location.

The location belongs to the runspace (``rs.location``); the process's cwd is never changed, since
jobs and remote sessions share the process.  ``Set-Location -`` and ``+`` walk a per-runspace
history, like pwsh's; ``Push-Location``/``Pop-Location`` use named stacks on the runspace.
"""

from __future__ import annotations

import os
import weakref

from pshell.cmdlets.item import PathCmdlet
from pshell.engine.cmdlet import Param, register
from pshell.engine.drives import logical_location, note_location_drive
from pshell.engine.errors import RuntimeException
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional
    from pshell.engine.runtime import Runspace

__all__ = ["PathInfo", "location_stacks"]

_DEFAULT_STACK = "default"
_HISTORY_LIMIT = 20


class PathInfo:
    """What Get-Location returns (``System.Management.Automation.PathInfo``)."""

    ps_properties = ("Path",)
    ps_type_names = ("System.Management.Automation.PathInfo",)

    def __init__(self, path: str) -> None:
        self.Path = path

    @property
    def ProviderPath(self) -> str:
        return self.Path

    @property
    def Provider(self) -> str:
        return "Microsoft.PowerShell.Core\\FileSystem"

    @property
    def Drive(self) -> str:
        return "/"

    def ToString(self) -> str:
        return self.Path

    def __str__(self) -> str:
        return self.Path

    def __repr__(self) -> str:
        return f"PathInfo({self.Path!r})"


class PathInfoStack:
    """A named location stack (``Get-Location -Stack``)."""

    ps_properties = ("Name", "Count")
    ps_type_names = ("System.Management.Automation.PathInfoStack",)

    def __init__(self, name: str, paths: List[str]) -> None:
        self.Name = name
        self.paths = paths

    @property
    def Count(self) -> int:
        return len(self.paths)


def location_stacks(rs: Runspace) -> Dict[str, List[str]]:
    """The runspace's named stacks."""
    return rs.location_stack


class _Walks:
    """What the location cmdlets remember of one runspace besides its named stacks: the history
    ``Set-Location -`` and ``+`` walk, and the stack ``Set-Location -StackName`` made the default."""

    __slots__ = ("back", "forward", "default_stack", "drive_locations")

    def __init__(self) -> None:
        self.back: List[str] = []
        self.forward: List[str] = []
        self.default_stack = _DEFAULT_STACK
        self.drive_locations: Dict[str, str] = {}   # drive (lower case) -> last folder on it


_WALKS: "weakref.WeakKeyDictionary[Runspace, _Walks]" = weakref.WeakKeyDictionary()


def _walks(rs: Runspace) -> _Walks:
    walks = _WALKS.get(rs)
    if walks is None:
        walks = _WALKS.setdefault(rs, _Walks())
    return walks


class LocationCmdlet(PathCmdlet):
    def _container(self, raw: Any, literal: bool) -> Optional[str]:
        """The directory ``raw`` names, or None after writing the error."""
        text = to_str(raw)
        matches, wild = self.expand(text, literal, force=True)
        if wild:
            dirs = [m for m in matches if os.path.isdir(m)]
            if len(dirs) > 1:
                self.write_error(self.error_record(
                    f"Cannot set the location because path '{text}' resolved to multiple "
                    f"containers. You can only set the location to a single container at a "
                    f"time.", "PathResolvedToMultiple", "InvalidArgument", target=text))
                return None
            matches = dirs
        if not matches or not os.path.isdir(matches[0]):
            full = matches[0] if matches else self.absolute(text)
            self.not_found(full)
            return None
        return matches[0]

    def _go(self, target: str, remember: bool = True, raw: str = "/") -> None:
        """Move to the folder ``target``; ``raw`` is the path as given (its drive is kept)."""
        rs = self.runspace
        previous = rs.location
        rs.set_location(target)
        rs.state_location = None
        note_location_drive(rs, raw)
        drive = getattr(rs, "location_drive", None)
        if drive:
            _walks(rs).drive_locations[drive.lower()] = rs.location
        if remember:        # even a move to where it already is counts, as in pwsh
            walks = _walks(rs)
            walks.back.append(previous)
            del walks.back[:-_HISTORY_LIMIT]
            walks.forward.clear()


@register
class GetLocation(LocationCmdlet):
    name = "Get-Location"
    synopsis = "Gets the current working location or the location stack."
    params = (
        Param("Stack", "switch"),
        Param("StackName", "string[]"),
        Param("PSProvider", "string[]"),
        Param("PSDrive", "string[]"),
    )

    def process(self) -> Iterator[Any]:
        if self.Stack or self.StackName:
            stacks = location_stacks(self.runspace)
            for name in self.StackName or [_DEFAULT_STACK]:
                stack = stacks.get(name)
                if stack is None and name != _DEFAULT_STACK:
                    self.write_error(self.error_record(
                        f"Cannot find location stack '{name}'. It does not exist or it is not a "
                        f"container.", "StackNotFound", "ObjectNotFound", target=name))
                    continue
                for path in reversed(stack or []):
                    yield PathInfo(path)
            return
        state = getattr(self.runspace, "state_location", None)
        if state:
            from pshell.engine.state_drives import STORES
            yield PathInfo(f"{STORES[state].drive}:\\")
            return
        yield PathInfo(logical_location(self.runspace))


@register
class SetLocation(LocationCmdlet):
    name = "Set-Location"
    synopsis = "Sets the current working location."
    params = (
        Param("Path", "string", position=0, pipeline=True, by_property=True),
        Param("LiteralPath", "string", aliases=("PSPath", "LP"), by_property=True),
        Param("PassThru", "switch"),
        Param("StackName", "string", sets=("Stack",)),
    )

    def process(self) -> Iterator[Any]:
        rs = self.runspace
        if self.StackName is not None:
            location_stacks(rs).setdefault(self.StackName, [])
            _walks(rs).default_stack = self.StackName
            return
        literal = self.LiteralPath is not None
        raw = self.LiteralPath if literal else self.Path
        if raw is None or to_str(raw) == "":
            self._go(self.home())
        elif not literal and to_str(raw) in ("-", "+"):
            if not self._walk_history(to_str(raw)):
                return
        else:
            from pshell.engine.state_drives import STORES, split_state_path
            state = split_state_path(rs, raw)
            if state is not None and not state[1]:
                # Variable:, Function:, Alias:: relative item paths name their items
                rs.state_location = state[0]
                if self.PassThru:
                    yield PathInfo(f"{STORES[state[0]].drive}:\\")
                return
            target = None if literal else self._drive_location(to_str(raw))
            if target is None:
                target = self._container(raw, literal)
            if target is None:
                return
            self._go(target, raw=to_str(raw))
        if self.PassThru:
            yield PathInfo(logical_location(rs))

    def _drive_location(self, text: str) -> Optional[str]:
        """``Set-Location X:`` (the drive's name alone): the folder last visited through drive X,
        while it still exists and lies under the drive's root; None otherwise."""
        if not text.endswith(":") or ":" in text[:-1] or not text[:-1]:
            return None
        from pshell.engine.drives import find_drive
        drive = find_drive(self.runspace, text[:-1])
        known = _walks(self.runspace).drive_locations.get(text[:-1].lower())
        if drive is None or known is None or not getattr(drive, "Root", None) or not os.path.isdir(known):
            return None
        root = os.path.realpath(self.absolute(text))
        inside = os.path.realpath(known)
        return known if inside == root or inside.startswith(root.rstrip("/") + "/") else None

    def _walk_history(self, direction: str) -> bool:
        rs = self.runspace
        walks = _walks(rs)
        source, other = (walks.back, walks.forward) if direction == "-" else \
            (walks.forward, walks.back)
        if not source:
            word = "backward" if direction == "-" else "forward"
            raise RuntimeException(self.error_record(
                f"There is no location history left to navigate {word}.",
                "System.InvalidOperationException", "InvalidOperation", target=direction,
                exception_type="System.InvalidOperationException"))
        target = source.pop()
        if not os.path.isdir(target):
            self.not_found(target)
            return False
        other.append(rs.location)
        rs.set_location(target)
        return True


@register
class PushLocation(LocationCmdlet):
    name = "Push-Location"
    synopsis = "Adds the current location to the top of a location stack."
    params = (
        Param("Path", "string", position=0, pipeline=True, by_property=True),
        Param("LiteralPath", "string", aliases=("PSPath", "LP"), by_property=True),
        Param("PassThru", "switch"),
        Param("StackName", "string"),
    )

    def process(self) -> Iterator[Any]:
        rs = self.runspace
        literal = self.LiteralPath is not None
        raw = self.LiteralPath if literal else self.Path
        target = None
        if raw is not None:
            target = self._container(raw, literal)
            if target is None:
                return
        name = self.StackName or _walks(rs).default_stack
        location_stacks(rs).setdefault(name, []).append(logical_location(rs))
        if target is not None:
            self._go(target, raw=to_str(raw))
        if self.PassThru:
            yield PathInfo(logical_location(rs))


@register
class PopLocation(LocationCmdlet):
    name = "Pop-Location"
    synopsis = "Changes the current location to the one most recently pushed onto the stack."
    params = (
        Param("PassThru", "switch"),
        Param("StackName", "string"),
    )

    def process(self) -> Iterator[Any]:
        rs = self.runspace
        name = self.StackName or _walks(rs).default_stack
        stacks = location_stacks(rs)
        if name not in stacks and self.StackName:
            self.write_error(self.error_record(
                f"Cannot find location stack '{name}'. It does not exist or it is not a "
                f"container.", "Argument", "InvalidArgument", target=name,
                exception_type="System.Management.Automation.PSArgumentException"))
            return
        stack = stacks.get(name) or []
        if not stack:
            return
        shown = stack.pop()
        target = rs.resolve_path(shown)
        if not os.path.isdir(target):
            self.not_found(target)
            return
        self._go(target, raw=shown)
        if self.PassThru:
            yield PathInfo(logical_location(rs))
