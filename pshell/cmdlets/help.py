"""Get-Help: help topics (``pshell/help/about_*.txt``, our own words) and help for commands built
from their declared parameters."""

from __future__ import annotations

import os

from pshell.cmdlets._script_help import help_of_function, help_of_script, matches_filter
from pshell.engine.aliases import DEFAULT_ALIASES
from pshell.engine.cmdlet import Cmdlet, Param, all_cmdlets, register
from pshell.engine.format import register_view
from pshell.engine.wildcards import wildcard_regex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Tuple

__all__ = ["HelpInfo", "topic_names", "read_topic"]

HELP_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "help")

GENERAL = """\
TOPIC
    pshell help

SHORT DESCRIPTION
    How to find your way around pshell.

LONG DESCRIPTION
    Get-Help <command>         help for a command, e.g. Get-Help Start-Job
    Get-Help <command> -Full   every parameter, with its type, position and pipeline input
    Get-Help about_<topic>     a topic: about_Jobs, about_Remote_Jobs, about_PSSessions
    Get-Help *job*             every command and topic whose name matches
    Get-Command                every command; Get-Command -Noun Job, Get-Command *-PSSession
    Get-Member                 the properties and methods of what a command outputs

    Tab completes command names, parameters, variables, paths and ssh host names.
"""


class HelpInfo:
    ps_type_names = ("pshell.HelpInfo",)
    ps_properties = ("Name", "Category", "Synopsis")

    def __init__(self, name: str, category: str, synopsis: str, text: str) -> None:
        self.Name = name
        self.Category = category
        self.Synopsis = synopsis
        self.text = text

    def ToString(self) -> str:
        return self.text


register_view("pshell.HelpInfo", "table", [("Name", "Name", 30), ("Category", "Category", 10),
                                           ("Synopsis", "Synopsis")])


def topic_names() -> List[str]:
    try:
        return sorted(name[:-4] for name in os.listdir(HELP_DIR) if name.endswith(".txt"))
    except OSError:
        return []


def read_topic(name: str) -> Optional[str]:
    for topic in topic_names():
        if topic.lower() == name.lower():
            with open(os.path.join(HELP_DIR, topic + ".txt"), encoding="utf-8") as handle:
                return handle.read()
    return None


def _wrap(text: str) -> List[str]:
    import textwrap
    return textwrap.wrap(text, 92, initial_indent="    ", subsequent_indent="    ")


