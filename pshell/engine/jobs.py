"""Background jobs: the job model shared by local jobs (Start-Job, ThreadJob, ``pipeline &``) and
remote jobs (Invoke-Command -AsJob), and the per-runspace job table.

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
import functools
import itertools
import os
import threading
from collections import deque
from typing import (TYPE_CHECKING, Any, Callable, Deque, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Tuple)

from pshell.engine.job_buffer import JobBuffer

if TYPE_CHECKING:
    from pshell.engine.job_runner import LocalWork
    from pshell.engine.runtime import Runspace

__all__ = [
    "JobState", "JobStateInfo", "Job", "JobManager", "JobError", "JobWaiter", "next_job_id",
    "NOTIFICATION_VARIABLE", "STREAMS", "JOB_TYPE_NAMES", "command_text", "job_notice",
]

#: Preference variable: ``$PSJobNotifications = $false`` turns off the REPL's "job finished" notice.
NOTIFICATION_VARIABLE = "PSJobNotifications"

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


# --------------------------------------------------------------------------- states

class JobState:
    """Job states as PowerShell names them; values are plain strings (``$j.State -eq 'Running'``)."""

    NotStarted = "NotStarted"
    Running = "Running"
    Completed = "Completed"
    Failed = "Failed"
    Stopped = "Stopped"
    Blocked = "Blocked"
    Suspended = "Suspended"
    Disconnected = "Disconnected"
    Suspending = "Suspending"
    Stopping = "Stopping"
    AtBreakpoint = "AtBreakpoint"

    ALL: Tuple[str, ...] = (NotStarted, Running, Completed, Failed, Stopped, Blocked, Suspended,
                            Disconnected, Suspending, Stopping, AtBreakpoint)
    FINISHED = frozenset((Completed, Failed, Stopped))

    @classmethod
    def parse(cls, text: Any) -> str:
        """The state named ``text`` (case-insensitive); ValueError naming the valid ones."""
        wanted = str(text).strip().lower()
        for state in cls.ALL:
            if state.lower() == wanted:
                return state
        raise ValueError(f'Cannot convert value "{text}" to type "JobState". Specify one of the '
                         f'following enumerator names and try again: {", ".join(cls.ALL)}')

    @classmethod
    def is_finished(cls, state: str) -> bool:
        return state in cls.FINISHED


class JobStateInfo:
    """What ``$job.JobStateInfo`` shows: the state and, for a failed job, the reason."""

    __slots__ = ("State", "Reason")
    ps_type_names = ("System.Management.Automation.JobStateInfo",)
    ps_properties = ("State", "Reason")

    def __init__(self, state: str, reason: Any = None) -> None:
        self.State = state
        self.Reason = reason

    def ToString(self) -> str:
        return self.State

    def __str__(self) -> str:
        return self.State

    def __repr__(self) -> str:
        return f"JobStateInfo({self.State!r}, {self.Reason!r})"


def derive_parent_state(states: Sequence[str], stop_requested: bool, current: str) -> str:
    """A parent's state from its children's, by PowerShell's rules (ContainerParentJob)."""
    if not states:
        return current
    if JobState.Blocked in states:
        return JobState.Blocked
    finished = sum(1 for s in states if s in JobState.FINISHED)
    disconnected = states.count(JobState.Disconnected)
    if finished + disconnected == len(states):
        if disconnected:
            return JobState.Disconnected
        if JobState.Failed in states:
            return JobState.Failed
        if stop_requested or JobState.Stopped in states:
            return JobState.Stopped
        return JobState.Completed
    if stop_requested:
        return JobState.Stopping
    if all(s == JobState.NotStarted for s in states):
        return JobState.NotStarted
    unfinished = [s for s in states if s not in JobState.FINISHED]
    if all(s == JobState.Suspended for s in unfinished):
        return JobState.Suspended
    if all(s in (JobState.Suspended, JobState.Disconnected) for s in unfinished) and disconnected:
        return JobState.Disconnected
    return JobState.Running




# --------------------------------------------------------------------------- jobs

