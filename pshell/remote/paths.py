"""Where the per-user host keeps its state on the remote computer, and its socket.

Everything lives in directories only the user can enter (0700, owned by the user): a directory
owned by someone else, or open to others, is refused rather than used.

- state: ``$PSHELL_STATE_DIR``, else ``$XDG_STATE_HOME/pshell``, else ``~/.local/state/pshell``;
  it holds ``sessions/<id>/`` (session metadata, job state and spool files) and ``host.log``.
- run: ``$XDG_RUNTIME_DIR/pshell`` when that is ours, else ``<state>/run``; it holds the host's
  Unix socket, its pid file and the start lock.  A socket path longer than the kernel's limit
  falls back to ``/tmp/pshell-<uid>``.
"""

from __future__ import annotations

import os

__all__ = ["state_dir", "run_dir", "socket_path", "sessions_dir", "private_dir", "UnsafeDirectory"]

_SUN_PATH_MAX = 104        # sockaddr_un.sun_path is 108 bytes on Linux, 104 on the BSDs


class UnsafeDirectory(OSError):
    """A directory that would hold private state belongs to another user."""


def private_dir(path: str) -> str:
    """Create ``path`` (and parents) 0700 and check it is ours; tighten its mode if needed."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.lstat(path)
    import stat
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeDirectory(f"{path} is not a directory")
    if info.st_uid != os.getuid():
        raise UnsafeDirectory(f"{path} belongs to another user (uid {info.st_uid})")
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


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
    from pshell.remote.protocol import PROTOCOL_VERSION
    name = f"host-v{PROTOCOL_VERSION}.sock"
    path = os.path.join(run_dir(), name)
    if len(path.encode()) < _SUN_PATH_MAX:
        return path
    return os.path.join(private_dir(f"/tmp/pshell-{os.getuid()}"), name)
