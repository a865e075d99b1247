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
from typing import Any, Dict, List, Optional, Sequence

from pshell.engine.errors import RuntimeException
from pshell.engine.runtime import Frame, FunctionInfo, Scope
from pshell.engine.values import Hashtable, to_str
from pshell.engine.wildcards import has_wildcards, wildcard_match

__all__ = ["PSModuleInfo", "import_module", "remove_module", "modules_of", "find_module_file",
           "module_paths", "available_modules", "read_manifest"]

_EXTENSIONS = (".psd1", ".psm1", ".ps1")
MAX_NESTING = 32                       # modules importing modules: a cycle is an error, not a hang


def _err(message: str, error_id: str, category: str = "ResourceUnavailable", target: Any = None,
         exception_type: str = "System.IO.FileNotFoundException") -> RuntimeException:
    return RuntimeException.make(message, error_id, category, target, exception_type=exception_type)


class PSModuleInfo:
    """A module, loaded (``Get-Module``) or found on disk (``Get-Module -ListAvailable``)."""

    ps_type_names = ("System.Management.Automation.PSModuleInfo",)
    ps_properties = ("ModuleType", "Version", "Name", "ExportedCommands")

    def __init__(self, name: str, path: str, module_type: str = "Script") -> None:
        self.Name = name
        self.Path = path
        self.ModuleBase = os.path.dirname(path)
        self.ModuleType = module_type
        self.Version = "0.0"
        self.Description = ""
        self.Guid = ""
        self.Author = ""
        self.scope: Optional[Scope] = None
        self.functions: Dict[str, FunctionInfo] = {}
        self.variables: Dict[str, Any] = {}
        self.aliases: Dict[str, str] = {}
        self.exports: Optional[Dict[str, List[str]]] = None      # from Export-ModuleMember
        self.imported_into: List[Scope] = []
        self.manifest: Optional[Hashtable] = None

    @property
    def ExportedFunctions(self) -> Hashtable:
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
    table = rs.__dict__.get("modules")
    if table is None:
        table = rs.__dict__.setdefault("modules", {})
    return table


# --------------------------------------------------------------------------- finding modules

def module_paths(rs: Any) -> List[str]:
    """The directories of ``$env:PSModulePath`` (':'-separated), then pshell's default ones."""
    text = rs.environ.get("PSModulePath")
    if text is None:
        home = rs.home()
        text = os.pathsep.join([os.path.join(home, ".local", "share", "powershell", "Modules"),
                                "/usr/local/share/powershell/Modules"])
    return [p for p in text.split(os.pathsep) if p]


def _looks_like_path(name: str) -> bool:
    return "/" in name or name.startswith(("~", ".")) or name.lower().endswith(_EXTENSIONS)


def _file_in_directory(directory: str, name: str) -> Optional[str]:
    """``<dir>/<name>.psd1`` or ``.psm1`` (also one version directory down)."""
    for ext in (".psd1", ".psm1"):
        candidate = os.path.join(directory, name + ext)
        if os.path.isfile(candidate):
            return candidate
    try:
        versions = sorted((d for d in os.listdir(directory) if d[:1].isdigit()),
                          key=_version_key, reverse=True)
    except OSError:
        return None
    for version in versions:
        for ext in (".psd1", ".psm1"):
            candidate = os.path.join(directory, version, name + ext)
            if os.path.isfile(candidate):
                return candidate
    return None


def _version_key(text: str) -> List[int]:
    return [int(p) if p.isdigit() else 0 for p in text.split(".")]


def find_module_file(rs: Any, name: str) -> Optional[str]:
    """The file a module name or path stands for, or None."""
    if _looks_like_path(name):
        path = rs.resolve_path(name)
        if os.path.isdir(path):
            return _file_in_directory(path, os.path.basename(path.rstrip("/")))
        if os.path.isfile(path):
            return path
        for ext in (".psd1", ".psm1"):
            if os.path.isfile(path + ext):
                return path + ext
        return None
    for directory in module_paths(rs):
        found = _file_in_directory(os.path.join(directory, name), name)
        if found is not None:
            return found
    return None


