"""Get-History, Add-History, Clear-History, Invoke-History (the history itself is
engine/history.py)."""

from __future__ import annotations

import datetime as _dt

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.errors import RuntimeException
from pshell.engine.format import register_view
from pshell.engine.history import HistoryInfo, add_entry
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.values import NO_PROPERTY, get_property, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Set

__all__ = ["GetHistory", "AddHistory", "ClearHistory", "InvokeHistory"]


def _duration(info: HistoryInfo) -> str:
    return f"{info.Duration.total_seconds():.3f}"


register_view("Microsoft.PowerShell.Commands.HistoryInfo", "table", [
    ("Id", "Id", 4, "right"), ("Duration", _duration, 10, "right"), ("CommandLine", "CommandLine")])


@register
class GetHistory(Cmdlet):
    name = "Get-History"
    synopsis = "Lists the commands entered in this session."
    params = (
        Param("Id", "long[]", position=0, pipeline=True),
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


_BAD_INPUT = "Cannot add history because the input object has a format that is not valid."


@register
class AddHistory(Cmdlet):
    name = "Add-History"
    synopsis = "Adds entries (Get-History's, or objects with the same properties) to the history."
    params = (
        Param("InputObject", "object[]", position=0, pipeline=True),
        Param("PassThru", "switch"),
    ) + SHOULD_PROCESS_PARAMS

    def process(self) -> Iterator[Any]:
        for item in self.InputObject or []:
            try:
                line, status, start, end = self._fields(item)
            except (ValueError, RuntimeException):
                self.write_error(self.error_record(_BAD_INPUT, "AddHistoryInvalidInput", "InvalidData",
                                                   target=item))
                continue
            if not self.should_process(line):
                continue
            entry = add_entry(self.runspace, line, status, start, end)
            if self.PassThru:
                yield entry

    @staticmethod
    def _fields(item: Any) -> "tuple[str, str, _dt.datetime, _dt.datetime]":
        from pshell.engine.conversions import convert_to
        values = []
        for name in ("CommandLine", "ExecutionStatus", "StartExecutionTime", "EndExecutionTime"):
            value = get_property(item, name)
            if value is NO_PROPERTY or value is None:
                raise ValueError(name)
            values.append(value)
        line, status = to_str(values[0]), to_str(values[1])
        start, end = (v if isinstance(v, _dt.datetime) else convert_to(v, "datetime") for v in values[2:])
        if not isinstance(start, _dt.datetime) or not isinstance(end, _dt.datetime):
            raise ValueError("time")
        return line, status, start, end


@register
class ClearHistory(Cmdlet):
    name = "Clear-History"
    synopsis = "Forgets the commands entered in this session."
    params = (Param("Id", "long[]", position=0), Param("Count", "int"),
              Param("CommandLine", "string[]")) + SHOULD_PROCESS_PARAMS

    def end(self) -> None:
        history = self.runspace.history
        what = (f"Id {', '.join(str(i) for i in self.Id)}" if self.Id else
                f"the last {self.Count}" if self.Count is not None else
                f"command lines {', '.join(self.CommandLine)}" if self.CommandLine else "all entries")
        if not self.should_process(what, "Clear-History"):
            return
        if self.CommandLine:
            from pshell.engine.wildcards import wildcard_regex
            patterns = [wildcard_regex(p) for p in self.CommandLine]
            history[:] = [h for h in history if not any(p.match(h.CommandLine) for p in patterns)]
        elif self.Id:
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
        rs = self.runspace
        history: List[HistoryInfo] = list(rs.history)
        if not history:
            raise self.terminate("Cannot invoke history: the history is empty.", "InvokeHistoryEmpty",
                                 "ObjectNotFound")
        entry = history[-1]
        if self.Id is not None:
            text = to_str(self.Id)
            if text.isdigit():
                matches = [h for h in history if h.Id == int(text)]
            else:
                matches = [h for h in reversed(history) if h.CommandLine.lower().startswith(text.lower())]
            if not matches:
                raise self.terminate(f"Cannot locate history for '{text}'.", "InvokeHistoryNotFound",
                                     "ObjectNotFound", text)
            entry = matches[0]
        running: Set[int] = rs.__dict__.setdefault("_history_running", set())
        if entry.Id in running:
            # the entry is (or leads back to) an Invoke-History of itself: running it would never end
            self.write_error(self.error_record(
                f"Invoke-History of entry {entry.Id} ('{entry.CommandLine}') would run itself again "
                f"without end; it was not run.", "InvokeHistoryLoopDetected", "InvalidOperation",
                target=entry.CommandLine))
            return
        if not running:
            rs.__dict__["_history_replay"] = entry.CommandLine
        if getattr(self.ctx, "streams", None) is rs.host:
            self.write_host(entry.CommandLine)     # the echo is for a person at the host, no stream's
        running.add(entry.Id)
        try:
            yield from self.ctx.invoke_iter(rs.compile(entry.CommandLine, "<history>"), (), new_scope=False)
        finally:
            running.discard(entry.Id)
