"""Files crossing a connection (Copy-Item -ToSession / -FromSession), written so that the peer
can never place anything outside the destination.

Each side distrusts the names the other sends: the remote side when it receives (-ToSession),
the client when it receives (-FromSession).  Both write through :class:`ConfinedTree`:

- a relative path crosses as ``/``-joined names; each name is checked alone (not empty, ``.`` or
  ``..``, no ``/`` or NUL or control character, valid text, at most 255 bytes) before anything is
  touched, and the path as a whole is bounded in length and depth;
- the destination directory is opened once (it is the one the user named, so a symbolic link
  there is followed, as ``cp`` does); below it every name is opened relative to its parent's file
  descriptor with ``O_NOFOLLOW``, so a symbolic link inside the destination is never followed;
- a file is written under a temporary name in its directory and renamed over its final name when
  complete (an existing link, fifo or device of that name is replaced, never opened); an
  incomplete file is removed, never left half-written;
- only regular files and directories are created; modes keep the permission bits alone
  (setuid, setgid and sticky never come from the peer), and the receiving process's umask
  applies (the client's; remotely the session process's, which is the SSH login's).

The remote side's file messages (``fput``, ``flist``, ``fnext``, ``fread``) are served by
:class:`FileService`, which keeps what spans messages: files being received and listings being
sent a page at a time.  Standard library only: this module is shipped to the remote computer.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import math
import os
import stat
import threading
from typing import Any, Dict, Iterator, List, Optional, Tuple

__all__ = ["UnsafePath", "ConfinedTree", "IncomingFile", "FileService", "check_name",
           "split_relpath", "show", "user_umask", "permission_bits", "check_mtime", "decode_data",
           "CHUNK", "PAGE"]

CHUNK = 1 << 20              # bytes of file data per message
MAX_CHUNK = 4 << 20          # the most a read request may ask for
PAGE = 1000                  # listing entries per answer
MAX_NAME = 255               # bytes of one name (NAME_MAX)
MAX_PATH = 4096              # bytes of a relative path (PATH_MAX)
MAX_DEPTH = 256              # directories below the destination
MAX_OPEN = 64                # files being received at once, per session
MAX_LISTINGS = 8             # listings being paged out at once, per session

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class UnsafePath(ValueError):
    """A name or an answer the peer sent that is refused: nothing was written for it."""


def show(text: Any, limit: int = 120) -> str:
    """``text`` quoted for an error message: control characters and undecodable bytes escaped,
    so a hostile name can neither spoof a line nor hide what it is."""
    if not isinstance(text, str):
        return repr(text)[:limit]
    out = []
    for ch in text[:limit]:
        code = ord(ch)
        if code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        elif ch in "'\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "'" + "".join(out) + ("..." if len(text) > limit else "") + "'"


def check_name(name: Any) -> str:
    """One name of a path sent by the peer, or UnsafePath saying what is wrong with it."""
    if not isinstance(name, str):
        raise UnsafePath(f"{show(name)}: a name must be text")
    if name in ("", ".", ".."):
        raise UnsafePath(f"{show(name)}: empty, '.' and '..' are not names")
    for ch in name:
        if ch == "/" or ch < " " or ch == "\x7f":
            raise UnsafePath(f"{show(name)}: '/', NUL and control characters are not allowed in a name")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise UnsafePath(f"{show(name)}: not valid UTF-8 text") from None
    if size > MAX_NAME:
        raise UnsafePath(f"{show(name)}: longer than {MAX_NAME} bytes")
    return name


def split_relpath(rel: Any) -> List[str]:
    """The names of a relative path sent by the peer (``a/b/c``), each checked; an absolute path,
    ``..``, an empty name (``a//b``) or a path too long or too deep is refused."""
    if not isinstance(rel, str):
        raise UnsafePath(f"{show(rel)}: a path must be text")
    if rel.startswith("/"):
        raise UnsafePath(f"{show(rel)}: an absolute path is not allowed")
    if len(rel) > MAX_PATH:
        raise UnsafePath(f"{show(rel)}: longer than {MAX_PATH} characters")
    parts = rel.split("/")
    if len(parts) > MAX_DEPTH:
        raise UnsafePath(f"{show(rel)}: deeper than {MAX_DEPTH} directories")
    for part in parts:
        try:
            check_name(part)
        except UnsafePath as exc:
            raise UnsafePath(f"{show(rel)}: {exc}") from None
    return parts


def user_umask() -> int:
    """This process's umask, read without changing it (os.umask would change it for every
    thread for a moment: jobs are threads)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o077)
    os.umask(old)
    return old


def permission_bits(mode: Any, what: str, umask: int = 0) -> int:
    """The permission bits to give a file from a mode the peer sent: setuid, setgid and sticky
    dropped, ``umask`` applied."""
    if type(mode) is not int or mode < 0:
        raise UnsafePath(f"{show(what)}: the mode {show(mode)} is not a number")
    return mode & 0o777 & ~umask


def check_mtime(mtime: Any, what: str) -> Optional[float]:
    if mtime is None:
        return None
    if type(mtime) not in (int, float) or not math.isfinite(mtime) or abs(mtime) > 1e11:
        raise UnsafePath(f"{show(what)}: the modification time {show(mtime)} is not a time")
    return float(mtime)


def decode_data(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise UnsafePath(f"{show(what)}: the data is not text")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise UnsafePath(f"{show(what)}: the data is not base64") from None


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


# --------------------------------------------------------------------------- writing

class ConfinedTree:
    """A destination directory, opened once; names below it are opened one at a time relative to
    their parent, never following a symbolic link, so nothing can land outside it."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def close(self) -> None:
        if self.fd >= 0:
            _close(self.fd)
            self.fd = -1

    def __enter__(self) -> "ConfinedTree":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def free_bytes(self) -> Optional[int]:
        """Bytes free for this user at the destination; None where the file system does not say
        (it reports no blocks at all)."""
        st = os.fstatvfs(self.fd)
        return st.f_bavail * st.f_frsize if st.f_blocks else None

    def open_dir(self, parts: List[str]) -> int:
        """A new descriptor of the directory at ``parts`` (the root for ``[]``)."""
        fd = os.dup(self.fd)
        try:
            for i, name in enumerate(parts):
                try:
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    raise self._why(fd, parts[:i + 1], exc) from None
                os.close(fd)
                fd = child
        except BaseException:
            _close(fd)
            raise
        return fd

    def _why(self, parent: int, parts: List[str], exc: OSError) -> Exception:
        """A clear error for a name that could not be opened as a directory."""
        shown = show("/".join(parts))
        try:
            st = os.lstat(parts[-1], dir_fd=parent)
        except OSError:
            return OSError(exc.errno, f"{shown}: {exc.strerror}")
        if stat.S_ISLNK(st.st_mode):
            return UnsafePath(f"{shown} in the destination is a symbolic link: not followed")
        if not stat.S_ISDIR(st.st_mode):
            return UnsafePath(f"{shown} in the destination is not a directory")
        return OSError(exc.errno, f"{shown}: {exc.strerror}")

    def make_dir(self, parts: List[str]) -> bool:
        """Create the directory at ``parts`` (its parent must exist); True when it was created
        now, False when a directory (not a link) was already there."""
        parent = self.open_dir(parts[:-1])
        try:
            try:
                os.mkdir(parts[-1], 0o700, dir_fd=parent)
                return True
            except FileExistsError:
                pass
            except OSError as exc:
                raise OSError(exc.errno, f"{show('/'.join(parts))}: {exc.strerror}") from None
            try:
                _close(os.open(parts[-1], _DIR_FLAGS, dir_fd=parent))
            except OSError as exc:
                raise self._why(parent, parts, exc) from None
            return False
        finally:
            _close(parent)

    def set_attributes(self, parts: List[str], mode: Optional[int], mtime: Optional[float]) -> None:
        """Mode (already reduced to permission bits) and time of the directory at ``parts``."""
        fd = self.open_dir(parts)
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            if mtime is not None:
                os.utime(fd, (mtime, mtime))
        finally:
            _close(fd)

    def new_file(self, parts: List[str]) -> "IncomingFile":
        parent = self.open_dir(parts[:-1])
        try:
            return IncomingFile(parent, parts)
        except BaseException:
            _close(parent)
            raise


class IncomingFile:
    """A file being received: written under a temporary name beside its final one, renamed over
    it when complete, removed when not."""

    def __init__(self, parent_fd: int, parts: List[str]) -> None:
        self.parent = parent_fd
        self.parts = parts
        self.name = parts[-1]
        self.written = 0
        for _ in range(10):
            self.temp = f".pshell-{os.urandom(6).hex()}.part"
            try:
                self.fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                                  | os.O_CLOEXEC, 0o600, dir_fd=parent_fd)
                return
            except FileExistsError:
                continue
            except OSError as exc:
                raise OSError(exc.errno, f"{show('/'.join(parts))}: {exc.strerror}") from None
        raise OSError(f"{show('/'.join(parts))}: no free temporary name")

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except OSError as exc:
                raise OSError(exc.errno, f"{show('/'.join(self.parts))}: {exc.strerror}") from None
            view = view[n:]
        self.written += len(data)

    def finish(self, mode: Optional[int], mtime: Optional[float]) -> None:
        try:
            if mode is not None:
                os.fchmod(self.fd, mode)
            if mtime is not None:
                os.utime(self.fd, (mtime, mtime))
            os.close(self.fd)
            self.fd = -1
            os.rename(self.temp, self.name, src_dir_fd=self.parent, dst_dir_fd=self.parent)
        except OSError as exc:
            self.abort()
            raise OSError(exc.errno, f"{show('/'.join(self.parts))}: {exc.strerror}") from None
        _close(self.parent)
        self.parent = -1

    def abort(self) -> None:
        if self.fd >= 0:
            _close(self.fd)
            self.fd = -1
        if self.parent >= 0:
            try:
                os.unlink(self.temp, dir_fd=self.parent)
            except OSError:
                pass
            _close(self.parent)
            self.parent = -1


