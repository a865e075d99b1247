"""Script modules: ``.psm1`` files, ``.psd1`` manifests, the ``$env:PSModulePath`` search.

A module runs once in a scope of its own (below the global scope, and its script scope:
``$script:x`` in a module is the module's).  What it exports - the names given to
``Export-ModuleMember``, else every function it defined; variables and aliases only when
exported - is copied into the importer's scope (the global scope unless ``-Scope Local``).
An exported function keeps its module: calling it runs it below the module's scope, so the
module's private functions and ``$script:`` variables are what it sees, whoever calls it.

A manifest (``.psd1``) is a hash table literal, checked to be nothing else before it is
evaluated; ``RootModule`` (or ``ModuleToProcess``) names the file that holds the code,
``NestedModules`` are loaded first, ``FunctionsToExport``/``VariablesToExport``/``AliasesToExport``
(wildcards) narrow what is exported, ``RequiredModules`` are imported before it.
The table of loaded modules is per runspace (``modules_of(rs)``).
"""

from __future__ import annotations

import os

from pshell.engine.errors import RuntimeException
from pshell.engine.module_spec import (ModuleSpecification, listed_modules, module_dirs_of, to_spec,
                                       version_matches)
from pshell.engine.runtime import Frame, FunctionInfo, Scope
from pshell.engine.values import Hashtable, to_str
from pshell.engine.version import Version
from pshell.engine.wildcards import has_wildcards, wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ["PSModuleInfo", "import_module", "remove_module", "modules_of", "find_module_file",
           "module_paths", "available_modules", "read_manifest", "is_loaded", "loaded_by_spec"]

_EXTENSIONS = (".psd1", ".psm1", ".ps1")
MAX_NESTING = 32                       # modules importing modules: a cycle is an error, not a hang


def _err(message: str, error_id: str, category: str = "ResourceUnavailable", target: Any = None,
         exception_type: str = "System.IO.FileNotFoundException") -> RuntimeException:
    return RuntimeException.make(message, error_id, category, target, exception_type=exception_type)


class PSModuleInfo:
    """A module, loaded (``Get-Module``) or found on disk (``Get-Module -ListAvailable``)."""

    ps_type_names = ("System.Management.Automation.PSModuleInfo",)
    ps_properties = ("ModuleType", "Version", "Name", "ExportedCommands")
    _ACCESS_MODES = ("ReadWrite", "ReadOnly", "Constant")

    def __init__(self, name: str, path: str, module_type: str = "Script") -> None:
        self.Name = name
        self.Path = path
        self.ModuleBase = os.path.dirname(path)
        self.ModuleType = module_type
        self.Version = Version((0, 0))
        self.Description = ""
        self.Guid = ""
        self.Author = ""
        self.CompatiblePSEditions: List[str] = []
        self.NestedModules: List[PSModuleInfo] = []
        self.RequiredModules: List[PSModuleInfo] = []
        self._access = "ReadWrite"
        self.listed_exports: Optional[List[str]] = None       # a listed (not loaded) manifest's
        self.scope: Optional[Scope] = None
        self.functions: Dict[str, FunctionInfo] = {}
        self.variables: Dict[str, Any] = {}
        self.aliases: Dict[str, str] = {}
        self.exports: Optional[Dict[str, List[str]]] = None      # from Export-ModuleMember
        self.imported_into: List[Scope] = []
        self.manifest: Optional[Hashtable] = None

    @property
    def AccessMode(self) -> str:
        return self._access

    @AccessMode.setter
    def AccessMode(self, value: Any) -> None:
        text = to_str(value)
        mode = next((m for m in self._ACCESS_MODES if m.lower() == text.lower()), None)
        if mode is None:
            raise RuntimeException.make(
                f'Cannot convert value "{text}" to type "System.Management.Automation.ModuleAccessMode"'
                f'. Use one of: {", ".join(self._ACCESS_MODES)}.', "InvalidCastFromStringToEnum",
                "InvalidArgument", exception_type="System.Management.Automation.PSInvalidCastException")
        if self._access == "Constant" and mode != "Constant":
            raise RuntimeException.make(f"The module '{self.Name}' is constant: its access mode "
                                        f"cannot change.", "Modules_ModuleIsConstant",
                                        "PermissionDenied",
                                        exception_type="System.InvalidOperationException")
        self._access = mode

    @property
    def ExportedFunctions(self) -> Hashtable:
        if self.listed_exports is not None:
            return Hashtable((name, name) for name in self.listed_exports)
        return Hashtable((info.name, info) for info in self.functions.values())

    @property
    def ExportedCommands(self) -> Hashtable:
        table = self.ExportedFunctions
        for alias in self.aliases:
            table[alias] = alias
        return table

    @property
    def ExportedVariables(self) -> Hashtable:
        return Hashtable(self.variables.items())

    @property
    def ExportedAliases(self) -> Hashtable:
        return Hashtable(self.aliases.items())

    def ToString(self) -> str:
        return self.Name


