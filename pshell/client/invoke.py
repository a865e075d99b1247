"""Running one script on many computers: fan-out, -AsJob children, reconnecting dropped ones.

A :class:`Work` is one script on one computer, through an open PSSession or a temporary one opened
for it.  :func:`fan_out` runs several at once and hands their output, records and ends over in the
order they arrive; :func:`start_job` makes an ``Invoke-Command -AsJob`` job with one child per
computer.  The cmdlet (``pshell/cmdlets/session.py``) only turns parameters into these.
"""

from __future__ import annotations

import _thread
import sys

from pshell.client.session import (PSSession, Target, not_connected_message, open_session,
                                   remote_error)
from pshell.engine.errors import RuntimeException

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional

__all__ = ["Work", "WorkOptions", "fan_out", "start_job"]


class WorkOptions:
    """What every computer of one Invoke-Command shares."""

    def __init__(self, hide: bool = False, prompt: Any = None, timeout: float = 120.0,
                 idle: Optional[float] = None, session_name: Optional[str] = None,
                 reconnect_seconds: float = 180.0, source: str = "<remote>",
                 raw: bool = False) -> None:
        self.hide = hide
        self.prompt = prompt
        self.timeout = timeout
        self.idle = idle
        self.session_name = session_name
        self.reconnect_seconds = reconnect_seconds
        self.source = source
        self.raw = raw
        self._data: Any = None         # (args, using, input, what they are on the wire)
        self._data_lock = _thread.allocate_lock()

    def invocation_data(self, args: List[Any], using: Dict[str, Any], data: Optional[List[Any]]
                        ) -> Dict[str, Any]:
        """The serialised arguments, $using: values and input, made by the first computer's
        thread and reused by the others (the same objects; a failure is each one's own)."""
        with self._data_lock:
            made = self._data
            if made is not None and made[0] is args and made[1] is using and made[2] is data:
                return made[3]
            from pshell.remote.invocation import invocation_data
            wire = invocation_data(args, using, data)
            self._data = (args, using, data, wire)
            return wire


class _Flag:
    """An event on one ``_thread`` lock (held while the flag is down): what a fan-out's items
    need of ``threading.Event`` (set, wait with a timeout), without importing ``threading``."""

    def __init__(self) -> None:
        self._down = _thread.allocate_lock()
        self._down.acquire()

    def set(self) -> None:
        try:
            self._down.release()
        except RuntimeError:
            pass                        # set already

    def wait(self, timeout: float) -> bool:
        if self._down.acquire(True, timeout):
            self._down.release()
            return True
        return False


class QueueStreams:
    """Records from worker threads, queued to be written on the pipeline's thread in order."""

    def __init__(self, put: Any) -> None:
        self._put = put

    def __getattr__(self, stream: str) -> Any:
        if stream in ("error", "warning", "verbose", "debug", "information", "progress"):
            return lambda record: self._put(("rec", stream, record))
        raise AttributeError(stream)


def _run_child(child: Any, item: "Work", gate: Any) -> None:
    from pshell.engine.jobs import JobState
    with gate:
        error = item.run_into_job(child)
    if item.stopped:
        child.set_state(JobState.Stopped)
    elif error is not None:
        child.fail(error)
    else:
        child.set_state(JobState.Completed)


class _JobSink:
    """Stream records of a remote child job go into its buffers."""

    def __init__(self, job: Any) -> None:
        self.job = job

    def __getattr__(self, stream: str) -> Any:
        if stream in ("error", "warning", "verbose", "debug", "information", "progress"):
            return lambda record: self.job.add_record(stream, record)
        raise AttributeError(stream)


