"""Terminal programs of an entered remote session, run on a pseudo-terminal of the remote computer.

The rule (predictable, no guessing from the program's behaviour): in the REPL on a real terminal,
inside ``Enter-PSSession``, a statement that is one plain native command (words only: no pipe,
redirection, variable, subexpression or second statement) whose program is one of
:data:`TERMINAL_PROGRAMS` runs on a remote pty.  Anything else runs as before (its output comes
back as objects).  While it runs this terminal is in raw mode: every key (Ctrl-C too) goes to the
remote program, output bytes are written as they come, and the window size follows this
terminal's.  The program's exit status becomes the remote $LASTEXITCODE.
"""

from __future__ import annotations

import os
import select
import shlex
import struct
import threading
from typing import Any, Dict, List, Optional

__all__ = ["TERMINAL_PROGRAMS", "terminal_command", "run_on_remote_pty"]

TERMINAL_PROGRAMS = frozenset((
    "vi", "vim", "nvim", "view", "vimdiff", "nano", "emacs", "mg", "joe", "mcedit",
    "less", "more", "most", "man", "top", "htop", "btop", "atop", "iotop", "watch",
    "sudo", "su", "passwd", "ssh", "telnet", "ftp", "sftp", "stty", "tty", "tmux", "screen",
    "mc", "tig", "git", "mysql", "psql", "sqlite3", "python", "python3", "ipython", "bash", "sh",
    "zsh", "fish", "visudo", "crontab", "systemctl", "journalctl", "dialog", "whiptail",
))

_SPECIAL = set("|;&<>$(){}@`\n\r,")


def terminal_command(text: str) -> Optional[List[str]]:
    """The argv of ``text`` when it runs on a remote pty by the rule above, else None."""
    stripped = text.strip()
    if not stripped or any(ch in _SPECIAL for ch in stripped):
        return None
    try:
        argv = shlex.split(stripped)
    except ValueError:
        return None
    if not argv or os.path.basename(argv[0]) not in TERMINAL_PROGRAMS or argv[0].startswith("-"):
        return None
    return argv


def _size(fd: int) -> Any:
    import fcntl
    import termios
    try:
        rows, cols = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))[:2]
    except OSError:
        return 24, 80
    return rows or 24, cols or 80


def run_on_remote_pty(conn: Any, rs_id: int, argv: List[str], stdin: int = 0, stdout: int = 1) -> int:
    """Run ``argv`` on a pty of ``conn``'s computer with this terminal in raw mode; its status.
    Raises ConnectionBroken when the connection is lost (the terminal is restored first)."""
    import termios
    import tty
    from pshell.remote.client import ConnectionBroken

    inv_id = conn.next_id()
    ended: Dict[str, Any] = {}
    wake_r, wake_w = os.pipe()
    finished = threading.Event()

    def on_message(msg: Dict[str, Any]) -> None:
        if msg.get("t") == "pout":
            data = bytes(msg.get("_bin") or b"")
            view = memoryview(data)
            try:
                while view:
                    view = view[os.write(stdout, view):]
            except OSError:
                pass
            return
        if not finished.is_set():
            ended.update(msg)
            finished.set()
            try:
                os.write(wake_w, b"x")
            except OSError:
                pass

    def send(msg: Dict[str, Any]) -> None:
        conn._send(msg)

    saved = termios.tcgetattr(stdin)
    conn.ptys[inv_id] = on_message
    try:
        rows, cols = _size(stdout)
        conn._send({"t": "pty", "id": inv_id, "rs": rs_id, "argv": argv,
                    "term": os.environ.get("TERM") or "xterm", "rows": rows, "cols": cols})
        tty.setraw(stdin)
        while not finished.is_set():
            ready, _, _ = select.select([stdin, wake_r], [], [], 0.25)
            if stdin in ready:
                data = os.read(stdin, 1 << 14)
                if not data:
                    break
                send({"t": "pin", "id": inv_id, "_bin": data})
            now = _size(stdout)
            if now != (rows, cols):
                rows, cols = now
                send({"t": "pwin", "id": inv_id, "rows": rows, "cols": cols})
    finally:
        termios.tcsetattr(stdin, termios.TCSADRAIN, saved)
        conn.ptys.pop(inv_id, None)
        os.close(wake_r)
        os.close(wake_w)
    if conn.broken is not None:
        raise ConnectionBroken(conn.broken)
    if ended.get("error"):
        os.write(2, f"{ended['error']}\r\n".encode("utf-8", "replace"))
    return int(ended.get("code") or 0)
