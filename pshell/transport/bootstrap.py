"""Starting the pshell engine on a remote computer that has nothing but python3 (>= 3.9).

The remote command line is fixed and tiny (:data:`LOADER_COMMAND`): it reads a length-prefixed
Python program from stdin and runs it.  Everything else travels as data on the channel, never
spliced into a shell command line:

1. the client sends the stage-two program (:func:`stage_two`: the engine's digest as data, the
   text of :mod:`pshell.remote.handoff`, then :data:`STAGE_HOT`; :data:`STAGE_WARM` and
   :data:`STAGE_COLD` as strings, run only when needed);
2. stage two checks the Python version; when a host of this user already listens (its
   ``SO_PEERCRED`` says so) it hands the channel over, says ``PSHELL-READY`` and waits, running
   nothing of the engine cache.  Otherwise it looks for the engine: the cache
   ``~/.cache/pshell/<digest>/`` (0700; it and every directory above it must be the user's or
   root's and closed to others' writes, or it is refused with a ``PSHELL-ERROR`` saying which and
   why), checked against the digest before every use - a file changed, added, missing, a symbolic
   link or another user's file, and the copy is thrown away and fetched again (the full check is
   skipped while every file's lstat - inode, owner, mode, size, mtime, ctime - is what it was at
   the last full check that matched, recorded in ``.checked``) - else an installed
   pshell speaking our protocol version.  If neither, it
   writes ``PSHELL-NEED`` and the client sends the engine as a zip (the stdlib-only packages
   ``lang engine cmdlets remote``, built from this installed package); stage two checks the
   digest, unpacks to a temporary directory and renames it into place;
3. stage two writes ``PSHELL-READY`` and becomes the relay to the per-user host (the protocol
   server itself with ``PSHELL_DIRECT``) on the same stdin/stdout.

Errors before the protocol starts are written as ``PSHELL-ERROR <message>`` lines.

The client's first requests (hello, create, invoke) follow stage two in the same write; stage two
knows their size (``PIPED``) and reads none of them: the host reads them from the channel.  When
it asks for the engine it drops them first (the client sends them again behind the engine), and
on the hot path it says ``PSHELL-READY`` before the hand-over, since the host answers at once;
should the host then not take the channel, what stage two still has to say goes as a ``bye``
frame.
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
# imports it only when it looks for an installed pshell.  posix, not os: os is not imported by
# python3 -S, and importing it (with _collections_abc) was ~0.85 ms of every relay; exec of the
# text, not of compile()'s code: the first compile() call builds the ast module's types (~0.55 ms).
LOADER_COMMAND = (
    "exec python3 -S -c '"
    "import posix\n"
    "def r(n):\n"
    " b=bytes()\n"
    " while len(b)<n:\n"
    "  c=posix.read(0,n-len(b))\n"
    "  if not c:raise SystemExit(3)\n"
    "  b+=c\n"
    " return b\n"
    "exec(r(int(r(10))))'"
)

ENGINE_PACKAGES = ("lang", "engine", "cmdlets", "remote", "client", "help")

# Stage two, in three parts (joined by stage_two()): what every relay compiles (the hot path:
# the host already runs, and the channel is handed over without os and without the engine cache),
# the usual start (compiled when no host answers: the cache is checked, the relay imported from it)
# and what a missing, damaged, changed or refused cache needs (compiled only then).
STAGE_HOT = r'''
_SAID = []
def _write(data):
    while data:
        data = data[posix.write(1, data):]
def _say(word, text=""):
    if _SAID:
        # READY went out before the hand-over (the client's requests follow stage two): the
        # client reads frames now, so what stage two still has to say is the connection's end
        if word == "PSHELL-READY":
            return
        import json
        body = json.dumps({"t": "bye", "reason": text if word == "PSHELL-ERROR" else
                           "the pshell host process on the remote computer ended as this "
                           "connection reached it; run the command again"}).encode()
        _write(len(body).to_bytes(4, "big") + body)
        raise SystemExit(8)
    if word == "PSHELL-READY":
        _SAID.append(1)
    _write((word + (" " + text if text else "") + "\n").encode("utf-8", "replace"))
if sys.version_info < (3, 9):
    _say("PSHELL-ERROR", "pshell needs python3 >= 3.9 on the remote computer; found %d.%d"
         % sys.version_info[:2])
    raise SystemExit(4)
def _hot():
    # a host of this user already listens: hand the channel over and wait (handoff's functions,
    # above); nothing of the engine cache runs here, so there is nothing of it to check
    environ = posix.environ
    if environ.get(b"PSHELL_DIRECT"):
        return
    path = guess_socket(environ, b"host-v%d.sock" % PROTOCOL)
    sock = connect_ours(path) if path else None
    if sock is None:
        return
    if PIPED:
        # the client's first requests follow stage two on the channel: READY must be on it
        # before the host has the channel and answers them
        _say("PSHELL-READY")
    try:
        if not hand_over(sock, 0, 1, environ):
            return                      # it was leaving: the usual start makes another
    except OSError:
        sock.close()
        return
    _say("PSHELL-READY")
    code = wait_released(sock, 0, 1)
    sys.stderr.flush()
    posix._exit(code)                   # without the interpreter's teardown
def _cold():
    if "_digest" not in globals():
        exec(_COLD, globals())
try:
    _hot()
    exec(_WARM, globals())
    _main()
except SystemExit:
    raise
except BaseException as exc:
    _say("PSHELL-ERROR", "cannot start pshell on the remote computer: %s: %s"
         % (type(exc).__name__, exc))
    raise SystemExit(6)
'''

# No host answered: the engine cache (checked) or an installed pshell, then the relay, which
# starts the host.
STAGE_WARM = r'''
import os
def _check(path, leaf):
    # every directory down to the cache: root's or ours and closed to others' writes (sticky
    # ones like /tmp excepted above the cache); the cache itself ours and 0700
    st = os.lstat(path)
    if (leaf and st.st_mode & 0o170000 != 0o040000) or (
            st.st_uid != os.getuid() and (leaf or st.st_uid != 0)) or (
            st.st_mode & 0o022 and (leaf or not st.st_mode & 0o1000)):
        _cold()
        _refuse(path, leaf, st)
def _cache():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    root = os.path.realpath(os.path.join(base, "pshell"))
    path = os.sep
    for name in [n for n in root.split(os.sep) if n]:
        _check(path, False)
        path = os.path.join(path, name)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
    _check(root, True)
    os.chmod(root, 0o700)
    return root
def _seen(root):
    # what the tree looks like to lstat: a file written, replaced, added, removed, chmod-ed or
    # chown-ed changes it (a write moves ctime, which only root can set back)
    try:
        from _blake2 import blake2b     # hashlib would load OpenSSL: 3.7 ms of 5
    except ImportError:
        from hashlib import blake2b
    top = os.path.join(root, "pshell")
    st = os.lstat(top)
    lines = [DIGEST, "%d %d %d" % (st.st_ino, st.st_uid, st.st_mode)]
    tops = [top]
    while tops:
        top = tops.pop()
        lines.append(top)
        with os.scandir(top) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in entries:
            name = e.name
            if name == "__pycache__" or name.endswith((".pyc", ".pyo")):
                continue
            st = e.stat(follow_symlinks=False)
            if e.is_dir(follow_symlinks=False):
                lines.append("%s/ %d %d %d" % (name, st.st_ino, st.st_uid, st.st_mode))
                tops.append(e.path)
            else:
                lines.append("%s %d %d %d %d %d %d" % (name, st.st_ino, st.st_uid, st.st_mode,
                                                      st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return blake2b("\n".join(lines).encode("utf-8", "surrogateescape"), digest_size=32).hexdigest()
def _verified(target):
    # the full digest reads and hashes every file (~7 ms); it is skipped when the tree is exactly
    # as lstat saw it at the last full check that matched (recorded in .checked, 0600)
    seen = _seen(target)
    stamp = os.path.join(target, ".checked")
    try:
        fd = os.open(stamp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            if os.read(fd, 100) == seen.encode():
                return DIGEST
        finally:
            os.close(fd)
    except OSError:
        pass
    _cold()
    return _full(target, seen, stamp)
def _state(target):
    # None: no engine here; "": the engine, checked against its digest; else what is wrong
    if not os.path.lexists(target):
        return None
    try:
        st = os.lstat(target)
        found = _verified(target) if st.st_uid == os.getuid() and not st.st_mode & 0o022 \
            and os.path.isdir(target) and not os.path.islink(target) else "not a private directory"
    except OSError as exc:
        found = "%s" % exc
    if found == DIGEST:
        return ""
    return found if len(found) != 32 else "its files do not match the engine's digest"
def _main():
    root = _cache()
    target = os.path.join(root, DIGEST)
    state = _state(target)
    if state != "":
        _cold()
        _elsewhere(root, target, state)
    else:
        sys.path.insert(0, target)
    direct = os.environ.get("PSHELL_DIRECT")
    # imported before READY, so that a failure is a PSHELL-ERROR line, not junk in the protocol;
    # a damaged bytecode file (not part of the digest) is dropped and the import tried again
    name = "pshell.remote.server" if direct else "pshell.remote.relay"
    try:
        __import__(name)
    except (EOFError, ValueError, ImportError):
        if sys.path[0] != target:
            raise
        _cold()
        _reimport(target, name)
    _say("PSHELL-READY")
    if not direct:
        # the usual case: hand the channel to the per-user host (the relay imports no engine);
        # then exit without the interpreter's teardown (a millisecond of every channel's CPU)
        code = sys.modules[name].relay(0, 1)
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(sys.modules[name].main())
'''

# A missing, damaged, changed or refused cache.
STAGE_COLD = r'''
def _digest(root):
    # what a file's content hashes to, and every file counts: one added, removed, changed, a
    # symbolic link or a file of another user changes the digest (the cache is then replaced)
    import hashlib, stat
    h = hashlib.sha256()
    names = []
    me = os.getuid()
    for top, dirs, files in os.walk(os.path.join(root, "pshell")):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in files + [d for d in dirs if os.path.islink(os.path.join(top, d))]:
            if not f.endswith((".pyc", ".pyo")):
                names.append(os.path.relpath(os.path.join(top, f), root).replace(os.sep, "/"))
        for d in [top] + [os.path.join(top, d) for d in dirs]:
            st = os.lstat(d)
            if st.st_uid != me or st.st_mode & 0o022 or stat.S_ISLNK(st.st_mode):
                return "%s is not a private directory of this user" % d
    for name in sorted(names):
        path = os.path.join(root, name)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fd)
            if st.st_uid != me or not stat.S_ISREG(st.st_mode):
                return "%s is not a file of this user" % name
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
def _fetch(root, target):
    import io, tempfile, zipfile
    # the client's first requests, sent behind stage two, are in the way: it sends them again
    # behind the engine
    r(PIPED)
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
        if _state(target) != "":
            raise
def _discard(root, target):
    import shutil
    aside = os.path.join(root, ".damaged-%d" % os.getpid())
    try:
        os.rename(target, aside)
    except OSError:
        return                          # another connection moved it first
    shutil.rmtree(aside, ignore_errors=True)
    if os.path.lexists(aside):
        os.unlink(aside)
def _elsewhere(root, target, state):
    # no checked cache: an installed pshell of our protocol, else the engine fetched (again)
    if state is None and _installed():
        return
    if state:
        _discard(root, target)
        os.write(2, ("pshell: the engine cache %s was damaged (%s): fetching it again\n"
                     % (target, state)).encode("utf-8", "replace"))
    _fetch(root, target)
    sys.path.insert(0, target)
    for name in [m for m in sys.modules if m == "pshell" or m.startswith("pshell.")]:
        del sys.modules[name]
    if state:
        try:
            from pshell.engine.events import write_event
            write_event("the engine cache %s was damaged (%s) and fetched again"
                        % (target, state), "Warning")
        except Exception:
            pass
def _refuse(path, leaf, st):
    import stat
    if leaf and not stat.S_ISDIR(st.st_mode):
        why = "it is not a directory"
    elif st.st_uid != os.getuid() and (leaf or st.st_uid != 0):
        try:
            import pwd
            who = "user %s (uid %d)" % (pwd.getpwuid(st.st_uid).pw_name, st.st_uid)
        except Exception:
            who = "uid %d" % st.st_uid
        why = "it belongs to %s, not to this user; remove it" % who
    else:
        why = ("it is writable by other users (mode %04o); what is in it may not be yours: "
               "remove it, or check it and chmod 700 it" % stat.S_IMODE(st.st_mode))
    _say("PSHELL-ERROR", "refusing the engine cache %s on the remote computer: %s" % (path, why))
    raise SystemExit(7)
def _full(target, seen, stamp):
    found = _digest(target)
    if found == DIGEST:
        tmp = "%s.%d" % (stamp, os.getpid())
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                         0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(seen.encode("ascii"))
            os.rename(tmp, stamp)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return found
def _reimport(target, name):
    # a damaged bytecode file (not part of the digest) is dropped and the import tried again
    import shutil
    for top, dirs, files in os.walk(os.path.join(target, "pshell")):
        if "__pycache__" in dirs:
            shutil.rmtree(os.path.join(top, "__pycache__"), ignore_errors=True)
    for name_ in [m for m in sys.modules if m == "pshell" or m.startswith("pshell.")]:
        del sys.modules[name_]
    __import__(name)
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


_HANDOFF: Optional[str] = None


def _handoff_source() -> str:
    """pshell/remote/handoff.py's text (what the engine zip carries too): stage two's hot path."""
    global _HANDOFF
    if _HANDOFF is None:
        with open(os.path.join(_package_root(), "pshell", "remote", "handoff.py"),
                  encoding="utf-8") as fh:
            _HANDOFF = fh.read()
    return _HANDOFF


_STAGE_BODY: Optional[bytes] = None


def stage_two(piped: int = 0) -> bytes:
    """The stage-two program, framed for the loader (10-digit length, then the source).
    ``piped``: how many bytes of the client's first requests follow it on the channel (stage
    two leaves them to the host, or drops them when it asks for the engine: the client sends
    them again behind it)."""
    global _STAGE_BODY
    if _STAGE_BODY is None:
        from pshell.remote.protocol import PROTOCOL_VERSION
        _STAGE_BODY = (f"DIGEST = {engine_digest()!r}\nPROTOCOL = {PROTOCOL_VERSION!r}\n"
                       f"_WARM = {STAGE_WARM!r}\n_COLD = {STAGE_COLD!r}\n"
                       + _handoff_source() + STAGE_HOT).encode("utf-8")
    source = b"import posix, sys\nPIPED = %d\n" % piped + _STAGE_BODY
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
