"""Output text: the table, list and wide layouts of format.py's entries, as styled lines.

:class:`OutDefault` is a streaming renderer: ``feed(obj)`` returns the complete output lines that
can be printed now, ``flush()`` the rest.  Consecutive objects of one shape share one table; the
table's column widths come from the headers and the first batch of rows (PowerShell waits
300 ms; so do we, or 1000 rows).  Blank lines follow pwsh's rules: one before a table or list
begins, one after each list entry, one after a table ends; strings and numbers are printed as
they come, inside an open table too.  ``format_lines``/``format_to_text`` are Out-String's.

Everything here produces *styled lines* (lists of ``(text, style)`` segments, the style one of
``None``, ``"header"``, ``"label"``, ``"group"``, ``"error"``, ``"warning"``, ``"verbose"``,
``"debug"``), so a terminal renderer (``pshell/ui/render.py``) can colour what plain text leaves
plain.
"""

from __future__ import annotations

import time

from pshell.engine.format import (BATCH_MAX, BATCH_SECONDS, ELLIPSIS, DictionaryEntry, FormatEntry, Shape,
                                  ShapeCache)
from pshell.engine.values import AutomationNull, to_str, type_names_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, List, Optional, Tuple

    from pshell.engine.format import StyledLine

__all__ = ["OutDefault", "cell_width", "format_lines", "format_to_text", "make_out_default", "styled_text"]


def _truncate_at_newline(text: str) -> str:
    for i, ch in enumerate(text):
        if ch in "\r\n":
            return text[:i] + ELLIPSIS
    return text


def cell_width(text: str) -> int:
    """Terminal cells ``text`` occupies: wide East Asian characters take two, combining marks
    none."""
    if text.isascii():
        return len(text)
    import unicodedata
    total = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def _head(text: str, cells: int) -> str:
    """The longest start of ``text`` that fits in ``cells``."""
    if text.isascii():
        return text[:cells]
    used = 0
    for i, ch in enumerate(text):
        used += cell_width(ch)
        if used > cells:
            return text[:i]
    return text


def _tail(text: str, cells: int) -> str:
    if text.isascii():
        return text[len(text) - cells:] if cells > 0 else ""
    return _head(text[::-1], cells)[::-1]


def _fit_field(text: str, width: int, align: str, pad: bool) -> str:
    """One cell on one line: padded to ``width`` or cut with an ellipsis (head kept on the
    left, tail on the right when right-aligned)."""
    text = _truncate_at_newline(text)
    length = cell_width(text)
    if length > width:
        keep = width - 1
        if keep > 0:
            text = ELLIPSIS + _tail(text, keep) if align == "right" else _head(text, keep) + ELLIPSIS
        else:
            text = _tail(text, width) if align == "right" else _head(text, width)
        length = cell_width(text)
        if length >= width or not pad and align != "right":
            return text
    gap = width - length
    if align == "right":
        return " " * gap + text
    if align == "center":
        left = gap // 2
        return " " * left + text + (" " * (gap - left) if pad else "")
    return text + " " * gap if pad else text


def _wrap(text: str, width: int) -> List[str]:
    """Word-wrap ``text`` to ``width`` cells; newlines are kept; long words are cut."""
    if width <= 0:
        return [text]
    out: List[str] = []
    for raw_line in text.replace("\r\n", "\n").split("\n"):
        line = ""
        for word in raw_line.split(" "):
            candidate = word if not line else line + " " + word
            if cell_width(candidate) <= width:
                line = candidate
                continue
            if line:
                out.append(line)
            while cell_width(word) > width:
                piece = _head(word, width)
                if not piece:           # a character wider than the whole field (2 cells in 1)
                    out.append(ELLIPSIS)
                    word = word[1:]
                    continue
                out.append(piece)
                word = word[len(piece):]
            line = word
        out.append(line)
    return out


_NARROWEST = 4         # a shrunk last column narrower than this is left out instead


