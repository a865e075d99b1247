"""Running local jobs: a pool of threads, the job's runspace and the host that feeds its buffer.

A local job (Start-Job, Start-ThreadJob, ``pipeline &``) is :class:`LocalWork` run on a pooled
thread (never a process): a fresh ``Runspace`` whose environment is a copy of the caller's
(Start-Job) or the caller's own (thread jobs), with :class:`JobStreams` as its host so every stream
lands in the job's buffer.  The job model itself is ``engine/jobs.py``.
"""

from __future__ import annotations

import threading

from pshell.engine.jobs import Job, JobState, command_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple
    from pshell.engine.runtime import Runspace

__all__ = ["LocalWork", "JobStreams", "POOL", "start_background_job"]


# --------------------------------------------------------------------------- local work

class _Worker:
    __slots__ = ("task", "event")

    def __init__(self, task: Callable[[], None]) -> None:
        self.task: Optional[Callable[[], None]] = task
        self.event = threading.Event()


class _ElasticPool:
    """Threads that run job work: an idle thread is reused, otherwise a new one is started (jobs
    may block for ever, so there is no upper bound); idle threads retire after a while."""

    def __init__(self, idle_timeout: float = 10.0) -> None:
        self._idle: List[_Worker] = []
        self._lock = threading.Lock()
        self._idle_timeout = idle_timeout

    def submit(self, task: Callable[[], None]) -> None:
        with self._lock:
            if self._idle:
                worker = self._idle.pop()
                worker.task = task
                worker.event.set()
                return
        worker = _Worker(task)
        threading.Thread(target=self._run, args=(worker,), name="pshell-job", daemon=True).start()

    def _run(self, worker: _Worker) -> None:
        while True:
            task = worker.task
            if task is not None:
                try:
                    task()
                except BaseException:   # the task reports its own failures; never kill the pool
                    pass
            with self._lock:
                worker.task = None
                worker.event.clear()
                self._idle.append(worker)
            if not worker.event.wait(self._idle_timeout):
                with self._lock:
                    if worker.task is None:
                        self._idle.remove(worker)
                        return


POOL = _ElasticPool()


class JobStreams:
    """The host of a job's runspace: every stream goes to the job's buffer.  It has the methods of
    ``engine.streams.Streams`` and of a plain host, so the runtime can use it as either."""

    is_terminal = False
    interactive = False
    width = 120

    def __init__(self, job: Job) -> None:
        self.job = job

    def error(self, record: Any) -> None:
        self.job.add_record("error", record)

    def warning(self, record: Any) -> None:
        self.job.add_record("warning", record)

    def verbose(self, record: Any) -> None:
        self.job.add_record("verbose", record)

    def debug(self, record: Any) -> None:
        self.job.add_record("debug", record)

    def information(self, record: Any) -> None:
        self.job.add_record("information", record)

    def progress(self, record: Any) -> None:
        self.job.add_record("progress", record)

    def write_objects(self, objects: Iterable[Any]) -> None:
        for item in objects:
            self.job.add_record("output", item)

    def write_text(self, text: str, newline: bool = True) -> None:
        from pshell.engine.streams import InformationRecord
        self.job.add_record("information", InformationRecord(text, ("PSHOST",), host=True,
                                                             newline=newline))

    def read_line(self, prompt: str = "", secure: bool = False) -> str:
        from pshell.engine.errors import RuntimeException
        raise RuntimeException.make(
            "A background job cannot read input: it has no console. Pass values to the job with "
            "-ArgumentList, -InputObject or $using: instead.", "JobCannotReadHost",
            "InvalidOperation")

    def job_finished(self, job: Job) -> None:
        """Jobs started inside a job don't notify anyone."""

    def clear_screen(self) -> None:
        """Clear-Host in a job must not touch the caller's terminal."""

    def write_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write_text(line)

    def parse_error(self, error: Any) -> None:
        from pshell.engine.errors import RuntimeException
        self.error(RuntimeException.make(error.message, "ParseError", "ParserError",
                                         location=error.location).record)

    session_stack: Any = None
    job_notice: Any = None
    location: Any = None
    name = "pshell"


class StreamingJobStreams(JobStreams):
    """A thread job's host with ``-StreamingHost``: every record goes to the job's buffer and,
    as it happens, to the given host too; Read-Host asks that host."""

    def __init__(self, job: Job, host: Any) -> None:
        super().__init__(job)
        self.streaming = host

    def _forward(self, stream: str, record: Any) -> None:
        target = getattr(self.streaming, stream, None)
        if target is not None:
            try:
                target(record)
            except Exception:
                pass

    def error(self, record: Any) -> None:
        super().error(record)
        self._forward("error", record)

    def warning(self, record: Any) -> None:
        super().warning(record)
        self._forward("warning", record)

    def verbose(self, record: Any) -> None:
        super().verbose(record)
        self._forward("verbose", record)

    def debug(self, record: Any) -> None:
        super().debug(record)
        self._forward("debug", record)

    def information(self, record: Any) -> None:
        super().information(record)
        self._forward("information", record)

    def read_line(self, prompt: str = "", secure: bool = False) -> str:
        reader = getattr(self.streaming, "read_line", None)
        if reader is None:
            return super().read_line(prompt, secure)
        return reader(prompt, secure)


