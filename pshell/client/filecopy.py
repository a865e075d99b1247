"""Copy-Item -ToSession / -FromSession: files and directories through a PSSession.

Sending (-ToSession) walks the local tree and sends each directory and file as a path relative
to the destination the user named; the remote side refuses any other (:mod:`pshell.remote.files`).

Receiving (-FromSession) trusts nothing the remote computer says: the listing arrives a page at a
time (an absurd count of entries costs no memory), each name is checked before anything is
written, everything is written through :class:`~pshell.remote.files.ConfinedTree` under the local
destination, modes keep permission bits only and the local umask applies, and a file is taken only
up to the size announced (more, or less, is an error and the partial file is removed).  The top
name of the copy is the one the user asked for, not one the remote computer chose.

Every refusal is an error naming the computer and the bad name; the copy of that source stops.
"""

from __future__ import annotations

import os
import stat

from pshell.engine.values import enumerate_value, to_str
from pshell.remote.files import (CHUNK, PAGE, ConfinedTree, UnsafePath, check_mtime, check_name,
                                 decode_data, permission_bits, show, split_relpath, user_umask)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Tuple

__all__ = ["copy_with_session"]

MAX_ENTRIES = 10_000_000        # entries in one listing: past this the remote is lying


def copy_with_session(cmdlet: Any) -> Iterator[Any]:
    """Copy-Item -ToSession / -FromSession: files and directories (with -Recurse), permissions
    and modification times kept, progress shown on a terminal."""
    from pshell.client.session import PSSession
    from pshell.remote.invocation import ConnectionBroken
    session = cmdlet.ToSession if cmdlet.ToSession is not None else cmdlet.FromSession
    if isinstance(session, list) and len(session) == 1:
        session = session[0]
    if not isinstance(session, PSSession) or session.State != "Opened":
        raise cmdlet.terminate("-ToSession/-FromSession takes an open PSSession.", "NotASession",
                               "InvalidArgument", session)
    sources = [to_str(p) for p in enumerate_value(cmdlet.Path or getattr(cmdlet, "LiteralPath", None))]
    destination = to_str(cmdlet.Destination) if cmdlet.Destination is not None else "."
    computer = session.ComputerName
    try:
        for source in sources:
            try:
                if cmdlet.ToSession is not None:
                    _Upload(cmdlet, session).copy(cmdlet.resolve_path(source), destination)
                else:
                    _Download(cmdlet, session).copy(source, cmdlet.resolve_path(destination))
            except UnsafePath as exc:
                cmdlet.write_error(f"[{computer}] Copy-Item refused what the remote computer sent: "
                                   f"{exc}. Nothing was written for it.",
                                   "UnsafeRemoteData", "SecurityError", source)
            except OSError as exc:
                cmdlet.write_error(f"[{computer}] Copy-Item '{source}': {exc.strerror or exc}",
                                   "CopyFailed", "WriteError", source)
            except (TypeError, KeyError, AttributeError, ValueError) as exc:
                cmdlet.write_error(f"[{computer}] Copy-Item '{source}': the remote computer sent a "
                                   f"malformed answer ({type(exc).__name__}: {show(str(exc))}). "
                                   f"Nothing more was written.", "UnsafeRemoteData", "SecurityError",
                                   source)
    except ConnectionBroken as exc:
        raise cmdlet.terminate(f"[{computer}] The connection was lost: {exc}",
                               "PSSessionLost", "ConnectionError") from None
    return iter(())


class _Copy:
    def __init__(self, cmdlet: Any, session: Any) -> None:
        self.cmdlet = cmdlet
        self.session = session
        self.rs = session.runspace
        self.done = 0
        self.total = 0

    def check_stop(self) -> None:
        if self.cmdlet.stopping:
            from pshell.engine.errors import PipelineStopped
            raise PipelineStopped()

    def progress(self, name: str, completed: bool = False) -> None:
        from pshell.engine.streams import ProgressRecord
        percent = max(0, min(100, int(self.done * 100 / self.total))) if self.total > 0 else 0
        self.cmdlet.write_progress(ProgressRecord(
            f"Copy-Item ({self.session.ComputerName})", name or "done", 100 if completed else percent,
            activity_id=7, completed=completed))

    def not_found(self, path: str, source: str) -> None:
        self.cmdlet.write_error(f"[{self.session.ComputerName}] Cannot find path {show(path)} "
                                f"because it does not exist.", "PathNotFound", "ObjectNotFound", source)

    def needs_recurse(self, path: str, source: str) -> None:
        self.cmdlet.write_error(f"{show(path)} is a directory; use -Recurse to copy it.",
                                "DirectoryNeedsRecurse", "InvalidArgument", source)


# --------------------------------------------------------------------------- -ToSession

