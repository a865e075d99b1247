"""Unit tests for the utility cmdlets where a spec case is awkward: streaming and stopping,
values that do not print, and round-trip properties of the converters."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pshell.cmdlets import _objects
from pshell.cmdlets.aggregate import GenericMeasureInfo, GroupInfo
from pshell.cmdlets.convert import _parse_csv_records
from pshell.cmdlets.misc import _uformat
from pshell.cmdlets.selectstring import MatchInfo
from pshell.engine.json_read import json_to_objects
from pshell.engine.json_write import JsonWriter
from pshell.engine.runtime import Runspace
from pshell.engine.streams import CollectingStreams
from pshell.engine.values import Hashtable, PSObject
from pshell.engine.wildcards import wildcard_match


@pytest.fixture
def rs(tmp_path):
    runspace = Runspace(location=str(tmp_path))
    yield runspace
    runspace.close()


def run(rs: Runspace, script: str, input=None):
    streams = CollectingStreams()
    out = rs.invoke(script, input=input, streams=streams)
    return out, streams.records


# --------------------------------------------------------------------------- streaming

def test_select_first_pulls_only_what_it_needs(rs):
    pulled = []

    def source():
        for i in range(1000):
            pulled.append(i)
            yield i

    out, _ = run(rs, "$input | Select-Object -First 3", input=source())
    assert out == [0, 1, 2]
    assert len(pulled) <= 4


def test_where_object_streams(rs):
    pulled = []

    def source():
        for i in range(1000):
            pulled.append(i)
            yield i

    out, _ = run(rs, "$input | Where-Object { $_ % 2 } | Select-Object -First 2", input=source())
    assert out == [1, 3]
    assert len(pulled) < 10


def test_measure_object_fast_path_handles_mixed_input(rs):
    out, records = run(rs, "1, 2.5, '3', 4 | Measure-Object -Sum")
    info = out[0]
    assert isinstance(info, GenericMeasureInfo)
    assert info.Count == 4
    assert info.Sum == 10.5
    assert not records


def test_measure_object_sum_is_a_double(rs):
    out, _ = run(rs, "(1..10 | Measure-Object -Sum).Sum")
    assert out == [55.0] and isinstance(out[0], float)


# --------------------------------------------------------------------------- stopping

def test_start_sleep_is_stopped_by_the_runspace(rs):
    done = threading.Event()
    failure = []

    def sleeper():
        try:
            rs.invoke("Start-Sleep -Seconds 60")
        except BaseException as exc:  # noqa: BLE001 - the stop surfaces as an exception
            failure.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=sleeper, daemon=True)
    thread.start()
    # keep asking until the sleep has begun and noticed the request
    while not done.wait(0.05):
        rs.stop()
    thread.join(30)
    assert not thread.is_alive()


# --------------------------------------------------------------------------- values

def test_group_object_returns_group_info(rs):
    out, _ = run(rs, "'a','b','a' | Group-Object")
    assert [type(g) for g in out] == [GroupInfo, GroupInfo]
    assert [(g.Name, g.Count) for g in out] == [("a", 2), ("b", 1)]
    assert out[0].Values == ["a"]


def test_select_object_result_is_a_psobject(rs):
    out, _ = run(rs, "[pscustomobject]@{a=1; b=2} | Select-Object b")
    assert isinstance(out[0], PSObject)
    assert out[0].names() == ["b"]
    assert out[0].type_names[0] == "Selected.System.Management.Automation.PSCustomObject"


def test_get_date_returns_datetime(rs):
    out, _ = run(rs, "Get-Date -Date '2024-02-03 04:05:06'")
    assert out == [dt.datetime(2024, 2, 3, 4, 5, 6)]


def test_measure_command_returns_timedelta(rs):
    out, _ = run(rs, "Measure-Command { 1 }")
    assert isinstance(out[0], dt.timedelta)


def test_get_random_seed_is_per_runspace(tmp_path):
    first = Runspace(location=str(tmp_path))
    second = Runspace(location=str(tmp_path))
    try:
        a = first.invoke("Get-Random -SetSeed 7 -Maximum 1000; Get-Random -Maximum 1000")
        b = second.invoke("Get-Random -SetSeed 7 -Maximum 1000; Get-Random -Maximum 1000")
        assert a == b
    finally:
        first.close()
        second.close()


def test_convertfrom_json_as_hashtable_type(rs):
    out, _ = run(rs, "'{\"a\":{\"b\":1}}' | ConvertFrom-Json -AsHashtable")
    assert isinstance(out[0], Hashtable) and isinstance(out[0]["a"], Hashtable)


def test_write_error_record_fields(rs):
    _, records = run(rs, "Write-Error 'boom' -ErrorId Custom -Category InvalidData -TargetObject 5")
    kinds = [kind for kind, _ in records]
    assert kinds == ["error"]
    record = records[0][1]
    assert record.message == "boom"
    assert record.FullyQualifiedErrorId == "Custom"
    assert record.category == "InvalidData"
    assert record.TargetObject == 5


def test_write_progress_record(rs):
    _, records = run(rs, "Write-Progress -Activity Copy -Status Half -PercentComplete 50 -Id 3")
    progress = [r for kind, r in records if kind == "progress"]
    assert progress and progress[0].Activity == "Copy" and progress[0].PercentComplete == 50
    assert progress[0].ActivityId == 3 and progress[0].RecordType == "Processing"


def test_write_host_record_carries_colours(rs):
    _, records = run(rs, "Write-Host hi -ForegroundColor red -NoNewline")
    info = [r for kind, r in records if kind == "information"][0]
    assert info.MessageData == "hi" and info.fg == "Red" and info.newline is False


# --------------------------------------------------------------------------- helpers

@pytest.mark.parametrize("pattern,text,expected", [
    ("a*", "abc", True), ("a*", "bac", False), ("?b?", "abc", True), ("[a-c]x", "bx", True),
    ("[!a]x", "ax", False), ("a`*", "a*", True), ("a`*", "ab", False), ("A*", "abc", True),
    ("[]", "[]", True), ("[]a]", "]", True), ("[^a]", "^", True), ("[^a]", "b", False),
    ("[!]", "!", True), ("a[", "a[", True), ("*.TXT", "x.txt", True),
])
def test_wildcards(pattern, text, expected):
    assert wildcard_match(pattern, text) is expected


def test_hash_key_folds_case_and_numbers():
    assert _objects.hash_key("ABC") == _objects.hash_key("abc")
    assert _objects.hash_key("ABC", True) != _objects.hash_key("abc", True)
    assert _objects.hash_key(1) == _objects.hash_key(1.0)
    assert _objects.hash_key(None) != _objects.hash_key("")


def test_uformat_specifiers():
    when = dt.datetime(2024, 3, 5, 14, 7, 9)
    assert _uformat(when, "%Y-%m-%d %H:%M:%S") == "2024-03-05 14:07:09"
    assert _uformat(when, "%e|%k|%l|%u|%w|%j|%%") == " 5|14| 2|2|2|065|%"


def test_match_info_rendering():
    info = MatchInfo("hello", 3, "/data/dir/file.txt", "h", True, [], None)
    assert info.ToEmphasizedString("/data") == "dir/file.txt:3:hello"
    assert info.ToEmphasizedString("/elsewhere") == "/data/dir/file.txt:3:hello"
    piped = MatchInfo("hello", 1, "InputStream", "h", True, [], None)
    assert piped.ToEmphasizedString("/data") == "hello"


def test_json_writer_layout():
    value = Hashtable([("a", [1, Hashtable([("b", None)])]), ("c", "x")])
    assert JsonWriter(5, False).dump(value) == (
        '{\n  "a": [\n    1,\n    {\n      "b": null\n    }\n  ],\n  "c": "x"\n}')
    assert JsonWriter(5, True).dump(value) == '{"a":[1,{"b":null}],"c":"x"}'


def test_json_writer_truncates_beyond_depth():
    writer = JsonWriter(1, True)
    text = writer.dump(Hashtable([("a", Hashtable([("b", Hashtable([("c", 1)]))]))]))
    assert text == '{"a":{"b":"System.Collections.Hashtable"}}'
    assert writer.truncated


def test_csv_parser_handles_quotes_and_newlines():
    records = _parse_csv_records('a,"b,c","d""e"\n"multi\nline",x\n\n', ",")
    assert records == [["a", "b,c", 'd"e'], ["multi\nline", "x"]]


# --------------------------------------------------------------------------- properties

_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r"),
                max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_text, _text), min_size=1, max_size=5))
def test_csv_round_trip(rows):
    rs = Runspace()
    try:
        objects = [PSObject.from_pairs([("A", a), ("B", b)]) for a, b in rows]
        text = rs.invoke("$input | ConvertTo-Csv", input=objects)
        back = rs.invoke("$input | ConvertFrom-Csv", input=text)
        assert [(o.get("A"), o.get("B")) for o in back] == rows
    finally:
        rs.close()


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(alphabet="abcdefgh", min_size=1, max_size=5), inner, max_size=4),
    max_leaves=12)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@settings(max_examples=80, deadline=None)
@given(_json_values)
def test_json_round_trip(value):
    import json
    text = JsonWriter(100, True).dump(value)
    assert json.loads(text) == value
    loaded = json_to_objects(text, True)
    if not isinstance(value, str) or "T" not in value[:11]:
        assert _plain(loaded) == value
