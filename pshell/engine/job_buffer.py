"""A job's buffer: what it wrote, in order, behind a read cursor, spilling to a file when large.

Every record (output and the other streams, interleaved in write order) is kept until received, and
each receive gives each record once.  Past ~10,000 records or ~8 MB a buffer spills to a file under
``$XDG_STATE_HOME/pshell/jobs`` (directory 0700, checked the whole way down; file 0600, opened
without following links, removed with the job and at exit), so a job writing gigabytes nobody
receives does not grow memory.  A record that cannot be pickled, or holds a SecureString, stays in
memory: secrets never reach disk.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import deque

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Deque, Dict, Iterator, List, Optional, Tuple

__all__ = ["JobBuffer", "spill_directory"]

# --------------------------------------------------------------------------- spill files

_SPILL_PREFIX = "job-"
_cleaned_stale = False


def spill_directory() -> str:
    """``$XDG_STATE_HOME/pshell/jobs`` (or ``~/.local/state/pshell/jobs``), created 0700."""
    base = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    path = os.path.join(base, "pshell", "jobs")
    from pshell.engine.private import private_dir
    path = private_dir(path)    # ours, closed to others, or OSError saying which and why
    _clean_stale_spills(path)
    return path


def _clean_stale_spills(path: str) -> None:
    """Remove spill files left by pshell processes that died without cleaning up."""
    global _cleaned_stale
    if _cleaned_stale:
        return
    _cleaned_stale = True
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        if not (name.startswith(_SPILL_PREFIX) and name.endswith(".spill")):
            continue
        pid_text = name[len(_SPILL_PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        try:
            os.unlink(os.path.join(path, name))
        except OSError:
            pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _secret(value: Any) -> bool:
    """A SecureString (or a credential holding one): its text stays in memory, never on disk."""
    return getattr(type(value), "ps_secret", False) is True


_PICKLER: Any = None


def _dumps(records: Any) -> bytes:
    """pickle, refusing secrets anywhere inside (such a record is then pinned in memory)."""
    global _PICKLER
    import io
    import pickle
    if _PICKLER is None:
        class _NoSecrets(pickle.Pickler):
            def reducer_override(self, obj: Any) -> Any:
                if _secret(obj):
                    raise pickle.PicklingError("a SecureString is never written to disk")
                return NotImplemented
        _PICKLER = _NoSecrets
    buf = io.BytesIO()
    _PICKLER(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(records)
    return buf.getvalue()


class _Pinned:
    """Stands in the spill file for a record that can't be pickled or holds a secret (a
    SecureString, a PSCredential): the record stays in memory."""

    __slots__ = ("key",)

    def __init__(self, key: int) -> None:
        self.key = key


_live_spills: "set[_SpillFile]" = set()
_atexit_registered = False


def _remove_spills_at_exit() -> None:
    for spill in list(_live_spills):
        spill.close()


class _SpillFile:
    """An append-only file of frames (8-byte length + a pickled list of records), read from a
    cursor; truncated back to empty whenever the reader catches up."""

    def __init__(self, tag: str) -> None:
        directory = spill_directory()
        self.path = os.path.join(directory, f"{_SPILL_PREFIX}{os.getpid()}-{tag}.spill")
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        self.fd = os.open(self.path, flags, 0o600)
        global _atexit_registered
        if not _atexit_registered:
            import atexit
            atexit.register(_remove_spills_at_exit)
            _atexit_registered = True
        _live_spills.add(self)
        self.read_pos = 0
        self.write_pos = 0
        self.count = 0           # unread records in the file
        self.pinned: Dict[int, Any] = {}
        self._pin_keys = itertools.count()

    def write(self, records: List[Tuple[str, Any]]) -> None:
        try:
            data = _dumps(records)
        except Exception:
            data = _dumps([self._picklable(r) for r in records])
        frame = len(data).to_bytes(8, "little") + data
        written = 0
        while written < len(frame):
            written += os.pwrite(self.fd, frame[written:], self.write_pos + written)
        self.write_pos += len(frame)
        self.count += len(records)

    def _picklable(self, record: Tuple[str, Any]) -> Any:
        try:
            _dumps(record)
            return record
        except Exception:
            key = next(self._pin_keys)
            self.pinned[key] = record
            return _Pinned(key)

    def read_frame(self, pos: int, consume: bool) -> Tuple[List[Tuple[str, Any]], int]:
        """The records of the frame at ``pos`` and the position after it."""
        import pickle
        size = int.from_bytes(self._pread(8, pos), "little")
        records = pickle.loads(self._pread(size, pos + 8))
        for index, record in enumerate(records):
            if isinstance(record, _Pinned):
                pinned = self.pinned.pop(record.key) if consume else self.pinned[record.key]
                records[index] = pinned
        return records, pos + 8 + size

    def _pread(self, size: int, pos: int) -> bytes:
        chunks = []
        while size > 0:
            chunk = os.pread(self.fd, min(size, 1 << 24), pos)
            if not chunk:
                raise OSError(f"job spill file {self.path} is truncated")
            chunks.append(chunk)
            size -= len(chunk)
            pos += len(chunk)
        return b"".join(chunks)

    def reset(self) -> None:
        os.ftruncate(self.fd, 0)
        self.read_pos = self.write_pos = 0
        self.pinned.clear()

    def close(self) -> None:
        _live_spills.discard(self)
        try:
            os.close(self.fd)
        except OSError:
            pass
        try:
            os.unlink(self.path)
        except OSError:
            pass


# --------------------------------------------------------------------------- buffers

def _record_size(item: Any) -> int:
    kind = type(item)
    if kind is str or kind is bytes:
        return len(item) + 64
    return 256


class JobBuffer:
    """The records a job wrote, all streams interleaved in write order, behind a read cursor.

    Thread-safe: one writer (the job) and any number of readers.  ``take`` removes what it returns;
    ``peek`` does not.  Past ``max_items`` records or ``max_bytes`` (estimated) in memory, the
    in-memory tail moves to a spill file; order is kept because the file always holds the oldest
    unread records.
    """

    def __init__(self, tag: str = "", max_items: int = 10_000, max_bytes: int = 8 << 20) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._tag = tag or os.urandom(8).hex()
        self._lock = threading.Lock()
        self._mem: Deque[Tuple[str, Any]] = deque()
        self._mem_bytes = 0
        self._spill: Optional[_SpillFile] = None
        self._spill_failed = False
        self._peekers = 0
        self._closed = False
        self.appended = 0          # records ever written
        self.consumed = 0          # records ever taken

    # ---- writing ----------------------------------------------------------------------
    def append(self, stream: str, item: Any) -> bool:
        size = _record_size(item)
        with self._lock:
            if self._closed:
                return False
            self._mem.append((stream, item))
            self.appended += 1
            self._mem_bytes += size
            if (len(self._mem) >= self.max_items or self._mem_bytes >= self.max_bytes) \
                    and not self._spill_failed:
                self._spill_locked()
        return True

    def _spill_locked(self) -> None:
        try:
            if self._spill is None:
                self._spill = _SpillFile(self._tag)
            self._spill.write(list(self._mem))
        except Exception as exc:   # disk full, unwritable state directory: keep it in memory
            self._spill_failed = True
            from pshell.engine.streams import WarningRecord
            where = self._spill.path if self._spill is not None else "the state directory"
            self._mem.append(("warning", WarningRecord(
                f"Job output could not be written to {where} ({exc}); keeping it in memory.")))
            self.appended += 1
            return
        self._mem.clear()
        self._mem_bytes = 0

    # ---- reading ----------------------------------------------------------------------
    @property
    def unread(self) -> int:
        return self.appended - self.consumed

    @property
    def spill_path(self) -> Optional[str]:
        spill = self._spill
        return spill.path if spill is not None else None

    def take(self, limit: Optional[int] = None) -> Iterator[List[Tuple[str, Any]]]:
        """Remove and yield, in batches, the records unread when called (at most ``limit``, or
        up to one spill frame more).  Records written meanwhile are left for the next read, so
        this always ends."""
        with self._lock:
            target = self.appended if limit is None else min(self.appended, self.consumed + limit)
        while True:
            with self._lock:
                batch = self._take_locked(target)
            if not batch:
                return
            yield batch

    def _take_locked(self, target: int) -> List[Tuple[str, Any]]:
        wanted = target - self.consumed
        if wanted <= 0:
            return []
        spill = self._spill
        if spill is not None and spill.count:
            records, spill.read_pos = spill.read_frame(spill.read_pos, consume=True)
            spill.count -= len(records)
            if spill.count == 0 and not self._peekers:
                spill.reset()
            # A frame can hold more than wanted: records appended after take() fixed its target
            # are spilled together with older ones.  Return all of them (cutting the frame would
            # lose the rest: it has been read); take() then stops, one frame past its target.
            self.consumed += len(records)
            return records
        mem = self._mem
        if wanted >= len(mem):
            batch = list(mem)
            mem.clear()
            self._mem_bytes = 0
        else:
            pop = mem.popleft
            batch = [pop() for _ in range(wanted)]
            self._mem_bytes = max(0, self._mem_bytes - sum(_record_size(r[1]) for r in batch))
        self.consumed += len(batch)
        return batch

    def peek(self) -> Iterator[List[Tuple[str, Any]]]:
        """Yield, in batches, the unread records without removing them (Receive-Job -Keep)."""
        with self._lock:
            spill = self._spill
            frames = (spill.read_pos, spill.write_pos) if spill is not None and spill.count else None
            tail = list(self._mem)
            self._peekers += 1
        try:
            if frames is not None and spill is not None:
                pos, end = frames
                while pos < end:
                    with self._lock:
                        if self._closed:
                            return
                        records, pos = spill.read_frame(pos, consume=False)
                    yield records
            if tail:
                yield tail
        finally:
            with self._lock:
                self._peekers -= 1

    def items(self, stream: str) -> List[Any]:
        """The unread records of one stream, not removed (``$job.Output``, ``$job.Error``)."""
        return [item for batch in self.peek() for s, item in batch if s == stream]

    def close(self) -> None:
        """Drop everything and remove the spill file."""
        with self._lock:
            self._closed = True
            self._mem.clear()
            self.consumed = self.appended
            spill, self._spill = self._spill, None
        if spill is not None:
            spill.close()
