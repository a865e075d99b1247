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
                 stop: threading.Event) -> Iterator[Tuple[str, Any]]:
    """Yield ``("output", item)`` and ``(stream, record)`` as the blocks produce them (in the
    order they finish), and ``("timeout", n)`` when ``timeout`` seconds passed with n blocks
    still running (they are stopped)."""
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

    def one(item: Any) -> None:
        with gate:
            if stop.is_set():
                results.put(None)
                return
            streams = CollectingStreams()
            rs = Runspace(location=location, environ=environ)
            with lock:
                running.append(rs)
            try:
                for value in rs.invoke_iter(wrapped, input=[item], using=using, streams=streams,
                                            source="<ForEach-Object -Parallel>"):
                    results.put(("output", value))
            except Exception as exc:            # a terminating error ends this block only
                record = getattr(exc, "record", None)
                results.put(("error", record if record is not None else str(exc)))
            finally:
                for stream, record in streams.records:
                    results.put((stream, record))
                with lock:
                    running.remove(rs)
                results.put(None)

    threads = []
    for item in items:
        thread = threading.Thread(target=one, args=(item,), daemon=True,
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
        yield event


def parallel_work(block: Any, items: List[Any], location: str, environ: Dict[str, str],
                  using: Dict[str, Any], throttle: int, timeout: Optional[float]) -> Any:
    """ForEach-Object -Parallel -AsJob: the work of a thread job that runs the blocks."""
    from pshell.engine.job_runner import LocalWork

    class ParallelWork(LocalWork):
        def _invoke(self, job: Any, runspace: Any) -> None:
            stop = threading.Event()
            job.stop_handler = stop.set
            for stream, value in run_parallel(block, items, location, environ, using, throttle,
                                              timeout, stop):
                if stream == "timeout":
                    job.add_record("error", f"{value} script block(s) still ran after "
                                            f"-TimeoutSeconds {timeout} and were stopped.")
                else:
                    job.add_record(stream, value)

    return ParallelWork(block, location, environ=environ)
