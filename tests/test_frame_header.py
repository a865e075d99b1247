"""The 4-byte word before each frame, read and written without the _struct extension: the same
bytes struct's big-endian unsigned int gives, a short header refused as a malformed frame."""

from __future__ import annotations

import struct

import pytest

from pshell.remote.framing import _HEADER, FrameDecoder, ProtocolError, encode_frame


@pytest.mark.parametrize("word", [0, 1, 255, 256, 0x7FFFFFFF, 0x80000000, 0xC0000004, 0xFFFFFFFF])
def test_the_header_is_what_struct_makes_of_it(word):
    assert _HEADER.pack(word) == struct.pack(">I", word)
    assert _HEADER.unpack(struct.pack(">I", word)) == (word,)
    assert _HEADER.unpack_from(b"xx" + struct.pack(">I", word) + b"yy", 2) == (word,)


def test_a_short_header_is_a_malformed_frame():
    for data in (b"", b"\x00", b"\x00\x00\x00"):
        with pytest.raises(ProtocolError):
            _HEADER.unpack(data)
        with pytest.raises(ProtocolError):
            _HEADER.unpack_from(data)
    with pytest.raises(ProtocolError):
        _HEADER.unpack_from(b"\x00\x00\x00\x01", 1)


def test_frames_of_every_kind_still_decode_in_pieces():
    messages = [{"t": "out", "id": 1, "v": "x" * 10},
                {"t": "raw", "id": 2, "_bin": b"\x00\xff" * 5},
                {"t": "out", "id": 3, "v": "y" * (1 << 21)}]     # fragmented
    data = b"".join(encode_frame(m) for m in messages)
    decoder = FrameDecoder()
    got = []
    for i in range(0, len(data), 997):      # some headers split between pieces
        got.extend(decoder.feed(data[i:i + 997]))
    assert [m["id"] for m in got] == [1, 2, 3]
    assert bytes(got[1]["_bin"]) == b"\x00\xff" * 5 and got[2]["v"] == "y" * (1 << 21)
