"""Get-EventLog and Get-WinEvent on Linux: the system journal, or classic syslog files.

Where the entries come from, for a log name:

- the systemd journal (``journalctl -o json``), when it has entries: ``system`` is the whole
  system journal, ``security`` the auth/authpriv facilities, ``application`` the user facility,
  ``pshell``/``Windows PowerShell`` entries tagged ``pshell``; any other name is a systemd unit,
  or failing that a syslog identifier;
- otherwise the files under ``$PSHELL_LOG_DIR`` (default ``/var/log``): ``system`` is
  ``syslog``/``messages``, ``security`` ``auth.log``/``secure``, and any name ``<name>.log`` or
  ``<name>``.  Classic (``Jan  5 10:23:45 host tag[pid]: text``) and ISO-8601 timestamped lines
  are understood; such files carry no severity, so the entry type is guessed from the words in
  the message (error/fail/fatal... Error; warn... Warning; else Information).

``PSHELL_JOURNALCTL`` names the journalctl program (empty: do not use the journal); tests use it,
and ``PSHELL_LOG_DIR``, to be deterministic.  Entries come newest first, as Get-EventLog does.
"""

from __future__ import annotations

import datetime as _dt
import os

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.values import Hashtable, to_str
from pshell.engine.wildcards import wildcard_match

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Generator, Iterator, List, Optional, Tuple

__all__ = ["EventLogEntry", "EventRecord", "read_log", "LogNotFound"]

ENTRY_TYPES = ("Error", "Warning", "Information", "FailureAudit", "SuccessAudit")
LEVEL_NAMES = {1: "Critical", 2: "Error", 3: "Warning", 4: "Information", 5: "Verbose"}
_FILES = {
    "system": ("syslog", "messages"),
    "security": ("auth.log", "secure"),
    "application": ("user.log", "application.log"),
    "pshell": ("pshell.log",),
    "windows powershell": ("pshell.log",),
}
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                       "sep", "oct", "nov", "dec"), 1)}


class LogNotFound(Exception):
    pass


class _Raw:
    """One entry, whatever its source."""

    __slots__ = ("index", "time", "priority", "source", "message", "host", "pid", "guessed")

    def __init__(self, index: int, time: Optional[_dt.datetime], priority: int, source: str,
                 message: str, host: str, pid: Optional[int], guessed: bool = False) -> None:
        self.index = index
        self.time = time
        self.priority = priority
        self.source = source
        self.message = message
        self.host = host
        self.pid = pid
        self.guessed = guessed


def entry_type_of(priority: int) -> str:
    if priority <= 3:
        return "Error"
    if priority == 4:
        return "Warning"
    return "Information"


def level_of(priority: int) -> int:
    if priority <= 2:
        return 1
    if priority == 3:
        return 2
    if priority == 4:
        return 3
    if priority <= 6:
        return 4
    return 5


class EventLogEntry:
    """``System.Diagnostics.EventLogEntry``: what Get-EventLog returns."""

    ps_type_names = ("System.Diagnostics.EventLogEntry", "System.ComponentModel.Component")
    ps_properties = ("Index", "EntryType", "InstanceId", "Message", "Source", "TimeGenerated",
                     "TimeWritten", "MachineName", "UserName", "EventID", "Category",
                     "CategoryNumber", "ReplacementStrings", "Data")

    def __init__(self, raw: _Raw, log: str) -> None:
        self.Index = raw.index
        self.EntryType = entry_type_of(raw.priority)
        self.InstanceId = 0
        self.EventID = 0
        self.Message = raw.message
        self.Source = raw.source
        self.TimeGenerated = raw.time
        self.TimeWritten = raw.time
        self.MachineName = raw.host
        self.UserName = None
        self.Category = "(0)"
        self.CategoryNumber = 0
        self.ReplacementStrings = [raw.message]
        self.Data: List[int] = []
        self.Log = log
        self.ProcessId = raw.pid
        self.Priority = raw.priority

    def ToString(self) -> str:
        return "System.Diagnostics.EventLogEntry"


