"""Invoke-Expression: run a string as script code in the caller's scope."""

from __future__ import annotations


from pshell.engine.cmdlet import Cmdlet, Param, qualified_name, register
from pshell.engine.errors import ErrorRecord, RuntimeException
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

__all__ = ["InvokeExpression"]


@register
class InvokeExpression(Cmdlet):
    name = "Invoke-Expression"
    synopsis = "Runs a string as pshell commands, in the current scope."
    params = (
        Param("Command", "object", position=0, mandatory=True, pipeline=True,
              help="The text to run; a script block runs its text."),
    )

    def process(self) -> Iterator[Any]:
        from pshell.engine.compiler import Unit
        from pshell.lang.errors import ParseError
        command = self.Command
        if isinstance(command, (list, tuple)):
            command = "\n".join(to_str(item) for item in command)
        text = command.text if hasattr(command, "ast") and hasattr(command, "text") \
            else to_str(command)
        try:
            block = Unit.from_text(text, "<Invoke-Expression>").script_block()
        except ParseError as exc:
            raise RuntimeException(ErrorRecord(exc.message, f"{exc.error_id},{qualified_name(self.name)}",
                                               "ParserError", text, exc.location,
                                               self.name)) from None
        yield from self.invoke_iter(block, new_scope=False)
