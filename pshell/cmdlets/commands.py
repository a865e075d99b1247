"""Get-Command (the alias cmdlets are in alias.py, the history cmdlets in history.py)."""

from __future__ import annotations

import os

from pshell.engine import alias_table
from pshell.engine.binder import not_empty
from pshell.engine.command_info import (edit_distance, is_abbreviation, module_of, parameter_sets,
                                        parameter_type, show_command_info, syntax_lines,
                                        type_text)
from pshell.engine.state_drives import AliasInfo
from pshell.engine.cmdlet import Cmdlet, Param, all_cmdlets, register
from pshell.engine.format import register_view
from pshell.engine.values import to_str
from pshell.engine.wildcards import has_wildcards, wildcard_regex

from pshell.engine.history import HistoryInfo, record_history

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Tuple

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
        self.dynamic_params: Tuple[Any, ...] = ()   # what Get-Command name args... added
        self.hidden_params: Any = ()                # provider parameters the path's provider lacks

    def _params(self) -> Tuple[Any, ...]:
        params = params_of(self.target) + tuple(self.dynamic_params)
        if self.hidden_params:
            params = tuple(p for p in params if p.name.lower() not in self.hidden_params)
        return params

    @property
    def Path(self) -> str:
        """Where a program or a script file is ('' for a cmdlet or a function)."""
        return self.Source if self.CommandType in ("Application", "ExternalScript") else ""

    @property
    def Parameters(self) -> Any:
        """Name -> ParameterMetadata (Name, Aliases, SwitchParameter), names case-insensitive."""
        from pshell.engine.values import Hashtable, PSObject
        table = Hashtable()
        for p in self._params():
            table[p.name] = PSObject.from_pairs(
                [("Name", p.name), ("Aliases", list(p.aliases)), ("SwitchParameter", p.type == "switch")],
                ["System.Management.Automation.ParameterMetadata"])
        return table

    @property
    def ScriptBlock(self) -> Any:
        """A function's or filter's script block (None for other commands)."""
        return getattr(self.target, "block", None)

    @property
    def ModuleName(self) -> str:
        return _module_name(self)

    @property
    def ParameterSets(self) -> List[Any]:
        """One object per parameter set: Name, IsDefault, Parameters (Name, ParameterType, IsMandatory,
        Position, Aliases) and the set's syntax line (its ToString)."""
        from pshell.engine.values import PSObject
        target = self.target
        default = getattr(target, "default_set", None)
        out = []
        dynamic = {p.name for p in self.dynamic_params}
        for set_name, members in parameter_sets(self._params(), default):
            items = [PSObject.from_pairs([
                ("Name", p.name), ("ParameterType", parameter_type(p.type)),
                ("IsMandatory", bool(p.mandatory_in(set_name))), ("IsDynamic", p.name in dynamic),
                ("Position", p.position if p.position is not None else -2147483648),
                ("ValueFromPipeline", bool(p.pipeline)),
                ("ValueFromPipelineByPropertyName", bool(p.by_property)),
                ("Aliases", list(p.aliases))], ["System.Management.Automation.CommandParameterInfo"])
                for p in members]
            out.append(PSObject.from_pairs([
                ("Name", set_name), ("IsDefault", set_name in (default, "__AllParameterSets")),
                ("Parameters", items)], ["System.Management.Automation.CommandParameterSetInfo"]))
        return out

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




def _functions(scope: Any) -> Dict[str, Any]:
    found: Dict[str, Any] = {}
    while scope is not None:
        for name, info in (scope.functions or {}).items():
            found.setdefault(name, info)
        scope = scope.parent
    return found


def params_of(target: Any) -> Tuple[Any, ...]:
    """A command's parameters: a cmdlet's ``params``, or those of a function's ``param()``."""
    if isinstance(target, type) and issubclass(target, Cmdlet):
        return tuple(target.params)
    block = getattr(target, "block", None)
    compiled = getattr(block, "compiled", None)
    if compiled is not None and compiled.params is not None:
        from pshell.engine.binder import script_params
        return script_params(compiled)
    return ()