def _fit_widths(widths: List[int], screen: int) -> List[int]:
    """PowerShell's column-width manager: unsized columns share the room left; when the table
    is too wide, the last visible column shrinks, or is hidden (-1)."""
    widths = list(widths)
    if not widths:
        return widths
    if any(w <= 0 for w in widths):
        fixed = [w > 0 for w in widths]
        widths = [w if w > 0 else 1 for w in widths]
        room = screen - (sum(widths) + len(widths) - 1)
        if room > 0 and not all(fixed):
            free = [k for k, f in enumerate(fixed) if not f]
            share, extra = divmod(room, len(free))
            for i, k in enumerate(free):
                widths[k] += share + (1 if i < extra else 0)
            return widths
        if room >= 0:
            return widths
    while True:
        visible = [k for k, w in enumerate(widths) if w > 0]
        if not visible:
            return widths
        excess = sum(widths[k] for k in visible) + len(visible) - 1 - screen
        if excess <= 0:
            return widths
        last = visible[-1]
        if widths[last] - excess < min(_NARROWEST, widths[last]) and len(visible) > 1:
            widths[last] = -1           # too narrow to show anything useful: left out
        else:
            widths[last] -= excess


def _plain(text: str) -> StyledLine:
    return [(text, None)]


def styled_text(line: StyledLine) -> str:
    return "".join(text for text, _ in line).rstrip()


# --------------------------------------------------------------------------- groups (Out-Default)

