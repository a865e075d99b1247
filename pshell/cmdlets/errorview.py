"""Get-Error: the newest errors (or the ones piped in) in a detailed view."""

from __future__ import annotations


from pshell.engine import format as fmt
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.error_view import EXTENDED_SUFFIX, extended_copy, render_extended
from pshell.engine.values import AutomationNull

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional

__all__ = ["GetError"]

fmt.register_view("System.Management.Automation.ErrorRecord" + EXTENDED_SUFFIX, "custom",
                  render=render_extended)


@register
class GetError(Cmdlet):
    name = "Get-Error"
    synopsis = "Shows the newest errors, or the errors piped to it, with every detail."
    params = (
        Param("Newest", "int", aliases=("Last",)),
        Param("InputObject", "object", pipeline=True),
    )
    Newest: Optional[int]
    InputObject: Any

    def begin(self) -> None:
        if self.Newest is not None and self.Newest < 1:
            raise self.terminate(
                f"Cannot validate argument on parameter 'Newest'. The {self.Newest} argument is "
                f"less than the minimum allowed range of 1. Supply an argument that is greater "
                f"than or equal to 1 and then try the command again.",
                "ParameterArgumentValidationError", "InvalidData")
        self._piped = False

    def process(self) -> Iterator[Any]:
        value = self.InputObject
        if value is None or value is AutomationNull:
            return
        self._piped = True
        for item in value if isinstance(value, list) else [value]:
            yield _shown(item)

    def end(self) -> Iterator[Any]:
        if self._piped:
            return
        errors: List[Any] = list(getattr(self.runspace, "errors", []))
        for record in errors[:self.Newest or 1]:
            yield _shown(record)


def _shown(item: Any) -> Any:
    copy = extended_copy(item)
    return item if copy is None else copy
