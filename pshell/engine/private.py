"""Directories and files that hold one user's private state (the event log, job spill files, the
remote host's sessions and spools): owned by the user, closed to others, never reached through a
symbolic link someone else could have put there.

:func:`private_dir` resolves the path, checks every directory above it (owned by root or the
user, and not writable by others unless sticky, as ``/tmp`` is), creates what is missing one
level at a time with mode 0700 and checks the result.  A directory that belongs to another user
or that others can write to is refused with :class:`UnsafeDirectory`, whose message says which
directory and why; one that others can only read is tightened to 0700 (nothing can have been
planted in it).  :func:`open_private` opens a file in such a directory with ``O_NOFOLLOW``.
"""

# No ``from __future__ import annotations`` here (its annotations are valid at run time on
# 3.9): importing ``__future__`` was the relay's only module from the standard library's
# directory, ~0.6 ms of every first contact's relay (tests/test_relay_imports.py).

import os

__all__ = ["UnsafeDirectory", "private_dir", "open_private", "owner_name"]

_STICKY = 0o1000


class UnsafeDirectory(OSError):
    """A directory (or file) that would hold private state is not safe to use; ``str()`` says
    which and why."""


def owner_name(uid: int) -> str:
    try:
        import pwd
        return f"user {pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _check_above(path: str, me: int) -> None:
    import stat
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeDirectory(f"{path} became a symbolic link while pshell was using it")
    if info.st_uid not in (0, me):
        raise UnsafeDirectory(f"{path} belongs to {owner_name(info.st_uid)}: pshell keeps no "
                              f"private state below another user's directory")
    if info.st_mode & 0o022 and not info.st_mode & _STICKY:
        raise UnsafeDirectory(f"{path} is writable by other users (mode "
                              f"{stat.S_IMODE(info.st_mode):04o}): pshell keeps no private "
                              f"state below it")


def private_dir(path: str) -> str:
    """Create ``path`` (and missing parents) 0700, check it and what is above it; return its
    real path (a symbolic link on the way, checked now, is not followed again later)."""
    import stat
    me = os.getuid()
    real = os.path.realpath(path)
    current = os.sep
    for name in [n for n in real.split(os.sep) if n]:
        _check_above(current, me)
        current = os.path.join(current, name)
        try:
            os.mkdir(current, 0o700)
        except FileExistsError:
            pass
    info = os.lstat(current)
    shown = path if real == os.path.abspath(path) else f"{path} (= {real})"
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeDirectory(f"{shown} is not a directory")
    if info.st_uid != me:
        raise UnsafeDirectory(f"{shown} belongs to {owner_name(info.st_uid)}, not to this user: "
                              f"pshell will not keep private state there (remove it, or point "
                              f"pshell elsewhere)")
    if info.st_mode & 0o022:
        raise UnsafeDirectory(f"{shown} is writable by other users (mode "
                              f"{stat.S_IMODE(info.st_mode):04o}): what is in it may not be "
                              f"yours; check it, then chmod 700 it")
    if info.st_mode & 0o077:
        os.chmod(current, 0o700)
    return real


def open_private(path: str, flags: int, mode: int = 0o600, dir_fd: "int | None" = None) -> int:
    """``os.open`` with ``O_NOFOLLOW``: a symbolic link where one of our files belongs is
    removed and a fresh file made (only its owner can have put it in a private directory, but
    writing through it would write wherever it points).  The result must be a regular file of
    ours.  ``dir_fd``: ``path`` is relative to that (checked) directory."""
    import errno
    import stat
    flags |= os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, mode, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno != errno.ELOOP or not flags & os.O_CREAT:
            raise
        os.unlink(path, dir_fd=dir_fd)
        fd = os.open(path, flags | os.O_EXCL, mode, dir_fd=dir_fd)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
        os.close(fd)
        what = "is not a regular file" if not stat.S_ISREG(info.st_mode) \
            else f"belongs to {owner_name(info.st_uid)}"
        raise UnsafeDirectory(f"{path} {what}: pshell will not write to it")
    return fd
