"""The Variable:, Function: and Alias: drives: a session's variables, functions and aliases as
items that the item cmdlets (Get-Item, Get-ChildItem, Test-Path, New-Item, Set-Item, Clear-Item,
Remove-Item, Rename-Item, Copy-Item) read and change by path.

``split_state_path(rs, text)`` says whether a path is on one of these drives: ``Variable:x``,
``function:\\f*``, ``Alias:/`` and, while the current location is such a drive (``Set-Location
Function:``, ``rs.state_location``), any relative path.  ``STORES[name]`` does the work; each
operation takes the calling frame (a lookup searches its scope chain) and raises ``StateError``
for the cmdlet to report under its own name.  Where things are made: variables and functions in
the caller's scope (as an assignment or a ``function`` statement would), aliases in the global
scope (as Set-Alias does).
"""

from __future__ import annotations

import re

from pshell.engine.aliases import DEFAULT_ALIASES
from pshell.engine.values import to_str
from pshell.engine.wildcards import has_wildcards, wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

__all__ = ["StateError", "split_state_path", "STORES", "PSVariable", "AliasInfo",
           "OPTION_NAMES", "parse_options", "remember_alias_name", "alias_name"]

_PREFIX = re.compile(r"^(?:Microsoft\.PowerShell\.Core\\)?(variable|function|alias):(?::)?(.*)$",
                     re.IGNORECASE | re.DOTALL)
OPTION_NAMES = ("None", "ReadOnly", "Constant", "Private", "AllScope", "Unspecified")


