"""Output formatting: the plain renderer (engine/format.py), the Format-*/Out-* cmdlets'
formatting logic, and the rich renderer (ui/render.py) at a fixed width."""

from __future__ import annotations

import datetime as dt
import io
import types

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pshell.engine import format as fmt
from pshell.engine import format_render as render
from pshell.engine.errors import ErrorRecord
from pshell.engine.values import Hashtable, PSObject, PSTypeInfo


def obj(**props):
    return PSObject(props)


def text(*objects, width=120):
    return render.format_to_text(objects, width=width)


# --------------------------------------------------------------------------- tables

def test_small_object_is_a_table_with_blank_lines_around():
    assert text(obj(a=1, b="x")) == "\na b\n- -\n1 x\n\n"


def test_numbers_right_aligned_and_header_follows_the_first_value():
    out = text(obj(Name="x", Count=123456), obj(Name="yy", Count=2))
    assert out == "\nName  Count\n----  -----\nx    123456\nyy        2\n\n"


def test_dashes_are_as_long_as_the_header_not_the_column():
    out = text(obj(N="a long value"))
    assert out.splitlines()[1:3] == ["N", "-"]


def test_same_shape_shares_one_table_and_strings_print_inside_it():
    out = text(obj(a=1), "between", obj(a=2))
    assert out == "\na\n-\n1\nbetween\n2\n\n"


def test_change_of_shape_starts_a_new_table():
    out = text(obj(a=1), obj(b=2))
    assert out == "\na\n-\n1\n\n\nb\n-\n2\n\n"


def test_strings_numbers_bools_and_null_print_as_themselves():
    assert text("x", 1, 2.5, True, False, None, 1e20) == "x\n1\n2.5\nTrue\nFalse\n1E+20\n"


def test_cells_show_arrays_nested_objects_and_null():
    out = text(obj(a=[1, 2, 3, 4, 5], b=obj(x=1, y="z"), c=None, d=[1, 2]))
    lines = out.splitlines()
    assert lines[1] == "a".ljust(13) + " " + "b".ljust(11) + " c d"
    assert lines[3] == "{1, 2, 3, 4…} @{x=1; y=z}   {1, 2}"


def test_long_values_are_truncated_to_the_width_with_an_ellipsis():
    out = text(obj(a="x" * 30, b="y" * 200), width=40)
    lines = out.splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert lines[3] == "x" * 30 + " " + "y" * 8 + "…"


def test_multiline_value_is_cut_at_the_newline():
    out = text(obj(a="first\nsecond", b=1))
    assert out.splitlines()[3] == "first… 1"


def test_hashtable_is_a_name_value_table_and_empty_prints_nothing():
    out = text(Hashtable([("a", 1), ("bb", "two")]))
    assert out == ("\nName                           Value\n----                           -----\n"
                   "a                              1\nbb                             two\n\n")
    assert text(Hashtable()) == ""


def test_consecutive_hashtables_share_a_table():
    out = text(Hashtable([("a", 1)]), Hashtable([("b", 2)]))
    assert out.count("Name") == 1


def test_ordered_dictionary_keeps_its_order():
    out = text({"z": 1, "a": 2})
    assert [line.split()[0] for line in out.splitlines()[3:5]] == ["z", "a"]


def test_right_aligned_value_truncates_from_the_left():
    assert render._fit_field("abcdef", 4, "right", True) == "…def"
    assert render._fit_field("abcdef", 4, "left", True) == "abc…"
    assert render._fit_field("ab", 4, "center", True) == " ab "


def test_column_width_manager_shares_room_and_trims_the_last_column():
    assert render._fit_widths([30, 0], 120) == [30, 89]
    assert render._fit_widths([5, 25, 0], 120) == [5, 25, 88]
    assert render._fit_widths([50, 80], 100) == [50, 49]
    assert render._fit_widths([50, 60, 10], 100) == [50, 49, -1]


