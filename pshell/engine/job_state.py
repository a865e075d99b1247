"""A job's states: PowerShell's JobState names, the JobStateInfo a job shows, and how a parent's
state follows from its children's."""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Sequence, Tuple

__all__ = ["JobState", "JobStateInfo", "derive_parent_state"]


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
