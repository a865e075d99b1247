"""Import-Module, Remove-Module, Get-Module, Export-ModuleMember, New-ModuleManifest: thin
cmdlets over engine/modules.py."""

from __future__ import annotations

import os

from pshell.engine.cmdlet import Cmdlet, Param, qualified_name, register
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.errors import RuntimeException
from pshell.engine.values import to_str


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List

def _list(value: Any) -> List[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _owned(cmdlet: Cmdlet, exc: RuntimeException) -> RuntimeException:
    """The engine's error with the cmdlet's name in its id, as the cmdlet's own errors have."""
    record = exc.record
    if "," not in record.FullyQualifiedErrorId:
        record.FullyQualifiedErrorId += "," + qualified_name(cmdlet.name)
    return exc


def _version_text(value: Any) -> str:
    """A -ModuleVersion argument: ``2.0`` typed bare arrives as a number; keep it a version."""
    from pshell.engine.version import Version
    if isinstance(value, float):
        value = repr(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        value = f"{value}.0"
    found = Version.parse(value)
    if found is None:
        raise ValueError(f"Cannot convert value \"{to_str(value)}\" to type \"System.Version\".")
    return found.ToString()


def _spec_of(value: Any) -> Any:
    from pshell.engine.module_spec import to_spec
    return to_spec(value)


def _specs(values: Any) -> List[Any]:
    return [_spec_of(v) for v in _list(values)]


@register
class ImportModule(Cmdlet):
    name = "Import-Module"
    synopsis = "Loads a script module (.psm1) or manifest (.psd1) by name ($env:PSModulePath) or path."
    params = (
        Param("Name", "object", position=0, mandatory=True, pipeline=True,
              aliases=("ModuleInfo", "Path")),
        Param("FullyQualifiedName", _specs),
        Param("Force", "switch"),
        Param("PassThru", "switch"),
        Param("Global", "switch"),
        Param("Scope", "string", validate_set=("Global", "Local")),
        Param("Prefix", "string"),
        Param("Function", "string[]"),
        Param("Variable", "string[]"),
        Param("Alias", "string[]"),
        Param("Cmdlet", "string[]"),
        Param("ArgumentList", "object[]", aliases=("Args",)),
        Param("DisableNameChecking", "switch"),
        Param("MinimumVersion", _version_text, aliases=("Version",)),
        Param("MaximumVersion", "string"),
        Param("RequiredVersion", _version_text),
        Param("SkipEditionCheck", "switch"),
        Param("NoClobber", "switch"),
    )

    def _version_spec(self, target: Any) -> Any:
        if not (self.MinimumVersion or self.MaximumVersion or self.RequiredVersion):
            return None
        from pshell.engine.module_spec import to_spec
        table = {"ModuleName": to_str(target)}
        for key, value in (("ModuleVersion", self.MinimumVersion),
                           ("MaximumVersion", self.MaximumVersion),
                           ("RequiredVersion", self.RequiredVersion)):
            if value:
                table[key] = value
        return to_spec(table)

    def process(self) -> Iterator[Any]:
        from pshell.engine.modules import import_module
        frame = self.ctx.frame
        scope = frame.scope if (self.Scope or "").lower() == "local" and not self.Global else None
        for target in _list(self.Name) + _list(self.FullyQualifiedName):
            try:
                module = import_module(frame, target, force=bool(self.Force), scope=scope,
                                       args=_list(self.ArgumentList), functions=self.Function,
                                       variables=self.Variable, prefix=self.Prefix or "",
                                       spec=self._version_spec(target))
            except RuntimeException as exc:
                self.write_error(_owned(self, exc))
                continue
            self.write_verbose(f"Importing module '{module.Name}' from '{module.Path}'.")
            if self.PassThru:
                yield module


@register
class RemoveModule(Cmdlet):
    name = "Remove-Module"
    synopsis = "Removes loaded modules and the commands they exported."
    params = (
        Param("Name", "object", position=0, mandatory=("name",), pipeline=True, sets=("name",)),
        Param("FullyQualifiedName", _specs, mandatory=("fqn",), sets=("fqn",)),
        Param("ModuleInfo", "object[]", mandatory=("info",), sets=("info",)),
        Param("Force", "switch"),
    ) + SHOULD_PROCESS_PARAMS

    def _targets(self) -> List[Any]:
        from pshell.engine.modules import PSModuleInfo, loaded_by_spec, loaded_matching
        found: List[Any] = []
        for target in _list(self.Name):
            if isinstance(target, PSModuleInfo):
                found.append(target)
            else:
                found.extend(loaded_matching(self.runspace, [to_str(target)]))
        for spec in _list(self.FullyQualifiedName):
            found.extend(loaded_by_spec(self.runspace, spec))
        found.extend(_list(self.ModuleInfo))
        unique: List[Any] = []
        for module in found:
            if not any(module is m for m in unique):
                unique.append(module)
        return unique

    def process(self) -> None:
        from pshell.engine.modules import check_removable, remove_module
        modules = self._targets()
        if not modules and self.ModuleInfo is None:
            what = ", ".join(to_str(n) for n in _list(self.Name) + _list(self.FullyQualifiedName))
            self.write_error("No modules were removed. Verify that the specification of modules "
                             "to remove is correct and those modules exist in the runspace.",
                             "Modules_NoModulesRemoved", "ResourceUnavailable", what)
            return
        for module in modules:
            try:
                check_removable(self.runspace, module, bool(self.Force), modules)
            except RuntimeException as exc:
                self.write_error(_owned(self, exc))
                continue
            if self.should_process(f"name: '{module.Name}'", "Remove-Module"):
                remove_module(self.runspace, module, bool(self.Force))


@register
class GetModule(Cmdlet):
    name = "Get-Module"
    synopsis = "Lists loaded modules, or with -ListAvailable those found under $env:PSModulePath."
    params = (
        Param("Name", "string[]", position=0, pipeline=True),
        Param("FullyQualifiedName", _specs),
        Param("ListAvailable", "switch"),
        Param("All", "switch"),
        Param("Refresh", "switch"),
        Param("PSEdition", "string", validate_set=("Desktop", "Core")),
        Param("SkipEditionCheck", "switch"),
    )

    def process(self) -> Iterator[Any]:
        from pshell.engine.modules import available_modules, loaded_by_spec, loaded_matching
        found: List[Any] = []
        specs = _list(self.FullyQualifiedName)
        if self.ListAvailable:
            if specs:
                for spec in specs:
                    found.extend(available_modules(self.runspace, [spec.Name], bool(self.All), spec))
            else:
                found = available_modules(self.runspace, self.Name or ["*"], bool(self.All))
        elif specs:
            for spec in specs:
                found.extend(loaded_by_spec(self.runspace, spec))
        else:
            found = sorted(loaded_matching(self.runspace, self.Name or ["*"]),
                           key=lambda m: m.Name.lower())
        if self.PSEdition:
            edition = self.PSEdition.lower()
            found = [m for m in found if edition in (e.lower() for e in m.CompatiblePSEditions)]
        yield from found


@register
class ExportModuleMember(Cmdlet):
    name = "Export-ModuleMember"
    synopsis = "Says which functions, variables and aliases a module exports."
    params = (
        Param("Function", "string[]", position=0, pipeline=True),
        Param("Variable", "string[]"),
        Param("Alias", "string[]"),
        Param("Cmdlet", "string[]"),
    )

    def process(self) -> None:
        from pshell.engine.modules import export_members
        frame = self.ctx.frame
        export_members(frame, "function", [to_str(n) for n in self.Function or ()])
        export_members(frame, "variable", [to_str(n).lstrip("$") for n in self.Variable or ()])
        export_members(frame, "alias", [to_str(n) for n in self.Alias or ()])


def _psd1_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "@(" + ", ".join(_psd1_value(v) for v in value) + ")"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, (int, float)):
        return to_str(value)
    return "'" + to_str(value).replace("'", "''") + "'"


@register
class NewModuleManifest(Cmdlet):
    name = "New-ModuleManifest"
    synopsis = "Writes a module manifest (.psd1)."
    params = (
        Param("Path", "string", position=0, mandatory=True),
        Param("RootModule", "string", aliases=("ModuleToProcess",)),
        Param("ModuleVersion", _version_text),
        Param("Guid", "string"),
        Param("Author", "string"),
        Param("CompanyName", "string"),
        Param("Copyright", "string"),
        Param("Description", "string"),
        Param("PowerShellVersion", "string"),
        Param("RequiredModules", "object[]"),
        Param("ScriptsToProcess", "string[]"),
        Param("CompatiblePSEditions", "string[]"),
        Param("NestedModules", "object[]"),
        Param("FunctionsToExport", "string[]"),
        Param("CmdletsToExport", "string[]"),
        Param("VariablesToExport", "string[]"),
        Param("AliasesToExport", "string[]"),
        Param("PassThru", "switch"),
    ) + SHOULD_PROCESS_PARAMS

    def end(self) -> Iterator[Any]:
        import uuid
        path = self.resolve_path(self.Path)
        if not path.lower().endswith(".psd1"):
            raise self.terminate(f"The module manifest path '{self.Path}' must end in .psd1.",
                                 "Modules_InvalidManifestPath", "InvalidArgument", self.Path)
        fields = [
            ("RootModule", self.RootModule or ""),
            ("ModuleVersion", self.ModuleVersion or "0.0.1"),
            ("GUID", self.Guid or str(uuid.uuid4())),
            ("Author", self.Author or os.environ.get("USER", "")),
            ("CompanyName", self.CompanyName or "Unknown"),
            ("Copyright", self.Copyright or ""),
            ("Description", self.Description or ""),
        ]
        if self.PowerShellVersion:
            fields.append(("PowerShellVersion", self.PowerShellVersion))
        for key in ("RequiredModules", "NestedModules", "ScriptsToProcess", "CompatiblePSEditions"):
            if getattr(self, key):
                fields.append((key, list(getattr(self, key))))
        fields += [
            ("FunctionsToExport", list(self.FunctionsToExport) if self.FunctionsToExport is not None
             else "*"),
            ("CmdletsToExport", list(self.CmdletsToExport) if self.CmdletsToExport is not None
             else "*"),
            ("VariablesToExport", list(self.VariablesToExport) if self.VariablesToExport is not None
             else "*"),
            ("AliasesToExport", list(self.AliasesToExport) if self.AliasesToExport is not None
             else "*"),
        ]
        lines = ["#", f"# Module manifest for module '{os.path.splitext(os.path.basename(path))[0]}'",
                 "#", "", "@{", ""]
        for key, value in fields:
            lines.append(f"{key} = {_psd1_value(value)}")
            lines.append("")
        lines.append("}")
        text = "\n".join(lines) + "\n"
        try:
            if self.should_process(path, "Create Module Manifest"):
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(text)
        except OSError as exc:
            raise self.terminate(f"Cannot write the module manifest '{path}': {exc.strerror}.",
                                 "Modules_ManifestNotWritten", "WriteError", path) from None
        if self.PassThru:
            yield text
