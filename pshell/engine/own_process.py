"""Ending this process by a script's own hand (``Stop-Process -Id $PID``, ``(Get-Process -Id
$PID).Kill()``): what the process has produced but not yet written goes out first.

A process that hosts sessions (a remote session's process, a temporary session) batches output
and writes it later (with ``done``, or by a flusher thread); SIGKILL would drop what waits.  It
registers a hook with :func:`before_end`; :func:`kill` runs the hooks before it sends the signal
to this process.  Nothing else is hooked: a kill from outside cannot be helped (the client then
says the process ended).  Standard library only (shipped to remote computers).
"""

from __future__ import annotations

import os
import signal
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, List

__all__ = ["before_end", "forget", "kill", "ending"]

_HOOKS: List[Callable[[], None]] = []


def before_end(hook: Callable[[], None]) -> None:
    """Run ``hook`` before this process kills itself (it may block while it writes)."""
    _HOOKS.append(hook)


def forget(hook: Callable[[], None]) -> None:
    try:
        _HOOKS.remove(hook)
    except ValueError:
        pass


def ending() -> None:
    """Write out what waits: each hook (a failing one does not stop the others), then the
    standard streams' buffers."""
    for hook in list(_HOOKS):
        try:
            hook()
        except Exception:       # the process ends anyway: what this hook held is lost
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


def kill(pid: int, sig: int = signal.SIGKILL) -> None:
    """``os.kill``; when ``pid`` is this process, :func:`ending` first."""
    if pid == os.getpid():
        ending()
    os.kill(pid, sig)
