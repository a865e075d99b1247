"""The remoting protocol: framing and value serialisation round trips."""

from __future__ import annotations

import datetime as dt
import io
import os
import socket
import threading

import pytest
from work_count import OverBudget, work
from hypothesis import given, strategies as st

from pshell.engine.errors import ErrorRecord, ExitException, RuntimeException
from pshell.engine.streams import (CollectingStreams, DebugRecord, InformationRecord,
                                   ProgressRecord, VerboseRecord, WarningRecord)
from pshell.engine.values import Hashtable, PSObject, to_str
from pshell.lang.errors import SourceLocation
from pshell.remote.client import RemoteConnection
from pshell.remote.invocation import ConnectionBroken
from pshell.remote.framing import FrameDecoder, ProtocolError, encode_frame, read_frame
from pshell.remote.protocol import deserialize, serialize
from pshell.remote.server import serve

_PACKAGE = os.path.dirname(os.path.abspath(encode_frame.__code__.co_filename)) + os.sep   # pshell/remote/


def roundtrip(value, depth=4):
    return deserialize(serialize(value, depth))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=5), max_leaves=20)


@given(json_values)
def test_plain_values_roundtrip(value):
    assert roundtrip(value, depth=100) == value


@given(st.text())
def test_hostile_strings_are_byte_exact(text):
    frame = encode_frame({"t": "invoke", "args": [text]})
    (msg,) = FrameDecoder().feed(frame)
    assert msg["args"][0] == text


def test_hostile_string_examples():
    for text in ["'; rm -rf / #", '$(Get-Process)', "a\nb\r\nc", '"`$x"', "\x00\x1b[31m", "é☃\U0001F600"]:
        assert roundtrip(text) == text


def test_frames_split_anywhere():
    frames = b"".join(encode_frame({"t": "out", "o": [i, str(i)]}) for i in range(50))
    decoder = FrameDecoder()
    got = []
    for i in range(0, len(frames), 7):
        got.extend(decoder.feed(frames[i:i + 7]))
    assert [m["o"][0] for m in got] == list(range(50))
    assert decoder.pending == 0


def test_binary_frames_are_byte_exact_and_mix_with_json_frames():
    blobs = [bytes(range(256)) * 3, b"", os.urandom(70000), b"\xff\xfe\r\n\x00"]
    frames = b"".join(encode_frame({"t": "out", "id": i, "q": i + 1, "_bin": blob})
                      + encode_frame({"t": "rec", "id": i}) for i, blob in enumerate(blobs))
    decoder = FrameDecoder()
    got = []
    for i in range(0, len(frames), 1000):
        got.extend(decoder.feed(frames[i:i + 1000]))
    assert [m["_bin"] for m in got if m["t"] == "out"] == blobs
    assert [(m["id"], m["q"]) for m in got if m["t"] == "out"] == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert [m["id"] for m in got if m["t"] == "rec"] == [0, 1, 2, 3]
    stream = io.BytesIO(frames)
    assert read_frame(stream)["_bin"] == blobs[0]
    assert read_frame(stream)["t"] == "rec"


def test_read_frame_from_stream():
    stream = io.BytesIO(encode_frame({"t": "a"}) + encode_frame({"t": "b"}))
    assert read_frame(stream)["t"] == "a"
    assert read_frame(stream)["t"] == "b"
    assert read_frame(stream) is None


def test_truncated_and_malformed_frames():
    stream = io.BytesIO(encode_frame({"t": "a"})[:-2])
    with pytest.raises(ProtocolError):
        read_frame(stream)
    with pytest.raises(ProtocolError):
        FrameDecoder().feed(b"\x00\x00\x00\x03abc")
    with pytest.raises(ProtocolError):
        FrameDecoder().feed(b"\xff\xff\xff\xff")


def test_hashtable_keeps_order_and_case_insensitivity():
    table = Hashtable([("Name", "x"), ("b", [1, 2]), ("n", None)])
    back = roundtrip(table)
    assert isinstance(back, Hashtable)
    assert list(back.keys()) == ["Name", "b", "n"]
    assert back["NAME"] == "x" and back["B"] == [1, 2]