def _register_view() -> None:
    try:
        from pshell.engine.format import register_view
    except ImportError:                               # pragma: no cover - formatting is optional
        return
    register_view("System.Management.Automation.PSModuleInfo", "table",
                  [("ModuleType", "ModuleType", 10), ("Version", "Version", 10),
                   ("Name", "Name", 30), ("ExportedCommands", _exported_names)])


def _exported_names(module: Any) -> str:
    names = list(module.ExportedCommands)
    return "{" + ", ".join(names) + "}"


_register_view()


def modules_of(rs: Any) -> Dict[str, PSModuleInfo]:
    """The loaded modules, by the real path of their file (two versions of one name both load)."""
    table = rs.__dict__.get("modules")
    if table is None:
        table = rs.__dict__.setdefault("modules", {})
    return table


def is_loaded(rs: Any, name: str) -> bool:
    return any(m.Name.lower() == name.lower() for m in modules_of(rs).values())


# --------------------------------------------------------------------------- finding modules

def module_paths(rs: Any) -> List[str]:
    """The directories of ``$env:PSModulePath`` (':'-separated), then pshell's default ones."""
    text = rs.environ.get("PSModulePath")
    if text is None:
        home = rs.home()
        text = os.pathsep.join([os.path.join(home, ".local", "share", "powershell", "Modules"),
                                "/usr/local/share/powershell/Modules"])
    return [p.replace("\\", "/") for p in text.split(os.pathsep) if p]


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.startswith(("~", ".")) or \
        name.lower().endswith(_EXTENSIONS)


def _module_files(rs: Any, name: str) -> List[str]:
    """The files a module name or path stands for, the highest version first."""
    if _looks_like_path(name):
        path = rs.resolve_path(name).rstrip("/") or "/"
        if os.path.isdir(path):
            return list(module_dirs_of(path, os.path.basename(path)))
        if os.path.isfile(path):
            return [path]
        for ext in (".psd1", ".psm1"):
            if os.path.isfile(path + ext):
                return [path + ext]
        if os.path.isabs(name.replace("\\", "/")) or name.startswith(("~", ".")):
            return []
    first = name.replace("\\", "/").split("/")[0]
    found: List[str] = []
    for directory in module_paths(rs):
        folder = os.path.join(directory, name.replace("\\", "/"))
        if not os.path.isdir(folder):
            folder = _entry_ignoring_case(directory, first) or folder
        found.extend(module_dirs_of(folder, first))
    return found


def _entry_ignoring_case(directory: str, name: str) -> Optional[str]:
    try:
        entries = os.listdir(directory)
    except OSError:
        return None
    match = next((e for e in entries if e.lower() == name.lower()), None)
    return None if match is None else os.path.join(directory, match)


def find_module_file(rs: Any, name: str) -> Optional[str]:
    """The file a module name or path stands for, or None."""
    found = _module_files(rs, name)
    return found[0] if found else None


