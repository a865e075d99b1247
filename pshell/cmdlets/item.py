"""File system items: Get-ChildItem, Get-Item, Test-Path, New-Item, Remove-Item, Copy-Item,
Move-Item, Rename-Item, and ``PathCmdlet``, the path handling the location and content cmdlets
share.  The FileSystem provider's work (paths, creating, removing, copying, moving) is
engine/fs_provider.py; these classes bind parameters and call it.

Paths are resolved against the runspace's location (never the process's cwd).  Wildcards follow
PowerShell: ``*``, ``?``, ``[abc]``/``[a-z]``, a backtick escapes the next character; matching
path names is case-sensitive (as pwsh on Linux does), ``-Include``/``-Exclude`` are not.  Names
starting with a dot are hidden: wildcards and listings skip them unless ``-Force``.
"""

from __future__ import annotations

import datetime as _dt
import os

from pshell.engine.cmdlet import Cmdlet, Param, enum_type, register
from pshell.engine.errors import RuntimeException
# the item objects live in the engine; other cmdlet modules import these names from here
from pshell.engine.fs_items import (ITEM_TYPE_DIR, ITEM_TYPE_FILE, PROVIDER_PREFIX, FileSystemItem,
                                    _item_or_none, _list_dir, make_item)
# the provider's work; env_name, env_entries, _as_paths and os_message are imported from here too
from pshell.engine.fs_provider import (_any_match, _as_paths, absolute, bad_qualifier, copy_item,
                                       env_entries, env_name, expand, filter_match, home, move_item,
                                       new_directory, new_file, new_link, os_message, remove_item,
                                       rename_item)
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.values import to_str
from pshell.engine.wildcards import has_wildcards, unescape, wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional, Tuple

__all__ = ["FileSystemItem", "make_item", "PathCmdlet", "PROVIDER_PREFIX", "ITEM_TYPE_FILE", "ITEM_TYPE_DIR",
           "_item_or_none", "_list_dir", "_as_paths", "env_entries", "env_name", "filter_match", "os_message"]


# --------------------------------------------------------------------------- path resolution

