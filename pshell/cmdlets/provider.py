"""Providers and drives (Get-PSProvider, Get-PSDrive, New-PSDrive, Remove-PSDrive), and the
path-and-item cmdlets built on the file system cmdlets' path handling: Convert-Path,
Clear-Content, Get-ItemProperty, Set-ItemProperty."""

from __future__ import annotations

import os

from pshell.cmdlets.item import PATH_PARAMS, FileSystemItem, PathCmdlet, env_entries, env_name
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.values import PSObject, get_property, set_property, to_str
from pshell.engine.wildcards import has_wildcards, wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List

__all__: List[str] = []


@register
class GetPSProvider(Cmdlet):
    name = "Get-PSProvider"
    synopsis = "Gets the providers (FileSystem, Environment, Variable, Function, Alias)."
    params = (Param("PSProvider", "string[]", position=0),)

    def process(self) -> Iterator[Any]:
        from pshell.engine.drives import PROVIDERS
        patterns = self.PSProvider or ["*"]
        for pattern in patterns:
            found = [p for p in PROVIDERS.values() if wildcard_match(pattern, p.Name)]
            if not found and not has_wildcards(pattern):
                self.write_error(f"Cannot find a provider with the name '{pattern}'.",
                                 "ProviderNotFound", "ObjectNotFound", pattern)
            yield from sorted(found, key=lambda p: p.Name)


@register
class GetPSDrive(Cmdlet):
    name = "Get-PSDrive"
    synopsis = "Gets the drives: /, Temp:, Env:, Variable:, Function:, Alias: and those New-PSDrive made."
    params = (
        Param("Name", "string[]", position=0, by_property=True),
        Param("PSProvider", "string[]"),
        Param("Scope", "string"),
    )

    def process(self) -> Iterator[Any]:
        from pshell.engine.drives import drives_of
        drives = drives_of(self.runspace)
        if self.PSProvider:
            drives = [d for d in drives
                      if any(wildcard_match(p, d.Provider.Name) for p in self.PSProvider)]
        for pattern in self.Name or ["*"]:
            found = [d for d in drives if wildcard_match(pattern, d.Name)]
            if not found and not has_wildcards(pattern):
                self.write_error(self.error_record(
                    f"Cannot find drive. A drive with the name '{pattern}' does not exist.",
                    "GetLocationNoMatchingDrive", "ObjectNotFound", pattern,
                    exception_type="System.Management.Automation.DriveNotFoundException"))
            yield from found


@register
class NewPSDrive(Cmdlet):
    name = "New-PSDrive"
    synopsis = "Makes a drive whose paths are below a folder (New-PSDrive Logs FileSystem /var/log)."
    params = (
        Param("Name", "string", position=0, mandatory=True, by_property=True),
        Param("PSProvider", "string", position=1, mandatory=True, by_property=True),
        Param("Root", "string", position=2, mandatory=True, by_property=True),
        Param("Description", "string", by_property=True),
        Param("Scope", "string"),
        Param("Persist", "switch"),
        Param("Credential", "object"),
        Param("WhatIf", "switch", aliases=("wi",)),
        Param("Confirm", "switch", aliases=("cf",)),
    )

    def process(self) -> Iterator[Any]:
        from pshell.engine.drives import PROVIDERS, PSDriveInfo, add_drive, find_drive
        provider = PROVIDERS.get(self.PSProvider.lower())
        if provider is None:
            raise self.terminate(f"Cannot find a provider with the name '{self.PSProvider}'.",
                                 "ProviderNotFound", "ObjectNotFound", self.PSProvider)
        if provider.Name != "FileSystem":
            raise self.terminate(f"New-PSDrive makes FileSystem drives only; the {provider.Name} "
                                 f"provider has its one drive.", "NotSupported", "NotImplemented")
        name = self.Name
        if not name or any(c in name for c in ":/\\*?[]") or name.strip() != name:
            raise self.terminate(f"The drive name '{name}' is not valid: letters, digits, '_' and '-' "
                                 f"only.", "DriveNameIllegalCharacters", "InvalidArgument", name)
        if find_drive(self.runspace, name) is not None:
            raise self.terminate(f"A drive with the name '{name}' already exists.", "DriveAlreadyExists",
                                 "ResourceExists", name)
        root = self.runspace.resolve_path(self.Root)
        if not os.path.isdir(root):
            raise self.terminate(f"Cannot find path '{root}' because it does not exist.",
                                 "DriveRootError", "ObjectNotFound", root)
        if self.WhatIf or self.runspace.get_variable("WhatIfPreference"):
            self.ctx.write_host(f'What if: Performing the operation "New drive" on target "Name: {name} '
                                f'Provider: {provider.Name} Root: {root}".')
            return
        drive = PSDriveInfo(name, provider, root, self.Description or "")
        add_drive(self.runspace, drive)
        yield drive


