"""Format files (``*.format.ps1xml``): view definitions read into a runspace's own view table.

``Update-FormatData -AppendPath/-PrependPath`` reads a file's ``<Configuration><ViewDefinitions>``
into :class:`SessionViews`, kept on the runspace (``runspace.__dict__["format_views"]``).  The view
registry (engine/format.py) asks it first: prepended files' views come before the built-in ones,
appended files' after, so a type without a built-in view gets the file's first view as default.

Reading a file is a trust boundary (it may come from anywhere): the text goes through expat with
handlers that refuse any DOCTYPE or entity declaration (nothing is ever expanded), elements nest
at most ``MAX_NESTING`` deep, a file is at most ``MAX_BYTES``, and a view that is incomplete or
has an element we do not know where one must be known is a :class:`FormatXmlError` naming the
file and line; nothing of a faulty file is loaded.

Understood: table views (headers with Label/Width/Alignment, columns by PropertyName or
ScriptBlock, AutoSize, HideTableHeaders, Wrap), list views (Label, PropertyName/ScriptBlock),
wide views (one item, ColumnNumber), custom views (Text, NewLine, ExpressionBinding, Frame with
LeftIndent) and GroupBy.  Each loaded view keeps its element so Export-FormatData writes it back
as it was read.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple
from pshell.engine.safe_xml import XmlElement, XmlReadError, read_elements

from pshell.engine import format as fmt

__all__ = ["FormatXmlError", "SessionViews", "XmlElement", "parse_format_xml", "session_views",
           "MAX_BYTES", "MAX_NESTING"]

MAX_NESTING = 64
MAX_BYTES = 16 * 1024 * 1024


class FormatXmlError(ValueError):
    """A format file pshell will not load; the message names the file and line."""


def parse_xml(text: str, path: str) -> XmlElement:
    """The root element of ``text``, read safely (see the module's docstring)."""
    if len(text) > MAX_BYTES:
        raise FormatXmlError(f"{path}: the file is larger than {MAX_BYTES} bytes.")
    try:
        return read_elements(text, MAX_NESTING, "format files")
    except XmlReadError as exc:
        raise FormatXmlError(f"{path}, line {exc.line}: {exc.detail}.") from None


# --------------------------------------------------------------------------- views

ScriptRunner = Callable[[str, Any], Any]     # (script text, $_) -> value


class _Reader:
    def __init__(self, path: str, run_script: ScriptRunner) -> None:
        self.path = path
        self.run_script = run_script

    def fail(self, element: XmlElement, detail: str) -> FormatXmlError:
        return FormatXmlError(f"{self.path}, line {element.line}: <{element.tag}>: {detail}")

    def getter(self, element: XmlElement) -> Tuple[Optional[fmt.Getter], str]:
        """The value an item shows (PropertyName or ScriptBlock) and the name it goes by."""
        name = element.value("PropertyName")
        if name:
            return name, name
        script = element.value("ScriptBlock")
        if script:
            run = self.run_script

            def value(obj: Any) -> Any:
                return run(script, obj)
            value.script = script       # type: ignore[attr-defined]
            return value, script
        return None, ""

    def views(self, root: XmlElement) -> List[fmt.View]:
        if root.tag != "Configuration":
            raise self.fail(root, "the root element of a format file must be <Configuration>.")
        out: List[fmt.View] = []
        for section in root.children:
            if section.tag != "ViewDefinitions":
                continue            # SelectionSets, Controls, DefaultSettings: not used
            for node in section.children:
                if node.tag != "View":
                    raise self.fail(node, "only <View> elements belong in <ViewDefinitions>.")
                out.append(self.view(node))
        return out

    def view(self, node: XmlElement) -> fmt.View:
        name = node.value("Name")
        if not name:
            raise self.fail(node, "a view needs a <Name>.")
        selected = node.child("ViewSelectedBy")
        types = [c.text.strip() for c in selected.children if c.tag == "TypeName" and c.text.strip()] \
            if selected is not None else []
        if not types:
            raise self.fail(node, f"view '{name}' has no <ViewSelectedBy><TypeName>.")
        controls = [c for c in node.children
                    if c.tag in ("TableControl", "ListControl", "WideControl", "CustomControl")]
        if len(controls) != 1:
            raise self.fail(node, f"view '{name}' needs exactly one of <TableControl>, "
                                  f"<ListControl>, <WideControl> or <CustomControl>.")
        control = controls[0]
        kind = control.tag[:-len("Control")].lower()
        columns: List[fmt.Column] = []
        render = None
        options: Dict[str, Any] = {}
        if kind == "table":
            columns = self.table(control, options)
        elif kind == "list":
            columns = self.list(control)
        elif kind == "wide":
            columns = self.wide(control, options)
        else:
            render = self.custom(control)
        view = fmt.View(types[0], kind, columns, render=render, name=name)
        view.names = types
        group = node.child("GroupBy")
        if group is not None:
            getter, label = self.getter(group)
            if getter is not None:
                view.group_by = fmt.Column(label, getter)
                view.group_label = group.value("Label") or label
        view.options = options
        view.source = node
        return view

    def _entry(self, control: XmlElement, entries_tag: str, entry_tag: str) -> XmlElement:
        entries = control.child(entries_tag)
        found = [e for e in entries.children if e.tag == entry_tag] if entries is not None else []
        if not found:
            raise self.fail(control, f"needs <{entries_tag}> with a <{entry_tag}>.")
        # an entry without EntrySelectedBy is the default one
        return next((e for e in found if e.child("EntrySelectedBy") is None), found[0])

    def table(self, control: XmlElement, options: Dict[str, Any]) -> List[fmt.Column]:
        headers_node = control.child("TableHeaders")
        headers = [h for h in headers_node.children if h.tag == "TableColumnHeader"] \
            if headers_node is not None else []
        entry = self._entry(control, "TableRowEntries", "TableRowEntry")
        items_node = entry.child("TableColumnItems")
        items = [i for i in items_node.children if i.tag == "TableColumnItem"] \
            if items_node is not None else []
        if not items:
            raise self.fail(entry, "a table row needs <TableColumnItems> with items.")
        if headers and len(headers) != len(items):
            raise self.fail(control, f"{len(headers)} column headers but {len(items)} column items.")
        options["autosize"] = control.child("AutoSize") is not None
        options["hide_headers"] = control.child("HideTableHeaders") is not None
        options["wrap"] = entry.child("Wrap") is not None
        columns = []
        for k, item in enumerate(items):
            getter, label = self.getter(item)
            if getter is None:
                raise self.fail(item, "a column needs <PropertyName> or <ScriptBlock>.")
            header = headers[k] if headers else None
            width = 0
            align = item.value("Alignment") or None
            if header is not None:
                label = header.value("Label") or label
                text = header.value("Width")
                if text:
                    if not text.isdigit() or not 0 < int(text) <= 10000:
                        raise self.fail(header, f"the width '{text}' is not a number from 1 to 10000.")
                    width = int(text)
                align = header.value("Alignment") or align
            if align is not None and align.lower() not in ("left", "right", "center"):
                raise self.fail(item, f"the alignment '{align}' is not Left, Right or Center.")
            columns.append(fmt.Column(label, getter, width, align or "left"))
        return columns

    def list(self, control: XmlElement) -> List[fmt.Column]:
        entry = self._entry(control, "ListEntries", "ListEntry")
        items_node = entry.child("ListItems")
        items = [i for i in items_node.children if i.tag == "ListItem"] if items_node is not None else []
        columns = []
        for item in items:
            getter, label = self.getter(item)
            if getter is None:
                raise self.fail(item, "a list item needs <PropertyName> or <ScriptBlock>.")
            columns.append(fmt.Column(item.value("Label") or label, getter))
        return columns

    def wide(self, control: XmlElement, options: Dict[str, Any]) -> List[fmt.Column]:
        entry = self._entry(control, "WideEntries", "WideEntry")
        item = entry.child("WideItem")
        getter, label = self.getter(item) if item is not None else (None, "")
        if getter is None:
            raise self.fail(entry, "a wide entry needs a <WideItem> with <PropertyName> or "
                                   "<ScriptBlock>.")
        number = control.value("ColumnNumber")
        if number:
            if not number.isdigit() or not 0 < int(number) <= 1000:
                raise self.fail(control, f"the column number '{number}' is not from 1 to 1000.")
            options["columns"] = int(number)
        return [fmt.Column(label, getter)]

    def custom(self, control: XmlElement) -> Callable[[Any], str]:
        entry = self._entry(control, "CustomEntries", "CustomEntry")
        item = entry.child("CustomItem")
        steps = item.children if item is not None else []

        def render(obj: Any) -> str:
            lines = [""]
            self._custom_items(steps, obj, lines, 0)
            return "\n".join(lines).strip("\n")
        return render

    def _custom_items(self, items: List[XmlElement], obj: Any, lines: List[str], indent: int) -> None:
        for item in items:
            if item.tag == "Text":
                self._put(lines, item.text, indent)
            elif item.tag == "NewLine":
                lines.append("")
            elif item.tag == "ExpressionBinding":
                getter, _ = self.getter(item)
                if getter is not None:
                    value = fmt.member_value(obj, getter) if isinstance(getter, str) else getter(obj)
                    self._put(lines, fmt.format_value(value), indent)
            elif item.tag == "Frame":
                left = item.value("LeftIndent")
                inner = item.child("CustomItem")
                if inner is not None:
                    step = int(left) if left and left.isdigit() else 0
                    self._custom_items(inner.children, obj, lines, indent + min(step, 200))

    @staticmethod
    def _put(lines: List[str], text: str, indent: int) -> None:
        for k, part in enumerate(text.split("\n")):
            if k:
                lines.append("")
            if not lines[-1] and part:
                lines[-1] = " " * indent
            lines[-1] += part


def parse_format_xml(text: str, path: str, run_script: ScriptRunner) -> List[fmt.View]:
    """The views of a format file; ``run_script(text, obj)`` evaluates a ScriptBlock item."""
    reader = _Reader(path, run_script)
    return reader.views(parse_xml(text, path))


# --------------------------------------------------------------------------- the runspace's table

class SessionViews:
    """A runspace's views from format files, in load order: prepended before the built-in ones,
    appended after."""

    def __init__(self) -> None:
        self.files: List[Tuple[str, bool, List[fmt.View]]] = []
        self.before: Dict[str, List[fmt.View]] = {}
        self.after: Dict[str, List[fmt.View]] = {}

    def load(self, path: str, views: List[fmt.View], prepend: bool) -> None:
        """Add a file's views; a file loaded again replaces its earlier views."""
        self.files = [f for f in self.files if f[0] != path]
        if prepend:
            self.files.insert(0, (path, True, views))
        else:
            self.files.append((path, False, views))
        self._rebuild()

    def _rebuild(self) -> None:
        self.before, self.after = {}, {}
        for _, prepend, views in self.files:
            target = self.before if prepend else self.after
            for view in views:
                for name in view.names:
                    target.setdefault(name.lower(), []).append(view)

    def all_views(self) -> List[fmt.View]:
        return [view for _, _, views in self.files for view in views]


def session_views(runspace: Any, create: bool = False) -> Optional[SessionViews]:
    table = runspace.__dict__.get("format_views")
    if table is None and create:
        table = runspace.__dict__["format_views"] = SessionViews()
    return table


def script_runner(runspace: Any) -> ScriptRunner:
    """Evaluates a view's ScriptBlock text with ``$_`` set to the object, in ``runspace``; the
    value is the block's one output (a list when several, None when none).  A failing block
    makes an empty cell, as a failing property does."""
    blocks: Dict[str, Any] = {}

    def run(text: str, obj: Any) -> Any:
        from pshell.engine.command_context import invoke_block
        block = blocks.get(text)
        if block is None:
            block = blocks[text] = runspace.compile(text, "<format view>")
        out = list(invoke_block(runspace.new_frame(), block, (), dollar_under=obj))
        if not out:
            return None
        return out[0] if len(out) == 1 else out
    return run


def load_file(runspace: Any, path: str, text: str, prepend: bool) -> List[fmt.View]:
    """Read a format file into the runspace's table (all of it, or nothing when it is faulty)."""
    views = parse_format_xml(text, path, script_runner(runspace))
    table = session_views(runspace, create=True)
    assert table is not None
    table.load(path, views, prepend)
    return views
