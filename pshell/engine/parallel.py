"""ForEach-Object -Parallel: each input object runs the block in a runspace of its own, on a
thread, at most ``throttle`` at a time.  The runspaces share the caller's environment dict
(``Runspace.environ``), as thread jobs do; ``$using:`` values are the caller's objects
themselves (a hashtable changed in a block is changed for the caller).

Runspaces come from a pool of at most ``throttle``: a runspace whose block ended is given the
next input object (its variables stay, as in pwsh), unless ``new_runspace`` asks for a fresh one
per object.  Python's GIL lets one thread run Python code at a time, so blocks that compute gain
nothing from running in parallel; blocks that wait (native commands, Start-Sleep, remoting, file
and network I/O) do run side by side.

A block's terminating error (``throw``, a stop) comes back as an error whose id is
PSTaskException, the original exception kept; a cmdlet's own terminating error keeps its record.
"""

from __future__ import annotations

import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Iterator, List, Optional, Set, Tuple

__all__ = ["run_parallel", "parallel_job", "RunspacePool", "task_error", "using_names"]


def using_names(ast: Any) -> Tuple[List[str], List[str]]:
    """The ``$using:`` names (lower case) of a script block's syntax tree: its own, and those only
    in script blocks nested in it (which may be another -Parallel's, defined in that runspace)."""
    from pshell.lang.ast import Node, ScriptBlockAst, Variable
    own: Set[str] = set()
    nested: Set[str] = set()
    stack: List[Tuple[Any, bool]] = [(ast, False)]
    while stack:
        node, inner = stack.pop()
        if isinstance(node, Variable):
            if node.scope == "using":
                (nested if inner else own).add(node.name.lower())
        elif isinstance(node, Node):
            inner = inner or (isinstance(node, ScriptBlockAst) and node is not ast)
            stack.extend((getattr(node, name, None), inner) for name in getattr(node, "_fields", ()))
        elif isinstance(node, (list, tuple)):
            stack.extend((item, inner) for item in node)
        elif isinstance(node, dict):
            stack.extend((item, inner) for item in node.values())
    return sorted(own), sorted(nested - own)


class RunspacePool:
    """At most one runspace per running block; ``allocated`` counts those ever made."""

    def __init__(self, location: str, environ: Dict[str, str], new_runspace: bool = False) -> None:
        self.location = location
        self.environ = environ
        self.new_runspace = new_runspace
        self.allocated = 0
        self._free: List[Any] = []
        self._lock = threading.Lock()

    def take(self) -> Any:
        from pshell.engine.runtime import Runspace
        with self._lock:
            if self._free:
                rs = self._free.pop()
                rs.location = self.location
                return rs
            self.allocated += 1
        return Runspace(location=self.location, environ=self.environ)

    def give(self, rs: Any) -> None:
        if self.new_runspace or rs.stopping:
            rs.close()
            return
        with self._lock:
            self._free.append(rs)


def task_error(exc: BaseException, stopped_why: str = "") -> Any:
    """The error record a block's terminating error becomes (see the module docstring);
    ``stopped_why`` says why a stopped block was stopped."""
    from pshell.engine.errors import ErrorRecord, ExceptionInfo, PipelineStopped
    record = getattr(exc, "record", None)
    if isinstance(exc, PipelineStopped):
        info = ExceptionInfo(stopped_why or "The pipeline has been stopped.",
                             "System.Management.Automation.PipelineStoppedException")
        return ErrorRecord(info.Message, "PSTaskException", "OperationStopped", exception=info)
    if record is not None and not getattr(exc, "script_terminating", False) and \
            ",Microsoft.PowerShell.Commands." in str(record.FullyQualifiedErrorId):
        return record
    if record is not None:
        return ErrorRecord(record.message, "PSTaskException", "InvalidResult", record.TargetObject,
                           record.location, exception=record.Exception)
    return ErrorRecord(str(exc) or type(exc).__name__, "PSTaskException", "InvalidResult")