class StateError(Exception):
    def __init__(self, message: str, error_id: str, category: str, target: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id
        self.category = category
        self.target = target


def split_state_path(rs: Any, text: Any) -> Optional[Tuple[str, str]]:
    """(drive, name or pattern; '' for the drive itself) for a path on Variable:, Function: or
    Alias:; None for any other path."""
    text = to_str(text)
    match = _PREFIX.match(text)
    if match is not None:
        return match.group(1).lower(), match.group(2).replace("\\", "/").strip("/")
    current = getattr(rs, "state_location", None)
    if current and not text.startswith(("/", "~")) and not re.match(r"^[\w\-.]+::?[\\/]", text) \
            and not re.match(r"^[A-Za-z_][\w\-]*:", text):
        return current, text.replace("\\", "/").strip("/")
    return None


def parse_options(value: Any) -> List[str]:
    """``-Options``/``-Option`` as option names: comma-separated text or an array."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else to_str(value).split(",")
    out = []
    for item in items:
        text = to_str(item).strip()
        for name in OPTION_NAMES:
            if name.lower() == text.lower():
                if name != "None":
                    out.append(name)
                break
        else:
            raise StateError(f"'{text}' is not an option: use {', '.join(OPTION_NAMES)}.",
                             "InvalidOptions", "InvalidArgument", text)
    return out


def _format_options(options: List[str]) -> str:
    return ", ".join(o for o in OPTION_NAMES if o in options) or "None"


# --------------------------------------------------------------------------- item objects

class PSVariable:
    ps_type_names = ("System.Management.Automation.PSVariable",)
    ps_properties = ("Name", "Value")

    def __init__(self, name: str, value: Any, options: str = "None", description: str = "",
                 scope: Any = None) -> None:
        self.Name = name
        self._value = value
        self._scope = scope
        self.Options = options
        self.Description = description
        self.Visibility = "Public"

    # The variable itself, as PowerShell's PSVariable: with the scope it came from, reading Value
    # reads the variable now and setting it sets the variable (about_Scopes: a thread job changes
    # the caller's $Count through ($Using:ref).Value).
    @property
    def Value(self) -> Any:
        scope = self._scope
        if scope is not None:
            return scope.vars.get(self.Name.lower(), self._value)
        return self._value

    @Value.setter
    def Value(self, value: Any) -> None:
        scope = self._scope
        if scope is not None:
            if self.Options in ("ReadOnly", "Constant"):
                from pshell.engine.errors import RuntimeException
                raise RuntimeException.make(f"Cannot overwrite variable {self.Name} because it is "
                                            f"read-only or constant.", "VariableNotWritable",
                                            "WriteError")
            scope.vars[self.Name.lower()] = value
        self._value = value

    @property
    def PSChildName(self) -> str:
        return self.Name

    @property
    def PSPath(self) -> str:
        return f"Microsoft.PowerShell.Core\\Variable::{self.Name}"

    def ToString(self) -> str:
        return self.Name


class AliasInfo:
    ps_type_names = ("System.Management.Automation.AliasInfo", "System.Management.Automation.CommandInfo")
    ps_properties = ("CommandType", "Name", "Definition")

    def __init__(self, name: str, definition: str, options: str = "None",
                 description: str = "") -> None:
        self.CommandType = "Alias"
        self.Name = name
        self.Definition = definition
        self.Options = options
        self.Description = description
        self.resolved = ""          # the command an alias of an alias ends at (alias_table.info_for)

    @property
    def DisplayName(self) -> str:
        return f"{self.Name} -> {self.ResolvedCommandName}"

    @property
    def ResolvedCommandName(self) -> str:
        return self.resolved or self.Definition

    @property
    def ReferencedCommand(self) -> str:
        return self.Definition

    @property
    def PSPath(self) -> str:
        return f"Microsoft.PowerShell.Core\\Alias::{self.Name}"

    def ToString(self) -> str:
        return self.Name


# --------------------------------------------------------------------------- the stores

class _Store:
    drive = ""
    kind = ""

    def entries(self, frame: Any) -> Dict[str, Tuple[Any, Any]]:
        """lower-case name -> (value, scope holding it), nearest scope first."""
        raise NotImplementedError

    def item(self, frame: Any, key: str, value: Any, scope: Any) -> Any:
        raise NotImplementedError

    def options(self, scope: Any, key: str, value: Any) -> List[str]:
        return []

    def matching(self, frame: Any, pattern: str) -> List[Any]:
        """The items ``pattern`` names ('' or '*': all), sorted by name."""
        found = self.entries(frame)
        if not pattern or has_wildcards(pattern):
            keys = sorted(k for k in found if not pattern or wildcard_match(pattern, k))
        else:
            keys = [pattern.lower()] if pattern.lower() in found else []
        return [self.item(frame, k, *found[k]) for k in keys]

    def find(self, frame: Any, name: str) -> Optional[Tuple[Any, Any]]:
        return self.entries(frame).get(name.lower())

    def not_found(self, name: str) -> StateError:
        path = f"{self.drive}:\\{name}"
        return StateError(f"Cannot find path '{path}' because it does not exist.", "PathNotFound",
                          "ObjectNotFound", path)

    def check_writable(self, scope: Any, key: str, value: Any, force: bool, verb: str) -> None:
        options = self.options(scope, key, value)
        if "Constant" in options or ("ReadOnly" in options and not force):
            raise StateError(f"Cannot {verb} {self.kind} {key} because it is read-only or "
                             f"constant.", f"{self.kind.capitalize()}NotWritable", "WriteError", key)


class _VariableStore(_Store):
    drive, kind = "Variable", "variable"

    def entries(self, frame: Any) -> Dict[str, Tuple[Any, Any]]:
        found: Dict[str, Tuple[Any, Any]] = {}
        scope = frame.scope
        while scope is not None:
            for key, value in scope.vars.items():
                if key not in found:
                    found[key] = (value, scope)
            scope = scope.parent
        return found

    def options(self, scope: Any, key: str, value: Any) -> List[str]:
        flag = (scope.readonly or {}).get(key)
        return [flag] if flag else []

    def item(self, frame: Any, key: str, value: Any, scope: Any) -> PSVariable:
        return PSVariable(key, value, _format_options(self.options(scope, key, value)),
                          scope=scope)

    def set(self, frame: Any, name: str, value: Any, force: bool = False,
            options: Optional[List[str]] = None, new: bool = False) -> Any:
        key = name.lower()
        found = self.find(frame, key)
        if new and found is not None and not force:
            raise StateError(f"A variable with name '{name}' already exists.", "Argument",
                             "ResourceExists", name)
        scope = found[1] if found is not None and not new else frame.scope
        if key in scope.vars:
            self.check_writable(scope, key, None, force, "overwrite")
        scope.vars[key] = value
        if options is not None:
            flag = "Constant" if "Constant" in options else \
                ("ReadOnly" if "ReadOnly" in options else None)
            if flag:
                if scope.readonly is None:
                    scope.readonly = {}
                scope.readonly[key] = flag
            elif scope.readonly:
                scope.readonly.pop(key, None)
        return self.item(frame, key, value, scope)

    def remove(self, frame: Any, name: str, force: bool = False) -> None:
        found = self.find(frame, name)
        if found is None:
            raise self.not_found(name)
        key, scope = name.lower(), found[1]
        self.check_writable(scope, key, None, force, "remove")
        scope.vars.pop(key, None)
        if scope.readonly:
            scope.readonly.pop(key, None)

    def clear(self, frame: Any, name: str, force: bool = False) -> None:
        found = self.find(frame, name)
        if found is None:
            raise self.not_found(name)
        self.check_writable(found[1], name.lower(), None, force, "overwrite")
        found[1].vars[name.lower()] = None


class _FunctionStore(_Store):
    drive, kind = "Function", "function"

    def entries(self, frame: Any) -> Dict[str, Tuple[Any, Any]]:
        found: Dict[str, Tuple[Any, Any]] = {}
        scope = frame.scope
        while scope is not None:
            for key, info in (scope.functions or {}).items():
                if key not in found:
                    found[key] = (info, scope)
            scope = scope.parent
        return found

    def options(self, scope: Any, key: str, value: Any) -> List[str]:
        return list(getattr(value, "options", None) or ())

    def item(self, frame: Any, key: str, value: Any, scope: Any) -> Any:
        return value

    def _block(self, frame: Any, name: str, value: Any) -> Any:
        from pshell.engine.runtime import FunctionInfo, ScriptBlock
        if isinstance(value, ScriptBlock):
            return value
        if isinstance(value, FunctionInfo):
            return value.block
        if isinstance(value, str):
            return frame.rs.compile(value, f"function:{name}")
        raise StateError(f"The value of function '{name}' must be a script block, a function or "
                         f"the text of a script, not {type(value).__name__}.", "Argument",
                         "InvalidArgument", name)

    def set(self, frame: Any, name: str, value: Any, force: bool = False,
            options: Optional[List[str]] = None, new: bool = False) -> Any:
        from pshell.engine.runtime import FunctionInfo
        key = name.lower()
        found = self.find(frame, key)
        if new and found is not None and not force:
            raise StateError(f"A function with name '{name}' already exists.", "Argument",
                             "ResourceExists", name)
        if found is not None:
            self.check_writable(found[1], key, found[0], force, "write")
        if value is None and found is not None and options is not None:
            found[0].options = tuple(options)       # only the options change
            return found[0]
        if value is None:
            if found is not None:                   # Set-Item function:f alone removes it
                self.remove(frame, name, force)
            return None
        info = FunctionInfo(found[0].name if found is not None else name,
                            self._block(frame, name, value))
        if options is not None:
            info.options = tuple(options)
        elif found is not None:
            info.options = found[0].options
        (found[1] if found is not None else frame.scope).set_function(info)
        return info

    def remove(self, frame: Any, name: str, force: bool = False) -> None:
        found = self.find(frame, name)
        if found is None:
            raise self.not_found(name)
        self.check_writable(found[1], name.lower(), found[0], force, "remove")
        found[1].functions.pop(name.lower(), None)

    def rename_check(self, frame: Any, name: str, force: bool) -> None:
        found = self.find(frame, name)
        if found is not None:
            options = self.options(found[1], name, found[0])
            if "Constant" in options or ("ReadOnly" in options and not force):
                raise StateError(f"Cannot rename function {name} because it is read-only or "
                                 f"constant.", "CannotRenameFunction", "WriteError", name)


def remember_alias_name(rs: Any, name: str) -> None:
    """Aliases are keyed by their lower-case name; this keeps the spelling they were made with."""
    names = rs.__dict__.get("alias_names")
    if names is None:
        names = rs.__dict__["alias_names"] = {}
    names[name.lower()] = name


def alias_name(rs: Any, key: str) -> str:
    return (rs.__dict__.get("alias_names") or {}).get(key, key)


class _AliasStore(_Store):
    drive, kind = "Alias", "alias"

    def entries(self, frame: Any) -> Dict[str, Tuple[Any, Any]]:
        found: Dict[str, Tuple[Any, Any]] = {}
        scope = frame.scope
        while scope is not None:
            for key, target in (scope.aliases or {}).items():
                if key not in found and target:
                    found[key] = (target, scope)
            scope = scope.parent
        for key, target in DEFAULT_ALIASES.items():
            found.setdefault(key, (target, None))
        return found

    def item(self, frame: Any, key: str, value: Any, scope: Any) -> AliasInfo:
        return AliasInfo(getattr(value, "name", "") or alias_name(frame.rs, key), str(value),
                         getattr(value, "options", "None"), getattr(value, "description", ""))

    def options(self, scope: Any, key: str, value: Any) -> List[str]:
        return [o.strip() for o in getattr(value, "options", "None").split(",")]

    def set(self, frame: Any, name: str, value: Any, force: bool = False,
            options: Optional[List[str]] = None, new: bool = False) -> Any:
        key = name.lower()
        if new and self.find(frame, key) is not None and not force:
            raise StateError(f"The alias is not allowed, because an alias with the name '{name}' "
                             f"already exists.", "AliasAlreadyExists", "ResourceExists", name)
        target = to_str(value).strip() if value is not None else ""
        if not target:
            raise StateError(f"Alias '{name}' needs a value: the name of a command.", "Argument",
                             "InvalidArgument", name)
        scope = frame.rs.global_scope
        if scope.aliases is None:
            scope.aliases = {}
        scope.aliases[key] = target
        remember_alias_name(frame.rs, name)
        return AliasInfo(name, target)

    def remove(self, frame: Any, name: str, force: bool = False) -> None:
        found = self.find(frame, name)
        if found is None:
            raise self.not_found(name)
        if found[1] is None:
            raise StateError(f"Alias '{name}' is one of pshell's built-in aliases; it cannot be "
                             f"removed (define another with Set-Alias to change it).",
                             "AliasNotRemovable", "WriteError", name)
        self.check_writable(found[1], name.lower(), found[0], force, "remove")
        found[1].aliases.pop(name.lower(), None)


STORES: Dict[str, Any] = {"variable": _VariableStore(), "function": _FunctionStore(),
                          "alias": _AliasStore()}