# --------------------------------------------------------------------------- lists

def test_five_properties_make_a_list_with_aligned_names():
    out = text(obj(a=1, bbb=2, c=3, d=4, e=5))
    assert out == "\na   : 1\nbbb : 2\nc   : 3\nd   : 4\ne   : 5\n\n"


def test_list_entries_are_separated_by_one_blank_line():
    one = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    out = text(obj(**one), obj(**one))
    assert out == "\n" + "a : 1\nb : 2\nc : 3\nd : 4\ne : 5\n\n" * 2


def test_list_values_wrap_at_the_width_and_keep_their_lines():
    out = text(obj(a="1 2 3 4 5 6 7 8 9", b="line1\nline2", c=3, d=4, e=5), width=14)
    lines = out.splitlines()
    assert lines[1:6] == ["a : 1 2 3 4 5", "    6 7 8 9", "b : line1", "    line2", "c : 3"]


# --------------------------------------------------------------------------- views

def test_datetime_shows_the_long_form_between_blank_lines():
    when = dt.datetime(2026, 11, 25, 15, 3, 2)
    assert text(when) == "\nWednesday, November 25, 2026 3:03:02 PM\n\n"
    assert text(dt.datetime(2026, 1, 1, 0, 5, 0)).strip() == "Thursday, January 1, 2026 12:05:00 AM"


def test_timespan_is_a_list():
    out = text(dt.timedelta(days=1, hours=2, milliseconds=5))
    lines = out.splitlines()
    assert lines[1] == "Days              : 1"
    assert lines[2] == "Hours             : 2"
    assert lines[5] == "Milliseconds      : 5"
    assert lines[6] == "Ticks             : 936000050000"
    assert lines[10] == "TotalSeconds      : 93600.005"


def test_group_info_view():
    group = types.SimpleNamespace(Count=2, Name="a", Group=[1, 2], Values=["a"])
    group.ps_type_names = ("Microsoft.PowerShell.Commands.GroupInfo",)

    class GroupInfo:
        ps_type_names = ("Microsoft.PowerShell.Commands.GroupInfo",)
        ps_properties = ("Count", "Name", "Group")
        Count, Name, Group = 2, "a", [1, 2]

    out = text(GroupInfo())
    assert out == ("\nCount Name                      Group\n----- ----                      -----\n"
                   "    2 a                         {1, 2}\n\n")


def test_measure_info_is_a_list_even_with_few_properties():
    class Measure:
        ps_type_names = ("Microsoft.PowerShell.Commands.GenericMeasureInfo",)
        ps_properties = ("Count",)
        Count, Average, Sum, Maximum, Minimum, StandardDeviation, Property = 3, None, 6, None, \
            None, None, None

    lines = text(Measure()).splitlines()
    assert lines[1:4] == ["Count             : 3", "Average           :", "Sum               : 6"]
    assert lines[-2:] == ["Property          :", ""]


def test_type_info_table():
    out = text(PSTypeInfo("System.Int32"), PSTypeInfo("System.String"))
    assert out.splitlines()[1:5] == [
        "IsPublic IsSerial Name                                     BaseType",
        "-------- -------- ----                                     --------",
        "True     True     Int32                                    System.ValueType",
        "True     True     String                                   System.Object",
    ]


def test_error_record_prints_like_an_error_without_blank_lines():
    record = ErrorRecord("it broke", command="Write-Error")
    assert text(record) == "Write-Error: it broke\n"


def test_match_info_shows_path_relative_to_the_location():
    match = obj(Path="/tmp/w/a.txt", LineNumber=3, Line="hello there")
    match.type_names = ["Microsoft.PowerShell.Commands.MatchInfo"]
    piped = obj(Path="InputStream", LineNumber=1, Line="just the line")
    piped.type_names = ["Microsoft.PowerShell.Commands.MatchInfo"]
    out = render.format_to_text([match, piped], location=lambda: "/tmp/w")
    assert out == "\na.txt:3:hello there\njust the line\n\n"