def run_parallel(block: Any, items: Iterable[Any], location: str, environ: Dict[str, str],
                 using: Dict[str, Any], throttle: int, timeout: Optional[float],
                 stop: threading.Event, tagged: bool = False,
                 pool: Optional[RunspacePool] = None) -> Iterator[Tuple[Any, ...]]:
    """Yield ``("output", item)`` and ``(stream, record)`` as the blocks produce them (in the
    order they finish).  After ``timeout`` seconds the blocks still running are stopped (each
    reports a PSTaskException error) and those not started never start.  ``tagged``: each
    event also carries the index of its input object, ``("start", None, index)`` says a block
    began and ``("done", failed, index)`` that it ended."""
    import queue
    from pshell.engine.streams import CollectingStreams
    results: "queue.Queue[Any]" = queue.Queue()
    gate = threading.Semaphore(max(1, throttle))
    running: List[Any] = []
    lock = threading.Lock()
    pool = pool if pool is not None else RunspacePool(location, environ)
    timed_out = threading.Event()
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
            rs = pool.take()
            with lock:
                running.append(rs)
            if tagged:
                put("start", None)
            try:
                for value in rs.invoke_iter(wrapped, input=[item], using=using, streams=streams,
                                            source="<ForEach-Object -Parallel>"):
                    put("output", value)
            except Exception as exc:            # a terminating error ends this block only
                why = f"The block still ran after -TimeoutSeconds {timeout} and was stopped." \
                    if timed_out.is_set() else ""
                put("terminating" if tagged else "error", task_error(exc, why))
                failed = True
            finally:
                for stream, record in streams.records:
                    put(stream, record)
                with lock:
                    running.remove(rs)
                pool.give(rs)
                results.put(("done", failed, index) if tagged else None)

    threads = []
    for index, item in enumerate(items):
        thread = threading.Thread(target=one, args=(index, item), daemon=True,
                                  name="pshell-foreach-parallel")
        thread.start()
        threads.append(thread)
    deadline = None if not timeout or timeout <= 0 else time.monotonic() + timeout
    pending = len(threads)
    while pending:
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            event = results.get(timeout=0.5 if wait is None else min(wait, 0.5))
        except queue.Empty:
            if stop.is_set() or (deadline is not None and time.monotonic() >= deadline):
                if not stop.is_set():
                    timed_out.set()
                stop.set()
                deadline = None
                with lock:
                    for rs in list(running):
                        rs.stop()
            continue
        if event is None:
            pending -= 1
            continue
        if event[0] == "done":
            pending -= 1
        yield event


_TASK_JOB: Any = None


def _task_job_class() -> Any:
    """PSTaskJob: a Job that also tells how many runspaces its pool made (made on first use, so
    importing this module does not import the job machinery)."""
    global _TASK_JOB
    if _TASK_JOB is None:
        from pshell.engine.jobs import Job

        class PSTaskJob(Job):
            pool: Optional[RunspacePool] = None

            @property
            def AllocatedRunspaceCount(self) -> int:
                return self.pool.allocated if self.pool is not None else 0

        _TASK_JOB = PSTaskJob
    return _TASK_JOB


def parallel_job(jobs: Any, block: Any, items: List[Any], location: str, environ: Dict[str, str],
                 using: Dict[str, Any], throttle: int, command: str, new_runspace: bool = False) -> Any:
    """ForEach-Object -Parallel -AsJob: a PSTaskJob with a PSTaskChildJob per input object (as
    PowerShell's), each NotStarted until its block runs and fed as it runs; returns the parent at
    once.  The parent's AllocatedRunspaceCount says how many runspaces the pool made."""
    from pshell.engine.jobs import Job, JobState
    stop = threading.Event()
    pool = RunspacePool(location, environ, new_runspace)
    parent = _task_job_class()(command, type_name="PSTaskJob", location="PowerShell",
                               type_names=("System.Management.Automation.PSTaskJob",))
    parent.pool = pool
    children = []
    for _ in items:
        child = Job(command, type_name="PSTaskChildJob", location="PowerShell",
                    type_names=("System.Management.Automation.PSTaskChildJob",))
        child.stop_handler = stop.set
        parent.add_child(child)
        children.append(child)
    jobs.add(parent)

    def drive() -> None:
        for event in run_parallel(block, items, location, environ, using, throttle, None, stop,
                                  tagged=True, pool=pool):
            stream, value, index = event
            child = children[index]
            if stream == "start":
                child.set_state(JobState.Running)
            elif stream == "terminating":
                if stop.is_set():           # Stop-Job: the block ended because it was stopped
                    child.set_state(JobState.Stopped)
                else:
                    child.fail(value)
            elif stream == "done":
                if not child.is_finished:
                    child.set_state(JobState.Stopped if stop.is_set() else JobState.Completed)
            else:
                child.add_record(stream, value)
        if not children:
            parent.set_state(JobState.Completed)

    threading.Thread(target=drive, daemon=True, name="pshell-pstaskjob").start()
    return parent
