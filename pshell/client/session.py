"""The PSSession model: a connection to a runspace on another computer, and how one is made.

A :class:`PSSession` is an SSH connection (or a local child process, ``-Transport Process``) with a
runspace on the far side that keeps its variables, functions, location and jobs between calls.  Over
SSH the runspace lives in a session process of the remote user's pshell host, so a session outlives
its connection: it can be disconnected, found again from any shell of the user, and reconnected.

The transports are imported only when a session is opened, so this module is standard-library only
and cheap to load (the cmdlets import it, and they run on remote computers too).
"""

from __future__ import annotations

import itertools
import _thread
from _weakrefset import WeakSet    # weakref.WeakSet, without weakref.py (~0.3 ms of a fan-out)

from pshell.engine.errors import ErrorRecord, RuntimeException
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple
    import threading
    import weakref

__all__ = ["PSSession", "Target", "sessions_of", "connect_only", "open_session", "attach_session",
           "list_sessions", "remote_error", "remote_session_object", "not_connected_message",
           "parallel", "SESSION_TYPE"]

SESSION_TYPE = "System.Management.Automation.Runspaces.PSSession"
_session_ids = itertools.count(1)
_TABLES_LOCK = _thread.allocate_lock()


class PSSession:
    """A connection to a remote runspace.

    Over SSH the runspace lives in the remote user's host process, so the session outlives its
    connection: a dropped or disconnected session is ``Disconnected`` (``Broken`` only for
    transports that keep nothing, like ``Process``) and :meth:`reconnect` picks it up again.
    A session object may also describe a session found on a computer (Get-PSSession
    -ComputerName) that this shell has not connected to (no connection yet)."""

    ps_type_names = (SESSION_TYPE,)
    ps_properties = ("Id", "Name", "Transport", "ComputerName", "ComputerType", "State",
                     "ConfigurationName", "Availability", "InstanceId", "StartTime", "JobCount",
                     "IdleTimeout", "DisconnectedOn", "ExpiresOn")

    def __init__(self, computer: str, connection: Any, runspace: Any, transport: str = "SSH",
                 name: Optional[str] = None, user: Optional[str] = None,
                 target: Any = None, token: str = "", info: Optional[Dict[str, Any]] = None,
                 ps_id: Optional[int] = None) -> None:
        self.Id = ps_id if ps_id is not None else next(_session_ids)
        self.ComputerName = computer
        self.ComputerType = "RemoteMachine"
        self.Transport = transport
        self.ConfigurationName = "DefaultShell"
        self.target = target
        self.token = token or _new_token()
        self.connection: Any = None
        self.runspace = runspace
        self.info: Dict[str, Any] = dict(info or {})
        server = getattr(connection, "server_info", None) or {}
        self.info.update(server)
        self.Name = to_str(self.info.get("name") or name or f"Runspace{self.Id}")
        self.UserName = user or to_str(self.info.get("user", ""))
        self.InstanceId = str(self.info.get("session") or "")
        self.persistent = bool(self.info.get("persistent"))
        self._closed = False
        self._broken: Optional[str] = None
        self._disconnected = connection is None
        self.busy = 0
        self.followers: "weakref.WeakSet[Any]" = WeakSet()
        self.interrupted: Dict[int, Dict[str, int]] = {}
        self.last_lost: List[int] = []
        self.jobs: "weakref.WeakSet[Any]" = WeakSet()   # -AsJob children running here
        self.first: Any = None          # the invocation open_session sent with the session
        self._lock = _thread.RLock()     # threading.RLock's own
        if connection is not None:
            self._use(connection)
        _LIVE.add(self)

    def _use(self, connection: Any) -> None:
        self.connection = connection
        self._broken = None
        self._disconnected = False
        connection.on_lost.append(lambda reason, c=connection: self._lost(c, reason))

    def _lost(self, connection: Any, reason: str) -> None:
        if not self._closed and connection is self.connection:
            self._broken = reason

    # ---- state ---------------------------------------------------------------------------
    @property
    def State(self) -> str:
        if self._closed:
            return "Closed"
        if self.connection is None:
            # State is relative to this shell (about_Remote_Disconnected_Sessions): a session
            # another client holds open is Disconnected here, and Busy
            state = to_str(self.info.get("state") or "Disconnected")
            return "Disconnected" if state == "Opened" else state
        if self._disconnected:
            return "Disconnected"
        if self._broken is not None or self.connection.broken is not None:
            if getattr(self.connection, "session_ended", False):
                return "Broken"             # its process on the remote computer is gone
            return "Disconnected" if self.persistent else "Broken"
        return "Opened"

    @property
    def Availability(self) -> str:
        if (self.connection is None or self._disconnected) and self.info.get("state") == "Opened":
            return "Busy"                    # connected to another client
        state = self.State
        if state == "Opened":
            return "Busy" if self.busy else "Available"
        if state == "Disconnected" and (self.busy or self.info.get("busy")):
            return "Busy"           # a command still runs there
        return "None"

    @property
    def connected(self) -> bool:
        return self.State == "Opened" and self.connection is not None

    @property
    def lost_reason(self) -> Optional[str]:
        if self.connection is None:
            return None
        return self._broken or self.connection.broken

    @property
    def StartTime(self) -> Any:
        return _parse_time(self.info.get("created"))

    @property
    def Port(self) -> Any:
        """The SSH port: as given, else what the ssh config says for the computer."""
        target = self.target
        if target is None:
            return None
        if target.port:
            return target.port
        try:
            from pshell.transport.ssh_config import resolve
            return int(resolve(target.host, overrides=target.options).get("port") or 22)
        except Exception:
            return 22

    @property
    def JobCount(self) -> Any:
        return self.info.get("jobs")

    @property
    def IdleTimeout(self) -> Any:
        idle = self.info.get("idle")
        return None if idle is None else float(idle)

    @property
    def DisconnectedOn(self) -> Any:
        return _parse_time(self.info.get("disconnected_at")) if self.State == "Disconnected" \
            else None

    @property
    def ExpiresOn(self) -> Any:
        return _parse_time(self.info.get("expires")) if self.State == "Disconnected" else None

    @property
    def Runspace(self) -> Any:
        return self.runspace

    # ---- connecting ----------------------------------------------------------------------
    def reconnect(self, force: bool = False, prompt: Any = None, timeout: float = 60) -> List[Any]:
        """Attach to the session again over a new connection; the invocations this shell still
        follows (``followers``) go on where they were.  Returns the ids of followed invocations
        the remote host no longer knows (its host process ended).  Raises RuntimeException
        (cannot connect: worth retrying) or SessionRefused (no such session, in use)."""
        from pshell.remote.client import SessionRefused
        from pshell.remote.invocation import ConnectionBroken
        with self._lock:
            if self._closed:
                raise SessionRefused(f"The session {self.Name} was removed.")
            if self.connected:
                return []
            if self.target is None:
                raise SessionRefused(f"The session {self.Name} cannot be reconnected.")
            if not self.persistent and self.connection is not None:
                raise SessionRefused(f"The session {self.Name} to {self.ComputerName} ended with "
                                     f"its connection ({self.Transport} sessions do not outlive "
                                     f"it).")
            conn = connect_only(self.target, prompt, timeout)
            followers = [inv for inv in list(self.followers)
                         if inv.result is None or inv.result.get("broken")]
            for inv in followers:
                inv.rebind(conn)
            resume = {inv.id: inv.received_q for inv in followers}
            try:
                answer = conn.attach(self.InstanceId or self.Name, self.token, force, resume,
                                     timeout)
                for inv_id, had in self.interrupted.items():   # what we had before the drop
                    conn._send(dict(had, t="ack", id=inv_id))
            except (SessionRefused, ConnectionBroken):
                conn.drop("not attached")
                raise
            self.info = dict(answer)
            self.Name = to_str(answer.get("name") or self.Name)
            self.InstanceId = str(answer.get("session") or self.InstanceId)
            self.persistent = True
            self.interrupted.clear()
            from pshell.remote.invocation import RemoteRunspace
            if self.runspace is None:
                self.runspace = RemoteRunspace(conn, 0, answer.get("prompt") or {})
            else:
                self.runspace.conn = conn
                self.runspace.last_prompt = answer.get("prompt") or self.runspace.last_prompt
            self._use(conn)
            lost = [int(i) for i in answer.get("lost") or () if str(i).isdigit()]
            self.last_lost = lost
            # the -AsJob jobs of this session run again when this returns (their threads pick
            # the output up where it stopped)
            from pshell.engine.jobs import JobState
            for job in list(self.jobs):
                if job.State == JobState.Disconnected:
                    job.StatusMessage = ""
                    job.set_state(JobState.Running)
            return lost

    def disconnect(self, idle: Optional[float] = None) -> None:
        """Leave the session running on the remote computer and let go of the connection."""
        with self._lock:
            if not self.connected:
                return
            if not self.persistent:
                raise RuntimeException.make(
                    f"The session {self.Name} cannot be disconnected: {self.Transport} sessions "
                    f"end with their connection.")
            conn = self.connection
            from pshell.remote.invocation import ConnectionBroken
            try:
                conn.disconnect(idle)
            except ConnectionBroken:
                pass
            self._disconnected = True
            if idle is not None:
                self.info["idle"] = idle
            self.info["state"] = "Disconnected"
            # the -AsJob jobs of this session are Disconnected when this returns (their threads
            # notice the dropped connection a moment later and wait for Connect-PSSession)
            from pshell.engine.jobs import JobState
            for job in list(self.jobs):
                if not job.is_finished:
                    job.StatusMessage = "Disconnected (Disconnect-PSSession)"
                    job.set_state(JobState.Disconnected)
            conn.drop("the session was disconnected")

    def close(self) -> None:
        """End the session: its remote runspace ends, with its jobs - also when it is
        disconnected (then over a connection opened for that)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            conn = self.connection
            if conn is not None and conn.broken is None and not self._disconnected:
                conn.close()
                return
            if conn is not None:
                conn.drop("the session was closed")
        if self.persistent and self.InstanceId and self.target is not None:
            force = conn is not None or self.info.get("state") != "Opened"
            from pshell.remote.client import in_lost_callback
            if in_lost_callback():
                # the link's reader is telling us the connection ended: the removal takes a
                # new connection, which that very thread would have to serve
                import threading
                thread = threading.Thread(target=_remove_in_background, args=(self, force),
                                          name="pshell-remove-session", daemon=True)
                _REMOVING.add(thread)
                thread.start()
            else:
                _remove_remote(self, force=force)

    def ToString(self) -> str:
        return f"[PSSession]{self.Name}"

    def __repr__(self) -> str:
        return f"PSSession({self.Id}, {self.ComputerName!r}, {self.State})"


_LIVE: "weakref.WeakSet[PSSession]" = WeakSet()
_ATEXIT = False


def _new_token() -> str:
    import os
    return os.urandom(12).hex()


def _new_uuid() -> str:
    """A random (version 4) UUID in its usual text form, without importing ``uuid`` (which
    costs a fresh pshell more than the rest of opening a session)."""
    import os
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _parse_time(text: Any) -> Any:
    if not text:
        return None
    import datetime as _dt
    try:
        return _dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None


def _remove_remote(session: PSSession, force: bool) -> None:
    """Remove-PSSession of a disconnected session: end it on the remote computer."""
    from pshell.remote.invocation import ConnectionBroken
    try:
        conn = connect_only(session.target, None, 30)
    except RuntimeException:
        raise
    try:
        conn.hello(timeout=30)
        error = conn.remove_session(session.InstanceId, force=force)
    except ConnectionBroken as exc:
        raise remote_error(session.ComputerName, f"cannot remove the session {session.Name}: "
                                                  f"{exc}")
    finally:
        conn.drop("done")
    if error and "there is no session" not in error.lower():
        session._closed = False
        raise remote_error(session.ComputerName, error)


_REMOVING: "set[threading.Thread]" = set()


def _remove_in_background(session: PSSession, force: bool) -> None:
    try:
        _remove_remote(session, force)
    except RuntimeException as exc:
        import sys
        sys.stderr.write(f"pshell: {exc.record.message}\n")
    except Exception as exc:
        import sys
        sys.stderr.write(f"pshell: cannot remove the session {session.Name} on "
                         f"{session.ComputerName}: {exc}\n")
    finally:
        import threading
        _REMOVING.discard(threading.current_thread())


def _close_at_exit() -> None:
    """Sessions still open when the shell exits end with it (as in PowerShell); disconnected
    ones stay on their computers, to be picked up later.  Removals under way finish first."""
    for thread in list(_REMOVING):
        thread.join(10)
    _wait_for_starting_jobs(list(_LIVE))
    for session in list(_LIVE):
        try:
            if session.connected and session.persistent and _running_there(session):
                # a command still runs: the session stays, Disconnected, for Receive-PSSession
                # (about_Remote_Disconnected_Sessions); an idle one ends with the shell
                session.disconnect(None)
            elif session.connected:
                session.connection.close(wait=2.0)
        except Exception:
            pass


def _wait_for_starting_jobs(sessions: List[PSSession], limit: float = 5.0) -> None:
    """An -AsJob started just before the shell exits may not have sent its command yet: wait (a
    few seconds at most) until every such command is on its computer, so the session is kept
    Disconnected with it instead of ending idle and taking the job with it."""
    import time
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        starting = [s for s in sessions if s.connected and s.persistent and not s.followers
                    and any(not job.is_finished for job in list(s.jobs))]
        if not starting:
            return
        time.sleep(0.02)


def _running_there(session: PSSession) -> bool:
    return bool(session.busy) or any(not job.is_finished for job in list(session.jobs))


def _register_atexit() -> None:
    global _ATEXIT
    if not _ATEXIT:
        _ATEXIT = True
        import atexit
        atexit.register(_close_at_exit)


def sessions_of(runspace: Any) -> List[PSSession]:
    """The session table of a (local) runspace: kept on the runspace, so it lives as long as the
    runspace does."""
    with _TABLES_LOCK:
        table = runspace.__dict__.get("ps_sessions")
        if table is None:
            table = runspace.ps_sessions = []
        return table


# The table view of a PSSession is registered by pshell/cmdlets/session_views.py, which the
# formatting loads when it first shows one (pshell.cmdlets.VIEW_MODULES): a fan-out whose output
# is not shown does not load the formatting.


class Target:
    """One computer to reach: a destination and how."""

    def __init__(self, host: str, user: Optional[str] = None, port: Optional[int] = None,
                 key_file: Optional[str] = None, password: Optional[str] = None,
                 transport: str = "SSH", options: Optional[Dict[str, Any]] = None) -> None:
        self.host = host
        self.user = user
        self.port = port
        self.key_file = key_file
        self.password = password
        self.transport = transport
        self.options = options or {}

    @property
    def label(self) -> str:
        return self.host


def connect_only(target: "Target", prompt: Any = None, timeout: float = 120,
                 prepare: Any = None, reader: bool = True) -> Any:
    """A connection to ``target``'s computer with the engine started, before any hello.
    ``prepare(conn)`` sends the first requests (its result is ``conn.prepared``): through the
    connection broker they leave with the request for the channel, otherwise once connected.
    ``reader`` false: one thread uses the connection, and through the broker it reads the
    channel itself while it waits (no reader thread)."""
    if target.transport.lower() == "process":
        from pshell.transport.process import ProcessLink
        from pshell.remote.client import RemoteConnection
        try:
            link = ProcessLink()
        except Exception as exc:
            raise remote_error(target.host, f"cannot start a local pshell process: {exc}")
        conn = RemoteConnection(link, target.host)
        link.attach(conn)
        return _prepared(conn, prepare)
    from pshell.client.broker import BrokerRefused, open_via_broker
    try:
        conn = open_via_broker(target, prompt, timeout, prepare=prepare,   # no handshake
                               reader=reader)
    except BrokerRefused as exc:
        raise remote_error(target.host, str(exc))
    if conn is not None:
        return conn
    try:
        from pshell.transport.ssh import SSHError, SSHTarget, open_ssh_connection
    except ImportError as exc:
        raise remote_error(target.host, f"SSH remoting is not available here ({exc}); "
                            f"install asyncssh (pip install asyncssh)")
    ssh_target = SSHTarget(target.host, target.user, target.port, target.key_file,
                           target.password, target.options)
    ssh_target.ahead_key = target       # a TCP connection made ahead for it (tcp_ahead)
    try:
        # the first requests leave with stage two (or the direct line): no round trip waits
        # for the engine's READY before them
        conn = open_ssh_connection(ssh_target, prompt, timeout=timeout, hello=False,
                                   prepare=prepare)
    except SSHError as exc:
        raise remote_error(target.host, str(exc))
    return conn


def _prepared(conn: Any, prepare: Any) -> Any:
    if prepare is not None:
        from pshell.remote.invocation import ConnectionBroken
        try:
            conn.prepared = prepare(conn)
        except ConnectionBroken as exc:
            conn.close(wait=0)
            raise remote_error(conn.computer_name, f"Cannot start pshell on "
                                                   f"{conn.computer_name}: {exc}")
    return conn


def reserve_session_ids(count: int) -> List[int]:
    """Ids for sessions about to be opened together, so that they follow the order of the
    computers asked for whichever connects first."""
    return [next(_session_ids) for _ in range(count)]


def open_session(target: Target, prompt: Any = None, name: Optional[str] = None,
                 timeout: float = 120, idle: Optional[float] = None,
                 ps_id: Optional[int] = None, start: Any = None, once: bool = False) -> PSSession:
    """Connect, start the engine, create the session and its runspace.  Raises
    RuntimeException with a clear message when it cannot.

    ``start(conn, rs_id)``: the first invocation, sent right behind the requests that create
    the session, before their answers (a temporary session of Invoke-Command: one round trip
    for all of it); what it returns is the new session's ``first``.  The remote host reads the
    requests in order, so it runs only in the session just created, and not at all when that
    was refused.  ``once``: a temporary session that ends with its connection (see
    ``RemoteConnection.open_send``)."""
    from pshell.remote.client import SessionRefused
    from pshell.remote.invocation import ConnectionBroken
    session_id = _new_uuid()
    token = _new_token()

    def prepare(conn: Any) -> Any:
        pending = conn.open_send(session_id, name or "", 0, idle, token, once)
        return pending, (start(conn, 0) if start is not None else None)

    # a temporary session is used by the one thread that opened it: no reader thread
    conn = connect_only(target, prompt, timeout, prepare, reader=not once)
    pending, first = conn.prepared
    conn.prepared = None
    try:
        runspace = conn.open_wait(pending, timeout)
    except SessionRefused as exc:
        conn.drop("refused")
        raise remote_error(target.host, str(exc))
    except ConnectionBroken as exc:
        conn.close(wait=0)
        raise remote_error(target.host, f"Cannot start pshell on {target.host}: {exc}")
    _register_atexit()
    session = PSSession(target.host, conn, runspace, "Process" if target.transport.lower() ==
                        "process" else "SSH", name, target.user, target=target, token=token,
                        ps_id=ps_id)
    session.first = first
    return session


def attach_session(target: Target, key: str, prompt: Any = None, force: bool = False,
                   timeout: float = 120) -> PSSession:
    """Connect-PSSession -ComputerName h -Name n: attach to a session found on ``target``."""
    from pshell.remote.client import SessionRefused
    from pshell.remote.invocation import ConnectionBroken, RemoteRunspace
    conn = connect_only(target, prompt, timeout)
    token = _new_token()
    try:
        answer = conn.attach(key, token, force, None, timeout)
    except (SessionRefused, ConnectionBroken) as exc:
        conn.drop("refused")
        raise remote_error(target.host, str(exc))
    _register_atexit()
    runspace = RemoteRunspace(conn, 0, answer.get("prompt") or {})
    return PSSession(target.host, conn, runspace, "SSH", None, target.user, target=target,
                     token=token)


def list_sessions(target: Target, prompt: Any = None, timeout: float = 120
                  ) -> List[Dict[str, Any]]:
    """The sessions the user has on ``target``'s computer (as the host describes them)."""
    from pshell.remote.invocation import ConnectionBroken
    conn = connect_only(target, prompt, timeout)
    try:
        info = conn.hello(timeout=timeout)
        if not info.get("persistent"):
            return []
        return conn.list_sessions(timeout)
    except ConnectionBroken as exc:
        raise remote_error(target.host, f"cannot list the sessions: {exc}")
    finally:
        conn.drop("done")


