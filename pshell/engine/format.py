"""Output formatting: objects become text the way PowerShell's default formatting does.

This module holds the model; the text is made in format_render.py.

- A **view registry** keyed by type name.  ``register_view(type_name, kind, columns)`` declares how
  a type is shown (``table``, ``list``, ``wide``, or ``custom`` with a render function).
  ``Deserialized.X`` finds X's view (``find_view``).  Modules register views for their own types at
  import; the built-in types' views are at the end of this file.
- **Shapes and entries**: a :class:`Shape` is a concrete layout for a run of objects (its columns,
  widths, alignment, grouping); ``shape.make_entry(obj)`` turns one object into a
  :class:`FormatEntry` whose cells are already strings.  ``Format-Table``/``-List``/``-Wide`` emit
  these entries as their output objects, so formatting can travel down a pipeline.
- ``format_value``: a value as the text of one cell.
"""
from __future__ import annotations

try:                            # datetime's classes from the C module datetime.py re-exports:
    import _datetime as _dt     # datetime.py first defines them in Python (~0.6 ms of start-up)
except ImportError:
    import datetime as _dt

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
    "Shape",
    "ShapeCache",
    "View",
    "default_properties",
    "find_view",
    "format_value",
    "member_value",
    "register_view",
    "shape_for",
    "views_for",
]

ELLIPSIS = "\u2026"
ENUMERATION_LIMIT = 4
BATCH_SECONDS = 0.3
BATCH_MAX = 1000
MAX_TABLE_COLUMNS = 10

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union
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


if TYPE_CHECKING:
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
