"""Read-Host and Clear-Host: talking to the person at the console.

Read-Host asks the runspace's host (``host.read_line(prompt, secure)``), which the REPL, a job
(which refuses: it has no console) and a remote session each implement their own way; a host
without one falls back to the process's own stdin (``getpass`` for secrets on a terminal).
"""

from __future__ import annotations

import sys

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.credentials import SecureString
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, Optional

__all__ = ["SecureString"]


@register
class ReadHost(Cmdlet):
    name = "Read-Host"
    synopsis = "Reads a line of input from the console."
    params = (
        Param("Prompt", "object", position=0, remaining=True),
        Param("AsSecureString", "switch", sets=("AsSecureString",)),
        Param("MaskInput", "switch", sets=("AsString",)),
    )

    def process(self) -> Iterator[Any]:
        script_host = getattr(self.runspace, "script_host", None)
        if script_host is not None:         # a host a script gave CreateRunspace (engine/host_ui.py)
            from pshell.engine.host_ui import read_through_ui
            prompt_name = None if self.Prompt is None else self._prompt_text()[:-2]
            yield read_through_ui(self.ctx.frame, script_host, prompt_name, bool(self.AsSecureString),
                                  bool(self.MaskInput))
            return
        prompt = self._prompt_text()
        secure = bool(self.AsSecureString or self.MaskInput)
        line = self._read(prompt, secure)
        if line is None:
            return
        if line.endswith("\n"):
            line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
        yield SecureString(line) if self.AsSecureString else line

    def _prompt_text(self) -> str:
        if self.Prompt is None:
            return ""
        value = self.Prompt
        if isinstance(value, (list, tuple)):
            value = " ".join(to_str(v) for v in value)
        return f"{to_str(value)}: "

    def _read(self, prompt: str, secure: bool) -> Optional[str]:
        host = getattr(self.runspace, "host", None)
        reader = getattr(host, "read_line", None) if host is not None else None
        if reader is not None and callable(reader):
            try:
                return reader(prompt, secure=secure)
            except EOFError:
                return None
        return _read_stdin(prompt, secure)


def _read_stdin(prompt: str, secure: bool) -> Optional[str]:
    stream = sys.stdin
    if stream is None:
        return None
    try:
        interactive = stream.isatty()
    except (ValueError, OSError):
        interactive = False
    if secure and interactive:
        import getpass
        try:
            return getpass.getpass(prompt)
        except EOFError:
            return None
    if prompt and interactive:
        sys.stderr.write(prompt)
        sys.stderr.flush()
    line = stream.readline()
    if line == "":
        return None
    return line


@register
class ClearHost(Cmdlet):
    name = "Clear-Host"
    synopsis = "Clears the console screen."
    params = ()

    def process(self) -> None:
        host = getattr(self.runspace, "host", None)
        for method in ("clear_screen", "clear"):
            clear = getattr(host, method, None)
            if clear is not None and callable(clear) and not isinstance(host, dict):
                try:
                    clear()
                    return
                except TypeError:
                    continue
        if getattr(host, "is_terminal", False) or _stdout_is_terminal():
            sys.stdout.write("\x1b[H\x1b[2J\x1b[3J")
            sys.stdout.flush()


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (ValueError, OSError):
        return False
