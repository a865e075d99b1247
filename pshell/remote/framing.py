"""Frames of the remoting wire: how one message (a JSON object ``{"t": type, ...}``) crosses as
bytes, and back.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON, one message.  A
message with bytes in ``"_bin"`` goes as a binary frame, one larger than FRAGMENT as a head frame
and its parts (see encode_frame); a receiver refuses a frame above MAX_FRAME and skips a message
above MAX_MESSAGE.  A batch of output strings crosses as one binary ``out`` message of lines
(lines_message, split_lines).  What the messages are, and how values travel inside them, is
:mod:`pshell.remote.protocol`'s; this module needs nothing of the engine.
"""

from __future__ import annotations

from pshell.remote.jsonc import dumps as _json_text, loads as _json_value  # json without re, enum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO, Dict, List, Optional

__all__ = ["MAX_FRAME", "MAX_MESSAGE", "FRAGMENT", "encode_frame", "decode_frame", "FrameDecoder",
           "read_frame", "is_binary", "decode_binary", "lines_message", "split_lines",
           "ProtocolError"]


class ProtocolError(Exception):
    """The peer sent something that is not a valid frame or message."""


def _pack_word(word: int) -> bytes:
    return word.to_bytes(4, "big")


def _word_at(data: Any, offset: int = 0) -> int:
    """The 4-byte big-endian word at ``offset`` (the caller made sure the 4 bytes are there)."""
    return int.from_bytes(data[offset:offset + 4], "big")


class _Header:
    """The word before each frame, as ``struct.Struct(">I")`` would read and write it, without
    the ``_struct`` extension (loading it was ~0.2 ms of every client that remotes)."""

    size = 4

    @staticmethod
    def pack(word: int) -> bytes:
        return word.to_bytes(4, "big")

    @staticmethod
    def unpack(data: Any) -> Any:
        if len(data) != 4:
            raise ProtocolError("malformed frame: a header of 4 bytes expected")
        return (int.from_bytes(data, "big"),)

    @staticmethod
    def unpack_from(data: Any, offset: int = 0) -> Any:
        if len(data) - offset < 4:
            raise ProtocolError("malformed frame: a header of 4 bytes expected")
        return (int.from_bytes(data[offset:offset + 4], "big"),)


_HEADER = _Header()         # remote/connections.py peeks at a frame's header with it


# --------------------------------------------------------------------------- framing

_BINARY = 0x80000000         # a binary frame (see encode_frame)
_HEAD = 0x40000000           # the head of a fragmented message: its envelope and size
_PART = 0x20000000           # a fragment of the message announced by the last head
_SIZE = 0x1FFFFFFF


def _env_size(name: str, default: int, low: int, high: int) -> int:
    import os
    try:
        return max(low, min(high, int(os.environ.get(name) or default)))
    except ValueError:
        return default


# A frame never carries more than FRAGMENT bytes; a larger message goes as a head frame and
# parts, and the receiver refuses any frame above MAX_FRAME, so no peer makes us buffer more
# than that before a frame is complete.  MAX_MESSAGE bounds one whole message: a larger one is
# skipped whole (its parts are read and dropped) and arrives as its envelope with "_toobig".
MAX_FRAME = 16 * 1024 * 1024
FRAGMENT = _env_size("PSHELL_FRAGMENT", 1 << 20, 1 << 10, MAX_FRAME)
MAX_MESSAGE = _env_size("PSHELL_MAX_MESSAGE", 4 << 30, 1 << 10, 1 << 62)
_ENVELOPE = ("t", "id", "q", "rs")


def encode_frame(message: Dict[str, Any]) -> bytes:
    """One message as a frame: length prefix + compact JSON.

    A message with a ``"_bin"`` entry (bytes) becomes a binary frame: the length has its high bit
    set, and the body is a 4-byte length, the JSON of the rest of the message, then the bytes
    as they are (raw native output crosses without base64).  Decoding puts them back in
    ``"_bin"``.  A body longer than FRAGMENT goes as fragments (see _fragments)."""
    raw = message.get("_bin")
    if raw is not None:
        rest = {k: v for k, v in message.items() if k != "_bin"}
        head = _json_text(rest).encode("utf-8", "surrogatepass")
        size = 4 + len(head) + len(raw)
        if size > FRAGMENT:
            return _fragments(message, _pack_word(len(head)) + head + raw, _BINARY)
        return b"".join((_pack_word(size | _BINARY), _pack_word(len(head)), head, raw))
    body = _json_text(message).encode("utf-8", "surrogatepass")
    if len(body) > FRAGMENT:
        return _fragments(message, body, 0)
    return _pack_word(len(body)) + body