def test_psobject_becomes_deserialized():
    obj = PSObject({"Name": "a", "Size": 3}, type_names=["My.Type", "System.Object"])
    back = roundtrip(obj)
    assert isinstance(back, PSObject)
    assert back.type_names[0] == "Deserialized.My.Type"
    assert back.get("name") == "a" and back.get("Size") == 3
    again = roundtrip(back)
    assert again.type_names[0] == "Deserialized.My.Type"


def test_custom_object_string_form():
    obj = PSObject({"a": 1})
    back = roundtrip(obj)
    assert to_str(back) == "@{a=1}"


class Thing:
    ps_type_names = ("pshell.Thing",)
    ps_properties = ("Name", "Child", "When")

    def __init__(self, name, child=None):
        self.Name = name
        self.Child = child
        self.When = dt.datetime(2024, 1, 2, 3, 4, 5)

    def ToString(self):
        return f"thing {self.Name}"


def test_object_with_ps_properties():
    back = roundtrip(Thing("x", Thing("y")))
    assert back.type_names[0] == "Deserialized.pshell.Thing"
    assert back.get("Name") == "x"
    assert back.get("When") == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert back.get("Child").get("Name") == "y"
    assert to_str(back) == "thing x"


def test_cycles_are_cut_by_depth():
    a = Thing("a")
    a.Child = a
    lst = [1]
    lst.append(lst)
    back = roundtrip(a, depth=3)
    assert back.get("Child").get("Child").get("Name") == "a"
    assert roundtrip(lst, depth=3)[0] == 1


def test_dates_and_timespans():
    when = dt.datetime(2023, 5, 6, 7, 8, 9, 123456)
    span = dt.timedelta(days=-1, seconds=5, microseconds=7)
    assert roundtrip(when) == when
    assert roundtrip(span) == span
    assert roundtrip(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)).tzinfo is not None


def test_error_record_keeps_message_category_and_location():
    text = "Get-Thing\nfoo -bar $x"
    loc = SourceLocation("script.ps1", text, text.index("-bar"), text.index("-bar") + 4)
    rec = ErrorRecord("it broke", "Broke,Get-Thing", "ObjectNotFound", target={"a": 1},
                      location=loc, command="Get-Thing",
                      exception_type="System.IO.FileNotFoundException")
    back = roundtrip(rec)
    assert isinstance(back, ErrorRecord)
    assert back.message == "it broke"
    assert back.category == "ObjectNotFound"
    assert back.FullyQualifiedErrorId == "Broke,Get-Thing"
    assert back.command == "Get-Thing"
    assert back.exception_type_short == "FileNotFoundException"
    assert back.location.line == 2 and back.location.column == 5
    assert back.location.line_text() == "foo -bar $x"
    assert back.TargetObject == "System.Collections.Specialized.OrderedDictionary"


def test_stream_records():
    for cls in (WarningRecord, VerboseRecord, DebugRecord):
        back = roundtrip(cls("careful"))
        assert type(back) is cls and back.Message == "careful"
    info = roundtrip(InformationRecord("hi", ("t1",), host=True, newline=False, fg="red"))
    assert info.MessageData == "hi" and info.host and not info.newline and info.fg == "red"
    assert "t1" in info.Tags
    prog = roundtrip(ProgressRecord("Copy", "file 3", 30, activity_id=2, completed=True))
    assert (prog.Activity, prog.StatusDescription, prog.PercentComplete, prog.ActivityId,
            prog.RecordType) == ("Copy", "file 3", 30, 2, "Completed")


def test_bytes_and_unknown_objects():
    assert roundtrip(b"\x00\xff") == b"\x00\xff"

    class Opaque:
        def __str__(self):
            return "opaque!"
    assert roundtrip(Opaque()) == "opaque!"