def test_deserialized_type_uses_the_view_and_gains_the_computer_name():
    fmt.register_view("Test.Widget", "table", [("Id", "Id", 4, "right"), ("Name", "Name", 6)])
    live = obj(Id=1, Name="w", Extra="hidden")
    live.type_names = ["Test.Widget"]
    remote = obj(Id=2, Name="r", Extra="hidden", PSComputerName="srv1")
    remote.type_names = ["Deserialized.Test.Widget"]
    assert text(live).splitlines()[1:4] == ["  Id Name", "  -- ----", "   1 w"]
    assert text(remote).splitlines()[1:4] == ["  Id Name   PSComputerName",
                                              "  -- ----   --------------", "   2 r      srv1"]


def test_registering_again_replaces_and_other_kinds_add():
    fmt.register_view("Test.Twice", "table", ["A"])
    fmt.register_view("Test.Twice", "table", ["B"])
    fmt.register_view("Test.Twice", "list", ["A", "B"])
    kinds = [(v.kind, [c.header for c in v.columns]) for v in fmt.views_for("test.twice")]
    assert kinds == [("table", ["B"]), ("list", ["A", "B"])]


def test_custom_view_and_callable_columns():
    fmt.register_view("Test.Custom", "custom", render=lambda o: f"<{o.get('v')}>")
    item = obj(v=1)
    item.type_names = ["Test.Custom"]
    assert text(item, item) == "\n<1>\n<1>\n\n"
    fmt.register_view("Test.Calc", "table", [("Double", lambda o: o.get("v") * 2, 0, "right")])
    calc = obj(v=21)
    calc.type_names = ["Test.Calc"]
    assert text(calc).splitlines()[3] == "    42"


def test_group_by_view_prints_group_headers():
    fmt.register_view("Test.Grouped", "table", ["Item"], group_by="Dir", group_label="Directory")
    items = []
    for directory, item in (("/a", "x"), ("/a", "y"), ("/b", "z")):
        entry = obj(Dir=directory, Item=item)
        entry.type_names = ["Test.Grouped"]
        items.append(entry)
    assert render.format_to_text(items) == (
        "\n   Directory: /a\n\nItem\n----\nx\ny\n\n   Directory: /b\n\nItem\n----\nz\n\n")


# --------------------------------------------------------------------------- streaming

def test_streaming_table_waits_for_its_batch_then_streams_rows():
    out = render.OutDefault(120, batch_seconds=None, batch_max=2)
    assert out.feed(obj(a=1)) == [""]
    assert out.feed(obj(a=22)) == [" a", " -", " 1", "22"]
    assert out.feed(obj(a=333)) == ["…3"]
    assert out.flush() == [""]


def test_streaming_strings_print_at_once():
    out = render.make_out_default()
    assert out.feed("hello") == ["hello"]
    assert out.feed(5) == ["5"]
    assert out.flush() == []


def test_poll_releases_a_table_once_its_time_is_up():
    out = render.OutDefault(120, batch_seconds=0.0)
    assert out.feed(obj(a=1)) == ["", "a", "-", "1"]
    out = render.OutDefault(120, batch_seconds=3600)
    assert out.feed(obj(a=1)) == [""]
    assert out.poll() == []
    assert out.flush() == ["a", "-", "1", ""]


def test_declared_widths_stream_without_waiting():
    out = render.make_out_default()
    lines = out.feed(Hashtable([("k", "v")]))
    assert lines[1].startswith("Name ") and lines[3].startswith("k ")


# --------------------------------------------------------------------------- Format-* shapes

def test_format_table_shape_options():
    shape = fmt.Shape("table", [fmt.Column("a"), fmt.Column("b")], hide_headers=True)
    out = render.format_to_text([shape.make_entry(obj(a=1, b="x")), shape.make_entry(obj(a=2, b="y"))])
    assert out == "\n1 x\n2 y\n\n"


