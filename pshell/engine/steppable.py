"""Steppable pipelines: ``$sp = { cmd args }.GetSteppablePipeline()``, then ``$sp.Begin(..)``,
``$sp.Process($item)`` per item, ``$sp.End()`` (and ``$sp.Clean()`` / ``Dispose()``).

pshell's pipelines are pulled (generators), a steppable pipeline is pushed one item at a time.
The pipeline runs on its own thread, in lock step with the caller: only one of the two runs at a
time.  Its first command reads from a feed that, when it needs the next item, tells the caller
and waits; ``Process`` hands it one item and returns what came out until the feed asks again;
``End`` ends the feed, so the end blocks and clean blocks run; ``Clean`` before that stops the
pipeline (PipelineStopped through the generators: their clean blocks run).  Output of ``Begin``
is returned by the next call, as pwsh does.  A terminating error is raised to the caller of the
step that met it, and the pipeline is then done.
"""

from __future__ import annotations

import queue
import threading

from pshell.engine.errors import PipelineStopped, RuntimeException

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional

__all__ = ["SteppablePipeline", "steppable_pipeline"]


class _Close(PipelineStopped):
    """Clean() or Dispose() before End(): stops the pipeline."""


class SteppablePipeline:
    ps_type_names = ("System.Management.Automation.SteppablePipeline", "System.Object")
    ps_properties = ()

    def __init__(self, frame: Any, block: Any) -> None:
        self._frame = frame
        self._block = block
        self._to: "queue.Queue[Any]" = queue.Queue()
        self._from: "queue.Queue[Any]" = queue.Queue()
        self._buffer: List[Any] = []
        self._thread: Optional[threading.Thread] = None
        self._done = False

    # ---- the caller's side -------------------------------------------------------------
    def Begin(self, *_args: Any) -> None:
        if self._thread is not None:
            return
        from pshell.engine.runtime import CURRENT
        state = (getattr(CURRENT, "runspace", None), getattr(CURRENT, "types", None),
                 getattr(CURRENT, "type_data", None))
        self._thread = threading.Thread(target=self._work, args=(state,), daemon=True,
                                        name="pshell-steppable")
        self._thread.start()
        self._step()

    def Process(self, *args: Any) -> Any:
        if self._thread is None:
            self.Begin()
        if not self._done:
            self._to.put(("item", args[0] if args else None))
            self._step()
        return self._take()

    def End(self) -> Any:
        if self._thread is None:
            self.Begin()
        if not self._done:
            self._to.put(("end", None))
            self._step()
        return self._take()

    def Clean(self) -> None:
        if self._thread is not None and not self._done:
            self._to.put(("close", None))
            try:
                self._step()
            except PipelineStopped:
                pass
        self._done = True

    def Dispose(self) -> None:
        self.Clean()

    def _take(self) -> Any:
        out, self._buffer = self._buffer, []
        return out if out else None

    def _step(self) -> None:
        """Wait until the pipeline needs input again or has finished; keep what it wrote."""
        while True:
            kind, value = self._from.get()
            if kind == "out":
                self._buffer.append(value)
            elif kind == "need":
                return
            elif kind == "done":
                self._done = True
                return
            else:
                self._done = True
                raise value

    # ---- the pipeline's thread ---------------------------------------------------------
    def _feed(self) -> Iterator[Any]:
        while True:
            self._from.put(("need", None))
            kind, value = self._to.get()
            if kind == "item":
                yield value
            elif kind == "end":
                return
            else:
                raise _Close()

    def _work(self, state: Any) -> None:
        from pshell.engine.command_context import invoke_block
        from pshell.engine.runtime import CURRENT
        CURRENT.runspace, CURRENT.types, CURRENT.type_data = state
        try:
            frame = self._frame
            driver = frame.rs.compile("$input | " + self._block.text.strip(), "<steppable pipeline>")
            for item in invoke_block(frame, driver, (), upstream=self._feed()):
                self._from.put(("out", item))
            self._from.put(("done", None))
        except _Close:
            self._from.put(("done", None))
        except BaseException as exc:    # noqa: BLE001 - raised again on the caller's thread
            self._from.put(("error", exc))


def steppable_pipeline(frame: Any, block: Any) -> SteppablePipeline:
    """``{ ... }.GetSteppablePipeline()``: the block must be one pipeline of commands."""
    ast = block.ast
    statements: Any = ast.end.statements if ast.end is not None else ()
    if ast.begin is not None or ast.process is not None or len(statements) != 1 \
            or type(statements[0]).__name__ != "Pipeline":
        raise RuntimeException.make("Can only convert a script block that contains exactly one "
                                    "pipeline or command. Expressions or control structures are "
                                    "not permitted. Verify that the script block contains exactly "
                                    "one pipeline or command.", "CantConvertWithMultiplePipelines",
                                    "InvalidOperation")
    return SteppablePipeline(frame, block)