def test_unknown_tag_rejected():
    with pytest.raises(ProtocolError):
        deserialize({"@": "nope"})


# --------------------------------------------------------------------------- counting work
# (tests/work_count.py: lines of the package counted, not time)


def _decoding(count, batch, chunk, width):
    """Decode ``count`` lines sent ``batch`` to a message, the bytes fed ``chunk`` at a time."""
    lines = [f"line number {i} of the log" + "." * width for i in range(count)]
    data = b"".join(encode_frame({"t": "out", "id": 1, "o": [serialize(x) for x in lines[i:i + batch]]})
                    for i in range(0, count, batch))

    def decode():
        got = []
        decoder = FrameDecoder()
        for i in range(0, len(data), chunk):
            for msg in decoder.feed(data[i:i + chunk]):
                got.extend(deserialize(x) for x in msg["o"])
        assert got == lines
        assert decoder.pending == 0
    return decode


@pytest.mark.parametrize("batch, chunk, width", [
    (512, 1 << 16, 0),          # many frames in each read
    (100_000, 1 << 16, 1000),   # one message of 2 MB (16 MB) in 1 MB fragments, over many reads
    (64, 100, 0),               # frames split across small reads
])
def test_decoding_work_is_linear(batch, chunk, width):
    # the decoder's and deserialiser's work: 8x the lines, at most 10x the Python lines run
    assert len(encode_frame({"o": ["." * width] * 2000})) > 1 << 20 or width == 0
    small = work(_decoding(2000, batch, chunk, width), 10**7, _PACKAGE)
    try:
        work(_decoding(16000, batch, chunk, width), 10 * small, _PACKAGE)
    except OverBudget:
        pytest.fail(f"decoding 8x the lines did more than 10x the work ({small} lines)")


# --------------------------------------------------------------------------- server + client
# The server and client run in this process over a socketpair; the runspace is a small stand-in
# that interprets a few commands, so these tests don't depend on the language engine.



class ToyRunspace:
    def __init__(self):
        self.location = "/toy"
        self.stopped = threading.Event()
        self.calls = []
        self.closed = False

    def stop(self):
        self.stopped.set()

    def close(self):
        self.closed = True

    def invoke_iter(self, script, args=(), input=None, using=None, streams=None, source=""):
        self.stopped.clear()
        self.calls.append((script, list(args), dict(using or {}), input))
        return self._run(script, list(args), using or {}, input, streams)

    def _run(self, script, args, using, input, streams):
        cmd, _, rest = script.partition(" ")
        if cmd == "echo":
            yield from args
            yield from (using.get(k) for k in sorted(using))
            yield from (input or ())
        elif cmd == "range":
            for i in range(int(rest)):
                if self.stopped.is_set():
                    from pshell.engine.errors import PipelineStopped
                    raise PipelineStopped()
                yield i
        elif cmd == "mixed":
            yield 1
            streams.warning(WarningRecord("w1"))
            yield 2
            streams.error(ErrorRecord("e1", "E1", "InvalidData"))
            yield 3
        elif cmd == "throw":
            raise RuntimeException(ErrorRecord(rest, "Thrown", "OperationStopped"))
        elif cmd == "exit":
            raise ExitException(int(rest))
        elif cmd == "hang":
            yield "started"
            self.stopped.wait(30)
            from pshell.engine.errors import PipelineStopped
            raise PipelineStopped()
        elif cmd == "cd":
            self.location = rest
        elif cmd == "crash":
            raise ValueError("boom")


class SocketLink:
    def __init__(self, sock):
        self.sock = sock
        self.conn = None

    def attach(self, conn):
        self.conn = conn
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                self.conn.lost("socket closed")
                return
            self.conn.feed(data)

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


@pytest.fixture
def toy():
    a, b = socket.socketpair()
    runspaces = []

    def factory():
        runspaces.append(ToyRunspace())
        return runspaces[-1]

    server = threading.Thread(target=serve, args=(a.makefile("rb"), a.fileno(), factory), daemon=True)
    server.start()
    link = SocketLink(b)
    conn = RemoteConnection(link, "toyhost")
    link.attach(conn)
    conn.hello("sid-1", "mysession")
    rs = conn.create_runspace(0)
    yield conn, rs, runspaces
    conn.close()
    server.join(5)
    a.close()
    b.close()


