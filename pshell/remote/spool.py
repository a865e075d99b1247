"""Job output and state on disk, so that a job's results outlive the host process.

In a runspace of the per-user host, the job table is a :class:`SpoolingJobManager`: every job
registered in it gets a :class:`SpooledBuffer`, which keeps the in-memory buffer of
``engine/jobs.py`` (Receive-Job reads it as usual) and also appends each record to
``<session dir>/jobs/<id>.spool`` - one frame per batch (see _batch_bytes), written by one
writer thread so the job itself never waits for the disk.  The job's state (and how many
records Receive-Job has taken) is written to ``<id>.json`` atomically (write a temporary file,
then rename), on every state change and after every receive.  A finishing job flushes its
spool before its final state is written, so "Completed" on disk always means all of its output
is on disk too; the states before (NotStarted, Running) go to disk from the writer thread, off
the job's way.

When a host starts and finds sessions on disk (the previous host died), :func:`recover_jobs`
rebuilds their jobs with their Ids: finished ones with the records not yet received, running
ones marked Failed with the reason "host process ended".

Directories are 0700 and files 0600, given explicitly: a session's process runs with the
SSH login's umask.
"""

from __future__ import annotations

import os
import struct
import threading
from typing import Any, Dict, List, Optional, Tuple

from pshell.engine.job_buffer import JobBuffer
from pshell.engine.job_table import JobManager
from pshell.engine.jobs import Job, JobState

__all__ = ["SpoolingJobManager", "SpooledBuffer", "recover_jobs", "write_atomic",
           "HOST_ENDED", "spooling_enabled"]

HOST_ENDED = "host process ended"
STATE_INTERVAL = 0.25           # at most this often, a job's receive count goes to disk
POLL = 0.1                      # running jobs' new records go to disk this often ...
IDLE_POLL = 0.25                # ... or this often while none wrote anything
_COMPACT_BYTES = 1 << 20        # truncate a spool whose records were all received past this size
_STREAM_CODES = {"output": "o", "error": "e", "warning": "w", "verbose": "v", "debug": "d",
                 "information": "i", "progress": "p"}
_CODE_STREAMS = {v: k for k, v in _STREAM_CODES.items()}


def spooling_enabled() -> bool:
    """``PSHELL_NO_SPOOL=1`` turns spooling off (the benchmark measures what it costs).  It is
    looked at when a job starts, so ``$env:PSHELL_NO_SPOOL`` in a session switches it for the
    jobs started after (the benchmark alternates in one host)."""
    return not os.environ.get("PSHELL_NO_SPOOL")