class _Upload(_Copy):
    def copy(self, source: str, destination: str) -> None:
        try:
            st = os.stat(source)
        except FileNotFoundError:
            self.cmdlet.write_error(f"Cannot find path '{source}' because it does not exist.",
                                    "PathNotFound", "ObjectNotFound", source)
            return
        if stat.S_ISDIR(st.st_mode) and not self.cmdlet.Recurse:
            self.needs_recurse(source, source)
            return
        target = self.rs.file_request("flist", path=destination)
        if target.get("kind") == "dir":
            root, top = str(target["path"]), os.path.basename(source.rstrip("/"))
        else:
            root, top = os.path.split(str(target["path"]).rstrip("/"))
        check_name(top)
        if not stat.S_ISDIR(st.st_mode):
            self.total = st.st_size
            self.send_file(source, root, top, st)
        else:
            items = list(_local_tree(self.cmdlet, source))
            self.total = sum(s.st_size for _, s in items if not stat.S_ISDIR(s.st_mode))
            created = []
            for rel, item_st in [("", st)] + items:
                self.check_stop()
                remote_rel = top + "/" + rel if rel else top
                local = os.path.join(source, rel) if rel else source
                if stat.S_ISDIR(item_st.st_mode):
                    answer = self.rs.file_request("fput", root=root, rel=remote_rel, kind="dir")
                    if answer.get("created"):
                        created.append((remote_rel, item_st))
                else:
                    self.send_file(local, root, remote_rel, item_st)
            for remote_rel, item_st in reversed(created):   # after their contents
                self.rs.file_request("fput", root=root, rel=remote_rel, kind="dir", attributes=True,
                                     mode=item_st.st_mode & 0o777, mtime=item_st.st_mtime)
        self.progress("", completed=True)

    def send_file(self, local: str, root: str, rel: str, st: Any) -> None:
        import base64
        upload = None
        with open(local, "rb") as fh:
            while True:
                self.check_stop()
                data = fh.read(CHUNK)
                last = len(data) < CHUNK
                fields: Dict[str, Any] = {"root": root, "rel": rel, "kind": "file"}
                if upload is not None:
                    fields = {"upload": upload}
                answer = self.rs.file_request(
                    "fput", data=base64.b64encode(data).decode("ascii"), last=last,
                    mode=st.st_mode & 0o777 if last else None, mtime=st.st_mtime if last else None,
                    **fields)
                upload = answer.get("upload")
                self.done += len(data)
                if last:
                    self.progress(local)
                    return


def _local_tree(cmdlet: Any, top: str) -> Iterator[Tuple[str, Any]]:
    """(relative path, stat) below ``top``, a directory before what is in it: the remote side's
    walk (``remote/files.walk_entries``), so both directions skip the same things.  A link to a
    regular file is sent as that file; other links, pipes, sockets and devices are skipped with a
    warning (opening a pipe would hang, following a directory link could loop)."""
    from pshell.remote.files import walk_entries
    for entry in walk_entries(top):
        rel, kind = entry[0], entry[1]
        path = os.path.join(top, rel)
        if kind == "skip":
            cmdlet.write_warning(f"Skipped '{path}': {entry[5]}.")
            continue
        try:
            st = os.stat(path)          # a link to a file counts as that file
        except OSError as exc:
            cmdlet.write_warning(f"Skipped '{path}': {exc.strerror}.")
            continue
        if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
            yield rel, st


# --------------------------------------------------------------------------- -FromSession