class PathCmdlet(Cmdlet):
    """Shared path handling for the file system cmdlets."""

    #: the command reads Env: paths itself; for the others :meth:`paths_of` refuses them
    env_drive = False

    def _refuse_credential(self) -> Iterator[Any]:
        """-Credential: the FileSystem provider works as the user running pshell; a credential
        is taken only by New-PSDrive (as in PowerShell), so say that instead of ignoring it."""
        raise self.terminate("The FileSystem provider takes credentials only on "
                             "New-PSDrive; run the command again without -Credential.",
                             "NotSupported", "NotImplemented")
        yield  # a generator: the error comes when the pipeline runs

    def absolute(self, path: Any) -> str:
        return absolute(self, path)

    def selected(self, name: str) -> bool:
        """Whether the command's -Filter, -Include and -Exclude let an item named ``name``
        through (for the commands that declare the three)."""
        if self.Filter and not filter_match(self.Filter, name):
            return False
        if self.Include and not _any_match(self.Include, name):
            return False
        return not (self.Exclude and _any_match(self.Exclude, name))

    def home(self) -> str:
        """``~``: the runspace's $HOME (a remote or test runspace may have its own)."""
        return home(self)

    def expand(self, path: Any, literal: bool = False, force: bool = False,
               dot_pattern_shows_hidden: bool = True) -> Tuple[List[str], bool]:
        """The existing paths ``path`` names: (matches, was_wildcard); see fs_provider.expand."""
        return expand(self, path, literal, force, dot_pattern_shows_hidden)

    # Path and LiteralPath are declared without parameter sets: a file item piped in binds its
    # PSPath to LiteralPath (by property name) whatever set the named arguments chose.

    def require_path(self) -> None:
        path, literal = getattr(self, "Path", None), getattr(self, "LiteralPath", None)
        if path is None and literal is None:
            binding = "System.Management.Automation.ParameterBindingException"
            for name in ("LiteralPath", "Path"):
                if name in self.bound:
                    raise RuntimeException(self.error_record(
                        f"Cannot bind argument to parameter '{name}' because it is null.",
                        "ParameterArgumentValidationErrorNullNotAllowed", "InvalidData",
                        exception_type=binding))
            raise RuntimeException(self.error_record(
                "Cannot process command because of one or more missing mandatory parameters: Path.",
                "MissingMandatoryParameter", "InvalidArgument", exception_type=binding))
        self.reject_empty("LiteralPath" if literal is not None else "Path",
                          literal if literal is not None else path)

    def reject_empty(self, name: str, value: Any) -> None:
        """An empty path would mean the current directory: refuse it, as pwsh does (think of
        ``Remove-Item $typo -Recurse``)."""
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is not None and to_str(item) == "":
                raise self.terminate(f"Cannot bind argument to parameter '{name}' because it is "
                                     f"an empty string.",
                                     "ParameterArgumentValidationErrorEmptyStringNotAllowed",
                                     "InvalidData")

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if self.__dict__.get("Credential") is not None:
            return self._refuse_credential()
        self._literal_positionals()
        if upstream is None:
            from pshell.cmdlets import _state_items
            if _state_items.claims(self):      # Variable:, Function:, Alias: (engine/state_drives.py)
                return _state_items.run(self)
            return super().run(None)
        return super().run(self._tap(upstream))

    def _literal_positionals(self) -> None:
        """With -LiteralPath, the first positional argument belongs to the parameter at
        position 1 (``Set-Content -LiteralPath f 'text'``); without parameter sets the binder
        gave it to Path."""
        bound = self.bound
        if "LiteralPath" not in bound or "Path" not in bound:
            return
        target = next((p for p in self.params if p.position == 1), None)
        if target is None or target.name in bound:
            raise self.terminate("Parameter set cannot be resolved using the specified named "
                                 "parameters.", "AmbiguousParameterSet", "InvalidArgument")
        value = getattr(self, "Path", None)
        many = isinstance(target.type, str) and target.type.endswith("[]")
        if isinstance(value, list) and len(value) == 1 and not many:
            value = value[0]
        if callable(target.type):
            value = target.type(value)
        setattr(self, target.name, value)
        bound[target.name] = value
        # a parameter only some path commands declare (Out-File's Path is a read-only alias)
        setattr(self, "Path", None)  # noqa: B010
        del bound["Path"]

    def _tap(self, upstream: Iterator[Any]) -> Iterator[Any]:
        for item in upstream:
            self.current_input = item
            yield item

    def delay_bound(self, value: Any) -> Any:
        """A script block given to a parameter that takes pipeline input is run for each input
        object (``Rename-Item -NewName { $_.Name + '.bak' }``)."""
        if type(value).__name__ != "ScriptBlock":
            return value
        result = self.invoke(value, dollar_under=getattr(self, "current_input", None))
        return result[0] if len(result) == 1 else result

    def paths_of(self, force: bool = False) -> Iterator[Tuple[str, str, bool]]:
        """(original text, absolute path, was_wildcard) for -Path or -LiteralPath; missing
        literal paths are reported as errors and skipped."""
        self.require_path()
        literal = getattr(self, "LiteralPath", None) is not None
        given = getattr(self, "LiteralPath", None) if literal else getattr(self, "Path", None)
        for raw in _as_paths(given):
            if env_name(raw) is not None:
                if not self.env_drive:
                    self.write_error(self.error_record(
                        f"{self.name} does not work on the Env: drive ('{to_str(raw)}'); use "
                        f"$env:NAME to read or set a variable.", "NotSupportedOnEnvDrive",
                        "InvalidOperation", target=to_str(raw)))
                continue                # the Env: drive: the command handles those itself
            if not literal and self.bad_qualifier(to_str(raw)):
                continue
            matches, wild = self.expand(raw, literal, force)
            if wild and not matches:
                self.no_match(raw)
            for full in matches:
                if not wild and not os.path.lexists(full):
                    self.not_found(full)
                    continue
                yield to_str(raw), full, wild

    def bad_qualifier(self, text: str) -> bool:
        """``Nope::path`` naming no provider or drive: reported; True when it was."""
        return bad_qualifier(self, text)

    def no_match(self, raw: Any) -> None:
        """A wildcard path that matched nothing: no error, unless the command says otherwise."""

    def env_not_found(self, name: str) -> None:
        self.not_found(f"Env:\\{name}")

    def not_found(self, full: str) -> None:
        self.write_error(self.error_record(
            f"Cannot find path '{full}' because it does not exist.", "PathNotFound",
            "ObjectNotFound", target=full,
            exception_type="System.Management.Automation.ItemNotFoundException"))

    def io_error(self, exc: OSError, full: str, error_id: str = "IOError",
                 category: str = "WriteError") -> None:
        self.write_error(self.error_record(os_message(exc, full), error_id, category, target=full))


