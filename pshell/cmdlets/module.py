"""Import-Module, Remove-Module, Get-Module, Export-ModuleMember, New-ModuleManifest: thin
cmdlets over engine/modules.py."""

from __future__ import annotations

import os
from typing import Any, Iterator, List

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.errors import RuntimeException
from pshell.engine.values import to_str


def _list(value: Any) -> List[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@register
class ImportModule(Cmdlet):
    name = "Import-Module"
    synopsis = "Loads a script module (.psm1) or manifest (.psd1) by name ($env:PSModulePath) or path."
    params = (
        Param("Name", "object", position=0, mandatory=True, pipeline=True,
              aliases=("ModuleInfo", "FullyQualifiedName", "Path")),
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
        Param("MinimumVersion", "string"),
        Param("RequiredVersion", "string"),
    )

    def process(self) -> Iterator[Any]:
        from pshell.engine.modules import import_module
        frame = self.ctx.frame
        scope = frame.scope if (self.Scope or "").lower() == "local" and not self.Global else None
        for target in _list(self.Name):
            try:
                module = import_module(frame, target, force=bool(self.Force), scope=scope,
                                       args=_list(self.ArgumentList), functions=self.Function,
                                       variables=self.Variable, prefix=self.Prefix or "")
            except RuntimeException as exc:
                self.write_error(exc)
                continue
            self.write_verbose(f"Importing module '{module.Name}' from '{module.Path}'.")
            if self.PassThru:
                yield module


@register
class RemoveModule(Cmdlet):
    name = "Remove-Module"
    synopsis = "Removes loaded modules and the commands they exported."
    params = (
        Param("Name", "object", position=0, mandatory=True, pipeline=True,
              aliases=("ModuleInfo", "FullyQualifiedName")),
        Param("Force", "switch"),
    )

    def process(self) -> None:
        from pshell.engine.modules import PSModuleInfo, loaded_matching, remove_module
        for target in _list(self.Name):
            if isinstance(target, PSModuleInfo):
                remove_module(self.runspace, target)
                continue
            name = to_str(target)
            found = loaded_matching(self.runspace, [name])
            if not found:
                self.write_error("No modules were removed. Verify that the specification of modules "
                                 "to remove is correct and those modules exist in the runspace.",
                                 "Modules_NoModulesRemoved", "ResourceUnavailable", name)
            for module in found:
                remove_module(self.runspace, module)


@register
class GetModule(Cmdlet):
    name = "Get-Module"
    synopsis = "Lists loaded modules, or with -ListAvailable those found under $env:PSModulePath."
    params = (
        Param("Name", "string[]", position=0, pipeline=True),
        Param("ListAvailable", "switch"),
        Param("All", "switch"),
        Param("Refresh", "switch"),
    )

    def process(self) -> Iterator[Any]:
        from pshell.engine.modules import available_modules, loaded_matching
        patterns = self.Name or ["*"]
        if self.ListAvailable:
            yield from available_modules(self.runspace, patterns)
            return
        yield from sorted(loaded_matching(self.runspace, patterns), key=lambda m: m.Name.lower())


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
        Param("ModuleVersion", "string"),
        Param("Guid", "string"),
        Param("Author", "string"),
        Param("CompanyName", "string"),
        Param("Copyright", "string"),
        Param("Description", "string"),
        Param("PowerShellVersion", "string"),
        Param("RequiredModules", "object[]"),
        Param("NestedModules", "object[]"),
        Param("FunctionsToExport", "string[]"),
        Param("CmdletsToExport", "string[]"),
        Param("VariablesToExport", "string[]"),
        Param("AliasesToExport", "string[]"),
        Param("PassThru", "switch"),
    )

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
        for key in ("RequiredModules", "NestedModules"):
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
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise self.terminate(f"Cannot write the module manifest '{path}': {exc.strerror}.",
                                 "Modules_ManifestNotWritten", "WriteError", path) from None
        if self.PassThru:
            yield text