def test_format_table_wrap():
    shape = fmt.Shape("table", [fmt.Column("a", width=5), fmt.Column("b")], wrap=True)
    out = render.format_to_text([shape.make_entry(obj(a="one two three", b="z"))])
    assert out.splitlines()[3:6] == ["one   z", "two", "three"]


def test_long_header_is_cut_with_an_ellipsis_when_the_column_is_narrow():
    shape = fmt.Shape("table", [fmt.Column("Long Header"), fmt.Column("b")])
    row = obj(**{"Long Header": 1, "b": "x" * 30})
    lines = render.format_to_text([shape.make_entry(row)], width=20).splitlines()
    assert lines[1:3] == ["Long Header b", "----------- -"]     # the last column shrinks, not this


def test_long_header_wraps_within_the_width_a_view_declares():
    # pwsh stacks a header wider than its declared width (Format-Table.Tests "span multiple rows")
    shape = fmt.Shape("table", [fmt.Column("Long Header", width=4, align="left"),
                                fmt.Column("b", width=1)])
    lines = render.format_to_text([shape.make_entry(obj(**{"Long Header": 1, "b": 2}))]).splitlines()
    assert lines[1:6] == ["Long b", "Head", "er", "---- -", "1    2"]


def test_table_at_80_columns_cuts_cells_and_leaves_out_what_cannot_show():
    wide = obj(Name="item1", First="x" * 30, Second="y" * 30, Third="z" * 20, Fourth="w" * 25)
    shape = fmt.Shape("table", [fmt.Column(n) for n in ("Name", "First", "Second", "Third", "Fourth")])
    lines = render.format_to_text([shape.make_entry(wide), shape.make_entry(wide)], width=80).splitlines()
    assert all(len(line) <= 80 for line in lines)
    header = lines[1]
    assert header.split() == ["Name", "First", "Second", "Third"]     # Fourth left out
    assert lines[3].split() == ["item1", "x" * 30, "y" * 30, "z" * 11 + "…"]
    # no header stacked over several lines: header, dashes, the two rows
    assert len([line for line in lines if line]) == 4


def test_wide_defaults_to_two_columns_and_takes_a_column_count():
    shape = fmt.Shape("wide", [fmt.Column("Name")])
    out = render.format_to_text([shape.make_entry(obj(Name=n)) for n in "abc"], width=20)
    assert out == "\na          b\nc\n\n"
    shape = fmt.Shape("wide", [fmt.Column("Name")], wide_columns=3)
    out = render.format_to_text([shape.make_entry(obj(Name=n)) for n in "abcd"], width=20)
    assert out == "\na      b      c\nd\n\n"


def test_wide_autosize_fits_as_many_as_the_longest_allows():
    shape = fmt.Shape("wide", [fmt.Column("Name")], autosize=True)
    out = render.format_to_text([shape.make_entry(obj(Name=n)) for n in ("aaaa", "b", "c", "d")],
                             width=20)
    assert out.splitlines()[1] == "aaaa  b    c    d"


def test_format_entries_of_a_list_shape():
    shape = fmt.Shape("list", None)
    out = render.format_to_text([shape.make_entry(obj(x=1, yy=2))])
    assert out == "\nx  : 1\nyy : 2\n\n"


# --------------------------------------------------------------------------- the cmdlets

class _Runspace:
    location = "/tmp"
    host = None


class _Ctx:
    runspace = _Runspace()
    location = None

    def invoke(self, block, args, dollar_under=None, input=None, new_scope=True):
        return [block(dollar_under)]


def _run(cls, inputs, **params):
    from pshell.cmdlets import format as cmd
    cmdlet = getattr(cmd, cls)(_Ctx())
    for key, value in params.items():
        setattr(cmdlet, key, value)
        cmdlet.bound[key] = value
    out = list(cmdlet.begin() or [])
    for item in inputs:
        cmdlet.InputObject = item
        out += list(cmdlet.process() or [])
    out += list(cmdlet.end() or [])
    return out


