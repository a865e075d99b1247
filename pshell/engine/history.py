"""The session history (Get-History, Add-History, Invoke-History): one HistoryInfo per command
run at the top level (or by ``PowerShell.Invoke`` with AddToHistory), kept in ``runspace.history``
up to ``$MaximumHistoryCount`` entries."""

from __future__ import annotations

import datetime as _dt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["HistoryInfo", "record_history", "add_entry"]


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


def add_entry(runspace: Any, line: str, status: str, start: _dt.datetime,
              end: Optional[_dt.datetime] = None) -> HistoryInfo:
    """Append an entry with the next id; the oldest go past $MaximumHistoryCount."""
    history = runspace.history
    next_id = history[-1].Id + 1 if history else 1
    entry = HistoryInfo(next_id, line, status, start, end if end is not None else _dt.datetime.now())
    history.append(entry)
    limit = runspace.get_variable("MaximumHistoryCount", 4096)
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        limit = 4096
    if len(history) > limit:
        del history[:len(history) - limit]
    return entry


def record_history(runspace: Any, line: str, ok: bool, start: _dt.datetime) -> None:
    """Called for each command run at the top level.  A command that was Invoke-History is
    recorded as the command line it ran (what the user would type to repeat it)."""
    replaced = runspace.__dict__.pop("_history_replay", None)
    add_entry(runspace, replaced if replaced is not None else line, "Completed" if ok else "Failed", start)
