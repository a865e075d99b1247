"""A lying or broken remote cannot break the client (issue 9): fragments, checked values and
messages, cheap error positions, visible control characters; hypothesis fuzzes the decoders."""

from __future__ import annotations

import io
import json
import struct
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pshell.engine.errors import ErrorRecord, RuntimeException
from pshell.engine.host import PlainHost, visible
from pshell.engine.streams import (CollectingStreams, HiddenInformation, InformationRecord,
                                   WarningRecord)
from pshell.remote import framing
from pshell.remote.client import RemoteConnection
from pshell.remote.invocation import ConnectionBroken
from pshell.remote.framing import FrameDecoder, ProtocolError, decode_frame, encode_frame, read_frame
from pshell.remote.protocol import deserialize, serialize_record

FUZZ = settings(deadline=None, max_examples=300, database=None,
                suppress_health_check=[HealthCheck.too_slow])


class Link:
    """A link that keeps what the client sends (the remote side is the test)."""

    def __init__(self):
        self.sent = []
        self.closed = False

    def send(self, data):
        self.sent.append(data)

    def close(self):
        self.closed = True


def frame(msg):
    body = json.dumps(msg).encode()
    return struct.pack(">I", len(body)) + body


def connection():
    conn = RemoteConnection(Link(), "server01")
    conn._first = None              # past the hello: it speaks the protocol
    return conn


def run_invocation(conn, *messages):
    streams = CollectingStreams()
    inv = conn.start(0, "x", streams=streams, computer_name="server01")
    for msg in messages:
        conn.feed(frame(dict(msg, id=inv.id)))
    conn.feed(frame({"t": "done", "id": inv.id, "ok": True}))
    return list(inv), streams.records


# ---------------------------------------------------------------------------- fragments

@pytest.fixture
def small_fragments(monkeypatch):
    monkeypatch.setattr(framing, "FRAGMENT", 1024)


def test_large_messages_cross_in_bounded_fragments(small_fragments):
    text = "é" * 5000 + "\n" + "x" * 3000
    for msg in ({"t": "out", "id": 3, "o": [text, {"@": "h", "v": []}], "q": 9},
                framing.lines_message(4, ["a" * 4000, "b" * 10])):
        data = encode_frame(msg)
        sizes, pos = [], 0
        while pos < len(data):
            (word,) = struct.unpack_from(">I", data, pos)
            sizes.append(word & 0x1FFFFFFF)
            pos += 4 + (word & 0x1FFFFFFF)
        assert len(sizes) > 3 and max(sizes) <= 1024
        decoder, got = FrameDecoder(), []
        for i in range(0, len(data), 100):                # arriving in any pieces
            got += decoder.feed(data[i:i + 100])
        (back,) = got
        assert decode_frame(data) == back == read_frame(io.BytesIO(data))
        if "_bin" in msg:
            assert framing.split_lines(back["_bin"]) == ["a" * 4000, "b" * 10]
        else:
            assert back == msg


def test_message_over_the_limit_is_skipped_and_named(small_fragments, monkeypatch):
    monkeypatch.setattr(framing, "MAX_MESSAGE", 4096)
    monkeypatch.setattr("pshell.remote.client.MAX_MESSAGE", 4096)
    monkeypatch.setattr("pshell.remote.invocation.MAX_MESSAGE", 4096)
    conn = connection()
    streams = CollectingStreams()
    inv = conn.start(0, "x", streams=streams, computer_name="server01")
    conn.feed(encode_frame({"t": "out", "id": inv.id, "q": 1, "o": ["x" * 10000]}))
    conn.feed(encode_frame({"t": "out", "id": inv.id, "q": 2, "o": ["after"]}))
    conn.feed(encode_frame({"t": "done", "id": inv.id, "q": 3, "ok": True}))
    assert list(inv) == ["after"]
    (message,) = [r.message for s, r in streams.records if s == "error"]
    assert message.startswith("server01 sent an output batch of 10") and "skipped" in message
    acks = [json.loads(d[4:]) for d in conn.link.sent if b'"ack"' in d]
    assert acks[-1]["q"] == 3          # acknowledged: a reconnect does not bring it back


def test_bad_frames_are_protocol_errors():
    for data in (struct.pack(">I", 0x20000004) + b"abcd",           # a part of nothing
                 struct.pack(">I", 0x40000002) + b"{}",              # a head without size
                 struct.pack(">I", 0x40000000 | 13) + b'{"t":"o","n":2}' [:13]
                 + struct.pack(">I", 3) + b"abc",                    # a frame inside parts
                 struct.pack(">I", 0x0FFFFFFF)):                      # over MAX_FRAME
        with pytest.raises(ProtocolError):
            FrameDecoder().feed(data)