_ALL_KINDS = {"alias", "function", "cmdlet", "application", "filter", "externalscript"}


@register
class GetCommand(Cmdlet):
    name = "Get-Command"
    synopsis = "Lists the commands pshell can run: cmdlets, functions, aliases and programs on PATH."
    params = (
        Param("Name", not_empty("string[]"), position=0, pipeline=True, by_property=True),
        Param("CommandType", "string[]", aliases=("Type",)),
        Param("Noun", "string[]"),
        Param("Verb", "string[]"),
        Param("Module", "string[]", aliases=("PSSnapin",)),
        Param("ExcludeModule", "string[]"),
        Param("ParameterName", "string[]"),
        Param("ParameterType", "string[]"),
        Param("All", "switch"),
        Param("ListImported", "switch"),
        Param("TotalCount", "int"),
        Param("Syntax", "switch"),
        Param("ShowCommandInfo", "switch"),
        Param("UseFuzzyMatch", "switch"),
        Param("FuzzyMinimumDistance", "int", default=5),
        Param("UseAbbreviationExpansion", "switch"),
        Param("ArgumentList", "object[]", aliases=("Args",), position=1, remaining=True),
    )
    takes_unknown_names = True      # Get-Command f -DynamicName x: the command line of f

    def begin(self) -> None:
        self._seen: set = set()
        self._count = 0

    def process(self) -> Iterator[Any]:
        names = self.Name
        found = self._commands(names)
        if self.UseFuzzyMatch:
            found.sort(key=lambda c: (c.Score, c.Name.lower()))
        if names and not found and not self.UseAbbreviationExpansion and \
                not any(has_wildcards(n) for n in names):
            for name in names:
                self.write_error(f"The term '{name}' is not recognized as a name of a cmdlet, function, "
                                 f"script file, or executable program.\nCheck the spelling of the name, "
                                 f"or if a path was included, verify that the path is correct and try "
                                 f"again.", "CommandNotFoundException", "ObjectNotFound", name)
            return
        for info in found:
            key = (info.CommandType, info.Name.lower())
            if key in self._seen:
                continue
            if self.ArgumentList and not self._with_arguments(info):
                continue
            self._seen.add(key)
            if self.TotalCount is not None and self.TotalCount >= 0 and self._count >= self.TotalCount:
                return
            self._count += 1
            if self.Syntax:
                yield self._syntax(info)
            elif self.ShowCommandInfo:
                yield show_command_info(info.CommandType, info.Name, _module_name(info),
                                        params_of(info.target) if hasattr(info, "target") else (),
                                        getattr(getattr(info, "target", None), "default_set", None),
                                        to_str(getattr(info, "Definition", "")))
            else:
                yield info

    def _with_arguments(self, info: Any) -> bool:
        """``Get-Command name args...``: the parameters the command has for that command line
        (a function's dynamicparam block, a cmdlet's provider parameters).  False when a
        dynamicparam block failed (reported)."""
        from pshell.engine.errors import RuntimeException
        target = getattr(info, "target", None)
        args = _argument_tuples(self.ArgumentList)
        block = getattr(target, "block", None)
        if block is not None and block.compiled.dynamicparam is not None:
            from pshell.engine.dynparams import dynamic_params_for
            try:
                info.dynamic_params = dynamic_params_for(self.ctx.frame, block, args, None)
            except RuntimeException as exc:
                self.write_error(f"{exc.record.message}", "GetCommandMetadataError", "InvalidArgument",
                                 info.Name)
                return False
        provider_params = getattr(target, "provider_params", None)
        if provider_params is not None:
            provider, names = provider_params
            if _provider_of(self.ctx.frame.rs, _path_argument(args)) not in (None, provider):
                info.hidden_params = {n.lower() for n in names}
        return True

    def _syntax(self, info: Any) -> str:
        if isinstance(info, AliasInfo):
            target = self._commands([info.ResolvedCommandName], aliases=False)
            if not target:
                return f"{info.Name} (alias) -> {info.ResolvedCommandName}"
            lines = _syntax(target[0], info.Name)
            shown = target[0].Source if target[0].CommandType == "ExternalScript" else \
                info.ResolvedCommandName
            return f"{info.Name} (alias) -> {shown}\n\n{lines}"
        return _syntax(info)

    def _matcher(self, names: Optional[List[str]]) -> Any:
        if not names:
            return lambda name: 0
        if self.UseAbbreviationExpansion:
            return lambda name: 0 if any(not has_wildcards(n) and is_abbreviation(n, name)
                                         for n in names) else None
        if self.UseFuzzyMatch:
            limit = int(self.FuzzyMinimumDistance)

            def fuzzy(name: str) -> Optional[int]:
                best = min(edit_distance(n, name) for n in names)
                return best if best <= limit else None
            return fuzzy
        return lambda name: 0 if _matches(names, name) else None

    def _commands(self, names: Optional[List[str]], aliases: bool = True) -> List[Any]:
        kinds = {k.lower() for k in (self.CommandType or [])} or set(_ALL_KINDS)
        if "all" in kinds:
            kinds = set(_ALL_KINDS)
        match = self._matcher(names)
        result: List[Any] = []

        def add(info: Any, score: Any) -> None:
            if self.UseFuzzyMatch:
                info.Score = score
            result.append(info)

        by_parameter = bool(self.ParameterName or self.ParameterType)
        modules = self.Module or None
        if aliases and "alias" in kinds and not self.Verb and not self.Noun and not by_parameter \
                and not modules:
            table = alias_table.visible(self.ctx.frame)
            for key in sorted(table):
                alias = alias_table.info_for(self.ctx.frame, key, table[key][0])
                score = match(alias.Name)
                if score is not None:
                    add(alias, score)
        if kinds & {"function", "filter"}:
            for _, fn in sorted(_functions(self.ctx.frame.scope).items()):
                score = match(fn.name)
                if score is None or not self._verb_noun(fn.name):
                    continue
                info = CommandInfo(fn.CommandType, fn.name, fn.block.text, "", fn)
                if self._wanted(info):
                    add(info, score)
        if "cmdlet" in kinds:
            for cls in sorted(all_cmdlets().values(), key=lambda c: c.name):
                score = match(cls.name)
                if score is None or not self._verb_noun(cls.name):
                    continue
                info = CommandInfo("Cmdlet", cls.name, "\n".join(syntax_lines(cls.name, cls.params,
                                                                              cls.default_set)),
                                   "pshell", cls)
                if self._wanted(info):
                    add(info, score)
        if "application" in kinds and names and not self.Verb and not self.Noun and not by_parameter \
                and not modules and not self.UseAbbreviationExpansion:
            for info in self._applications(names, any(has_wildcards(n) for n in names) or
                                           bool(self.UseFuzzyMatch)):
                score = match(info.Name) if self.UseFuzzyMatch else 0
                if score is not None:
                    add(info, score)
        return result

    def _verb_noun(self, name: str) -> bool:
        verb, _, noun = name.partition("-")
        if self.Verb and not _matches(self.Verb, verb):
            return False
        return not (self.Noun and not _matches(self.Noun, noun))

    def _wanted(self, info: "CommandInfo") -> bool:
        module = _module_name(info)
        if self.Module and not _matches(self.Module, module) and not _matches(self.Module, info.Source):
            return False
        if self.ExcludeModule and (_matches(self.ExcludeModule, module) or
                                   _matches(self.ExcludeModule, info.Source)):
            return False
        if self.ParameterName or self.ParameterType:
            params = params_of(info.target)
            if self.ParameterName and not any(_matches(self.ParameterName, n) for p in params
                                              for n in (p.name,) + tuple(p.aliases)):
                return False
            if self.ParameterType and not any(_matches(self.ParameterType, t) for p in params
                                              for t in _type_names(p.type)):
                return False
        return True

    def _applications(self, names: List[str], wildcard: bool) -> List[CommandInfo]:
        from pshell.engine.native import find_executable
        found: List[CommandInfo] = []
        directories = self.runspace.environ.get("PATH", "").split(os.pathsep)
        if not wildcard:
            for name in names:
                script = self._script(name, directories)
                if script is not None:
                    found.append(script)
                    continue
                path = find_executable(name, self.runspace.location, self.runspace.environ)
                if path:
                    found.append(CommandInfo("Application", os.path.basename(path), path, path))
            return found
        seen = set()
        patterns = list(names)
        given = set()
        for name in names:          # .\tool* and sub/dir/tool?: a wildcard in a directory given
            head, tail = os.path.split(name.replace("\\", "/"))
            if head and has_wildcards(tail):
                given.add(self.resolve_path(head))
                directories.insert(0, self.resolve_path(head))
                patterns.append(tail)
        for directory in directories:
            base = self.resolve_path(directory) if directory else self.runspace.location
            try:
                entries = sorted(os.listdir(base))
            except OSError:
                continue
            for entry in entries:
                path = os.path.join(base, entry)
                if entry in seen or not (self.UseFuzzyMatch or _matches(patterns, entry) or
                                         entry in patterns):
                    continue
                if os.path.isfile(path) and (os.access(path, os.X_OK) or base in given):
                    seen.add(entry)
                    found.append(CommandInfo("Application", entry, path, path))
        return found

    def _script(self, name: str, directories: List[str]) -> Optional["CommandInfo"]:
        """A .ps1 file: by its path, or found in a PATH directory (a relative one taken from the
        current location)."""
        if not name.lower().endswith(".ps1"):
            return None
        candidates = [self.resolve_path(name)] if ("/" in name or "\\" in name) else \
            [os.path.join(self.resolve_path(d) if d else self.runspace.location, name)
             for d in directories]
        for path in candidates:
            if os.path.isfile(path):
                return CommandInfo("ExternalScript", os.path.basename(path), path, path)
        return None


