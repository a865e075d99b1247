"""What Get-Command says about a command beyond its name: the syntax lines of its parameter sets,
how near a name is to another (-UseFuzzyMatch), whether a name is an abbreviation of another
(-UseAbbreviationExpansion: ``i-psdf`` for Import-PowerShellDataFile), the PowerShell module a
built-in cmdlet belongs to, and the plain object -ShowCommandInfo gives.

A command's parameters are ``cmdlet.Param`` objects (a cmdlet's ``params``, or what the binder
makes of a script's ``param()`` block); a parameter without ``sets`` belongs to every set."""

from __future__ import annotations

import re

from pshell.engine.values import PSObject

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional, Sequence, Tuple

__all__ = ["parameter_sets", "syntax_lines", "edit_distance", "abbreviation_of", "module_of",
           "show_command_info", "type_text"]

ALL_SETS = "__AllParameterSets"


def parameter_sets(params: Sequence[Any], default_set: Optional[str] = None
                   ) -> List[Tuple[str, List[Any]]]:
    """(set name, its parameters in declared order) for each parameter set, the default set
    first."""
    names: List[str] = []
    for p in params:
        for s in p.sets or ():
            if s not in names:
                names.append(s)
    if default_set in names:
        names.remove(default_set)
        names.insert(0, default_set)   # type: ignore[arg-type]
    if not names:
        names = [ALL_SETS]
    return [(name, [p for p in params if not p.sets or name in p.sets]) for name in names]


def type_text(ptype: Any) -> str:
    """A parameter's type as a syntax line shows it: string[], int, switch, Object."""
    if isinstance(ptype, str):
        return ptype
    label = getattr(ptype, "type_label", "") or "Object"
    return label.rsplit(".", 1)[-1]


def parameter_type(ptype: Any) -> Any:
    """A parameter's type as a type object (``.ParameterType``): [string], [int[]], ..."""
    from pshell.engine.errors import RuntimeException
    from pshell.engine.values import PSTypeInfo
    label = ptype if isinstance(ptype, str) else (getattr(ptype, "type_label", "") or "Object")
    label = {"switch": "switch", "object": "System.Object"}.get(label, label)
    from pshell.engine.statics import type_info
    try:
        return type_info(label)
    except RuntimeException:
        return PSTypeInfo(label)


def _mandatory(p: Any, set_name: str) -> bool:
    return bool(p.mandatory_in(set_name)) if hasattr(p, "mandatory_in") else bool(p.mandatory)


def syntax_lines(name: str, params: Sequence[Any], default_set: Optional[str] = None,
                 common: bool = True) -> List[str]:
    """One line per parameter set: ``name [-Path] <string[]> [-Force] [<CommonParameters>]``.
    Positional parameters come first by position, the others as declared; an optional one is in
    brackets, as is the name of a positional one."""
    lines = []
    for set_name, members in parameter_sets(params, default_set):
        positional = sorted((p for p in members if p.position is not None and p.type != "switch"),
                            key=lambda p: p.position)
        named = [p for p in members if p not in positional]
        parts = [name]
        for p in positional + named:
            if p.type == "switch":
                text = f"-{p.name}"
            elif p in positional:
                text = f"[-{p.name}] <{type_text(p.type)}>"
            else:
                text = f"-{p.name} <{type_text(p.type)}>"
            parts.append(text if _mandatory(p, set_name) else f"[{text}]")
        if common:
            parts.append("[<CommonParameters>]")
        lines.append(" ".join(parts))
    return lines


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, letters compared without case."""
    a, b = a.lower(), b.lower()
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


_CAPITALS = re.compile(r"[A-Z]|-")


def abbreviation_of(name: str) -> str:
    """The capitals of a Verb-Noun name and its dash: Import-PowerShellDataFile -> I-PSDF."""
    return "".join(_CAPITALS.findall(name[:1].upper() + name[1:]))


def is_abbreviation(text: str, name: str) -> bool:
    return "-" in text and "-" in name and abbreviation_of(name).lower() == text.lower()


_MANAGEMENT_NOUNS = {"item", "childitem", "content", "location", "path", "process", "itemproperty",
                     "psdrive", "psprovider", "timezone", "eventlog", "winevent", "computer", "service"}
_CORE = {"get-command", "get-help", "get-history", "clear-history", "invoke-history", "foreach-object",
         "where-object", "out-default", "out-host", "out-null", "get-module", "import-module",
         "remove-module", "new-modulemanifest", "export-modulemember", "set-strictmode"}
_CORE_NOUNS = {"job", "pssession", "command", "pssessionoption"}
_SECURITY_NOUNS = {"securestring", "credential"}


def module_of(cmdlet_name: str) -> str:
    """The PowerShell module a built-in cmdlet of that name comes in."""
    lowered = cmdlet_name.lower()
    noun = lowered.partition("-")[2]
    if lowered in _CORE or noun in _CORE_NOUNS or lowered in ("start-threadjob",):
        return "Microsoft.PowerShell.Core"
    if "psreadline" in noun:
        return "PSReadLine"
    if noun in _SECURITY_NOUNS:
        return "Microsoft.PowerShell.Security"
    if noun in _MANAGEMENT_NOUNS or lowered == "convert-path":
        return "Microsoft.PowerShell.Management"
    return "Microsoft.PowerShell.Utility"


def show_command_info(kind: str, name: str, module: str, params: Sequence[Any],
                      default_set: Optional[str], definition: str) -> PSObject:
    """What ``Get-Command -ShowCommandInfo`` gives: a plain object with the command's name, module,
    kind, definition and parameter sets (each with its parameters' names, types, positions)."""
    sets = []
    for set_name, members in parameter_sets(params, default_set):
        items = []
        for p in members:
            items.append(PSObject.from_pairs([
                ("Name", p.name), ("IsMandatory", _mandatory(p, set_name)),
                ("ValueFromPipeline", bool(p.pipeline)),
                ("Position", p.position if p.position is not None else -2147483648),
                ("ParameterType", PSObject.from_pairs([("FullName", type_text(p.type))])),
                ("ValidParamSetValues", list(p.validate_set or ())),
                ("HasParameterSet", bool(p.sets))]))
        sets.append(PSObject.from_pairs([("Name", set_name),
                                         ("IsDefault", set_name in (default_set, ALL_SETS)),
                                         ("Parameters", items)]))
    module_obj = PSObject.from_pairs([("Name", module)])
    return PSObject.from_pairs([("Name", name), ("ModuleName", module), ("Module", module_obj),
                                ("CommandType", kind), ("Definition", definition),
                                ("ParameterSets", sets)])