# ---------------------------------------------------------------------------- values

def test_malformed_values_are_named_protocol_errors():
    bad = [{"@": "o", "n": 5}, {"@": "o", "p": []}, {"@": "h", "v": [[[1], 2]]},
           {"@": "h", "v": [1]}, {"@": "d", "v": "yesterday"}, {"@": "ts", "v": [1e300, 0, 0]},
           {"@": "b", "v": "!!"}, {"@": "e", "m": ["x"]}, {"@": "e", "loc": [1, 2]},
           {"@": "p", "v": ["a", "b", "c"]}, {"@": "w", "m": 5}, {"@": 7},
           {"@": "i", "tags": [1]}]
    nested = []
    for _ in range(100000):
        nested = [nested]
    bad.append(nested)
    for value in bad:
        with pytest.raises(ProtocolError):
            deserialize(value)


def test_a_malformed_object_is_an_error_naming_the_computer_and_the_rest_comes():
    """Found: malformed values showed as "Internal error: AttributeError/KeyError"."""
    out, records = run_invocation(connection(), {"t": "out", "o": [1, {"@": "o", "n": 5}, 2]},
                                  {"t": "rec", "s": "warning", "r": {"@": "h", "v": []}},
                                  {"t": "rec", "s": "error", "r": {"@": "e", "m": 5}},
                                  {"t": "out", "o": [3]})
    assert out == [1, 2, 3]
    messages = [r.message for s, r in records if s == "error"]
    assert len(messages) == 3 and all(m.startswith("server01 sent ") for m in messages)
    assert "Internal error" not in " ".join(messages)


def test_a_record_of_the_wrong_kind_for_its_stream_is_refused_naming_the_computer():
    """Found: a hidden Write-Information record went on the wire as a warning; the client named
    it "a information record that is a WarningRecord".  Each stream takes only its own kind."""
    warning = serialize_record(WarningRecord("w"))
    info = serialize_record(InformationRecord("i"))
    out, records = run_invocation(connection(), {"t": "rec", "s": "information", "r": warning},
                                  {"t": "rec", "s": "warning", "r": info},
                                  {"t": "rec", "s": "verbose", "r": {"@": "db", "m": "d"}},
                                  {"t": "rec", "s": "error", "r": {"@": "p", "v": []}},
                                  {"t": "rec", "s": "information", "r": dict(info, hid="yes")},
                                  {"t": "rec", "s": "warning", "r": warning})
    assert [s for s, r in records] == ["error"] * 5 + ["warning"]     # refused, never shown
    messages = [r.message for s, r in records[:5]]
    assert messages[0] == "server01 sent a warning record on its information stream; it was refused"
    assert messages[1] == "server01 sent an information record on its warning stream; it was refused"
    assert "a debug record on its verbose" in messages[2] and "a progress record on its error" in messages[3]
    assert "an information record that is not valid" in messages[4] and "'hid'" in messages[4]
    assert all(m.startswith("server01 sent ") for m in messages)


def test_a_hidden_information_record_crosses_the_wire_still_hidden():
    hidden = serialize_record(HiddenInformation(InformationRecord("i", ("t",))), "information")
    out, records = run_invocation(connection(), {"t": "rec", "s": "information", "r": hidden},
                                  {"t": "rec", "s": "information",
                                   "r": serialize_record(InformationRecord("shown"))})
    (_, first), (_, second) = records
    assert isinstance(first, HiddenInformation) and first.record.MessageData == "i"
    assert first.record.Tags == ["t"] and isinstance(second, InformationRecord)
    # a value that is not a record becomes a record of the stream it was written to
    assert deserialize(serialize_record("note", "verbose")).Message == "note"
    assert deserialize(serialize_record(5, "information")).MessageData == 5


def test_a_malformed_message_breaks_the_connection_with_a_reason():
    conn = connection()
    inv = conn.start(0, "x", streams=CollectingStreams())
    conn.feed(frame({"t": "rec", "id": inv.id, "s": "close", "r": {}}))   # not a stream
    with pytest.raises(ConnectionBroken, match="server01 sent data that is not valid"):
        list(inv)
    assert conn.link.closed