class _Download(_Copy):
    def copy(self, source: str, destination: str) -> None:
        listing = _Listing(self.rs, self.rs.file_request("flist", path=source,
                                                         recurse=bool(self.cmdlet.Recurse)))
        if listing.kind is None:
            self.not_found(listing.path, source)
            return
        if listing.kind == "dir" and not self.cmdlet.Recurse:
            self.needs_recurse(listing.path, source)
            return
        if listing.kind != "dir" and listing.kind != "file":
            raise UnsafePath(f"{show(listing.path)} is not a file or directory")
        if os.path.isdir(destination):
            parent, top = destination, _top_name(source, listing.path)
        else:                                   # the user named the copy
            parent, top = os.path.split(destination.rstrip("/") or "/")
        with ConfinedTree(parent or ".") as tree:
            self.umask = user_umask()
            self.tree = tree
            root = listing.root
            if listing.kind == "file":
                self.total = root[4] if type(root[4]) is int else 0
                self.receive_file([top], listing.path, root)
            else:
                self.total = listing.total
                self.receive_tree(top, listing)
        self.progress("", completed=True)

    def receive_tree(self, top: str, listing: "_Listing") -> None:
        root = listing.root
        mode = permission_bits(root[2], top, self.umask)
        stack = [([top], mode, check_mtime(root[3], top), self.tree.make_dir([top]))]
        for rel, kind, mode, mtime, size, note in listing.rest():
            self.check_stop()
            parts = [top] + split_relpath(rel)
            while len(stack) > 1 and not _inside(parts, stack[-1][0]):
                self.leave(*stack.pop())
            if kind == "skip":
                self.cmdlet.write_warning(f"[{self.session.ComputerName}] Skipped {show(rel)}: "
                                          f"{show(note)}.")
            elif kind == "dir":
                bits = permission_bits(mode, rel, self.umask)
                stack.append((parts, bits, check_mtime(mtime, rel), self.tree.make_dir(parts)))
            elif kind == "file":
                self.receive_file(parts, listing.path + "/" + rel, (rel, kind, mode, mtime, size))
            else:
                raise UnsafePath(f"{show(rel)} is of type {show(kind)}: only files and "
                                 f"directories are copied")
        while stack:
            self.leave(*stack.pop())

    def leave(self, parts: List[str], mode: int, mtime: Optional[float], created: bool) -> None:
        """Set a directory's mode and time once its contents are written; a directory that was
        there before keeps its own."""
        if created:
            self.tree.set_attributes(parts, mode, mtime)

    def receive_file(self, parts: List[str], remote: str, entry: Tuple[Any, ...]) -> None:
        rel = "/".join(parts)
        mode = permission_bits(entry[2], rel, self.umask)
        mtime = check_mtime(entry[3], rel)
        size = entry[4]
        if type(size) is not int or size < 0:
            raise UnsafePath(f"{show(rel)}: the size {show(size)} is not a count of bytes")
        free = self.tree.free_bytes()
        if free is not None and size > free:
            raise OSError(f"{show(rel)} is {size} bytes; {free} bytes are free at the destination")
        incoming = self.tree.new_file(parts)
        try:
            while incoming.written < size:
                self.check_stop()
                want = min(CHUNK, size - incoming.written)
                answer = self.rs.file_request("fread", path=remote, offset=incoming.written, size=want)
                data = decode_data(answer.get("data"), rel)
                if len(data) > want:
                    raise UnsafePath(f"{show(rel)}: the remote computer sent more than the {size} "
                                     f"bytes it announced")
                if not data:
                    raise UnsafePath(f"{show(rel)} ended after {incoming.written} of the {size} "
                                     f"bytes announced")
                incoming.write(data)
                self.done += len(data)
            incoming.finish(mode, mtime)
        except BaseException:
            incoming.abort()
            raise
        self.progress(rel)


def _inside(parts: List[str], directory: List[str]) -> bool:
    return len(parts) > len(directory) and parts[:len(directory)] == directory


def _top_name(source: str, remote_path: str) -> str:
    """The local name of the copy: the last name of the source the user typed (the remote
    computer does not choose it), or of the path the remote resolved it to (``.``, ``~``)."""
    name = source.rstrip("/").rsplit("/", 1)[-1]
    if name in ("", ".", "..", "~") or any(c in name for c in "*?["):
        name = remote_path.rstrip("/").rsplit("/", 1)[-1]
    return check_name(name)


class _Listing:
    """What ``flist`` answered, checked; :meth:`rest` pages through the entries below the root."""

    def __init__(self, rs: Any, answer: Dict[str, Any]) -> None:
        self.rs = rs
        path = answer.get("path")
        if not isinstance(path, str) or not path.startswith("/") or len(path) > 4096 or "\0" in path:
            raise UnsafePath(f"the listing's path {show(path)} is not an absolute path")
        self.path = path.rstrip("/") or "/"
        self.kind = answer.get("kind")
        total = answer.get("total")
        self.total = total if type(total) is int and total > 0 else 0
        self.first = self._page(answer)
        if self.kind is None:
            return
        if not self.first or self.first[0][0] != "" or self.first[0][1] != self.kind:
            raise UnsafePath(f"the listing of {show(self.path)} does not start with the path itself")
        self.root = self.first[0]
        self.more = answer.get("more")

    def _page(self, answer: Dict[str, Any]) -> List[Tuple[Any, ...]]:
        entries = answer.get("entries")
        if not isinstance(entries, list) or len(entries) > PAGE:
            raise UnsafePath(f"the listing of {show(self.path)} is not a page of at most {PAGE} "
                             f"entries")
        page = []
        for entry in entries:
            if not isinstance(entry, list) or len(entry) not in (5, 6):
                raise UnsafePath(f"a malformed listing entry {show(entry)}")
            page.append(tuple(entry) if len(entry) == 6 else tuple(entry) + ("",))
        return page

    def rest(self) -> Iterator[Tuple[Any, ...]]:
        page, more, count = self.first[1:], self.more, 0
        while True:
            for entry in page:
                count += 1
                if count > MAX_ENTRIES:
                    raise UnsafePath(f"the listing of {show(self.path)} has more than {MAX_ENTRIES} "
                                     f"entries")
                yield entry
            if more is None:
                return
            answer = self.rs.file_request("fnext", more=more)
            page, more = self._page(answer), answer.get("more")