class EventRecord:
    """``System.Diagnostics.Eventing.Reader.EventLogRecord``: what Get-WinEvent returns."""

    ps_type_names = ("System.Diagnostics.Eventing.Reader.EventLogRecord",
                     "System.Diagnostics.Eventing.Reader.EventRecord")
    ps_properties = ("Message", "Id", "Level", "LevelDisplayName", "ProviderName", "LogName",
                     "ProcessId", "MachineName", "RecordId", "TimeCreated")

    def __init__(self, raw: _Raw, log: str) -> None:
        self.Id = 0
        self.Level = level_of(raw.priority)
        self.LevelDisplayName = LEVEL_NAMES[self.Level]
        self.Message = raw.message
        self.ProviderName = raw.source
        self.LogName = log
        self.ProcessId = raw.pid
        self.MachineName = raw.host
        self.RecordId = raw.index
        self.TimeCreated = raw.time
        self.Priority = raw.priority

    def ToString(self) -> str:
        return "System.Diagnostics.Eventing.Reader.EventLogRecord"


# --------------------------------------------------------------------------- the journal

def _journalctl() -> Optional[str]:
    configured = os.environ.get("PSHELL_JOURNALCTL")
    if configured is not None:
        return configured or None
    if os.environ.get("PSHELL_LOG_DIR"):
        return None           # a log directory was chosen: the files are the source
    import shutil
    return shutil.which("journalctl")


def _journal_matches(name: str) -> List[List[str]]:
    """journalctl arguments selecting a log, tried in order until one has entries."""
    key = name.lower()
    if key == "system":
        return [[]]
    if key == "security":
        return [["SYSLOG_FACILITY=4", "+", "SYSLOG_FACILITY=10"]]
    if key == "application":
        return [["SYSLOG_FACILITY=1"]]
    if key in ("pshell", "windows powershell"):
        return [["SYSLOG_IDENTIFIER=pshell"]]
    return [["-u", name], ["-t", name]]


def _run_journal(program: str, args: List[str]) -> Generator[Dict[str, Any], None, None]:
    import json
    import subprocess
    try:
        proc = subprocess.Popen([program, "-o", "json", "--no-pager", "-q", "-r"] + args,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL)
    except OSError:
        return
    stdout = proc.stdout
    assert stdout is not None       # stdout=PIPE
    try:
        for line in stdout:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record
    finally:
        if proc.poll() is None:
            proc.kill()
        stdout.close()
        proc.wait()


def _field_text(value: Any) -> str:
    if isinstance(value, list):     # binary-safe fields come as byte arrays
        try:
            return bytes(v for v in value if isinstance(v, int)).decode("utf-8", "replace")
        except ValueError:
            return ""
    return "" if value is None else str(value)


def _from_journal(record: Dict[str, Any], counter: int) -> _Raw:
    stamp: Any = record.get("__REALTIME_TIMESTAMP")
    try:
        when: Optional[_dt.datetime] = _dt.datetime.fromtimestamp(int(stamp) / 1e6)
    except (TypeError, ValueError):
        when = None
    try:
        priority = int(record.get("PRIORITY", 6))
    except (TypeError, ValueError):
        priority = 6
    source = _field_text(record.get("SYSLOG_IDENTIFIER") or record.get("_COMM")
                         or record.get("_SYSTEMD_UNIT") or "")
    try:
        index = int(record.get("__SEQNUM", counter))
    except (TypeError, ValueError):
        index = counter
    raw_pid: Any = record.get("_PID") or record.get("SYSLOG_PID")
    try:
        pid: Optional[int] = int(raw_pid)
    except (TypeError, ValueError):
        pid = None
    return _Raw(index, when, priority, source, _field_text(record.get("MESSAGE")),
                _field_text(record.get("_HOSTNAME")), pid)


def _journal_entries(program: str, name: str, extra: List[str]) -> Optional[Iterator[_Raw]]:
    """An iterator of entries, or None when the journal has nothing for this log."""
    for args in _journal_matches(name):
        records = _run_journal(program, args + extra)
        first = next(records, None)
        if first is None:
            continue
        return _number(first, records)
    return None


def _number(first: Dict[str, Any], rest: Iterator[Dict[str, Any]]) -> Iterator[_Raw]:
    counter = 0
    yield _from_journal(first, counter)
    for record in rest:
        counter -= 1
        yield _from_journal(record, counter)