class _Group:
    """A run of entries of one shape being rendered.  Table and wide groups may hold entries
    back (``pending``) until their column widths are known."""

    def __init__(self, shape: Shape, width: int, batch_seconds: Optional[float], batch_max: int
                 ) -> None:
        self.shape = shape
        self.width = width
        self.batch_seconds = batch_seconds
        self.batch_max = batch_max
        self.pending: List[Any] = []
        self.pending_entries = 0
        self.started_at: Optional[float] = None
        self.widths: Optional[List[int]] = None
        self.aligns: Optional[List[str]] = None
        self.current_group: Optional[str] = None
        self.seen_group = False
        self.header_lines: Optional[List[StyledLine]] = None
        self.wide_row: List[str] = []
        self.per_row = 0
        self.needs_batch = shape.kind in ("table", "wide") and shape.data_sized

    # ---- feeding ------------------------------------------------------------------
    @property
    def buffering(self) -> bool:
        return self.needs_batch and self.widths is None and self.per_row == 0

    def add(self, entry: FormatEntry) -> List[StyledLine]:
        if self.buffering:
            if self.started_at is None:
                self.started_at = time.monotonic()
            self.pending.append(entry)
            self.pending_entries += 1
            return self.poll()
        return self._emit(entry)

    def raw(self, lines: List[StyledLine]) -> List[StyledLine]:
        if self.buffering and self.pending:
            self.pending.append(lines)
            return self.poll()
        out = self._flush_wide()
        return out + lines

    def poll(self) -> List[StyledLine]:
        if not self.buffering or not self.pending:
            return []
        if self.shape.autosize:
            return []
        full = self.pending_entries >= self.batch_max
        late = (self.batch_seconds is not None and self.started_at is not None
                and time.monotonic() - self.started_at >= self.batch_seconds)
        return self._release() if full or late else []

    def end(self) -> List[StyledLine]:
        out = self._release() if self.pending else []
        out += self._flush_wide()
        if self.shape.kind == "list":
            return out
        return out + [_plain("")]

    # ---- layout -------------------------------------------------------------------
    def _release(self) -> List[StyledLine]:
        entries = [p for p in self.pending if isinstance(p, FormatEntry)]
        self._layout(entries)
        out: List[StyledLine] = []
        pending, self.pending = self.pending, []
        self.pending_entries = 0
        for item in pending:
            if isinstance(item, FormatEntry):
                out += self._emit(item)
            else:
                out += self._flush_wide() + item
        return out

    def _layout(self, entries: List[FormatEntry]) -> None:
        shape = self.shape
        if shape.kind == "wide":
            longest = max((cell_width(e.cells[0]) for e in entries if e.cells and e.cells[0]),
                          default=0)
            self.per_row = _items_per_row(longest, self.width)
            return
        columns = shape.columns or []
        first = entries[0] if entries else None
        self.aligns = [col.align or (first.aligns[k] if first and first.aligns else "left")
                       for k, col in enumerate(columns)]
        if shape.data_sized:
            widths = [cell_width(col.header) for col in columns]
            for entry in entries:
                for k, cell in enumerate(entry.cells[:len(widths)]):
                    size = max((cell_width(p) for p in cell.splitlines()), default=0) \
                        if shape.wrap else cell_width(_truncate_at_newline(cell))
                    widths[k] = max(widths[k], size)
        else:
            widths = [col.width for col in columns]
        self.widths = _fit_widths(widths, self.width)

    def _emit(self, entry: FormatEntry) -> List[StyledLine]:
        shape = self.shape
        out: List[StyledLine] = []
        if shape.group_by is not None and (not self.seen_group or entry.group != self.current_group):
            out += self._flush_wide()
            if self.seen_group:
                out.append(_plain(""))
            label = shape.group_label or shape.group_by.header
            if "{0}" in label:
                head, _, tail = label.partition("{0}")
                out.append([(head, "group"), (entry.group or "", None), (tail, "group")])
            else:
                out.append([(f"   {label}: ", "group"), (entry.group or "", None)])
            out.append(_plain(""))
            self.seen_group = True
            self.current_group = entry.group
            self.header_lines = None
        kind = shape.kind
        if kind == "table":
            if self.widths is None:
                self._layout([entry])
            if self.header_lines is None:
                self.header_lines = [] if shape.hide_headers else self._header()
                out += self.header_lines
            out += self._row(entry.cells, entry.aligns)
        elif kind == "list":
            out += self._list_entry(entry.cells)
            out.append(_plain(""))
        elif kind == "wide":
            if self.per_row == 0:
                self.per_row = shape.wide_columns or 2
            self.wide_row.append(entry.cells[0] if entry.cells else "")
            if len(self.wide_row) >= self.per_row:
                out += self._flush_wide()
        else:
            out += [[(line, None)] for line in str(entry.cells).split("\n")]
        return out

    def _header(self) -> List[StyledLine]:
        columns = self.shape.columns or []
        labels = [col.header for col in columns]
        # a header wider than the width its view declares wraps onto more lines, as pwsh does;
        # any other (sized from the data, shrunk to the screen) is cut with an ellipsis, so a
        # narrow column never stacks its header one letter per line
        if not self.shape.data_sized and any(0 < col.width < cell_width(col.header)
                                              for col in columns):
            lines = self._multiline_row(labels, self.aligns or [], style="header")
        else:
            lines = self._single_row(labels, self.aligns or [], style="header", pad_last=True)
        dashes = []
        for k, label in enumerate(labels):
            width = (self.widths or [])[k]
            dashes.append("-" * min(width, cell_width(label)) if width > 0 else "")
        lines += self._single_row(dashes, self.aligns or [], style="header")
        return lines

    def _row(self, cells: List[str], aligns: Optional[List[str]]) -> List[StyledLine]:
        count = len(self.widths or [])
        cells = (list(cells) + [""] * count)[:count]
        use = self.aligns or ["left"] * count
        if self.shape.wrap:
            return self._multiline_row(cells, use)
        return self._single_row(cells, use)

    def _single_row(self, cells: List[str], aligns: List[str], style: Optional[str] = None,
                    pad_last: bool = False) -> List[StyledLine]:
        widths = self.widths or []
        parts: List[str] = []
        last = len(widths) - 1
        for k, width in enumerate(widths):
            if width <= 0:
                continue
            parts.append(_fit_field(cells[k], width, aligns[k] if k < len(aligns) else "left",
                                    pad=pad_last or k != last))
        return [[(" ".join(parts).rstrip(), style)]]

    def _multiline_row(self, cells: List[str], aligns: List[str], style: Optional[str] = None
                       ) -> List[StyledLine]:
        widths = self.widths or []
        visible = [k for k, w in enumerate(widths) if w > 0]
        columns = {k: _wrap(_truncate_at_newline(cells[k]) if style else cells[k], widths[k])
                   for k in visible}
        height = max((len(v) for v in columns.values()), default=1)
        lines: List[StyledLine] = []
        for row in range(height):
            parts = []
            for k in visible:
                piece = columns[k][row] if row < len(columns[k]) else ""
                parts.append(_fit_field(piece, widths[k], aligns[k] if k < len(aligns) else "left",
                                        pad=True))
            lines.append([(" ".join(parts).rstrip(), style)])
        return lines

    def _list_entry(self, pairs: List[Tuple[str, str]]) -> List[StyledLine]:
        if not pairs:
            return []
        label_width = min(max(cell_width(label) for label, _ in pairs), max(self.width - 4, 1))
        field = max(self.width - label_width - 3, 1)
        lines: List[StyledLine] = []
        for label, value in pairs:
            cut = _head(label, label_width)
            shown = cut + " " * (label_width - cell_width(cut)) + " : "
            chunks: List[str] = []
            for part in (value or "").replace("\r\n", "\n").split("\n"):
                chunks += _wrap(part, field)
            for i, chunk in enumerate(chunks):
                if i == 0:
                    lines.append([(shown, "label"), (chunk, None)])
                else:
                    lines.append(_plain(" " * (label_width + 3) + chunk))
        return [[(t.rstrip() if j == len(line) - 1 else t, s) for j, (t, s) in enumerate(line)]
                for line in lines]

    def _flush_wide(self) -> List[StyledLine]:
        if not self.wide_row:
            return []
        count = self.per_row or 2
        widths = _fit_widths([0] * count, self.width)
        cells = self.wide_row + [""] * (count - len(self.wide_row))
        self.wide_row = []
        parts = []
        for k, width in enumerate(widths):
            if width > 0:
                parts.append(_fit_field(cells[k], width, "left", pad=k != count - 1))
        return [_plain(" ".join(parts).rstrip())]


