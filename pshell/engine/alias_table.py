"""The aliases of a session: which scope holds one, its options and description, what Get-Alias
shows of them, and the file Export-Alias writes and Import-Alias reads.

``scope.aliases`` maps a lower-case name to the command it stands for.  An alias made by
Set-Alias / New-Alias / Import-Alias is an ``AliasTarget``: that command's name (a ``str``, so the
command lookup in ``Scope.find_alias`` stays one dictionary read) which also carries the spelling
the alias was made with, its description and its options (None, ReadOnly, Constant, AllScope,
Private).  The built-in aliases (``aliases.DEFAULT_ALIASES``) belong to the global scope.

Where an alias is made: in the caller's scope unless ``-Scope`` says otherwise (Global, Script,
Local, Private or a number of levels up), as in PowerShell.
"""

from __future__ import annotations

import csv
import io

from pshell.engine.aliases import DEFAULT_ALIASES
from pshell.engine.state_drives import AliasInfo, StateError, alias_name, parse_options
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Tuple

__all__ = ["AliasTarget", "scope_named", "visible", "info_for", "set_alias", "export_text",
           "parse_alias_file", "AliasFileError"]

_UNAUTHORIZED = "System.Management.Automation.SessionStateUnauthorizedAccessException"


class AliasTarget(str):
    """The command an alias names, with the alias's own spelling, description and options."""

    name: str
    description: str
    options: str

    def __new__(cls, target: str, name: str = "", description: str = "",
                options: str = "None") -> "AliasTarget":
        self = super().__new__(cls, target)
        self.name = name
        self.description = description
        self.options = options
        return self


def _options_of(target: Any) -> str:
    return getattr(target, "options", "None") or "None"


def format_options(value: Any) -> str:
    """``-Option`` as pwsh shows ScopedItemOptions: 'None', 'ReadOnly', 'ReadOnly, AllScope'."""
    names = [n for n in parse_options(value) if n not in ("None", "Unspecified")]
    return ", ".join(names) if names else "None"


def scope_named(frame: Any, value: Any) -> Any:
    """The scope ``-Scope value`` names from ``frame`` (its own scope for None)."""
    if value is None:
        return frame.scope
    text = to_str(value).strip().lower()
    if text == "global":
        return frame.rs.global_scope
    if text == "script":
        return frame.script_scope
    if text in ("local", "private"):
        return frame.scope
    number: Optional[int] = None
    try:
        number = int(text)
    except ValueError:
        pass
    if number is None:
        raise StateError(f"The scope '{to_str(value)}' is not valid: use Global, Script, Local, "
                         f"Private or a number of scopes up.", "Argument", "InvalidArgument", value)
    if number < 0:
        raise _out_of_range(text, value)
    scope = frame.scope
    for _ in range(number):
        if scope.parent is None:
            raise _out_of_range(text, value)
        scope = scope.parent
    return scope


def _out_of_range(text: str, value: Any) -> StateError:
    return StateError(f"The scope number '{text}' exceeds the number of active scopes. (Parameter "
                      f"'scopeID')", "ArgumentOutOfRange", "InvalidArgument", value)


def visible(frame: Any, scope: Any = None) -> Dict[str, Tuple[str, Any]]:
    """lower-case name -> (target, holding scope; None for a built-in alias): the aliases seen from
    ``frame`` (nearest scope first), or with ``scope`` those held by that one scope."""
    found: Dict[str, Tuple[str, Any]] = {}
    chain = [scope] if scope is not None else []
    current = frame.scope
    while scope is None and current is not None:
        chain.append(current)
        current = current.parent
    for held in chain:
        for key, target in (held.aliases or {}).items():
            if key not in found and target:
                found[key] = (target, held)
    if scope is None or scope is frame.rs.global_scope:
        for key, target in DEFAULT_ALIASES.items():
            found.setdefault(key, (target, None))
    return found


def resolve(frame: Any, target: str) -> str:
    """The command an alias ends at, following aliases of aliases (a loop stops where it closes)."""
    seen = set()
    table = visible(frame)
    while target.lower() in table and target.lower() not in seen:
        seen.add(target.lower())
        target = str(table[target.lower()][0])
    return target


