"""Switch-Process (``exec``): pshell replaces itself with another program, as ``exec`` in a
Unix shell does.  The program keeps pshell's process id, gets the runspace's environment
and current directory, and inherits the terminal; what pshell had written is flushed first.

Only the runspace that pshell's command line made may do this (``Runspace.owns_process``): a
job, a hosted ``[powershell]`` or the far side of a remote session shares its process with
others, and replacing it would silently end them.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Mapping

__all__ = ["replace_process"]


def replace_process(path: str, args: List[str], environ: Mapping[str, str], location: str,
                    host: Any = None) -> None:
    """Never returns on success; raises OSError when the program cannot be started (then
    pshell goes on as before)."""
    for stream in (getattr(host, "out", None), getattr(host, "err", None), sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    env = {k: v for k, v in environ.items() if "\0" not in k + v and "=" not in k and k}
    previous = os.getcwd() if os.path.isdir(os.curdir) else None
    if os.path.isdir(location):
        os.chdir(location)
    try:
        os.execve(path, [os.path.basename(path), *args], env)
    except OSError:
        if previous is not None:
            os.chdir(previous)
        raise
