"""A remote pshell engine that lies: it speaks pshell's protocol (the real framing from
pshell.remote.protocol) on stdin/stdout, as ``pshell.remote.server --direct`` does, and answers
Copy-Item's file messages with what the test asks for in the JSON file $FAKE_REMOTE names:

    {"path": "/srv/tree", "kind": "dir", "total": 5,
     "pages": [[entry, ...], ...],             # the listing: the first page, then what fnext gives
     "files": {"/srv/tree/a": {"data": "<base64>", "more": false}},
     "raw": false}                             # answer flist with a frame that is not UTF-8

An entry is ``[rel, kind, mode, mtime, size]`` as the real server sends.  A file with ``more``
answers every read with all its data, whatever was asked.  It is started through the process
transport (pshell.transport.process.ProcessLink), so the client runs exactly as over SSH.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import sys

from pshell.remote.framing import encode_frame, read_frame
from pshell.remote.protocol import PROTOCOL_VERSION


def main() -> int:
    with open(os.environ["FAKE_REMOTE"]) as fh:
        spec = json.load(fh)
    reader = os.fdopen(0, "rb")
    out = os.fdopen(1, "wb", buffering=0)

    def send(message):
        out.write(encode_frame(message))

    pages = spec.get("pages") or [[]]
    while True:
        msg = read_frame(reader)
        if msg is None or (msg.get("t") == "close" and msg.get("rs") is None):
            return 0
        kind, ident = msg.get("t"), msg.get("id")
        if kind == "hello":
            send({"t": "hello", "v": PROTOCOL_VERSION, "pid": os.getpid(), "user": "mallory",
                  "host": "evilbox", "python": "3", "session": msg.get("session") or "s",
                  "name": msg.get("name") or "", "persistent": False})
        elif kind == "create":
            send({"t": "created", "rs": msg.get("rs", 0), "prompt": {}})
        elif kind == "flist" and spec.get("raw"):
            body = b'{"t": "fdone", "id": %d, "path": "/srv/\xff\xfe", "kind": "dir"}' % ident
            out.write(struct.pack(">I", len(body)) + body)
        elif kind == "flist":
            answer = {"t": "fdone", "id": ident, "path": spec["path"], "kind": spec.get("kind"),
                      "entries": pages[0]}
            if "total" in spec:
                answer["total"] = spec["total"]
            if len(pages) > 1:
                answer["more"] = 1
            send(answer)
        elif kind == "fnext":
            page = int(msg.get("more") or 0)
            answer = {"t": "fdone", "id": ident, "entries": pages[page] if page < len(pages) else []}
            if page + 1 < len(pages):
                answer["more"] = page + 1
            send(answer)
        elif kind == "fread":
            entry = spec.get("files", {}).get(msg.get("path"))
            if entry is None:
                send({"t": "fdone", "id": ident, "error": f"no such file: {msg.get('path')}"})
                continue
            data = base64.b64decode(entry["data"])
            if not entry.get("more"):
                offset = int(msg.get("offset", 0))
                data = data[offset:offset + int(msg.get("size", 1 << 20))]
            send({"t": "fdone", "id": ident, "data": base64.b64encode(data).decode("ascii"),
                  "n": len(data)})
        elif kind in ("prompt", "complete", "stop"):
            send({"t": "prompt", "id": ident, "prompt": {}})
        elif kind != "close":
            send({"t": "error", "id": ident, "message": f"unknown message {kind!r}"})


if __name__ == "__main__":
    sys.exit(main())