def info_for(frame: Any, key: str, target: str) -> AliasInfo:
    name = getattr(target, "name", "") or alias_name(frame.rs, key)
    info = AliasInfo(name, str(target), _options_of(target), getattr(target, "description", ""))
    resolved = resolve(frame, str(target))
    if resolved != str(target):
        info.resolved = resolved
    return info


def set_alias(frame: Any, scope: Any, name: str, value: Any, description: Optional[str] = None,
              options: Any = None, force: bool = False, new: bool = False,
              searched: bool = False) -> AliasInfo:
    """Make or change the alias ``name`` in ``scope``.  ``new`` (New-Alias, Import-Alias) refuses
    one that exists unless ``force``: in ``scope`` alone, or anywhere in sight when ``searched``
    (no ``-Scope`` given).  A Constant alias is never changed; a ReadOnly one only with force."""
    key = name.lower()
    target = to_str(value).strip() if value is not None else ""
    if not key.strip():
        raise StateError("An alias needs a name.", "Argument", "InvalidArgument", name)
    held = (scope.aliases or {}).get(key)
    if held is None and scope is frame.rs.global_scope:
        held = DEFAULT_ALIASES.get(key)
    if held is not None and "Constant" in _options_of(held) or \
            held is not None and "ReadOnly" in _options_of(held) and not force:
        raise StateError(f"Alias {name} cannot be modified because it is read-only or constant.",
                         "AliasNotWritable", "WriteError", name)
    existing = held if not searched else visible(frame).get(key, (None, None))[0]
    if new and not force and existing is not None:
        raise StateError(f"The alias is not allowed, because an alias with the name '{name}' "
                         f"already exists.", "AliasAlreadyExists", "ResourceExists", name)
    entry = AliasTarget(target, name, description or "", format_options(options))
    if scope.aliases is None:
        scope.aliases = {}
    scope.aliases[key] = entry
    return info_for(frame, key, entry)


def unauthorized(error: StateError) -> str:
    """The .NET exception pwsh names for a state error (for ErrorRecord.exception_type)."""
    if error.error_id == "AliasNotWritable":
        return _UNAUTHORIZED
    if error.error_id in ("Argument",):
        return "System.Management.Automation.PSArgumentException"
    if error.error_id == "ArgumentOutOfRange":
        return "System.Management.Automation.PSArgumentOutOfRangeException"
    if error.error_id == "AliasAlreadyExists":
        return "System.Management.Automation.SessionStateException"
    return "System.Management.Automation.RuntimeException"


# --------------------------------------------------------------------------- the alias file

def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def export_text(aliases: Iterable[AliasInfo], as_script: bool, description: str, header: List[str]
                ) -> str:
    """The text of an alias file: '#' comment lines (``header``, then ``description``), then one
    CSV row "name","command","description","options" per alias, or with ``as_script`` one
    Set-Alias command per alias."""
    lines = [f"# {line}" for line in header]
    for line in (description or "").splitlines():
        lines.append(f"# {line}")
    if lines:
        lines.append("")
    for alias in aliases:
        fields = [alias.Name, alias.Definition, alias.Description or "", alias.Options or "None"]
        if as_script:
            lines.append(f'set-alias -Name:{_quoted(fields[0])} -Value:{_quoted(fields[1])} '
                         f'-Description:{_quoted(fields[2])} -Option:{_quoted(fields[3])}')
        else:
            lines.append(",".join(_quoted(f) for f in fields))
    return "\n".join(lines) + "\n"


class AliasFileError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def parse_alias_file(text: str, path: str) -> List[Tuple[str, str, str, str]]:
    """(name, command, description, options) for each row of an alias file; comment lines ('#')
    and blank lines are skipped.  A row without exactly four fields is an ``AliasFileError``."""
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            fields = next(csv.reader(io.StringIO(line), skipinitialspace=True))
        except (csv.Error, StopIteration):
            fields = []
        if len(fields) != 4:
            raise AliasFileError(f"Cannot read the alias file '{path}': line {number} has "
                                 f"{len(fields)} values where 4 are needed (name, command, "
                                 f"description, options).", number)
        if not fields[0].strip():
            raise AliasFileError(f"Cannot read the alias file '{path}': line {number} has no alias "
                                 f"name.", number)
        rows.append((fields[0], fields[1], fields[2], fields[3]))
    return rows