class JobError(Exception):
    """A misuse of a job (remove a running job, remove a child alone); carries PowerShell's error
    id and category so the cmdlets can write a proper error record."""

    def __init__(self, message: str, error_id: str = "JobError",
                 category: str = "InvalidOperation", target: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id
        self.category = category
        self.target = target


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


# --------------------------------------------------------------------------- waiting

class JobWaiter:
    """Wakes a waiting thread when any of a set of jobs (and their descendants) changes state or
    buffers a record.  A context manager: listeners are removed on exit."""

    def __init__(self, jobs: Iterable[Job], data: bool = False) -> None:
        self._event = threading.Event()
        self._jobs = [j for job in jobs for j in job.iter_tree()]
        self._data = data

    def _wake(self, job: Job) -> None:
        self._event.set()

    def wake(self) -> None:
        """Wake the waiter from outside (a stop request)."""
        self._event.set()

    def __enter__(self) -> "JobWaiter":
        for job in self._jobs:
            job.add_listener(self._wake)
            if self._data:
                job.add_data_listener(self._wake)
        return self

    def __exit__(self, *exc: Any) -> None:
        for job in self._jobs:
            job.remove_listener(self._wake)
            if self._data:
                job.remove_data_listener(self._wake)

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until woken or ``timeout``; clears the wake-up.  Whether it was woken."""
        woken = self._event.wait(timeout)
        self._event.clear()
        return woken



# --------------------------------------------------------------------------- the job table

def _pool() -> Any:
    from pshell.engine.job_runner import POOL
    return POOL


def job_outlives_shell(job: "Job") -> bool:
    """Whether every leaf of ``job`` runs on in a session when the shell exits."""
    leaves = [member for member in job.iter_tree() if not member.ChildJobs]
    return bool(leaves) and all(leaf.outlives_shell for leaf in leaves)


class JobManager:
    """The job table of one runspace (``runspace.jobs``): the jobs Get-Job lists, in Id order.
    Children are reachable by Id too, but only top-level jobs are listed by default."""

    def __init__(self, runspace: Optional["Runspace"] = None) -> None:
        self.runspace = runspace
        self._lock = threading.Lock()
        self._top: Dict[int, Job] = {}
        self._all: Dict[int, Job] = {}
        self._thread_queue: Deque[Tuple[Job, "LocalWork"]] = deque()
        self._thread_running = 0
        self.thread_limit = 5

    # ---- table -------------------------------------------------------------------------
    def add(self, job: Job) -> Job:
        """Register a top-level job (and its children) in this table."""
        with self._lock:
            self._top[job.Id] = job
        for member in job.iter_tree():
            self._register(member)
        job.add_listener(self._on_state)
        return job

    def _register(self, job: Job) -> None:
        job.manager = self
        with self._lock:
            self._all[job.Id] = job

    def jobs(self, include_children: bool = False) -> List[Job]:
        with self._lock:
            return list(self._all.values() if include_children else self._top.values())

    def get(self, job_id: int) -> Optional[Job]:
        with self._lock:
            return self._all.get(job_id)

    def by_instance_id(self, instance_id: str) -> Optional[Job]:
        wanted = str(instance_id).strip("{} ").lower()
        for job in self.jobs(include_children=True):
            if job.InstanceId == wanted:
                return job
        return None

    def __len__(self) -> int:
        return len(self._top)

    def __iter__(self) -> Iterator[Job]:
        return iter(self.jobs())

    def remove(self, job: Job, force: bool = False) -> None:
        """Remove-Job: refuse a child, and a job not finished unless ``force`` (which stops it)."""
        if job.parent is not None or job.Id not in self._top:
            raise JobError("The command cannot remove the job because it does not exist or because "
                           "it is a child job. Child jobs can be removed only by removing the parent "
                           "job.", "CannotRemoveJob", "InvalidOperation", job)
        if not job.is_finished:
            if not force:
                raise JobError(f"The command cannot remove the job with the job ID {job.Id} because "
                               f"the job is not finished. To remove the job, first stop the job, or "
                               f"use the Force parameter.", "JobObjectNotFinishedCannotBeRemoved",
                               "InvalidOperation", job)
            job.stop()
        with self._lock:
            self._top.pop(job.Id, None)
            for member in job.iter_tree():
                self._all.pop(member.Id, None)
        job.remove_listener(self._on_state)
        job.dispose()

    def stop_all(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop every running job (the shell is exiting): ask all at once, then wait.  Jobs whose
        work outlives the shell (commands in a PSSession) are left to their session."""
        running = [job for job in self.jobs() if not job.is_finished and not job_outlives_shell(job)]
        for job in running:
            job.request_stop()
        for job in running:
            if not job.wait(grace):
                job.force_stopped()

    def close(self) -> None:
        """Stop every job and release their buffers and spill files."""
        self.stop_all()
        for job in self.jobs():
            if not job.is_finished and job_outlives_shell(job):
                continue
            try:
                self.remove(job, force=True)
            except JobError:
                pass

    # ---- starting local jobs -------------------------------------------------------
    def start_job(self, work: "LocalWork", command: str, name: Optional[str] = None,
                  type_name: str = "BackgroundJob") -> Job:
        """Start-Job: a parent of type ``type_name`` with one child that runs ``work``."""
        parent = Job(command, name=name, type_name=type_name, location="localhost",
                     type_names=("System.Management.Automation.PSRemotingJob",))
        child = Job(command, location="localhost",
                    type_names=("System.Management.Automation.PSRemotingChildJob",))
        parent.add_child(child)
        self.add(parent)
        child.set_state(JobState.Running)     # accepted: running as far as anyone can tell
        _pool().submit(lambda: work.run(child))
        return parent

    def start_thread_job(self, work: "LocalWork", command: str, name: Optional[str] = None,
                         throttle: Optional[int] = None) -> Job:
        """Start-ThreadJob: one job (no children), at most ``thread_limit`` running at once; the
        others wait NotStarted in a queue."""
        if throttle is not None and throttle > 0:
            self.thread_limit = throttle
        job = Job(command, name=name, type_name="ThreadJob", location="PowerShell",
                  type_names=("ThreadJob.ThreadJob",))
        self.add(job)
        with self._lock:
            self._thread_queue.append((job, work))
        self._pump_thread_jobs()
        return job

    def _pump_thread_jobs(self) -> None:
        while True:
            with self._lock:
                if self._thread_running >= self.thread_limit or not self._thread_queue:
                    return
                job, work = self._thread_queue.popleft()
                if job.is_finished:
                    continue
                self._thread_running += 1
            _pool().submit(functools.partial(self._run_thread_job, job, work))

    def _run_thread_job(self, job: Job, work: "LocalWork") -> None:
        try:
            work.run(job)
        finally:
            with self._lock:
                self._thread_running -= 1
            self._pump_thread_jobs()

    # ---- notices -------------------------------------------------------------------------
    def _on_state(self, job: Job) -> None:
        if not job.is_finished or job.parent is not None:
            return
        runspace = self.runspace
        host = getattr(runspace, "host", None)
        notify = getattr(host, "job_finished", None)
        if notify is None or not self.notifications_enabled():
            return
        try:
            notify(job)
        except Exception:
            pass

    def notifications_enabled(self) -> bool:
        runspace = self.runspace
        if runspace is None:
            return False
        try:
            value = runspace.get_variable(NOTIFICATION_VARIABLE)
        except Exception:
            return True
        if value is None:
            return True
        from pshell.engine.values import to_bool
        return to_bool(value)


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




class FinishedHandle:
    """A job's ``Finished`` property: ``WaitOne([timeout ms])`` waits for the job's end."""

    ps_type_names = ("System.Threading.ManualResetEvent", "System.Threading.WaitHandle")
    ps_properties = ("SafeWaitHandle",)

    def __init__(self, event: threading.Event) -> None:
        self._event = event
        self.SafeWaitHandle = None

    def WaitOne(self, timeout: Any = None) -> bool:
        seconds = None if timeout is None or int(timeout) < 0 else int(timeout) / 1000.0
        return self._event.wait(seconds)

    def ToString(self) -> str:
        return "System.Threading.ManualResetEvent"

    def __str__(self) -> str:
        return self.ToString()


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
