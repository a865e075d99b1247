"""Get-Command, Get-Alias / Set-Alias / New-Alias, Get-History / Invoke-History / Clear-History."""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any, Dict, Iterator, List, Optional

from pshell.engine import alias_table
from pshell.engine.state_drives import AliasInfo
from pshell.engine.cmdlet import Cmdlet, Param, all_cmdlets, register
from pshell.engine.format import register_view
from pshell.engine.values import to_str
from pshell.engine.wildcards import wildcard_regex

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


class HistoryInfo:
    ps_type_names = ("Microsoft.PowerShell.Commands.HistoryInfo",)
    ps_properties = ("Id", "Duration", "CommandLine")

    def __init__(self, id_: int, line: str, status: str, start: _dt.datetime, end: _dt.datetime) -> None:
        self.Id = id_
        self.CommandLine = line
        self.ExecutionStatus = status
        self.StartExecutionTime = start
        self.EndExecutionTime = end

    @property
    def Duration(self) -> _dt.timedelta:
        return self.EndExecutionTime - self.StartExecutionTime

    def ToString(self) -> str:
        return self.CommandLine


def _duration(info: HistoryInfo) -> str:
    seconds = info.Duration.total_seconds()
    return f"{seconds:.3f}"


register_view("System.Management.Automation.CommandInfo", "table", [
    ("CommandType", "CommandType", 11), ("Name", "Name", 40), ("Version", "Version", 10),
    ("Source", "Source")])
register_view("System.Management.Automation.AliasInfo", "table", [
    ("CommandType", "CommandType", 11), ("Name", lambda a: a.DisplayName if hasattr(a, "DisplayName")
                                         else to_str(getattr(a, "Name", ""))), ])
register_view("Microsoft.PowerShell.Commands.HistoryInfo", "table", [
    ("Id", "Id", 4, "right"), ("Duration", _duration, 10, "right"), ("CommandLine", "CommandLine")])


def record_history(runspace: Any, line: str, ok: bool, start: _dt.datetime) -> None:
    """Called by the top level for each interactive command."""
    history = runspace.history
    next_id = history[-1].Id + 1 if history else 1
    history.append(HistoryInfo(next_id, line, "Completed" if ok else "Failed", start,
                               _dt.datetime.now()))
    limit = runspace.get_variable("MaximumHistoryCount", 4096)
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        limit = 4096
    if len(history) > limit:
        del history[:len(history) - limit]


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
            table = alias_table.visible(self.ctx.frame)
            for key in sorted(table):
                info = alias_table.info_for(self.ctx.frame, key, table[key][0])
                if _matches(names, info.Name):
                    result.append(info)
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
class GetHistory(Cmdlet):
    name = "Get-History"
    synopsis = "Lists the commands entered in this session."
    params = (
        Param("Id", "long[]", position=0),
        Param("Count", "int", position=1),
    )

    def end(self) -> Iterator[Any]:
        history = list(self.runspace.history)
        if self.Id:
            wanted = set(self.Id)
            found = [h for h in history if h.Id in wanted]
            for missing in wanted - {h.Id for h in found}:
                self.write_error(f"Cannot locate history for Id {missing}.", "GetHistoryNotFound",
                                 "ObjectNotFound", missing)
            yield from found
            return
        if self.Count is not None:
            history = history[-self.Count:] if self.Count > 0 else []
        yield from history


@register
class ClearHistory(Cmdlet):
    name = "Clear-History"
    synopsis = "Forgets the commands entered in this session."
    params = (Param("Id", "long[]", position=0), Param("Count", "int"))

    def end(self) -> None:
        history = self.runspace.history
        if self.Id:
            history[:] = [h for h in history if h.Id not in set(self.Id)]
        elif self.Count is not None:
            del history[-self.Count:]
        else:
            history.clear()


@register
class InvokeHistory(Cmdlet):
    name = "Invoke-History"
    synopsis = "Runs a command from the session history again (the last one by default)."
    params = (Param("Id", "string", position=0),)

    def end(self) -> Iterator[Any]:
        history = [h for h in self.runspace.history if h.CommandLine.split()[:1] and
                   h.CommandLine.split()[0].lower() not in ("r", "invoke-history", "ihy")]
        if not history:
            raise self.terminate("Cannot invoke history: the history is empty.", "InvokeHistoryEmpty",
                                 "ObjectNotFound")
        entry = history[-1]
        if self.Id is not None:
            text = to_str(self.Id)
            if text.isdigit():
                matches = [h for h in self.runspace.history if h.Id == int(text)]
            else:
                matches = [h for h in reversed(history) if h.CommandLine.lower().startswith(text.lower())]
            if not matches:
                raise self.terminate(f"Cannot locate history for '{text}'.", "InvokeHistoryNotFound",
                                     "ObjectNotFound", text)
            entry = matches[0]
        self.write_host(entry.CommandLine)
        yield from self.ctx.invoke_iter(self.runspace.compile(entry.CommandLine, "<history>"), (),
                                        new_scope=False)
