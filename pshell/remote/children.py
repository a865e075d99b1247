"""What the supervisor (:mod:`pshell.remote.supervisor`) does with descriptors and processes:
write a frame to a channel, answer a connection that has no session, start a spare session
process with a session's setup and environment, close what a child must not inherit, and point
the daemon's stdio at /dev/null and its log.  Standard library only (shipped to the remote
computer); everything is imported at the top (see the supervisor's note on forking).
"""

from __future__ import annotations

import marshal
import os
import signal
import socket
import sys
from typing import Any, Dict, List, Optional

from pshell.remote.framing import encode_frame
from pshell.remote.session_process import SPARE_CHUNK, _log

__all__ = ["status_text"]


def status_text(status: int) -> str:
    """An exit status as words: "exit status 3", "killed by signal 9 (SIGKILL)"."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "?"
        return f"killed by signal {number} ({name})"
    return f"exit status {os.WEXITSTATUS(status)}"


def _write(fd: int, msg: Dict[str, Any]) -> None:
    view = memoryview(encode_frame(msg))
    while view:
        view = view[os.write(fd, view):]


def _no_session(fd: int, msg: Dict[str, Any]) -> None:
    from pshell.remote.protocol import serialize_record
    from pshell.remote.server import _error
    text = "this connection has no session (it was disconnected or taken over)"
    if msg.get("t") == "invoke":
        _write(fd, {"t": "done", "id": msg.get("id"), "ok": False,
                    "error": serialize_record(_error(text))})
    elif msg.get("t") == "create":
        _write(fd, {"t": "created", "rs": msg.get("rs", 0), "error": text})
    else:
        _write(fd, {"t": "error", "id": msg.get("id"), "message": text})


def _start_spare(ctl: socket.socket, setup: Dict[str, Any], env: Dict[bytes, bytes], umask: int,
                 conn: Optional[Dict[str, Any]], conn_fds: List[int], base: Dict[bytes, bytes]
                 ) -> bool:
    """Make the spare process this session's: the setup (and the connection's descriptors),
    then how ``env`` differs from ``base`` (the environment the spare was forked with) in
    packets of SPARE_CHUNK bytes: the ``set`` entries that are new or changed, then the names
    to remove.  A login's environment is mostly the template's, so a few names cross, and the
    spare touches only those.  False when the spare is gone."""
    changed = [k + b"=" + v for k, v in env.items() if base.get(k) != v]
    gone = [k for k in base if k not in env]
    blob = b"\0".join(changed + gone)
    parts = [blob[i:i + SPARE_CHUNK] for i in range(0, len(blob), SPARE_CHUNK)]
    # marshal, not JSON: its loads is one C call where the spare touches no module's code on
    # its session's path (json's Python layers and regex were ~15 page copies a session); the
    # socket pair is the supervisor's and the spare's alone, both the same program
    head = marshal.dumps({"op": "start", "setup": setup, "umask": umask, "conn": conn,
                          "parts": len(parts), "set": len(changed)})
    try:
        socket.send_fds(ctl, [head], conn_fds)
        for part in parts:
            ctl.send(part)
    except OSError as exc:
        _log(f"the spare session process is gone ({exc}): forking one")
        return False
    return True


def _discard_spare(pid: int, ctl: socket.socket) -> None:
    ctl.close()
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except OSError:
        pass


def _close(wfd: int, lfd: int) -> None:
    try:
        socket.socket(fileno=lfd).close()   # shutdown is the session process's to do
    except OSError:
        pass
    if wfd != lfd:
        try:
            os.close(wfd)
        except OSError:
            pass


def _close_all_but(keep: set) -> None:
    last = 2
    for fd in sorted(keep):
        if fd > last + 1:
            os.closerange(last + 1, fd)
        last = max(last, fd)
    try:
        top = os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        top = 1024
    os.closerange(last + 1, max(last + 1, min(top, 1 << 20)))


def _detach_stdio(*keep: int) -> None:
    """Close everything inherited from the relay (the channel's pipes, the start lock) but
    ``keep`` and point stdio at /dev/null and the log file."""
    _close_all_but({fd for fd in keep if fd > 2})
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    from pshell.remote import paths
    log_path = os.path.join(paths.state_dir(), "host.log")
    try:
        if os.path.getsize(log_path) > (1 << 20):
            os.unlink(log_path)
    except OSError:
        pass
    log = paths.open_private(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 2)
    os.close(log)
    try:
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False, buffering=1)
    except OSError:
        pass