def _argument_tuples(values: List[Any]) -> List[Tuple[Any, ...]]:
    """Get-Command's -ArgumentList as a command line: '-Name' is a parameter name."""
    from pshell.engine.rt import NOARG
    out: List[Tuple[Any, ...]] = []
    for value in values:
        if isinstance(value, str) and len(value) > 1 and value.startswith("-"):
            out.append(("p", value[1:].rstrip(":"), NOARG, -1))
        else:
            out.append(("a", value, False, -1))
    return out


def _path_argument(args: List[Tuple[Any, ...]]) -> Optional[str]:
    """The -Path/-LiteralPath (or first positional) value of a command line, if any."""
    for i, (kind, value, _, _) in enumerate(args):
        if kind == "p" and value.lower() in ("path", "literalpath", "pspath", "lp", "p") \
                and i + 1 < len(args) and args[i + 1][0] == "a":
            return to_str(args[i + 1][1])
    positional = [value for kind, value, _, _ in args if kind == "a"]
    return to_str(positional[0]) if positional else None


def _provider_of(rs: Any, path: Optional[str]) -> Optional[str]:
    """The provider name a path belongs to (a drive-qualified path's drive; else FileSystem)."""
    if path is None:
        return None
    from pshell.engine.drives import find_drive
    name, colon, _ = path.partition(":")
    if colon and name and "/" not in name:
        drive = find_drive(rs, name)
        if drive is not None:
            return to_str(getattr(drive.Provider, "Name", drive.Provider))
    return "FileSystem"


def _type_names(ptype: Any) -> List[str]:
    text = type_text(ptype)
    names = [text, text.rstrip("[]")]
    return names + [f"System.{n}" for n in names]


def _module_name(info: Any) -> str:
    target = getattr(info, "target", None)
    if isinstance(target, type) and issubclass(target, Cmdlet):
        return module_of(target.name)
    module = getattr(target, "module", None)
    return to_str(getattr(module, "Name", "")) if module is not None else ""


def _syntax(info: Any, shown_as: str = "") -> str:
    target = getattr(info, "target", None)
    if info.CommandType == "Application":
        return info.Definition
    params = params_of(target)
    name = shown_as or info.Name
    if not params and not isinstance(target, type):
        return f"{name} [<CommonParameters>]" if target is not None else name
    lines = syntax_lines(name, params, getattr(target, "default_set", None))
    return "\n".join(lines) + "\n"
