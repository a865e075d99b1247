"""Get-Alias, Set-Alias, New-Alias, Export-Alias, Import-Alias (the work is in engine/alias_table)."""

from __future__ import annotations

import datetime as _dt
import getpass
import os

from pshell.engine import alias_table
from pshell.engine.binder import not_empty
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.state_drives import AliasInfo, StateError, remember_alias_name
from pshell.engine.values import to_str
from pshell.engine.wildcards import has_wildcards, wildcard_regex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List

__all__ = ["GetAlias", "SetAlias", "NewAlias", "ExportAlias", "ImportAlias"]


def _matches(patterns: Any, name: str) -> bool:
    return not patterns or any(wildcard_regex(to_str(p)).match(name) for p in patterns)


class _AliasCmdlet(Cmdlet):
    def _fail(self, error: StateError) -> Exception:
        record = self.error_record(error.message, error.error_id, error.category, error.target,
                                   exception_type=alias_table.unauthorized(error))
        from pshell.engine.errors import RuntimeException
        return RuntimeException(record)

    def _scope(self) -> Any:
        try:
            return alias_table.scope_named(self.ctx.frame, getattr(self, "Scope", None))
        except StateError as exc:
            raise self._fail(exc) from None

    def _aliases(self) -> List[AliasInfo]:
        """The aliases in sight (or in ``-Scope``), sorted by name."""
        scope = self._scope() if getattr(self, "Scope", None) is not None else None
        table = alias_table.visible(self.ctx.frame, scope)
        return [alias_table.info_for(self.ctx.frame, key, table[key][0]) for key in sorted(table)]


@register
class GetAlias(_AliasCmdlet):
    name = "Get-Alias"
    synopsis = "Lists aliases (in sight, or in one -Scope), or the aliases of a command (-Definition)."
    output_type = "System.Management.Automation.AliasInfo"
    params = (
        Param("Name", not_empty("string[]"), position=0, pipeline=True),
        Param("Exclude", "string[]"),
        Param("Scope", "string"),
        Param("Definition", "string[]"),
    )

    def process(self) -> Iterator[Any]:
        aliases = self._aliases()
        names = self.Name if self.Name is not None else None
        any_found = False
        for alias in aliases:
            if not _matches(names, alias.Name):
                continue
            if self.Definition and not _matches(self.Definition, alias.Definition):
                continue
            if self.Exclude and _matches(self.Exclude, alias.Name):
                continue
            any_found = True
            yield alias
        if names and not any_found:
            for name in names:
                if not has_wildcards(to_str(name)):
                    self.write_error(f"Cannot find alias because alias '{name}' does not exist.",
                                     "ItemNotFoundException", "ObjectNotFound", name)


class _AliasSetter(_AliasCmdlet):
    params = (
        Param("Name", "string", position=0, mandatory=True, by_property=True),
        Param("Value", "string", position=1, mandatory=True, by_property=True),
        Param("Description", "string", by_property=True),
        Param("Option", "string[]", by_property=True),
        Param("PassThru", "switch"),
        Param("Scope", "string", by_property=True),
        Param("Force", "switch"),
    ) + SHOULD_PROCESS_PARAMS
    new = False

    def end(self) -> Iterator[Any]:
        scope = self._scope()
        action = "New alias" if self.new else "Set alias"
        if not self.should_process(f"Name: {self.Name} Value: {self.Value}", action):
            return
        try:
            info = alias_table.set_alias(self.ctx.frame, scope, self.Name, self.Value, self.Description,
                                         self.Option, bool(self.Force), self.new,
                                         searched=self.Scope is None)
        except StateError as exc:
            raise self._fail(exc) from None
        remember_alias_name(self.runspace, self.Name)
        if self.PassThru:
            yield info


@register
class SetAlias(_AliasSetter):
    name = "Set-Alias"
    synopsis = "Creates or changes an alias (in the caller's scope unless -Scope)."


@register
class NewAlias(_AliasSetter):
    name = "New-Alias"
    synopsis = "Creates an alias; refuses one that exists unless -Force."
    new = True


def _single_path(cmdlet: Cmdlet, path: Any, literal: Any) -> str:
    """The one file ``-Path`` / ``-LiteralPath`` names; a wildcard naming several is refused."""
    from pshell.cmdlets._paths import expand_paths
    found = expand_paths(cmdlet, [to_str(path)] if path is not None else [],
                         [to_str(literal)] if literal is not None else [])
    if len(found) > 1:
        raise cmdlet.terminate(f"The path '{to_str(path)}' resolves to {len(found)} files; give "
                               f"exactly one file.", "ReadWriteMultipleFilesNotSupported",
                               "InvalidArgument", path)
    if not found:
        raise cmdlet.terminate(f"Cannot find path '{to_str(path)}' because it does not exist.",
                               "PathNotFound", "ObjectNotFound", path)
    return found[0]