def _fragments(message: Dict[str, Any], body: bytes, binary: int) -> bytes:
    """A head frame (the message's envelope - type, id, sequence number - and the body's size,
    so a receiver can skip a message too big for it and still say which one it was) followed
    by parts of at most FRAGMENT bytes.  The frames of one message are written together."""
    envelope = {k: message[k] for k in _ENVELOPE if k in message}
    envelope["n"] = len(body)
    head = _json_text(envelope).encode("utf-8", "surrogatepass")
    pieces: List[Any] = [_pack_word(len(head) | _HEAD | binary), head]
    view = memoryview(body)
    for start in range(0, len(body), FRAGMENT):
        part = view[start:start + FRAGMENT]
        pieces.append(_pack_word(len(part) | _PART))
        pieces.append(part)
    return b"".join(pieces)


def is_binary(frame: bytes) -> bool:
    """Whether an encoded frame is a binary one."""
    return bool(frame[0] & 0x80)


def decode_frame(frame: Any) -> Dict[str, Any]:
    """The message of one whole encoded frame (as encode_frame made it, fragmented or not)."""
    messages = FrameDecoder().feed(frame)
    if len(messages) != 1:
        raise ProtocolError("malformed frame: not exactly one message")
    return messages[0]


def decode_binary(body: Any) -> Dict[str, Any]:
    """The message of a binary frame's body (its bytes in ``"_bin"``)."""
    if len(body) < 4:
        raise ProtocolError("malformed frame: short binary frame")
    size = _word_at(body)
    if size > len(body) - 4:
        raise ProtocolError("malformed frame: binary frame shorter than its header")
    message = decode_body(body[4:4 + size])
    message["_bin"] = bytes(body[4 + size:])
    return message


def decode_body(body: Any) -> Dict[str, Any]:
    try:
        text = body if type(body) is str else str(body, "utf-8", "surrogatepass")
        del body
        message = _json_value(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"malformed frame: {exc}") from None
    if not isinstance(message, dict) or not isinstance(message.get("t"), str):
        raise ProtocolError("malformed frame: not a message")
    return message


class _Assembly:
    """A fragmented message being received: its envelope, and its body so far (or, when it is
    larger than MAX_MESSAGE, only how much of it went by)."""

    __slots__ = ("envelope", "binary", "size", "got", "body")

    def __init__(self, head: Any, binary: int) -> None:
        envelope = decode_body(head)
        size = envelope.pop("n", None)
        if type(size) is not int or size < 0:
            raise ProtocolError("malformed frame: a fragmented message without its size")
        self.envelope = envelope
        self.binary = binary
        self.size = size
        self.got = 0
        self.body: Optional[bytearray] = bytearray() if size <= MAX_MESSAGE else None

    def add(self, part: Any) -> Optional[Dict[str, Any]]:
        """Take one part; the message once it is whole."""
        self.got += len(part)
        if self.got > self.size:
            raise ProtocolError("malformed frame: a fragmented message longer than announced")
        if self.body is not None:
            self.body += part
        return self.message() if self.got == self.size else None

    def message(self) -> Dict[str, Any]:
        body, self.body = self.body, None
        if body is None:
            return dict(self.envelope, _toobig=self.size)
        if not self.binary:
            text = str(body, "utf-8", "surrogatepass")
            del body                # the bytes go before the value is made of the text
            return decode_body(text)
        if len(body) < 4:
            raise ProtocolError("malformed frame: short binary frame")
        size = _word_at(body)
        if size > len(body) - 4:
            raise ProtocolError("malformed frame: binary frame shorter than its header")
        message = decode_body(memoryview(body)[4:4 + size])
        del body[:4 + size]         # in place: the bytes are not copied once more
        message["_bin"] = body
        return message