PATH_PARAMS = (
    Param("Path", "string[]", position=0, pipeline=True, by_property=True),
    Param("LiteralPath", "string[]", aliases=("PSPath", "LP"), by_property=True),
)
#: -Credential, which the FileSystem cmdlets refuse with a clear error (PathCmdlet.run)
CREDENTIAL_PARAM = Param("Credential", "object")
#: What :meth:`PathCmdlet.selected` reads.
SELECTION_PARAMS = (
    Param("Filter", "string"),
    Param("Include", "string[]"),
    Param("Exclude", "string[]"),
)


# --------------------------------------------------------------------------- Get-ChildItem

@register
class GetChildItem(PathCmdlet):
    name = "Get-ChildItem"
    synopsis = "Gets the items and child items in one or more locations."
    output_type = "System.IO.FileInfo, System.IO.DirectoryInfo"
    params = PATH_PARAMS + (
        Param("Filter", "string", position=1),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
        Param("Recurse", "switch", aliases=("s", "r")),
        Param("Depth", "int"),
        Param("Force", "switch"),
        Param("Name", "switch"),
        Param("File", "switch", aliases=("af",)),
        Param("Directory", "switch", aliases=("ad", "d")),
        Param("Hidden", "switch", aliases=("ah", "h")),
        Param("ReadOnly", "switch", aliases=("ar",)),
        Param("System", "switch", aliases=("as",)),
        Param("FollowSymlink", "switch"),
        Param("Attributes", "string[]"),
    )

    def process(self) -> Iterator[Any]:
        force = bool(self.Force or self.Hidden)
        recurse = bool(self.Recurse) or self.Depth is not None
        depth = self.Depth if self.Depth is not None else (-1 if recurse else 0)
        literal = self.LiteralPath is not None
        if literal or self.Path is not None:
            self.require_path()
            paths = _as_paths(self.LiteralPath if literal else self.Path)
        else:
            paths = ["."]           # no path: the current location
        for raw in paths:
            text = to_str(raw)
            env = env_name(text)
            if env is not None:
                entries = env_entries(self.runspace.environ, env)
                if not entries and not has_wildcards(env):
                    self.env_not_found(env)
                for entry in entries:
                    if self.selected(entry.Key):
                        yield entry.Key if self.Name else entry
                continue
            name_filter = None
            if recurse and not has_wildcards(text) and text.endswith(("/", "\\")) and \
                    os.path.isfile(self.absolute(text.rstrip("/\\"))):
                self.write_error(self.error_record(
                    f"Cannot find path '{text}': it ends with a separator but names a file.",
                    "ItemNotFound", "ObjectNotFound", target=text,
                    exception_type="System.Management.Automation.ItemNotFoundException"))
                continue
            if recurse and not literal and not has_wildcards(text) and \
                    os.path.isfile(self.absolute(text)) and os.path.basename(text):
                # `Get-ChildItem dir/name -Recurse`: files of that name in dir and below it
                name_filter = os.path.basename(text.replace("\\", "/"))
                text = os.path.dirname(text.replace("\\", "/")) or "."
            elif recurse and not literal and has_wildcards(os.path.basename(text)) \
                    and not has_wildcards(os.path.dirname(text)):
                # `Get-ChildItem *.log -Recurse`: the pattern filters names at every level
                name_filter = os.path.basename(text)
                text = os.path.dirname(text) or "."
            matches, wild = self.expand(text, literal, force)
            if not matches and not wild:
                continue
            for full in matches:
                if not os.path.lexists(full):
                    self.not_found(full)
                    continue
                yield from self._list(full, wild, name_filter, depth, force)

    def _list(self, full: str, wild: bool, name_filter: Optional[str], depth: int,
              force: bool) -> Iterator[Any]:
        if not os.path.isdir(full):
            item = FileSystemItem(full)
            if self._wanted(item, name_filter):
                yield item.Name if self.Name else item
            return
        base = full
        yield from self._walk(base, full, name_filter, depth, force, set())

    def _walk(self, base: str, folder: str, name_filter: Optional[str], depth: int, force: bool,
              seen: set) -> Iterator[Any]:
        if self.FollowSymlink:
            key = os.path.realpath(folder)
            if key in seen:
                self.write_warning(f"Skipping '{folder}': it leads to '{key}', which was listed "
                                   f"already (a link loop).")
                return
            seen.add(key)
        items = _list_dir(folder, force,
                          lambda exc: self.io_error(exc, folder, "DirUnauthorizedAccessError",
                                                    "PermissionDenied"))
        subdirs = []
        for item in items:
            if self.stopping:
                return
            if self._wanted(item, name_filter):
                yield os.path.relpath(item.FullName, base) if self.Name else item
            if item.PSIsContainer and depth != 0 and (self.FollowSymlink or not item._is_link):
                subdirs.append(item)
        for sub in subdirs:
            yield from self._walk(base, sub.FullName, name_filter, depth - 1, force, seen)

    def _wanted(self, item: FileSystemItem, name_filter: Optional[str]) -> bool:
        if self.File and item.PSIsContainer:
            return False
        if self.Directory and not item.PSIsContainer:
            return False
        if self.Hidden and not item.Hidden:
            return False
        if self.ReadOnly and not item.IsReadOnly:
            return False
        if name_filter and not wildcard_match(name_filter, item.Name, case_sensitive=True):
            return False
        return self.selected(item.Name)