def write_atomic(path: str, data: Dict[str, Any]) -> None:
    """Write JSON to ``path`` so that a reader sees the old or the new content, never half
    (a write that cannot finish - the disk is full - raises OSError and leaves the old)."""
    import json
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        write_all(fd, json.dumps(data, separators=(",", ":")).encode("utf-8", "surrogatepass"))
    except OSError:
        os.close(fd)
        _unlink(tmp)
        raise
    os.close(fd)
    os.replace(tmp, path)


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written: a short write is retried, and one that writes
    nothing (or fails: ENOSPC, EFBIG) raises OSError."""
    view = memoryview(data)
    while view:
        count = os.write(fd, view)
        if count <= 0:
            raise OSError(28, os.strerror(28))
        view = view[count:]


# --------------------------------------------------------------------------- the writer thread

class _Writer:
    """One thread writing every dirty spool, batching the records that arrived meanwhile.

    The spools of running jobs are *watched*: every ``POLL`` seconds (``IDLE_POLL`` while none
    of them wrote anything) the thread takes their new records from the job buffers in one go,
    so a job pays nothing per record for being spooled."""

    def __init__(self) -> None:
        self._dirty: Dict[int, "_JobSpool"] = {}
        self._watched: Dict[int, "_JobSpool"] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def schedule(self, spool: "_JobSpool", watch: bool = False) -> None:
        with self._lock:
            if watch:
                self._watched[id(spool)] = spool
            else:
                self._dirty[id(spool)] = spool
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pshell-spool",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        import time
        later: Dict[int, "_JobSpool"] = {}      # receive counts not written yet
        busy = False
        while True:
            with self._lock:
                watching = bool(self._watched)
            if watching:
                self._wake.wait(POLL if busy else IDLE_POLL)
            else:
                self._wake.wait(STATE_INTERVAL if later else None)
            time.sleep(POLL)                # let records pile up: one write per batch
            self._wake.clear()
            with self._lock:
                dirty = list(self._dirty.values())
                self._dirty.clear()
                watched = list(self._watched.values())
            busy = False
            for spool in watched:
                if spool.closed or spool.job.is_finished:
                    with self._lock:        # its final flush comes with its final state
                        self._watched.pop(id(spool), None)
                elif spool.has_new():
                    busy = True
                    if spool not in dirty:
                        dirty.append(spool)
            for spool in dirty:
                spool.flush()
            for spool in list(later.values()) + dirty:
                if spool.state_dirty and not spool.closed:
                    if time.monotonic() - spool.state_written >= STATE_INTERVAL:
                        with spool.lock:
                            spool.save_state_locked()
                        later.pop(id(spool), None)
                    else:
                        later[id(spool)] = spool
                else:
                    later.pop(id(spool), None)


_WRITER = _Writer()


class _JobSpool:
    """The files of one job: ``<id>.spool`` (records) and ``<id>.json`` (state)."""

    def __init__(self, job: Job, directory: str) -> None:
        self.job = job
        self.directory = directory
        self.spool_path = os.path.join(directory, f"{job.Id}.spool")
        self.state_path = os.path.join(directory, f"{job.Id}.json")
        self.pending: List[Tuple[str, Any]] = []     # changed under the buffer's lock only
        self.buffer: Optional["SpooledBuffer"] = None
        self.scheduled = False
        self.lock = threading.Lock()
        self.base = 0                # records dropped from the front of the file (compaction)
        self.written = 0             # records ever written (base + those in the file)
        self.consumed = 0
        self.size = 0
        self.closed = False
        self.state_dirty = False
        self.state_written = 0.0
        self.lost = 0                # records that could not be written (the disk filled) ...
        self.lost_error: Optional[str] = None    # ... and why; nothing is written after one
        self.fd = os.open(self.spool_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW
                          | getattr(os, "O_CLOEXEC", 0), 0o600)

    def has_new(self) -> bool:
        buffer = self.buffer
        return bool(self.pending) or (buffer is not None and buffer.appended != buffer.captured)

    def flush(self) -> None:
        with self.lock:
            self.scheduled = False
            if self.closed:
                return
            buffer = self.buffer
            if buffer is not None:
                with buffer._lock:
                    buffer.capture_locked()
                    records, self.pending = self.pending, []
            else:
                records, self.pending = self.pending, []
            if records and self.lost_error is None:
                data = _batch_bytes(records)
                try:
                    write_all(self.fd, data)
                except OSError as exc:
                    self._failed_locked(exc, records)
                    return
                self.written += len(records)
                self.size += len(data)
            elif records:
                self.lost += len(records)   # after a gap the file would skip records: stop
                self.state_dirty = True
            self._compact_locked()

    def _failed_locked(self, exc: OSError, records: List[Tuple[str, Any]]) -> None:
        """A batch could not be written whole: cut the torn frame off, count the batch and all
        that follows as lost (recovery says so), and say it now - the records are still in
        memory, but a host that ends before they are received cannot give them back."""
        try:
            os.ftruncate(self.fd, self.size)
        except OSError:
            pass                        # a torn last frame is skipped when read back
        self.lost += len(records)
        self.lost_error = exc.strerror or str(exc)
        self.state_dirty = True
        self.save_state_locked()
        job, first = self.job, self.written + 1
        message = (f"The output of job {job.Id} from record {first} on could not be written to "
                   f"{self.spool_path} ({self.lost_error}): it is kept in memory only, and is "
                   f"lost if the host process ends before it is received.")
        threading.Thread(target=job.add_record, args=("warning", message), daemon=True).start()

    def _compact_locked(self) -> None:
        if self.size > _COMPACT_BYTES and self.consumed >= self.written and not self.pending:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                return
            self.base = self.written
            self.size = 0
            self.save_state_locked()

    def received(self, consumed: int) -> None:
        """Receive-Job took records: the count goes to disk with the next write (not at once:
        Receive-Job -Wait takes often, and a state file per take would cost more than the
        output itself)."""
        self.consumed = consumed
        self.state_dirty = True
        if self.job.is_finished:        # a finished job is received once or twice: write now
            self.flush()
            with self.lock:
                self.save_state_locked()
            return
        if not self.scheduled:
            self.scheduled = True
            _WRITER.schedule(self)

    def state_changed(self) -> None:
        """The job's state changed.  A final state is written at once (after the output, see
        save_state); a job starting or running is written by the writer thread, off the job's
        way (a host that dies before is no different from one that dies a moment later: the
        job was running, it fails with HOST_ENDED - or, not on disk yet, was never seen)."""
        if self.job.is_finished:
            self.save_state()
            return
        self.state_dirty = True
        if not self.scheduled:
            self.scheduled = True
            _WRITER.schedule(self)

    def save_state(self) -> None:
        if self.job.is_finished:
            # the output first: "Completed" means all of it is here - the children's too (a
            # parent hears of a child's end before the child's own listeners run)
            for child in self.job.ChildJobs:
                spool = getattr(child, "_pshell_spool", None)
                if spool is not None:
                    spool.save_state()
            self.flush()
        with self.lock:
            self.save_state_locked()

    def save_state_locked(self) -> None:
        import time
        self.state_dirty = False
        self.state_written = time.monotonic()
        if self.closed:
            return
        job = self.job
        info = job.JobStateInfo
        reason = info.Reason
        extra = [n for n in job.ps_type_names if n != "System.Management.Automation.Job"]
        try:
            write_atomic(self.state_path, {
                "id": job.Id, "name": job.Name, "instance": job.InstanceId,
                "command": job.Command, "type": job.PSJobTypeName,
                "location": job._location, "type_names": extra,
                "state": info.State,
                "reason": None if reason is None else str(getattr(reason, "Message", reason)),
                "begin": _iso(job.PSBeginTime), "end": _iso(job.PSEndTime),
                "parent": job.parent.Id if job.parent is not None else None,
                "base": self.base, "written": self.written, "consumed": self.consumed,
                "lost": self.lost, "lost_error": self.lost_error})
        except OSError:
            pass

    def remove(self) -> None:
        with self.lock:
            self.closed = True
            try:
                os.close(self.fd)
            except OSError:
                pass
            for path in (self.spool_path, self.state_path):
                try:
                    os.unlink(path)
                except OSError:
                    pass


_SCALAR_TYPES = (str, int, float, bool, type(None))


_FRAME = struct.Struct(">cI")


def _batch_bytes(records: List[Tuple[str, Any]]) -> bytes:
    """One batch as a spool frame: a kind byte and a length, then the batch.  Plain values
    (strings, numbers, booleans, null - what most jobs write) go as ``marshal`` of the records
    as they are: six times cheaper than JSON, and this is most of what spooling costs.  Anything
    else goes as JSON of the serialised forms (``J``).  The files are the user's own (0600 in a
    0700 directory, like the engine cached next to them), so marshal's trust in its input is
    not a hole."""
    import marshal
    try:
        # marshal takes the exact built-in types only (str, int, float, bool, None, and lists
        # and dicts of them); an object anywhere in the batch makes it refuse
        payload = marshal.dumps(records)
        return _FRAME.pack(b"M", len(payload)) + payload
    except ValueError:
        pass
    import json
    payload = json.dumps(_encode(records), separators=(",", ":"),
                         ensure_ascii=False).encode("utf-8", "surrogatepass")
    return _FRAME.pack(b"J", len(payload)) + payload


def _encode(records: List[Tuple[str, Any]]) -> List[Any]:
    """Records as JSON data (a batch marshal refused: it holds objects): runs of one stream
    become ``[code, [values...]]``, plain values as they are, objects serialised."""
    from pshell.remote.protocol import serialize, serialize_record
    out: List[Any] = []
    run: List[Any] = []
    current = ""
    for stream, item in records:
        code = _STREAM_CODES.get(stream, "o")
        if code != current:
            run = []
            out.append([code, run])
            current = code
        if type(item) in _SCALAR_TYPES:
            run.append(item)
        elif code == "o":
            run.append(serialize(item))
        else:
            try:
                run.append(serialize_record(item))
            except Exception:
                run.append(serialize(item))
    return out


def _iso(value: Any) -> Optional[str]:
    return value.isoformat() if value is not None else None


class SpooledBuffer(JobBuffer):
    """A job buffer whose records also go to the job's spool file.

    Appending costs what it costs in a plain buffer: the writer thread takes the records it has
    not seen (``captured`` counts them) from the buffer's memory in one go.  Every way a record
    leaves that memory (a take, a spill to disk) captures first, so the records not captured
    yet are always the newest ones in memory."""

    def __init__(self, tag: str, spool: _JobSpool) -> None:
        super().__init__(tag)
        self.spool = spool
        self.captured = 0
        spool.buffer = self
        _WRITER.schedule(spool, watch=True)

    def capture_locked(self) -> None:
        """Hand the records not seen yet to the spool (with the buffer's lock held)."""
        count = self.appended - self.captured
        if count <= 0:
            return
        mem = self._mem
        size = len(mem)
        if count >= size:
            self.spool.pending.extend(mem)
        else:
            from itertools import islice
            self.spool.pending.extend(islice(mem, size - count, None))
        self.captured = self.appended

    def _spill_locked(self) -> None:
        self.capture_locked()
        super()._spill_locked()

    def _take_locked(self, target: int) -> Any:
        self.capture_locked()
        return super()._take_locked(target)

    def take(self, limit: Optional[int] = None) -> Any:
        try:
            yield from super().take(limit)
        finally:
            self.spool.received(self.consumed)

    def close(self) -> None:
        super().close()
        self.spool.remove()


class SpoolingJobManager(JobManager):
    """The job table of a session's runspace in the host: jobs are spooled under ``directory``
    (unless ``spool`` is false), and numbered per session - a session is what a remote process
    is in PowerShell, so its first job is Id 1 whatever other sessions of the host did."""

    def __init__(self, runspace: Any, directory: str, spool: bool = True) -> None:
        super().__init__(runspace)
        self.directory = directory
        self.spooling = spool
        self.before_spool: Any = None       # called before the first job goes to disk
        self.keep_ids = False
        self._last_id = 0
        self._id_lock = threading.Lock()

    def _number(self, job: Job) -> None:
        if getattr(job, "_pshell_numbered", False):
            return
        job._pshell_numbered = True  # type: ignore[attr-defined]
        with self._id_lock:
            if self.keep_ids:
                self._last_id = max(self._last_id, job.Id)
            else:
                self._last_id += 1
                if job.Name == f"Job{job.Id}":     # a default name follows the session's Id
                    job.Name = f"Job{self._last_id}"
                job.Id = self._last_id

    def add(self, job: Job) -> Job:
        for member in job.iter_tree():
            self._number(member)
        super().add(job)
        for member in job.iter_tree():
            self._spool(member)
        return job

    def _register(self, job: Job) -> None:
        self._number(job)
        super()._register(job)
        if job.parent is not None and job.parent.manager is self:
            self._spool(job)

    def _spool(self, job: Job) -> None:
        if not self.spooling or not spooling_enabled() \
                or getattr(job, "_pshell_spool", None) is not None:
            return
        buffer = job.buffer
        if buffer.appended:             # already has records (adopted late): leave it unspooled
            return
        if self.before_spool is not None:
            try:
                self.before_spool()
            except Exception:
                pass
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            spool = _JobSpool(job, self.directory)
        except OSError:
            return
        job._pshell_spool = spool  # type: ignore[attr-defined]
        job._buffer = SpooledBuffer(f"{job.Id}-{job.InstanceId[:8]}", spool)
        spool.state_changed()
        job.add_listener(lambda j: spool.state_changed())


# --------------------------------------------------------------------------- recovery

def recover_jobs(manager: SpoolingJobManager, reason: str = HOST_ENDED) -> int:
    """Rebuild the jobs found in the manager's directory (a previous process's); returns how
    many.  Finished jobs keep their unreceived records; unfinished ones fail with ``reason``."""
    import json
    directory = manager.directory
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    states: Dict[int, Dict[str, Any]] = {}
    for name in names:
        if name.endswith(".json") and name[:-5].isdigit():
            try:
                with open(os.path.join(directory, name), encoding="utf-8") as fh:
                    data = json.load(fh)
                states[int(data["id"])] = data
            except (OSError, ValueError, KeyError):
                continue
        elif name.endswith(".tmp"):
            _unlink(os.path.join(directory, name))
    jobs: Dict[int, Job] = {}
    records: Dict[int, List[Tuple[str, Any]]] = {}
    for job_id in sorted(states):
        data = states[job_id]
        job = Job(data.get("command") or "", name=data.get("name"), type_name=data.get("type") or "",
                  location=data.get("location"), type_names=data.get("type_names") or None)
        job.Id = job_id
        job.InstanceId = data.get("instance") or job.InstanceId
        jobs[job_id] = job
        records[job_id] = _read_spool(os.path.join(directory, f"{job_id}.spool"), data)
        _unlink(os.path.join(directory, f"{job_id}.spool"))
        _unlink(os.path.join(directory, f"{job_id}.json"))
    tops = []
    for job_id, job in jobs.items():
        parent_id = states[job_id].get("parent")
        if parent_id is not None and parent_id in jobs:
            jobs[parent_id].ChildJobs.append(job)
            job.parent = jobs[parent_id]
        else:
            tops.append(job)
    manager.keep_ids = True
    try:
        for top in tops:
            manager.add(top)             # spools every member afresh (new files)
    finally:
        manager.keep_ids = False
    lost: Dict[int, str] = {}
    for job_id, job in jobs.items():
        for stream, item in records[job_id]:
            job.add_record(stream, item)
        missing = _lost_message(states[job_id], len(records[job_id]))
        if missing:
            lost[job_id] = missing
            job.add_record("warning", missing)
    for job_id in sorted(jobs, key=lambda i: -_depth(jobs[i])):   # children before parents
        job, data = jobs[job_id], states[job_id]
        state = data.get("state")
        if job.ChildJobs:
            job._child_changed(job.ChildJobs[0])
        elif job_id in lost:
            job.set_state(JobState.Failed, lost[job_id])
        elif state in JobState.FINISHED:
            job.set_state(state, data.get("reason") if state == JobState.Failed else None)
        else:
            job.set_state(JobState.Failed, reason)
        if state in JobState.FINISHED:
            _restore_times(job, data)
    return len(jobs)


def _lost_message(data: Dict[str, Any], kept: int) -> Optional[str]:
    """What a state file says could not be kept (the disk filled), as a message; else None."""
    try:
        lost = int(data.get("lost") or 0)
    except (TypeError, ValueError):
        lost = 1
    if lost <= 0:
        return None
    why = str(data.get("lost_error") or "a write failed")[:200]
    return (f"{lost} records of the output of job {data.get('id')} could not be kept on disk "
            f"({why}); the {kept} records before them are here.")


def _depth(job: Job) -> int:
    depth = 0
    while job.parent is not None:
        job = job.parent
        depth += 1
    return depth


def _restore_times(job: Job, data: Dict[str, Any]) -> None:
    import datetime as _dt
    for attr, key in (("PSBeginTime", "begin"), ("PSEndTime", "end")):
        if data.get(key):
            try:
                setattr(job, attr, _dt.datetime.fromisoformat(data[key]))
            except ValueError:
                pass


def _read_spool(path: str, data: Dict[str, Any]) -> List[Tuple[str, Any]]:
    """The records of a spool not yet received (a torn last line is skipped)."""
    import json
    from pshell.remote.protocol import deserialize
    skip = max(0, int(data.get("consumed") or 0) - int(data.get("base") or 0))
    result: List[Tuple[str, Any]] = []
    try:
        with open(path, "rb") as fh:
            blob = fh.read()
    except OSError:
        return result
    pos = 0
    while pos + _FRAME.size <= len(blob):
        kind, size = _FRAME.unpack_from(blob, pos)
        start = pos + _FRAME.size
        pos = start + size
        if pos > len(blob):
            break                       # torn by the host's death: never acknowledged
        payload = blob[start:pos]
        if kind == b"M":
            import marshal
            try:
                batch = marshal.loads(payload)
            except (ValueError, EOFError, TypeError):
                continue
            for stream, value in batch:
                if skip:
                    skip -= 1
                    continue
                result.append((stream, value))
            continue
        try:
            coded = json.loads(payload.decode("utf-8", "surrogatepass"))
        except ValueError:
            continue
        for code, values in coded:
            stream = _CODE_STREAMS.get(code, "output")
            for value in values:
                if skip:
                    skip -= 1
                    continue
                try:
                    item = deserialize(value)
                except Exception:
                    item = value
                result.append((stream, item))
    return result


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