def test_error_at_line_300000000_is_cheap():
    """Found: an error record with line 300000000 made the client allocate 632 MB."""
    record = {"@": "e", "m": "boom", "loc": ["<remote>", 300000000, 2000000000, "x = 1", 3]}
    conn = connection()
    inv = conn.start(0, "x", streams=CollectingStreams(), computer_name="server01")
    tracemalloc.start()
    conn.feed(frame({"t": "done", "id": inv.id, "ok": False, "error": record}))
    with pytest.raises(RuntimeException) as info:
        list(inv)
    text = info.value.record.render()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "<remote>:300000000:2000000000" in text and "x = 1" in text
    assert peak < 1 << 20


def test_error_positions_round_trip():
    from pshell.engine.runtime import Runspace
    with pytest.raises(RuntimeException) as info:
        Runspace().invoke("1\n2\n  throw 'deep'")
    record = info.value.record
    back = deserialize(serialize_record(record))
    assert (back.location.line, back.location.column) == (3, 3)
    assert back.render() == record.render()


# ---------------------------------------------------------------------------- what is shown

def test_remote_text_in_messages_shows_control_characters():
    out, err = io.StringIO(), io.StringIO()
    host = PlainHost(out, err)
    host.error(ErrorRecord("bad \x1b]0;pwned\x07 \x1b[2J\x9b2J end", "X", "NotSpecified"))
    host.warning(deserialize({"@": "w", "m": "w\x1b[31m\r"}))
    assert "\x1b" not in err.getvalue() and "\x9b" not in err.getvalue()
    assert "bad \\e]0;pwned\\x07 \\e[2J\\x9b2J end" in err.getvalue()
    assert "WARNING: w\\e[31m\\r" in err.getvalue()
    host.write_text("raw \x1b[1m output")          # the output stream passes unchanged
    assert out.getvalue() == "raw \x1b[1m output\n"
    assert visible("a\nb\tc") == "a\nb\tc" and visible("a\nb", newlines=False) == "a\\nb"


def test_lone_surrogate_is_written_with_replacement():
    """Found: [char]0xD800 in output ended a whole script with an internal UnicodeEncodeError."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    PlainHost(out, io.StringIO()).write_objects(iter(["a\ud800b", 1]))
    out.flush()
    assert raw.getvalue() == "a\ufffdb\n1\n".encode()


# ---------------------------------------------------------------------------- fuzz

message_dicts = st.dictionaries(
    st.sampled_from(["t", "id", "q", "o", "s", "r", "ok", "error", "prompt", "v", "ln", "reason",
                     "ids", "matches", "exit", "rs"]),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(
                     st.sampled_from(["@", "n", "p", "v", "m", "loc", "s"]), c, max_size=3),
                 max_leaves=8), max_size=6).map(
    lambda d: dict(d, t=d.get("t") if isinstance(d.get("t"), str) else "out"))


@FUZZ
@given(st.lists(st.binary(max_size=40) | message_dicts.map(frame), max_size=6))
def test_client_decoder_survives_anything(chunks):
    """No exception escapes the client's decoder and nothing waits for ever: a broken
    connection or an error record, never a traceback."""
    conn = RemoteConnection(Link(), "server01")
    inv = conn.start(0, "x", streams=CollectingStreams(), computer_name="server01")
    for data in chunks:
        conn.feed(data.replace(b'"id": 1', b'"id": %d' % inv.id))
    conn.lost("end of test")
    try:
        list(inv)
    except (ConnectionBroken, RuntimeException):
        pass


@FUZZ
@given(st.binary(max_size=200) | message_dicts.map(frame))
def test_host_request_reader_survives_anything(data):
    """What the host and server read from their socket: a checked request, the end, or a
    ProtocolError - never another exception."""
    stream = io.BytesIO(data)
    try:
        while read_frame(stream) is not None:
            pass
    except ProtocolError:
        pass


@pytest.mark.parametrize("once", ["yes", 1, [True], {"x": 1}])
def test_a_hello_whose_once_is_not_a_boolean_is_refused(once):
    """``once`` (a temporary session, served by remote/oneshot.py) is checked like every field."""
    hello = {"t": "hello", "v": 2, "session": "s", "name": "", "new": True, "once": once}
    with pytest.raises(ProtocolError, match="once"):
        read_frame(io.BytesIO(frame(hello)))
    assert read_frame(io.BytesIO(frame(dict(hello, once=True))))["once"] is True


@FUZZ
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(
                        st.sampled_from(["@", "n", "p", "v", "m", "loc", "tags", "d", "x"]) |
                        st.text(max_size=2), c | st.sampled_from(["o", "h", "e", "p", "i", "ts"]),
                        max_size=4), max_leaves=12))
def test_deserialize_survives_anything(value):
    try:
        deserialize(value)
    except ProtocolError:
        pass
