"""Out-Null, in a module of its own: ``... | Out-Null`` formats nothing, so it does not load the
formatting modules (``cmdlets/format.py`` with ``format_render`` and ``format_custom``)."""

from __future__ import annotations

from pshell.engine.cmdlet import Cmdlet, Param, register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, Optional

__all__ = ["OutNull"]


@register
class OutNull(Cmdlet):
    name = "Out-Null"
    synopsis = "Hides the output instead of sending it down the pipeline or displaying it."
    params = (Param("InputObject", "object", pipeline=True),)

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        if upstream is not None:
            for _ in upstream:
                pass
        return
        yield