@register
class RemovePSDrive(Cmdlet):
    name = "Remove-PSDrive"
    synopsis = "Removes drives that New-PSDrive made."
    params = (
        Param("Name", "string[]", position=0, mandatory=("Name",), sets=("Name",)),
        Param("LiteralName", "string[]", mandatory=("LiteralName",), sets=("LiteralName",)),
        Param("PSProvider", "string[]"),
        Param("Scope", "string"),
        Param("Force", "switch"),
        Param("WhatIf", "switch", aliases=("wi",)),
        Param("Confirm", "switch", aliases=("cf",)),
    )
    default_set = "Name"

    def process(self) -> None:
        from pshell.engine.drives import drives_of, remove_drive
        user = getattr(self.runspace, "user_drives", None) or {}
        for pattern in self.Name or self.LiteralName or []:
            literal = self.LiteralName is not None or not has_wildcards(pattern)
            names = [d.Name for d in user.values() if
                     (d.Name.lower() == pattern.lower() if literal else wildcard_match(pattern, d.Name))]
            if not names:
                builtin = any(d.Name.lower() == pattern.lower() for d in drives_of(self.runspace))
                if literal:
                    self.write_error(self.error_record(
                        f"Drive '{pattern}' cannot be removed: it is one of the shell's drives." if builtin
                        else f"Cannot find drive. A drive with the name '{pattern}' does not exist.",
                        "DriveNotRemovable" if builtin else "DriveNotFound",
                        "InvalidOperation" if builtin else "ObjectNotFound", pattern,
                        exception_type="System.Management.Automation.DriveNotFoundException"))
                continue
            if self.WhatIf or self.runspace.get_variable("WhatIfPreference"):
                continue
            for name in names:
                remove_drive(self.runspace, name)


@register
class ConvertPath(PathCmdlet):
    name = "Convert-Path"
    synopsis = "Turns paths (with wildcards, drives, ~ or FileSystem::) into full file system paths."
    params = (
        Param("Path", "string[]", position=0, mandatory=("Path",), pipeline=True, by_property=True,
              sets=("Path",)),
        Param("LiteralPath", "string[]", mandatory=("LiteralPath",), aliases=("PSPath", "LP"),
              by_property=True, sets=("LiteralPath",)),
        Param("Force", "switch"),
    )
    default_set = "Path"

    def process(self) -> Iterator[Any]:
        self.require_path()
        given = self.LiteralPath if self.LiteralPath is not None else self.Path
        self.reject_empty("LiteralPath" if self.LiteralPath is not None else "Path", given)
        for raw in given or []:
            name = env_name(raw)
            if name is not None:
                entries = env_entries(self.runspace.environ, name)
                if not entries:
                    self.env_not_found(name)
                continue        # no file system path stands for an environment variable
            matches, wild = self.expand(raw, self.LiteralPath is not None, bool(self.Force),
                                        dot_pattern_shows_hidden=False)
            for full in matches:
                if not wild and not os.path.lexists(full):
                    self.not_found(full)
                    continue
                yield full


@register
class ClearContent(PathCmdlet):
    name = "Clear-Content"
    synopsis = "Empties files, keeping them (their length becomes 0)."
    params = (
        PATH_PARAMS[0],
        PATH_PARAMS[1],
        Param("Filter", "string"),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
        Param("Force", "switch"),
        Param("Stream", "string"),
        Param("WhatIf", "switch", aliases=("wi",)),
        Param("Confirm", "switch", aliases=("cf",)),
    )

    def process(self) -> None:
        whatif = self.WhatIf or bool(self.runspace.get_variable("WhatIfPreference"))
        for _, full, _ in self.paths_of(bool(self.Force)):
            if not self.selected(os.path.basename(full)):
                continue
            if os.path.isdir(full):
                self.write_error(f"Unable to clear content of '{full}' because it is a directory. "
                                 f"Clear-Content is only supported on files.", "ClearDirectoryContent",
                                 "WriteError", full)
                continue
            if whatif:
                self.ctx.write_host(f'What if: Performing the operation "Clear Content" on target '
                                    f'"Item: {full}".')
                continue
            try:
                with open(full, "r+b") as handle:
                    handle.truncate(0)
            except OSError as exc:
                self.io_error(exc, full, "ClearContentIOError")