def test_hello_and_prompt(toy):
    conn, rs, runspaces = toy
    assert conn.server_info["session"] == "sid-1" and conn.server_info["name"] == "mysession"
    assert conn.server_info["pid"] == os.getpid()
    assert rs.location == "/toy"
    rs.invoke("cd /elsewhere")
    assert rs.location == "/elsewhere"
    assert rs.prompt()["cwd"] == "/elsewhere"


def test_arguments_using_and_input_are_data(toy):
    conn, rs, runspaces = toy
    hostile = "a'; rm -rf ~ #\n$(whoami) `\"x\""
    out = rs.invoke("echo", args=[hostile, 5, PSObject({"k": "v"})], using={"Zed": hostile},
                    input=[1, "two"])
    assert out[0] == hostile and out[1] == 5 and out[2].get("k") == "v"
    assert out[3] == hostile and out[4:] == [1, "two"]
    script, args, using, input_values = runspaces[0].calls[-1]
    assert script == "echo" and args[0] == hostile and using == {"zed": hostile}


def test_streams_arrive_in_order(toy):
    conn, rs, runspaces = toy
    order = []
    streams = CollectingStreams(lambda s, r: order.append((s, r.message if s == "error" else r.Message)))
    for item in rs.invoke_iter("mixed", streams=streams, computer_name="toyhost"):
        order.append(("out", item))
    assert order == [("out", 1), ("warning", "w1"), ("out", 2), ("error", "e1"), ("out", 3)]
    assert streams.records[1][1].computer_name == "toyhost"


def test_many_objects_batched(toy):
    conn, rs, runspaces = toy
    assert rs.invoke("range 100000") == list(range(100000))


def test_terminating_error_and_exit(toy):
    conn, rs, runspaces = toy
    with pytest.raises(RuntimeException) as info:
        rs.invoke("throw it failed", computer_name="toyhost")
    assert info.value.record.message == "it failed"
    assert info.value.record.category == "OperationStopped"
    assert info.value.record.computer_name == "toyhost"
    inv = conn.start(0, "exit 3")
    assert list(inv) == []
    assert inv.result["exit"] == 3
    with pytest.raises(RuntimeException) as info:
        rs.invoke("crash")
    assert "boom" in info.value.record.message
    assert rs.invoke("echo", args=[1]) == [1]     # the runspace carries on


def test_stop_while_running(toy):
    conn, rs, runspaces = toy
    inv = conn.start(0, "hang")
    it = iter(inv)
    assert next(it) == "started"
    inv.stop()
    assert list(it) == []
    assert inv.result["stopped"]
    assert rs.invoke("echo", args=["after"]) == ["after"]


def test_invocations_are_serialized(toy):
    conn, rs, runspaces = toy
    first = conn.start(0, "hang")
    second = conn.start(0, "echo", args=["second"])
    it = iter(first)
    assert next(it) == "started"
    first.stop()
    assert list(it) == []
    assert list(second) == ["second"]


def test_early_exit_from_consumer_stops_remote(toy):
    conn, rs, runspaces = toy
    for i in rs.invoke_iter("range 100000000"):
        if i == 5:
            break
    assert rs.invoke("echo", args=["next"]) == ["next"]


def test_lost_connection_breaks_waiters(toy):
    conn, rs, runspaces = toy
    inv = conn.start(0, "hang")
    it = iter(inv)
    assert next(it) == "started"
    conn.link.close()
    with pytest.raises(ConnectionBroken):
        list(it)
    with pytest.raises(ConnectionBroken):
        rs.invoke("echo")


def test_completion_request_without_engine(toy):
    conn, rs, runspaces = toy
    answer = rs.complete("Get-Chi", 7)
    assert "matches" in answer
