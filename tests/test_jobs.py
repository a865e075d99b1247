"""Background jobs: the job model (engine/jobs.py) and the job cmdlets, end to end.

The first part drives the model through its executor interface (what the remoting layer uses);
the second runs real script text through a Runspace, as a user would.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time

import pytest

from pshell.engine import jobs as jobmod
from pshell.engine.errors import ErrorRecord
from pshell.engine.jobs import (Job, JobBuffer, JobError, JobManager, JobState, JobWaiter,
                                derive_parent_state)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def state_home(tmp_path, monkeypatch):
    """Spill files go to a private state directory per test."""
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    monkeypatch.setattr(jobmod, "_cleaned_stale", False)
    return home


def _parent_with(n: int, type_name: str = "RemoteJob") -> Job:
    parent = Job("work", type_name=type_name)
    for i in range(n):
        parent.add_child(Job("work", location=f"host{i}"))
    return parent


# --------------------------------------------------------------------------- the model

class TestStates:
    def test_all_states_and_parse(self):
        for name in ("NotStarted", "Running", "Completed", "Failed", "Stopped", "Blocked",
                     "Suspended", "Disconnected", "Stopping"):
            assert JobState.parse(name.lower()) == name
        assert JobState.FINISHED == {"Completed", "Failed", "Stopped"}
        with pytest.raises(ValueError) as info:
            JobState.parse("Sleeping")
        assert "Sleeping" in str(info.value) and "Completed" in str(info.value)

    def test_final_states_never_change(self):
        job = Job("x")
        job.set_state(JobState.Running)
        job.set_state(JobState.Completed)
        assert not job.set_state(JobState.Running)
        assert job.State == JobState.Completed
        assert job.PSBeginTime is not None and job.PSEndTime >= job.PSBeginTime

    def test_parent_rules(self):
        R, C, F, S = JobState.Running, JobState.Completed, JobState.Failed, JobState.Stopped
        D, B, N = JobState.Disconnected, JobState.Blocked, JobState.NotStarted
        assert derive_parent_state([R, C], False, N) == R
        assert derive_parent_state([C, C], False, R) == C
        assert derive_parent_state([C, F], False, R) == F
        assert derive_parent_state([C, S], True, R) == S
        assert derive_parent_state([C, C], True, R) == S
        assert derive_parent_state([F, S], True, R) == F
        assert derive_parent_state([C, D], False, R) == D
        assert derive_parent_state([R, B], False, R) == B
        assert derive_parent_state([N, N], False, N) == N
        assert derive_parent_state([R, C], True, R) == JobState.Stopping

    def test_parent_follows_children(self):
        parent = _parent_with(3)
        a, b, c = parent.ChildJobs
        assert parent.State == JobState.NotStarted
        a.set_state(JobState.Running)
        assert parent.State == JobState.Running and parent.PSBeginTime is not None
        a.set_state(JobState.Completed)
        b.set_state(JobState.Running)
        b.fail("host1 could not be reached")
        assert parent.State == JobState.Running
        c.set_state(JobState.Completed)
        assert parent.State == JobState.Failed
        assert "host1 could not be reached" in str(parent.JobStateInfo.Reason)
        assert parent.Location == "host0,host1,host2"

    def test_ids_shared_by_parents_and_children(self):
        first = _parent_with(1)
        second = _parent_with(1)
        assert first.ChildJobs[0].Id == first.Id + 1
        assert second.Id == first.Id + 2
        assert first.Name == f"Job{first.Id}"
        assert len(first.InstanceId) == 36 and first.InstanceId != second.InstanceId

    def test_listeners_fire_on_state_change(self):
        job = Job("x")
        seen = []
        job.add_listener(lambda j: seen.append(j.State))
        job.set_state(JobState.Running)
        job.set_state(JobState.Completed)
        assert seen == ["Running", "Completed"]
        assert job.wait(0)


class TestBuffers:
    def test_receive_gives_each_record_once_in_order(self):
        job = Job("x")
        for i in range(5):
            job.add_output(i)
        assert [item for _, _, item in job.receive()] == [0, 1, 2, 3, 4]
        assert list(job.receive()) == []
        job.add_output(5)
        job.add_error(ErrorRecord("bad"))
        assert [(s, str(i)) for _, s, i in job.receive()] == [("output", "5"), ("error", "bad")]

    def test_keep_then_plain_receive(self):
        job = Job("x")
        job.add_output("a")
        job.add_warning("careful")
        assert [i for _, _, i in job.receive(keep=True)][0] == "a"
        assert job.HasMoreData
        assert job.Output == ["a"] and str(job.Warning[0]) == "careful"
        got = list(job.receive())
        assert [s for _, s, _ in got] == ["output", "warning"]
        assert not job.HasMoreData

    def test_parent_has_more_data_semantics(self):
        parent = _parent_with(2)
        a, b = parent.ChildJobs
        assert parent.HasMoreData        # not finished yet
        a.set_state(JobState.Running)
        a.add_output(1)
        a.set_state(JobState.Completed)
        b.set_state(JobState.Completed)
        assert parent.HasMoreData and a.HasMoreData and not b.HasMoreData
        assert [i for _, _, i in parent.receive()] == [1]
        assert not parent.HasMoreData

    def test_no_recurse_and_locations(self):
        parent = _parent_with(2)
        parent.ChildJobs[0].add_output("zero")
        parent.ChildJobs[1].add_output("one")
        assert list(parent.receive(recurse=False)) == []
        assert [i for _, _, i in parent.receive(locations=["HOST1"])] == ["one"]
        assert [i for _, _, i in parent.receive()] == ["zero"]

    def test_concurrent_writer_and_readers_lose_nothing(self):
        job = Job("x")
        job._buffer.max_items = 50          # force spilling while reading
        total = 20000
        got = []

        def writer():
            for i in range(total):
                job.add_output(i)

        thread = threading.Thread(target=writer)
        thread.start()
        while thread.is_alive() or job.HasMoreData:
            got.extend(item for _, _, item in job.receive())
        thread.join()
        got.extend(item for _, _, item in job.receive())
        assert got == list(range(total))

    def test_spill_file_private_and_removed(self, state_home):
        buffer = JobBuffer("spilltest", max_items=100)
        for i in range(1000):
            buffer.append("output", i)
        path = buffer.spill_path
        assert path is not None and path.startswith(str(state_home))
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
        assert len(buffer._mem) < 100
        items = [i for batch in buffer.take() for _, i in batch]
        assert items == list(range(1000))
        buffer.close()
        assert not os.path.exists(path)

    def test_spill_keeps_unpicklable_records_in_order(self):
        buffer = JobBuffer("pins", max_items=10)
        marker = threading.Lock()            # can't be pickled
        for i in range(25):
            buffer.append("output", marker if i == 12 else i)
        kept = [i for batch in buffer.peek() for _, i in batch]
        taken = [i for batch in buffer.take() for _, i in batch]
        assert kept == taken
        assert taken[12] is marker and taken[13] == 13 and len(taken) == 25
        buffer.close()

    def test_take_ends_even_while_the_writer_goes_on(self):
        buffer = JobBuffer("busy")
        for i in range(10):
            buffer.append("output", i)
        taken = []
        for batch in buffer.take():
            taken.extend(batch)
            buffer.append("output", "late")
        assert len(taken) == 10 and buffer.unread == 1

    def test_removed_job_deletes_its_spill_file(self):
        manager = JobManager()
        parent = manager.add(_parent_with(1, "BackgroundJob"))
        child = parent.ChildJobs[0]
        child._buffer.max_items = 10
        for i in range(100):
            child.add_output(i)
        path = child._buffer.spill_path
        assert path and os.path.exists(path)
        child.set_state(JobState.Completed)
        manager.remove(parent)
        assert not os.path.exists(path)
        assert manager.get(parent.Id) is None and manager.get(child.Id) is None


class TestManager:
    def test_remove_running_refused_then_forced(self):
        manager = JobManager()
        parent = manager.add(_parent_with(1))
        parent.ChildJobs[0].set_state(JobState.Running)
        with pytest.raises(JobError) as info:
            manager.remove(parent)
        assert info.value.message == (
            f"The command cannot remove the job with the job ID {parent.Id} because the job is not "
            f"finished. To remove the job, first stop the job, or use the Force parameter.")
        with pytest.raises(JobError):
            manager.remove(parent.ChildJobs[0], force=True)   # children go with their parent
        manager.remove(parent, force=True)
        assert parent.State == JobState.Stopped
        assert manager.jobs() == []

    def test_stop_handler_is_called_and_state_follows(self):
        manager = JobManager()
        parent = manager.add(_parent_with(2))
        calls = []
        for child in parent.ChildJobs:
            child.set_state(JobState.Running)
            child.stop_handler = (lambda c=child: (calls.append(c.Id),
                                                   c.set_state(JobState.Stopped)))
        parent.stop()
        assert sorted(calls) == [c.Id for c in parent.ChildJobs]
        assert parent.State == JobState.Stopped

    def test_stop_of_unresponsive_work_is_forced_within_a_second(self):
        child = Job("x")
        parent = Job("x", type_name="RemoteJob")
        parent.add_child(child)
        child.set_state(JobState.Running)
        child.stop_handler = lambda: None       # the work ignores the request
        started = time.monotonic()
        parent.stop()
        assert time.monotonic() - started < 1.0
        assert parent.State == JobState.Stopped
        child.add_output("late")                # a late record is dropped
        assert not child.HasMoreData

    def test_stopped_job_keeps_what_it_wrote(self):
        job = Job("x")
        job.set_state(JobState.Running)
        job.add_output(1)
        job.stop_handler = lambda: job.set_state(JobState.Stopped)
        job.stop()
        assert job.State == JobState.Stopped and job.HasMoreData
        assert [i for _, _, i in job.receive()] == [1]

    def test_notice_goes_to_host_unless_turned_off(self):
        class Host:
            def __init__(self):
                self.seen = []

            def job_finished(self, job):
                self.seen.append(jobmod.job_notice(job))

        class FakeRunspace:
            def __init__(self):
                self.host = Host()
                self.vars = {}

            def get_variable(self, name, default=None):
                return self.vars.get(name.lower(), default)

        rs = FakeRunspace()
        manager = JobManager(rs)
        first = manager.add(_parent_with(1))
        first.ChildJobs[0].set_state(JobState.Completed)
        assert rs.host.seen == [f"[{first.Id}] {first.Name} Completed"]
        rs.vars["psjobnotifications"] = False
        second = manager.add(_parent_with(1))
        second.ChildJobs[0].set_state(JobState.Completed)
        assert len(rs.host.seen) == 1

    def test_waiter_wakes_on_data_and_state(self):
        job = Job("x")
        with JobWaiter([job], data=True) as waiter:
            threading.Timer(0.05, job.add_output, args=(1,)).start()
            assert waiter.wait(5)
            threading.Timer(0.05, job.set_state, args=(JobState.Completed,)).start()
            assert waiter.wait(5)
        assert job.is_finished