# --------------------------------------------------------------------------- Get-Item

@register
class GetItem(PathCmdlet):
    name = "Get-Item"
    synopsis = "Gets the item at the specified location."
    env_drive = True
    params = (
        Param("Path", "string[]", position=0, pipeline=True, by_property=True),
        PATH_PARAMS[1],
        Param("Force", "switch"),
        *SELECTION_PARAMS,
        CREDENTIAL_PARAM,
    )

    def process(self) -> Iterator[Any]:
        for raw in _as_paths(self.LiteralPath if self.LiteralPath is not None else self.Path):
            env = env_name(raw)
            if env is not None:
                entries = env_entries(self.runspace.environ, env)
                if not entries and not has_wildcards(env):
                    self.env_not_found(env)
                yield from (e for e in entries if self.selected(e.Key))
        for _, full, wild in self.paths_of(bool(self.Force)):
            name = os.path.basename(full)
            if not wild and not self.Force and name.startswith(".") and name not in (".", ".."):
                self.write_error(self.error_record(
                    f"Could not find item {full}: it is hidden (its name starts with '.'); "
                    f"use -Force to get it.", "ItemNotFound", "ObjectNotFound", target=full,
                    exception_type="System.IO.IOException"))
                continue
            try:
                item = FileSystemItem(full)
            except OSError as exc:
                self.io_error(exc, full, "ItemNotFound", "ReadError")
                continue
            if self.selected(item.Name):
                yield item


# --------------------------------------------------------------------------- Test-Path

_path_type = enum_type("Microsoft.PowerShell.Commands.TestPathType", ("Any", "Container", "Leaf"))


