"""Output formatting: objects become text the way PowerShell's default formatting does.

Three parts:

- A **view registry** keyed by type name.  ``register_view(type_name, kind, columns)`` declares how
  a type is shown (``table``, ``list``, ``wide``, or ``custom`` with a render function).
  ``Deserialized.X`` finds X's view.  Modules register views for their own types at import.
- **Shapes and entries**: a :class:`Shape` is a concrete layout for a run of objects (its columns,
  widths, alignment, grouping); ``shape.make_entry(obj)`` turns one object into a
  :class:`FormatEntry` whose cells are already strings.  ``Format-Table``/``-List``/``-Wide`` emit
  these entries as their output objects, so formatting can travel down a pipeline.
- :class:`OutDefault`, a streaming renderer: ``feed(obj)`` returns the complete output lines that
  can be printed now, ``flush()`` the rest.  Consecutive objects of one shape share one table; the
  table's column widths come from the headers and the first batch of rows (PowerShell waits
  300 ms; so do we, or 1000 rows).  Blank lines follow pwsh's rules: one before a table or list
  begins, one after each list entry, one after a table ends; strings and numbers are printed as
  they come, inside an open table too.

Everything here produces *styled lines* (lists of ``(text, style)`` segments, the style one of
``None``, ``"header"``, ``"label"``, ``"group"``, ``"error"``, ``"warning"``, ``"verbose"``,
``"debug"``), so a terminal renderer
(``pshell/ui/render.py``) can colour what plain text leaves plain.
"""

from __future__ import annotations

import datetime as _dt
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from pshell.engine.errors import FlowControl, PipelineStopped
from pshell.engine.type_facts import base_type_name, is_serializable
from pshell.engine.values import (
    NO_PROPERTY,
    Guid,
    AutomationNull,
    PSObject,
    PSTypeInfo,
    SwitchParameter,
    format_number,
    get_property,
    properties_of,
    to_str,
    type_names_of,
)

__all__ = [
    "ELLIPSIS",
    "ENUMERATION_LIMIT",
    "Column",
    "DictionaryEntry",
    "FormatEntry",
    "OutDefault",
    "Shape",
    "ShapeCache",
    "View",
    "default_properties",
    "find_view",
    "format_lines",
    "format_to_text",
    "format_value",
    "make_out_default",
    "member_value",
    "register_view",
    "shape_for",
    "styled_text",
    "views_for",
]

ELLIPSIS = "\u2026"
ENUMERATION_LIMIT = 4
BATCH_SECONDS = 0.3
BATCH_MAX = 1000
MAX_TABLE_COLUMNS = 10

Segment = Tuple[str, Optional[str]]
StyledLine = List[Segment]
Getter = Union[str, Callable[[Any], Any]]


# --------------------------------------------------------------------------- values as cell text

def format_value(value: Any, limit: int = ENUMERATION_LIMIT) -> str:
    """A value as a table cell or list field shows it: arrays as ``{1, 2, 3, 4…}``."""
    if value is None or value is AutomationNull or value is NO_PROPERTY:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, (list, tuple)):
        shown = ", ".join(to_str(item) for item in value[:limit])
        more = ELLIPSIS if len(value) > limit else ""
        return "{" + shown + more + "}"
    return to_str(value)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, SwitchParameter)) and type(value) is not Guid


def _default_align(value: Any) -> str:
    """pwsh right-aligns a column whose first value is a number or a bool."""
    if isinstance(value, (int, float, bool, SwitchParameter)):
        return "right"
    return "left"


# --------------------------------------------------------------------------- columns and views

class Column:
    """One column of a table (or field of a list, or the property of a wide view).

    ``getter`` is a property name or a callable ``f(obj) -> value``; ``width`` 0 means "size it";
    ``align`` is ``"left"``, ``"right"``, ``"center"`` or None (decided by the first value)."""

    __slots__ = ("align", "getter", "header", "width")

    def __init__(self, header: str, getter: Optional[Getter] = None, width: int = 0,
                 align: Optional[str] = None) -> None:
        self.header = header
        self.getter: Getter = header if getter is None else getter
        self.width = int(width or 0)
        self.align = align.lower() if isinstance(align, str) else None

    def value(self, obj: Any) -> Any:
        getter = self.getter
        if isinstance(getter, str):
            return member_value(obj, getter)
        try:
            return getter(obj)
        except (PipelineStopped, FlowControl):
            raise
        except Exception:  # noqa: BLE001 - a failing calculated value is an empty cell, as in pwsh
            return None

    def __repr__(self) -> str:
        return f"Column({self.header!r}, width={self.width}, align={self.align!r})"


