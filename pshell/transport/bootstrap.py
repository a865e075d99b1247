"""Starting the pshell engine on a remote computer that has nothing but python3 (>= 3.9).

The remote command line is fixed and tiny (:data:`LOADER_COMMAND`): it reads a length-prefixed
Python program from stdin and runs it.  Everything else travels as data on the channel, never
spliced into a shell command line:

1. the client sends the stage-two program (:data:`STAGE_TWO`, with the engine's digest as data);
2. stage two checks the Python version, then looks for the engine: the cache
   ``~/.cache/pshell/<digest>/`` (0700), else an installed pshell speaking our protocol version.
   If neither, it
   writes ``PSHELL-NEED`` and the client sends the engine as a zip (the stdlib-only packages
   ``lang engine cmdlets remote``, built from this installed package); stage two checks the
   digest, unpacks to a temporary directory and renames it into place;
3. stage two writes ``PSHELL-READY`` and becomes the relay to the per-user host (the protocol
   server itself with ``PSHELL_DIRECT``) on the same stdin/stdout.

Errors before the protocol starts are written as ``PSHELL-ERROR <message>`` lines.
"""

from __future__ import annotations

import os
from typing import List, Optional, Tuple

__all__ = ["LOADER_COMMAND", "engine_files", "engine_digest", "engine_zip", "stage_two",
           "NEED", "READY", "ERROR", "missing_python_message"]

NEED = b"PSHELL-NEED"
READY = b"PSHELL-READY"
ERROR = b"PSHELL-ERROR"

# Read exactly n bytes from fd 0 (no buffering: what follows belongs to the protocol server).
# -S: no site module (its .pth scanning is most of a bare interpreter's start); stage two
# imports it only when it looks for an installed pshell.
LOADER_COMMAND = (
    "exec python3 -S -c '"
    "import os\n"
    "def r(n):\n"
    " b=bytes()\n"
    " while len(b)<n:\n"
    "  c=os.read(0,n-len(b))\n"
    "  if not c:raise SystemExit(3)\n"
    "  b+=c\n"
    " return b\n"
    "exec(compile(r(int(r(10))),\"<pshell-loader>\",\"exec\"))'"
)

ENGINE_PACKAGES = ("lang", "engine", "cmdlets", "remote", "help")

STAGE_TWO = r'''
import os, sys
def _say(word, text=""):
    line = (word + (" " + text if text else "") + "\n").encode("utf-8", "replace")
    while line:
        line = line[os.write(1, line):]
if sys.version_info < (3, 9):
    _say("PSHELL-ERROR", "pshell needs python3 >= 3.9 on the remote computer; found %d.%d"
         % sys.version_info[:2])
    raise SystemExit(4)
def _digest(root):
    import hashlib
    h = hashlib.sha256()
    names = []
    for top, dirs, files in os.walk(os.path.join(root, "pshell")):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in files:
            if not f.endswith((".pyc", ".pyo")):
                names.append(os.path.relpath(os.path.join(top, f), root).replace(os.sep, "/"))
    for name in sorted(names):
        with open(os.path.join(root, name), "rb") as fh:
            data = fh.read()
        h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()[:32]
def _installed():
    if os.environ.get("PSHELL_NO_INSTALLED"):
        return False
    try:
        import site
        site.main()
        import pshell.remote.protocol as p
    except Exception:
        return False
    return getattr(p, "PROTOCOL_VERSION", None) == PROTOCOL
def _cache():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    root = os.path.join(base, "pshell")
    os.makedirs(root, mode=0o700, exist_ok=True)
    os.chmod(root, 0o700)
    return root
def _fetch(root, target):
    import io, tempfile, zipfile
    _say("PSHELL-NEED")
    data = r(int(r(12)))
    tmp = tempfile.mkdtemp(prefix=".incoming-", dir=root)
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp)
    if _digest(tmp) != DIGEST:
        _say("PSHELL-ERROR", "the engine sent to the remote computer was damaged in transit")
        raise SystemExit(5)
    try:
        os.rename(tmp, target)
    except OSError:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
        if not os.path.isdir(target):
            raise
def _main():
    root = _cache()
    target = os.path.join(root, DIGEST)
    if os.path.isdir(os.path.join(target, "pshell")) or not _installed():
        if not os.path.isdir(os.path.join(target, "pshell")):
            _fetch(root, target)
        sys.path.insert(0, target)
        for name in [m for m in sys.modules if m == "pshell" or m.startswith("pshell.")]:
            del sys.modules[name]
    _say("PSHELL-READY")
    if not os.environ.get("PSHELL_DIRECT"):
        # the usual case: hand the channel to the per-user host (no engine import here)
        from pshell.remote.relay import relay
        raise SystemExit(relay(0, 1))
    from pshell.remote import server
    raise SystemExit(server.main())
try:
    _main()
except SystemExit:
    raise
except BaseException as exc:
    _say("PSHELL-ERROR", "cannot start pshell on the remote computer: %s: %s"
         % (type(exc).__name__, exc))
    raise SystemExit(6)
'''


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