def journal_has_entries(program: str) -> bool:
    records = _run_journal(program, ["-n", "1"])
    try:
        return next(records, None) is not None
    finally:
        records.close()


# --------------------------------------------------------------------------- syslog files

def log_dir() -> str:
    return os.environ.get("PSHELL_LOG_DIR") or "/var/log"


def log_files(name: str) -> List[str]:
    """Candidate files for a log name, in order of preference."""
    folder = log_dir()
    names = list(_FILES.get(name.lower(), ()))
    names += [f"{name}.log", name]
    if name.lower() != name:
        names += [f"{name.lower()}.log", name.lower()]
    out = []
    for candidate in names:
        path = os.path.join(folder, candidate)
        if path not in out:
            out.append(path)
    return out


def _reverse_lines(path: str) -> Iterator[Tuple[int, str]]:
    """(line number, text) from the last line to the first, reading blocks from the end."""
    with open(path, "rb") as handle:
        total = 0
        ends_with_newline = True
        while True:
            block = handle.read(1 << 20)
            if not block:
                break
            total += block.count(b"\n")
            ends_with_newline = block.endswith(b"\n")
        if not ends_with_newline:
            total += 1
        position = handle.tell()
        pending = b""
        number = total
        first = True
        while position > 0:
            step = min(1 << 16, position)
            position -= step
            handle.seek(position)
            pieces = (handle.read(step) + pending).split(b"\n")
            pending = pieces[0]
            tail = pieces[1:]
            if first:
                first = False
                if tail and tail[-1] == b"":
                    tail.pop()
            for raw in reversed(tail):
                yield number, raw.decode("utf-8", "replace").rstrip("\r")
                number -= 1
        if pending or number == 1:
            yield number, pending.decode("utf-8", "replace").rstrip("\r")


_ERROR_WORDS = ("error", "fail", "fatal", "critical", "panic", "denied", "invalid")
_WARNING_WORDS = ("warn",)


def _guess_priority(message: str) -> int:
    lowered = message.lower()
    if any(word in lowered for word in _ERROR_WORDS):
        return 3
    if any(word in lowered for word in _WARNING_WORDS):
        return 4
    return 6


def parse_syslog_line(line: str, index: int, year: Optional[int] = None) -> Optional[_Raw]:
    """A classic or ISO-8601 syslog line; None for blank lines."""
    import re
    text = line.strip()
    if not text:
        return None
    priority: Optional[int] = None
    prefix = re.match(r"<(\d{1,3})>", text)
    if prefix:
        priority = int(prefix.group(1)) & 7
        text = text[prefix.end():]
    when: Optional[_dt.datetime] = None
    host = ""
    rest = text
    iso = re.match(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?\s+(\S+)\s+(.*)$",
                   text)
    bsd = None if iso else re.match(
        r"([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d\d):(\d\d):(\d\d)\s+(\S+)\s+(.*)$", text)
    if iso:
        when = _iso_time(iso.group(1), iso.group(2), iso.group(3))
        host, rest = iso.group(4), iso.group(5)
    elif bsd and bsd.group(1).lower() in _MONTHS:
        now = _dt.datetime.now()
        try:
            when = _dt.datetime(year or now.year, _MONTHS[bsd.group(1).lower()], int(bsd.group(2)),
                                int(bsd.group(3)), int(bsd.group(4)), int(bsd.group(5)))
            if year is None and when > now + _dt.timedelta(days=1):
                when = when.replace(year=when.year - 1)
        except ValueError:
            when = None
        host, rest = bsd.group(6), bsd.group(7)
    source, pid, message = "", None, rest
    tagged = re.match(r"([^\s:\[\]]+)(?:\[(\d+)\])?:\s?(.*)$", rest)
    if tagged:
        source, message = tagged.group(1), tagged.group(3)
        pid = int(tagged.group(2)) if tagged.group(2) else None
    guessed = priority is None
    if priority is None:
        priority = _guess_priority(message)
    return _Raw(index, when, priority, source, message, host, pid, guessed)


def _iso_time(base: str, fraction: Optional[str], zone: Optional[str]) -> Optional[_dt.datetime]:
    text = base.replace(" ", "T")
    micros = (fraction or ".0")[1:7].ljust(6, "0")
    text += "." + micros
    if zone:
        zone = "+00:00" if zone == "Z" else zone
        if ":" not in zone:
            zone = zone[:3] + ":" + zone[3:]
        text += zone
    try:
        value = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    return value