# --------------------------------------------------------------------------- item properties

def _settable(item: FileSystemItem, name: str) -> bool:
    return name.lower() in ("lastwritetime", "lastaccesstime", "creationtime", "attributes", "isreadonly",
                            "lastwritetimeutc", "lastaccesstimeutc", "unixfilemode")


@register
class GetItemProperty(PathCmdlet):
    name = "Get-ItemProperty"
    synopsis = "Gets properties of files and folders (or environment variables) as one object per item."
    env_drive = True
    params = (
        Param("Path", "string[]", position=0, pipeline=True, by_property=True),
        PATH_PARAMS[1],
        Param("Name", "string[]", position=1, aliases=("PSProperty",)),
        Param("Filter", "string"),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
    )

    def process(self) -> Iterator[Any]:
        for raw in (self.LiteralPath if self.LiteralPath is not None else self.Path) or []:
            env = env_name(raw)
            if env is not None:
                for entry in env_entries(self.runspace.environ, env):
                    yield PSObject.from_pairs([(entry.Key, entry.Value), ("PSPath", "Env:\\" + entry.Key),
                                               ("PSChildName", entry.Key), ("PSDrive", "Env"),
                                               ("PSProvider", "Microsoft.PowerShell.Core\\Environment")])
        for _, full, _ in self.paths_of():
            item = FileSystemItem(full)
            if not self.selected(item.Name):
                continue
            names = self.Name
            if not names:
                yield item
                continue
            pairs = []
            for pattern in names:
                found = [n for n in item.ps_properties + ("LastAccessTime", "CreationTime", "Attributes",
                                                          "IsReadOnly", "Length", "Target", "LinkType")
                         if wildcard_match(pattern, n)]
                if not found:
                    self.write_error(f"Property {pattern} does not exist at path {full}.",
                                     "System.Management.Automation.PSArgumentException", "InvalidArgument",
                                     pattern)
                for name in dict.fromkeys(found):
                    pairs.append((name, get_property(item, name, None)))
            if pairs:
                yield PSObject.from_pairs(pairs + [
                    ("PSPath", item.PSPath), ("PSParentPath", item.PSParentPath),
                    ("PSChildName", item.Name), ("PSProvider", item.PSProvider)])


@register
class SetItemProperty(PathCmdlet):
    name = "Set-ItemProperty"
    synopsis = "Changes a property of files and folders: LastWriteTime, LastAccessTime, IsReadOnly..."
    params = (
        Param("Path", "string[]", position=0, pipeline=True, by_property=True),
        PATH_PARAMS[1],
        Param("Name", "string", position=1, by_property=True, aliases=("PSProperty",)),
        Param("Value", "object", position=2, by_property=True),
        Param("InputObject", "object", pipeline=True),
        Param("PassThru", "switch"),
        Param("Force", "switch"),
        Param("Filter", "string"),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
        Param("WhatIf", "switch", aliases=("wi",)),
        Param("Confirm", "switch", aliases=("cf",)),
    )

    def process(self) -> Iterator[Any]:
        whatif = self.WhatIf or bool(self.runspace.get_variable("WhatIfPreference"))
        updates = []
        if isinstance(self.InputObject, (dict, PSObject)) and self.Name is None:
            source = self.InputObject
            keys = list(source.keys()) if isinstance(source, dict) else source.names()
            updates = [(to_str(k), get_property(source, to_str(k), None) if not isinstance(source, dict)
                        else source[k]) for k in keys]
        elif self.Name is not None:
            updates = [(self.Name, self.Value)]
        for _, full, _ in self.paths_of(bool(self.Force)):
            item = FileSystemItem(full)
            if not self.selected(item.Name):
                continue
            for name, value in updates:
                if not _settable(item, name):
                    self.write_error(f"Property {name} does not exist or cannot be set at path {full}.",
                                     "System.Management.Automation.PSArgumentException", "InvalidArgument",
                                     name)
                    continue
                if whatif:
                    self.ctx.write_host(f'What if: Performing the operation "Set Property" on target '
                                        f'"Item: {full} Property: {name} Value: {to_str(value)}".')
                    continue
                try:
                    set_property(item, name, value)
                except OSError as exc:
                    self.io_error(exc, full, "SetItemPropertyIOError")
            if self.PassThru and not whatif:
                yield FileSystemItem(full)