_get_member: Any = None


def _plain_property(target: Any, member: str) -> Any:
    value = get_property(target, member, None)
    return None if value is NO_PROPERTY else value


def member_value(obj: Any, name: str) -> Any:
    """``obj.name`` as script code sees it (string ``Length``, date parts...); None if absent."""
    global _get_member
    if _get_member is None:
        try:
            from pshell.engine.members import get_member
            _get_member = get_member
        except ImportError:  # a bare engine without the members module
            _get_member = _plain_property
    if isinstance(obj, (PSObject, DictionaryEntry)):
        value = get_property(obj, name, None)
        return None if value is NO_PROPERTY else value
    try:
        return _get_member(obj, name)
    except (PipelineStopped, FlowControl):
        raise
    except Exception:  # noqa: BLE001 - a property that fails to read shows as empty
        return None


ColumnSpec = Union[Column, str, Sequence[Any]]


def _as_column(spec: ColumnSpec, default_align: Optional[str]) -> Column:
    if isinstance(spec, Column):
        return spec
    if isinstance(spec, str):
        return Column(spec, spec, 0, default_align)
    items = list(spec)
    header = items[0]
    getter = items[1] if len(items) > 1 else header
    width = items[2] if len(items) > 2 and items[2] else 0
    align = items[3] if len(items) > 3 and items[3] else default_align
    return Column(header, getter, width, align)


class View:
    """A registered way to show a type."""

    __slots__ = (
        "columns",
        "group_by",
        "group_label",
        "kind",
        "name",
        "names",
        "options",
        "out_of_band",
        "render",
        "source",
        "type_name",
    )

    def __init__(self, type_name: str, kind: str, columns: List[Column],
                 group_by: Optional[Column] = None, group_label: Optional[str] = None,
                 render: Optional[Callable[..., str]] = None, out_of_band: bool = False,
                 name: str = "") -> None:
        self.type_name = type_name
        self.kind = kind
        self.columns = columns
        self.group_by = group_by
        self.group_label = group_label
        self.render = render
        self.out_of_band = out_of_band
        self.name = name or type_name
        self.names = [type_name]
        self.options: Dict[str, Any] = {}    # from a format file: autosize, hide_headers, wrap, columns
        self.source: Any = None              # the format file's element it was read from

    def __repr__(self) -> str:
        return f"View({self.type_name!r}, {self.kind!r})"


_VIEWS: Dict[str, List[View]] = {}
_KINDS = ("table", "list", "wide", "custom")


def register_view(type_name: Union[str, Sequence[str]], kind: str = "table",
                  columns: Iterable[ColumnSpec] = (),
                  group_by: Optional[ColumnSpec] = None, group_label: Optional[str] = None,
                  render: Optional[Callable[..., str]] = None, out_of_band: bool = False,
                  name: str = "") -> View:
    """Declare a view of ``type_name``.  The first view registered for a type is its default;
    later ones of another kind serve ``Format-List``/``Format-Wide``/``Format-Table``.

    ``columns``: ``(header, property-or-callable, width, align)`` tuples (width and align
    optional), plain property names, or :class:`Column` objects.  In a view, columns without an
    alignment are left-aligned (as in PowerShell's format files).
    ``kind="custom"``: ``render(obj)`` returns the text (a ``location`` parameter, if the function
    has one, receives the current directory);
    ``out_of_band=True`` prints it like a string, without the blank lines around a group.
    ``group_by``/``group_label``: start a new group (``   Label: value``) when the value changes;
    a label containing ``{0}`` is the whole group line (``"    Directory: {0}"``).
    ``type_name`` may be several names sharing one view (objects of those types then share a
    table, as files and directories do).  Views of one kind with the same headers share a table
    too.  Registering the same type and kind again replaces the earlier view."""
    if kind not in _KINDS:
        raise ValueError(f"unknown view kind {kind!r}")
    names = [type_name] if isinstance(type_name, str) else list(type_name)
    cols = [_as_column(spec, "left") for spec in columns]
    group = _as_column(group_by, None) if group_by is not None else None
    view = View(names[0], kind, cols, group, group_label, render, out_of_band, name)
    view.names = names
    for one in names:
        bucket = _VIEWS.setdefault(one.lower(), [])
        bucket[:] = [v for v in bucket if v.kind != kind]
        bucket.append(view)
    return view