@register
class TestPath(PathCmdlet):
    name = "Test-Path"
    synopsis = "Determines whether all elements of a path exist."
    params = (
        Param("Path", "string[]", position=0, pipeline=True, by_property=True),
        PATH_PARAMS[1],
        Param("PathType", _path_type, aliases=("Type",), default="Any"),
        Param("IsValid", "switch"),
        *SELECTION_PARAMS,
        Param("NewerThan", "datetime"),
        Param("OlderThan", "datetime"),
        CREDENTIAL_PARAM,
    )

    def process(self) -> Iterator[bool]:
        literal = self.LiteralPath is not None
        given = self.LiteralPath if literal else self.Path
        if given is None or (isinstance(given, list) and not given):
            raise self.terminate("Cannot bind argument to parameter 'Path' because it is null.",
                                 "ParameterArgumentValidationErrorNullNotAllowed",
                                 "InvalidData")
        for raw in _as_paths(given) if isinstance(given, list) else [given]:
            text = to_str(raw)
            if text == "":
                raise self.terminate(
                    "Cannot bind argument to parameter 'Path' because it is an empty string.",
                    "ParameterArgumentValidationErrorEmptyStringNotAllowed", "InvalidData")
            if self.IsValid:
                yield "\0" not in text
                continue
            yield self._test(text, literal)

    def _test(self, text: str, literal: bool) -> bool:
        env = env_name(text)
        if env is not None:
            if env == "":                       # the drive itself: a container
                return self.PathType != "Leaf"
            return self.PathType != "Container" and bool(env_entries(self.runspace.environ, env))
        matches, wild = self.expand(text, literal, force=True)
        for full in matches:
            if not os.path.lexists(full):
                continue
            is_dir = os.path.isdir(full)
            if self.PathType == "Container" and not is_dir:
                continue
            if self.PathType == "Leaf" and is_dir:
                continue
            name = os.path.basename(full)
            if not self.selected(name):
                continue
            if self.NewerThan is not None or self.OlderThan is not None:
                mtime = _dt.datetime.fromtimestamp(os.stat(full).st_mtime)
                if self.NewerThan is not None and not mtime > _naive(self.NewerThan):
                    continue
                if self.OlderThan is not None and not mtime < _naive(self.OlderThan):
                    continue
            return True
        return False


def _naive(value: Any) -> Any:
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        return value.astimezone().replace(tzinfo=None)
    return value


# --------------------------------------------------------------------------- New-Item

def _item_type(value: Any) -> str:
    text = to_str(value).strip().lower()
    names = {"file": "File", "directory": "Directory", "dir": "Directory", "folder": "Directory",
             "symboliclink": "SymbolicLink", "hardlink": "HardLink", "junction": "SymbolicLink"}
    if text in names:
        return names[text]
    raise ValueError("The type is not a known type for the file system. Only \"file\", "
                     "\"directory\", \"symboliclink\" or \"hardlink\" can be specified.")


@register
class NewItem(PathCmdlet):
    name = "New-Item"
    synopsis = "Creates a new item (a file, directory or link)."
    params = (
        Param("Path", "string[]", position=0, by_property=True),
        Param("Name", "string", by_property=True),
        Param("ItemType", _item_type, aliases=("Type",)),
        Param("Value", "object", pipeline=True, by_property=True, aliases=("Target",)),
        Param("Force", "switch"),
        CREDENTIAL_PARAM,
    ) + SHOULD_PROCESS_PARAMS

    def process(self) -> Iterator[Any]:
        if self.Path is None and self.Name is None:
            raise self.terminate("Cannot process command because of one or more missing "
                                 "mandatory parameters: Path.", "MissingMandatoryParameter",
                                 "InvalidArgument")
        if self.Path is not None:
            self.reject_empty("Path", self.Path)
        if self.Name is not None:
            self.reject_empty("Name", self.Name)
        bases = _as_paths(self.Path) or ["."]
        for base in bases:
            text = to_str(base)
            env = env_name(text)
            if env is not None:
                yield from self._env_variable(env + (self.Name or "") if env else self.Name or "")
                continue
            if self.Name:
                text = unescape(text)       # a folder to create in: `[ and `] are brackets
            full = self.absolute(os.path.join(text, self.Name) if self.Name else text)
            made = self._create(full)
            if made is not None:
                yield made

    def _env_variable(self, name: str) -> Iterator[Any]:
        """``New-Item Env:NAME -Value v`` (or ``-Path Env: -Name NAME``): a new variable; one
        that exists already needs -Force."""
        from pshell.engine.format import DictionaryEntry
        if not name:
            raise self.terminate("Give the name of the environment variable: New-Item "
                                 "Env:NAME -Value value.", "NewItemNoName", "InvalidArgument")
        environ = self.runspace.environ
        if name in environ and not self.Force:
            self.write_error(self.error_record(
                f"The environment variable '{name}' already exists; use -Force to replace its "
                f"value (or assign $env:{name}).", "EnvironmentVariableExists", "ResourceExists",
                target=name))
            return
        value = "" if self.Value is None else to_str(self.Value)
        try:
            self.runspace.set_env(name, value)
        except RuntimeException as exc:
            self.write_error(exc.record)
            return
        yield DictionaryEntry(name, value)

    def _create(self, full: str) -> Optional[FileSystemItem]:
        kind = self.ItemType or "File"
        if not self.should_process(f"Destination: {full}",
                                   "Create Directory" if kind == "Directory" else "Create File"):
            return None
        try:
            if kind == "Directory":
                return self._directory(full)
            if kind in ("SymbolicLink", "HardLink"):
                return self._link(full, kind)
            return self._file(full)
        except OSError as exc:
            self.io_error(exc, full, "NewItemIOError")
            return None

    def _directory(self, full: str) -> Optional[FileSystemItem]:
        return new_directory(self, full, bool(self.Force))

    def _file(self, full: str) -> Optional[FileSystemItem]:
        return new_file(self, full, bool(self.Force), self.Value)

    def _link(self, full: str, kind: str) -> Optional[FileSystemItem]:
        return new_link(self, full, kind, bool(self.Force), self.Value)