def _items_per_row(longest: int, screen: int) -> int:
    if longest <= 0 or screen < 1 or longest >= screen:
        return 1
    count = 1
    while longest * (count + 1) + count < screen:
        count += 1
    return count


# --------------------------------------------------------------------------- Out-Default

class OutDefault:
    """Streaming Out-Default: ``feed(obj)`` returns the lines that are complete, ``flush()`` the
    rest.  ``poll()`` releases a table held back for its column widths once the batch time has
    passed (a host may call it while a pipeline is idle).  ``feed_styled``/``flush_styled``/
    ``poll_styled`` return styled lines for a terminal renderer.

    ``location``: a callable giving the current directory (paths in Select-String output are
    shown relative to it)."""

    def __init__(self, width: int = 120, batch_seconds: Optional[float] = BATCH_SECONDS,
                 batch_max: int = BATCH_MAX,
                 location: Optional[Callable[[], Optional[str]]] = None) -> None:
        self.width = max(int(width), 10)
        self.batch_seconds = batch_seconds
        self.batch_max = batch_max
        self.location = location
        self._group: Optional[_Group] = None
        self._shapes = ShapeCache(location=location)

    # ---- public ---------------------------------------------------------------------
    def feed(self, obj: Any) -> List[str]:
        return [styled_text(line) for line in self.feed_styled(obj)]

    def flush(self) -> List[str]:
        return [styled_text(line) for line in self.flush_styled()]

    def poll(self) -> List[str]:
        return [styled_text(line) for line in self.poll_styled()]

    @property
    def holding(self) -> bool:
        """Rows of a table or list are held (a plain line now goes through feed, after them)."""
        return self._group is not None

    def feed_styled(self, obj: Any) -> List[StyledLine]:
        out: List[StyledLine] = []
        self._feed(obj, out)
        return out

    def flush_styled(self) -> List[StyledLine]:
        if self._group is None:
            return []
        group, self._group = self._group, None
        return group.end()

    def poll_styled(self) -> List[StyledLine]:
        return self._group.poll() if self._group is not None else []

    # ---- internals ------------------------------------------------------------------
    def _feed(self, obj: Any, out: List[StyledLine]) -> None:
        if obj is None or obj is AutomationNull:
            return
        if isinstance(obj, FormatEntry):
            if obj.raw is not None:
                self._raw(_text_lines(obj.raw), out)
            elif obj.shape is not None:
                self._entry(obj, out)
            return
        if isinstance(obj, (list, tuple, range)):
            for item in obj:
                self._feed(item, out)
            return
        if isinstance(obj, dict):
            for key, value in obj.items():
                self._feed(DictionaryEntry(key, value), out)
            return
        if hasattr(obj, "__next__") and not isinstance(obj, str):
            for item in obj:
                self._feed(item, out)
            return
        shape = self._shapes.get(obj)
        if shape is None:
            self._raw(_text_lines(to_str(obj)), out)
        elif shape.out_of_band:
            style = _record_style(obj)
            text = shape.make_entry(obj).cells
            self._raw([[(line, style)] for line in str(text).split("\n")], out)
        else:
            self._entry(shape.make_entry(obj), out)

    def _entry(self, entry: FormatEntry, out: List[StyledLine]) -> None:
        group = self._group
        if entry.shape is None:
            return
        if group is None or group.shape is not entry.shape:
            if group is not None:
                out += group.end()
            group = self._group = _Group(entry.shape, self.width, self.batch_seconds,
                                         self.batch_max)
            out.append(_plain(""))
        out += group.add(entry)

    def _raw(self, lines: List[StyledLine], out: List[StyledLine]) -> None:
        if self._group is None:
            out += lines
        else:
            out += self._group.raw(lines)