def all_views() -> List[List[View]]:
    """Every registered type's views (for Get-FormatData)."""
    return [list(bucket) for bucket in _VIEWS.values()]


def views_for(type_name: str) -> List[View]:
    return list(_VIEWS.get(type_name.lower(), ()))


def _session_views() -> Any:
    """The running runspace's views from format files (engine/format_xml.py), or None."""
    global _CURRENT
    if _CURRENT is None:
        from pshell.engine.runtime import CURRENT
        _CURRENT = CURRENT
    runspace = getattr(_CURRENT, "runspace", None)
    return None if runspace is None else runspace.__dict__.get("format_views")


_CURRENT: Any = None


def _candidates(lowered: str, session: Any) -> List[View]:
    built_in = _VIEWS.get(lowered, [])
    if session is None:
        return built_in
    return session.before.get(lowered, []) + built_in + session.after.get(lowered, [])


def find_view(obj: Any, kind: Optional[str] = None, name: Optional[str] = None) -> Optional[View]:
    """The view for ``obj`` (of ``kind`` if given, called ``name`` if given), searching its type
    names most specific first; ``Deserialized.X`` matches X's views.  Views the runspace read
    from format files count too (prepended ones first, appended ones after the built-in ones).
    A view whose cmdlet module was not imported yet is loaded first (see
    ``pshell.cmdlets.VIEW_MODULES``)."""
    names = type_names_of(obj)
    _load_view_modules(names)
    session = _session_views()
    for type_name in names:
        lowered = type_name.lower()
        for candidate in (lowered, lowered[len("deserialized."):]
                          if lowered.startswith("deserialized.") else None):
            if candidate is None:
                continue
            views = _candidates(candidate, session)
            if not views:
                continue
            for view in views:
                if (kind is None or view.kind == kind) and \
                        (name is None or view.name.lower() == name.lower()):
                    return view
    return None


_VIEW_MODULES_LOADED: set = set()


def _load_view_modules(names: Sequence[str]) -> None:
    for name in names:
        lowered = name.lower()
        if lowered.startswith("deserialized."):
            lowered = lowered[len("deserialized."):]
        if lowered in _VIEWS or lowered in _VIEW_MODULES_LOADED:
            continue
        try:
            from pshell.cmdlets import VIEW_MODULES
        except ImportError:
            return
        module = VIEW_MODULES.get(lowered)
        _VIEW_MODULES_LOADED.add(lowered)
        if module is not None:
            import importlib
            importlib.import_module(f"pshell.cmdlets.{module}")


# --------------------------------------------------------------------------- shapes and entries

class FormatEntry:
    """One formatted object: what ``Format-*`` emit and ``Out-Default`` renders.  ``cells`` are
    strings (table: one per column; list: ``(label, value)`` pairs; wide: one; custom: the
    text), computed when the entry was made.  ``raw`` is text printed as is (a string that went
    through ``Format-Table``)."""

    __slots__ = ("aligns", "cells", "group", "raw", "shape")
    ps_type_names = ("Microsoft.PowerShell.Commands.Internal.Format.FormatEntryData",)
    ps_properties = ()

    def __init__(self, shape: Optional["Shape"], cells: Any = None,
                 aligns: Optional[List[str]] = None, group: Optional[str] = None,
                 raw: Optional[str] = None) -> None:
        self.shape = shape
        self.cells = cells
        self.aligns = aligns
        self.group = group
        self.raw = raw

    def ToString(self) -> str:
        return "Microsoft.PowerShell.Commands.Internal.Format.FormatEntryData"

    def __repr__(self) -> str:
        return f"FormatEntry({self.cells!r})"