def available_modules(rs: Any, patterns: Sequence[str] = ("*",)) -> List[PSModuleInfo]:
    """Modules found under ``$env:PSModulePath`` whose names match (Get-Module -ListAvailable)."""
    found: List[PSModuleInfo] = []
    seen = set()
    for directory in module_paths(rs):
        try:
            entries = sorted(os.listdir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.lower() in seen or not any(wildcard_match(p, entry) for p in patterns):
                continue
            path = _file_in_directory(os.path.join(directory, entry), entry)
            if path is None:
                continue
            seen.add(entry.lower())
            info = PSModuleInfo(entry, path, "Manifest" if path.endswith(".psd1") else "Script")
            if path.endswith(".psd1"):
                try:
                    _apply_manifest_fields(info, read_manifest(rs, path))
                except RuntimeException:
                    pass
            found.append(info)
    return found


# --------------------------------------------------------------------------- manifests

def read_manifest(rs: Any, path: str) -> Hashtable:
    """A ``.psd1`` file's hash table; anything but one hash table literal is refused."""
    from pshell.lang import ast as A
    from pshell.lang.errors import ParseError
    from pshell.lang.parser import parse
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
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
            with open(path, encoding="utf-8-sig", errors="replace") as handle:
                where = f" (line {SourceLocation(path, handle.read(), span.start, span.end).line})"
        except (OSError, AttributeError):
            where = ""
    raise _err(f"The module manifest '{path}' is not valid: only constant values are allowed in a "
               f"manifest{where}.", "Modules_InvalidManifest", "InvalidData", path,
               "System.Management.Automation.RuntimeException")


def _apply_manifest_fields(info: PSModuleInfo, manifest: Hashtable) -> None:
    info.manifest = manifest
    info.Version = to_str(manifest.get("ModuleVersion") or info.Version)
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
                  prefix: str = "") -> PSModuleInfo:
    """Load (once; again with ``force``) and import a module by name, path, hash table
    specification (``@{ ModuleName = ...; ModuleVersion = ... }``) or PSModuleInfo."""
    rs = F.rs
    if isinstance(target, PSModuleInfo):
        name = target.Path
    elif isinstance(target, dict):
        spec = Hashtable(target.items())
        name = to_str(spec.get("ModuleName") or "")
        if not name:
            raise _err("A module specification must have a ModuleName key.", "ModuleSpecInvalid",
                       "InvalidArgument", exception_type="System.ArgumentException")
    else:
        name = to_str(target)
    if not name.strip():
        raise _err("The module name is empty.", "Modules_ModuleNotFound", "InvalidArgument")
    path = find_module_file(rs, name)
    if path is None and name.lower() == "psreadline":
        return _BUILT_IN                      # built into pshell's prompt: nothing to load
    if path is None:
        raise _err(f"The specified module '{name}' was not loaded because no valid module file was "
                   f"found in any module directory.", "Modules_ModuleNotFound", target=name)
    loaded = modules_of(rs)
    path = os.path.realpath(path)
    module = None if force else next((m for m in loaded.values() if m.Path == path), None)
    if module is None:
        module = _load(F, path, list(args))
        loaded[module.Name.lower()] = module
    into = scope if scope is not None else rs.global_scope
    _import_into(module, into, functions, variables, prefix)
    return module


_BUILT_IN = PSModuleInfo("PSReadLine", "", "Binary")


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
    if path.endswith(".psd1"):
        manifest = read_manifest(rs, path)
        module = PSModuleInfo(base, path, "Manifest")
        _apply_manifest_fields(module, manifest)
        module.scope = Scope(rs.global_scope)
        for required in _names(manifest.get("RequiredModules")) or ():
            import_module(F, required)
        parts = list(_names(manifest.get("NestedModules")) or [])
        root = manifest.get("RootModule") or manifest.get("ModuleToProcess")
        if root:
            parts.append(to_str(root))
        for part in parts:
            part_path = part if os.path.isabs(part) else os.path.join(module.ModuleBase, part)
            found = find_module_file(rs, part_path) or find_module_file(rs, part)
            if found is None:
                raise _err(f"The module '{part}' named by the manifest '{path}' was not found.",
                           "Modules_ModuleFileNotFound", target=part)
            if found.endswith(".psd1"):
                inner = _load(F, os.path.realpath(found), args)
                module.functions.update(inner.functions)
                module.variables.update(inner.variables)
                module.aliases.update(inner.aliases)
                continue
            if root and part == to_str(root):
                module.ModuleType = "Script"
            inner = PSModuleInfo(base, found)
            inner.scope = module.scope
            _run_module_script(F, inner, found, args)
            module.functions.update(inner.functions)
            module.variables.update(inner.variables)
            module.aliases.update(inner.aliases)
        _narrow(module.functions, _names(manifest.get("FunctionsToExport")))
        _narrow(module.variables, _names(manifest.get("VariablesToExport")))
        _narrow(module.aliases, _names(manifest.get("AliasesToExport")))
        return module
    module = PSModuleInfo(base, path)
    module.scope = Scope(rs.global_scope)
    _run_module_script(F, module, path, args)
    return module


def _narrow(table: Dict[str, Any], patterns: Optional[List[str]]) -> None:
    if patterns is None or patterns == ["*"]:
        return
    for key in list(table):
        name = getattr(table[key], "name", key)
        if not any(wildcard_match(p, name) for p in patterns):
            del table[key]


def _run_module_script(F: Frame, module: PSModuleInfo, path: str, args: List[Any]) -> None:
    from pshell.engine.pipeline import invoke_block, load_script
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


def remove_module(rs: Any, module: PSModuleInfo) -> None:
    """Forget a module and take what it exported out of the scopes it was imported into."""
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
    table = modules_of(rs)
    for key, value in list(table.items()):
        if value is module:
            del table[key]


def loaded_matching(rs: Any, patterns: Sequence[str]) -> List[PSModuleInfo]:
    return [m for m in modules_of(rs).values()
            if any(wildcard_match(p, m.Name) if has_wildcards(p) else p.lower() == m.Name.lower()
                   for p in patterns)]

