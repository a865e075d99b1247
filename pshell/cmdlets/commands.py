"""Get-Command, Get-Alias / Set-Alias / New-Alias (the history cmdlets are in history.py)."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator, List, Optional

from pshell.engine.aliases import DEFAULT_ALIASES
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.state_drives import AliasInfo, alias_name, remember_alias_name
from pshell.engine.cmdlet import Cmdlet, Param, all_cmdlets, register
from pshell.engine.format import register_view
from pshell.engine.values import to_str
from pshell.engine.wildcards import wildcard_regex

from pshell.engine.history import HistoryInfo, record_history

__all__ = ["CommandInfo", "AliasInfo", "HistoryInfo", "record_history"]


class CommandInfo:
    ps_type_names = ("System.Management.Automation.CommandInfo",)
    ps_properties = ("CommandType", "Name", "Version", "Source")

    def __init__(self, kind: str, name: str, definition: str = "", source: str = "",
                 target: Any = None) -> None:
        self.CommandType = kind
        self.Name = name
        self.Definition = definition
        self.Source = source
        self.Version = ""
        self.target = target

    @property
    def Parameters(self) -> Any:
        """Name -> ParameterMetadata (Name, Aliases, SwitchParameter), names case-insensitive."""
        from pshell.engine.values import Hashtable, PSObject
        table = Hashtable()
        for p in getattr(self.target, "params", None) or ():
            table[p.name] = PSObject.from_pairs(
                [("Name", p.name), ("Aliases", list(p.aliases)), ("SwitchParameter", p.type == "switch")],
                ["System.Management.Automation.ParameterMetadata"])
        return table

    @property
    def Synopsis(self) -> str:
        return getattr(self.target, "synopsis", "")

    @property
    def OutputType(self) -> List["OutputTypeName"]:
        """The type names a cmdlet declares it writes (``Cmdlet.output_type``, comma-separated)."""
        text = getattr(self.target, "output_type", "") or ""
        return [OutputTypeName(n.strip()) for n in text.split(",") if n.strip()]

    def ToString(self) -> str:
        return self.Name


class OutputTypeName:
    """One entry of a command's OutputType: a type's name (equal to that text)."""
    ps_type_names = ("System.Management.Automation.PSTypeName",)
    ps_properties = ("Name",)

    def __init__(self, name: str) -> None:
        self.Name = name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OutputTypeName):
            return other.Name == self.Name
        return isinstance(other, str) and other == self.Name

    def __hash__(self) -> int:
        return hash(self.Name)

    def ToString(self) -> str:
        return self.Name

    def __str__(self) -> str:
        return self.Name


register_view("System.Management.Automation.CommandInfo", "table", [
    ("CommandType", "CommandType", 11), ("Name", "Name", 40), ("Version", "Version", 10),
    ("Source", "Source")])
register_view("System.Management.Automation.AliasInfo", "table", [
    ("CommandType", "CommandType", 11), ("Name", lambda a: a.DisplayName if hasattr(a, "DisplayName")
                                         else to_str(getattr(a, "Name", ""))), ])


def _matches(patterns: Optional[List[str]], name: str) -> bool:
    if not patterns:
        return True
    return any(wildcard_regex(p).match(name) for p in patterns)


def _all_aliases(runspace: Any) -> Dict[str, str]:
    aliases = {k: v for k, v in DEFAULT_ALIASES.items()}
    scope = runspace.global_scope
    if scope.aliases:
        aliases.update(scope.aliases)
    return aliases


def _functions(scope: Any) -> Dict[str, Any]:
    found: Dict[str, Any] = {}
    while scope is not None:
        for name, info in (scope.functions or {}).items():
            found.setdefault(name, info)
        scope = scope.parent
    return found


@register
class GetCommand(Cmdlet):
    name = "Get-Command"
    synopsis = "Lists the commands pshell can run: cmdlets, functions, aliases and programs on PATH."
    params = (
        Param("Name", "string[]", position=0),
        Param("CommandType", "string[]", aliases=("Type",)),
        Param("Noun", "string[]"),
        Param("Verb", "string[]"),
        Param("All", "switch"),
        Param("ListImported", "switch"),
        Param("TotalCount", "int"),
        Param("Syntax", "switch"),
    )

    def end(self) -> Iterator[Any]:
        found = self._commands()
        if self.TotalCount is not None:
            found = found[:self.TotalCount]
        if self.Name and not found and not any(any(c in n for c in "*?[") for n in self.Name):
            for name in self.Name:
                self.write_error(f"The term '{name}' is not recognized as a name of a cmdlet, function, "
                                 f"script file, or executable program.\nCheck the spelling of the name, "
                                 f"or if a path was included, verify that the path is correct and try "
                                 f"again.", "CommandNotFoundException", "ObjectNotFound", name)
            return
        for info in found:
            if self.Syntax:
                yield _syntax(info)
            else:
                yield info

    def _commands(self) -> List[CommandInfo]:
        kinds = {k.lower() for k in (self.CommandType or ["alias", "function", "cmdlet",
                                                          "application", "filter"])}
        if "all" in kinds:
            kinds = {"alias", "function", "cmdlet", "application", "filter"}
        result: List[CommandInfo] = []
        names = self.Name
        wildcard = not names or any(any(c in n for c in "*?[") for n in names)
        if "alias" in kinds and not self.Verb and not self.Noun:
            for alias, target in sorted(_all_aliases(self.runspace).items()):
                if _matches(names, alias):
                    result.append(CommandInfo("Alias", alias, target, "", AliasInfo(alias, target)))
        if kinds & {"function", "filter"}:
            for _, info in sorted(_functions(self.ctx.frame.scope).items()):
                if _matches(names, info.name):
                    result.append(CommandInfo(info.CommandType, info.name, info.block.text, "", info))
        if "cmdlet" in kinds:
            for cls in sorted(all_cmdlets().values(), key=lambda c: c.name):
                verb, _, noun = cls.name.partition("-")
                if not _matches(names, cls.name):
                    continue
                if self.Verb and not _matches(self.Verb, verb):
                    continue
                if self.Noun and not _matches(self.Noun, noun):
                    continue
                result.append(CommandInfo("Cmdlet", cls.name, cls.synopsis, "pshell", cls))
        if "application" in kinds and names and not self.Verb and not self.Noun:
            result.extend(self._applications(names, wildcard))
        return result

    def _applications(self, names: List[str], wildcard: bool) -> List[CommandInfo]:
        from pshell.engine.native import find_executable
        found: List[CommandInfo] = []
        if not wildcard:
            for name in names:
                path = find_executable(name, self.runspace.location, self.runspace.environ)
                if path:
                    found.append(CommandInfo("Application", os.path.basename(path), path, path))
            return found
        seen = set()
        for directory in self.runspace.environ.get("PATH", "").split(os.pathsep):
            try:
                entries = sorted(os.listdir(directory or "."))
            except OSError:
                continue
            for entry in entries:
                path = os.path.join(directory, entry)
                if entry in seen or not _matches(names, entry):
                    continue
                if os.path.isfile(path) and os.access(path, os.X_OK):
                    seen.add(entry)
                    found.append(CommandInfo("Application", entry, path, path))
        return found


def _syntax(info: CommandInfo) -> str:
    params = getattr(info.target, "params", None)
    if not params:
        return info.Name
    parts = [info.Name]
    for p in params:
        label = p.type if isinstance(p.type, str) else "object"
        text = f"-{p.name}" if p.type == "switch" else f"-{p.name} <{label}>"
        if p.position is not None and p.type != "switch":
            text = f"[-{p.name}] <{label}>"
        parts.append(text if p.mandatory is True else f"[{text}]")
    return " ".join(parts)


@register
class GetAlias(Cmdlet):
    name = "Get-Alias"
    synopsis = "Lists aliases, or the aliases of a command (-Definition)."
    params = (
        Param("Name", "string[]", position=0),
        Param("Definition", "string[]"),
        Param("Exclude", "string[]"),
    )

    def end(self) -> Iterator[Any]:
        aliases = _all_aliases(self.runspace)
        any_found = False
        for alias, target in sorted(aliases.items()):
            if not _matches(self.Name, alias):
                continue
            if self.Definition and not _matches(self.Definition, target):
                continue
            if self.Exclude and _matches(self.Exclude, alias):
                continue
            any_found = True
            yield AliasInfo(alias_name(self.runspace, alias), target)
        if self.Name and not any_found:
            for name in self.Name:
                if not any(c in name for c in "*?["):
                    self.write_error(f"Cannot find alias because alias '{name}' does not exist.",
                                     "ItemNotFoundException", "ObjectNotFound", name)


class _AliasSetter(Cmdlet):
    params = (
        Param("Name", "string", position=0, mandatory=True),
        Param("Value", "string", position=1, mandatory=True),
        Param("Scope", "string"),
        Param("Force", "switch"),
        Param("PassThru", "switch"),
        Param("Description", "string"),
        Param("Option", "string"),
    ) + SHOULD_PROCESS_PARAMS
    refuse_existing = False

    def end(self) -> Iterator[Any]:
        scope = self.ctx.frame.scope if (self.Scope or "").lower() in ("local", "0") else \
            self.runspace.global_scope
        if (self.Scope or "").lower() == "script":
            scope = self.ctx.frame.script_scope
        if scope.aliases is None:
            scope.aliases = {}
        key = self.Name.lower()
        if self.refuse_existing and not self.Force and (key in scope.aliases or key in DEFAULT_ALIASES):
            raise self.terminate(f"The alias is not allowed, because an alias with the name "
                                 f"'{self.Name}' already exists.", "AliasAlreadyExists",
                                 "ResourceExists", self.Name)
        action = "New alias" if self.refuse_existing else "Set alias"
        if not self.should_process(f"Name: {self.Name} Value: {self.Value}", action):
            return
        scope.aliases[key] = self.Value
        remember_alias_name(self.runspace, self.Name)
        if self.PassThru:
            yield AliasInfo(self.Name, self.Value)


@register
class SetAlias(_AliasSetter):
    name = "Set-Alias"
    synopsis = "Creates or changes an alias."


@register
class NewAlias(_AliasSetter):
    name = "New-Alias"
    synopsis = "Creates an alias; refuses one that exists unless -Force."
    refuse_existing = True
