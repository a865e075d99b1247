"""Background jobs: the job model shared by local jobs (Start-Job, ThreadJob, ``pipeline &``) and
remote jobs (Invoke-Command -AsJob).  Its states are ``job_state.py``, the per-runspace job table
(``JobManager``) is ``job_table.py``, waiting on jobs ``job_wait.py``, the local runner
``job_runner.py`` and the buffers ``job_buffer.py``.

The model follows PowerShell's (Job.cs): a job has an Id from one process-wide counter shared by
parents and children, a Name, an InstanceId, a state with a reason, and buffers of what it wrote.
A parent (what Start-Job and Invoke-Command -AsJob return) holds no work itself: its state is derived
from its children's, and Receive-Job on it drains the children.

Where the work of a child runs is pluggable.  A local child runs its script block in a new
``Runspace`` on a pooled thread (never a process per job).  A remote child is fed by the remoting
layer through the executor interface::

    parent = Job(command=text, type_name="RemoteJob")
    manager.add(parent)
    child = Job(command=text, location="server01")
    child.stop_handler = send_stop_to_remote      # called (once) by Stop-Job, from any thread
    parent.add_child(child)
    child.set_state(JobState.Running)
    child.add_output(obj); child.add_error(record); child.add_record("warning", rec)
    child.set_state(JobState.Completed)           # or Failed with a reason, Stopped, Disconnected

Every buffer keeps its records in write order (all streams interleaved) behind a read cursor, so
repeated receives give each record exactly once.  Past a threshold a buffer spills to a file under
``$XDG_STATE_HOME/pshell/jobs`` (directory 0700, file 0600, removed with the job), so a job that
writes gigabytes nobody receives does not grow memory.

Hooks for the rest of the shell:

- ``start_background_job(ctx, block, using)`` is what the compiler's ``pipeline &`` calls.
- When a top-level job finishes, ``JobManager`` calls ``runspace.host.job_finished(job)`` (if the
  host has it) unless ``$PSJobNotifications`` is false; ``job_notice(job)`` is the line to print.
- ``runspace.close()`` calls ``JobManager.stop_all()``; spill files are removed with their job, and
  at process exit.

Deliberate difference from PowerShell: a stopped job keeps what it wrote before the stop (PowerShell
drops it); nothing a job produced is lost until it is received or the job removed.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterator, List, Optional, Sequence, Tuple

from pshell.engine.job_buffer import JobBuffer
from pshell.engine.job_state import JobState, JobStateInfo, derive_parent_state
from pshell.engine.job_wait import FinishedHandle

if TYPE_CHECKING:
    from pshell.engine.job_table import JobManager

#: JobState and JobStateInfo are part of the job model's API (defined in job_state.py).
__all__ = [
    "JobState", "JobStateInfo", "Job", "next_job_id", "STREAMS", "JOB_TYPE_NAMES", "STOP_GRACE_SECONDS",
    "command_text", "job_notice",
]

#: Stream names of buffered records, in PowerShell's stream order.
STREAMS = ("output", "error", "warning", "verbose", "debug", "information", "progress")

#: Type names every job carries (formatting registers the job table view for these).
JOB_TYPE_NAMES = ("System.Management.Automation.Job",)

#: How long Stop-Job waits for the work to wind down before marking the job Stopped regardless.
STOP_GRACE_SECONDS = 0.8

_ids = itertools.count(1)


def next_job_id() -> int:
    """The next Id from the one counter shared by every job of the process, parents and children."""
    return next(_ids)


MAX_KEPT_ERRORS = 1000          # received error records a job still shows in its Error property


def _new_guid() -> str:
    from pshell.engine.values import Guid
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return Guid(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")


# --------------------------------------------------------------------------- jobs

Listener = Callable[["Job"], None]


class Job:
    """A job: PowerShell's Job with its properties, buffers, children and state machine.

    A job with children is a parent: its state is derived from theirs and its work is theirs.
    A job without children is a leaf whose work is run by a local runner (``LocalWork``) or fed by
    the remoting layer (``add_output``/``add_error``/``set_state``; ``stop_handler``).
    """

    ps_type_names: Tuple[str, ...] = JOB_TYPE_NAMES
    # PowerShell's order (Select-Object *, Format-List *); the table view is registered below
    ps_properties = ("State", "HasMoreData", "StatusMessage", "Location", "Command", "JobStateInfo",
                     "Finished", "InstanceId", "Id", "Name", "ChildJobs", "PSBeginTime",
                     "PSEndTime", "PSJobTypeName", "Output", "Error", "Progress", "Verbose",
                     "Debug", "Warning", "Information")

    def __init__(self, command: str = "", name: Optional[str] = None, type_name: str = "",
                 location: Optional[str] = None, type_names: Optional[Sequence[str]] = None) -> None:
        self.Id = next_job_id()
        self.Name = name or f"Job{self.Id}"
        self._instance_id: Optional[str] = None
        self.Command = command
        self.PSJobTypeName = type_name
        self.StatusMessage = ""
        self.PSBeginTime: Optional[_dt.datetime] = None
        self.PSEndTime: Optional[_dt.datetime] = None
        self.ChildJobs: List[Job] = []
        self.parent: Optional[Job] = None
        self.manager: Optional[JobManager] = None
        if type_names is not None:
            self.ps_type_names = tuple(type_names) + JOB_TYPE_NAMES
        #: Called once, from the thread that runs Stop-Job, to make the work stop.  It must not
        #: block for long; the work reports the outcome with ``set_state(JobState.Stopped)``.
        self.stop_handler: Optional[Callable[[], None]] = None
        self._location = location
        self._info = JobStateInfo(JobState.NotStarted)
        self._state_lock = threading.RLock()
        self._finished = threading.Event()
        self._buffer = JobBuffer(str(self.Id))
        self._listeners: List[Listener] = []
        self._data_listeners: List[Listener] = []
        self._stop_requested = False
        self._abandoned = False
        #: the work goes on elsewhere when this shell exits: a command in a PSSession, which the
        #: session layer leaves Disconnected on its computer (about_Remote_Disconnected_Sessions)
        self.outlives_shell = False
        self._errors_received: List[Any] = []

    # ---- PowerShell properties -------------------------------------------------------
    @property
    def InstanceId(self) -> str:
        # Made on first use: a random read costs a system call, and most jobs never show theirs.
        found = self._instance_id
        if found is None:
            found = self._instance_id = _new_guid()
        return found

    @InstanceId.setter
    def InstanceId(self, value: str) -> None:
        self._instance_id = value

    @property
    def State(self) -> str:
        return self._info.State

    @property
    def JobStateInfo(self) -> JobStateInfo:
        return self._info

    @property
    def Finished(self) -> "FinishedHandle":
        """The wait handle PowerShell's jobs have (shown by its type name, as there)."""
        return FinishedHandle(self._finished)

    @property
    def Location(self) -> str:
        if self._location is not None:
            return self._location
        seen: List[str] = []
        for child in self.ChildJobs:
            loc = child.Location
            if loc and loc not in seen:
                seen.append(loc)
        return ",".join(seen)

    @Location.setter
    def Location(self, value: str) -> None:
        self._location = value

    @property
    def HasMoreData(self) -> bool:
        if self._buffer.unread:
            return True
        if not self.ChildJobs:
            return False
        if self._info.State not in JobState.FINISHED:
            return True
        return any(child.HasMoreData for child in self.ChildJobs)

    @property
    def Output(self) -> List[Any]:
        return self._buffer.items("output")

    @property
    def Error(self) -> List[Any]:
        """The errors, those received too (as in PowerShell, where Receive-Job leaves a child
        job's Error collection readable; at most MAX_KEPT_ERRORS received ones are kept)."""
        return self._errors_received + self._buffer.items("error")

    @property
    def Warning(self) -> List[Any]:
        return self._buffer.items("warning")

    @property
    def Verbose(self) -> List[Any]:
        return self._buffer.items("verbose")

    @property
    def Debug(self) -> List[Any]:
        return self._buffer.items("debug")

    @property
    def Information(self) -> List[Any]:
        return self._buffer.items("information")

    @property
    def Progress(self) -> List[Any]:
        return self._buffer.items("progress")

    @property
    def is_finished(self) -> bool:
        return self._info.State in JobState.FINISHED

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    @property
    def buffer(self) -> JobBuffer:
        return self._buffer

    def StopJob(self) -> None:
        self.stop()

    def ToString(self) -> str:
        return self.Name

    def __repr__(self) -> str:
        return f"<Job {self.Id} {self.Name!r} {self.State}>"

    # ---- children ----------------------------------------------------------------------
    def add_child(self, child: "Job") -> "Job":
        with self._state_lock:
            child.parent = self
            self.ChildJobs.append(child)
        if self.manager is not None:
            self.manager._register(child)
        self._child_changed(child)
        return child

    def iter_tree(self) -> Iterator["Job"]:
        """This job and every descendant, parents first."""
        yield self
        for child in list(self.ChildJobs):
            yield from child.iter_tree()

    def _child_changed(self, child: "Job") -> None:
        with self._state_lock:
            states = [c._info.State for c in self.ChildJobs]
            new = derive_parent_state(states, self._stop_requested, self._info.State)
            reason = None
            if new == JobState.Failed:
                reason = next((c._info.Reason for c in self.ChildJobs
                               if c._info.State == JobState.Failed), None)
            if new == self._info.State:
                return
            old = self._set_locked(new, reason)
        if old is not None:
            self._fire(old)

    # ---- state -------------------------------------------------------------------------
    def set_state(self, state: str, reason: Any = None) -> bool:
        """Move to ``state`` (with ``reason``, an ErrorRecord, exception or text, for Failed).
        A finished job never changes again.  Returns whether the state changed.  To fail a job so
        that Receive-Job also writes the reason as an error, use :meth:`fail`."""
        return self._set_state(state, reason)

    def _set_state(self, state: str, reason: Any = None) -> bool:
        with self._state_lock:
            if self._info.State == state and reason is None:
                return False
            old = self._set_locked(state, _reason_of(reason))
        if old is None:
            return False
        self._fire(old)
        return True

    def _set_locked(self, state: str, reason: Any) -> Optional[str]:
        old = self._info.State
        if old in JobState.FINISHED:
            return None
        now = _dt.datetime.now()
        if state == JobState.Running and self.PSBeginTime is None:
            self.PSBeginTime = now
        if state in JobState.FINISHED:
            if self.PSBeginTime is None:
                self.PSBeginTime = now
            self.PSEndTime = now
        self._info = JobStateInfo(state, reason)
        return old

    def _fire(self, old: str) -> None:
        parent = self.parent
        if parent is not None:
            parent._child_changed(self)
        for listener in list(self._listeners):
            try:
                listener(self)
            except Exception:
                pass
        # last: whoever waits for the end (Wait-Job) wakes after the listeners have run - so in
        # a session's host, the final state is on disk when Wait-Job returns
        if self._info.State in JobState.FINISHED:
            self._finished.set()

    def add_listener(self, listener: Listener) -> None:
        """``listener(job)`` is called, from whatever thread changed it, after each state change."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        try:
            self._listeners.remove(listener)
        except ValueError:
            pass

    def add_data_listener(self, listener: Listener) -> None:
        """``listener(job)`` is called after each record this job (not its children) buffers."""
        self._data_listeners.append(listener)

    def remove_data_listener(self, listener: Listener) -> None:
        try:
            self._data_listeners.remove(listener)
        except ValueError:
            pass

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the job is finished (or ``timeout`` seconds); whether it is."""
        return self._finished.wait(timeout)

    # ---- records (the executor interface) -------------------------------------------
    def add_record(self, stream: str, item: Any) -> None:
        if self._abandoned:
            return
        if self._buffer.append(stream, item) and self._data_listeners:
            for listener in list(self._data_listeners):
                try:
                    listener(self)
                except Exception:
                    pass

    def add_output(self, item: Any) -> None:
        self.add_record("output", item)

    def add_error(self, record: Any) -> None:
        self.add_record("error", record)

    def add_warning(self, record: Any) -> None:
        self.add_record("warning", _message_record("warning", record))

    def add_verbose(self, record: Any) -> None:
        self.add_record("verbose", _message_record("verbose", record))

    def add_debug(self, record: Any) -> None:
        self.add_record("debug", _message_record("debug", record))

    def add_information(self, record: Any) -> None:
        self.add_record("information", record)

    def add_progress(self, record: Any) -> None:
        self.add_record("progress", record)

    def fail(self, reason: Any) -> None:
        """Record ``reason`` (an ErrorRecord, exception or text) as an error and fail the job."""
        if self.is_finished:
            return
        record = _error_record_of(reason)
        self.add_error(record)
        self._set_state(JobState.Failed, record)

    # ---- receiving -----------------------------------------------------------------------
    def receive(self, keep: bool = False, recurse: bool = True,
                locations: Optional[Sequence[str]] = None
                ) -> Iterator[Tuple["Job", str, Any]]:
        """Yield ``(job, stream, item)`` for every unread record: this job's own, then each
        child's (unless ``recurse`` is false).  Removed as yielded unless ``keep``.
        ``locations`` restricts children to those whose Location is listed."""
        for job in self._receive_order(recurse, locations):
            reader = job._buffer.peek() if keep else job._buffer.take()
            for batch in reader:
                for stream, item in batch:
                    if stream == "error" and not keep and len(job._errors_received) < MAX_KEPT_ERRORS:
                        job._errors_received.append(item)
                    yield job, stream, item

    def _receive_order(self, recurse: bool, locations: Optional[Sequence[str]]) -> List["Job"]:
        order = [self]
        if recurse:
            wanted = None if locations is None else {loc.lower() for loc in locations}
            for child in list(self.ChildJobs):
                if wanted is not None and child.Location.lower() not in wanted:
                    continue
                order.extend(child._receive_order(True, None))
        return order

    # ---- stopping and disposal --------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the job (and its children) to stop, without waiting."""
        if self.is_finished:
            return
        self._stop_requested = True
        if self.ChildJobs:
            for child in list(self.ChildJobs):
                child.request_stop()
            self._child_changed(self.ChildJobs[0])
            return
        handler = self.stop_handler
        if handler is None:      # no work to interrupt (not started yet, or nothing runs it)
            self._abandoned = True
            self.set_state(JobState.Stopped)
            return
        self.set_state(JobState.Stopping)
        self.stop_handler = None
        try:
            handler()
        except Exception:
            pass

    def stop(self, wait: bool = True, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop-Job: ask the job to stop and wait up to ``grace`` seconds; a job whose work has
        not wound down by then is marked Stopped anyway and its late records are dropped."""
        self.request_stop()
        if wait and not self.wait(grace):
            self.force_stopped()

    def force_stopped(self) -> None:
        for job in list(self.iter_tree()):
            if not job.ChildJobs and not job.is_finished:
                job._abandoned = True
                job.set_state(JobState.Stopped)

    def dispose(self) -> None:
        """Release the buffers (and spill files) of this job and its children."""
        for job in self.iter_tree():
            job._abandoned = True
            job._buffer.close()


def _reason_of(reason: Any) -> Any:
    """JobStateInfo.Reason is an exception in PowerShell: keep the record's Exception."""
    if reason is None:
        return None
    exception = getattr(reason, "Exception", None)
    if exception is not None:
        return exception
    if isinstance(reason, BaseException):
        from pshell.engine.errors import ExceptionInfo
        record = getattr(reason, "record", None)
        if record is not None:
            return record.Exception
        return ExceptionInfo(str(reason) or type(reason).__name__)
    if isinstance(reason, str):
        from pshell.engine.errors import ExceptionInfo
        return ExceptionInfo(reason)
    return reason


def _error_record_of(reason: Any) -> Any:
    from pshell.engine.errors import ErrorRecord
    if isinstance(reason, ErrorRecord):
        return reason
    record = getattr(reason, "record", None)
    if isinstance(record, ErrorRecord):
        return record
    text = str(reason) if not isinstance(reason, BaseException) else \
        (str(reason) or type(reason).__name__)
    return ErrorRecord(text, "JobFailed", "OperationStopped")


def _message_record(stream: str, record: Any) -> Any:
    if not isinstance(record, str):
        return record
    from pshell.engine import streams
    cls = {"warning": streams.WarningRecord, "verbose": streams.VerboseRecord,
           "debug": streams.DebugRecord}[stream]
    return cls(record)


def job_notice(job: Job) -> str:
    """The one-line REPL notice for a finished job, like bash's ``[1]+ Done``."""
    return f"[{job.Id}] {job.Name} {job.State}"


def command_text(block: Any) -> str:
    """The Command property: the script block's text exactly as written (inside the braces)."""
    for attr in ("text", "Text", "source_text"):
        value = getattr(block, attr, None)
        if isinstance(value, str):
            return value
    from pshell.engine.values import to_str
    return to_str(block)


def _register_views() -> None:
    """The default table of a job (deserialised remote jobs find it through their type names)."""
    try:
        from pshell.engine.format import register_view
    except Exception:
        return
    register_view(JOB_TYPE_NAMES[0], "table",
                  ("Id", "Name", "PSJobTypeName", "State", "HasMoreData", "Location", "Command"))
    register_view("System.Guid", "table", (("Guid", lambda g: str.__str__(g)),))


_register_views()
