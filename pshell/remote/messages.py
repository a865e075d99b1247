"""What each message may hold: the fields of every request and answer, as data, and the checks
that keep a malformed one from reaching code that trusts it.

Both ends decode what the other sent through these: the host and the server check requests
(:func:`check_request`, called by ``read_frame``), the client checks answers
(:func:`check_reply`).  A field of the wrong JSON type or out of range raises ProtocolError
naming the message and the field; fields not listed are ignored.  Values inside a message
(arguments, output objects, records) are checked when they are deserialised
(``protocol.deserialize``).
"""

from __future__ import annotations

from pshell.remote.framing import ProtocolError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict

__all__ = ["check_request", "check_reply", "STREAMS"]

_BIG = (1 << 63) - 1
_NONE = type(None)
STREAMS = frozenset(("error", "warning", "verbose", "debug", "information", "progress"))


def _id(value: Any) -> bool:
    kind = type(value)
    return (kind is int and -_BIG <= value <= _BIG) or (kind is str and len(value) <= 200) \
        or value is None


def _count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= _BIG


def _idle(value: Any) -> bool:
    """An idle timeout as sent: its range is judged where it is used (remote/validate.py), which
    answers with PowerShell's message instead of dropping the connection."""
    return value is None or type(value) in (int, float) or (type(value) is str and len(value) <= 100)


def _kinds(*kinds: type) -> Any:
    return lambda value: type(value) in kinds


def _str_map(value: Any) -> bool:
    return type(value) is dict and all(type(v) in (str, int, _NONE) for v in value.values())


def _resume(value: Any) -> bool:
    return type(value) is dict and all(_count(v) for v in value.values())


_S = _kinds(str, _NONE)
_B = _kinds(bool, _NONE)
_L = _kinds(list)
_D = _kinds(dict, _NONE)
_OPT_COUNT = (lambda v: v is None or _count(v))

_COMMON: Dict[str, Any] = {"id": _id, "rs": _OPT_COUNT, "q": _OPT_COUNT}

_REQUESTS: Dict[str, Dict[str, Any]] = {
    "hello": {"v": _kinds(int), "session": _S, "name": _S, "new": _B, "token": _S,
              "once": _B, "idle": _idle, "attach": _S, "force": _B, "resume": _resume},
    "create": {}, "stop": {}, "prompt": {}, "close": {}, "list": {}, "receive": {},
    "invoke": {"script": _kinds(str), "args": _L, "using": _kinds(dict),
               "input": _kinds(list, _NONE), "source": _S, "raw": _B, "top": _B},
    "complete": {"text": _kinds(str), "cursor": _count},
    "ack": {"pq": _count, "pn": _count},
    "disconnect": {"idle": _idle},
    "remove": {"session": _S, "force": _B},
    "fput": {"path": _kinds(str), "kind": _S, "data": _S, "append": _B, "last": _B,
             "mode": _OPT_COUNT, "mtime": _kinds(int, float, _NONE)},
    "flist": {"path": _kinds(str), "recurse": _B},
    "pty": {"argv": lambda v: type(v) is list and 0 < len(v) <= 1000
                    and all(type(a) is str and "\0" not in a for a in v),
            "term": lambda v: v is None or (type(v) is str and len(v) <= 100),
            "rows": _OPT_COUNT, "cols": _OPT_COUNT},
    "pin": {}, "pwin": {"rows": _OPT_COUNT, "cols": _OPT_COUNT},
    "fread": {"path": _kinds(str), "offset": _count, "size": lambda v: _count(v) and v <= 64 << 20},
}

_REPLIES: Dict[str, Dict[str, Any]] = {
    "hello": {"v": _kinds(int), "error": _S, "session": _S, "name": _S, "persistent": _B,
              "next_id": _OPT_COUNT, "lost": _kinds(list, _NONE), "sock": _S, "user": _S,
              "host": _S},
    "created": {"prompt": _str_map, "error": _S},
    "out": {"o": _L, "ln": _OPT_COUNT},
    "rec": {"s": lambda v: v in STREAMS, "r": _kinds(dict)},
    "done": {"ok": _B, "error": _D, "prompt": _str_map, "o": _L, "stopped": _B,
             "exit": _kinds(int, str, _NONE)},
    "bye": {"reason": _S},
    "error": {"message": _S},
    "completion": {"start": _OPT_COUNT, "end": _OPT_COUNT, "matches": _L},
    "prompt": {"prompt": _str_map},
    "fdone": {"error": _S, "path": _S, "data": _S, "n": _OPT_COUNT, "kind": _S, "entries": _L},
    "sessions": {"sessions": _L},
    "pending": {"ids": lambda v: type(v) is list and all(type(e) is dict and _id(e.get("id"))
                                                          for e in v)},
    "pout": {}, "pexit": {"code": _count, "error": _S},
    "disconnected": {}, "closed": {}, "removed": {"error": _S},
}


for _table in (_REQUESTS, _REPLIES):
    for _kind, _fields in _table.items():
        _table[_kind] = dict(_COMMON, **_fields)


def _check(msg: Dict[str, Any], table: Dict[str, Dict[str, Any]], what: str) -> None:
    kind = msg["t"]
    fields = table.get(kind)
    if fields is None:
        if what == "answer":
            raise ProtocolError(f"unknown message type {_short(kind)}")
        return                         # the server answers an unknown request itself
    for name, ok in fields.items():
        if name in msg and not ok(msg[name]):
            raise ProtocolError(f"malformed {kind!r} {what}: field {name!r} is "
                                f"{_short(msg[name])}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_request(msg: Dict[str, Any]) -> None:
    """Raise ProtocolError when a request to the server/host has a malformed field."""
    if "_toobig" not in msg:
        _check(msg, _REQUESTS, "request")


def check_reply(msg: Dict[str, Any]) -> None:
    """Raise ProtocolError when a message to the client has a malformed field."""
    if "_toobig" not in msg:
        _check(msg, _REPLIES, "answer")