# --------------------------------------------------------------------------- listing

def _entry_of(path: str, rel: str) -> List[Any]:
    """One listing entry: ``[rel, kind, mode, mtime, size]``; a symbolic link to a regular file
    is listed as that file (scp does the same), anything else that is not a file or directory
    as ``skip`` with what it is as a sixth element."""
    st = os.lstat(path)
    kind = "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else None
    if kind is None and stat.S_ISLNK(st.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            return [rel, "skip", 0, 0, 0, "a broken symbolic link"]
        if not stat.S_ISREG(target.st_mode):
            return [rel, "skip", 0, 0, 0, "a symbolic link to something not a file"]
        st, kind = target, "file"
    if kind is None:
        what = ("a named pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device")
        return [rel, "skip", 0, 0, 0, what]
    return [rel, kind, st.st_mode & 0o7777, st.st_mtime, st.st_size if kind == "file" else 0]


def walk_entries(root: str) -> Iterator[List[Any]]:
    """Entries below ``root`` depth first: a directory, then everything in it, then its next
    sibling (the receiver sets a directory's mode when it leaves it)."""
    stack: List[Tuple[str, Iterator[str]]] = [("", iter(_names(root)))]
    while stack:
        prefix, names = stack[-1]
        name = next(names, None)
        if name is None:
            stack.pop()
            continue
        rel = prefix + name
        try:
            entry = _entry_of(os.path.join(root, rel), rel)
        except OSError:
            continue                     # gone since the directory was read
        yield entry
        if entry[1] == "dir":
            try:
                stack.append((rel + "/", iter(_names(os.path.join(root, rel)))))
            except OSError as exc:
                yield [rel, "skip", 0, 0, 0, f"unreadable: {exc.strerror}"]


def _names(path: str) -> List[str]:
    with os.scandir(path) as it:
        return sorted(e.name for e in it)


# --------------------------------------------------------------------------- the remote side

class FileService:
    """The remote side's file operations for one session, and their state between messages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._uploads: Dict[int, IncomingFile] = {}
        self._listings: Dict[int, Iterator[List[Any]]] = {}
        self.umask = user_umask()       # the session's process has the SSH login's umask

    def close(self) -> None:
        with self._lock:
            uploads = list(self._uploads.values())
            self._uploads.clear()
            self._listings.clear()
        for upload in uploads:
            upload.abort()

    # ---- fput: a directory, or a chunk of a file, under the root the client named ----------
    def put(self, runspace: Any, msg: Dict[str, Any]) -> Dict[str, Any]:
        upload_id = msg.get("upload")
        if upload_id is not None:
            with self._lock:
                upload = self._uploads.get(upload_id)
            if upload is None:
                raise UnsafePath(f"no file is being received as {show(upload_id)}")
            return self._put_data(upload_id, upload, msg)
        root = runspace.resolve_path(_text(msg.get("root"), "root"))
        parts = split_relpath(msg.get("rel"))
        rel = "/".join(parts)
        kind = msg.get("kind")
        with ConfinedTree(root) as tree:
            if kind == "dir":
                if msg.get("attributes"):
                    tree.set_attributes(parts, permission_bits(msg.get("mode"), rel, self.umask),
                                        check_mtime(msg.get("mtime"), rel))
                    return {"path": os.path.join(root, rel)}
                return {"path": os.path.join(root, rel), "created": tree.make_dir(parts)}
            if kind != "file":
                raise UnsafePath(f"{show(rel)}: only files and directories are copied, not "
                                 f"{show(kind)}")
            with self._lock:
                if len(self._uploads) >= MAX_OPEN:
                    raise UnsafePath(f"more than {MAX_OPEN} files are being received at once")
            upload = tree.new_file(parts)
        upload_id = next(self._ids)
        with self._lock:
            self._uploads[upload_id] = upload
        answer = self._put_data(upload_id, upload, msg)
        answer["path"] = os.path.join(root, rel)
        return answer

    def _put_data(self, upload_id: int, upload: IncomingFile, msg: Dict[str, Any]) -> Dict[str, Any]:
        rel = "/".join(upload.parts)
        try:
            upload.write(decode_data(msg.get("data") or "", rel))
            if msg.get("last", True):
                with self._lock:
                    self._uploads.pop(upload_id, None)
                upload.finish(permission_bits(msg["mode"], rel, self.umask) if msg.get("mode") is not None
                              else None, check_mtime(msg.get("mtime"), rel))
        except BaseException:
            with self._lock:
                self._uploads.pop(upload_id, None)
            upload.abort()
            raise
        return {"upload": upload_id}

    # ---- flist / fnext: what is at a path, and with ``recurse`` everything below it ----------
    def list(self, runspace: Any, msg: Dict[str, Any]) -> Dict[str, Any]:
        root = runspace.resolve_path(_text(msg.get("path"), "path"))
        try:
            st = os.stat(root)
        except FileNotFoundError:
            return {"path": root, "kind": None, "entries": []}
        kind = "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "skip"
        first = ["", kind, st.st_mode & 0o7777, st.st_mtime, st.st_size if kind == "file" else 0]
        answer: Dict[str, Any] = {"path": root, "kind": kind, "entries": [first]}
        if kind != "dir" or not msg.get("recurse"):
            return answer
        total = 0
        for entry in walk_entries(root):        # a first pass for the progress bar's total
            total += entry[4]
        answer["total"] = total
        entries = walk_entries(root)
        answer["entries"] += list(itertools.islice(entries, PAGE - 1))
        if len(answer["entries"]) == PAGE:
            with self._lock:
                while len(self._listings) >= MAX_LISTINGS:
                    self._listings.pop(next(iter(self._listings)))
                cursor = next(self._ids)
                self._listings[cursor] = entries
            answer["more"] = cursor
        return answer

    def more(self, runspace: Any, msg: Dict[str, Any]) -> Dict[str, Any]:
        cursor = msg.get("more")
        with self._lock:
            entries = self._listings.pop(cursor, None)   # type: ignore[arg-type]
        if entries is None:
            raise UnsafePath(f"no listing is being sent as {show(cursor)}")
        page = list(itertools.islice(entries, PAGE))
        answer: Dict[str, Any] = {"entries": page}
        if len(page) == PAGE:
            with self._lock:
                self._listings[cursor] = entries      # type: ignore[index]
            answer["more"] = cursor
        return answer

    # ---- fread: a chunk of a file --------------------------------------------------------
    def read(self, runspace: Any, msg: Dict[str, Any]) -> Dict[str, Any]:
        path = runspace.resolve_path(_text(msg.get("path"), "path"))
        offset, size = msg.get("offset", 0), msg.get("size", CHUNK)
        if type(offset) is not int or type(size) is not int or offset < 0 or size < 0:
            raise UnsafePath("offset and size must be counts of bytes")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise UnsafePath(f"{show(path)} is not a regular file")
            data = os.pread(fd, min(size, MAX_CHUNK), offset)
        finally:
            os.close(fd)
        return {"data": base64.b64encode(data).decode("ascii"), "n": len(data)}


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or "\0" in value:
        raise UnsafePath(f"{what} {show(value)} is not a path")
    return value