def _topic_synopsis(text: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "SHORT DESCRIPTION" and i + 1 < len(lines):
            return lines[i + 1].strip()
    return ""


class CommandEntry:
    """The description and examples of one cmdlet, from ``pshell/help/commands_*.txt``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.description: List[str] = []
        self.examples: List[Tuple[List[str], List[str]]] = []    # (code lines, remark lines)


_ENTRIES: Dict[str, CommandEntry] = {}


def command_entries() -> Dict[str, CommandEntry]:
    """Lower-cased cmdlet name -> its entry, read once from the help directory."""
    if not _ENTRIES:
        for name in sorted(os.listdir(HELP_DIR)):
            if name.startswith("commands_") and name.endswith(".txt"):
                with open(os.path.join(HELP_DIR, name), encoding="utf-8") as handle:
                    _parse_entries(handle.read(), _ENTRIES)
    return _ENTRIES


def _parse_entries(text: str, into: Dict[str, CommandEntry]) -> None:
    entry: Optional[CommandEntry] = None
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("@ "):
            entry = CommandEntry(line[2:].strip())
            into[entry.name.lower()] = entry
        elif entry is None:
            continue
        elif line.startswith(">> ") and entry.examples:
            entry.examples[-1][0].append(line[3:])
        elif line.startswith("> "):
            entry.examples.append(([line[2:]], []))
        elif entry.examples:
            if line.strip():
                entry.examples[-1][1].append(line.strip())
        elif line.strip():
            entry.description.append(line.strip())


def _examples_lines(entry: Optional[CommandEntry]) -> List[str]:
    if entry is None or not entry.examples:
        return []
    out = ["", "EXAMPLES"]
    for number, (code, remarks) in enumerate(entry.examples, 1):
        out.append(f"    ----- Example {number} -----")
        out += [f"    PS> {line}" for line in code]
        if remarks:
            out.append("")
            out += [f"    {line}" for line in remarks]
        out.append("")
    return out[:-1]


def _type_label(param: Param) -> str:
    if callable(param.type):
        return getattr(param.type, "type_label", "Object")
    return {"string": "String", "string[]": "String[]", "int": "Int32", "int[]": "Int32[]",
            "long": "Int64", "double": "Double", "bool": "Boolean", "scriptblock": "ScriptBlock",
            "hashtable": "Hashtable", "datetime": "DateTime", "object": "Object",
            "object[]": "Object[]", "psobject": "PSObject", "timespan": "TimeSpan"}.get(
        param.type, param.type)


def _syntax_lines(name: str, params: Any) -> List[str]:
    sets: List[str] = []
    for p in params:
        for s in p.sets:
            if s not in sets:
                sets.append(s)
    if not sets:
        sets = ["__AllParameterSets"]
    lines = []
    for set_name in sets:
        parts = [name]
        members = [p for p in params if p.in_set(set_name)]
        members.sort(key=lambda p: (p.position is None, p.position or 0))
        for p in members:
            if p.type == "switch":
                text = f"-{p.name}"
            else:
                label = f"<{_type_label(p)}>"
                text = f"[-{p.name}] {label}" if p.position is not None else f"-{p.name} {label}"
            mandatory = p.mandatory is True or (isinstance(p.mandatory, tuple) and set_name in p.mandatory)
            parts.append(text if mandatory else f"[{text}]")
        parts.append("[<CommonParameters>]")
        lines.append("    " + " ".join(parts))
    return lines


def command_help(cls: Any, full: bool, detailed: bool = False, examples_only: bool = False) -> str:
    """The help of a cmdlet: the default view (synopsis, syntax, description, examples), only the
    examples, or with its parameters (-Detailed, and -Full with their details)."""
    entry = command_entries().get(cls.name.lower())
    out = ["NAME", f"    {cls.name}", "", "SYNOPSIS", f"    {cls.synopsis or '(no synopsis)'}"]
    if examples_only:
        return "\n".join(out + _examples_lines(entry)) + "\n"
    out += ["", "SYNTAX"]
    out += _syntax_lines(cls.name, cls.params)
    if entry is not None and entry.description:
        out += ["", "DESCRIPTION"] + _wrap(" ".join(entry.description))
    aliases = sorted(a for a, target in DEFAULT_ALIASES.items() if target.lower() == cls.name.lower())
    if aliases:
        out += ["", "ALIASES", "    " + ", ".join(aliases)]
    if detailed and not full and cls.params:
        out += ["", "PARAMETERS"]
        for p in cls.params:
            out.append(f"    -{p.name} <{_type_label(p)}>")
            if p.help:
                out.append(f"        {p.help}")
    if full and cls.params:
        out += ["", "PARAMETERS"]
        for p in cls.params:
            out.append(f"    -{p.name} <{_type_label(p)}>")
            if p.help:
                out.append(f"        {p.help}")
            out.append(f"        Required?                    {p.mandatory is True or bool(p.mandatory)}")
            out.append(f"        Position?                    "
                       f"{p.position if p.position is not None else 'named'}")
            pipe = []
            if p.pipeline:
                pipe.append("ByValue")
            if p.by_property:
                pipe.append("ByPropertyName")
            out.append(f"        Accept pipeline input?       "
                       f"{'True (' + ', '.join(pipe) + ')' if pipe else 'False'}")
            if p.aliases:
                out.append(f"        Aliases                      {', '.join(p.aliases)}")
            if p.validate_set:
                out.append(f"        Accepted values              {', '.join(p.validate_set)}")
            out.append("")
    out += _examples_lines(entry)
    topics = [t for t in topic_names() if cls.name.split("-")[-1].lower() in t.lower()]
    if topics:
        out += ["", "RELATED", "    " + ", ".join(topics)]
    return "\n".join(out) + "\n"


@register
class GetHelp(Cmdlet):
    name = "Get-Help"
    synopsis = "Shows help for a command or a help topic (about_...)."
    params = (
        Param("Name", "string", position=0),
        Param("Full", "switch"),
        Param("Detailed", "switch"),
        Param("Examples", "switch"),
        Param("Parameter", "string"),
        Param("Category", "string[]"),
        Param("Online", "switch"),
        Param("Component", "string[]"),
        Param("Role", "string[]"),
        Param("Functionality", "string[]"),
    )

    def end(self) -> Iterator[Any]:
        if not self.Name:
            yield GENERAL
            return
        name = self.Name
        topic = read_topic(name)
        if topic is not None:
            yield topic
            return
        cls = self._command(name)
        if cls is not None and not any(c in name for c in "*?["):
            if self.Parameter:
                yield from self._parameter_help(cls)
                return
            yield command_help(cls, bool(self.Full), bool(self.Detailed), bool(self.Examples))
            return
        function = self.ctx.frame.scope.find_function(name.lower())
        if function is not None:
            yield from self._script_help(name, *help_of_function(function, self._culture()))
            return
        script = self._script_file(name)
        if script is not None:
            yield from self._script_help(name, *help_of_script(*script))
            return
        matches = self._search(name)
        if not matches:
            raise self.terminate(f"Get-Help could not find {name} in a help file in this session. "
                                 f"Try Get-Help *{name.strip('*')}* or Get-Command {name}.",
                                 "HelpNotFound", "ResourceUnavailable", name)
        if len(matches) == 1:
            yield matches[0].text
            return
        yield from matches

    def _command(self, name: str) -> Any:
        target = DEFAULT_ALIASES.get(name.lower(), name)
        return all_cmdlets().get(target.lower())

    def _parameter_help(self, cls: Any) -> Iterator[str]:
        wanted = wildcard_regex(self.Parameter)
        found = False
        for p in cls.params:
            if wanted.match(p.name):
                found = True
                yield (f"-{p.name} <{_type_label(p)}>\n    {p.help}\n"
                       f"    Required?  {p.mandatory is True}\n"
                       f"    Position?  {p.position if p.position is not None else 'named'}\n")
        if not found:
            raise self.terminate(f"No parameter matches criteria {self.Parameter}.",
                                 "NoParmsFound", "InvalidArgument", self.Parameter)

    def _script_help(self, name: str, found: Any, comment: Any) -> Iterator[Any]:
        """A function's or script's help object, forwarded where its help says so, filtered by
        -Component/-Role/-Functionality."""
        if comment is not None and comment.forward_name and comment.forward_name.lower() != name.lower():
            cls = self._command(comment.forward_name)
            if cls is not None:
                yield HelpInfo(cls.name, "Cmdlet", cls.synopsis, command_help(cls, bool(self.Full)))
                return
            target = self.ctx.frame.scope.find_function(comment.forward_name.lower())
            if target is not None:
                found, comment = help_of_function(target, self._culture())
        for field in ("Component", "Role", "Functionality"):
            wanted = getattr(self, field)
            if wanted and not matches_filter(comment, field.lower(), list(wanted)):
                self.write_error(f"Get-Help could not find {name} in a help file in this session "
                                 f"with {field} {', '.join(wanted)}.", "HelpNotFound",
                                 "ResourceUnavailable", name)
                return
        yield found

    def _culture(self) -> str:
        from pshell.engine.hostinfo import culture_of
        return culture_of(self.runspace.environ).Name or "en-US"

    def _script_file(self, name: str) -> Optional[Tuple[str, str]]:
        """(path, text) when ``name`` is a script file (*.ps1)."""
        if not name.lower().endswith(".ps1"):
            return None
        path = self.resolve_path(name)
        try:
            with open(path, encoding="utf-8-sig") as handle:
                return path, handle.read()
        except (OSError, UnicodeDecodeError):
            return None

    def _search(self, pattern: str) -> List[HelpInfo]:
        if not any(c in pattern for c in "*?["):
            pattern = f"*{pattern}*"
        regex = wildcard_regex(pattern)
        found = []
        for cls in sorted(all_cmdlets().values(), key=lambda c: c.name):
            if regex.match(cls.name):
                found.append(HelpInfo(cls.name, "Cmdlet", cls.synopsis, command_help(cls, False)))
        for topic in topic_names():
            if regex.match(topic):
                text = read_topic(topic) or ""
                found.append(HelpInfo(topic, "HelpFile", _topic_synopsis(text), text))
        return found
