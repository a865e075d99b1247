"""pshell's own event log: what ``Get-EventLog pshell`` (alias ``"Windows PowerShell"``) reads.

PowerShell records engine life-cycle events in its "Windows PowerShell" log; pshell appends the same
kind of entries, in syslog format with a priority prefix, to ``pshell.log`` in the user's state
directory (0700 directory, 0600 file).  Writing must never get in the way: any failure is ignored.
The directory is checked as every private one is (:mod:`pshell.engine.private`: ours, closed to
others' writes, or nothing is written) and the file is opened without following a symbolic link.

A spare session process checks the directory before it is told its session and holds it open
(:func:`ready_state_dir`): the session's entry then costs one ``lstat`` and one ``fstat`` instead
of the whole check (two ``mkdir`` and six ``lstat``), and is written through that descriptor,
into the directory that was checked, only while the path still leads to it and it is still ours
and closed to others; anything else (another state directory, the directory removed, replaced or
opened to others) takes the whole check again.
"""

from __future__ import annotations

import os
import time

__all__ = ["state_dir", "event_log_path", "write_event", "ready_state_dir"]

_MAX_BYTES = 1 << 20
_PRIORITY = {"Error": 3, "Warning": 4, "Information": 6}
_NAME = "pshell.log"
#: the state directory checked ahead: (the path state_dir() gave, its real path, a descriptor,
#: its device and inode); see ready_state_dir
_READY: list = []


def state_dir() -> str:
    explicit = os.environ.get("PSHELL_STATE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "pshell")


def event_log_path() -> str:
    return os.path.join(state_dir(), "pshell.log")


def ready_state_dir() -> None:
    """Check the state directory now and hold it open (a spare session process does it before it
    is told its session, off the session's path); :func:`write_event` uses it while it holds."""
    from pshell.engine.private import private_dir
    path = state_dir()
    try:
        real = private_dir(path)
        fd = os.open(real, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return
    info = os.fstat(fd)
    for old in _READY:
        os.close(old[2])
    _READY[:] = [(path, real, fd, info.st_dev, info.st_ino)]


def _ready_dir(path: str) -> "int | None":
    """The descriptor of the directory ready_state_dir checked, when ``path`` is the one it
    checked, the real path still leads to that very directory (not one put in its place) and
    it is still ours with nothing open to others; else None (the whole check is made)."""
    if not _READY:
        return None
    known, real, fd, dev, ino = _READY[0]
    if known != path:
        return None
    try:
        here = os.lstat(real)
        info = os.fstat(fd)
    except OSError:
        return None
    if here.st_ino != ino or here.st_dev != dev or info.st_uid != os.getuid() \
            or info.st_mode & 0o077 or not info.st_nlink:
        return None
    return fd


def write_event(message: str, entry_type: str = "Information", facility: int = 1) -> None:
    """Append one entry (user facility by default)."""
    try:
        from pshell.engine.private import open_private, private_dir
        where = state_dir()
        dir_fd = _ready_dir(where)
        path = _NAME if dir_fd is not None else os.path.join(private_dir(where), _NAME)
        try:
            if os.stat(path, dir_fd=dir_fd, follow_symlinks=False).st_size > _MAX_BYTES:
                os.replace(path, path + ".1", src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except OSError:
            pass
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        host = os.uname().nodename
        pri = facility * 8 + _PRIORITY.get(entry_type, 6)
        line = f"<{pri}>{stamp} {host} pshell[{os.getpid()}]: {message}\n"
        fd = open_private(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, dir_fd=dir_fd)
        try:
            os.write(fd, line.encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except OSError:
        pass
