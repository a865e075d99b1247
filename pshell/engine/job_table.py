"""The job table of a runspace (``runspace.jobs``): the jobs Get-Job lists, Remove-Job's rules,
stopping them all when the shell exits, the thread-job queue and the "job finished" notices."""

from __future__ import annotations

import functools
import threading
from collections import deque

from pshell.engine.jobs import STOP_GRACE_SECONDS, Job, JobState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Deque, Dict, Iterator, List, Optional, Tuple
    from pshell.engine.job_runner import LocalWork
    from pshell.engine.runtime import Runspace

__all__ = ["JobManager", "JobError", "NOTIFICATION_VARIABLE", "job_outlives_shell"]

#: Preference variable: ``$PSJobNotifications = $false`` turns off the REPL's "job finished" notice.
NOTIFICATION_VARIABLE = "PSJobNotifications"


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