class FrameDecoder:
    """Incremental decoder: feed bytes as they arrive, get complete messages back."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._assembly: Optional[_Assembly] = None

    def feed(self, data: Any) -> List[Dict[str, Any]]:
        self._buf += data
        messages = []
        buf = self._buf
        pos = 0
        try:
            while len(buf) - pos >= 4:
                word = _word_at(buf, pos)
                size = word & _SIZE
                if size > MAX_FRAME:
                    raise ProtocolError(f"frame of {size} bytes is larger than the limit")
                if len(buf) - pos - 4 < size:
                    break
                with memoryview(buf) as view:
                    message = self._frame(word, view[pos + 4: pos + 4 + size])
                pos += 4 + size
                if message is not None:
                    messages.append(message)
        finally:
            if pos:
                del buf[:pos]
        return messages

    def _frame(self, word: int, body: Any) -> Optional[Dict[str, Any]]:
        assembly = self._assembly
        if word & _PART:
            if assembly is None or word & (_HEAD | _BINARY):
                raise ProtocolError("malformed frame: a fragment of no message")
            message = assembly.add(body)
            if message is not None:
                self._assembly = None
            return message
        if assembly is not None:
            raise ProtocolError("malformed frame: a message inside a fragmented one")
        if word & _HEAD:
            assembly = _Assembly(body, word & _BINARY)
            if assembly.size == 0:
                return assembly.message()
            self._assembly = assembly
            return None
        if word & _BINARY:
            return decode_binary(body)
        return decode_body(body)

    @property
    def pending(self) -> int:
        return len(self._buf) + (self._assembly.got if self._assembly is not None else 0)


def read_frame(stream: BinaryIO) -> Optional[Dict[str, Any]]:
    """Read one message from a blocking byte stream (all its fragments); None at a clean end of
    stream.  Requests are checked (check_request) before they are returned."""
    assembly: Optional[_Assembly] = None
    while True:
        header = _read_exact(stream, 4)
        if header is None:
            if assembly is not None:
                raise ProtocolError("connection closed in the middle of a message")
            return None
        word = _word_at(header)
        size = word & _SIZE
        if size > MAX_FRAME:
            raise ProtocolError(f"frame of {size} bytes is larger than the limit")
        body = _read_exact(stream, size) if size else b""
        if body is None:
            raise ProtocolError("connection closed in the middle of a frame")
        if word & _PART:
            if assembly is None or word & (_HEAD | _BINARY):
                raise ProtocolError("malformed frame: a fragment of no message")
            message = assembly.add(body)
            if message is None:
                continue
        elif assembly is not None:
            raise ProtocolError("malformed frame: a message inside a fragmented one")
        elif word & _HEAD:
            assembly = _Assembly(body, word & _BINARY)
            if assembly.size:
                continue
            message = assembly.message()
        else:
            message = decode_binary(body) if word & _BINARY else decode_body(body)
        _checks().check_request(message)
        return message


def _checks() -> Any:
    from pshell.remote import messages
    return messages


def _read_exact(stream: BinaryIO, size: int) -> Optional[bytes]:
    chunks = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            if remaining == size:
                return None
            raise ProtocolError("connection closed in the middle of a frame")
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def lines_message(inv_id: Any, items: List[Any]) -> Optional[Dict[str, Any]]:
    """A batch made only of strings without a newline, as a binary ``out`` message: the strings
    joined by newlines (C-speed both ways, where JSON escapes and parses every character;
    this is what makes a remote Get-Content fast).  None when the batch is not like that."""
    if not items or type(items[0]) is not str:
        return None
    try:
        text = "\n".join(items)            # raises when one is not a string
    except TypeError:
        return None
    if text.count("\n") != len(items) - 1:
        return None
    return {"t": "out", "id": inv_id, "ln": len(items),
            "_bin": text.encode("utf-8", "surrogatepass")}


def split_lines(data: bytes) -> List[str]:
    """The strings of a ``lines_message`` (bytes, or a bytearray from a fragmented message).
    A large batch is cut at its newline bytes and each line decoded on its own: the bytes and
    the strings, never a third copy (the whole text) besides them."""
    if len(data) < _BIG_LINES:
        return str(data, "utf-8", "surrogatepass").split("\n")
    lines = []
    find = data.find
    start = 0
    with memoryview(data) as view:
        while True:
            end = find(b"\n", start)
            lines.append(str(view[start:len(data) if end < 0 else end], "utf-8", "surrogatepass"))
            if end < 0:
                return lines
            start = end + 1


_BIG_LINES = 8 << 20