# --------------------------------------------------------------------------- Remove-Item

@register
class RemoveItem(PathCmdlet):
    name = "Remove-Item"
    synopsis = "Deletes files and directories."
    env_drive = True
    params = (
        Param("Path", "string[]", position=0, pipeline=True, by_property=True),
        PATH_PARAMS[1],
        Param("Recurse", "switch", aliases=("r",)),
        Param("Force", "switch"),
        *SELECTION_PARAMS,
        Param("WhatIf", "switch", aliases=("wi",)),
        Param("Confirm", "switch", aliases=("cf",)),
        CREDENTIAL_PARAM,
    )

    def process(self) -> None:
        for raw in _as_paths(self.LiteralPath if self.LiteralPath is not None else self.Path):
            env = env_name(raw)
            if env is not None:
                entries = env_entries(self.runspace.environ, env) if env else []
                if not entries and not has_wildcards(env):
                    self.env_not_found(env)
                for entry in entries:
                    if not self.selected(entry.Key):
                        continue
                    if not self.should_process(f"Item: {entry.Key}", "Remove Item"):
                        continue
                    self.runspace.environ.pop(entry.Key, None)
        for _, full, _wild in self.paths_of(bool(self.Force)):
            name = os.path.basename(full)
            if not self.selected(name):
                continue
            self._remove(full)

    def _remove(self, full: str) -> None:
        remove_item(self, full, bool(self.Recurse))


# --------------------------------------------------------------------------- Copy / Move / Rename


class _TransferCmdlet(PathCmdlet):
    """Copy-Item and Move-Item: each selected source path to -Destination, by :meth:`transfer`."""

    def process(self) -> Iterator[Any]:
        given = self.delay_bound(self.Destination)
        destination = self.absolute(given if given is not None else ".")
        for _, full, _ in self.paths_of(bool(self.Force)):
            if not self.selected(os.path.basename(full)):
                continue
            made = self.transfer(full, destination)
            if made is not None and self.PassThru:
                yield FileSystemItem(made)

    def transfer(self, src: str, destination: str) -> Optional[str]:
        """Copy or move ``src``; the path made, or None after writing an error."""
        raise NotImplementedError


@register
class CopyItem(_TransferCmdlet):
    name = "Copy-Item"
    synopsis = "Copies files and directories."
    params = (
        Param("Path", "string[]", position=0, pipeline=True, by_property=True),
        PATH_PARAMS[1],
        Param("Destination", "object", position=1, by_property=True),
        Param("Recurse", "switch", aliases=("r",)),
        Param("Force", "switch"),
        Param("PassThru", "switch"),
        Param("Container", "switch"),
        *SELECTION_PARAMS,
        # Remoting (issue 4) plugs in here: copy to/from a PSSession over its channel.
        Param("ToSession", "object"),
        Param("FromSession", "object"),
        *SHOULD_PROCESS_PARAMS,
    )

    def process(self) -> Iterator[Any]:
        if self.ToSession is not None or self.FromSession is not None:
            yield from self.copy_with_session()
            return
        yield from super().process()

    def copy_with_session(self) -> Iterator[Any]:
        """Copy through a PSSession (the client side of remoting does it)."""
        from pshell.client.filecopy import copy_with_session
        yield from copy_with_session(self)

    def transfer(self, src: str, destination: str) -> Optional[str]:
        return copy_item(self, src, destination, bool(self.Recurse), bool(self.Force))


