"""Switch-Process (alias exec): replace pshell with a program (engine/process_replace.py)."""

from __future__ import annotations


from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.values import to_str


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

@register
class SwitchProcess(Cmdlet):
    name = "Switch-Process"
    synopsis = "Replaces pshell with a program, which keeps its process id, environment and terminal."
    params = (Param("WithCommand", "string[]", position=0, remaining=True),) + SHOULD_PROCESS_PARAMS
    literal_after_first = True      # `exec bash -c cmd`: -c belongs to bash (engine/binder.py)

    def process(self) -> Iterator[Any]:
        from pshell.engine.native import find_executable
        from pshell.engine.process_replace import replace_process
        words = _words(self.WithCommand)
        if not words:
            return
        name, args = words[0], words[1:]
        path = find_executable(name, self.runspace.location, self.runspace.environ)
        if path is None:
            raise self.terminate(f"Cannot run '{name}': no program of that name was found (only a "
                                 f"program, not a cmdlet, function or alias, can replace the shell).",
                                 "CommandNotFound", "ObjectNotFound", name)
        if not getattr(self.runspace, "owns_process", False):
            raise self.terminate("Switch-Process can only replace pshell itself: this runspace (a job, "
                                 "a hosted PowerShell or a remote session) shares its process.",
                                 "SwitchProcessNotOwner", "InvalidOperation", name)
        if not self.should_process(" ".join([path, *args]), "Switch-Process"):
            return
        yield from ()
        try:
            replace_process(path, args, self.runspace.environ, self.runspace.location,
                            self.runspace.host)
        except OSError as exc:
            raise self.terminate(f"Cannot run '{path}': {exc.strerror or exc}.", "SwitchProcessFailed",
                                 "InvalidOperation", name) from None


def _words(values: Any) -> list:
    """The command line as words: ``-name:`` followed by its value (how the binder passes a
    ``-name:value`` it does not bind) is one word again."""
    words: list = []
    for value in values or ():
        if value is None:
            continue
        text = to_str(value)
        if words and words[-1].startswith("-") and words[-1].endswith(":") and len(words) > 1:
            words[-1] += text
        else:
            words.append(text)
    return words