def listed_info(rs: Any, path: str) -> PSModuleInfo:
    """What Get-Module -ListAvailable shows of a module file, without running it."""
    base = os.path.splitext(os.path.basename(path))[0]
    kind = {".psd1": "Manifest", ".dll": "Binary"}.get(os.path.splitext(path)[1].lower(), "Script")
    info = PSModuleInfo(base, path, kind)
    if kind == "Manifest":
        try:
            manifest = read_manifest(rs, path)
        except RuntimeException:
            return info
        _apply_manifest_fields(info, manifest)
        info.listed_exports = [n for n in _names(manifest.get("FunctionsToExport")) or ()
                               if not has_wildcards(n)]
    return info


def _version_of_file(rs: Any, path: str) -> Tuple[Version, str]:
    if not path.lower().endswith(".psd1"):
        return Version((0, 0)), ""
    info = listed_info(rs, path)
    return info.Version, info.Guid


def available_modules(rs: Any, patterns: Sequence[str] = ("*",), all_files: bool = False,
                      spec: Optional[ModuleSpecification] = None) -> List[PSModuleInfo]:
    """Modules on disk (Get-Module -ListAvailable): names or wildcards are looked for under
    ``$env:PSModulePath``, paths (wildcards too) name module folders or files."""
    import glob
    files: List[str] = []
    names = [p for p in patterns if not _looks_like_path(p)]
    for pattern in patterns:
        if pattern in names:
            continue
        resolved = rs.resolve_path(pattern).rstrip("/") or "/"
        for path in sorted(glob.glob(resolved)) if has_wildcards(resolved) else [resolved]:
            if os.path.isdir(path):
                files.extend(module_dirs_of(path, os.path.basename(path)))
            elif os.path.isfile(path):
                files.append(path)
    if names:
        files.extend(listed_modules(module_paths(rs), names, all_files))
    found: List[PSModuleInfo] = []
    seen = set()
    for path in files:
        if path in seen:
            continue
        seen.add(path)
        info = listed_info(rs, path)
        if spec is None or version_matches(spec, info.Version, info.Guid):
            found.append(info)
    return found


# --------------------------------------------------------------------------- manifests

def read_manifest(rs: Any, path: str) -> Hashtable:
    """A ``.psd1`` file's hash table; anything but one hash table literal is refused."""
    from pshell.lang import ast as A
    from pshell.lang.errors import ParseError
    from pshell.lang.parser import parse
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
            text = handle.read()
    except OSError as exc:
        raise _err(f"Cannot read the module manifest '{path}': {exc.strerror}.", "ManifestNotReadable",
                   "ReadError", path) from None
    try:
        root = parse(text, path)
    except ParseError as exc:
        raise _err(f"The module manifest '{path}' could not be parsed: {exc.message}",
                   "Modules_InvalidManifest", "InvalidData", path,
                   "System.Management.Automation.RuntimeException") from None
    stmts = root.end.statements if root.end is not None else ()
    expr = None
    if len(stmts) == 1 and isinstance(stmts[0], A.Pipeline) and len(stmts[0].elements) == 1 and \
            isinstance(stmts[0].elements[0], A.CommandExpression):
        expr = stmts[0].elements[0].expr
    if not isinstance(expr, A.Hashtable) or root.param_block is not None:
        raise _err(f"The module manifest '{path}' is not valid: it must hold one hash table "
                   f"literal (@{{ ... }}) and nothing else.", "Modules_InvalidManifest",
                   "InvalidData", path, "System.Management.Automation.RuntimeException")
    return _data(expr, path)