class Work:
    """Running one script on one computer: through an open session, or a temporary connection
    opened for it and closed afterwards (a Start-Job inside it is cancelled with it).

    When the connection drops, the remote command goes on (its session is Disconnected on the
    remote computer).  An ``-AsJob`` child then goes Disconnected and reconnects with backoff for
    ``$PSSessionReconnectSeconds`` (default 180), resuming the output where it stopped; without
    -AsJob the error says how to pick the output up (Connect-PSSession, Receive-PSSession).  The
    exception: the temporary session of a synchronous Invoke-Command -ComputerName is ``once``
    (remote/oneshot.py), which nobody can reattach to, so its command ends with the connection."""

    def __init__(self, options: WorkOptions, session: Optional[PSSession],
                 target: Optional[Target], script: str, args: List[Any],
                 using: Dict[str, Any], data: Optional[List[Any]]) -> None:
        self.session = session
        self.target = target
        self.script = script
        self.args = args
        self.using = using
        self.data = data
        self.computer = session.ComputerName if session is not None else target.host  # type: ignore
        self.hide = options.hide
        self.prompt = options.prompt
        self.timeout = options.timeout
        self.idle = options.idle
        self.session_name = options.session_name
        self.reconnect_seconds = options.reconnect_seconds
        self.source = options.source
        self.raw = options.raw
        self.options = options
        self._inv: Any = None
        self._temp: Optional[PSSession] = None
        self.stopped = False
        self._lock = _thread.allocate_lock()
        self._stop_event = _Flag()

    def _open(self, streams: Any = None, once: bool = False) -> PSSession:
        """The session to run in: the given one, or a temporary one whose creation carries the
        invocation itself (``session.first``: started with ``streams``).  ``once``: the
        temporary session ends with its connection (not for -AsJob, which reconnects)."""
        if self.session is not None:
            if not self.session.connected:
                raise remote_error(self.computer, not_connected_message(self.session))
            return self.session
        assert self.target is not None

        def start(conn: Any, rs_id: int) -> Any:
            return self._send_invoke(conn, rs_id, streams)

        session = open_session(self.target, self.prompt, self.session_name, self.timeout,
                               self.idle, start=start,
                               once=once and self.session_name is None and self.idle is None)
        with self._lock:
            self._temp = session
            if self.stopped:
                session.close()
                from pshell.engine.errors import PipelineStopped
                raise PipelineStopped()
        return session

    def _close(self) -> None:
        with self._lock:
            temp, self._temp = self._temp, None
        if temp is not None and temp.State != "Disconnected":   # a dropped one goes on there
            temp.close()

    def _send_invoke(self, conn: Any, rs_id: int, streams: Any) -> Any:
        return conn.start(rs_id, self.script, self.args, self.using, self.data, streams,
                          self.source, None if self.hide else self.computer, raw=self.raw,
                          payload=self.options.invocation_data(self.args, self.using, self.data))

    def _start(self, session: PSSession, streams: Any) -> Any:
        session.busy += 1
        inv, session.first = session.first, None
        if inv is None:
            inv = self._send_invoke(session.connection, session.runspace.id, streams)
        self._inv = inv
        session.followers.add(inv)
        return inv

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            inv, temp = self._inv, self._temp
        self._stop_event.set()
        if inv is not None and inv.result is None:
            inv.stop()
            if temp is not None:
                # the remote runspace ends with the connection: its process tree goes too
                import threading
                threading.Timer(2.0, temp.close).start()

    def _finish(self, session: PSSession) -> None:
        session.busy = max(0, session.busy - 1)
        inv = self._inv
        if inv is not None:
            session.followers.discard(inv)
            if inv.result is None or inv.result.get("broken"):
                session.interrupted[inv.id] = inv.progress()   # Receive-PSSession gets the rest
        if inv is not None and inv.result and inv.result.get("prompt"):
            session.runspace.last_prompt = inv.result["prompt"]

    def _lost_error(self, session: Optional[PSSession], exc: Any) -> Any:
        text = f"The connection to {self.computer} was lost: {exc}"
        ended = session is not None and getattr(session.connection, "session_ended", False)
        if session is not None and session.persistent and not ended:   # an ended one goes on nowhere
            text += (f". The command goes on there, in session {session.Name}: "
                     f"Connect-PSSession -ComputerName {self.computer} -Name {session.Name}, then "
                     f"Receive-PSSession, get its output")
        return remote_error(self.computer, text)

    def run_here(self, streams: Any) -> Iterator[Any]:
        """In the pipeline's thread (one computer): stream the output as it comes."""
        from pshell.remote.invocation import ConnectionBroken
        session = self._open(streams, once=True)
        try:
            inv = self._start(session, streams)
            try:
                yield from inv
            finally:
                if inv.result is None and session.connected:
                    inv.stop()
        except ConnectionBroken as exc:
            raise self._lost_error(session, exc)
        finally:
            self._finish(session)
            self._close()

    def run_queued(self, put: Any) -> None:
        """In a worker thread (several computers): everything goes to ``put`` in order, ending
        with ("end", computer, error-or-None)."""
        from pshell.remote.invocation import ConnectionBroken
        error = None
        session = None
        try:
            streams = QueueStreams(put)
            session = self._open(streams, once=True)
            inv = self._start(session, streams)
            for item in inv:
                put(("out", item))
        except RuntimeException as exc:
            error = exc.record
            if not error.computer_name and self.computer not in error.message:
                error.computer_name = self.computer
        except ConnectionBroken as exc:
            error = self._lost_error(session, exc).record
        except Exception as exc:
            if not self.stopped:
                error = remote_error(self.computer, f"{type(exc).__name__}: {exc}").record
        finally:
            if session is not None:
                self._finish(session)
            self._close()
            put(("end", self.computer, error))

    def run_into_job(self, job: Any) -> Optional[Any]:
        """For -AsJob: results go into the child job's buffers; returns the failure, if any.
        A dropped connection makes the job Disconnected while it reconnects."""
        from pshell.remote.invocation import ConnectionBroken
        session = None
        try:
            sink = _JobSink(job)
            session = self._open(sink)
            inv = self._start(session, sink)
            session.jobs.add(job)
            while True:
                try:
                    for item in inv:
                        job.add_output(item)
                    return None
                except ConnectionBroken as exc:
                    if self.stopped:
                        return None
                    if not session.persistent or session.State == "Closed":
                        return self._lost_error(None, exc).record
                    error = self._reconnect(session, inv, job, str(exc))
                    if error is _STOPPED_HERE:
                        return None
                    if error is not None:
                        return error
        except RuntimeException as exc:
            if self.stopped:
                return None
            record = exc.record
            if not record.computer_name and self.computer not in record.message:
                record.computer_name = self.computer
            return record
        except ConnectionBroken as exc:
            if self.stopped:
                return None
            return self._lost_error(None, exc).record
        except Exception as exc:
            if self.stopped:
                return None
            return remote_error(self.computer, f"{type(exc).__name__}: {exc}").record
        finally:
            if session is not None:
                session.jobs.discard(job)
                self._finish(session)
            self._close()

    def _reconnect(self, session: PSSession, inv: Any, job: Any, reason: str) -> Optional[Any]:
        """Disconnected: try again with backoff until it works, the time is up, or it can't."""
        import time
        from pshell.engine.jobs import JobState
        from pshell.remote.client import SessionRefused
        from pshell.remote.invocation import ConnectionBroken
        if getattr(session.connection, "session_ended", False):
            return remote_error(self.computer, f"The command failed: {reason}.").record
        job.StatusMessage = f"Disconnected ({reason}); reconnecting"
        job.set_state(JobState.Disconnected)
        deadline = time.monotonic() + self.reconnect_seconds
        delay = 0.25
        last = reason
        while True:
            if self.stopped:
                return self._stop_there(session, inv)
            if session.State == "Closed":
                return remote_error(self.computer, f"The session {session.Name} was removed "
                                     f"while disconnected.").record
            if session._disconnected:       # Disconnect-PSSession: wait for Connect-PSSession
                if session.connected:
                    lost = session.last_lost
                    break
                self._stop_event.wait(0.25)
                deadline = time.monotonic() + self.reconnect_seconds
                continue
            try:
                lost = session.reconnect(timeout=max(5.0, min(30.0, self.reconnect_seconds)))
                break
            except SessionRefused as exc:
                return remote_error(self.computer, f"The connection to {self.computer} was lost "
                                     f"({reason}) and the session cannot be reconnected: {exc}"
                                     ).record
            except (RuntimeException, ConnectionBroken) as exc:
                last = exc.record.message if isinstance(exc, RuntimeException) else str(exc)
            if time.monotonic() + delay > deadline:
                return remote_error(self.computer, f"The connection to {self.computer} was lost "
                                     f"({reason}) and could not be re-established within "
                                     f"{self.reconnect_seconds:g} seconds: {last}").record
            self._stop_event.wait(delay)
            delay = min(delay * 2, 5.0)
        if inv.id in lost:
            return remote_error(self.computer, f"The pshell host process on {self.computer} "
                                 f"ended while the command ran; what it did after the connection "
                                 f"was lost is unknown (host process ended).").record
        job.StatusMessage = ""
        job.set_state(JobState.Running)
        if self.stopped:
            inv.stop()
        return None


    def _stop_there(self, session: PSSession, inv: Any) -> Any:
        """Stop-Job while the connection is down: the command still runs on the remote
        computer, so reconnect (one try) to stop it there.  None: stopped there, its end is on
        the way; _STOPPED_HERE: it could not be reached (the job stops here; a temporary
        session's idle timeout ends the command there)."""
        from pshell.remote.client import SessionRefused
        from pshell.remote.invocation import ConnectionBroken
        if session._disconnected or session.State == "Closed":
            return _STOPPED_HERE
        try:
            lost = session.reconnect(timeout=STOP_RECONNECT_SECONDS)
        except (SessionRefused, RuntimeException, ConnectionBroken):
            return _STOPPED_HERE
        if inv.id in lost:
            return _STOPPED_HERE
        inv.stop()
        return None