class Shape:
    """A concrete layout shared by a run of objects: kind, columns and table options.

    ``columns=None`` on a list shape means "every property of each object"."""

    def __init__(self, kind: str, columns: Optional[List[Column]] = None, *,
                 autosize: bool = False, hide_headers: bool = False, wrap: bool = False,
                 wide_columns: int = 0, group_by: Optional[Column] = None,
                 group_label: Optional[str] = None, render: Optional[Callable[..., str]] = None,
                 out_of_band: bool = False, location: Optional[Callable[[], Optional[str]]] = None
                 ) -> None:
        self.kind = kind
        self.columns = columns
        self.autosize = autosize
        self.hide_headers = hide_headers
        self.wrap = wrap
        self.wide_columns = wide_columns
        self.group_by = group_by
        self.group_label = group_label
        self.render = render
        self.out_of_band = out_of_band
        self.location = location

    @property
    def data_sized(self) -> bool:
        """Whether column widths come from the data (else from the declared widths)."""
        if self.kind == "wide":
            return self.autosize and not self.wide_columns
        if self.kind != "table":
            return False
        return self.autosize or not self.columns or self.columns[0].width == 0

    def make_entry(self, obj: Any) -> FormatEntry:
        group = format_value(self.group_by.value(obj)) if self.group_by is not None else None
        kind = self.kind
        if kind == "table":
            raws = [col.value(obj) for col in self.columns or ()]
            cells = [format_value(v) for v in raws]
            aligns = [col.align or _default_align(v) for col, v in zip(self.columns or (), raws)]
            return FormatEntry(self, cells, aligns, group)
        if kind == "list":
            if self.columns is None:
                pairs = [(name, format_value(_property(obj, name))) for name in properties_of(obj)]
            else:
                pairs = [(col.header, format_value(col.value(obj))) for col in self.columns]
            return FormatEntry(self, pairs, None, group)
        if kind == "wide":
            col = self.columns[0] if self.columns else None
            text = format_value(col.value(obj)) if col is not None else to_str(obj)
            return FormatEntry(self, [text], None, group)
        return FormatEntry(self, self._render_custom(obj), None, group)

    def _render_custom(self, obj: Any) -> str:
        if self.render is None:
            return to_str(obj)
        try:
            if "location" in getattr(getattr(self.render, "__code__", None), "co_varnames", ()):
                where = self.location() if self.location else None
                return str(self.render(obj, location=where))
            return str(self.render(obj))
        except (PipelineStopped, FlowControl):
            raise
        except Exception:  # noqa: BLE001 - a view that fails shows the object's string
            return to_str(obj)


def _property(obj: Any, name: str) -> Any:
    return member_value(obj, name)


_HIDDEN_PROPERTIES = {"psshowcomputername"}


def default_properties(obj: Any) -> List[str]:
    return [p for p in properties_of(obj) if p.lower() not in _HIDDEN_PROPERTIES]


def shape_for(obj: Any, kind: Optional[str] = None, location: Any = None) -> Optional[Shape]:
    """The default shape of ``obj`` (None: print it as a string).  ``kind`` forces a table,
    list or wide layout the way ``Format-Table``/``-List``/``-Wide`` without ``-Property`` do."""
    view = find_view(obj, kind)
    if view is None and kind is None and _is_scalar(obj):
        return None
    if view is not None:
        return _shape_from_view(view, obj, location)
    props = default_properties(obj)
    if kind is None:
        if not props:
            return None
        kind = "table" if len(props) <= 4 else "list"
    if kind == "list":
        return Shape("list", None)
    if kind == "wide":
        name = next((p for p in props if p.lower() == "name"), props[0] if props else None)
        col = Column(name, name) if name else Column("", lambda o: to_str(o))
        return Shape("wide", [col])
    if not props:
        return Shape("table", [Column(_short_type(obj), lambda o: o, 0, None)])
    return Shape("table", [Column(p, p, 0, None) for p in props[:MAX_TABLE_COLUMNS]])


def _short_type(obj: Any) -> str:
    return type_names_of(obj)[0].rsplit(".", 1)[-1]


def _shape_from_view(view: View, obj: Any, location: Any) -> Shape:
    columns = list(view.columns)
    if (view.kind == "table" and _is_deserialized(obj)
            and get_property(obj, "PSComputerName", None) not in (None, NO_PROPERTY)
            and not any(c.header.lower() == "pscomputername" for c in columns)):
        columns.append(Column("PSComputerName", "PSComputerName", 0, "left"))
    options = view.options
    return Shape(view.kind, columns, group_by=view.group_by, group_label=view.group_label,
                 render=view.render, out_of_band=view.out_of_band, location=location,
                 autosize=bool(options.get("autosize")), hide_headers=bool(options.get("hide_headers")),
                 wrap=bool(options.get("wrap")), wide_columns=int(options.get("columns") or 0))