def _data(node: Any, path: str) -> Any:
    """The value of a manifest's literal: hash tables, arrays, strings, numbers, $true/$false/
    $null; any expression, variable or command is refused (a manifest is data, never run)."""
    from pshell.lang import ast as A
    from pshell.lang.parser import _lone_expr
    if isinstance(node, A.Hashtable):
        table = Hashtable()
        for key, value in node.pairs:
            expr = _lone_expr(value)
            if expr is None:
                _not_data(value, path)
            table[to_str(_data(key, path))] = _data(expr, path)
        return table
    if isinstance(node, A.ArrayLiteral):
        return [_data(e, path) for e in node.elements]
    if isinstance(node, A.ArrayExpression):
        items: List[Any] = []
        for stmt in node.statements:
            expr = _lone_expr(stmt)
            if expr is None:
                _not_data(stmt, path)
            value = _data(expr, path)
            items.extend(value if isinstance(value, list) else [value])
        return items
    if isinstance(node, A.Paren):
        expr = _lone_expr(node.statement)
        if expr is None:
            _not_data(node, path)
        return _data(expr, path)
    if isinstance(node, (A.StringConstant, A.Constant)):
        return node.value
    if isinstance(node, A.ExpandableString) and all(isinstance(p, str) for p in node.parts):
        return "".join(node.parts)  # type: ignore[arg-type]
    if isinstance(node, A.Variable) and node.scope is None and \
            node.name.lower() in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[node.name.lower()]
    if isinstance(node, A.Unary) and node.op == "-" and isinstance(node.operand, A.Constant):
        return -node.operand.value
    _not_data(node, path)


def _not_data(node: Any, path: str) -> None:
    from pshell.lang.errors import SourceLocation
    where = ""
    span = getattr(node, "span", None)
    if span is not None:
        try:
            with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
                where = f" (line {SourceLocation(path, handle.read(), span.start, span.end).line})"
        except (OSError, AttributeError):
            where = ""
    raise _err(f"The module manifest '{path}' is not valid: only constant values are allowed in a "
               f"manifest{where}.", "Modules_InvalidManifest", "InvalidData", path,
               "System.Management.Automation.RuntimeException")


def _apply_manifest_fields(info: PSModuleInfo, manifest: Hashtable) -> None:
    info.manifest = manifest
    info.Version = Version.parse(manifest.get("ModuleVersion")) or info.Version
    info.CompatiblePSEditions = _names(manifest.get("CompatiblePSEditions")) or []
    info.Description = to_str(manifest.get("Description") or "")
    info.Guid = to_str(manifest.get("GUID") or "")
    info.Author = to_str(manifest.get("Author") or "")


def _names(value: Any) -> Optional[List[str]]:
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else [value]
    return [to_str(item) for item in items]


# --------------------------------------------------------------------------- importing

def import_module(F: Frame, target: Any, using: bool = False, force: bool = False,
                  scope: Optional[Scope] = None, args: Sequence[Any] = (),
                  functions: Optional[List[str]] = None, variables: Optional[List[str]] = None,
                  prefix: str = "", spec: Optional[ModuleSpecification] = None) -> PSModuleInfo:
    """Load (once; again with ``force``) and import a module by name, path, hash table
    specification (``@{ ModuleName = ...; ModuleVersion = ... }``) or PSModuleInfo; ``spec``
    (-MinimumVersion, -RequiredVersion...) narrows the versions a name may load."""
    rs = F.rs
    if isinstance(target, PSModuleInfo):
        name = target.Path or target.Name
    elif isinstance(target, (dict, ModuleSpecification)):
        spec = to_spec(target)
        name = spec.Name
    else:
        name = to_str(target)
    if not name.strip():
        raise _err("The module name is empty.", "Modules_ModuleNotFound", "InvalidArgument")
    candidates = _module_files(rs, name)
    if spec is not None:
        candidates = [c for c in candidates if version_matches(spec, *_version_of_file(rs, c))]
    if not candidates:
        builtin = builtin_module(name)
        if builtin is not None:
            return modules_of(rs).setdefault(builtin.Name.lower(), builtin)
        wanted = name if spec is None else spec.ToString()
        raise _err(f"The specified module '{wanted}' was not loaded because no valid module file was "
                   f"found in any module directory.", "Modules_ModuleNotFound", target=name)
    loaded = modules_of(rs)
    path = os.path.realpath(candidates[0])
    module = loaded.get(path)
    if module is not None and force and module.AccessMode != "Constant":
        remove_module(rs, module, force=True)
        module = None
    if module is None:
        module = _load(F, path, list(args))
        loaded[path] = module
    into = scope if scope is not None else rs.global_scope
    _import_into(module, into, functions, variables, prefix)
    return module


