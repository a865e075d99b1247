"""Where the per-user host keeps its state on the remote computer, and its socket.

Everything lives in directories only the user can enter (0700, owned by the user, every directory
above owned by root or the user and closed to others' writes - see :mod:`pshell.engine.private`):
a directory owned by someone else, or open to others' writes, is refused rather than used.

- state: ``$PSHELL_STATE_DIR``, else ``$XDG_STATE_HOME/pshell``, else ``~/.local/state/pshell``;
  it holds ``sessions/<id>/`` (session metadata, job state and spool files) and ``host.log``.
- run: ``$XDG_RUNTIME_DIR/pshell`` when that is ours, else ``<state>/run``; it holds the host's
  Unix socket, its pid file and the start lock.  A socket path longer than the kernel's limit
  falls back to ``pshell-<uid>`` in the shared temporary directory (``$TMPDIR``, else ``/tmp``).
  Anyone can create that name first: when it is not ours, a directory with a random name is made
  there instead (``pshell-<uid>-XXXXXXXX``) and its path recorded in ``<run>/socket-dir``, so
  every process of the user finds the same one.
"""

# No ``from __future__ import annotations`` here (its annotations are valid at run time on
# 3.9): importing ``__future__`` was the relay's only module from the standard library's
# directory, ~0.6 ms of every first contact's relay (tests/test_relay_imports.py).

import os

from pshell.engine.private import UnsafeDirectory, open_private, private_dir

__all__ = ["state_dir", "run_dir", "socket_path", "sessions_dir", "private_dir", "UnsafeDirectory",
           "open_private"]

_SUN_PATH_MAX = 104        # sockaddr_un.sun_path is 108 bytes on Linux, 104 on the BSDs

#: protocol.PROTOCOL_VERSION, in the socket's name (a host of another protocol listens elsewhere);
#: not imported from there: every channel's relay finds the socket, and the protocol module's
#: imports (typing, datetime, decimal, the engine's values) were half of a relay's CPU
SOCKET_PROTOCOL = 2


def state_dir() -> str:
    explicit = os.environ.get("PSHELL_STATE_DIR", "")
    if explicit:
        return private_dir(explicit)
    base = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    return private_dir(os.path.join(base, "pshell"))


def sessions_dir() -> str:
    return private_dir(os.path.join(state_dir(), "sessions"))


def run_dir() -> str:
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and not os.environ.get("PSHELL_STATE_DIR"):
        try:
            info = os.stat(runtime)
            if info.st_uid == os.getuid() and not info.st_mode & 0o077:
                return private_dir(os.path.join(runtime, "pshell"))
        except OSError:
            pass
    return private_dir(os.path.join(state_dir(), "run"))


def socket_path() -> str:
    name = f"host-v{SOCKET_PROTOCOL}.sock"
    run = run_dir()
    path = os.path.join(run, name)
    if len(path.encode()) < _SUN_PATH_MAX:
        return path
    return os.path.join(_short_dir(run, _SUN_PATH_MAX - len(name) - 2), name)


def _temp_base(limit: int) -> str:
    base = os.environ.get("TMPDIR", "")
    if not os.path.isabs(base) or len(base.encode()) > limit - 24:
        base = "/tmp"
    return base


def _short_dir(run: str, limit: int) -> str:
    """A private directory with a short path for the socket (see the module docstring)."""
    record = os.path.join(run, "socket-dir")
    recorded = _read_record(record)
    if recorded:
        try:
            return private_dir(recorded)
        except OSError:
            pass                    # gone (a /tmp cleaner) or taken since: make another
    base = _temp_base(limit)
    usual = os.path.join(base, f"pshell-{os.getuid()}")
    try:
        return private_dir(usual)
    except UnsafeDirectory as exc:
        reason = str(exc)
    made = _make_random_dir(base)
    theirs = _record(record, made, replace=bool(recorded))
    if theirs:                      # another process of ours recorded one first: use that
        os.rmdir(made)
        return private_dir(theirs)
    try:
        from pshell.engine.events import write_event
        write_event(f"{reason}; the host socket is in {made} instead", "Warning")
    except Exception:
        pass
    return made


def _read_record(path: str) -> str:
    try:
        fd = open_private(path, os.O_RDONLY)
    except OSError:
        return ""
    try:
        text = os.read(fd, 4096).decode("utf-8", "replace").strip()
    finally:
        os.close(fd)
    return text if os.path.isabs(text) and "\0" not in text else ""


def _make_random_dir(base: str) -> str:
    for _ in range(100):
        path = os.path.join(base, f"pshell-{os.getuid()}-{os.urandom(4).hex()}")
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        return private_dir(path)
    raise UnsafeDirectory(f"cannot make a private directory in {base} for the host socket")


def _record(record: str, made: str, replace: bool) -> str:
    """Write ``made`` to ``record`` (create-if-absent unless ``replace``); "" when it is ours,
    else the path another process recorded first."""
    tmp = f"{record}.{os.getpid()}.tmp"
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.write(fd, made.encode() + b"\n")
    finally:
        os.close(fd)
    try:
        if replace:
            os.replace(tmp, record)
            return ""
        try:
            os.link(tmp, record)
            return ""
        except FileExistsError:
            return _read_record(record)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