@register
class ExportAlias(_AliasCmdlet):
    name = "Export-Alias"
    synopsis = "Writes aliases to a file (CSV rows, or -As Script: Set-Alias commands)."
    params = (
        Param("Path", "string", position=0, mandatory=("ByPath",), sets=("ByPath",)),
        Param("LiteralPath", "string", mandatory=("ByLiteralPath",), sets=("ByLiteralPath",),
              aliases=("PSPath", "LP")),
        Param("Name", "string[]", position=1),
        Param("PassThru", "switch"),
        Param("As", "string", validate_set=("Csv", "Script")),
        Param("Append", "switch"),
        Param("Force", "switch"),
        Param("NoClobber", "switch", aliases=("NoOverwrite",)),
        Param("Description", "string"),
        Param("Scope", "string"),
    ) + SHOULD_PROCESS_PARAMS
    default_set = "ByPath"

    def end(self) -> Iterator[Any]:
        aliases = [a for a in self._aliases() if _matches(self.Name or ["*"], a.Name)]
        path = _single_path(self, self.Path, self.LiteralPath)
        if os.path.isdir(path):
            raise self.terminate(f"Cannot write the aliases to '{path}': it is a directory.",
                                 "FileOpenFailure", "OpenError", path)
        if self.NoClobber and os.path.exists(path) and not self.Append:
            raise self.terminate(f"The file '{path}' already exists (-NoClobber).", "NoClobber",
                                 "ResourceExists", path)
        if not self.should_process(path, "Export-Alias"):
            return
        header = ["Alias File", f"Exported by : {_user()}",
                  f"Date/Time : {_dt.datetime.now():%A, %d %B %Y %H:%M:%S}",
                  f"Computer : {os.uname().nodename}"]
        text = alias_table.export_text(aliases, (self.As or "").lower() == "script",
                                       self.Description or "", header)
        self._write(path, text)
        if self.PassThru:
            yield from aliases

    def _write(self, path: str, text: str) -> None:
        try:
            if self.Force and os.path.exists(path) and not os.access(path, os.W_OK):
                os.chmod(path, os.stat(path).st_mode | 0o200)
            with open(path, "a" if self.Append else "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise self.terminate(f"Cannot write the aliases to '{path}': {exc.strerror or exc}.",
                                 "FileOpenFailure", "OpenError", path) from None


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return str(os.getuid())


@register
class ImportAlias(_AliasCmdlet):
    name = "Import-Alias"
    synopsis = "Makes the aliases an alias file lists (as Export-Alias writes it)."
    params = (
        Param("Path", "string", position=0, mandatory=("ByPath",), sets=("ByPath",), pipeline=True),
        Param("LiteralPath", "string", mandatory=("ByLiteralPath",), sets=("ByLiteralPath",),
              aliases=("PSPath", "LP")),
        Param("Scope", "string"),
        Param("PassThru", "switch"),
        Param("Force", "switch"),
    ) + SHOULD_PROCESS_PARAMS
    default_set = "ByPath"

    def process(self) -> Iterator[Any]:
        from pshell.cmdlets._paths import expand_paths
        found = expand_paths(self, [to_str(self.Path)] if self.Path is not None else [],
                             [to_str(self.LiteralPath)] if self.LiteralPath is not None else [])
        if len(found) != 1 or has_wildcards(to_str(self.Path or "")) and os.path.isdir(found[0]):
            raise self.terminate(f"Import-Alias reads one file; '{to_str(self.Path)}' names "
                                 f"{len(found)}.", "NotSupported", "InvalidOperation", self.Path)
        path = found[0]
        try:
            with open(path, encoding="utf-8-sig", errors="replace") as handle:
                text = handle.read()
        except OSError as exc:
            raise self.terminate(f"Cannot read the alias file '{path}': {exc.strerror or exc}.",
                                 "FileOpenFailure", "OpenError", path) from None
        try:
            rows = alias_table.parse_alias_file(text, path)
        except alias_table.AliasFileError as exc:
            raise self.terminate(str(exc), "ImportAliasFileFormatError", "ReadError", path) from None
        scope = self._scope()
        for name, command, description, options in rows:
            if not self.should_process(f"Name: {name} Value: {command}", "Import alias"):
                continue
            try:
                info = alias_table.set_alias(self.ctx.frame, scope, name, command, description,
                                             options, bool(self.Force), new=True,
                                             searched=self.Scope is None)
            except StateError as exc:
                self.write_error(self._fail(exc).record)  # type: ignore[attr-defined]
                continue
            remember_alias_name(self.runspace, name)
            if self.PassThru:
                yield info