# modules whose commands are built into pshell: importing one loads nothing, and it is listed
_BUILT_IN_NAMES = ("Microsoft.PowerShell.Management", "Microsoft.PowerShell.Utility",
                   "Microsoft.PowerShell.Security", "Microsoft.PowerShell.Host", "PSReadLine")


def builtin_module(name: str) -> Optional[PSModuleInfo]:
    found = next((n for n in _BUILT_IN_NAMES if n.lower() == name.lower()), None)
    if found is None:
        return None
    info = PSModuleInfo(found, "", "Binary" if found == "PSReadLine" else "Manifest")
    info.Version = Version((7, 0, 0, 0)) if found.startswith("Microsoft.") else Version((2, 3, 0))
    return info


def _load(F: Frame, path: str, args: List[Any]) -> PSModuleInfo:
    rs = F.rs
    depth = rs.__dict__.get("_module_depth", 0)
    if depth >= MAX_NESTING:
        raise _err(f"Modules import each other more than {MAX_NESTING} levels deep (a cycle?) "
                   f"while loading '{path}'.", "Modules_ImportCycle", "InvalidOperation", path,
                   "System.Management.Automation.RuntimeException")
    rs.__dict__["_module_depth"] = depth + 1
    try:
        return _load_file(F, path, args)
    finally:
        rs.__dict__["_module_depth"] = depth


def _load_file(F: Frame, path: str, args: List[Any]) -> PSModuleInfo:
    rs = F.rs
    base = os.path.splitext(os.path.basename(path))[0]
    if not path.endswith(".psd1"):
        module = PSModuleInfo(base, path)
        module.scope = Scope(rs.global_scope)
        _run_module_script(F, module, path, args)
        return module
    manifest = read_manifest(rs, path)
    module = PSModuleInfo(base, path, "Manifest")
    _apply_manifest_fields(module, manifest)
    module.scope = Scope(rs.global_scope)
    required_list = manifest.get("RequiredModules") or []
    for required in required_list if isinstance(required_list, list) else [required_list]:
        if isinstance(required, str) and is_loaded(rs, required):
            module.RequiredModules.extend(loaded_matching(rs, [required]))
        else:
            module.RequiredModules.append(import_module(F, required))
    for script in _names(manifest.get("ScriptsToProcess")) or ():
        _run_script_to_process(F, os.path.join(module.ModuleBase, script))
    root = manifest.get("RootModule") or manifest.get("ModuleToProcess")
    parts = [(p, False) for p in _names(manifest.get("NestedModules")) or []]
    if root:
        parts.append((to_str(root), True))
    for part, is_root in parts:
        found = _part_file(rs, module, part, is_root)
        if found == path:                     # the manifest names itself: nothing more to load
            if not is_root:
                module.NestedModules.append(module)
            continue
        if found.endswith(".psd1"):
            inner = _load(F, found, args)
            if not is_root:
                module.NestedModules.append(inner)
        else:
            if is_root:
                module.ModuleType = "Script"
            inner = PSModuleInfo(os.path.splitext(os.path.basename(found))[0], found)
            inner.scope = module.scope
            _run_module_script(F, inner, found, args)
            if not is_root:
                module.NestedModules.append(inner)
        module.functions.update(inner.functions)
        module.variables.update(inner.variables)
        module.aliases.update(inner.aliases)
    _narrow(module.functions, _names(manifest.get("FunctionsToExport")))
    _narrow(module.variables, _names(manifest.get("VariablesToExport")))
    _narrow(module.aliases, _names(manifest.get("AliasesToExport")))
    return module


