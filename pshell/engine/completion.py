"""Tab completion, computed where the runspace is (a remote frame completes on the remote computer).

``complete(runspace, text, cursor)`` looks at the statement being typed up to the cursor and offers:

- command names in command position (cmdlets, functions, aliases, executables on PATH);
- the parameters of the command being typed (``-Na`` -> ``-Name``), its common parameters too;
- values for a parameter with a fixed set (``-ErrorAction S`` -> ``SilentlyContinue``, ``Stop``);
- variables (``$Err`` -> ``$Error``, ``$env:PA`` -> ``$env:PATH``);
- host names from ``~/.ssh/config`` for ``-ComputerName``/``-HostName`` and the first argument of
  ``Enter-PSSession``/``New-PSSession``;
- file system paths relative to the runspace's location, quoted when they need it.

Splitting the input into words is deliberately shallow (quotes, escapes, statement separators):
completion must work on text that does not parse yet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

__all__ = ["Completion", "complete", "split_words", "Word", "ssh_config_hosts"]


@dataclass(frozen=True)
class Completion:
    """One candidate: ``text`` replaces ``source[start:cursor]``; ``display`` is what a menu shows;
    ``kind`` is one of 'command', 'parameter', 'value', 'variable', 'path', 'directory', 'host'."""

    text: str
    start: int
    display: str = ""
    kind: str = ""

    def as_dict(self) -> Dict[str, Any]:
        """A plain form for the remoting wire."""
        return {"text": self.text, "start": self.start, "display": self.display or self.text,
                "kind": self.kind}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Completion":
        return cls(str(data.get("text", "")), int(data.get("start", 0)),
                   str(data.get("display", "")), str(data.get("kind", "")))


@dataclass
class Word:
    """A word of the statement being typed: its unquoted value, where it starts in the source,
    and the quote character it was opened with ('' when bare)."""

    value: str
    start: int
    quote: str = ""
    closed: bool = True


# Characters that end a statement segment: what follows is in command position again.
_SEGMENT_BREAKS = "|;{}()\n"
_WORD_BREAKS = " \t\r,"
_ASSIGNMENT_WORDS = ("=", "+=", "-=", "*=", "/=", "%=")
_NEEDS_QUOTES = set(" \t'\"`$&(){};,|@#<>")

_ACTION_PREFERENCES = ("Continue", "Ignore", "Inquire", "SilentlyContinue", "Stop", "Suspend")
_HOST_PARAMETERS = ("computername", "hostname", "cn")
_HOST_COMMANDS = ("enter-pssession", "new-pssession", "etsn", "nsn")


def split_words(text: str) -> Tuple[List[Word], bool]:
    """The words of the last statement segment of ``text`` (everything before the cursor).

    Returns ``(words, in_comment)``.  When ``text`` ends in whitespace the last word is an empty
    word at the end, so the caller always completes ``words[-1]``.
    """
    words: List[Word] = []
    i, n = 0, len(text)
    current: Optional[Word] = None
    while i < n:
        ch = text[i]
        if current is None:
            if ch in _WORD_BREAKS:
                i += 1
                continue
            if ch in _SEGMENT_BREAKS or (ch == "&" and text.startswith("&&", i)):
                words = []
                i += 2 if text.startswith("&&", i) else 1
                continue
            if ch == "#":
                newline = text.find("\n", i)
                if newline < 0:
                    return words, True
                i = newline
                continue
            if ch == "<" and text.startswith("<#", i):
                close = text.find("#>", i + 2)
                if close < 0:
                    return words, True
                i = close + 2
                continue
            current = Word("", i)
        if ch in "'\"" and not current.quote and (current.value == "" and i == current.start):
            current.quote = ch
            current.closed = False
            i += 1
            continue
        if current.quote and not current.closed:
            if ch == current.quote:
                if text.startswith(ch * 2, i):       # '' or "" inside quotes is a literal quote
                    current.value += ch
                    i += 2
                    continue
                current.closed = True
                i += 1
                continue
            if ch == "`" and current.quote == '"' and i + 1 < n:
                current.value += text[i + 1]
                i += 2
                continue
            current.value += ch
            i += 1
            continue
        if ch == "`" and i + 1 < n:
            if text[i + 1] == "\n":                  # line continuation
                if current.value or current.quote:
                    words.append(current)
                current = None
                i += 2
                continue
            current.value += text[i + 1]
            i += 2
            continue
        if ch in _WORD_BREAKS:
            words.append(current)
            current = None
            i += 1
            continue
        if ch in _SEGMENT_BREAKS:                    # `$(`, `@(`, `foo;` and `a|` included
            words, current = [], None
            i += 1
            continue
        current.value += ch
        i += 1
    if current is None:
        current = Word("", n)
    words.append(current)
    # `$x = Get-Ch`: what follows an assignment is in command position.
    for index in range(len(words) - 2, -1, -1):
        if words[index].value in _ASSIGNMENT_WORDS and not words[index].quote:
            words = words[index + 1:]
            break
    return words, False


def complete(runspace: Any, text: str, cursor: Optional[int] = None) -> List[Completion]:
    """The completions for ``text`` with the cursor at ``cursor`` (default: the end)."""
    if cursor is None or cursor > len(text):
        cursor = len(text)
    try:
        from pshell.engine.completion_args import expression_members
        members = expression_members(runspace, text[:cursor])
        if members is not None:
            start, names = members
            return [Completion(n, start, n, "member") for n in names]
        words, in_comment = split_words(text[:cursor])
    except Exception:   # completion must never break the prompt
        return []
    if in_comment or not words:
        return []
    context = _Context(runspace, text[:cursor], words, cursor)
    try:
        return context.complete()
    except Exception:
        return []


class _Context:
    """What completing one word needs: the runspace, the words before it, the word itself."""

    def __init__(self, runspace: Any, text: str, words: List[Word], cursor: int) -> None:
        self.runspace = runspace
        self.text = text
        self.words = words
        self.word = words[-1]
        self.cursor = cursor

    # ---- dispatch ------------------------------------------------------------------------
    def complete(self) -> List[Completion]:
        word = self.word
        value = word.value
        if not word.quote and value.startswith("$"):
            if "." in value:
                return self.members(value)
            return self.variables(value[1:], "$")
        if not word.quote and value.startswith("[") and "]" not in value:
            return self.types(value[1:])
        if not word.quote and value.startswith("@") and len(self.words) > 1:
            return self.variables(value[1:], "@")
        if len(self.words) == 1 or self._after_call_operator():
            if word.quote or value.startswith((".", "/", "~")):
                return self.paths(executables_only=True)
            return self.commands(value)
        if not word.quote and value.startswith("-") and not _is_number(value):
            found = self.parameters(value[1:])
            if found or len(value) > 1:
                return found
        values = self.parameter_values()
        if values is not None:
            return values
        return self.paths()

    def _after_call_operator(self) -> bool:
        return len(self.words) == 2 and self.words[0].value in ("&", ".") and not self.words[0].quote

    @property
    def command_name(self) -> str:
        first = 1 if self.words[0].value in ("&", ".") and not self.words[0].quote else 0
        return self.words[first].value if first < len(self.words) else ""

    # ---- commands -------------------------------------------------------------------------
    def commands(self, prefix: str) -> List[Completion]:
        match = _matcher(prefix)
        start = self.word.start
        seen: Dict[str, None] = {}
        found: List[Completion] = []
        for name, kind in _shell_commands(self.runspace):
            if match(name) and name.lower() not in seen:
                seen[name.lower()] = None
                found.append(Completion(name, start, name, kind))
        found.sort(key=lambda c: c.text.lower())
        natives = sorted(n for n in _path_executables(_environ(self.runspace).get("PATH", ""))
                         if match(n) and n.lower() not in seen)
        found.extend(Completion(n, start, n, "command") for n in natives)
        return found

    # ---- parameters -----------------------------------------------------------------------
    def parameters(self, prefix: str) -> List[Completion]:
        names = _parameter_names(self.runspace, self.command_name)
        lowered = prefix.lower()
        used = {w.value[1:].lower() for w in self.words[1:-1] if w.value.startswith("-")}
        found = []
        for name in names:
            if name.lower().startswith(lowered) and (name.lower() not in used or name.lower() == lowered):
                found.append(Completion("-" + name, self.word.start, "-" + name, "parameter"))
        return found

    def parameter_values(self) -> Optional[List[Completion]]:
        """Values for the parameter just before the word (or before a list of values ending in a
        comma: ``-ComputerName a,b,<Tab>``), or for a positional argument whose values are known
        (``completion_args.py``); None when the word is not such a value."""
        previous = self._previous_parameter_word()
        command = _resolve_alias(self.runspace, self.command_name).lower()
        param_name = ""
        if previous is not None and previous.value.startswith("-") and not previous.quote:
            param_name = previous.value[1:].rstrip(":")
            if _is_switch(self.runspace, self.command_name, param_name):
                param_name = ""
        if param_name:
            full = _full_parameter(self.runspace, self.command_name, param_name)
            if full is not None:
                name, choices = full
                if name.lower() in _HOST_PARAMETERS:
                    return self.hosts()
                if choices:
                    return self._choices(choices)
                return self._argument_values(command, name, -1)
            if param_name.lower() in _HOST_PARAMETERS:
                return self.hosts()
            return None
        first_of_list = len(self.words) - 1
        while first_of_list > 1 and self.text[:self.words[first_of_list].start].rstrip().endswith(","):
            first_of_list -= 1
        positional = [w for w in self.words[1:first_of_list] if not w.value.startswith("-")]
        if command in _HOST_COMMANDS or self.command_name.lower() in _HOST_COMMANDS:
            if not positional and not any(w.value.startswith("-") for w in self.words[1:-1]):
                return self.hosts()
        from pshell.engine.completion_args import ssh_program
        if ssh_program(self.command_name) and not self.word.value.startswith("-"):
            return self.hosts(allow_user=True)
        return self._argument_values(command, "", len(positional))

    def _previous_parameter_word(self) -> Optional[Word]:
        index = len(self.words) - 2
        while index >= 1 and self.text[:self.words[index + 1].start].rstrip().endswith(","):
            index -= 1
        return self.words[index] if index >= 0 and len(self.words) >= 2 else None

    def _argument_values(self, command: str, param: str, positional: int) -> Optional[List[Completion]]:
        from pshell.engine.completion_args import argument_values, upstream_text
        values = argument_values(self.runspace, command, param, positional, self.word.value,
                                 upstream_text(self.text[:self.word.start]))
        if values is None:
            return None
        lowered = self.word.value.lower()
        return [Completion(_quote_if_needed(text), self.word.start, display, "value")
                for text, display in values if text.lower().startswith(lowered)]

    def _choices(self, choices: Sequence[str]) -> List[Completion]:
        lowered = self.word.value.lower()
        return [Completion(_quote_if_needed(c), self.word.start, c, "value")
                for c in choices if c.lower().startswith(lowered)]

    def hosts(self, allow_user: bool = False) -> List[Completion]:
        """Host names from ~/.ssh/config; after ``user@`` when ``allow_user`` (ssh's argument)."""
        user, at, typed = self.word.value.rpartition("@") if allow_user else ("", "", self.word.value)
        lowered = typed.lower()
        return [Completion(user + at + h, self.word.start, h, "host")
                for h in ssh_config_hosts() if h.lower().startswith(lowered)]

    # ---- variables ------------------------------------------------------------------------
    def variables(self, prefix: str, sigil: str) -> List[Completion]:
        start = self.word.start
        scope = ""
        if ":" in prefix:
            scope, _, prefix = prefix.partition(":")
            if scope.lower() == "env":
                return [Completion(f"{sigil}{scope}:{n}", start, n, "variable")
                        for n in sorted(dict(_environ(self.runspace)), key=str.lower)
                        if n.lower().startswith(prefix.lower())]
            scope += ":"
        lowered = prefix.lower()
        names = sorted(set(_variable_names(self.runspace)), key=str.lower)
        return [Completion(f"{sigil}{scope}{n}", start, sigil + n, "variable")
                for n in names if n.lower().startswith(lowered)]

    # ---- types ----------------------------------------------------------------------------
    def types(self, prefix: str) -> List[Completion]:
        lowered = prefix.lower()
        return [Completion("[" + name, self.word.start, name, "type")
                for name in _TYPE_NAMES if name.lower().startswith(lowered)]

    # ---- members ------------------------------------------------------------------------
    def members(self, typed: str) -> List[Completion]:
        """``$var.Prop.Pa`` -> the properties of the variable's value (looked up, never run)."""
        import re
        match = re.match(r"^\$([\w:]+)((?:\.\w+)*)\.(\w*)$", typed)
        if match is None:
            return []
        name, path, prefix = match.group(1), match.group(2), match.group(3)
        value = _variable_value(self.runspace, name)
        from pshell.engine.values import NO_PROPERTY, get_property
        for member in path.split(".")[1:]:
            value = get_property(value, member, None)
            if value is None or value is NO_PROPERTY:
                return []
        head = typed[: len(typed) - len(prefix)]
        lowered = prefix.lower()
        return [Completion(head + m, self.word.start, m, "member")
                for m in _member_names(value) if m.lower().startswith(lowered)]

    # ---- paths ----------------------------------------------------------------------------
    def paths(self, executables_only: bool = False) -> List[Completion]:
        word = self.word
        typed = word.value
        head, _, tail = typed.rpartition("/")
        if "/" in typed:
            head += "/"
        directory = _expand(self.runspace, head) if head else _location(self.runspace)
        try:
            entries = sorted(os.listdir(directory or "/"))
        except OSError:
            return []
        chosen = [e for e in entries if e.startswith(tail)]
        if not chosen:
            chosen = [e for e in entries if e.lower().startswith(tail.lower())]
        if not tail.startswith("."):
            chosen = [e for e in chosen if not e.startswith(".")]
        found = []
        for entry in chosen:
            full = os.path.join(directory, entry)
            is_dir = os.path.isdir(full)
            if executables_only and not is_dir and not os.access(full, os.X_OK) \
                    and not entry.lower().endswith(".ps1"):
                continue
            inserted = head + entry + ("/" if is_dir else "")
            found.append(Completion(_quote_path(inserted, word.quote), word.start,
                                    entry + ("/" if is_dir else ""),
                                    "directory" if is_dir else "path"))
        return found


# ------------------------------------------------------------------------------- helpers

def _matcher(prefix: str) -> Any:
    """Case-insensitive prefix match; wildcards (``Get-*Item``) match as patterns."""
    lowered = prefix.lower()
    if any(c in prefix for c in "*?["):
        import fnmatch
        pattern = lowered if lowered.endswith("*") else lowered + "*"
        return lambda name: fnmatch.fnmatchcase(name.lower(), pattern)
    return lambda name: name.lower().startswith(lowered)


def _is_number(value: str) -> bool:
    return len(value) > 1 and (value[1].isdigit() or value[1] == ".")


def _quote_if_needed(text: str) -> str:
    if text and not any(c in _NEEDS_QUOTES for c in text):
        return text
    return "'" + text.replace("'", "''") + "'"


def _quote_path(text: str, quote: str) -> str:
    if quote == '"':
        return '"' + text.replace("`", "``").replace('"', '`"').replace("$", "`$") + '"'
    if quote == "'" or any(c in _NEEDS_QUOTES for c in text):
        return "'" + text.replace("'", "''") + "'"
    return text


def _location(runspace: Any) -> str:
    location = getattr(runspace, "location", None)
    return location if isinstance(location, str) and location else os.getcwd()


def _expand(runspace: Any, path: str) -> str:
    resolve = getattr(runspace, "resolve_path", None)
    if resolve is not None:
        try:
            resolved = resolve(path)
            if path.endswith("/") and not resolved.endswith("/"):
                resolved += "/"
            return str(resolved)
        except Exception:
            pass
    return os.path.join(_location(runspace), os.path.expanduser(path))


_PATH_CACHE: Dict[str, Tuple[Tuple[float, ...], List[str]]] = {}


def _environ(runspace: Any) -> Mapping[str, str]:
    """The environment of the runspace being completed in (the process's for one without)."""
    environ = getattr(runspace, "environ", None)
    return environ if isinstance(environ, dict) else os.environ


def _path_executables(path: str) -> List[str]:
    """Executable names on the folders of ``path`` (a PATH value), cached until the value or a
    folder of it changes."""
    dirs = [d for d in path.split(os.pathsep) if d]
    stamps = []
    for d in dirs:
        try:
            stamps.append(os.stat(d).st_mtime)
        except OSError:
            stamps.append(0.0)
    cached = _PATH_CACHE.get(path)
    if cached is not None and cached[0] == tuple(stamps):
        return cached[1]
    names: Dict[str, None] = {}
    for d in dirs:
        try:
            with os.scandir(d) as entries:
                for entry in entries:
                    try:
                        if entry.is_file() and os.access(entry.path, os.X_OK):
                            names[entry.name] = None
                    except OSError:
                        continue
        except OSError:
            continue
    result = list(names)
    _PATH_CACHE.clear()
    _PATH_CACHE[path] = (tuple(stamps), result)
    return result


def _items(table: Any) -> Iterable[Tuple[str, Any]]:
    if table is None:
        return ()
    if isinstance(table, dict):
        return list(table.items())
    items = getattr(table, "items", None)
    if callable(items):
        return list(items())
    return ()


def _table(runspace: Any, *names: str) -> Any:
    for name in names:
        value = getattr(runspace, name, None)
        if callable(value) and not isinstance(value, dict):
            try:
                value = value()
            except TypeError:
                continue
        if value is not None:
            return value
    return None


def _scopes(runspace: Any) -> Iterable[Any]:
    """The scope chain from the runspace's innermost scope outwards (at a prompt: global)."""
    scope = getattr(runspace, "current_scope", None) or getattr(runspace, "global_scope", None)
    depth = 0
    while scope is not None and depth < 256:
        yield scope
        scope = getattr(scope, "parent", None)
        depth += 1


def _merged(runspace: Any, attribute: str) -> Dict[str, Any]:
    """Name (lower-cased) -> entry from a table on the runspace and on each scope, inner first."""
    merged: Dict[str, Any] = {}
    tables = [_table(runspace, attribute)] + [getattr(s, attribute, None) for s in _scopes(runspace)]
    for table in tables:
        for key, value in _items(table):
            merged.setdefault(str(key).lower(), value)
    return merged


def _functions(runspace: Any) -> Dict[str, Any]:
    return _merged(runspace, "functions")


def _aliases(runspace: Any) -> Dict[str, Any]:
    """User aliases (scopes) over the built-in ones."""
    merged = _merged(runspace, "aliases")
    for key, value in _items(_builtin_aliases()):
        merged.setdefault(str(key).lower(), value)
    return merged


def _builtin_aliases() -> Any:
    try:
        from pshell.engine.aliases import DEFAULT_ALIASES
    except ImportError:
        return None
    return DEFAULT_ALIASES


def _shell_commands(runspace: Any) -> Iterable[Tuple[str, str]]:
    """(name, kind) for cmdlets, functions and aliases known to the runspace."""
    from pshell.engine.cmdlet import all_cmdlets
    for cls in all_cmdlets().values():
        yield cls.name, "command"
    for name, value in _functions(runspace).items():
        yield _display_name(name, value), "command"
    for name in _aliases(runspace):
        yield name, "command"


def _display_name(key: str, value: Any) -> str:
    """Tables fold keys to lower case; the object often remembers how it was written."""
    for attr in ("name", "Name"):
        name = getattr(value, attr, None)
        if isinstance(name, str) and name.lower() == str(key).lower():
            return name
    return str(key)


def _resolve_alias(runspace: Any, name: str) -> str:
    aliases = _aliases(runspace)
    for _ in range(8):
        target = aliases.get(name.lower())
        if not isinstance(target, str):
            target = getattr(target, "definition", None) or getattr(target, "Definition", None)
        if not isinstance(target, str) or target.lower() == name.lower():
            break
        name = target
    return name


def _function(runspace: Any, name: str) -> Any:
    return _functions(runspace).get(name.lower())


#: (name, aliases, is_switch, choices) of a parameter, as completion needs it
_ParamSpec = Tuple[str, Tuple[str, ...], bool, Any]


def _command_params(runspace: Any, name: str) -> List[_ParamSpec]:
    """(name, aliases, is_switch, validate_set) for each parameter of a command; [] if unknown."""
    if not name:
        return []
    resolved = _resolve_alias(runspace, name)
    function = _function(runspace, resolved)
    if function is not None:
        return _function_params(function)
    from pshell.engine.cmdlet import lookup_cmdlet
    cls = lookup_cmdlet(resolved)
    if cls is None:
        return []
    return _with_common([(p.name, tuple(p.aliases), p.is_switch,
                          p.validate_set or getattr(p.type, "choices", None)) for p in cls.params])


def _with_common(result: List[_ParamSpec]) -> List[_ParamSpec]:
    """``result`` and the common parameters it does not declare itself (-Verbose, -ErrorAction...;
    the *Action ones complete to the preference names)."""
    from pshell.engine.cmdlet import COMMON_PARAMETERS
    taken = {r[0].lower() for r in result}
    for p in COMMON_PARAMETERS:
        if p.name.lower() not in taken:
            choices = _ACTION_PREFERENCES if p.name.endswith("Action") else None
            result.append((p.name, tuple(p.aliases), p.is_switch, choices))
    return result


def _function_params(function: Any) -> List[_ParamSpec]:
    """Parameters from a function's ``param()`` block (the AST contract of ``lang/ast.py``)."""
    block = getattr(function, "block", None) or getattr(function, "script_block", None) or function
    ast = getattr(block, "ast", block)
    param_block = getattr(ast, "param_block", None)
    result: List[_ParamSpec] = []
    advanced = False
    for parameter in getattr(param_block, "parameters", None) or ():
        name = getattr(parameter, "name", "")
        if not isinstance(name, str) or not name:
            continue
        is_switch = str(getattr(parameter, "type_name", "") or "").lower() in (
            "switch", "system.management.automation.switchparameter")
        aliases: List[str] = []
        choices = None
        for attribute in getattr(parameter, "attributes", ()) or ():
            kind = str(getattr(attribute, "name", "")).lower()
            values = [c for v in getattr(attribute, "positional", ()) or () for c in _constants(v)]
            if kind == "parameter":
                advanced = True
            elif kind == "alias":
                aliases.extend(v for v in values if v)
            elif kind == "validateset":
                choices = tuple(v for v in values if v)
        result.append((name, tuple(aliases), is_switch, choices))
    for attribute in getattr(param_block, "attributes", ()) or ():
        if str(getattr(attribute, "name", "")).lower() == "cmdletbinding":
            advanced = True
    return _with_common(result) if advanced else result


def _constants(node: Any) -> List[str]:
    """The constant texts of an attribute argument (``'a'`` or ``'a', 'b'``)."""
    elements = getattr(node, "elements", None)
    if elements is not None:
        return [c for element in elements for c in _constants(element)]
    value = getattr(node, "value", None)
    return [str(value)] if isinstance(value, (str, int, float)) and str(value) else []


def _parameter_names(runspace: Any, command: str) -> List[str]:
    return [p[0] for p in _command_params(runspace, command)]


def _full_parameter(runspace: Any, command: str, typed: str) -> Optional[Tuple[str, Any]]:
    """The parameter ``-typed`` binds to (exact name, alias, or unique prefix) and its choices."""
    lowered = typed.lower()
    params = _command_params(runspace, command)
    for name, aliases, _switch, choices in params:
        if name.lower() == lowered or lowered in (a.lower() for a in aliases):
            return name, choices
    matches = [p for p in params if p[0].lower().startswith(lowered)]
    if len(matches) == 1:
        return matches[0][0], matches[0][3]
    return None


def _is_switch(runspace: Any, command: str, typed: str) -> bool:
    lowered = typed.lower()
    params = _command_params(runspace, command)
    exact = [p for p in params if p[0].lower() == lowered or lowered in (a.lower() for a in p[1])]
    matches = exact or [p for p in params if p[0].lower().startswith(lowered)]
    return len(matches) == 1 and matches[0][2]


_AUTOMATIC_VARIABLES = ("true", "false", "null", "_", "PSItem", "args", "input", "Error",
                        "LASTEXITCODE", "PWD", "HOME", "PID", "ErrorActionPreference",
                        "PSVersionTable", "Matches", "PSScriptRoot", "MyInvocation", "Host",
                        "WarningPreference", "VerbosePreference", "DebugPreference",
                        "InformationPreference", "ProgressPreference")


def _variable_names(runspace: Any) -> List[str]:
    """Every variable visible from the runspace's current scope, and the automatic ones, once
    each (the automatic spelling wins: tables fold names to lower case)."""
    names: Dict[str, str] = {n.lower(): n for n in _AUTOMATIC_VARIABLES}
    lister = getattr(runspace, "variable_names", None)
    found: List[str] = []
    if callable(lister):
        try:
            found = [str(n) for n in lister()]
        except Exception:
            found = []
    for scope in _scopes(runspace):
        table = getattr(scope, "vars", None)
        if table is None:
            table = getattr(scope, "variables", None)
        found.extend(_display_name(k, v) for k, v in _items(table))
    for name in found:
        names.setdefault(name.lower(), name)
    return list(names.values())


#: type accelerators and the attributes of param blocks, as PowerShell spells them
_TYPE_NAMES = ("Alias", "array", "bool", "byte", "char", "CmdletBinding", "datetime", "double",
               "Environment", "guid", "hashtable", "int", "long", "Math", "object", "ordered",
               "Parameter", "pscredential", "pscustomobject", "psobject", "regex", "scriptblock",
               "securestring", "string", "switch", "timespan", "ValidateNotNullOrEmpty",
               "ValidateRange", "ValidateSet", "version", "void")

_STRING_MEMBERS = ("Length", "Contains(", "EndsWith(", "IndexOf(", "Replace(", "Split(",
                   "StartsWith(", "Substring(", "ToLower(", "ToString(", "ToUpper(", "Trim(")
_LIST_MEMBERS = ("Count", "Length")
_DICT_MEMBERS = ("Add(", "ContainsKey(", "Count", "Keys", "Remove(", "Values")


def _variable_value(runspace: Any, name: str) -> Any:
    scope, _, bare = name.rpartition(":")
    if scope.lower() == "env":
        return _environ(runspace).get(bare)
    getter = getattr(runspace, "get_variable", None)
    if getter is None:
        return None
    try:
        return getter(bare)
    except Exception:
        return None


def _member_names(value: Any) -> List[str]:
    """Property names first (as formatting shows them), then the everyday methods."""
    from pshell.engine.values import properties_of
    if value is None:
        return []
    if isinstance(value, str):
        return list(_STRING_MEMBERS)
    if isinstance(value, dict):
        keys = [str(k) for k in value.keys() if isinstance(k, str)]
        return keys + [m for m in _DICT_MEMBERS if m not in keys]
    if isinstance(value, (list, tuple)):
        first = [m for m in _member_names(value[0]) if not m.endswith("(")] if value else []
        return list(_LIST_MEMBERS) + [m for m in first if m not in _LIST_MEMBERS]
    try:
        return list(dict.fromkeys(str(p) for p in properties_of(value)))
    except Exception:
        return []


# ------------------------------------------------------------------------------- ssh config

def ssh_config_hosts(path: Optional[str] = None) -> List[str]:
    """Concrete host names from ``Host`` lines of ``~/.ssh/config`` (and the files it
    ``Include``s), without wildcard patterns or negations, in file order."""
    path = path or os.path.join(os.path.expanduser("~"), ".ssh", "config")
    hosts: Dict[str, None] = {}
    _read_ssh_config(path, hosts, depth=0)
    return list(hosts)


def _read_ssh_config(path: str, hosts: Dict[str, None], depth: int) -> None:
    if depth > 4:
        return
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return
    for line in lines:
        parts = line.strip().replace("=", " ", 1).split()
        if len(parts) < 2:
            continue
        keyword = parts[0].lower()
        if keyword == "host":
            for name in parts[1:]:
                name = name.strip('"')
                if name and not any(c in name for c in "*?!"):
                    hosts[name] = None
        elif keyword == "include":
            _include(parts[1:], hosts, depth)


def _include(patterns: List[str], hosts: Dict[str, None], depth: int) -> None:
    import glob
    base = os.path.join(os.path.expanduser("~"), ".ssh")
    for pattern in patterns:
        pattern = os.path.expanduser(pattern.strip('"'))
        if not os.path.isabs(pattern):
            pattern = os.path.join(base, pattern)
        for found in sorted(glob.glob(pattern)):
            _read_ssh_config(found, hosts, depth + 1)
