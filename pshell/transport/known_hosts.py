"""known_hosts files read and written with OpenSSH's rules, for pshell's own host-key check.

A line is ``[@revoked|@cert-authority] patterns keytype base64 [comment]``.  Patterns are a
comma list with ``*``/``?`` wildcards and ``!`` negation, compared case-insensitively, or one
hashed name ``|1|salt|hmac`` (HMAC-SHA1 of the name).  The name looked up is the host name
(``[name]:port`` when the port is not 22) or the HostKeyAlias as it is.  For a presented key:

- ``revoked``: a matching ``@revoked`` line holds it (from any file);
- ``ok``: a matching line holds it;
- ``changed``: a matching line holds another key (of any kind: ssh 9.2 says "changed" when an
  RSA key is known and the server shows an Ed25519 one);
- ``new``: no line matches.

Each file is parsed once while its (mtime, size, inode) stay the same.
"""

from __future__ import annotations

import base64
import os
import threading
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = ["KnownHosts", "hash_name", "add_known_host", "lookup_name", "key_kind"]

_Entry = Tuple[str, Tuple[str, ...], str, bytes, str, int]   # marker, patterns, kind, blob, file, line
_Parsed = Tuple[Dict[str, List[_Entry]], List[_Entry]]     # by plain name, the rest in order
_FILES: Dict[str, Tuple[Tuple[int, int, int], _Parsed]] = {}
_LOCK = threading.Lock()


def key_kind(key_type: str) -> str:
    """What makes two keys "the same kind" for OpenSSH: all ECDSA curves are one kind."""
    kind = key_type.replace("-cert-v01@openssh.com", "")
    if kind.startswith("ecdsa-sha2-"):
        return "ecdsa"
    if kind.startswith("sk-ecdsa-"):
        return "sk-ecdsa"
    if kind in ("rsa-sha2-256", "rsa-sha2-512"):
        return "ssh-rsa"
    return kind


def lookup_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def hash_name(name: str, salt: Optional[bytes] = None) -> str:
    import hashlib
    import hmac
    salt = salt if salt is not None else os.urandom(20)
    digest = hmac.new(salt, name.encode("utf-8"), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def _blob_type(blob: bytes) -> str:
    if len(blob) < 4:
        return ""
    size = int.from_bytes(blob[:4], "big")
    return blob[4:4 + size].decode("ascii", "replace") if size <= len(blob) - 4 else ""


def _parse(path: str) -> _Parsed:
    """The file's entries: those naming plain hosts indexed by name (a fan-out over a hundred
    hosts looks each up at once), the ones with wildcards, negations or hashes in a list."""
    try:
        info = os.stat(path)
    except OSError:
        return {}, []
    stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
    with _LOCK:
        cached = _FILES.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return {}, []      # like ssh: a file it cannot read holds no keys
    entries: List[_Entry] = []
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        fields = raw.split()
        if not fields or fields[0].startswith("#"):
            continue
        marker = ""
        if fields[0].startswith("@"):
            marker = fields[0].lower()
            if marker not in ("@revoked", "@cert-authority"):
                continue
            fields = fields[1:]
        if len(fields) < 3:
            continue
        try:
            blob = base64.b64decode(fields[2], validate=True)
        except ValueError:
            continue
        kind = _blob_type(blob)
        if not kind or kind != fields[1]:
            continue
        entries.append((marker, tuple(fields[0].split(",")), kind, blob, path, number))
    plain: Dict[str, List[_Entry]] = {}
    rest: List[_Entry] = []
    for entry in entries:
        if any(c in p for p in entry[1] for c in "*?!|"):
            rest.append(entry)
        else:
            for name in {p.lower() for p in entry[1]}:
                plain.setdefault(name, []).append(entry)
    parsed = (plain, rest)
    with _LOCK:
        _FILES[path] = (stamp, parsed)
    return parsed


def _name_matches(patterns: Tuple[str, ...], name: str) -> bool:
    if len(patterns) == 1 and patterns[0].startswith("|1|"):
        parts = patterns[0].split("|")
        if len(parts) != 4:
            return False
        try:
            salt = base64.b64decode(parts[2])
        except ValueError:
            return False
        import hmac
        return hmac.compare_digest(hash_name(name, salt), patterns[0])
    from pshell.transport.ssh_config import match_pattern_list
    return match_pattern_list(name, patterns, fold=True) == 1


class KnownHosts:
    """The keys of several known_hosts files (user files first, then global ones)."""

    def __init__(self, files: Sequence[str]) -> None:
        self.files = list(files)

    def entries(self, names: Sequence[str]) -> List[_Entry]:
        found: List[_Entry] = []
        for path in self.files:
            plain, rest = _parse(path)
            for name in names:
                for entry in plain.get(name.lower(), ()):
                    if entry not in found:
                        found.append(entry)
            found.extend(e for e in rest if any(_name_matches(e[1], name) for name in names))
        found.sort(key=lambda e: (self.files.index(e[4]), e[5]))
        return found

    def check(self, names: Sequence[str], key_type: str, blob: bytes
              ) -> Tuple[str, Optional[Tuple[str, int]]]:
        """(status, (file, line) of the deciding entry) for a plain key presented."""
        entries = self.entries(names)
        for marker, _, _, known, path, line in entries:
            if marker == "@revoked" and known == blob:
                return "revoked", (path, line)
        status, where = "new", None
        for marker, _, _, known, path, line in entries:
            if marker:
                continue
            if known == blob:
                return "ok", (path, line)
            if status == "new":
                status, where = "changed", (path, line)
        return status, where

    def revoked(self, names: Sequence[str], blob: bytes) -> bool:
        return any(m == "@revoked" and known == blob for m, _, _, known, _, _ in self.entries(names))

    def authorities(self, names: Sequence[str]) -> List[bytes]:
        return [blob for marker, _, _, blob, _, _ in self.entries(names)
                if marker == "@cert-authority"]

    def known_kinds(self, names: Sequence[str]) -> List[str]:
        kinds: List[str] = []
        for marker, _, kind, _, _, _ in self.entries(names):
            if not marker and kind not in kinds:
                kinds.append(kind)
        return kinds


def add_known_host(path: str, names: Sequence[str], key_type: str, blob: bytes,
                   hashed: bool) -> None:
    """Append one line for ``names`` (each hashed on its own line when HashKnownHosts)."""
    key = f"{key_type} {base64.b64encode(blob).decode('ascii')}"
    lines = [f"{hash_name(n)} {key}\n" for n in names] if hashed else [f"{','.join(names)} {key}\n"]
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as fh:
        fh.write("".join(lines))