def _file_entries(path: str, only_pshell: bool) -> Iterator[_Raw]:
    for number, line in _reverse_lines(path):
        raw = parse_syslog_line(line, number)
        if raw is None:
            continue
        if only_pshell and raw.source.lower() != "pshell":
            continue
        yield raw


# --------------------------------------------------------------------------- choosing a source

def read_log(name: str, journal_args: Optional[List[str]] = None) -> Iterator[_Raw]:
    """Entries of a log, newest first.  Raises LogNotFound (with the reason) when there is no
    journal for it and no file either."""
    program = _journalctl()
    reason = "journalctl is not available"
    if program:
        if journal_has_entries(program):
            found = _journal_entries(program, name, journal_args or [])
            if found is not None:
                return found
            reason = f"the journal has no entries for '{name}'"
        else:
            reason = "the journal has no readable entries"
    files = log_files(name)
    if name.lower() in ("pshell", "windows powershell"):
        from pshell.engine.events import event_log_path
        files = [event_log_path()] + files        # pshell's own log, written by every shell
    for path in files:
        if os.path.isfile(path):
            return _file_entries(path, False)
    if name.lower() in ("pshell", "windows powershell"):
        for path in log_files("system"):
            if os.path.isfile(path):
                return _file_entries(path, True)
    shown = files[0] if len(files) == 1 else " or ".join(files[:3])
    raise LogNotFound(f"No event log source found for '{name}': {reason} and {shown} "
                      f"does not exist.")


def _naive(value: Any) -> Any:
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        return value.astimezone().replace(tzinfo=None)
    return value


def _journal_time(value: _dt.datetime) -> str:
    return _naive(value).strftime("%Y-%m-%d %H:%M:%S")


def _entry_types(value: Any) -> List[str]:
    out = []
    for item in value if isinstance(value, (list, tuple)) else [value]:
        text = to_str(item).strip()
        for name in ENTRY_TYPES:
            if name.lower() == text.lower():
                out.append(name)
                break
        else:
            raise ValueError(
                f'Cannot validate argument on parameter \'EntryType\'. The argument "{text}" does '
                f'not belong to the set "{",".join(ENTRY_TYPES)}" specified by the ValidateSet '
                f'attribute. Supply an argument that is in the set and then try the command '
                f'again.')
    return out


# --------------------------------------------------------------------------- Get-EventLog