def _is_deserialized(obj: Any) -> bool:
    return isinstance(obj, PSObject) and bool(obj.type_names) \
        and obj.type_names[0].startswith("Deserialized.")


_NO_VIEW = object()


class ShapeCache:
    """Hands out one :class:`Shape` per kind of object, so consecutive objects of one type (or,
    without a view, one property set) share a table.  ``kind`` forces table/list/wide."""

    def __init__(self, location: Optional[Callable[[], Optional[str]]] = None) -> None:
        self.location = location
        self._shapes: Dict[Any, Optional[Shape]] = {}
        self._views: Dict[Any, Any] = {}

    def get(self, obj: Any, kind: Optional[str] = None, view_name: Optional[str] = None
            ) -> Optional[Shape]:
        names = tuple(type_names_of(obj))
        found = self._views.get((names, kind, view_name), _NO_VIEW)   # looked up once per type
        if found is _NO_VIEW:
            found = self._views[(names, kind, view_name)] = find_view(obj, kind, view_name)
        view = found
        if view is not None:
            remote = _is_deserialized(obj) and \
                get_property(obj, "PSComputerName", None) not in (None, NO_PROPERTY)
            key: Any = ("view", view.kind, tuple(_column_key(c) for c in view.columns),
                        view.group_label, id(view.render) if view.render else None, remote)
            if key not in self._shapes:
                self._shapes[key] = _shape_from_view(view, obj, self.location)
            return self._shapes[key]
        elif kind is None and _is_scalar(obj):
            return None
        else:
            props = default_properties(obj)
            if kind is None and not props:
                return None
            shown = kind or ("table" if len(props) <= 4 else "list")
            key = (shown,) if shown == "list" else (shown, tuple(p.lower() for p in props))
        if key not in self._shapes:
            self._shapes[key] = shape_for(obj, kind, location=self.location)
        return self._shapes[key]


def _column_key(column: Column) -> Any:
    getter = column.getter
    return (column.header.lower(), getter.lower() if isinstance(getter, str) else id(getter),
            column.width, column.align)


class DictionaryEntry:
    """What enumerating a hashtable for display yields (``Name``/``Key`` and ``Value``)."""

    __slots__ = ("Key", "Value")
    ps_type_names = ("System.Collections.DictionaryEntry", "System.ValueType")
    ps_properties = ("Name", "Key", "Value")

    def __init__(self, key: Any, value: Any) -> None:
        self.Key = key
        self.Value = value

    @property
    def Name(self) -> Any:
        return self.Key

    def ToString(self) -> str:
        return "System.Collections.DictionaryEntry"


# --------------------------------------------------------------------------- text helpers

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
                piece = _head(word, width) or word[:1]
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


# --------------------------------------------------------------------------- built-in views

def _long_date(value: _dt.datetime) -> str:
    hour = value.hour % 12 or 12
    half = "AM" if value.hour < 12 else "PM"
    day = f"{value.strftime('%A')}, {value.strftime('%B')} {value.day}, {value.year}"
    time = f"{hour}:{value.minute:02d}:{value.second:02d} {half}"
    hint = getattr(value, "DisplayHint", "DateTime")       # Get-Date -DisplayHint
    return day if hint == "Date" else time if hint == "Time" else f"{day} {time}"


def _render_date(obj: Any) -> str:
    if isinstance(obj, _dt.datetime):
        return _long_date(obj)
    shown = get_property(obj, "DateTime", None)
    return to_str(obj) if shown in (None, NO_PROPERTY) else to_str(shown)


def _timespan_parts(value: _dt.timedelta) -> Dict[str, Any]:
    ticks = (value.days * 86400 + value.seconds) * 10**7 + value.microseconds * 10
    sign = -1 if ticks < 0 else 1
    whole = abs(ticks)
    days, rem = divmod(whole, 864 * 10**9)
    hours, rem = divmod(rem, 36 * 10**9)
    minutes, rem = divmod(rem, 6 * 10**8)
    seconds, rem = divmod(rem, 10**7)
    millis = rem // 10**4
    return {"Days": sign * days, "Hours": sign * hours, "Minutes": sign * minutes,
            "Seconds": sign * seconds, "Milliseconds": sign * millis, "Ticks": ticks,
            "TotalDays": ticks / 864e9, "TotalHours": ticks / 36e9, "TotalMinutes": ticks / 6e8,
            "TotalSeconds": ticks / 1e7, "TotalMilliseconds": ticks / 1e4}


