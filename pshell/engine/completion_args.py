"""Completion of argument values and of members, beside ``completion.py`` (which splits the line
and completes names, parameters and paths).

- values that come from the session: job ids and names, PSSession names and ids, process names
  and ids, Get-Help topics (``about_<Tab>``), ssh hosts after ``ssh``/``scp``/``sftp``;
- property names for ``-Property`` of Sort-Object, Select-Object, ... from what the pipeline's
  input produces: the upstream is run only when it is a variable or a read-only Get- command of
  pshell's own (with ``Select-Object -First``: a recursive listing stops after a few items);
- members after ``.`` for an expression whose value can be had without side effects:
  a string literal, ``$x``, ``$x[0]``, ``$x.Prop``, ``(Get-Date)``, ``(Get-Item x)``.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = ["argument_values", "expression_members", "upstream_text", "property_names",
           "member_names_of"]

#: commands whose output may be computed to learn its properties: they only read
SAFE_PRODUCERS = frozenset(n.lower() for n in (
    "Get-ChildItem", "gci", "dir", "Get-Item", "gi", "Get-Process", "gps", "Get-Job", "gjb",
    "Get-PSSession", "gsn", "Get-Command", "gcm", "Get-Alias", "gal", "Get-Variable", "gv",
    "Get-History", "h", "ghy", "Get-Date", "Get-Location", "gl", "Get-Content", "gc", "Import-Csv",
    "ipcsv", "Get-Help", "Get-Member", "gm", "Get-PSReadLineOption", "Get-Random", "Get-Credential",
    "Resolve-Path", "rvpa", "Get-EventLog", "Get-WinEvent", "New-TimeSpan", "Get-PSReadLineKeyHandler",
))
_SAMPLE = 100           # objects read from the upstream to learn their properties

_PROPERTY_COMMANDS = ("sort-object", "sort", "select-object", "select", "group-object", "group",
                      "format-table", "ft", "format-list", "fl", "format-wide", "fw", "measure-object",
                      "measure", "where-object", "where", "?", "foreach-object", "%", "compare-object",
                      "export-csv", "convertto-csv", "convertto-json")
_JOB_COMMANDS = ("get-job", "receive-job", "stop-job", "remove-job", "wait-job", "gjb", "rcjb", "spjb",
                 "rjb", "wjb")
_SESSION_COMMANDS = ("get-pssession", "remove-pssession", "enter-pssession", "connect-pssession",
                     "disconnect-pssession", "receive-pssession", "gsn", "rsn", "etsn", "cnsn",
                     "dnsn", "rcsn")
_PROCESS_COMMANDS = ("get-process", "stop-process", "gps", "spps")
_HELP_COMMANDS = ("get-help", "help", "man")
_SSH_PROGRAMS = ("ssh", "scp", "sftp", "mosh", "ssh-copy-id", "rsync")

Value = Tuple[str, str]          # (text to insert, what the menu shows)


def argument_values(runspace: Any, command: str, param: str, positional: int, typed: str,
                    upstream: str) -> Optional[List[Value]]:
    """Values for ``-param`` of ``command`` (``param`` empty: the ``positional``-th bare
    argument); None when this module knows nothing about that argument."""
    command, param = command.lower(), param.lower()
    if param in ("property", "groupby") or (not param and positional == 0 and command in (
            "sort-object", "sort", "select-object", "select", "group-object", "group", "format-table",
            "ft", "format-list", "fl", "measure-object", "measure", "where-object", "where", "?")):
        if command in _PROPERTY_COMMANDS and upstream:
            return [(n, n) for n in property_names(runspace, upstream)]
        return None
    if param in ("expandproperty", "excludeproperty", "membername") or (
            not param and positional == 0 and command in ("foreach-object", "%")):
        return [(n, n) for n in property_names(runspace, upstream)] if upstream else None
    if command in _JOB_COMMANDS:
        return _jobs(runspace, param, positional)
    if command in _SESSION_COMMANDS and param in ("name", "id", "session") or (
            command in ("enter-pssession", "etsn") and param in ("name", "id")):
        return _sessions(runspace, param)
    if command in _PROCESS_COMMANDS:
        if param == "id" or (not param and command in ("stop-process", "spps") and positional == 0):
            return _processes("id")
        if param == "name" or (not param and positional == 0):
            return _processes("name")
        return None
    if command in _HELP_COMMANDS and (param == "name" or (not param and positional == 0)):
        return _help_names()
    return None


def ssh_program(command: str) -> bool:
    return os.path.basename(command).lower() in _SSH_PROGRAMS


# ----------------------------------------------------------------------------- session values

def _jobs(runspace: Any, param: str, positional: int) -> Optional[List[Value]]:
    try:
        jobs = list(runspace.jobs.jobs())
    except Exception:
        return []
    if param == "name":
        return [(str(j.Name), f"{j.Name} ({j.State})") for j in jobs]
    if param in ("id", "job") or (not param and positional == 0):
        return [(str(j.Id), f"{j.Id} {j.Name} ({j.State})") for j in jobs]
    if param == "state":
        return None
    return None


def _sessions(runspace: Any, param: str) -> List[Value]:
    try:
        from pshell.engine.streams import CollectingStreams
        sessions = runspace.invoke("Get-PSSession", streams=CollectingStreams())
    except Exception:
        return []
    if param == "id":
        return [(str(s.Id), f"{s.Id} {s.Name} ({s.ComputerName})") for s in sessions]
    return [(str(s.Name), f"{s.Name} ({s.ComputerName}, {s.State})") for s in sessions]


def _processes(what: str) -> List[Value]:
    found: Dict[str, str] = {}
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as handle:
                name = handle.read().strip()
        except OSError:
            continue
        if what == "id":
            found[pid] = f"{pid} {name}"
        else:
            found.setdefault(name, name)
    keys = sorted(found, key=int) if what == "id" else sorted(found, key=str.lower)
    return [(k, found[k]) for k in keys]


def _help_names() -> List[Value]:
    from pshell.cmdlets.help import topic_names
    from pshell.engine.cmdlet import all_cmdlets
    names = sorted(topic_names(), key=str.lower) + sorted(c.name for c in all_cmdlets().values())
    return [(n, n) for n in names]


# ----------------------------------------------------------------------------- properties

def upstream_text(text: str) -> str:
    """The pipeline to the left of the last top-level ``|`` in the statement being typed ('' when
    the command being typed is the first of its pipeline)."""
    depth, quote, start, last_pipe = 0, "", 0, -1
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "`" and quote == '"':
                i += 1
        elif ch in "'\"":
            quote = ch
        elif ch == "`":
            i += 1
        elif ch in "({[":
            depth += 1
            if ch == "{":
                start, last_pipe, depth = i + 1, -1, 0
        elif ch in ")}]":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in ";\n":
            start, last_pipe = i + 1, -1
        elif depth == 0 and ch == "|" and not text.startswith("||", i) and text[i - 1:i] != "|":
            last_pipe = i
        i += 1
    return text[start:last_pipe].strip() if last_pipe >= 0 else ""


def property_names(runspace: Any, upstream: str) -> List[str]:
    values = _sample(runspace, upstream)
    names: Dict[str, None] = {}
    for value in values:
        for name in member_names_of(value, methods=False):
            names.setdefault(name, None)
    return list(names)


def _sample(runspace: Any, expression: str) -> List[Any]:
    """The first few objects ``expression`` produces, when producing them has no side effects."""
    if not _is_safe(expression):
        return []
    from pshell.engine.streams import CollectingStreams
    try:
        return list(runspace.invoke(f"{expression} | Select-Object -First {_SAMPLE}",
                                    streams=CollectingStreams()))
    except BaseException:
        return []


_VARIABLE_PATH = re.compile(r"^\$[\w:?]+(?:\[[^\]()|;{}]*\]|\.\w+)*$")


def _is_safe(expression: str) -> bool:
    """A variable path (``$x``, ``$x[0].Name``), or a pipeline of read-only commands whose
    arguments contain no sub-expression or script block."""
    expression = expression.strip()
    if _VARIABLE_PATH.match(expression):
        return True
    if any(c in expression for c in "(){}$@;&>`") or "\n" in expression:
        return False
    for part in expression.split("|"):
        words = part.split()
        if not words or words[0].lower() not in SAFE_PRODUCERS | {"select-object", "select",
                                                                  "sort-object", "sort"}:
            return False
    return True


# ----------------------------------------------------------------------------- members

_DATE_MEMBERS = ("Date", "Day", "DayOfWeek", "DayOfYear", "Hour", "Kind", "Millisecond", "Minute",
                 "Month", "Second", "Ticks", "TimeOfDay", "Year", "AddDays(", "AddHours(",
                 "AddMinutes(", "AddMonths(", "AddSeconds(", "AddYears(", "ToLocalTime(", "ToString(",
                 "ToUniversalTime(")
_SPAN_MEMBERS = ("Days", "Hours", "Minutes", "Seconds", "Milliseconds", "Ticks", "TotalDays",
                 "TotalHours", "TotalMinutes", "TotalSeconds", "TotalMilliseconds")


def member_names_of(value: Any, methods: bool = True) -> List[str]:
    import datetime as _dt
    from pshell.engine.completion import _member_names
    if isinstance(value, _dt.datetime):
        names = list(_DATE_MEMBERS)
    elif isinstance(value, _dt.timedelta):
        names = list(_SPAN_MEMBERS)
    else:
        names = _member_names(value)
    return names if methods else [n for n in names if not n.endswith("(")]


_MEMBER_AT_END = re.compile(r"\.(\w*)$")


def expression_members(runspace: Any, text: str) -> Optional[Tuple[int, List[str]]]:
    """``(start, names)`` when ``text`` ends in ``<expression>.<prefix>`` for an expression
    other than a bare variable path (``completion.py`` does those): a quoted string, or a
    parenthesised safe pipeline; None otherwise."""
    match = _MEMBER_AT_END.search(text)
    if match is None:
        return None
    prefix, dot = match.group(1), match.start()
    before = text[:dot]
    value: Any = None
    if before.endswith(("'", '"')):
        opening = _string_start(before)
        if opening is None:
            return None
        value = ""
    elif before.endswith(")"):
        opening = _matching_paren(before)
        if opening is None:
            return None
        samples = _sample(runspace, before[opening + 1:-1])
        if not samples:
            return None
        value = samples[0]
    elif before.endswith("]"):
        head = re.search(r"\$[\w:?]+(?:\[[^\]()|;{}]*\]|\.\w+)*$", before)
        if head is None:
            return None
        samples = _sample(runspace, head.group(0))
        if not samples:
            return None
        value = samples[0]
    else:
        return None
    lowered = prefix.lower()
    return dot + 1, [n for n in member_names_of(value) if n.lower().startswith(lowered)]


def _string_start(text: str) -> Optional[int]:
    """Where the string literal that ``text`` ends with starts."""
    quote = text[-1]
    i = len(text) - 2
    while i >= 0:
        if text[i] == quote:
            if i > 0 and (text[i - 1] == quote or (quote == '"' and text[i - 1] == "`")):
                i -= 2
                continue
            return i
        i -= 1
    return None


def _matching_paren(text: str) -> Optional[int]:
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                return i
    return None


Completer = Callable[..., Any]
