"""Format files (Update-FormatData) are a trust boundary: a hostile or broken file is refused whole
with FormatXmlUpdateException naming the file, quickly, without expanding entities, reading other
files, blowing the stack or leaving a Python traceback."""

from __future__ import annotations

import pytest

from pshell.engine import format_xml
from pshell.engine.runtime import Runspace
from pshell.engine.streams import CollectingStreams

VIEW = ('<View><Name>V</Name><ViewSelectedBy><TypeName>T.{0}</TypeName></ViewSelectedBy>'
        '<ListControl><ListEntries><ListEntry><ListItems><ListItem><PropertyName>A</PropertyName>'
        '</ListItem></ListItems></ListEntry></ListEntries></ListControl></View>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY a{i} "{("&a" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                    for i in range(1, 9))
          + ']><Configuration><ViewDefinitions>' + VIEW.format("x").replace("<Name>V", "<Name>&a8;")
          + '</ViewDefinitions></Configuration>')


@pytest.fixture
def rs(tmp_path):
    runspace = Runspace(location=str(tmp_path))
    yield runspace
    runspace.close()


def errors_of(rs: Runspace, script: str) -> str:
    streams = CollectingStreams()
    rs.invoke(script, streams=streams)
    return "\n".join(str(record) for stream, record in streams.records if stream == "error")


def loaded(rs: Runspace, type_name: str) -> int:
    return len(rs.invoke(f"Get-FormatData {type_name}"))


def test_entities_are_refused_not_expanded(tmp_path):
    with pytest.raises(format_xml.FormatXmlError, match="DOCTYPE or entity"):
        format_xml.parse_format_xml(LAUGHS, "f.ps1xml", lambda text, obj: None)


def test_external_entity_is_refused_and_nothing_read(tmp_path, rs):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    text = (f'<!DOCTYPE c [<!ENTITY s SYSTEM "file://{secret}">]><Configuration><ViewDefinitions>'
            + VIEW.format("ext").replace("<Name>V", "<Name>&s;") + "</ViewDefinitions></Configuration>")
    (tmp_path / "ext.format.ps1xml").write_text(text)
    message = errors_of(rs, "Update-FormatData ./ext.format.ps1xml")
    assert "DOCTYPE or entity" in message and "ext.format.ps1xml" in message
    assert "TOP SECRET" not in message
    assert loaded(rs, "T.ext") == 0


def test_deep_nesting_is_refused():
    text = "<Configuration>" + "<a>" * 5000 + "</a>" * 5000 + "</Configuration>"
    with pytest.raises(format_xml.FormatXmlError, match="nested more than"):
        format_xml.parse_format_xml(text, "deep.ps1xml", lambda text, obj: None)


def test_a_bad_view_refuses_the_whole_file(tmp_path, rs):
    text = ("<Configuration><ViewDefinitions>" + VIEW.format("good")
            + "<View><Name>NoType</Name><TableControl/></View></ViewDefinitions></Configuration>")
    (tmp_path / "half.format.ps1xml").write_text(text)
    message = errors_of(rs, "Update-FormatData -AppendPath ./half.format.ps1xml")
    assert "FormatXmlUpdateException" in repr(rs.invoke("$Error[0].FullyQualifiedErrorId"))
    assert "line 1" in message and "NoType" in message
    assert loaded(rs, "T.good") == 0


@pytest.mark.parametrize("content", [
    b"\xff\xfe\x00garbage\x80\x81",                       # invalid UTF-8
    b"",                                                  # empty
    b"<Configuration><ViewDefinitions>",                  # cut short
    b"<Types><Type><Name>X</Name></Type></Types>",        # a types file, not a format file
    b"<Configuration><ViewDefinitions><Junk/></ViewDefinitions></Configuration>",
])
def test_garbage_is_a_clear_error(tmp_path, rs, content):
    (tmp_path / "g.format.ps1xml").write_bytes(content)
    message = errors_of(rs, "Update-FormatData -AppendPath ./g.format.ps1xml")
    assert "g.format.ps1xml" in message and "Traceback" not in message


def test_absurd_widths_and_column_counts_are_refused(tmp_path, rs):
    table = ('<View><Name>W</Name><ViewSelectedBy><TypeName>T.w</TypeName></ViewSelectedBy><TableControl>'
             '<TableHeaders><TableColumnHeader><Width>{0}</Width></TableColumnHeader></TableHeaders>'
             '<TableRowEntries><TableRowEntry><TableColumnItems><TableColumnItem><PropertyName>A'
             '</PropertyName></TableColumnItem></TableColumnItems></TableRowEntry></TableRowEntries>'
             '</TableControl></View>')
    for width in ("99999999999999999999", "-3", "x"):
        (tmp_path / "w.format.ps1xml").write_text(
            "<Configuration><ViewDefinitions>" + table.format(width) + "</ViewDefinitions></Configuration>")
        assert "width" in errors_of(rs, "Update-FormatData ./w.format.ps1xml")
    assert loaded(rs, "T.w") == 0


def test_missing_file_and_directory_are_errors(tmp_path, rs):
    (tmp_path / "d.format.ps1xml").mkdir()
    assert "Cannot read" in errors_of(rs, "Update-FormatData ./nope.format.ps1xml")
    assert "Cannot read" in errors_of(rs, "Update-FormatData ./d.format.ps1xml")


def test_oversized_file_is_refused_without_reading_it(tmp_path, rs, monkeypatch):
    monkeypatch.setattr(format_xml, "MAX_BYTES", 1000)
    from pshell.cmdlets import format_data
    monkeypatch.setattr(format_data, "MAX_BYTES", 1000)
    (tmp_path / "big.format.ps1xml").write_text("<Configuration>" + " " * 2000 + "</Configuration>")
    assert "larger than 1000 bytes" in errors_of(rs, "Update-FormatData ./big.format.ps1xml")


def test_a_failing_scriptblock_column_is_an_empty_cell(tmp_path, rs):
    text = ('<Configuration><ViewDefinitions><View><Name>S</Name><ViewSelectedBy><TypeName>T.s'
            '</TypeName></ViewSelectedBy><TableControl><TableHeaders/><TableRowEntries><TableRowEntry>'
            '<TableColumnItems><TableColumnItem><ScriptBlock>throw "no"</ScriptBlock></TableColumnItem>'
            '<TableColumnItem><PropertyName>A</PropertyName></TableColumnItem></TableColumnItems>'
            '</TableRowEntry></TableRowEntries></TableControl></View></ViewDefinitions></Configuration>')
    (tmp_path / "s.format.ps1xml").write_text(text)
    out = rs.invoke("Update-FormatData ./s.format.ps1xml; $o = [pscustomobject]@{A=7}; "
                    "$o.pstypenames.Insert(0,'T.s'); $o | Out-String")
    lines = [line.rstrip() for line in out[0].splitlines() if line.strip()]
    assert lines[0].startswith('throw "no"') and lines[0].endswith("A") and lines[-1].endswith("7")