def _timespan_getter(name: str) -> Callable[[Any], Any]:
    def get(obj: Any) -> Any:
        if isinstance(obj, _dt.timedelta):
            return _timespan_parts(obj)[name]
        return _property(obj, name)
    return get


_TIMESPAN_FIELDS = ("Days", "Hours", "Minutes", "Seconds", "Milliseconds", "Ticks", "TotalDays",
                    "TotalHours", "TotalMinutes", "TotalSeconds", "TotalMilliseconds")

def _type_full_name(obj: Any) -> str:
    if isinstance(obj, PSTypeInfo):
        return obj.FullName
    return to_str(_property(obj, "FullName"))


def _type_base(obj: Any) -> str:
    name = _type_full_name(obj)
    if type(obj) is not PSTypeInfo:
        base = _property(obj, "BaseType")       # a script class names its own
        if base is not None:
            return to_str(base)
    return base_type_name(name)


def _match_info(obj: Any, location: Optional[str] = None) -> str:
    method = getattr(obj, "ToEmphasizedString", None)
    if callable(method):
        return str(method(location))
    line = to_str(_property(obj, "Line"))
    if _is_deserialized(obj):
        return line
    path = to_str(_property(obj, "Path"))
    if not path or path == "InputStream":
        return line
    if location:
        prefix = location.rstrip("/") + "/"
        path = path.removeprefix(prefix)
    return f"{path}:{to_str(_property(obj, 'LineNumber'))}:{line}"


def _render_error(obj: Any) -> str:
    render = getattr(obj, "render", None)
    if callable(render):
        return str(render())
    return to_str(obj)


def _register_builtin_views() -> None:
    register_view("System.Collections.DictionaryEntry", "table",
                  [("Name", "Name", 30), ("Value", "Value")], name="Dictionary")
    register_view("System.Collections.DictionaryEntry", "list", ["Name", "Value"])
    register_view("Microsoft.PowerShell.Commands.GroupInfo", "table",
                  [("Count", "Count", 5, "right"), ("Name", "Name", 25), ("Group", "Group")])
    register_view("Microsoft.PowerShell.Commands.GroupInfo", "list",
                  ["Name", "Count", "Group", "Values"])
    register_view("Microsoft.PowerShell.Commands.GroupInfoNoElement", "table",
                  [("Count", "Count", 5, "right"), ("Name", "Name", 25)])
    register_view("Microsoft.PowerShell.Commands.MatchInfo", "custom", render=_match_info)
    register_view("Microsoft.PowerShell.Commands.GenericMeasureInfo", "list",
                  ["Count", "Average", "Sum", "Maximum", "Minimum", "StandardDeviation",
                   "Property"])
    register_view("Microsoft.PowerShell.Commands.TextMeasureInfo", "table",
                  [("Lines", "Lines", 0, "right"), ("Words", "Words", 0, "right"),
                   ("Characters", "Characters", 0, "right"), ("Property", "Property")])
    register_view("System.DateTime", "custom", render=_render_date)
    register_view("System.TimeSpan", "list",
                  [(name, _timespan_getter(name)) for name in _TIMESPAN_FIELDS])
    register_view("System.Management.Automation.ErrorRecord", "custom", render=_render_error,
                  out_of_band=True)
    register_view(["System.Management.Automation.WarningRecord",
                   "System.Management.Automation.VerboseRecord",
                   "System.Management.Automation.DebugRecord"], "custom",
                  render=lambda o: to_str(_property(o, "Message")), out_of_band=True)
    register_view("System.Management.Automation.InformationRecord", "custom",
                  render=lambda o: to_str(o),
                  out_of_band=True)
    type_columns = [("IsPublic", lambda o: True, 8),
                    ("IsSerial", lambda o: is_serializable(_type_full_name(o)), 8),
                    ("Name", "Name", 40), ("BaseType", _type_base)]
    register_view("System.RuntimeType", "table", type_columns)
    register_view("pshell.PSTypeInfo", "table", type_columns)


_register_builtin_views()