def test_format_table_property_names_wildcards_and_calculated():
    rows = [obj(Name="a", Size=10, Other=1), obj(Name="b", Size=2000, Other=2)]
    entries = _run("FormatTable", rows,
                   Property=["N*", {"Label": "KB", "Expression": "Size", "Width": 6,
                                    "Alignment": "Left"}])
    out = render.format_to_text(entries)
    assert out == "\nName KB\n---- --\na    10\nb    2000\n\n"


def test_format_table_calculated_key_errors_are_clear():
    from pshell.engine.errors import RuntimeException
    with pytest.raises(RuntimeException, match="The Bogus key is not valid"):
        _run("FormatTable", [obj(a=1)], Property=[{"Bogus": 1, "E": "a"}])
    with pytest.raises(RuntimeException, match="Expression key is missing"):
        _run("FormatTable", [obj(a=1)], Property=[{"N": "x"}])


def test_format_list_star_and_strings_pass_through():
    entries = _run("FormatList", [obj(a=1, b=2), "plain"], Property=None)
    assert render.format_to_text(entries) == "\na : 1\nb : 2\n\nplain\n"


def test_format_list_of_a_hashtable_shows_its_entries():
    entries = _run("FormatList", [Hashtable([("k", "v")])])
    assert render.format_to_text(entries) == "\nName  : k\nValue : v\n\n"


def test_format_table_group_by():
    rows = [obj(k="a", v=1), obj(k="a", v=2), obj(k="b", v=3)]
    entries = _run("FormatTable", rows, Property=["v"], GroupBy="k")
    assert render.format_to_text(entries) == (
        "\n   k: a\n\nv\n-\n1\n2\n\n   k: b\n\nv\n-\n3\n\n")


def test_format_wide_property_and_columns():
    entries = _run("FormatWide", [obj(Name="a", X=1), obj(Name="b", X=2), obj(Name="c", X=3)],
                   Property="X", Column=3)
    assert render.format_to_text(entries, width=12).splitlines()[1] == "1    2   3"


def test_out_string_joins_lines_and_streams():
    assert _run("OutString", [obj(a=1)]) == ["\na\n-\n1\n\n"]
    assert _run("OutString", ["x", "y"], Stream=True) == ["x", "y"]
    assert _run("OutString", [obj(a=1)], Stream=True) == ["", "a", "-", "1", ""]
    assert _run("OutString", ["x", "y"], NoNewline=True) == ["xy"]


def test_format_output_piped_to_out_string_renders_it():
    entries = _run("FormatList", [obj(a=1)])
    assert _run("OutString", entries) == ["\na : 1\n\n"]


def test_out_null_swallows_everything():
    from pshell.cmdlets.format import OutNull
    assert list(OutNull(_Ctx()).run(iter([1, 2, 3]))) == []


# --------------------------------------------------------------------------- properties

_names = st.text(alphabet="abcdefghij", min_size=1, max_size=12)
_values = st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(),
                    st.text(max_size=200), st.lists(st.integers(), max_size=8))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(_names, _values, min_size=1, max_size=8), min_size=1, max_size=6),
       st.integers(min_value=10, max_value=160))
@example([{"a": None, "aa": None, "b": "00000\U0001e000"}], 10)     # a combining mark: no cell
@example([{"a": "\u4e2d\u6587" * 20}], 10)                           # wide: two cells each
@example([{"b": None, "aaaaaa": None, "a": "\u4e2d"}], 10)             # 2 cells in a 1-cell field
def test_tables_and_lists_never_exceed_the_width(bags, width):
    # the width is in terminal cells, not code points
    from pshell.engine.format_render import cell_width
    lines = render.format_lines([PSObject(bag) for bag in bags], width=width)
    assert all(cell_width(line) <= width for line in lines), lines