@register
class MoveItem(_TransferCmdlet):
    name = "Move-Item"
    synopsis = "Moves files and directories to another location."
    params = (
        Param("Path", "string[]", position=0, pipeline=True, by_property=True),
        PATH_PARAMS[1],
        Param("Destination", "object", position=1, by_property=True),
        Param("Force", "switch"),
        Param("PassThru", "switch"),
        *SELECTION_PARAMS,
        *SHOULD_PROCESS_PARAMS,
    )

    def transfer(self, src: str, destination: str) -> Optional[str]:
        return move_item(self, src, destination, bool(self.Force))


@register
class RenameItem(PathCmdlet):
    name = "Rename-Item"
    synopsis = "Renames an item."
    params = (
        Param("Path", "string", position=0, pipeline=True, by_property=True),
        Param("LiteralPath", "string", aliases=("PSPath", "LP"), by_property=True),
        Param("NewName", "object", position=1, mandatory=True, by_property=True),
        Param("Force", "switch"),
        Param("PassThru", "switch"),
        *SHOULD_PROCESS_PARAMS,
        CREDENTIAL_PARAM,
    )

    def process(self) -> Iterator[Any]:
        for _, full, _ in self.paths_of(True):
            renamed = self._rename(full)
            if renamed is not None and self.PassThru:
                yield FileSystemItem(renamed)
            break

    def _rename(self, full: str) -> Optional[str]:
        new_name = to_str(self.delay_bound(self.NewName))
        self.reject_empty("NewName", new_name)
        return rename_item(self, full, new_name)


# --------------------------------------------------------------------------- views

def _name_string(item: Any) -> str:
    target = get_property_safe(item, "Target")
    name = to_str(get_property_safe(item, "Name"))
    return f"{name} -> {target}" if target else name


def _write_time(item: Any) -> str:
    value = get_property_safe(item, "LastWriteTime")
    return value.strftime("%m/%d/%Y %H:%M") if isinstance(value, _dt.datetime) else to_str(value)


def get_property_safe(item: Any, name: str) -> Any:
    from pshell.engine.values import NO_PROPERTY, get_property
    value = get_property(item, name, None)
    return None if value is NO_PROPERTY else value


def _register_views() -> None:
    try:
        from pshell.engine.format import register_view
    except ImportError:   # formatting not available (a bare engine): ps_properties serve
        return
    group = ("PSParentPath",
             lambda i: to_str(get_property_safe(i, "PSParentPath")).replace(PROVIDER_PREFIX, ""))
    table = [("UnixMode", "UnixMode", 10, "left"), ("User", "User", 10, "right"),
             ("Group", "Group", 10, "left"), ("LastWriteTime", _write_time, 16, "right"),
             ("Size", "Size", 12, "right"), ("Name", _name_string, 0, "left")]
    common_list = ["Name", "CreationTime", "LastWriteTime", "LastAccessTime", "Mode", "LinkType",
                   "Target"]
    for type_name in ("System.IO.DirectoryInfo", "System.IO.FileInfo"):
        register_view(type_name, "table", table, group_by=group, group_label="Directory")
        fields = common_list if type_name.endswith("DirectoryInfo") else \
            common_list[:1] + ["Length"] + common_list[1:]
        register_view(type_name, "list", fields, group_by=group, group_label="Directory")
    register_view("System.IO.FileInfo", "wide", [("Name", "Name")], group_by=group,
                  group_label="Directory")
    register_view("System.IO.DirectoryInfo", "wide", [("Name", lambda i: f"[{i.Name}]")],
                  group_by=group, group_label="Directory")


_register_views()
