"""XML read from files and text is a trust boundary: a hostile document must be refused with a
clear error, quickly, without expanding entities, reading other files or blowing the stack."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pshell.engine import xmldoc, xpath
from pshell.engine.runtime import Runspace
from pshell.engine.streams import CollectingStreams

LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
                    for i in range(1, 10))
          + ']><lolz>&lol9;</lolz>')


@pytest.fixture
def rs(tmp_path):
    runspace = Runspace(location=str(tmp_path))
    yield runspace
    runspace.close()


def run(rs: Runspace, script: str):
    streams = CollectingStreams()
    try:
        out = rs.invoke(script, streams=streams)
    except Exception as exc:           # a terminating error: its message is the result
        return None, str(exc)
    errors = [str(record) for stream, record in streams.records if stream == "error"]
    return out, "\n".join(errors)


def test_billion_laughs_is_refused_not_expanded():
    with pytest.raises(xmldoc.XmlError, match="declares entities"):
        xmldoc.parse(LAUGHS)


def test_external_entity_never_reads_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    text = (f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>&x;</r>')
    with pytest.raises(xmldoc.XmlError) as caught:
        xmldoc.parse(text)
    assert "TOP-SECRET" not in str(caught.value)


def test_parameter_entities_and_undefined_references_are_refused(tmp_path):
    with pytest.raises(xmldoc.XmlError):
        xmldoc.parse('<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><r/>')
    # an external DTD might define the entity; it is not read, so the reference is refused
    with pytest.raises(xmldoc.XmlError, match="does not define"):
        xmldoc.parse('<!DOCTYPE r SYSTEM "http://127.0.0.1:9/r.dtd"><r>&y;</r>')


def test_plain_doctype_is_kept():
    doc = xmldoc.parse("<!DOCTYPE html><html><p>x</p></html>")
    assert doc.OuterXml == "<!DOCTYPE html><html><p>x</p></html>"


def test_deep_nesting_is_refused_with_a_message():
    deep = "<a>" * 100_000 + "</a>" * 100_000
    with pytest.raises(xmldoc.XmlError, match="nested deeper than 512"):
        xmldoc.parse(deep)


def test_deepest_accepted_document_still_writes_and_clones():
    depth = xmldoc.MAX_DEPTH
    doc = xmldoc.parse("<a>" * depth + "x" + "</a>" * depth)
    assert doc.OuterXml.count("<a>") == depth
    assert doc.CloneNode(True).InnerText == "x"
    assert len(doc.SelectNodes("//a")) == depth


def test_invalid_utf8_and_garbage_are_errors_naming_the_place(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<r>\xff\xfe\x00</r>")
    with pytest.raises(xmldoc.XmlError, match="line 1"):
        xmldoc.load_file(str(bad))
    for text in ("", "<", "<a>", "<a></b>", "text", "<a/><b/>"):
        with pytest.raises(xmldoc.XmlError):
            xmldoc.parse(text)


def test_hostile_xpath_is_an_error_not_a_crash():
    doc = xmldoc.parse("<r><a>1</a></r>")
    for query in ("(" * 5000 + "1" + ")" * 5000, "-" * 5000 + "1", "a[" * 3000 + "1" + "]" * 3000,
                  "", "//", "a[", "@@", "foo(", "a/b]", "$v", "nope()"):
        with pytest.raises(xpath.XPathError):
            xpath.evaluate(doc, query)


@settings(max_examples=200)
@given(st.text(alphabet="/.@*[]()|=!<>:'\"ab1 ,-+", max_size=30))
def test_xpath_garbage_never_escapes_as_another_exception(query):
    doc = xmldoc.parse("<r><a x='1'>1</a><b/></r>")
    try:
        xpath.evaluate(doc, query)
    except xpath.XPathError:
        pass


def test_select_xml_reports_a_hostile_file_and_goes_on(rs, tmp_path):
    (tmp_path / "evil.xml").write_text(LAUGHS)
    (tmp_path / "good.xml").write_text("<r><v>ok</v></r>")
    out, errors = run(rs, "Select-Xml -Path evil.xml, good.xml -XPath //v | ForEach-Object ToString")
    assert len(out) == 1 and out[0].startswith("ok:")
    assert "evil.xml" in errors and "declares entities" in errors


def test_xml_cast_of_hostile_text_is_a_cast_error(rs):
    out, errors = run(rs, f"[xml]'{LAUGHS}'")
    assert not out
    assert "Cannot convert value" in errors and "declares entities" in errors