class LocalWork:
    """What a local job runs: a script block (or script text) with its inputs, in a new Runspace
    started in ``location`` with ``environ`` as its environment (the dict itself: Start-Job hands
    a copy of the caller's, as a new process would get; Start-ThreadJob the caller's own, shared
    as threads share it; None: a copy of the process's)."""

    def __init__(self, block: Any, location: str, args: Sequence[Any] = (), input: Any = None,
                 using: Optional[Dict[str, Any]] = None, init: Any = None,
                 source: str = "<job>", environ: Optional[Dict[str, str]] = None,
                 variables: Optional[Dict[str, Any]] = None) -> None:
        self.block = block
        self.variables = variables or {}    # set in the job's global scope before it runs
        self.location = location
        self.environ = environ
        self.args = list(args)
        self.input = input
        self.using = using or {}
        self.init = init
        self.source = source
        self.streaming_host: Any = None     # Start-ThreadJob -StreamingHost

    def run(self, job: Job) -> None:
        """Run in the calling (pool) thread, reporting into ``job``."""
        if job.is_finished or job.stop_requested:
            job.set_state(JobState.Stopped)
            return
        from pshell.engine import errors
        try:
            from pshell.engine.runtime import Runspace
            host = JobStreams(job) if self.streaming_host is None \
                else StreamingJobStreams(job, self.streaming_host)
            runspace = Runspace(host=host, location=self.location, environ=self.environ)
        except Exception as exc:
            job.fail(f"The job could not start: {exc}")
            return
        job.stop_handler = runspace.stop
        job.set_state(JobState.Running)
        if job.stop_requested:
            runspace.stop()
        try:
            self._invoke(job, runspace)
        except errors.PipelineStopped:
            job.set_state(JobState.Stopped)
        except errors.ExitException:
            pass
        except errors.FlowControl:
            pass
        except errors.RuntimeException as exc:
            if job.stop_requested:
                job.set_state(JobState.Stopped)
            else:
                job.fail(exc.record)
        except RecursionError:
            job.fail("The script failed due to call depth overflow.")
        except Exception as exc:  # an engine bug: fail the job with a readable reason
            job.fail(f"The job failed: {type(exc).__name__}: {exc}")
        finally:
            job.stop_handler = None
            try:
                runspace.close()
            except Exception:
                pass
        job.set_state(JobState.Stopped if job.stop_requested else JobState.Completed)

    def _invoke(self, job: Job, runspace: "Runspace") -> None:
        add = job.add_output
        runspace.global_scope.vars.update(self.variables)
        if self.init is not None:
            for item in self._start(runspace, job, _private_copy(self.init)):
                add(item)
        for item in self._start(runspace, job, _private_copy(self.block), self.args, self.input,
                                self.using):
            add(item)

    def _start(self, runspace: "Runspace", job: Job, block: Any, args: Sequence[Any] = (),
               input: Any = None, using: Optional[Dict[str, Any]] = None) -> Iterator[Any]:
        output = runspace.invoke_iter(block, args=args, input=input, using=using,
                                      source=self.source)
        if job.stop_requested:       # invoke_iter clears the stop flag: re-assert a racing stop
            runspace.stop()
        return output


_UNITS: Dict[Tuple[str, str], Any] = {}
_UNITS_LOCK = threading.Lock()
_UNITS_MAX = 256


def _private_copy(block: Any) -> Any:
    """The block, compiled in a unit of the jobs' own.  The caller's unit is compiled lazily by
    the caller's thread, and compiling into it from a job's thread would race with it; so a job
    gets its block from a unit that was parsed and compiled completely (nested blocks included)
    once, under a lock, and is only read afterwards - shared by every job running that text."""
    text = getattr(block, "text", None)
    unit = getattr(block, "unit", None)
    if not isinstance(text, str) or unit is None:
        return block
    key = (text, getattr(unit, "source", "<job>"))
    with _UNITS_LOCK:
        found = _UNITS.get(key)
        if found is None:
            from pshell.engine.compiler import Unit
            found = Unit.from_text(key[0], key[1])
            for node in _script_blocks(found.root):
                found.compile_block(node)
            if len(_UNITS) >= _UNITS_MAX:
                _UNITS.clear()
            _UNITS[key] = found
    return found.script_block()


def _script_blocks(node: Any) -> Iterator[Any]:
    """Every script block node in an AST (the root included)."""
    from pshell.lang.ast import Node, ScriptBlockAst
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (list, tuple)):
            stack.extend(current)
            continue
        if not isinstance(current, Node):
            continue
        if isinstance(current, ScriptBlockAst):
            yield current
        for name in getattr(current, "_fields", ()):
            value = getattr(current, name, None)
            if isinstance(value, (list, tuple, Node)):
                stack.append(value)


def start_background_job(ctx: Any, block: Any, using: Optional[Dict[str, Any]] = None,
                         variables: Optional[Dict[str, Any]] = None) -> Job:
    """The background operator ``pipeline &``: start ``block`` (the pipeline as a script block) as
    a BackgroundJob in the caller's current directory and return the job.  ``using`` holds the
    ``$using:`` values computed in the caller (computed here when None); ``variables`` the
    caller's variables the pipeline names, which the job starts with (as pwsh 7 reads each as
    ``$using:``)."""
    runspace = ctx.runspace
    if using is None:
        compute = getattr(block, "using_values", None)
        using = compute(ctx) if compute is not None else {}
    work = LocalWork(block, runspace.location, using=using, environ=dict(runspace.environ),
                     variables=variables)
    return runspace.jobs.start_job(work, command_text(block))
