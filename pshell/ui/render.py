"""Terminal rendering of output objects with rich: the same views and layout as the plain
formatter (``pshell.engine.format``), with colour, at the terminal's width.

The engine's formatter produces styled lines (``(text, style)`` segments); this module maps the
style names to rich styles and prints them without rich's own wrapping, markup or highlighting
(object text is data, never markup).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional

from rich.console import Console
from rich.text import Text

from pshell.engine.format import BATCH_SECONDS
from pshell.engine.format_render import OutDefault, styled_text

if TYPE_CHECKING:
    from pshell.engine.format import StyledLine

__all__ = ["STYLES", "RichOutDefault", "render_objects", "to_rich_text"]

#: pwsh's $PSStyle defaults: table headers and list labels bold green, errors red.
STYLES: Dict[str, str] = {
    "header": "bold green",
    "label": "bold green",
    "group": "bold",
    "error": "red",
    "warning": "yellow",
    "verbose": "yellow",
    "debug": "yellow",
}


def to_rich_text(line: StyledLine) -> Text:
    text = Text(no_wrap=True, overflow="ignore", end="")
    last = len(line) - 1
    for index, (segment, style) in enumerate(line):
        if index == last:
            segment = segment.rstrip()
        text.append(segment, style=STYLES.get(style) if style else None)
    return text


class RichOutDefault:
    """Streaming Out-Default onto a rich Console: ``feed(obj)`` prints what is complete,
    ``flush()`` the rest, ``poll()`` a table held back for its widths once its time is up.  Each
    returns the plain text of the lines it printed.  The width follows the console's width
    each time a new table or list starts."""

    def __init__(self, console: Console, location: Optional[Callable[[], Optional[str]]] = None,
                 batch_seconds: Optional[float] = BATCH_SECONDS) -> None:
        self.console = console
        self._out = OutDefault(console.width, batch_seconds=batch_seconds, location=location)

    def feed(self, obj: Any) -> List[str]:
        if self._out._group is None:
            self._out.width = max(self.console.width, 10)
        return self._print(self._out.feed_styled(obj))

    def flush(self) -> List[str]:
        return self._print(self._out.flush_styled())

    def poll(self) -> List[str]:
        return self._print(self._out.poll_styled())

    def _print(self, lines: List[StyledLine]) -> List[str]:
        for line in lines:
            self.console.print(to_rich_text(line), highlight=False, markup=False, emoji=False,
                               soft_wrap=True, crop=False)
        return [styled_text(line) for line in lines]


def render_objects(objects: Iterable[Any], console: Console) -> None:
    """Print ``objects`` to ``console`` as Out-Default would (no batching delay)."""
    out = RichOutDefault(console, batch_seconds=None)
    for obj in objects:
        out.feed(obj)
    out.flush()