# --------------------------------------------------------------------------- rich

def _console(**kw):
    from rich.console import Console
    return Console(file=io.StringIO(), width=60, **kw)


def test_rich_plain_console_matches_the_plain_renderer():
    from pshell.ui.render import render_objects
    objects = [obj(a=1, b="x"), "s", Hashtable([("k", 1)]), obj(a=1, b=2, c=3, d=4, e=5)]
    console = _console(force_terminal=False)
    render_objects(objects, console)
    assert console.file.getvalue() == render.format_to_text(objects, width=60)


def test_rich_colours_headers_and_labels_not_data():
    from pshell.ui.render import render_objects
    console = _console(force_terminal=True, color_system="standard")
    render_objects([obj(a=1, b="[bold]x[/bold]"), obj(a=1, b=2, c=3, d=4, e=5)], console)
    raw = console.file.getvalue()
    assert "\x1b[1;32ma b \x1b[0m" in raw or "\x1b[1;32ma b\x1b[0m" in raw
    assert "[bold]x[/bold]" in raw
    assert "\x1b[1;32ma : \x1b[0m1" in raw


def test_rich_out_default_streams_and_uses_the_console_width():
    from pshell.ui.render import RichOutDefault
    console = _console(force_terminal=False)
    out = RichOutDefault(console, batch_seconds=None)
    assert out.feed("hi") == ["hi"]
    out.feed(obj(a="y" * 100))
    assert out.flush()[2] == "y" * 59 + "…"
    assert console.file.getvalue().splitlines()[4] == "y" * 59 + "…"


def test_types_with_the_same_layout_share_one_table():
    fmt.register_view(["Test.Dir", "Test.File"], "table", ["Name"])
    fmt.register_view("Test.Other", "table", ["Name"])
    items = []
    for type_name, name in (("Test.Dir", "d"), ("Test.File", "f"), ("Test.Other", "o")):
        item = obj(Name=name)
        item.type_names = [type_name]
        items.append(item)
    assert render.format_to_text(items) == "\nName\n----\nd\nf\no\n\n"


def test_group_label_template_is_the_whole_group_line():
    fmt.register_view("Test.InDir", "table", ["Name"], group_by="Dir",
                      group_label="    Directory: {0}")
    item = obj(Dir="/x", Name="n")
    item.type_names = ["Test.InDir"]
    assert render.format_to_text([item]) == "\n    Directory: /x\n\nName\n----\nn\n\n"


def test_stream_records_in_the_output_print_their_message():
    from pshell.engine.streams import InformationRecord, WarningRecord
    assert text(WarningRecord("careful"), InformationRecord("note")) == "careful\nnote\n"


def test_rich_keeps_record_colours():
    from pshell.engine.streams import WarningRecord
    from pshell.ui.render import render_objects
    console = _console(force_terminal=True, color_system="standard")
    render_objects([ErrorRecord("bad"), WarningRecord("careful")], console)
    raw = console.file.getvalue()
    assert "\x1b[31mbad\x1b[0m" in raw and "\x1b[33mcareful\x1b[0m" in raw


def test_wide_characters_take_two_cells():
    assert render.cell_width("日本") == 4
    assert render._fit_field("日本語", 4, "left", True) == "日… "
    assert render._fit_field("日本語テキスト", 6, "right", True) == " …スト"
    out = text(obj(Name="日本", N=1), obj(Name="ab", N=2))
    assert out.splitlines()[1:5] == ["Name N", "---- -", "日本 1", "ab   2"]


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab日本é\u0301 ", max_size=30), st.integers(min_value=1, max_value=12),
       st.sampled_from(["left", "right", "center"]))
def test_fitted_cells_are_exactly_the_width(value, width, align):
    assert render.cell_width(render._fit_field(value, width, align, pad=True)) == width