def remote_error(computer: str, message: str) -> RuntimeException:
    text = message if computer in message else f"[{computer}] {message}"
    record = ErrorRecord(text, "PSSessionOpenFailed", "OpenError", computer,
                         exception_type="System.Management.Automation.Remoting.PSRemotingTransportException")
    return RuntimeException(record)


def parallel(items: List[Any], func: Any, limit: int) -> List[Tuple[Any, Any]]:
    """func(item, index) for each item, at most ``limit`` at a time; (result, error) pairs."""
    results: List[Tuple[Any, Any]] = [(None, None)] * len(items)
    if len(items) == 1:
        try:
            return [(func(items[0], 0), None)]
        except Exception as exc:
            return [(None, exc)]
    import threading
    gate = threading.Semaphore(max(1, limit))

    def run(index: int) -> None:
        with gate:
            try:
                results[index] = (func(items[index], index), None)
            except Exception as exc:
                results[index] = (None, exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(items))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def remote_session_object(table: List[PSSession], target: "Target", info: Dict[str, Any]
                          ) -> PSSession:
    """The PSSession for a session a computer described: this shell's own object when it has
    one (same InstanceId), else a new, not connected one."""
    instance = str(info.get("session") or "")
    for session in table:
        if session.InstanceId == instance and session.ComputerName.lower() == target.host.lower():
            if not session.connected:
                session.info.update(info)
            else:
                session.info.update({k: v for k, v in info.items() if k != "state"})
            return session
    info = dict(info, persistent=True)
    return PSSession(target.host, None, None, "SSH", None, target.user, target=target, info=info)


def not_connected_message(session: PSSession) -> str:
    state = session.State
    if state == "Disconnected":
        reason = session.lost_reason
        why = f" (the connection was lost: {reason})" if reason and "disconnected" not in reason \
            else ""
        return (f"The session {session.Name} to {session.ComputerName} is disconnected{why}. "
                f"Reconnect it with Connect-PSSession; its runspace and jobs are still there.")
    reason = session.lost_reason if state == "Broken" else None
    if reason:
        return f"The session {session.Name} to {session.ComputerName} is broken: {reason}."
    return f"The session {session.Name} to {session.ComputerName} is {state.lower()}."
