"""The non-output streams: records, and the sinks they are written to.

Output (stream 1) flows through the pipeline as Python iterators.  Everything else (error 2,
warning 3, verbose 4, debug 5, information 6, progress) is written to a :class:`Streams` sink
carried by the executing frame: the host at top level, a job's buffers inside a job, the wire on a
remote server, or a redirection wrapper (``2>&1``, ``3> file``).
"""

from __future__ import annotations

try:                            # datetime's classes from the C module datetime.py re-exports:
    import _datetime as _dt     # datetime.py first defines them in Python (~0.6 ms of start-up)
except ImportError:
    import datetime as _dt
import os

from pshell.engine.errors import ErrorRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List, Optional, Tuple

__all__ = ["WarningRecord", "VerboseRecord", "DebugRecord", "InformationRecord", "ProgressRecord",
           "Streams", "CollectingStreams", "STREAM_NUMBERS"]

STREAM_NUMBERS = {"error": "2", "warning": "3", "verbose": "4", "debug": "5", "information": "6"}


class _MessageRecord:
    __slots__ = ("Message",)
    ps_properties = ("Message",)
    ps_type_names: Tuple[str, ...] = ()
    prefix = ""

    def __init__(self, message: str) -> None:
        self.Message = message

    def ToString(self) -> str:
        return self.Message

    def __str__(self) -> str:
        return self.Message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.Message!r})"


class WarningRecord(_MessageRecord):
    __slots__ = ()
    ps_type_names = ("System.Management.Automation.WarningRecord",)
    prefix = "WARNING: "


class VerboseRecord(_MessageRecord):
    __slots__ = ()
    ps_type_names = ("System.Management.Automation.VerboseRecord",)
    prefix = "VERBOSE: "


class DebugRecord(_MessageRecord):
    __slots__ = ()
    ps_type_names = ("System.Management.Automation.DebugRecord",)
    prefix = "DEBUG: "


class InformationRecord:
    """Write-Information and Write-Host records.  ``host`` marks Write-Host output (tag
    ``PSHOST``), which carries colours and ``NoNewline``."""

    __slots__ = ("MessageData", "Tags", "TimeGenerated", "Source", "host", "newline", "fg", "bg")
    ps_type_names = ("System.Management.Automation.InformationRecord",)
    ps_properties = ("MessageData", "Source", "TimeGenerated", "Tags", "User", "Computer", "ProcessId",
                     "NativeThreadId", "ManagedThreadId")

    def __init__(self, data: Any, tags: Tuple[str, ...] = (), source: str = "", host: bool = False,
                 newline: bool = True, fg: Optional[str] = None, bg: Optional[str] = None) -> None:
        self.MessageData = data
        self.Tags = list(tags) + (["PSHOST"] if host and "PSHOST" not in tags else [])
        self.TimeGenerated = _dt.datetime.now()
        self.Source = source
        self.host = host
        self.newline = newline
        self.fg = fg
        self.bg = bg

    def ToString(self) -> str:
        from pshell.engine.values import to_str
        return to_str(self.MessageData)

    # where the record was written: this process, its user and computer (read when asked)
    @property
    def User(self) -> str:
        import getpass
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return str(os.getuid()) if hasattr(os, "getuid") else ""

    @property
    def Computer(self) -> str:
        import socket
        return socket.gethostname()

    @property
    def ProcessId(self) -> int:
        return os.getpid()

    @property
    def NativeThreadId(self) -> int:
        import _thread
        return _thread.get_native_id()

    @property
    def ManagedThreadId(self) -> int:
        import _thread
        return _thread.get_ident() & 0x7FFFFFFF

    def __str__(self) -> str:
        return self.ToString()


class HiddenInformation:
    """An information record that was written while InformationPreference hides it: it stays on
    the stream (6>&1, jobs, -InformationVariable, the remote wire) but is not shown."""

    __slots__ = ("record",)

    def __init__(self, record: InformationRecord) -> None:
        self.record = record


class ProgressRecord:
    __slots__ = ("Activity", "StatusDescription", "PercentComplete", "ActivityId", "ParentActivityId",
                 "CurrentOperation", "SecondsRemaining", "RecordType")
    ps_type_names = ("System.Management.Automation.ProgressRecord",)
    ps_properties = ("Activity", "StatusDescription", "PercentComplete", "ActivityId",
                     "ParentActivityId", "CurrentOperation", "SecondsRemaining", "RecordType")

    def __init__(self, activity: str, status: str = "Processing", percent: int = -1,
                 activity_id: int = 0, parent_id: int = -1, operation: str = "",
                 seconds_remaining: int = -1, completed: bool = False) -> None:
        self.Activity = activity
        self.StatusDescription = status
        self.PercentComplete = percent
        self.ActivityId = activity_id
        self.ParentActivityId = parent_id
        self.CurrentOperation = operation
        self.SecondsRemaining = seconds_remaining
        self.RecordType = "Completed" if completed else "Processing"


class Streams:
    """A sink for the non-output streams.  The base class drops everything."""

    def error(self, record: ErrorRecord) -> None:
        pass

    def warning(self, record: WarningRecord) -> None:
        pass

    def verbose(self, record: VerboseRecord) -> None:
        pass

    def debug(self, record: DebugRecord) -> None:
        pass

    def information(self, record: InformationRecord) -> None:
        pass

    def progress(self, record: ProgressRecord) -> None:
        pass


class CollectingStreams(Streams):
    """Keeps every record in order as ``(stream_name, record)``; used by tests and jobs."""

    def __init__(self, on_record: Optional[Callable[[str, Any], None]] = None) -> None:
        self.records: List[Tuple[str, Any]] = []
        self._on_record = on_record

    def _add(self, stream: str, record: Any) -> None:
        self.records.append((stream, record))
        if self._on_record is not None:
            self._on_record(stream, record)

    def error(self, record: ErrorRecord) -> None:
        self._add("error", record)

    def warning(self, record: WarningRecord) -> None:
        self._add("warning", record)

    def verbose(self, record: VerboseRecord) -> None:
        self._add("verbose", record)

    def debug(self, record: DebugRecord) -> None:
        self._add("debug", record)

    def information(self, record: InformationRecord) -> None:
        self._add("information", record)

    def progress(self, record: ProgressRecord) -> None:
        self._add("progress", record)
