"""-WhatIf and -Confirm: one decision for every command that changes state.

A cmdlet that changes state declares ``*SHOULD_PROCESS_PARAMS`` among its ``params`` and asks
``should_process(self, target, action)`` (or ``self.should_process(target, action)``) before each
change; it makes the change only when the answer is True.

* ``-WhatIf`` (or ``$WhatIfPreference`` true in the caller's scope, unless ``-WhatIf:$false``):
  the host is told ``What if: Performing the operation "<action>" on target "<target>".`` and the
  answer is False.
* ``-Confirm`` (or ``$ConfirmPreference`` at or below the command's ``confirm_impact``, unless
  ``-Confirm:$false``): the host is asked; Yes / Yes to All / No / No to All.  A host that cannot
  ask (a job, a closed stdin) makes it a terminating error naming the operation, never a silent
  yes.
"""

from __future__ import annotations


from pshell.engine.cmdlet import Param
from pshell.engine.errors import RuntimeException
from pshell.engine.values import to_bool, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Tuple

__all__ = ["SHOULD_PROCESS_PARAMS", "should_process", "IMPACT_LEVELS", "confirm_needed", "read_choice"]

SHOULD_PROCESS_PARAMS: Tuple[Param, ...] = (
    Param("WhatIf", "switch", aliases=("wi",)),
    Param("Confirm", "switch", aliases=("cf",)),
)

#: $ConfirmPreference's values, lowest first ('None' never asks)
IMPACT_LEVELS = ("Low", "Medium", "High")

_MISSING = object()


def _preference(cmd: Any, name: str) -> Any:
    from pshell.engine.runtime import _NOT_FOUND
    frame = getattr(cmd.ctx, "frame", None)
    if frame is not None:
        value = frame.scope.lookup(name.lower())
        if value is not _NOT_FOUND:
            return value
    getter = getattr(cmd.runspace, "get_variable", None)
    return getter(name) if getter is not None else _MISSING


def what_if(cmd: Any) -> bool:
    """Whether ``cmd`` only says what it would do."""
    if "WhatIf" in cmd.bound:
        return bool(to_bool(cmd.bound["WhatIf"]))
    value = _preference(cmd, "WhatIfPreference")
    return value is not _MISSING and value is not None and bool(to_bool(value))


def confirm_needed(impact: Any, preference: Any) -> bool:
    """Whether a command of ConfirmImpact ``impact`` asks under ``$ConfirmPreference``
    ``preference``: when its impact reaches the preference.  An impact or a preference of 'None'
    (or anything unknown as a preference) never asks; an unknown impact counts as Medium."""
    names = [n.lower() for n in IMPACT_LEVELS]
    level = to_str(preference).strip().lower() if preference is not None else ""
    weight = to_str(impact).strip().lower() if impact is not None else "medium"
    if level not in names or weight == "none":
        return False
    if weight not in names:
        weight = "medium"
    return names.index(weight) >= names.index(level)


def must_confirm(cmd: Any) -> bool:
    """Whether ``cmd`` asks before each change."""
    if "Confirm" in cmd.bound:
        return bool(to_bool(cmd.bound["Confirm"]))
    value = _preference(cmd, "ConfirmPreference")
    if value is _MISSING:
        return False
    return confirm_needed(getattr(cmd, "confirm_impact", "Medium"), value)


def read_choice(reader: Any, text: str, caption: str = "Confirm") -> str:
    """Ask ``text`` through ``reader`` (a host's read_line) until the answer is one of Yes / Yes
    to All / No / No to All: 'yes', 'all', 'no' or 'none'.  A reader that cannot read raises
    (EOFError, OSError) to the caller, who says why it cannot ask."""
    question = (f"{caption}\nAre you sure you want to perform this action?\n{text}\n"
                f'[Y] Yes  [A] Yes to All  [N] No  [L] No to All  (default is "Y"): ')
    while True:
        answer = to_str(reader(question)).strip().lower()
        if answer in ("", "y", "yes"):
            return "yes"
        if answer in ("a", "yes to all"):
            return "all"
        if answer in ("n", "no"):
            return "no"
        if answer in ("l", "no to all"):
            return "none"


def should_process(cmd: Any, target: Any, action: str = "") -> bool:
    """True when ``cmd`` may now perform ``action`` (default: its name) on ``target``."""
    action = action or cmd.name
    target_text = to_str(target)
    if what_if(cmd):
        cmd.write_host(f'What if: Performing the operation "{action}" on target "{target_text}".')
        return False
    if not must_confirm(cmd):
        return True
    state = cmd.__dict__.get("_confirm_all")
    if state is not None:
        return state
    return _ask(cmd, action, target_text)


def _ask(cmd: Any, action: str, target: str) -> bool:
    host = getattr(cmd.runspace, "host", None)
    reader = getattr(host, "read_line", None) if host is not None else None
    try:
        if reader is None:
            raise EOFError
        choice = read_choice(reader, f'Performing the operation "{action}" on target "{target}".')
    except (EOFError, RuntimeException, OSError):
        raise cmd.terminate(
            f'{cmd.name} needs confirmation to perform "{action}" on "{target}", but the host '
            f'cannot ask. Run it again with -Confirm:$false (or set $ConfirmPreference to '
            f"'None') to go ahead, or -WhatIf to see what it would do.",
            "ConfirmationNotPossible", "InvalidOperation", target) from None
    if choice in ("all", "none"):
        cmd.__dict__["_confirm_all"] = choice == "all"
    return choice in ("yes", "all")