@register
class GetEventLog(Cmdlet):
    name = "Get-EventLog"
    synopsis = "Gets the events of a log: the system journal or /var/log on Linux."
    default_set = "LogName"
    params = (
        Param("LogName", "string", position=0, mandatory=("LogName",), aliases=("LN",),
              sets=("LogName",)),
        Param("Newest", "int", sets=("LogName",)),
        Param("InstanceId", "long[]", position=1, sets=("LogName",)),
        Param("Index", "int[]", sets=("LogName",)),
        Param("EntryType", _entry_types, aliases=("ET",), sets=("LogName",)),
        Param("Source", "string[]", aliases=("ABO",), sets=("LogName",)),
        Param("Message", "string", aliases=("MSG",), sets=("LogName",)),
        Param("UserName", "string[]", sets=("LogName",)),
        Param("After", "datetime", sets=("LogName",)),
        Param("Before", "datetime", sets=("LogName",)),
        Param("AsBaseObject", "switch", sets=("LogName",)),
        Param("ComputerName", "string[]", aliases=("Cn",)),
        Param("List", "switch", mandatory=("List",), sets=("List",)),
        Param("AsString", "switch", sets=("List",)),
    )

    def process(self) -> Iterator[Any]:
        if self.List:
            yield from self._list()
            return
        if self.Newest is not None and self.Newest < 0:
            raise self.terminate(
                f"Cannot validate argument on parameter 'Newest'. The {self.Newest} argument is "
                f"less than the minimum allowed range of 0.", "ParameterArgumentValidationError",
                "InvalidData")
        try:
            entries = read_log(self.LogName, self._journal_args())
        except LogNotFound as exc:
            raise self.terminate(str(exc), "LogNotFound", "ObjectNotFound",
                                 target=self.LogName) from None
        filtered = self._has_filters()
        count = 0
        try:
            for raw in entries:
                if self.stopping:
                    return
                if self.Newest is not None and count >= self.Newest:
                    return
                if self.Before is not None and raw.time is not None \
                        and raw.time >= _naive(self.Before):
                    continue
                if self.After is not None and raw.time is not None \
                        and raw.time <= _naive(self.After):
                    continue   # not `return`: files mixing timestamp formats are not in order
                if not self._matches(raw):
                    continue
                count += 1
                yield EventLogEntry(raw, self.LogName)
        finally:
            close = getattr(entries, "close", None)
            if close is not None:
                close()
        if count == 0 and filtered:
            self.write_error(self.error_record("No matches found", "GetEventLogNoEntriesFound",
                                               "ObjectNotFound", target=self.LogName))

    def _has_filters(self) -> bool:
        return any(v is not None for v in (self.EntryType, self.Source, self.Message, self.After,
                                           self.Before, self.InstanceId, self.Index,
                                           self.UserName))

    def _journal_args(self) -> List[str]:
        args = []
        if self.After is not None:
            args += ["--since", _journal_time(self.After)]
        if self.Before is not None:
            args += ["--until", _journal_time(self.Before)]
        if self.EntryType and len(self.EntryType) == 1:
            args += ["-p", {"Error": "0..3", "Warning": "4..4"}.get(self.EntryType[0], "5..7")]
        return args

    def _matches(self, raw: _Raw) -> bool:
        if self.EntryType and entry_type_of(raw.priority) not in self.EntryType:
            return False
        if self.Source and not any(wildcard_match(to_str(s), raw.source)
                                   for s in self.Source):
            return False
        if self.Message is not None and not wildcard_match(self.Message, raw.message):
            return False
        if self.Index is not None and raw.index not in [int(i) for i in self.Index]:
            return False
        if self.InstanceId is not None and 0 not in [int(i) for i in self.InstanceId]:
            return False
        return True

    def _list(self) -> Iterator[Any]:
        from pshell.engine.values import PSObject
        names = ["system", "security", "application", "pshell"]
        program = _journalctl()
        journal = program is not None and journal_has_entries(program)
        for name in names:
            source = "journal" if journal else next(
                (p for p in log_files(name) if os.path.isfile(p)), None)
            if source is None:
                continue
            if self.AsString:
                yield name
            else:
                yield PSObject.from_pairs([("Log", name), ("Source", source)],
                                          ["System.Diagnostics.EventLog"])


# --------------------------------------------------------------------------- Get-WinEvent