_STOPPED_HERE = object()
STOP_RECONNECT_SECONDS = 10.0


def fan_out(work: List["Work"], limit: int) -> Iterator[Any]:
    """Run every item, at most ``limit`` at a time, and yield what they produce as it comes:
    ("out", object), ("rec", stream, record), ("end", computer, error-record-or-None).  Closing
    the iterator early stops what still runs."""
    try:
        from _queue import SimpleQueue      # without queue.py (see remote/client.py)
    except ImportError:
        from queue import SimpleQueue  # type: ignore[assignment]
    events: "SimpleQueue[Any]" = SimpleQueue()
    remaining = len(work)
    _ready_for_threads(work, limit)
    # at most ``limit`` threads, each taking the next item until none is left (in order): as
    # many items at a time as before, with no thread waiting on a gate.  Plain ``_thread``
    # threads (daemon ones: nothing waits for them at exit; they end with their last item)
    # spare a fan-out the import of ``threading`` (~1 ms of a fresh client)
    pending = iter(work)
    take = _thread.allocate_lock()
    started = _thread.allocate_lock()

    def run() -> None:
        started.release()
        while True:
            with take:
                item = next(pending, None)
            if item is None:
                return
            item.run_queued(events.put)

    # each start waits until its thread runs, which then keeps going until it waits for the
    # computer's answer: the first request leaves before the other threads are started
    for _ in range(min(max(1, limit), len(work))):
        started.acquire()
        _thread.start_new_thread(run, ())
    started.acquire()
    try:
        while remaining:
            event = events.get()
            if event[0] == "end":
                remaining -= 1
            yield event
    finally:
        for item in work:
            item.stop()
        if "pshell.transport.tcp_ahead" in sys.modules:
            from pshell.transport import tcp_ahead
            tcp_ahead.drop([item.target for item in work])


