"""The process of a temporary session (``Invoke-Command -ComputerName`` without ``-AsJob``):
created, one invocation, closed.

It is still a process of its own, forked ahead of time by the supervisor and never used
before (see :mod:`pshell.remote.session_process`), so ``$env:``, the umask or ``Stop-Process
$PID`` in one never reach the next.  What it leaves out is what only a session that outlives
its connection needs: no outboxes (output is not kept for a reconnect, so it carries no sequence
numbers and needs no acknowledgement), no writer thread (a frame is written by the thread that
sends it, blocking while the channel is full), no reaper, no control loop, nothing on disk.  The
connection is read by the main thread; the invocation runs in the runspace's worker thread.

When the connection ends (``close``, or the channel drops) the process stops what runs and
exits: nobody can reattach to a temporary session, and the client says so (the hello answer
has ``persistent`` false).  Standard library only (shipped to the remote computer).
"""

from __future__ import annotations

import os
import socket
from typing import Any, Dict

from pshell.remote.protocol import PROTOCOL_VERSION, ProtocolError, prompt_info, read_frame

__all__ = ["oneshot_main"]

_SUPERVISOR_ONLY = ("this connection belongs to a session: list and remove sessions on a "
                    "connection without one")


def oneshot_main(setup: Dict[str, Any], conn: Dict[str, Any], fds: Any) -> None:
    """Serve the connection ``conn`` (its ``hello`` already read by the supervisor) over ``fds``
    (read, write, lifeline) until it closes; then end the process (never returns)."""
    import platform
    from pshell.remote.server import RunspaceHost, _FrameWriter, _default_runspace
    from pshell.remote.session_process import _log
    rfd, wfd, lfd = fds
    write = _FrameWriter(wfd)
    rhost = RunspaceHost(write, _default_runspace, str(setup["id"]), str(setup["name"]))
    code = 0
    try:
        who = prompt_info("")
        write({"t": "hello", "v": PROTOCOL_VERSION, "pid": os.getpid(), "user": who["user"],
               "host": who["host"], "python": platform.python_version(), "persistent": False,
               "session": setup["id"], "name": setup["name"], "sock": setup["socket"]})
        reader = os.fdopen(rfd, "rb", buffering=1 << 16)
        while True:
            msg = read_frame(reader)
            if msg is None:
                break
            kind = msg.get("t")
            if kind == "close" and msg.get("rs") is None:
                rhost.close()
                try:
                    write({"t": "closed", "id": msg.get("id")})
                except OSError:     # the client does not wait for it
                    pass
                break
            if kind == "ack":
                continue
            if kind in ("hello", "list", "remove"):
                write({"t": "hello" if kind == "hello" else "error", "id": msg.get("id"),
                       "error": _SUPERVISOR_ONLY, "message": _SUPERVISOR_ONLY})
            elif kind == "disconnect":
                write({"t": "disconnected", "id": msg.get("id"),
                       "error": "a temporary session ends with its connection"})
            elif kind == "receive":
                write({"t": "pending", "id": msg.get("id"), "ids": []})
            else:
                rhost.handle(msg)
    except (ProtocolError, OSError, ValueError) as exc:
        _log(f"temporary session {setup.get('name')}: connection ended: {exc}")
    except BaseException as exc:        # noqa: B902 - nothing may return into the supervisor
        _log(f"temporary session {setup.get('name')} failed: {type(exc).__name__}: {exc}")
        code = 70
    finally:
        try:
            rhost.close()       # stops what still runs (its jobs and native commands too)
        except BaseException:   # noqa: B902
            pass
        try:
            # sshd ends the channel now (the supervisor's copies of the descriptors go when it
            # reaps this process)
            socket.socket(fileno=lfd).shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        os._exit(code)