@register
class GetWinEvent(Cmdlet):
    name = "Get-WinEvent"
    synopsis = "Gets events from the system journal or /var/log on Linux."
    default_set = "GetLogSet"
    params = (
        Param("LogName", "string[]", position=0, sets=("GetLogSet",)),
        Param("ListLog", "string[]", mandatory=("ListLogSet",), sets=("ListLogSet",)),
        Param("ProviderName", "string[]", mandatory=("GetProviderSet",),
              sets=("GetProviderSet",)),
        Param("FilterHashtable", "hashtable[]", mandatory=("HashQuerySet",),
              sets=("HashQuerySet",)),
        Param("MaxEvents", "long"),
        Param("Oldest", "switch"),
        Param("ComputerName", "string", aliases=("Cn",)),
        Param("Force", "switch"),
    )

    def process(self) -> Iterator[Any]:
        if self.ListLog is not None:
            yield from self._list_logs()
            return
        if self.MaxEvents is not None and self.MaxEvents < 1:
            raise self.terminate(
                f"Cannot validate argument on parameter 'MaxEvents'. The {self.MaxEvents} "
                f"argument is less than the minimum allowed range of 1.",
                "ParameterArgumentValidationError", "InvalidData")
        queries = self._queries()
        count = 0
        for log, providers, levels, start, end in queries:
            try:
                entries = read_log(log)
            except LogNotFound as exc:
                self.write_error(self.error_record(str(exc), "NoMatchingLogsFound",
                                                   "ObjectNotFound", target=log))
                continue
            selected = self._select(entries, providers, levels, start, end)
            if self.Oldest:
                selected = iter(list(selected)[::-1])
            for raw in selected:
                if self.stopping:
                    return
                if self.MaxEvents is not None and count >= self.MaxEvents:
                    return
                count += 1
                yield EventRecord(raw, log)
        if count == 0 and queries:
            self.write_error(self.error_record(
                "No events were found that match the specified selection criteria.",
                "NoMatchingEventsFound", "ObjectNotFound"))

    def _queries(self) -> List[Tuple[str, Any, Any, Any, Any]]:
        if self.FilterHashtable is not None:
            out = []
            for table in self.FilterHashtable:
                table = table if isinstance(table, dict) else Hashtable()
                logs = _list_of(_get(table, "LogName")) or ["system"]
                providers = _list_of(_get(table, "ProviderName"))
                levels = [int(v) for v in _list_of(_get(table, "Level"))]
                for log in logs:
                    out.append((to_str(log), providers, levels, _get(table, "StartTime"),
                                _get(table, "EndTime")))
            return out
        if self.ProviderName is not None:
            return [("system", list(self.ProviderName), [], None, None)]
        return [(to_str(log), None, [], None, None) for log in (self.LogName or ["system"])]

    def _select(self, entries: Iterator[_Raw], providers: Any, levels: List[int], start: Any,
                end: Any) -> Iterator[_Raw]:
        for raw in entries:
            if end is not None and raw.time is not None and raw.time > _naive(end):
                continue
            if start is not None and raw.time is not None and raw.time < _naive(start):
                continue
            if providers and not any(wildcard_match(to_str(p), raw.source)
                                     for p in providers):
                continue
            if levels and level_of(raw.priority) not in levels:
                continue
            yield raw

    def _list_logs(self) -> Iterator[Any]:
        from pshell.engine.values import PSObject
        for pattern in self.ListLog or []:
            found = False
            for name in ("system", "security", "application", "pshell"):
                if not wildcard_match(to_str(pattern), name):
                    continue
                path = next((p for p in log_files(name) if os.path.isfile(p)), None)
                journal = _journalctl()
                if path is None and not journal:
                    continue
                found = True
                yield PSObject.from_pairs([("LogMode", "Circular"), ("RecordCount", None),
                                           ("LogName", name), ("LogFilePath", path or "journal")],
                                          ["System.Diagnostics.Eventing.Reader.EventLogConfiguration"])
            if not found:
                self.write_error(self.error_record(
                    f"There is not an event log on the localhost computer that matches "
                    f"\"{to_str(pattern)}\".", "NoMatchingLogsFound", "ObjectNotFound",
                    target=pattern))


def _get(table: Any, key: str) -> Any:
    if isinstance(table, Hashtable):
        return table.get(key)
    for k, v in table.items():
        if str(k).lower() == key.lower():
            return v
    return None


def _list_of(value: Any) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


# --------------------------------------------------------------------------- views

def _short_time(value: Any) -> str:
    return value.strftime("%b %d %H:%M") if isinstance(value, _dt.datetime) else ""


def _register_views() -> None:
    try:
        from pshell.engine.format import register_view
    except ImportError:
        return
    register_view("System.Diagnostics.EventLogEntry", "table", [
        ("Index", "Index", 8, "right"),
        ("Time", lambda e: _short_time(e.TimeGenerated), 13, "left"),
        ("EntryType", "EntryType", 11, "left"),
        ("Source", "Source", 20, "left"),
        ("InstanceID", "InstanceId", 12, "right"),
        ("Message", "Message", 0, "left"),
    ])
    register_view("System.Diagnostics.Eventing.Reader.EventLogRecord", "table", [
        ("TimeCreated", lambda e: _winevent_time(e.TimeCreated), 22, "left"),
        ("Id", "Id", 10, "right"),
        ("LevelDisplayName", "LevelDisplayName", 16, "left"),
        ("Message", "Message", 0, "left"),
    ], group_by=("ProviderName", "ProviderName"), group_label="ProviderName")


def _winevent_time(value: Any) -> str:
    return value.strftime("%m/%d/%Y %H:%M:%S") if isinstance(value, _dt.datetime) else ""


_register_views()
