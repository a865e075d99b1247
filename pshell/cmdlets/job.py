"""Start-Job, Start-ThreadJob, Get-Job, Receive-Job, Wait-Job, Stop-Job, Remove-Job.

The job model lives in ``engine/jobs.py``, the job table in ``engine/job_table.py``; these cmdlets
select jobs the way PowerShell does (by object, ``-Id``, ``-Name``, ``-InstanceId``, ``-State``) and
move records from a job's buffers to the caller's streams.
"""

from __future__ import annotations

import os
import time

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.job_runner import LocalWork
from pshell.engine.job_table import JobError
from pshell.engine.job_wait import JobWaiter
from pshell.engine.jobs import Job, JobState, command_text
from pshell.engine.values import PSObject, enumerate_value, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Sequence

__all__ = ["StartJob", "StartThreadJob", "GetJob", "ReceiveJob", "WaitJob", "StopJob", "RemoveJob"]


def _state(value: Any) -> str:
    return JobState.parse(to_str(value))


def _states(value: Any) -> List[str]:
    return [_state(v) for v in enumerate_value(value)]


def _has_wildcard(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def _like(pattern: str, text: str) -> bool:
    from pshell.engine.operators import like_to_regex
    return like_to_regex(pattern).match(text) is not None


def _texts(value: Any) -> List[str]:
    return [to_str(v) for v in enumerate_value(value) if v is not None]


# --------------------------------------------------------------------------- selection

class _JobCmdlet(Cmdlet):
    """Shared job selection: by object, Id, Name, InstanceId, State, Command."""

    @property
    def manager(self) -> Any:
        return self.runspace.jobs

    def _not_found(self, message: str, error_id: str, target: Any) -> None:
        self.write_error(self.error_record(message, error_id, "ObjectNotFound", target))

    def select(self, jobs: Any = None, ids: Any = None, names: Any = None, instance_ids: Any = None,
               states: Any = None, commands: Any = None, everything: bool = False) -> List[Job]:
        """The jobs named by the arguments, in argument order, each once.  A missing Id, name or
        InstanceId is a non-terminating error naming it.  ``everything``: all top-level jobs when
        nothing selects."""
        manager = self.manager
        found: List[Job] = []
        for item in ([] if jobs is None else enumerate_value(jobs)):
            found.extend(self._from_value(item))
        for value in ([] if ids is None else enumerate_value(ids)):
            job = manager.get(int(value))
            if job is None:
                self._not_found(f"The command cannot find a job with the job ID {value}. Verify the "
                                f"value of the Id parameter and then try the command again.",
                                "JobWithSpecifiedSessionIdNotFound", value)
            else:
                found.append(job)
        for name in ([] if names is None else _texts(names)):
            found.extend(self._by_name(name))
        for guid in ([] if instance_ids is None else _texts(instance_ids)):
            job = manager.by_instance_id(guid)
            if job is None:
                self._not_found(f"The command cannot find a job with the instance identifier {guid}. "
                                f"Verify the value of the InstanceId parameter, and then try the "
                                f"command again.", "JobWithSpecifiedInstanceIdNotFound", guid)
            else:
                found.append(job)
        if states is not None:
            wanted = set(_states(states))
            found.extend(j for j in manager.jobs() if j.State in wanted)
        if commands is not None:
            patterns = _texts(commands)
            found.extend(j for j in manager.jobs() if any(_like(p, j.Command) for p in patterns))
        if everything and jobs is None and ids is None and names is None and instance_ids is None \
                and states is None and commands is None:
            found = manager.jobs()
        return _unique(found)

    def _from_value(self, item: Any) -> List[Job]:
        if isinstance(item, Job):
            if self.name == "Get-Job" and self.manager.get(item.Id) is not item:   # removed
                self._not_found(f"The command cannot find the job because the job name {item.Name} was "
                                f"not found. Verify the value of the Name parameter, and then try the "
                                f"command again.", "JobWithSpecifiedNameNotFound", item.Name)
                return []
            return [item]
        if isinstance(item, bool) or item is None:
            pass
        elif isinstance(item, int):
            job = self.manager.get(item)
            if job is not None:
                return [job]
            self._not_found(f"The command cannot find a job with the job ID {item}. Verify the value "
                            f"of the Id parameter and then try the command again.",
                            "JobWithSpecifiedSessionIdNotFound", item)
            return []
        elif isinstance(item, str):
            return self._by_name(item)
        elif isinstance(item, PSObject) and item.get("InstanceId", None) is not None:
            # a job that crossed a connection and came back ($using:j): the same job here
            job = self.manager.by_instance_id(to_str(item.get("InstanceId")))
            if job is not None:
                return [job]
        self.write_error(self.error_record(
            f"Cannot use '{to_str(item)}' as a job: it is not a job of this session. Pass a job "
            f"object from Get-Job, or use -Id or -Name.", "JobParameterNotAJob", "InvalidArgument",
            item))
        return []

    def _by_name(self, name: str) -> List[Job]:
        matches = [j for j in self.manager.jobs() if _like(name, j.Name)] if _has_wildcard(name) \
            else [j for j in self.manager.jobs() if j.Name.lower() == name.lower()]
        if not matches and not _has_wildcard(name):     # a child job, by its own name
            matches = [j for j in self.manager.jobs(include_children=True)
                       if j.Name.lower() == name.lower()]
        if not matches and not _has_wildcard(name):
            self._not_found(f"The command cannot find the job because the job name {name} was not "
                            f"found. Verify the value of the Name parameter, and then try the "
                            f"command again.", "JobWithSpecifiedNameNotFound", name)
        return matches


def _unique(jobs: Sequence[Job]) -> List[Job]:
    seen = set()
    out = []
    for job in jobs:
        if job.Id not in seen:
            seen.add(job.Id)
            out.append(job)
    return out


RECEIVE_COALESCE = 0.005     # Receive-Job -Wait: seconds new output may gather before a take

_SELECT_PARAMS = (
    Param("Job", "object[]", position=0, pipeline=True),
    Param("Id", "int[]", aliases=("SessionId",)),     # about_Remote_Jobs writes -SessionId
    Param("Name", "string[]"),
    Param("InstanceId", "string[]"),
    Param("State", _states),
)


# --------------------------------------------------------------------------- Start-Job

class _StartCmdlet(Cmdlet):
    """Start-Job and Start-ThreadJob: build a LocalWork from the parameters."""

    ScriptBlock: Any
    FilePath: Any
    Name: Any
    InitializationScript: Any
    ArgumentList: Any
    InputObject: Any
    command_text = ""
    _source = "<job>"

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if upstream is not None:
            items: Optional[List[Any]] = []
            for item in upstream:
                items.extend(enumerate_value(item))   # type: ignore[union-attr]
        elif self.is_bound("InputObject"):
            items = list(enumerate_value(self.InputObject))
        else:
            items = None
        yield self.start(self.work(items))

    def work(self, items: Optional[List[Any]]) -> LocalWork:
        block, self.command_text = self._script()
        location = self.runspace.location
        if getattr(self, "WorkingDirectory", None) is not None:
            location = self.resolve_path(to_str(self.WorkingDirectory))
            if not os.path.isdir(location):
                raise self.terminate(f"Cannot find the WorkingDirectory path "
                                     f"{to_str(self.WorkingDirectory)}.",
                                     "StartJobWorkingDirectoryNotFound", "InvalidArgument",
                                     self.WorkingDirectory)
        args = [] if self.ArgumentList is None else list(enumerate_value(self.ArgumentList))
        return LocalWork(block, location, args=args, input=items, using=self._using(block),
                         init=self.InitializationScript, source=self._source,
                         environ=self._environ())

    def _script(self) -> Any:
        self._source = "<job>"
        if self.FilePath is None:
            if self.ScriptBlock is None:
                raise self.terminate("Specify the script block to run with -ScriptBlock, or a "
                                     "script file with -FilePath.", "MissingScriptBlock",
                                     "InvalidArgument")
            return self.ScriptBlock, command_text(self.ScriptBlock)
        path = self.resolve_path(to_str(self.FilePath))
        try:
            with open(path, encoding="utf-8-sig") as handle:
                text = handle.read()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise self.terminate(f"Cannot read the script file '{path}': {reason}.",
                                 "FileOpenFailure", "ReadError", path) from None
        self._source = path
        from pshell.lang.errors import ParseError
        try:
            block = self.runspace.compile(text, path)
        except ParseError as exc:
            raise self.terminate(f"The script file '{path}' has a syntax error: {exc.message}",
                                 "ScriptParseError", "ParserError", path) from None
        return block, text

    def _using(self, block: Any) -> Dict[str, Any]:
        names = getattr(block, "using_names", None)
        if names is None or not names():
            return {}
        frame = getattr(self.ctx, "frame", None)
        return block.using_values(frame) if frame is not None else {}

    def _environ(self) -> Dict[str, str]:
        """The job's environment: a copy of the caller's now (Start-Job, as a new process)."""
        return dict(self.runspace.environ)

    def start(self, work: LocalWork) -> Job:
        raise NotImplementedError


_START_PARAMS = (
    Param("ScriptBlock", "scriptblock", position=0, aliases=("Command",)),
    Param("FilePath", "string"),
    Param("Name", "string"),
    Param("InitializationScript", "scriptblock", position=1),
    Param("ArgumentList", "object[]", aliases=("Args",)),
    Param("InputObject", "object", pipeline=True),
)


@register
class StartJob(_StartCmdlet):
    name = "Start-Job"
    synopsis = "Starts a background job that runs a script block in its own runspace."
    params = _START_PARAMS + (
        Param("WorkingDirectory", "string"),
        Param("LiteralPath", "string", aliases=("PSPath", "LP")),
        Param("PSVersion", "string"),
        Param("RunAs32", "switch"),
        Param("Type", "string"),
    )

    def work(self, items: Optional[List[Any]]) -> LocalWork:
        if self.LiteralPath is not None and self.FilePath is None:
            self.FilePath = self.LiteralPath
        return super().work(items)

    def _using(self, block: Any) -> Dict[str, Any]:
        """A background job gets copies of the $using: values, as across PowerShell's process
        boundary (about_Remote_Variables): the wire's serialisation, so a change in the job
        never reaches the caller's object."""
        values = super()._using(block)
        if not values:
            return values
        from pshell.remote.protocol import deserialize, serialize
        return {name: deserialize(serialize(value, secrets=True)) for name, value in values.items()}

    def start(self, work: LocalWork) -> Job:
        return self.runspace.jobs.start_job(work, self.command_text, name=self.Name)


@register
class StartThreadJob(_StartCmdlet):
    name = "Start-ThreadJob"
    synopsis = "Starts a thread job; at most -ThrottleLimit of them (default 5) run at once."
    params = _START_PARAMS + (
        Param("ThrottleLimit", "int"),
        Param("StreamingHost", "object"),
    )

    def _environ(self) -> Dict[str, str]:
        """The caller's environment itself: a thread job shares it both ways, as threads do."""
        return self.runspace.environ

    def start(self, work: LocalWork) -> Job:
        if self.ThrottleLimit is not None and self.ThrottleLimit < 1:
            raise self.terminate(f"Cannot validate argument on parameter 'ThrottleLimit'. The "
                                 f"{self.ThrottleLimit} argument is less than the minimum allowed "
                                 f"range of 1.", "ParameterArgumentValidationError",
                                 "InvalidData", self.ThrottleLimit)
        work.streaming_host = self.StreamingHost
        return self.runspace.jobs.start_thread_job(work, self.command_text, name=self.Name,
                                                   throttle=self.ThrottleLimit)


# --------------------------------------------------------------------------- Get-Job

@register
class GetJob(_JobCmdlet):
    name = "Get-Job"
    synopsis = "Gets the background jobs of the current session."
    params = (
        Param("Id", "object[]", position=0, by_property=True),
        Param("Name", "string[]", by_property=True),
        Param("InstanceId", "string[]", by_property=True),
        Param("State", _state, by_property=True),
        Param("Command", "string[]", by_property=True),
        Param("HasMoreData", "bool"),
        Param("Newest", "int"),
        Param("Before", "datetime"),
        Param("After", "datetime"),
        Param("IncludeChildJob", "switch"),
        Param("ChildJobState", _state),
        Param("Filter", "hashtable"),
    )

    def process(self) -> Iterator[Any]:
        jobs = self.select(jobs=self.Id, names=self.Name, instance_ids=self.InstanceId,
                           everything=True)
        jobs = [j for j in jobs if self._keep(j)]
        if self.Newest is not None:       # as PowerShell: latest PSEndTime first, unfinished last
            jobs.sort(key=_end_time, reverse=True)
            jobs = jobs[:max(0, self.Newest)]
        if self.IncludeChildJob or self.ChildJobState is not None:
            jobs = self._with_children(jobs)
        yield from jobs

    def _keep(self, job: Job) -> bool:
        if self.State is not None and job.State != self.State:
            return False
        if self.Command is not None and not any(_like(p, job.Command) for p in _texts(self.Command)):
            return False
        if self.HasMoreData is not None and job.HasMoreData != bool(self.HasMoreData):
            return False
        if self.Before is not None and (job.PSEndTime is None or job.PSEndTime >= self.Before):
            return False
        if self.After is not None and (job.PSEndTime is None or job.PSEndTime <= self.After):
            return False
        if self.Filter:
            for key, value in self.Filter.items():
                if to_str(getattr(job, _real_attr(job, str(key)), "")).lower() != \
                        to_str(value).lower():
                    return False
        return True

    def _with_children(self, jobs: List[Job]) -> List[Job]:
        out: List[Job] = []
        for job in jobs:
            out.append(job)
            for member in list(job.iter_tree())[1:]:
                if self.ChildJobState is None or member.State == self.ChildJobState:
                    out.append(member)
        return _unique(out)


def _end_time(job: Job) -> Any:
    import datetime
    return job.PSEndTime or datetime.datetime.min


def _real_attr(job: Job, name: str) -> str:
    for prop in job.ps_properties:
        if prop.lower() == name.lower():
            return prop
    return name


# --------------------------------------------------------------------------- Receive-Job

@register
class ReceiveJob(_JobCmdlet):
    name = "Receive-Job"
    synopsis = "Gets what background jobs have written so far (and removes it, unless -Keep)."
    params = _SELECT_PARAMS[:4] + (
        Param("Location", "string[]", position=1),
        Param("ComputerName", "string[]", aliases=("Cn",)),
        Param("Keep", "switch"),
        Param("NoRecurse", "switch"),
        Param("Wait", "switch"),
        Param("AutoRemoveJob", "switch"),
        Param("WriteEvents", "switch"),
        Param("WriteJobInResults", "switch"),
        Param("Force", "switch"),
    )

    _waiter: Optional[JobWaiter] = None
    _stop_flag = False

    def begin(self) -> None:
        if self.Wait and self.Keep:
            raise self.terminate("The Wait and Keep parameters cannot be used together in the same "
                                 "command.", "BlockCannotBeUsedWithKeep", "InvalidArgument")
        if not self.Wait:
            for flag, message in (
                    ("AutoRemoveJob", "The -AutoRemoveJob parameter cannot be used without the -Wait "
                                      "parameter"),
                    ("WriteEvents", "The WriteEvents parameter cannot be used without the Wait "
                                    "parameter."),
                    ("WriteJobInResults", "The -WriteJobInResults parameter cannot be used without "
                                          "the -Wait parameter"),
                    ("Force", "The -Force parameter cannot be used without the -Wait parameter.")):
                if getattr(self, flag):
                    raise self.terminate(message, f"{flag}CannotBeUsedWithoutWait",
                                         "InvalidArgument")

    def process(self) -> Iterator[Any]:
        jobs = self.select(self.Job, self.Id, self.Name, self.InstanceId)
        for job in jobs:
            if self.Wait:
                yield from self._receive_waiting(job)
            else:
                yield from self._drain(job, keep=bool(self.Keep))

    def _locations(self) -> Optional[List[str]]:
        wanted = _texts(self.Location or []) + _texts(self.ComputerName or [])
        return wanted or None

    def _drain(self, job: Job, keep: bool) -> Iterator[Any]:
        """The job's records to the caller: output to the pipeline; errors and warnings through
        the caller's error/warning handling (-ErrorAction, -ErrorVariable, 2>&1); verbose, debug,
        information and progress records as the job's own preferences already let them through."""
        ctx = self.ctx
        sink = ctx.streams
        for _source, stream, item in job.receive(keep=keep, recurse=not self.NoRecurse,
                                                 locations=self._locations()):
            if stream == "output":
                yield item
            elif stream == "error":
                self.write_error(item)
            elif stream == "warning":
                ctx.write_warning(_message(item))
            elif stream == "verbose":
                sink.verbose(item)
            elif stream == "debug":
                sink.debug(item)
            elif stream == "information":
                info_var = getattr(ctx, "info_var", None)
                if info_var is not None and hasattr(item, "MessageData"):
                    info_var.append(item)
                sink.information(item)
            elif stream == "progress":
                ctx.write_progress(item)

    def _done(self, job: Job) -> bool:
        if job.is_finished:
            return True
        return not self.Force and job.State in (JobState.Suspended, JobState.Disconnected)

    def _receive_waiting(self, job: Job) -> Iterator[Any]:
        if self.WriteJobInResults:
            yield job
        last = job.JobStateInfo
        with JobWaiter([job], data=True) as waiter:
            self._waiter = waiter
            while True:
                done = self._done(job)
                yield from self._drain(job, keep=False)
                if self.WriteEvents and job.JobStateInfo is not last:
                    yield _state_event(job.JobStateInfo, last)
                    last = job.JobStateInfo
                if done or self._stop_flag or self.stopping:
                    break
                if waiter.wait(1.0) and not job.is_finished:
                    # woken by new output: let a little more come before taking it, so that a
                    # fast job is received in batches, not a record per wake-up
                    time.sleep(RECEIVE_COALESCE)
            self._waiter = None
        if self.AutoRemoveJob and job.is_finished and job.parent is None:
            try:
                self.manager.remove(job)
            except JobError:
                pass

    def stop(self) -> None:
        self._stop_flag = True
        waiter = self._waiter
        if waiter is not None:
            waiter.wake()


def _message(item: Any) -> str:
    return to_str(getattr(item, "Message", item))


def _state_event(new: Any, old: Any) -> PSObject:
    return PSObject.from_pairs([("JobStateInfo", new), ("PreviousJobStateInfo", old)],
                               ["System.Management.Automation.JobStateEventArgs"])


# --------------------------------------------------------------------------- Wait-Job

class _CollectingJobCmdlet(_JobCmdlet):
    """Gathers the selected jobs from every input, then acts on them all in ``end``."""

    def begin(self) -> None:
        self._jobs: List[Job] = []

    def process(self) -> None:
        self._jobs.extend(self.select(self.Job, self.Id, self.Name, self.InstanceId, self.State))


@register
class WaitJob(_CollectingJobCmdlet):
    name = "Wait-Job"
    synopsis = "Waits until jobs finish (all of them, or -Any one); -Timeout seconds at most."
    params = _SELECT_PARAMS + (
        Param("Any", "switch"),
        Param("Timeout", "int", aliases=("TimeoutSec",), default=-1),
        Param("Force", "switch"),
    )

    _waiter: Optional[JobWaiter] = None
    _stop_flag = False

    def end(self) -> Iterator[Any]:
        jobs = _unique(self._jobs)
        if not jobs:
            return
        import time
        deadline = None if self.Timeout is None or self.Timeout < 0 else \
            time.monotonic() + self.Timeout
        with JobWaiter(jobs) as waiter:
            self._waiter = waiter
            while True:
                done = [j for j in jobs if self._done(j)]
                if self.Any and done:
                    yield done[0]
                    return
                if len(done) == len(jobs):
                    if any(not j.is_finished for j in jobs):
                        self.write_warning(_SUSPENDED_WARNING)
                    yield from jobs
                    return
                if self._stop_flag or self.stopping:
                    return
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return      # timed out: no output, no error, the jobs run on
                waiter.wait(1.0 if remaining is None else min(1.0, remaining))

    def _done(self, job: Job) -> bool:
        if job.is_finished:
            return True
        return not self.Force and job.State in (JobState.Suspended, JobState.Disconnected)

    def stop(self) -> None:
        self._stop_flag = True
        waiter = self._waiter
        if waiter is not None:
            waiter.wake()


_SUSPENDED_WARNING = ("One or more jobs are in a suspended or disconnected state, and cannot continue "
                      "without additional user input.  Specify the -Force parameter to continue to a "
                      "completed, failed, or stopped state.")


# --------------------------------------------------------------------------- Stop-Job

def _job_target(job: Any) -> str:
    """How -WhatIf and -Confirm name a job."""
    return f"Id: {getattr(job, 'Id', '')} Name: {getattr(job, 'Name', '')}"


@register
class StopJob(_CollectingJobCmdlet):
    name = "Stop-Job"
    synopsis = "Stops background jobs; a stopped job keeps what it wrote until received."
    params = _SELECT_PARAMS + (
        Param("PassThru", "switch"),
    ) + SHOULD_PROCESS_PARAMS

    def end(self) -> Iterator[Any]:
        jobs = [job for job in _unique(self._jobs) if self.should_process(_job_target(job))]
        for job in jobs:           # ask every job first, then wait: stops run in parallel
            job.request_stop()
        import time
        deadline = time.monotonic() + 0.8
        for job in jobs:
            if not job.wait(max(0.0, deadline - time.monotonic())):
                job.force_stopped()
        if self.PassThru:
            yield from jobs


# --------------------------------------------------------------------------- Remove-Job

@register
class RemoveJob(_JobCmdlet):
    name = "Remove-Job"
    synopsis = "Deletes background jobs and what they hold; a running job only with -Force."
    params = _SELECT_PARAMS + (
        Param("Command", "string[]"),
        Param("Force", "switch", aliases=("F",)),
    ) + SHOULD_PROCESS_PARAMS

    def process(self) -> None:
        jobs = self.select(self.Job, self.Id, self.Name, self.InstanceId, self.State, self.Command)
        for job in jobs:
            if not self.should_process(_job_target(job)):
                continue
            try:
                self.manager.remove(job, force=bool(self.Force))
            except JobError as exc:
                self.write_error(self.error_record(exc.message, exc.error_id, exc.category, job))
