"""Get-Variable, Set-Variable, New-Variable, Remove-Variable, Clear-Variable."""

from __future__ import annotations


from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.state_drives import PSVariable
from pshell.engine.variable_meta import drop_meta, ensure_meta, is_private, meta_of, options_text
from pshell.engine.values import AutomationNull, to_str
from pshell.engine.wildcards import has_wildcards, wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional, Tuple

_OPTIONS = ("None", "ReadOnly", "Constant", "Private", "AllScope", "Unspecified")
_AUTOMATIC = ("pwd", "psversiontable", "host", "?", "executioncontext")
#: automatic variables Get-Variable lists although they are computed, with their spelling
_LISTED = {"?": "?", "host": "Host", "pwd": "PWD"}
_NOT_FOUND = "System.Management.Automation.ItemNotFoundException"
_UNAUTHORIZED = "System.Management.Automation.SessionStateUnauthorizedAccessException"


def _options(value: Any) -> List[str]:
    """``-Option`` as a list of option names (comma-separated text or an array)."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else to_str(value).split(",")
    out = []
    for item in items:
        text = to_str(item).strip()
        for name in _OPTIONS:
            if name.lower() == text.lower():
                out.append(name)
                break
        else:
            raise ValueError(f'Cannot convert value "{text}" to type '
                             f'"System.Management.Automation.ScopedItemOptions". Error: "Unable to '
                             f'match the identifier name {text} to a valid enumerator name. Specify '
                             f'one of the following enumerator names and try again:\n'
                             f'{", ".join(_OPTIONS)}"')
    return out


def _register_view() -> None:
    try:
        from pshell.engine.format import register_view
    except ImportError:
        return
    register_view("System.Management.Automation.PSVariable", "table",
                  [("Name", "Name", 30), ("Value", "Value")])


_register_view()


class _VariableCmdlet(Cmdlet):
    """Scope handling shared by the *-Variable cmdlets."""

    def _target_scope(self) -> Any:
        """The scope ``-Scope`` names (the caller's own scope when not given)."""
        frame = self.ctx.frame
        value = getattr(self, "Scope", None)
        if value is None:
            return frame.scope
        text = to_str(value).strip().lower()
        if text == "global":
            return self.runspace.global_scope
        if text == "script":
            return frame.script_scope
        if text in ("local", "private"):
            return frame.scope
        if text.isdigit():
            scope = frame.scope
            for _ in range(int(text)):
                if scope.parent is None:
                    raise self.terminate(
                        f"The scope number '{text}' exceeds the number of active scopes. "
                        f"(Parameter 'scopeID')", "ArgumentOutOfRange", "InvalidArgument", text)
                scope = scope.parent
            return scope
        raise self.terminate(f"The scope '{to_str(value)}' is not valid. Use Global, Script, "
                             f"Local, Private, or a scope number.", "ArgumentException",
                             "InvalidArgument", value)

    def _search_chain(self) -> bool:
        """Without ``-Scope`` a name is looked up through the parent scopes."""
        return getattr(self, "Scope", None) is None

    def _visible(self) -> List[Tuple[str, Any, Any]]:
        """``(name, value, scope)`` of every variable visible from the target scope."""
        seen = {}
        start = scope = self._target_scope()
        while scope is not None:
            for name, value in scope.vars.items():
                if name not in seen and (scope is start or not is_private(scope, name)):
                    seen[name] = (name, value, scope)
            if not self._search_chain():
                break
            scope = scope.parent
        return list(seen.values())

    def _find(self, name: str) -> Optional[Tuple[str, Any, Any]]:
        key = name.lower()
        start = scope = self._target_scope()
        while scope is not None:
            if key in scope.vars and (scope is start or not is_private(scope, key)):
                return key, scope.vars[key], scope
            if not self._search_chain():
                return None
            scope = scope.parent
        return None

    def _matching(self, patterns: List[str]) -> Iterator[Tuple[str, Tuple[str, Any, Any]]]:
        """Each pattern with every variable it matches; a plain name that matches nothing gets
        a 'cannot find' error."""
        include = list(getattr(self, "Include", None) or [])
        exclude = list(getattr(self, "Exclude", None) or [])
        visible = None
        for pattern in patterns:
            if has_wildcards(pattern):
                if visible is None:
                    visible = sorted(self._visible(), key=lambda v: v[0])
                hits = [v for v in visible if wildcard_match(pattern, v[0])]
            else:
                found = self._find(pattern)
                hits = [found] if found is not None else []
                if not hits:
                    self._not_found(pattern)
                    continue
            for hit in hits:
                if include and not any(wildcard_match(p, hit[0]) for p in include):
                    continue
                if exclude and any(wildcard_match(p, hit[0]) for p in exclude):
                    continue
                yield pattern, hit

    def _not_found(self, name: str) -> None:
        self._error(f"Cannot find a variable with the name '{name}'.", "VariableNotFound",
                    "ObjectNotFound", name, _NOT_FOUND)

    def _error(self, message: str, error_id: str, category: str, target: Any, exception: str) -> None:
        self.write_error(self.error_record(message, error_id, category, target, exception_type=exception))

    def _excluded(self, name: str) -> bool:
        """Whether -Include/-Exclude leave ``name`` out."""
        include = list(getattr(self, "Include", None) or [])
        exclude = list(getattr(self, "Exclude", None) or [])
        return bool((include and not any(wildcard_match(p, name) for p in include))
                    or (exclude and any(wildcard_match(p, name) for p in exclude)))

    @staticmethod
    def _option_of(scope: Any, name: str) -> str:
        flags = scope.readonly or {}
        return flags.get(name.lower(), "None")

    def _writable(self, scope: Any, name: str, force: bool) -> bool:
        option = self._option_of(scope, name)
        if option == "Constant" or (option == "ReadOnly" and not force):
            self._error(f"Cannot overwrite variable {self._spelled(scope, name)} because it is read-only "
                        f"or constant.", "VariableNotWritable", "WriteError", name, _UNAUTHORIZED)
            return False
        return True

    def _set_options(self, scope: Any, name: str, options: List[str]) -> None:
        if "Private" in options or "AllScope" in options or meta_of(scope, name.lower()) is not None:
            meta = ensure_meta(scope, name)
            meta.private = "Private" in options
            meta.allscope = "AllScope" in options
        flag = "Constant" if "Constant" in options else ("ReadOnly" if "ReadOnly" in options
                                                         else None)
        if flag is None:
            if scope.readonly:
                scope.readonly.pop(name.lower(), None)
            return
        if scope.readonly is None:
            scope.readonly = {}
        scope.readonly[name.lower()] = flag

    def _require_name(self) -> None:
        names = getattr(self, "Name", None)
        if names is None:
            raise self.terminate("Cannot process command because of one or more missing "
                                 "mandatory parameters: Name.", "MissingMandatoryParameter",
                                 "InvalidArgument")
        for name in names if isinstance(names, list) else [names]:
            if not _strip(to_str(name)):
                raise self.terminate("Cannot bind argument to parameter 'Name' because it is an "
                                     "empty string.", "ParameterArgumentValidationErrorEmptyString"
                                     "NotAllowed", "InvalidData")

    def _variable(self, name: str, value: Any, scope: Any) -> PSVariable:
        key = name.lower()
        meta = meta_of(scope, key)
        variable = PSVariable(meta.name if meta is not None else _LISTED.get(key, name), value,
                              options_text(scope, key), meta.description if meta is not None else "",
                              scope=scope)
        if meta is not None:
            variable.Visibility = meta.visibility
        return variable

    @staticmethod
    def _spelled(scope: Any, key: str) -> str:
        meta = meta_of(scope, key.lower())
        return meta.name if meta is not None else key

    def _describe(self, scope: Any, name: str) -> None:
        """Record -Description, -Visibility and the name's spelling for a variable just set."""
        description = getattr(self, "Description", None)
        visibility = getattr(self, "Visibility", None)
        meta = meta_of(scope, name.lower())
        if meta is None and description is None and visibility is None and name == name.lower():
            return
        meta = meta or ensure_meta(scope, name)
        if description is not None:
            meta.description = to_str(description)
        if visibility is not None:
            meta.visibility = to_str(visibility)


def _strip(name: str) -> str:
    return name[1:] if name.startswith("$") else name


@register
class GetVariable(_VariableCmdlet):
    name = "Get-Variable"
    synopsis = "Gets variables in the current scope (or -Scope)."
    params = (
        Param("Name", "string[]", position=0, pipeline=True, by_property=True),
        Param("ValueOnly", "switch"),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
        Param("Scope", "string"),
    )

    def process(self) -> Iterator[Any]:
        patterns = [_strip(n) for n in (self.Name or ["*"])]
        seen = set()
        for _, (name, value, scope) in self._matching(patterns):
            seen.add(name)
            yield value if self.ValueOnly else self._variable(name, value, scope)
        if not self._search_chain():
            return
        for key in sorted(_LISTED):      # computed, never stored: listed when a pattern asks for them
            if key not in seen and any(has_wildcards(p) and wildcard_match(p, key) for p in patterns) \
                    and not self._excluded(key):
                found = self._find(key)
                if found is not None:
                    yield found[1] if self.ValueOnly else self._variable(key, found[1], found[2])

    def _find(self, name: str) -> Optional[Tuple[str, Any, Any]]:
        found = super()._find(name)
        if found is None and name.lower() in _AUTOMATIC and self._search_chain():
            from pshell.engine.runtime import automatic_variable
            value = automatic_variable(self.runspace, name.lower())
            return name.lower(), value, self.runspace.global_scope
        return found


@register
class SetVariable(_VariableCmdlet):
    name = "Set-Variable"
    synopsis = "Sets the value of a variable, creating it if needed."
    params = (
        Param("Name", "string[]", position=0, mandatory=True, by_property=True),
        Param("Value", "object", position=1, pipeline=True, by_property=True),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
        Param("Description", "string"),
        Param("Option", _options),
        Param("Force", "switch"),
        Param("Visibility", "string", validate_set=("Public", "Private")),
        Param("PassThru", "switch"),
        Param("Scope", "string"),
        Param("Append", "switch"),
    ) + SHOULD_PROCESS_PARAMS

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        value, bound = self.Value, self.is_bound("Value")
        values: List[Any] = []
        if upstream is not None:
            bind = self.ctx.bind_pipeline_input
            for item in upstream:
                bind(self, item)
                values.append(self.Value)
            if values:
                value, bound = (values[0] if len(values) == 1 else values), True
        if self.Append:
            value = values if values else [value]
        yield from self._assign(value, bound)

    def _assign(self, value: Any, bound: bool) -> Iterator[Any]:
        self._require_name()
        if value is AutomationNull:
            value = None
        options = list(self.Option or [])
        private = to_str(self.Scope or "").strip().lower() == "private"
        if private and options and "Private" not in options:
            options.append("Private")
        for raw in self.Name or []:
            name = _strip(raw)
            if has_wildcards(name):
                targets = [hit for _, hit in self._matching([name])]
            elif self._excluded(name):
                continue
            else:
                found = self._find(name) if self._search_chain() else None
                # an assignment without -Scope creates the variable in the caller's scope
                if found is not None and found[2] is not self._target_scope():
                    found = None
                targets = [found] if found is not None else [(name.lower(), None, self._target_scope())]
            for key, old, scope in targets:
                exists = key in scope.vars
                if exists and "Constant" in options and self._option_of(scope, key) != "Constant":
                    self._error(f"Existing variable {self._spelled(scope, key)} cannot be made constant. "
                                f"Variables can be made constant only at creation time.",
                                "VariableCannotBeMadeConstant", "InvalidOperation", key, _UNAUTHORIZED)
                    continue
                if exists and not self._writable(scope, key, bool(self.Force)):
                    continue
                if not self.should_process(f"Name: {key} Value: {to_str(value)}", "Set variable"):
                    continue
                if self.Append:
                    old = scope.vars.get(key)
                    kept = [] if old is None else (list(old) if isinstance(old, list) else [old])
                    scope.vars[key] = kept + value
                elif bound or not exists:
                    scope.vars[key] = value
                spelled = key if has_wildcards(name) else name
                if options:
                    self._set_options(scope, spelled, options)
                elif private:
                    ensure_meta(scope, spelled).private = True
                self._describe(scope, spelled)
                if self.PassThru:
                    yield self._variable(spelled, scope.vars[key], scope)


@register
class NewVariable(_VariableCmdlet):
    name = "New-Variable"
    synopsis = "Creates a variable."
    params = (
        Param("Name", "string", position=0, mandatory=True, by_property=True),
        Param("Value", "object", position=1, pipeline=True, by_property=True),
        Param("Description", "string"),
        Param("Option", _options),
        Param("Visibility", "string", validate_set=("Public", "Private")),
        Param("Force", "switch"),
        Param("PassThru", "switch"),
        Param("Scope", "string"),
    ) + SHOULD_PROCESS_PARAMS

    def process(self) -> Iterator[Any]:
        self._require_name()
        name = _strip(self.Name or "")
        key = name.lower()
        scope = self._target_scope()
        value = None if self.Value is AutomationNull else self.Value
        if key in scope.vars:
            if not self.Force:
                self._error(f"A variable with name '{name}' already exists.", "VariableAlreadyExists",
                            "ResourceExists", name, "System.Management.Automation.SessionStateException")
                return
            if self._option_of(scope, key) == "Constant":
                self._error(f"Cannot overwrite variable {name} because it is read-only or constant.",
                            "VariableNotWritable", "WriteError", name, _UNAUTHORIZED)
                return
        if not self.should_process(f"Name: {name} Value: {to_str(value)}", "New variable"):
            return
        scope.vars[key] = value
        drop_meta(scope, key)
        options = list(self.Option or [])
        if to_str(self.Scope or "").strip().lower() == "private" and "Private" not in options:
            options.append("Private")
        self._set_options(scope, name, options)
        self._describe(scope, name)
        if self.PassThru:
            yield self._variable(name, value, scope)


@register
class RemoveVariable(_VariableCmdlet):
    name = "Remove-Variable"
    synopsis = "Deletes variables."
    params = (
        Param("Name", "string[]", position=0, mandatory=True, by_property=True),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
        Param("Force", "switch"),
        Param("Scope", "string"),
    ) + SHOULD_PROCESS_PARAMS

    def process(self) -> None:
        self._require_name()
        for _, (key, _, scope) in self._matching([_strip(n) for n in self.Name or []]):
            option = self._option_of(scope, key)
            if option == "Constant" or (option == "ReadOnly" and not self.Force):
                self._error(f"Cannot remove variable {self._spelled(scope, key)} because it is constant or "
                            f"read-only. If the variable is read-only, try the operation again specifying "
                            f"the Force option.", "VariableNotRemovable", "WriteError", key, _UNAUTHORIZED)
                continue
            if not self.should_process(f"Name: {key}", "Remove variable"):
                continue
            scope.vars.pop(key, None)
            drop_meta(scope, key)
            if scope.readonly:
                scope.readonly.pop(key, None)


@register
class ClearVariable(_VariableCmdlet):
    name = "Clear-Variable"
    synopsis = "Sets variables to $null, keeping them defined."
    params = (
        Param("Name", "string[]", position=0, mandatory=True, by_property=True),
        Param("Include", "string[]"),
        Param("Exclude", "string[]"),
        Param("Force", "switch"),
        Param("PassThru", "switch"),
        Param("Scope", "string"),
    ) + SHOULD_PROCESS_PARAMS

    def process(self) -> Iterator[Any]:
        self._require_name()
        for _, (key, _, scope) in self._matching([_strip(n) for n in self.Name or []]):
            if not self._writable(scope, key, bool(self.Force)):
                continue
            if not self.should_process(f"Name: {key}", "Clear variable"):
                continue
            if self._search_chain():
                scope = self.ctx.frame.scope      # without -Scope the $null goes in the caller's scope
            scope.vars[key] = None
            if self.PassThru:
                yield self._variable(key, None, scope)


__all__ = ["GetVariable", "SetVariable", "NewVariable", "RemoveVariable", "ClearVariable",
           "PSVariable"]
