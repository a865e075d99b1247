"""The session stack: the REPL, stdin and script modes run each statement in the top frame.

The bottom frame is the local runspace; ``Enter-PSSession`` pushes a remote frame
(``remote/frame.py``) and ``Exit-PSSession``/``exit`` pops it.  A frame offers ``prompt()``,
``execute(text, source)``, ``complete(text, cursor)`` and ``stop()`` (and may offer ``accept()``,
called as a line is taken, before it runs); callers never ask which kind they have.
"""

from __future__ import annotations

import _thread

from pshell.engine.errors import ExitException
from pshell.engine.runtime import Runspace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional

__all__ = ["LocalFrame", "SessionStack", "Shell"]


class LocalFrame:
    is_remote = False

    def __init__(self, runspace: Runspace) -> None:
        self.runspace = runspace

    def prompt(self) -> str:
        custom = self.runspace.global_scope.find_function("prompt")
        if custom is not None:
            try:
                from pshell.engine.values import to_str
                text = "".join(to_str(x) for x in self.runspace.invoke("prompt"))
                if text:
                    return text
            except Exception:
                pass
        return f"PS {self.runspace.location}> "

    def execute(self, text: str, source: str = "<interactive>") -> Optional[bool]:
        """Run text; returns False when it failed (parse error or terminating error)."""
        from pshell.engine.toplevel import execute
        return execute(self.runspace, text, source)

    def execute_unit(self, unit: Any, statements: Any) -> Optional[bool]:
        from pshell.engine.toplevel import run_statements
        return run_statements(self.runspace, unit, statements)

    def complete(self, text: str, cursor: int) -> List[Any]:
        from pshell.engine.completion import complete
        return complete(self.runspace, text, cursor)

    def stop(self) -> None:
        self.runspace.stop()

    def accept(self) -> None:
        """A line is about to be run: a stop requested before now was for an earlier one."""
        self.runspace.clear_stop()


class SessionStack:
    def __init__(self, bottom: Any) -> None:
        self.frames: List[Any] = [bottom]
        self._lock = _thread.allocate_lock()

    @property
    def top(self) -> Any:
        return self.frames[-1]

    @property
    def bottom(self) -> Any:
        return self.frames[0]

    def push(self, frame: Any) -> None:
        with self._lock:
            self.frames.append(frame)

    def pop(self, frame: Any = None) -> Any:
        with self._lock:
            if len(self.frames) <= 1:
                return None
            if frame is None:
                return self.frames.pop()
            if frame in self.frames[1:]:
                index = self.frames.index(frame)
                removed = self.frames[index]
                del self.frames[index:]
                return removed
            return None

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def depth(self) -> int:
        return len(self.frames)


class Shell:
    """The local runspace, its host, and the session stack over them."""

    def __init__(self, runspace: Runspace) -> None:
        self.runspace = runspace
        self.host = runspace.host
        self.stack = SessionStack(LocalFrame(runspace))
        self.exit_requested = False
        self.exit_code = 0
        runspace.shell = self
        try:
            runspace.host.session_stack = self.stack
        except AttributeError:
            pass

    @property
    def session_stack(self) -> SessionStack:
        return self.stack

    def run_text(self, text: str, source: str) -> bool:
        """Run text in the top frame; False if it failed.  Sets ``exit_requested`` on ``exit``
        in the local frame."""
        try:
            result = self.stack.top.execute(text, source)
        except ExitException as exc:
            self.exit_requested = True
            self.exit_code = exc.code
            return True
        return result is not False

    def close(self) -> None:
        while len(self.stack) > 1:
            frame = self.stack.top
            try:
                leave = getattr(frame, "leave", None)
                if leave is not None:
                    leave("")
                else:
                    self.stack.pop(frame)
            except Exception:
                self.stack.pop(frame)
            if self.stack.top is frame:
                self.stack.pop(frame)
        self.runspace.close()