def _part_file(rs: Any, module: PSModuleInfo, part: str, is_root: bool) -> str:
    """The file a manifest's RootModule or NestedModules entry names (relative to the manifest's
    folder, else by name); a RootModule without extension that finds the manifest itself means
    its .psm1 (a nested module that does is the manifest's module itself)."""
    local = part if os.path.isabs(part) else os.path.join(module.ModuleBase, part.replace("\\", "/"))
    found = find_module_file(rs, local) or find_module_file(rs, part)
    if is_root and found is not None and os.path.realpath(found) == module.Path and \
            not part.lower().endswith(".psd1") and os.path.isfile(local + ".psm1"):
        found = local + ".psm1"
    if found is None:
        raise _err(f"The module '{part}' named by the manifest '{module.Path}' was not found.",
                   "Modules_ModuleFileNotFound", target=part)
    return os.path.realpath(found)


def _run_script_to_process(F: Frame, path: str) -> None:
    """A manifest's ScriptsToProcess run in the importer's scope, before the module loads."""
    from pshell.engine.command_context import invoke_block
    from pshell.engine.pipeline import load_script
    from pshell.lang.errors import ParseError
    try:
        block = load_script(path)
    except ParseError as exc:
        raise RuntimeException.make(exc.message, "ParseException", "ParserError", path) from None
    except OSError as exc:
        raise _err(f"The script '{path}' named by ScriptsToProcess cannot be read: {exc.strerror}.",
                   "Modules_ScriptNotFound", target=path) from None
    for _ in invoke_block(F, block, (), new_scope=False):
        pass


def _narrow(table: Dict[str, Any], patterns: Optional[List[str]]) -> None:
    if patterns is None or patterns == ["*"]:
        return
    for key in list(table):
        name = getattr(table[key], "name", key)
        if not any(wildcard_match(p, name) for p in patterns):
            del table[key]


def _run_module_script(F: Frame, module: PSModuleInfo, path: str, args: List[Any]) -> None:
    from pshell.engine.command_context import invoke_block
    from pshell.engine.pipeline import load_script
    from pshell.lang.errors import ParseError
    try:
        block = load_script(path)
    except ParseError as exc:
        raise RuntimeException.make(exc.message, "ParseException", "ParserError", path) from None
    scope = module.scope
    assert scope is not None
    scope.vars["psscriptroot"] = os.path.dirname(path)
    scope.vars["pscommandpath"] = path
    scope.vars["\x00module"] = module
    frame = Frame(F.rs, scope, F.streams, scope, block.unit, None, False)
    for _ in invoke_block(frame, block, tuple(args), new_scope=False, script_scope=True):
        pass                                  # a module's own output is not the importer's
    exports = module.exports
    functions = scope.functions or {}
    for key, info in functions.items():
        if exports is None or any(wildcard_match(p, info.name) for p in exports.get("function", ())):
            module.functions[key] = info
    if exports is not None:
        for pattern in exports.get("variable", ()):
            for key, value in scope.vars.items():
                if not key.startswith("\x00") and wildcard_match(pattern, key):
                    module.variables[key] = value
        for pattern in exports.get("alias", ()):
            for key, value in (scope.aliases or {}).items():
                if wildcard_match(pattern, key):
                    module.aliases[key] = value
    for info in module.functions.values():
        info.module = module


def _import_into(module: PSModuleInfo, into: Scope, functions: Optional[List[str]],
                 variables: Optional[List[str]], prefix: str) -> None:
    for info in module.functions.values():
        if functions is not None and not any(wildcard_match(p, info.name) for p in functions):
            continue
        name = info.name
        if prefix and "-" in name:
            verb, noun = name.split("-", 1)
            name = f"{verb}-{prefix}{noun}"
        copy = FunctionInfo(name, info.block, info.is_filter)
        copy.module = module
        into.set_function(copy)
    for key, value in module.variables.items():
        if variables is None or any(wildcard_match(p, key) for p in variables):
            into.vars[key] = value
    if module.aliases:
        if into.aliases is None:
            into.aliases = {}
        into.aliases.update(module.aliases)
    if into not in module.imported_into:
        module.imported_into.append(into)


