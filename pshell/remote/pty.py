"""A native program run on a pseudo-terminal of this computer for a client in an entered session.

The client asks with ``pty`` (``argv``, ``term``, ``rows``, ``cols``, runspace ``rs``); the
program starts in the runspace's current directory and environment, its output goes back as
binary ``pout`` frames, the client's keystrokes come as binary ``pin`` frames and window sizes as
``pwin``; when it exits ``pexit`` carries its status (also set as the runspace's $LASTEXITCODE).
Output made while no client is attached is not kept (a terminal program redraws).
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import termios
import threading
from typing import Any, Callable, Dict, Optional

__all__ = ["PtyProgram", "set_size"]

_READ = 1 << 14


def set_size(fd: int, rows: int, cols: int) -> None:
    rows = max(1, min(int(rows), 10000))
    cols = max(1, min(int(cols), 10000))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _controlling_tty() -> None:
    # runs in the child after setsid (start_new_session): fd 0 is the slave side
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyProgram:
    """One program on a pty and the thread that relays its output."""

    def __init__(self, pid_id: Any, path: str, argv: list, cwd: str, env: Dict[str, str],
                 rows: int, cols: int, send: Callable[[Dict[str, Any]], None],
                 on_exit: Callable[[int], None]) -> None:
        self.id = pid_id
        self._send = send
        self._on_exit = on_exit
        master, slave = os.openpty()
        try:
            set_size(slave, rows, cols)
            self.proc = subprocess.Popen(argv, executable=path, stdin=slave, stdout=slave,
                                         stderr=slave, cwd=cwd, env=env, start_new_session=True,
                                         close_fds=True, preexec_fn=_controlling_tty)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.master: Optional[int] = master
        self._lock = threading.Lock()
        threading.Thread(target=self._relay, name="pshell-pty", daemon=True).start()

    def write(self, data: bytes) -> None:
        with self._lock:
            fd = self.master
            if fd is None:
                return
            view = memoryview(data)
            try:
                while view:
                    view = view[os.write(fd, view):]
            except OSError:
                pass

    def resize(self, rows: int, cols: int) -> None:
        with self._lock:
            if self.master is not None:
                try:
                    set_size(self.master, rows, cols)
                except OSError:
                    pass

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, 9)
        except OSError:
            pass

    def _relay(self) -> None:
        fd = self.master
        assert fd is not None
        try:
            while True:
                try:
                    data = os.read(fd, _READ)
                except OSError:          # EIO: every holder of the slave side has closed it
                    break
                if not data:
                    break
                self._send({"t": "pout", "id": self.id, "_bin": data})
        finally:
            code = self.proc.wait()
            with self._lock:
                self.master = None
                os.close(fd)
            code = code if code >= 0 else 128 - code
            try:
                self._on_exit(code)
            finally:
                self._send({"t": "pexit", "id": self.id, "code": code})


def start_pty(host: Any, msg: Dict[str, Any]) -> None:
    """Handle a ``pty`` request for ``host`` (a server.RunspaceHost): start the program, or
    answer ``pexit`` with an error."""
    from pshell.engine.native import find_executable
    inv_id = msg.get("id")
    slot = host.slots.get(int(msg.get("rs") or 0))
    argv = msg.get("argv") or []
    if slot is None or not argv or inv_id in host.ptys:
        why = ("no such runspace" if slot is None else "nothing to run" if not argv
               else f"a program with id {inv_id!r} is already running")
        host.send({"t": "pexit", "id": inv_id, "code": 127, "error": why})
        return
    runspace = slot.runspace
    env = {str(k): str(v) for k, v in dict(getattr(runspace, "environ", os.environ)).items()}
    env["TERM"] = msg.get("term") or env.get("TERM") or "xterm"
    location = runspace.location
    path = find_executable(argv[0], location, env)
    if path is None:
        host.send({"t": "pexit", "id": inv_id, "code": 127,
                   "error": f"the term '{argv[0]}' is not a program on this computer"})
        return

    def exited(code: int) -> None:
        host.ptys.pop(inv_id, None)
        try:
            runspace.set_variable("LASTEXITCODE", code)
        except Exception:
            pass

    try:
        host.ptys[inv_id] = PtyProgram(inv_id, path, argv, location, env, msg.get("rows") or 24,
                                       msg.get("cols") or 80, host.send, exited)
        if host.ptys[inv_id].master is None:           # it has already ended
            host.ptys.pop(inv_id, None)
    except OSError as exc:
        host.ptys.pop(inv_id, None)
        host.send({"t": "pexit", "id": inv_id, "code": 126,
                   "error": f"cannot run {argv[0]}: {exc.strerror or exc}"})