def _ready_for_threads(work: List["Work"], limit: int) -> None:
    """What every thread of a fan-out would otherwise do first, done once before they start:
    import the modules they use (twenty threads importing one module queue on its lock) and
    work out the connection broker's directory; and the TCP connections of the first
    ``limit`` direct ones, made while asyncssh loads."""
    import pshell.remote.client  # noqa: F401
    targets = [item.target for item in work if item.target is not None
               and item.target.transport.lower() != "process"]
    if not targets:
        return
    from pshell.client import broker
    if broker.enabled() and any(target.password is None for target in targets):
        try:
            broker._known_dir()
        except Exception:
            pass        # each thread tries again (and connects directly when it fails)
    # only as many as the first threads take at once: a connection made ahead waits
    # unauthenticated until its thread takes it, and sshd counts those (MaxStartups)
    _connect_ahead([target for target in targets
                    if not broker.enabled() or target.password is not None][:max(1, limit)])


def _connect_ahead(targets: List[Any]) -> None:
    """Direct connections of a process that has not loaded asyncssh yet: their TCP connections
    are made while it loads (transport/tcp_ahead.py)."""
    if not targets:
        return
    from pshell.transport import ssh_connect
    if ssh_connect._ASYNCSSH is not None:
        return                          # loaded: each thread connects at once
    from pshell.transport.broker_request import config_stamp
    if config_stamp() is None:
        # a Match exec runs a command at each evaluation of the config (or a file cannot be
        # read): evaluated by each connection alone, once, as ssh does
        return
    from pshell.transport import tcp_ahead
    tcp_ahead.start([(target, ssh_connect.SSHTarget(target.host, target.user, target.port,
                                                    target.key_file, target.password,
                                                    target.options))
                     for target in targets])


def start_job(jobs: Any, work: List["Work"], command: str, name: Optional[str], limit: int) -> Any:
    """Invoke-Command -AsJob: a RemoteJob in ``jobs`` with a child per computer, each run in its
    own thread (at most ``limit`` at a time); returns the parent at once."""
    import threading
    from pshell.engine.jobs import Job, JobState
    parent = Job(command=command, name=name, type_name="RemoteJob")
    gate = threading.Semaphore(max(1, limit))
    children = []
    for item in work:
        child = Job(command=command, location=item.computer)     # PSRemotingChildJob: no type name
        child.stop_handler = item.stop
        if item.session is not None:        # Disconnect-PSSession finds it from now on
            item.session.jobs.add(child)
            # a command in a PSSession goes on when the shell exits: the session is left
            # Disconnected with it (session._close_at_exit), not stopped
            child.outlives_shell = item.session.persistent
        parent.add_child(child)
        children.append((child, item))
    jobs.add(parent)
    for child, item in children:
        child.set_state(JobState.Running)
        threading.Thread(target=_run_child, args=(child, item, gate), daemon=True,
                         name=f"pshell-remote-job-{child.Id}").start()
    return parent
