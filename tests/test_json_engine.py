"""engine/json_read.py and engine/json_schema.py on hostile and edge input: never a Python
exception other than their own, never a RecursionError, positions that point at the fault."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pshell.engine.json_read import JsonSyntaxError, read_json
from pshell.engine.json_schema import Schema, SchemaError


def test_deep_nesting_is_a_value_or_a_depth_error_never_a_recursion_error():
    deep = "[" * 200_000 + "]" * 200_000
    value = read_json(deep)
    assert isinstance(value, list)
    with pytest.raises(JsonSyntaxError, match="maximum depth of 64"):
        read_json(deep, max_depth=64)
    schema = Schema({"items": {"$ref": "#"}})
    failures = schema.validate(value)
    assert len(failures) == 1 and "levels deep" in failures[0][1]


@pytest.mark.parametrize("text, where", [
    ('{"a": 1,\n "b": [1, 2 3]}', (2, 13)),
    ('{"a" 1}', (1, 6)),
    ('"abc', (1, 1)),
    ('[1, 2', (1, 6)),
    ('{"s": "\\x"}', (1, 9)),
])
def test_syntax_errors_name_line_and_position(text, where):
    with pytest.raises(JsonSyntaxError) as info:
        read_json(text)
    assert (info.value.line, info.value.column) == where


def test_strict_and_lenient_dialects():
    for text in ("{a: 1}", "['x']", "[1,]", "// c\n1", "NaN"):
        with pytest.raises(JsonSyntaxError):
            read_json(text)
        read_json(text, lenient=True)
    assert read_json("[1, /* x */ 2,]", comments=True, trailing_commas=True) == [1, 2]
    assert read_json('"\\ud83d\\ude00"') == "\ud83d\ude00"       # surrogate halves kept as given
    assert read_json("123456789012345678901234567890") == 123456789012345678901234567890


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='{}[]",:0123456789.eE-+ truefalsn\\/*\'\n', max_size=40))
def test_garbage_is_our_error_or_what_json_reads(text):
    try:
        expected = json.loads(text)
    except (ValueError, RecursionError):
        expected = JsonSyntaxError
    try:
        got = read_json(text)
    except JsonSyntaxError:
        got = JsonSyntaxError
    if expected is JsonSyntaxError or got is JsonSyntaxError:
        assert got is expected, text
    else:
        assert json.dumps(got) == json.dumps(expected), text


def test_schema_errors_are_refused_when_built():
    for bad in ({"type": "text"}, {"$ref": "#/nowhere"}, {"pattern": "("}, {"anyOf": []}, 5):
        with pytest.raises(SchemaError):
            Schema(bad)
    with pytest.raises(SchemaError, match="cannot be read"):
        Schema({"$ref": "other.json"})          # no loader: other files are not read


def test_schema_ref_to_another_file_goes_through_the_loader(tmp_path):
    asked = []

    def load(uri):
        asked.append(uri)
        return {"definitions": {"n": {"type": "integer"}}}

    schema = Schema({"properties": {"x": {"$ref": "defs.json#/definitions/n"}}}, load,
                    str(tmp_path / "main.json"))
    assert asked == [str(tmp_path / "defs.json")]
    assert schema.validate({"x": 1}) == []
    assert schema.validate({"x": "1"})[0][0] == "/x"


def test_schema_pointer_escapes_and_json_equality():
    schema = Schema({"properties": {"a/b": {"const": 1}, "c~d": {"enum": [[1, {"k": True}]]}}})
    assert schema.validate({"a/b": 1.0, "c~d": [1.0, {"k": True}]}) == []
    failures = schema.validate({"a/b": True, "c~d": [1, {"k": 1}]})
    assert sorted(p for p, _ in failures) == ["/a~1b", "/c~0d"]
