"""``[System.Management.Automation.Internal.InternalTestHooks]::SetTestHook(name, value)``: switches
PowerShell's own tests turn on to reach code a test cannot otherwise reach (``ShowMarkdownOutputBypass``:
Show-Markdown -UseBrowser writes the HTML instead of opening a browser).  Process-wide, as in pwsh."""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List

__all__ = ["set_test_hook", "test_hook"]

_HOOKS: Dict[str, Any] = {}


def set_test_hook(args: List[Any]) -> None:
    from pshell.engine.values import to_bool, to_str
    if len(args) != 2:
        raise ValueError("SetTestHook takes a hook's name and its value")
    _HOOKS[to_str(args[0]).lower()] = to_bool(args[1])


def test_hook(name: str) -> Any:
    return _HOOKS.get(name.lower(), False)
