"""The process transport: the remoting protocol over pipes to a local child process.

Used by tests and by a ``localhost`` session that needs no sshd.  The child is
``python3 -m pshell.remote.server --direct`` with this very pshell on its path (its runspaces end
with it); with ``via_host`` it is a relay to the per-user host instead, as over SSH.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, List, Optional

from pshell.remote.client import RemoteConnection

__all__ = ["ProcessLink", "open_process_connection", "open_process_session"]


class ProcessLink:
    """A child process's stdin/stdout as a link for :class:`RemoteConnection`."""

    def __init__(self, argv: Optional[List[str]] = None, env: Optional[dict] = None) -> None:
        import subprocess
        self.argv = argv or [sys.executable, "-m", "pshell.remote.server", "--direct"]
        child_env = dict(os.environ if env is None else env)
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, child_env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=child_env, bufsize=0,
                                     start_new_session=True)
        self.conn: Optional[RemoteConnection] = None
        self._write_lock = threading.Lock()
        self._resume = threading.Event()
        self._resume.set()
        self._stderr: List[bytes] = []
        self._closed = False

    def attach(self, conn: RemoteConnection) -> None:
        self.conn = conn
        threading.Thread(target=self._read_loop, name="pshell-proc-read", daemon=True).start()
        threading.Thread(target=self._stderr_loop, name="pshell-proc-err", daemon=True).start()

    def send(self, data: bytes) -> None:
        stdin = self.proc.stdin
        if stdin is None or self._closed:
            raise OSError("the server process has ended")
        with self._write_lock:
            view = memoryview(data)
            while view:
                written = os.write(stdin.fileno(), view)
                view = view[written:]

    def pause_reading(self) -> None:
        self._resume.clear()

    def resume_reading(self) -> None:
        self._resume.set()

    def _read_loop(self) -> None:
        assert self.proc.stdout is not None and self.conn is not None
        fd = self.proc.stdout.fileno()
        while True:
            self._resume.wait()
            try:
                data = os.read(fd, 1 << 18)
            except OSError:
                data = b""
            if not data:
                break
            self.conn.feed(data)
        code = self.proc.wait()
        detail = b"".join(self._stderr).decode("utf-8", "replace").strip().splitlines()
        reason = "the server process ended"
        if code:
            reason += f" with exit code {code}"
        if detail:
            reason += f": {detail[-1]}"
        self.conn.lost(reason)

    def _stderr_loop(self) -> None:
        assert self.proc.stderr is not None
        for line in iter(self.proc.stderr.readline, b""):
            self._stderr.append(line)
            del self._stderr[:-20]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        threading.Thread(target=self._reap, daemon=True).start()

    def _reap(self) -> None:
        import subprocess
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        """Kill the server and its process group (tests use this to cut a connection)."""
        import signal
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass


def open_process_session(computer_name: str = "localhost", session_id: str = "", name: str = "",
                         timeout: float = 30) -> Any:
    """Start a local server process and open its runspace: (RemoteConnection, RemoteRunspace)."""
    link = ProcessLink()
    conn = RemoteConnection(link, computer_name)
    link.attach(conn)
    return conn, conn.open(session_id, name, 0, timeout)


def open_process_connection(computer_name: str = "localhost", session_id: str = "",
                            name: str = "", timeout: float = 30) -> RemoteConnection:
    """Start a local server process and say hello."""
    link = ProcessLink()
    conn = RemoteConnection(link, computer_name)
    link.attach(conn)
    conn.hello(session_id, name, timeout=timeout)
    return conn