_FILES: Optional[List[Tuple[str, bytes]]] = None
_DIGEST: Optional[str] = None
_ZIP: Optional[bytes] = None


def engine_files() -> List[Tuple[str, bytes]]:
    """(path, content) of every file the remote needs, sorted, paths like ``pshell/engine/x.py``."""
    global _FILES
    if _FILES is None:
        root = _package_root()
        pkg = os.path.join(root, "pshell")
        names = ["pshell/__init__.py"]
        for sub in ENGINE_PACKAGES:
            for top, dirs, entries in os.walk(os.path.join(pkg, sub)):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for f in entries:
                    if not f.endswith((".pyc", ".pyo")):
                        names.append(os.path.relpath(os.path.join(top, f), root)
                                     .replace(os.sep, "/"))
        contents: List[Tuple[str, bytes]] = []
        for name in sorted(names):
            with open(os.path.join(root, name), "rb") as fh:
                contents.append((name, fh.read()))
        _FILES = contents
        return contents
    return _FILES


def engine_digest() -> str:
    """The engine's version hash: the same computation stage two does on what it unpacked."""
    global _DIGEST
    if _DIGEST is None:
        import hashlib
        h = hashlib.sha256()
        for name, data in engine_files():
            h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
        _DIGEST = h.hexdigest()[:32]
    return _DIGEST


def engine_zip() -> bytes:
    global _ZIP
    if _ZIP is None:
        import io
        import zipfile
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in engine_files():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o600 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
        _ZIP = buf.getvalue()
    return _ZIP


def stage_two() -> bytes:
    """The stage-two program, framed for the loader (10-digit length, then the source)."""
    from pshell.remote.protocol import PROTOCOL_VERSION
    source = (f"DIGEST = {engine_digest()!r}\nPROTOCOL = {PROTOCOL_VERSION!r}\n"
              + STAGE_TWO).encode("utf-8")
    return b"%010d" % len(source) + source


def engine_payload() -> bytes:
    data = engine_zip()
    return b"%012d" % len(data) + data


FIRST_BYTES = 80            # of what a remote that is not the loader sent, shown to the user
MAX_STATUS_LINE = 4096      # a status line longer than this is not one


def is_status_line(line: bytes) -> bool:
    return line.startswith((NEED, READY, ERROR))


def first_bytes(kept: bytes, more: bytes) -> bytes:
    """``kept`` with ``more`` added, up to FIRST_BYTES."""
    return kept + more[:max(0, FIRST_BYTES - len(kept))]


def not_pshell_message(computer: str, sent: bytes, seconds: Optional[float] = None) -> str:
    """What to say when the remote command is not pshell's loader: what it sent, if anything
    (control characters visible), or that it said nothing within ConnectTimeout."""
    from pshell.remote.client import shown_bytes
    if sent:
        return (f"{computer} is not speaking the pshell protocol (is a ForceCommand or the login "
                f"shell printing instead?); it sent: {shown_bytes(sent)}")
    return (f"{computer} did not start pshell within {seconds or 0:g} seconds (ConnectTimeout) "
            f"and sent nothing")


def missing_python_message(computer: str, exit_status: Optional[int], stderr: str,
                           sent: bytes = b"") -> str:
    from pshell.engine.host import visible
    detail = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    if exit_status == 127 or "not found" in detail:
        return (f"python3 was not found on {computer}: pshell needs python3 (3.9 or newer) on the "
                f"remote computer and nothing else; install it there (e.g. apt-get install python3)")
    text = f"could not start pshell on {computer}"
    if exit_status is not None:
        text += f" (exit status {exit_status})"
    if detail:
        text += f": {visible(detail, newlines=False)}"
    if sent:
        from pshell.remote.client import shown_bytes
        text += f"; it sent: {shown_bytes(sent)}"
    return text


def parse_status_lines(buffer: bytes) -> Tuple[List[bytes], bytes]:
    """Split complete status lines off the front of ``buffer``; stop after READY (what follows
    is protocol frames)."""
    lines: List[bytes] = []
    while True:
        end = buffer.find(b"\n")
        if end < 0:
            return lines, buffer
        line, buffer = buffer[:end], buffer[end + 1:]
        lines.append(line)
        if line.startswith(READY) or line.startswith(ERROR):
            return lines, buffer
