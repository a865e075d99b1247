"""Format-Table, Format-List, Format-Wide, Format-Custom, Out-String, Out-Default, Out-Host, Out-Null.

``Format-*`` turn objects into :class:`~pshell.engine.format.FormatEntry` records (cells already
text, calculated properties already evaluated); Out-Default, Out-String and redirection render
those records like any other object, so ``Get-Job | Format-List | Out-String`` works.
"""

from __future__ import annotations


from pshell.engine import format as fmt
from pshell.engine import format_render
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.format_custom import DEFAULT_DEPTH, render_custom
from pshell.engine.errors import RuntimeException
from pshell.engine.values import AutomationNull, to_str, type_names_of
from pshell.cmdlets.out_null import OutNull   # noqa: F401  (its own module: it formats nothing)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, List, Optional

__all__ = [
    "FormatCustom",
    "GetFormatData",
    "FormatList",
    "FormatTable",
    "FormatWide",
    "OutDefault",
    "OutHost",
    "OutNull",
    "OutString",
]


def _is_scriptblock(value: Any) -> bool:
    return type(value).__name__ == "ScriptBlock"


def _wildcard(pattern: str) -> Any:
    import re
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body + r"\Z", re.IGNORECASE | re.DOTALL)


def _expand(value: Any) -> Iterator[Any]:
    """What a formatter does with its input: arrays and dictionaries are shown item by item."""
    if value is None or value is AutomationNull:
        return
    if isinstance(value, (list, tuple, range)):
        for item in value:
            yield from _expand(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield fmt.DictionaryEntry(key, item)
    else:
        yield value


def _is_plain(obj: Any) -> bool:
    return isinstance(obj, (str, int, float, bool))


class _Formatter(Cmdlet):
    """Shared machinery of Format-Table/-List/-Wide."""

    kind = "table"
    Property: Any
    GroupBy: Any
    InputObject: Any
    AutoSize: bool
    Column: Optional[int]

    def begin(self) -> None:
        self._shapes = fmt.ShapeCache(location=lambda: self.runspace.location)
        self._fixed: Optional[fmt.Shape] = None
        self._group_col = self._column(self.GroupBy) if self.GroupBy is not None else None

    def process(self) -> Iterator[Any]:
        for obj in _expand(self.InputObject):
            if isinstance(obj, fmt.FormatEntry):
                yield obj
                continue
            entry = self._entry(obj)
            if entry is not None:
                yield entry

    # ---- columns ------------------------------------------------------------------
    def _evaluate(self, expression: Any, obj: Any) -> Any:
        if isinstance(expression, str):
            return fmt.member_value(obj, expression)
        result = self.invoke(expression, dollar_under=obj)
        if not result:
            return None
        return result[0] if len(result) == 1 else list(result)

    def _getter(self, expression: Any) -> Callable[[Any], Any]:
        return lambda obj: self._evaluate(expression, obj)

    def _column(self, spec: Any) -> fmt.Column:
        if isinstance(spec, dict):
            return self._calculated(spec)
        if _is_scriptblock(spec):
            return fmt.Column(to_str(spec).strip(), self._getter(spec))
        name = to_str(spec)
        return fmt.Column(name, name)

    def _calculated(self, spec: dict) -> fmt.Column:
        label: Optional[str] = None
        expression: Any = None
        width = 0
        align: Optional[str] = None
        for key, value in spec.items():
            which = _key_kind(str(key))
            if which is None:
                raise self.terminate(f"The {key} key is not valid.", "IllegalKey",
                                     "InvalidArgument")
            if which in ("name", "label"):
                label = to_str(value)
            elif which == "expression":
                expression = value
            elif which == "width":
                width = int(value)
            elif which == "alignment":
                align = to_str(value).lower()
                if align not in ("left", "right", "center"):
                    raise self.terminate(f'The Alignment key has an invalid value "{value}". '
                                         f'Use Left, Center or Right.', "IllegalKey",
                                         "InvalidArgument")
        if expression is None:
            raise self.terminate("The Expression key is missing.", "MissingKey",
                                 "InvalidArgument")
        if label is None:
            label = expression if isinstance(expression, str) else to_str(expression).strip()
        getter: Any = to_str(expression) if not _is_scriptblock(expression) else \
            self._getter(expression)
        return fmt.Column(label, getter, width, align)

    def _selected(self) -> Any:
        """-Property, or ``*`` when only -ExcludeProperty is given."""
        if self.Property is None and self._excluded():
            return ["*"]
        return self.Property

    def _excluded(self) -> List[Any]:
        names = getattr(self, "ExcludeProperty", None)
        if names is None:
            return []
        return [_wildcard(to_str(n)) for n in (names if isinstance(names, (list, tuple)) else [names])]

    def _columns_for(self, obj: Any) -> List[fmt.Column]:
        """-Property entries as columns, wildcards matched against ``obj``'s properties."""
        columns = self._property_columns(obj)
        excluded = self._excluded()
        return [c for c in columns if not any(p.match(c.header) for p in excluded)]

    def _property_columns(self, obj: Any) -> List[fmt.Column]:
        selected = self._selected()
        specs = selected if isinstance(selected, (list, tuple)) else [selected]
        columns: List[fmt.Column] = []
        for spec in specs:
            if isinstance(spec, str) and any(ch in spec for ch in "*?"):
                pattern = _wildcard(spec)
                columns += [fmt.Column(p, p) for p in fmt.default_properties(obj)
                            if pattern.match(p)]
            elif isinstance(spec, str):
                # the header is the property's own spelling (Format-Table ID shows "Id")
                real = next((p for p in fmt.default_properties(obj) if p.lower() == spec.lower()),
                            spec)
                columns.append(self._column(real))
            else:
                columns.append(self._column(spec))
        return columns

    def _options(self, shape: fmt.Shape) -> fmt.Shape:
        if self._group_col is not None:
            shape.group_by = self._group_col
            shape.group_label = self._group_col.header
        return shape

    def _entry(self, obj: Any) -> Optional[fmt.FormatEntry]:
        raise NotImplementedError

    def _named_view(self, obj: Any) -> Optional[str]:
        """-View's name, checked: a name no view of ``obj``'s type has stops the command."""
        name = getattr(self, "View", None)
        if not name:
            return None
        if self.Property is not None:
            raise self.terminate("-View and -Property cannot be used together.",
                                 "FormatCannotSpecifyViewAndProperty", "InvalidArgument")
        if fmt.find_view(obj, self.kind, name) is None:
            record = self.error_record(
                f"No {self.kind} view named '{name}' is defined for the type "
                f"'{type_names_of(obj)[0]}'.", "FormatViewNotFound", "InvalidArgument", obj,
                exception_type="System.Management.Automation.PipelineStoppedException")
            raise RuntimeException(record)
        return str(name)


def _key_kind(key: str) -> Optional[str]:
    lowered = key.lower()
    if not lowered:
        return None
    for full in ("name", "label", "expression", "width", "alignment", "formatstring", "depth"):
        if full.startswith(lowered):
            return full
    return None


_COMMON = (
    Param("GroupBy", "object"),
    Param("View", "string"),
    Param("ShowError", "switch"),
    Param("DisplayError", "switch"),
    Param("Force", "switch"),
    Param("Expand", "string"),
    Param("InputObject", "object", pipeline=True),
)


@register
class FormatTable(_Formatter):
    name = "Format-Table"
    synopsis = "Formats the output as a table."
    params = (
        Param("Property", "object[]", position=0),
        Param("AutoSize", "switch"),
        Param("HideTableHeaders", "switch"),
        Param("Wrap", "switch"),
        Param("RepeatHeader", "switch"),
        Param("ExcludeProperty", "string[]"),
    ) + _COMMON
    kind = "table"
    HideTableHeaders: bool
    Wrap: bool

    def _entry(self, obj: Any) -> Optional[fmt.FormatEntry]:
        if self._selected() is None:
            if _is_plain(obj):
                return fmt.FormatEntry(None, raw=to_str(obj))
            if _out_of_band(obj):
                return fmt.FormatEntry(None, raw=_as_text(obj))
            shape = self._shapes.get(obj, "table", self._named_view(obj))
            if shape is None:
                return fmt.FormatEntry(None, raw=to_str(obj))
        else:
            self._named_view(obj)
            if self._fixed is None:
                self._fixed = fmt.Shape("table", self._columns_for(obj))
            shape = self._fixed
        # a view's own AutoSize/HideTableHeaders/Wrap stay unless the switch says otherwise
        for param, attr in (("AutoSize", "autosize"), ("HideTableHeaders", "hide_headers"),
                            ("Wrap", "wrap")):
            if self.is_bound(param):
                setattr(shape, attr, bool(getattr(self, param)))
        return self._options(shape).make_entry(obj)


@register
class FormatList(_Formatter):
    name = "Format-List"
    synopsis = "Formats the output as a list of properties, each on its own line."
    params = (Param("Property", "object[]", position=0), Param("ExcludeProperty", "string[]")) + _COMMON
    kind = "list"

    def begin(self) -> None:
        super().begin()
        self._list_shape = self._options(fmt.Shape("list", None))

    def _entry(self, obj: Any) -> Optional[fmt.FormatEntry]:
        if self._selected() is None:
            if _is_plain(obj) or _out_of_band(obj):
                return fmt.FormatEntry(None, raw=_as_text(obj))
            view = fmt.find_view(obj, "list", self._named_view(obj))
            if view is not None:
                pairs = [(c.header, fmt.format_value(c.value(obj))) for c in view.columns]
            else:
                pairs = [(name, fmt.format_value(_get(obj, name)))
                         for name in fmt.default_properties(obj)]
        else:
            pairs = [(col.header, fmt.format_value(col.value(obj)))
                     for col in self._columns_for(obj)]
        shape = self._list_shape
        group = fmt.format_value(shape.group_by.value(obj)) if shape.group_by else None
        return fmt.FormatEntry(shape, pairs, None, group)


@register
class FormatWide(_Formatter):
    name = "Format-Wide"
    synopsis = "Formats objects as a wide table that shows one property of each object."
    params = (
        Param("Property", "object", position=0),
        Param("AutoSize", "switch"),
        Param("Column", "int"),
        Param("ExcludeProperty", "string[]"),
    ) + _COMMON
    kind = "wide"

    def _entry(self, obj: Any) -> Optional[fmt.FormatEntry]:
        view_name = self._named_view(obj)
        if self._selected() is not None and not _is_plain(obj):
            # -Property (wildcards allowed) less -ExcludeProperty: the first that is left
            if self._fixed is None:
                columns = self._columns_for(obj)
                self._fixed = fmt.Shape("wide", columns[:1] or [fmt.Column("", lambda o: None)])
            shape = self._fixed
        elif self.Property is not None or _is_plain(obj):
            if self._fixed is None:
                column = self._column(self.Property) if self.Property is not None else \
                    fmt.Column("", lambda o: o)
                self._fixed = fmt.Shape("wide", [column])
            shape = self._fixed
        else:
            found = self._shapes.get(obj, "wide", view_name)
            if found is None:
                return fmt.FormatEntry(None, raw=to_str(obj))
            shape = found
        if self.AutoSize:
            shape.autosize = True
        if self.Column:
            shape.wide_columns = int(self.Column)
        return self._options(shape).make_entry(obj)


@register
class FormatCustom(_Formatter):
    name = "Format-Custom"
    synopsis = "Shows each object as a tree of its properties, nested objects and collections."
    params = (
        Param("Property", "object[]", position=0),
        Param("ExcludeProperty", "string[]"),
        Param("Depth", "int"),
    ) + _COMMON
    kind = "custom"
    Depth: Optional[int]

    def _entry(self, obj: Any) -> Optional[fmt.FormatEntry]:
        selected = self._selected()
        if selected is None and (_is_plain(obj) or fmt.find_view(obj, "custom") is not None):
            return fmt.FormatEntry(None, raw=_as_text(obj))
        fields = None
        if selected is not None:
            fields = [(col.header, col.value) for col in self._columns_for(obj)]
        depth = self.Depth if self.Depth is not None and self.Depth >= 0 else DEFAULT_DEPTH
        text = render_custom(obj, fields, depth)
        return fmt.FormatEntry(None, raw="\n" + text + "\n")


@register
class GetFormatData(Cmdlet):
    name = "Get-FormatData"
    synopsis = "Gets the formatting views registered for types."
    params = (
        Param("TypeName", "string[]", position=0),
        Param("PowerShellVersion", "object"),
    )
    TypeName: Any

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        from pshell.engine.format_data import format_definitions
        from pshell.engine.format_xml import session_views
        names = self.TypeName if self.TypeName else ["*"]
        yield from format_definitions([to_str(n) for n in names], session_views(self.runspace))


def _get(obj: Any, name: str) -> Any:
    return fmt.member_value(obj, name)


def _out_of_band(obj: Any) -> bool:
    view = fmt.find_view(obj)
    return view is not None and view.out_of_band


def _as_text(obj: Any) -> str:
    view = fmt.find_view(obj)
    if view is not None and view.kind == "custom":
        return str(fmt.Shape("custom", render=view.render).make_entry(obj).cells)
    return to_str(obj)


# --------------------------------------------------------------------------- Out-*

def _host_width(cmdlet: Cmdlet) -> int:
    host = getattr(cmdlet.runspace, "host", None)
    width = getattr(host, "width", None)
    return width if isinstance(width, int) and width > 0 else 120


@register
class OutString(Cmdlet):
    name = "Out-String"
    synopsis = "Outputs input objects as a string."
    params = (
        Param("Width", "int"),
        Param("Stream", "switch"),
        Param("NoNewline", "switch"),
        Param("InputObject", "object", pipeline=True),
    )
    Width: Optional[int]
    Stream: bool
    NoNewline: bool
    InputObject: Any

    def begin(self) -> None:
        self._items: List[Any] = []
        width = self.Width if self.Width and self.Width > 0 else _host_width(self)
        self._out = format_render.OutDefault(width, batch_seconds=None,
                                   location=lambda: self.runspace.location)

    def process(self) -> Iterator[Any]:
        obj = self.InputObject
        if obj is None or obj is AutomationNull:
            return
        if self.Stream:
            yield from self._out.feed(obj)
        else:
            self._items.append(obj)

    def end(self) -> Iterator[Any]:
        if self.Stream:
            yield from self._out.flush()
            return
        if not self._items:
            return
        lines: List[str] = []
        for obj in self._items:
            lines += self._out.feed(obj)
        lines += self._out.flush()
        yield "".join(lines) if self.NoNewline else "".join(line + "\n" for line in lines)


def _write_to_host(cmdlet: Cmdlet, items: Iterator[Any]) -> None:
    host = getattr(cmdlet.runspace, "host", None)
    writer = getattr(host, "write_objects", None)
    if callable(writer):
        writer(items)
        return
    for _ in items:  # no host (a job or a bare runspace): the objects are dropped, as pwsh does
        pass


def _input_items(cmdlet: Cmdlet, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
    if upstream is not None:
        return upstream
    if cmdlet.is_bound("InputObject"):
        return iter([getattr(cmdlet, "InputObject", None)])
    return iter(())


class _ToHost(Cmdlet):
    """Formats its input to the host; outputs nothing."""

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        _write_to_host(self, _input_items(self, upstream))
        return
        yield


@register
class OutDefault(_ToHost):
    name = "Out-Default"
    synopsis = "Sends the output to the default formatter and to the default output cmdlet."
    params = (
        Param("Transcript", "switch"),
        Param("InputObject", "object", pipeline=True),
    )


@register
class OutHost(_ToHost):
    name = "Out-Host"
    synopsis = "Sends output to the command line."
    params = (
        Param("Paging", "switch"),
        Param("InputObject", "object", pipeline=True),
    )
