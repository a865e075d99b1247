"""Waiting on jobs: a waiter woken by any change of a set of jobs (Wait-Job, Receive-Job -Wait) and
the wait handle of a job's ``Finished`` property."""

from __future__ import annotations

import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional
    from pshell.engine.jobs import Job

__all__ = ["JobWaiter", "FinishedHandle"]


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
