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
import re
import select
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

_SPECIAL = set("|;&<>$(){}@`,#\n\r")


def _words(text: str) -> Optional[List[str]]:
    """``text`` split into words by PowerShell's quoting, or None when anything in it is more
    than a literal word: an operator, a variable, a subexpression, an escape."""
    words: List[str] = []
    word: List[str] = []
    started = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t":
            if started:
                words.append("".join(word))
                word, started = [], False
            i += 1
            continue
        started = True
        if ch == "'":
            end = i + 1
            while True:
                end = text.find("'", end)
                if end < 0:
                    return None
                if text[end + 1:end + 2] == "'":          # '' is a quote inside
                    word.append(text[i + 1:end + 1])
                    i, end = end + 1, end + 2
                    continue
                break
            word.append(text[i + 1:end])
            i = end + 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0 or any(c in "$`" for c in text[i + 1:end]):
                return None
            word.append(text[i + 1:end])
            i = end + 1
        elif ch in _SPECIAL:
            return None
        else:
            word.append(ch)
            i += 1
    if started:
        words.append("".join(word))
    return words


def terminal_command(text: str) -> Optional[List[str]]:
    """The argv of ``text`` when it runs on a remote pty by the rule above, else None."""
    argv = _words(text.strip())
    if not argv or not argv[0] or os.path.basename(argv[0]) not in TERMINAL_PROGRAMS:
        return None
    return argv


_CONTROL_END = re.compile(rb"\x1b(\[[0-9;?]*[@-~]|[()][0-9A-Za-z]|[78=>])$")


def _ends_mid_line(tail: bytes) -> bool:
    """Whether output ending with ``tail`` leaves the cursor after text on its line (a full-screen
    program's last bytes are control sequences that put it back where it was: not then)."""
    return not tail.endswith(b"\n") and _CONTROL_END.search(tail) is None


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
    from pshell.remote.invocation import ConnectionBroken

    inv_id = conn.next_id()
    ended: Dict[str, Any] = {}
    wake_r, wake_w = os.pipe()
    finished = threading.Event()

    tail = [b"\n"]

    def on_message(msg: Dict[str, Any]) -> None:
        if msg.get("t") == "pout":
            data = bytes(msg.get("_bin") or b"")
            if data:
                tail[0] = (tail[0] + data)[-32:]
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
    if _ends_mid_line(tail[0]):
        os.write(stdout, b"\r\n")      # the prompt starts on a line of its own
    if conn.broken is not None:
        raise ConnectionBroken(conn.broken)
    if ended.get("t") == "error":           # a far side that does not know ``pty``
        ended = {"code": 127, "error": f"{argv[0]} was not run: {ended.get('message')}"}
    if ended.get("error"):
        os.write(2, f"{ended['error']}\n".encode("utf-8", "replace"))
    return int(ended.get("code") or 0)
