"""pshell's own event log: what ``Get-EventLog pshell`` (alias ``"Windows PowerShell"``) reads.

PowerShell records engine life-cycle events in its "Windows PowerShell" log; pshell appends the same
kind of entries, in syslog format with a priority prefix, to ``pshell.log`` in the user's state
directory (0700 directory, 0600 file).  Writing must never get in the way: any failure is ignored.
The directory is checked as every private one is (:mod:`pshell.engine.private`: ours, closed to
others' writes, or nothing is written) and the file is opened without following a symbolic link.
"""

from __future__ import annotations

import os
import time

__all__ = ["state_dir", "event_log_path", "write_event"]

_MAX_BYTES = 1 << 20
_PRIORITY = {"Error": 3, "Warning": 4, "Information": 6}


def state_dir() -> str:
    explicit = os.environ.get("PSHELL_STATE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "pshell")


def event_log_path() -> str:
    return os.path.join(state_dir(), "pshell.log")


def write_event(message: str, entry_type: str = "Information", facility: int = 1) -> None:
    """Append one entry (user facility by default)."""
    try:
        from pshell.engine.private import open_private, private_dir
        path = os.path.join(private_dir(state_dir()), "pshell.log")
        try:
            if os.lstat(path).st_size > _MAX_BYTES:
                os.replace(path, path + ".1")
        except OSError:
            pass
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        host = os.uname().nodename
        pri = facility * 8 + _PRIORITY.get(entry_type, 6)
        line = f"<{pri}>{stamp} {host} pshell[{os.getpid()}]: {message}\n"
        fd = open_private(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, line.encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except OSError:
        pass
