"""ForEach-Object -Parallel: each input object runs the block in a runspace of its own, on a
thread, at most ``throttle`` at a time.  The runspaces share the caller's environment dict
(``Runspace.environ``), as thread jobs do; ``$using:`` values are the caller's objects
themselves (a hashtable changed in a block is changed for the caller)."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

__all__ = ["run_parallel"]


def run_parallel(block: Any, items: Iterable[Any], location: str, environ: Dict[str, str],
                 using: Dict[str, Any], throttle: int, timeout: Optional[float],
                 stop: threading.Event, tagged: bool = False) -> Iterator[Tuple[Any, ...]]:
    """Yield ``("output", item)`` and ``(stream, record)`` as the blocks produce them (in the
    order they finish), and ``("timeout", n)`` when ``timeout`` seconds passed with n blocks
    still running (they are stopped).  ``tagged``: each event also carries the index of its
    input object, and ``("done", failed, index)`` says a block ended."""
    import queue
    from pshell.engine.job_runner import _private_copy
    from pshell.engine.runtime import Runspace
    from pshell.engine.streams import CollectingStreams
    results: "queue.Queue[Any]" = queue.Queue()
    gate = threading.Semaphore(max(1, throttle))
    running: List[Any] = []
    lock = threading.Lock()
    text = getattr(block, "text", None) or str(block)
    wrapped = f"process {{ {text}\n}}"

    def one(index: int, item: Any) -> None:
        failed = False

        def put(stream: str, value: Any) -> None:
            results.put((stream, value, index) if tagged else (stream, value))

        with gate:
            if stop.is_set():
                results.put(("done", True, index) if tagged else None)
                return
            streams = CollectingStreams()
            rs = Runspace(location=location, environ=environ)
            with lock:
                running.append(rs)
            try:
                for value in rs.invoke_iter(wrapped, input=[item], using=using, streams=streams,
                                            source="<ForEach-Object -Parallel>"):
                    put("output", value)
            except Exception as exc:            # a terminating error ends this block only
                record = getattr(exc, "record", None)
                put("error", record if record is not None else str(exc))
                failed = True
            finally:
                for stream, record in streams.records:
                    put(stream, record)
                with lock:
                    running.remove(rs)
                results.put(("done", failed, index) if tagged else None)

    threads = []
    for index, item in enumerate(items):
        thread = threading.Thread(target=one, args=(index, item), daemon=True,
                                  name="pshell-foreach-parallel")
        thread.start()
        threads.append(thread)
    del _private_copy
    deadline = None if not timeout or timeout <= 0 else time.monotonic() + timeout
    pending = len(threads)
    while pending:
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            event = results.get(timeout=wait if wait is None else min(wait, 0.5))
        except queue.Empty:
            if stop.is_set() or (deadline is not None and time.monotonic() >= deadline):
                stop.set()
                with lock:
                    for rs in list(running):
                        rs.stop()
                if deadline is not None and time.monotonic() >= deadline:
                    yield ("timeout", pending)
                    deadline = None
            continue
        if event is None:
            pending -= 1
            continue
        if event[0] == "done":
            pending -= 1
        yield event


def parallel_job(jobs: Any, block: Any, items: List[Any], location: str, environ: Dict[str, str],
                 using: Dict[str, Any], throttle: int, timeout: Optional[float], command: str) -> Any:
    """ForEach-Object -Parallel -AsJob: a PSTaskJob with a PSTaskChildJob per input object (as
    PowerShell's PSTask.cs), each fed by its block as it runs; returns the parent at once."""
    from pshell.engine.jobs import Job, JobState
    stop = threading.Event()
    parent = Job(command, type_name="PSTaskJob", location="PowerShell",
                 type_names=("System.Management.Automation.PSTaskJob",))
    children = []
    for _ in items:
        child = Job(command, type_name="PSTaskChildJob", location="PowerShell",
                    type_names=("System.Management.Automation.PSTaskChildJob",))
        child.stop_handler = stop.set
        parent.add_child(child)
        children.append(child)
    jobs.add(parent)
    for child in children:
        child.set_state(JobState.Running)

    def drive() -> None:
        for event in run_parallel(block, items, location, environ, using, throttle, timeout, stop,
                                  tagged=True):
            if event[0] == "timeout":
                for child in children:
                    if not child.is_finished:
                        child.add_record("error", f"The script block still ran after "
                                                  f"-TimeoutSeconds {timeout} and was stopped.")
                continue
            if event[0] == "done":
                child = children[event[2]]
                child.set_state(JobState.Stopped if stop.is_set() and not event[1] else
                                JobState.Failed if event[1] else JobState.Completed)
                continue
            stream, value, index = event
            children[index].add_record(stream, value)
        if not children:
            parent.set_state(JobState.Completed)

    threading.Thread(target=drive, daemon=True, name="pshell-pstaskjob").start()
    return parent
