"""A frame of the session stack bound to a PSSession: what ``Enter-PSSession`` pushes.

Every statement typed (REPL), read from stdin or from a script file while the frame is on top
runs in the remote runspace; output comes back as objects and is formatted by the local host.
``exit``/``Exit-PSSession`` pops the frame; so does losing the connection (with a message).
"""

from __future__ import annotations

import re
import threading

from pshell.remote.invocation import ConnectionBroken

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, List, Optional

__all__ = ["RemoteFrame", "local_user"]

_EXIT = re.compile(r"^\s*(exit|exit-pssession)\s*(;\s*)?$", re.IGNORECASE)


def local_user() -> str:
    import getpass
    try:
        return getpass.getuser()
    except Exception:
        return ""


def _on_terminal() -> bool:
    import os
    try:
        return os.isatty(0) and os.isatty(1)
    except OSError:
        return False


class RemoteFrame:
    """Session-stack frame for a remote runspace.  ``on_exit(frame, reason)`` is called once when
    the frame must be popped (exit, or a lost connection with ``reason``)."""

    is_remote = True

    def __init__(self, session: Any, host: Any, on_exit: Callable[["RemoteFrame", str], None],
                 close_on_exit: bool = False) -> None:
        self.session = session
        self.host = host
        self.on_exit = on_exit
        self.close_on_exit = close_on_exit
        self.exited = False
        self._leaving = threading.Lock()
        self._left = threading.Event()

    @property
    def runspace(self) -> Any:
        return self.session.runspace

    # ---- frame interface ---------------------------------------------------------------
    def prompt(self) -> str:
        info = self.runspace.last_prompt or {}
        user = str(info.get("user") or "")
        name = self.session.ComputerName
        label = f"{user}@{name}" if user and user != local_user() else name
        return f"[{label}]: PS {info.get('cwd', '')}> "

    def execute(self, text: str, source: str = "<interactive>") -> Optional[int]:
        if _EXIT.match(text):
            self.leave("")
            return None
        if not text.strip():
            return None
        if source == "<interactive>" and _on_terminal():
            from pshell.ui.remote_pty import run_on_remote_pty, terminal_command
            argv = terminal_command(text)
            if argv is not None:
                try:
                    run_on_remote_pty(self.session.connection, self.runspace.id, argv)
                except ConnectionBroken as exc:
                    self.leave(f"The connection to {self.session.ComputerName} was lost: {exc}. "
                               f"Back in the local session.")
                return None
        from pshell.engine.errors import PipelineStopped, RuntimeException
        inv = None
        try:
            inv = self.session.connection.start(self.runspace.id, text, streams=self.host,
                                                source=source)
            self._current = inv
            self.host.write_objects(iter(inv))
        except ConnectionBroken as exc:
            self.leave(f"The connection to {self.session.ComputerName} was lost: {exc}. "
                       f"Back in the local session.")
            return None
        except PipelineStopped:
            return None
        except RuntimeException as exc:
            self.host.error(exc.record)
        finally:
            self._current = None
        if inv is not None and inv.result:
            if inv.result.get("prompt"):
                self.runspace.last_prompt = inv.result["prompt"]
            if inv.result.get("exit") is not None:
                self.leave("")
        return None

    def complete(self, text: str, cursor: int) -> List[Any]:
        from pshell.engine.completion import Completion
        try:
            answer = self.runspace.complete(text, cursor)
        except ConnectionBroken:
            return []
        return [Completion.from_dict(m) for m in answer.get("matches") or ()]

    def stop(self) -> None:
        inv = getattr(self, "_current", None)
        if inv is not None:
            inv.stop()

    # ---- leaving ---------------------------------------------------------------------------
    def leave(self, reason: str) -> None:
        with self._leaving:
            first = not self.exited
            self.exited = True
        if not first:
            # the other caller (the link's reader, or the command that saw the link break)
            # pops the frame: the next statement must not start before it is off the stack
            self._left.wait(10)
            return
        try:
            self._leave(reason)
        finally:
            self._left.set()

    def _leave(self, reason: str) -> None:
        if self.close_on_exit and not (reason and self.session.State == "Disconnected"):
            # a session that dropped goes on on its computer: Connect-PSSession finds it
            try:
                self.session.close()
            except Exception:
                pass
        self.on_exit(self, reason)