def _text_lines(text: str) -> List[StyledLine]:
    return [_plain(line) for line in text.replace("\r\n", "\n").split("\n")]


_RECORD_STYLES = {"errorrecord": "error", "warningrecord": "warning", "verboserecord": "verbose",
                  "debugrecord": "debug"}


def _record_style(obj: Any) -> Optional[str]:
    """Errors, warnings... that reach the output keep their colour on a terminal."""
    name = type_names_of(obj)[0].rsplit(".", 1)[-1].lower()
    return _RECORD_STYLES.get(name)


def make_out_default(width: int = 120, location: Optional[Callable[[], Optional[str]]] = None,
                     batch_seconds: Optional[float] = BATCH_SECONDS) -> OutDefault:
    """A streaming Out-Default for plain text (see :class:`OutDefault`)."""
    return OutDefault(width, batch_seconds=batch_seconds, location=location)


def format_lines(objects: Iterable[Any], width: int = 120,
                 location: Optional[Callable[[], Optional[str]]] = None) -> List[str]:
    """Every output line for ``objects``; table widths from all rows (deterministic)."""
    out = OutDefault(width, batch_seconds=None, batch_max=10**9, location=location)
    lines: List[str] = []
    for obj in objects:
        lines += out.feed(obj)
    lines += out.flush()
    return lines


def format_to_text(objects: Iterable[Any], width: int = 120,
                   location: Optional[Callable[[], Optional[str]]] = None) -> str:
    """What ``Out-String`` returns and ``> file`` writes: each line ends with a newline."""
    return "".join(line + "\n" for line in format_lines(objects, width, location))