def export_members(F: Frame, kind: str, patterns: List[str]) -> None:
    """``Export-ModuleMember``: called while a module's script runs."""
    module = F.script_scope.vars.get("\x00module")
    if not isinstance(module, PSModuleInfo):
        raise RuntimeException.make("The Export-ModuleMember cmdlet can only be called from inside a "
                                    "module.", "Modules_CanOnlyExecuteExportModuleMemberInsideAModule",
                                    "PermissionDenied",
                                    exception_type="System.InvalidOperationException")
    if module.exports is None:
        module.exports = {}
    module.exports.setdefault(kind, []).extend(patterns)


def _refuse(module: PSModuleInfo, message: str, error_id: str) -> RuntimeException:
    return RuntimeException.make(message, error_id, "PermissionDenied", module,
                                 exception_type="System.InvalidOperationException")


def check_removable(rs: Any, module: PSModuleInfo, force: bool = False,
                    leaving: Sequence[PSModuleInfo] = ()) -> None:
    """Raise why ``module`` may not be removed: constant, read-only without ``force``, or
    required by a loaded module that stays (``leaving``: those removed with it)."""
    if module.AccessMode == "Constant":
        raise _refuse(module, f"Unable to remove module '{module.Name}' because it is constant. "
                      f"A constant module cannot be removed.", "Modules_ModuleIsConstant")
    if module.AccessMode == "ReadOnly" and not force:
        raise _refuse(module, f"Unable to remove module '{module.Name}' because it is read-only. "
                      f"Use -Force to remove a read-only module.", "Modules_ModuleIsReadOnly")
    for other in modules_of(rs).values():
        if other is not module and other not in leaving and \
                any(r is module for r in other.RequiredModules):
            raise _refuse(module, f"Unable to remove module '{module.Name}' because it is required "
                          f"by '{other.Name}'.", "Modules_ModuleIsRequired")


def remove_module(rs: Any, module: PSModuleInfo, force: bool = False) -> None:
    """Forget a module (and its nested modules) and take what it exported out of the scopes it
    was imported into.  The caller checks first with ``check_removable``."""
    for scope in module.imported_into:
        for key, info in list((scope.functions or {}).items()):
            if getattr(info, "module", None) is module:
                del scope.functions[key]           # type: ignore[union-attr]
        for key, value in module.variables.items():
            if scope.vars.get(key) is value:
                del scope.vars[key]
        for key in module.aliases:
            if scope.aliases is not None:
                scope.aliases.pop(key, None)
    module.imported_into = []
    table = modules_of(rs)
    for key, value in list(table.items()):
        if value is module or any(n is value for n in module.NestedModules):
            del table[key]


def loaded_by_spec(rs: Any, spec: ModuleSpecification) -> List[PSModuleInfo]:
    """Loaded modules a ModuleSpecification accepts (its name may be a wildcard or a path)."""
    name = spec.Name
    if _looks_like_path(name):
        path = rs.resolve_path(name).rstrip("/")
        found = [m for m in modules_of(rs).values()
                 if m.Path == path or m.ModuleBase == path or os.path.dirname(m.ModuleBase) == path]
    else:
        found = loaded_matching(rs, [name])
    return [m for m in found if version_matches(spec, m.Version, m.Guid)]


def loaded_matching(rs: Any, patterns: Sequence[str]) -> List[PSModuleInfo]:
    return [m for m in modules_of(rs).values()
            if any(wildcard_match(p, m.Name) if has_wildcards(p) else p.lower() == m.Name.lower()
                   for p in patterns)]

