"""PSSessions and remote commands: New/Get/Remove-PSSession, Invoke-Command,
Enter/Exit-PSSession, Get-Credential.

A :class:`PSSession` is an SSH connection (or a local child process, ``-Transport Process``) with
a runspace on the far side that keeps its variables, functions, location and jobs between calls.
The transports are imported only when a session is opened, so this module stays stdlib-only and
cheap to load (it also runs on remote computers, where remoting further is not available).
"""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any, Dict, Iterator, List, Optional, Tuple

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.errors import ErrorRecord, RuntimeException
from pshell.engine.values import enumerate_value, get_property, to_str

__all__ = ["PSSession", "PSCredential", "SecureString", "sessions_of", "open_session"]

SESSION_TYPE = "System.Management.Automation.Runspaces.PSSession"
_session_ids = itertools.count(1)
_TABLES: "weakref.WeakKeyDictionary[Any, List[PSSession]]" = weakref.WeakKeyDictionary()
_TABLES_LOCK = threading.Lock()


# --------------------------------------------------------------------------- credentials

class SecureString:
    """A password held in memory only: prints as its type name, never serialised as text."""

    __slots__ = ("_value",)
    ps_type_names = ("System.Security.SecureString",)
    ps_properties = ("Length",)

    def __init__(self, value: str) -> None:
        self._value = value

    @property
    def Length(self) -> int:
        return len(self._value)

    def ToString(self) -> str:
        return "System.Security.SecureString"

    def __str__(self) -> str:
        return "System.Security.SecureString"

    def __repr__(self) -> str:
        return "SecureString(****)"


class PSCredential:
    ps_type_names = ("System.Management.Automation.PSCredential",)
    ps_properties = ("UserName", "Password")

    def __init__(self, user: str, password: Any) -> None:
        self.UserName = user
        self.Password = password if not isinstance(password, str) else SecureString(password)

    def GetNetworkCredential(self) -> Any:
        from pshell.engine.values import PSObject
        return PSObject({"UserName": self.UserName, "Password": _plain(self.Password)})

    def ToString(self) -> str:
        return "System.Management.Automation.PSCredential"


def _plain(secret: Any) -> Optional[str]:
    """The clear text of a SecureString-like value (ours, or another module's)."""
    if secret is None:
        return None
    if isinstance(secret, str):
        return secret
    for attr in ("_value", "value", "plain", "_plain"):
        value = getattr(secret, attr, None)
        if isinstance(value, str):
            return value
    return None


def _credential_parts(cred: Any) -> Tuple[Optional[str], Optional[str]]:
    if cred is None:
        return None, None
    if isinstance(cred, str):
        return cred, None
    user = get_property(cred, "UserName", None)
    password = _plain(get_property(cred, "Password", None))
    return (None if user is None else to_str(user)), password


# --------------------------------------------------------------------------- sessions

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
                 target: Any = None, token: str = "", info: Optional[Dict[str, Any]] = None
                 ) -> None:
        self.Id = next(_session_ids)
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
        self.followers: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self.interrupted: Dict[int, Dict[str, int]] = {}
        self.last_lost: List[int] = []
        self._lock = threading.RLock()
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
            return to_str(self.info.get("state") or "Disconnected")
        if self._disconnected:
            return "Disconnected"
        if self._broken is not None or self.connection.broken is not None:
            if getattr(self.connection, "session_ended", False):
                return "Broken"             # its process on the remote computer is gone
            return "Disconnected" if self.persistent else "Broken"
        return "Opened"

    @property
    def Availability(self) -> str:
        state = self.State
        if state == "Opened":
            if self.connection is None:      # connected to another client
                return "Busy"
            return "Busy" if self.busy else "Available"
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
        from pshell.remote.client import ConnectionBroken, SessionRefused
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
            from pshell.remote.client import RemoteRunspace
            if self.runspace is None:
                self.runspace = RemoteRunspace(conn, 0, answer.get("prompt") or {})
            else:
                self.runspace.conn = conn
                self.runspace.last_prompt = answer.get("prompt") or self.runspace.last_prompt
            self._use(conn)
            lost = [int(i) for i in answer.get("lost") or () if str(i).isdigit()]
            self.last_lost = lost
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
            from pshell.remote.client import ConnectionBroken
            try:
                conn.disconnect(idle)
            except ConnectionBroken:
                pass
            self._disconnected = True
            if idle is not None:
                self.info["idle"] = idle
            self.info["state"] = "Disconnected"
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


_LIVE: "weakref.WeakSet[PSSession]" = weakref.WeakSet()
_ATEXIT = False


def _new_token() -> str:
    import os
    return os.urandom(12).hex()


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
    from pshell.remote.client import ConnectionBroken
    try:
        conn = connect_only(session.target, None, 30)
    except RuntimeException:
        raise
    try:
        conn.hello(timeout=30)
        error = conn.remove_session(session.InstanceId, force=force)
    except ConnectionBroken as exc:
        raise _remote_error(session.ComputerName, f"cannot remove the session {session.Name}: "
                                                  f"{exc}")
    finally:
        conn.drop("done")
    if error and "there is no session" not in error.lower():
        session._closed = False
        raise _remote_error(session.ComputerName, error)


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
        _REMOVING.discard(threading.current_thread())


def _close_at_exit() -> None:
    """Sessions still open when the shell exits end with it (as in PowerShell); disconnected
    ones stay on their computers, to be picked up later.  Removals under way finish first."""
    for thread in list(_REMOVING):
        thread.join(10)
    for session in list(_LIVE):
        try:
            if session.connected:
                session.connection.close(wait=2.0)
        except Exception:
            pass


def _register_atexit() -> None:
    global _ATEXIT
    if not _ATEXIT:
        _ATEXIT = True
        import atexit
        atexit.register(_close_at_exit)


def sessions_of(runspace: Any) -> List[PSSession]:
    """The session table of a (local) runspace."""
    with _TABLES_LOCK:
        table = _TABLES.get(runspace)
        if table is None:
            table = []
            _TABLES[runspace] = table
        return table


def _register_views() -> None:
    try:
        from pshell.engine.format import register_view
    except Exception:
        return
    # PowerShell's columns, with the two that never vary here (ComputerType, ConfigurationName)
    # traded for what tells sessions kept on a computer apart: when they started, how many jobs
    register_view(SESSION_TYPE, "table", ("Id", "Name", "Transport", "ComputerName", "State",
                                          "Availability", "StartTime", ("Jobs", "JobCount")))


_register_views()


class _Target:
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


def connect_only(target: "_Target", prompt: Any = None, timeout: float = 120) -> Any:
    """A connection to ``target``'s computer with the engine started, before any hello."""
    if target.transport.lower() == "process":
        from pshell.transport.process import ProcessLink
        from pshell.remote.client import RemoteConnection
        try:
            link = ProcessLink()
        except Exception as exc:
            raise _remote_error(target.host, f"cannot start a local pshell process: {exc}")
        conn = RemoteConnection(link, target.host)
        link.attach(conn)
        return conn
    try:
        from pshell.transport.ssh import SSHError, SSHTarget, open_ssh_connection
    except ImportError as exc:
        raise _remote_error(target.host, f"SSH remoting is not available here ({exc}); "
                            f"install asyncssh (pip install asyncssh)")
    ssh_target = SSHTarget(target.host, target.user, target.port, target.key_file,
                           target.password, target.options)
    try:
        return open_ssh_connection(ssh_target, prompt, timeout=timeout, hello=False)
    except SSHError as exc:
        raise _remote_error(target.host, str(exc))


def open_session(target: _Target, prompt: Any = None, name: Optional[str] = None,
                 timeout: float = 120, idle: Optional[float] = None) -> PSSession:
    """Connect, start the engine, create the session and its runspace.  Raises
    RuntimeException with a clear message when it cannot."""
    import uuid
    from pshell.remote.client import ConnectionBroken, SessionRefused
    session_id = str(uuid.uuid4())
    token = _new_token()
    conn = connect_only(target, prompt, timeout)
    try:
        runspace = conn.open(session_id, name or "", 0, timeout, idle, token)
    except SessionRefused as exc:
        conn.drop("refused")
        raise _remote_error(target.host, str(exc))
    except ConnectionBroken as exc:
        conn.close(wait=0)
        raise _remote_error(target.host, f"Cannot start pshell on {target.host}: {exc}")
    _register_atexit()
    return PSSession(target.host, conn, runspace, "Process" if target.transport.lower() == "process"
                     else "SSH", name, target.user, target=target, token=token)


def attach_session(target: _Target, key: str, prompt: Any = None, force: bool = False,
                   timeout: float = 120) -> PSSession:
    """Connect-PSSession -ComputerName h -Name n: attach to a session found on ``target``."""
    from pshell.remote.client import ConnectionBroken, RemoteRunspace, SessionRefused
    conn = connect_only(target, prompt, timeout)
    token = _new_token()
    try:
        answer = conn.attach(key, token, force, None, timeout)
    except (SessionRefused, ConnectionBroken) as exc:
        conn.drop("refused")
        raise _remote_error(target.host, str(exc))
    _register_atexit()
    runspace = RemoteRunspace(conn, 0, answer.get("prompt") or {})
    return PSSession(target.host, conn, runspace, "SSH", None, target.user, target=target,
                     token=token)


def list_sessions(target: _Target, prompt: Any = None, timeout: float = 120
                  ) -> List[Dict[str, Any]]:
    """The sessions the user has on ``target``'s computer (as the host describes them)."""
    from pshell.remote.client import ConnectionBroken
    conn = connect_only(target, prompt, timeout)
    try:
        info = conn.hello(timeout=timeout)
        if not info.get("persistent"):
            return []
        return conn.list_sessions(timeout)
    except ConnectionBroken as exc:
        raise _remote_error(target.host, f"cannot list the sessions: {exc}")
    finally:
        conn.drop("done")


def _remote_error(computer: str, message: str) -> RuntimeException:
    text = message if computer in message else f"[{computer}] {message}"
    record = ErrorRecord(text, "PSSessionOpenFailed", "OpenError", computer,
                         exception_type="System.Management.Automation.Remoting.PSRemotingTransportException")
    return RuntimeException(record)


def _prompt_function(cmdlet: Cmdlet) -> Any:
    """A password prompt through the host, only when a terminal is attached."""
    host = getattr(cmdlet.runspace, "host", None)
    if host is None or not getattr(host, "is_terminal", False):
        return None
    read_line = getattr(host, "read_line", None)
    if read_line is None:
        return None

    def prompt(text: str, secret: bool) -> Optional[str]:
        try:
            return read_line(text, secure=secret)
        except (EOFError, KeyboardInterrupt):
            return None

    return prompt


# --------------------------------------------------------------------------- parameters

_CONNECT_PARAMS = (
    Param("ComputerName", "string[]", position=0, aliases=("Cn", "HostName")),
    Param("UserName", "string", aliases=("User",)),
    Param("Port", "int"),
    Param("KeyFilePath", "string", aliases=("IdentityFilePath",)),
    Param("Credential", "object"),
    Param("SSHConnection", "hashtable[]", sets=("SSHConnection",)),
    Param("Transport", "string", validate_set=("SSH", "Process")),
    Param("ConnectingTimeout", "int"),
    Param("Subsystem", "string"),
    Param("Options", "hashtable"),
)

#: How long a disconnected session is kept on its computer: -IdleTimeoutSec (seconds), or a
#: session option's IdleTimeout (milliseconds, as New-PSSessionOption takes it).
_IDLE_PARAMS = (
    Param("IdleTimeoutSec", "object", aliases=("IdleTimeout",)),
    Param("SessionOption", "object"),
)


class _RemoteCmdlet(Cmdlet):
    """What the session cmdlets share: turning parameters into targets, finding sessions."""

    def targets(self) -> List[_Target]:
        user, password = _credential_parts(self.Credential)
        user = self.UserName or user
        transport = self.Transport or "SSH"
        options = dict(self.Options or {})
        targets: List[_Target] = []
        for computer in self.ComputerName or ():
            u, host, port = parse_destination_text(to_str(computer))
            targets.append(_Target(host, u or user, port or self.Port, self.KeyFilePath,
                                   password, transport, options))
        for table in self.SSHConnection or ():
            host = table.get("ComputerName") or table.get("HostName")
            if not host:
                raise self.terminate("Each -SSHConnection hashtable needs a ComputerName (or "
                                     "HostName) key.", "MissingComputerName", "InvalidArgument")
            u, host, port = parse_destination_text(to_str(host))
            extra = {k: v for k, v in table.items() if str(k).lower() not in _SSH_KEYS}
            targets.append(_Target(host, table.get("UserName") or u or user,
                                   table.get("Port") or port or self.Port,
                                   table.get("KeyFilePath") or table.get("IdentityFilePath")
                                   or self.KeyFilePath,
                                   _plain(table.get("Password")) or password,
                                   to_str(table.get("Transport") or transport), extra))
        return targets

    def table(self) -> List[PSSession]:
        return sessions_of(_root_runspace(self.runspace))

    def _timeout(self) -> float:
        value = getattr(self, "ConnectingTimeout", None)
        return value / 1000.0 if value else 120.0


_SSH_KEYS = {"computername", "hostname", "username", "port", "keyfilepath", "identityfilepath",
             "password", "transport"}


def parse_destination_text(text: str) -> Tuple[Optional[str], str, Optional[int]]:
    user = None
    if "@" in text:
        user, text = text.rsplit("@", 1)
    port = None
    if text.count(":") == 1:
        host, _, port_text = text.partition(":")
        if port_text.isdigit():
            return user, host, int(port_text)
    return user, text, port


def _root_runspace(runspace: Any) -> Any:
    return getattr(runspace, "session_root", None) or runspace


# --------------------------------------------------------------------------- New-PSSession

@register
class NewPSSession(_RemoteCmdlet):
    name = "New-PSSession"
    synopsis = "Opens persistent connections (PSSessions) to remote computers over SSH."
    params = _CONNECT_PARAMS + _IDLE_PARAMS + (
        Param("Name", "string[]"),
        Param("ThrottleLimit", "int", default=32),
    )
    default_set = "ComputerName"

    def process(self) -> Iterator[Any]:
        targets = self.targets()
        if not targets:
            raise self.terminate("Specify the computers to connect to with -ComputerName (or "
                                 "-HostName, or -SSHConnection).", "MissingComputerName",
                                 "InvalidArgument")
        names = list(self.Name or ())
        prompt = _prompt_function(self)
        idle = _idle_timeout(self)
        results = _parallel(targets, lambda t, i: open_session(
            t, prompt, names[i] if i < len(names) else None, self._timeout(), idle),
            self.ThrottleLimit or 32)
        table = self.table()
        for target, (session, error) in zip(targets, results):
            if error is not None:
                self.write_error(error.record if isinstance(error, RuntimeException)
                                 else self.error_record(str(error), "PSSessionOpenFailed",
                                                        "OpenError", target.host))
                continue
            table.append(session)
            yield session


def _parallel(items: List[Any], func: Any, limit: int) -> List[Tuple[Any, Any]]:
    """func(item, index) for each item, at most ``limit`` at a time; (result, error) pairs."""
    results: List[Tuple[Any, Any]] = [(None, None)] * len(items)
    if len(items) == 1:
        try:
            return [(func(items[0], 0), None)]
        except Exception as exc:
            return [(None, exc)]
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


# --------------------------------------------------------------------------- Get/Remove-PSSession

def _matches(session: PSSession, ids: Any, names: Any, computers: Any) -> bool:
    from fnmatch import fnmatchcase
    if ids is not None and session.Id not in [int(i) for i in enumerate_value(ids)]:
        return False
    if names is not None and not any(fnmatchcase(session.Name.lower(), to_str(n).lower())
                                     for n in enumerate_value(names)):
        return False
    if computers is not None and not any(fnmatchcase(session.ComputerName.lower(),
                                                     to_str(c).lower())
                                         for c in enumerate_value(computers)):
        return False
    return True


@register
class GetPSSession(_RemoteCmdlet):
    name = "Get-PSSession"
    synopsis = ("Gets the PSSessions of this shell or, with -ComputerName, every session the user "
                "has on those computers (connected or not).")
    params = (
        Param("Name", "string[]", position=0),
        Param("Id", "int[]"),
        Param("ComputerName", "string[]", aliases=("Cn", "HostName")),
        Param("InstanceId", "string[]"),
        Param("State", "string"),
        Param("UserName", "string", aliases=("User",)),
        Param("Port", "int"),
        Param("KeyFilePath", "string", aliases=("IdentityFilePath",)),
        Param("Credential", "object"),
        Param("Transport", "string", validate_set=("SSH", "Process")),
        Param("ConnectingTimeout", "int"),
        Param("Options", "hashtable"),
    )

    SSHConnection = None

    def process(self) -> Iterator[Any]:
        if self.ComputerName is not None and (self.Transport or "SSH").lower() == "ssh" \
                and not any(c in to_str(n) for n in self.ComputerName for c in "*?["):
            yield from self._remote()
            return
        found = False
        for session in list(self.table()):
            if not _matches(session, self.Id, self.Name, self.ComputerName):
                continue
            if not self._wanted(session):
                continue
            found = True
            yield session
        if not found:
            for ident in self.Id or ():
                self.write_error(f"Cannot find a PSSession with Id {ident}.", "NoSessionFound",
                                 "ObjectNotFound", ident)
            for name in self.Name or ():
                if not any(c in to_str(name) for c in "*?["):
                    self.write_error(f"Cannot find a PSSession named '{name}'.", "NoSessionFound",
                                     "ObjectNotFound", name)

    def _wanted(self, session: PSSession) -> bool:
        if self.InstanceId is not None and session.InstanceId not in self.InstanceId:
            return False
        if self.State is not None and session.State.lower() != to_str(self.State).lower():
            return False
        return True

    def _remote(self) -> Iterator[Any]:
        """Ask each computer's host for the user's sessions there."""
        from fnmatch import fnmatchcase
        table = self.table()
        prompt = _prompt_function(self)
        for target in self.targets():
            try:
                infos = list_sessions(target, prompt, self._timeout())
            except RuntimeException as exc:
                self.write_error(exc.record)
                continue
            names = [to_str(n).lower() for n in enumerate_value(self.Name)] \
                if self.Name is not None else None
            shown = 0
            for info in infos:
                if names is not None and not any(fnmatchcase(to_str(info.get("name")).lower(), n)
                                                 for n in names):
                    continue
                session = remote_session_object(table, target, info)
                if self.Id is not None and session.Id not in [int(i) for i in self.Id]:
                    continue
                if not self._wanted(session):
                    continue
                shown += 1
                yield session
            if not shown and names and not any(c in n for n in names for c in "*?["):
                there = ", ".join(to_str(i.get("name")) for i in infos) or "none"
                self.write_error(f"[{target.host}] Cannot find a session named "
                                 f"'{', '.join(map(to_str, self.Name))}' for this user on "
                                 f"{target.host}. Sessions there: {there}.", "NoSessionFound",
                                 "ObjectNotFound", self.Name)


def remote_session_object(table: List[PSSession], target: "_Target", info: Dict[str, Any]
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


@register
class RemovePSSession(_RemoteCmdlet):
    name = "Remove-PSSession"
    synopsis = "Closes PSSessions: their remote runspaces end, with their jobs."
    params = (
        Param("Session", "object[]", position=0, pipeline=True),
        Param("Id", "int[]"),
        Param("Name", "string[]"),
        Param("ComputerName", "string[]", aliases=("Cn",)),
        Param("InstanceId", "string[]"),
    )

    def process(self) -> None:
        table = self.table()
        if self.Session is not None:
            chosen = [s for s in enumerate_value(self.Session) if isinstance(s, PSSession)]
            for other in enumerate_value(self.Session):
                if not isinstance(other, PSSession):
                    self.write_error(f"'{to_str(other)}' is not a PSSession.", "NotASession",
                                     "InvalidArgument", other)
        else:
            chosen = [s for s in table if _matches(s, self.Id, self.Name, self.ComputerName)
                      and (self.InstanceId is None or s.InstanceId in self.InstanceId)]
            if not chosen and (self.Id or self.Name):
                what = f"Id {', '.join(map(str, self.Id))}" if self.Id else \
                    f"name {', '.join(map(to_str, self.Name))}"
                self.write_error(f"Cannot find a PSSession with {what}.", "NoSessionFound",
                                 "ObjectNotFound")
        for session in chosen:
            try:
                session.close()
            except RuntimeException as exc:
                self.write_error(exc.record)
                continue
            if session in table:
                table.remove(session)


# --------------------------------------------------------------------------- Get-Credential

@register
class GetCredential(Cmdlet):
    name = "Get-Credential"
    synopsis = "Asks for a user name and password (typed without echo) and returns a credential."
    params = (
        Param("UserName", "string", position=0, aliases=("Credential",)),
        Param("Message", "string"),
        Param("Title", "string"),
    )

    def process(self) -> Iterator[Any]:
        host = getattr(self.runspace, "host", None)
        read_line = getattr(host, "read_line", None)
        if read_line is None or not getattr(host, "is_terminal", False):
            raise self.terminate("Get-Credential needs a terminal to ask for the password.",
                                 "NoTerminal", "InvalidOperation")
        if self.Message:
            self.write_host(self.Message)
        user = self.UserName
        try:
            if not user:
                user = read_line("User: ")
            password = read_line(f"Password for user {user}: ", secure=True)
        except (EOFError, KeyboardInterrupt):
            raise self.terminate("Get-Credential was cancelled.", "Cancelled",
                                 "OperationStopped") from None
        yield PSCredential(user, SecureString(password or ""))


# --------------------------------------------------------------------------- Invoke-Command

class _QueueStreams:
    """Records from worker threads, queued to be written on the pipeline's thread in order."""

    def __init__(self, put: Any) -> None:
        self._put = put

    def __getattr__(self, stream: str) -> Any:
        if stream in ("error", "warning", "verbose", "debug", "information", "progress"):
            return lambda record: self._put(("rec", stream, record))
        raise AttributeError(stream)


class _CmdletStreams:
    """Records written through the cmdlet, so -ErrorAction, -ErrorVariable, 2>&1 apply."""

    def __init__(self, cmdlet: Cmdlet) -> None:
        self.c = cmdlet

    def error(self, record: Any) -> None:
        self.c.ctx.write_error(record)

    def warning(self, record: Any) -> None:
        self.c.write_warning(to_str(getattr(record, "Message", record)))

    def verbose(self, record: Any) -> None:
        self.c.write_verbose(to_str(getattr(record, "Message", record)))

    def debug(self, record: Any) -> None:
        self.c.write_debug(to_str(getattr(record, "Message", record)))

    def information(self, record: Any) -> None:
        if getattr(record, "host", False):
            self.c.write_host(to_str(record.MessageData), record.newline, record.fg, record.bg)
        else:
            self.c.write_information(record.MessageData,
                                     tuple(t for t in record.Tags if t != "PSHOST"))

    def progress(self, record: Any) -> None:
        self.c.write_progress(record)


@register
class InvokeCommand(_RemoteCmdlet):
    name = "Invoke-Command"
    synopsis = "Runs a script block on remote computers (or PSSessions) and returns the results."
    # parameters this class rebinds after binding (declared for the type checker only)
    ScriptBlock: Any
    ComputerName: Any
    # `Invoke-Command { .. }` and `Invoke-Command server01 { .. }` both work: the first
    # positional argument is taken as the script block, and swapped when it is the computer.
    params = (Param("ComputerName", "object", position=1, aliases=("Cn", "HostName")),) + \
        _CONNECT_PARAMS[1:] + (
        Param("ScriptBlock", "object", position=0, aliases=("Command",)),
        Param("Session", "object[]"),
        Param("FilePath", "string"),
        Param("ArgumentList", "object[]", aliases=("Args",)),
        Param("InputObject", "object", pipeline=True),
        Param("AsJob", "switch"),
        Param("JobName", "string"),
        Param("ThrottleLimit", "int", default=32),
        Param("HideComputerName", "switch", aliases=("HCN",)),
        Param("NoNewScope", "switch"),
        Param("InDisconnectedSession", "switch", aliases=("Disconnected",)),
        Param("SessionName", "string[]"),
    ) + _IDLE_PARAMS

    def run(self, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
        # pipeline input is collected and sent along with the script (as $input)
        self._input: List[Any] = []
        self._has_input = False
        if upstream is not None:
            self._has_input = True
            self._input.extend(upstream)
        elif self.is_bound("InputObject"):
            self._has_input = True
            self._input.extend(enumerate_value(self.InputObject))
        return self.end()

    def end(self) -> Iterator[Any]:
        self._fix_positionals()
        script, command = self._script()
        args = [] if self.ArgumentList is None else list(enumerate_value(self.ArgumentList))
        data = self._input if self._has_input else None
        sessions = self._sessions()
        targets = self.targets()
        if not sessions and not targets:
            if self.AsJob or self.JobName:
                raise self.terminate("-AsJob needs -ComputerName or -Session.", "AsJobNeedsTarget",
                                     "InvalidArgument")
            block = self.ScriptBlock if self.ScriptBlock is not None else \
                self.runspace.compile(script, self._source)
            yield from self.invoke_iter(block, *args, input=data, new_scope=not self.NoNewScope)
            return
        using = self._using()
        if self.InDisconnectedSession:
            yield from self._in_disconnected(sessions, targets, script, args, using, data)
            return
        # output redirected to a file: a remote native command's output crosses as raw bytes
        # (from one computer only: chunks of several would interleave in the middle of lines)
        bytes_ok = getattr(self.ctx.streams, "bytes_ok", None) if self.ctx is not None else None
        self._raw = bool(bytes_ok is not None and not (self.AsJob or self.JobName)
                         and len(sessions) + len(targets) == 1 and bytes_ok())
        work = [_Work(self, s, None, script, args, using, data) for s in sessions] + \
               [_Work(self, None, t, script, args, using, data) for t in targets]
        self._work = work
        if self.AsJob or self.JobName:
            yield self._start_job(work, command)
            return
        if len(work) == 1:
            yield from work[0].run_here(_CmdletStreams(self))
            return
        yield from self._fan_out(work)

    def _in_disconnected(self, sessions: List[PSSession], targets: List[_Target], script: str,
                         args: List[Any], using: Dict[str, Any], data: Optional[List[Any]]
                         ) -> Iterator[Any]:
        """-InDisconnectedSession: start the command, disconnect at once, return the sessions
        (Receive-PSSession gets the output later, from this shell or another)."""
        if self.AsJob or self.JobName:
            raise self.terminate("-InDisconnectedSession and -AsJob cannot be used together.",
                                 "AmbiguousParameterSet", "InvalidArgument")
        names = list(self.SessionName or ())
        idle = _idle_timeout(self)
        prompt = _prompt_function(self)
        opened = _parallel(targets, lambda t, i: open_session(
            t, prompt, names[i] if i < len(names) else None, self._timeout(), idle),
            self.ThrottleLimit or 32)
        table = self.table()
        chosen: List[PSSession] = list(sessions)
        for target, (session, error) in zip(targets, opened):
            if error is not None:
                self.write_error(error.record if isinstance(error, RuntimeException)
                                 else self.error_record(str(error), "PSSessionOpenFailed",
                                                        "OpenError", target.host))
                continue
            table.append(session)
            chosen.append(session)
        for session in chosen:
            if not session.persistent:
                self.write_error(f"[{session.ComputerName}] The session {session.Name} cannot be "
                                 f"disconnected ({session.Transport} sessions end with their "
                                 f"connection).", "CannotDisconnect", "InvalidOperation", session)
                continue
            try:
                inv = session.connection.start(session.runspace.id, script, args, using, data,
                                               None, self._source)
                session.interrupted[inv.id] = {"q": 0}
                session.disconnect(idle)
            except Exception as exc:
                self.write_error(_remote_error(session.ComputerName, f"{exc}").record)
                continue
            yield session

    def stop(self) -> None:
        """Ctrl-C: stop the remote work too (not for -AsJob: the job lives on)."""
        if self.AsJob or self.JobName:
            return
        for item in list(getattr(self, "_work", ())):
            item.stop()

    # ---- inputs --------------------------------------------------------------------------
    def _fix_positionals(self) -> None:
        block, computers = self.ScriptBlock, self.ComputerName
        if block is not None and not _is_block(block) and _is_block(computers):
            self.ScriptBlock, self.ComputerName = computers, block
        if self.ComputerName is not None:
            self.ComputerName = [to_str(c) for c in enumerate_value(self.ComputerName)]
        if self.ScriptBlock is not None and not _is_block(self.ScriptBlock):
            raise self.terminate(f"Cannot convert '{to_str(self.ScriptBlock)}' to a script block: "
                                 f"pass the commands in braces, {{ ... }}.", "NotAScriptBlock",
                                 "InvalidArgument", self.ScriptBlock)

    def _script(self) -> Tuple[str, str]:
        self._source = "<remote>"
        if self.FilePath is not None:
            path = self.resolve_path(to_str(self.FilePath))
            try:
                with open(path, encoding="utf-8-sig") as fh:
                    text = fh.read()
            except OSError as exc:
                raise self.terminate(f"Cannot read the script file '{path}': "
                                     f"{exc.strerror or exc}.", "FileOpenFailure", "ReadError",
                                     path) from None
            self._source = path
            return text, text
        if self.ScriptBlock is None:
            raise self.terminate("Specify the commands to run with -ScriptBlock, or a script "
                                 "file with -FilePath.", "MissingScriptBlock", "InvalidArgument")
        from pshell.engine.jobs import command_text
        text = command_text(self.ScriptBlock)
        return text, text

    def _using(self) -> Dict[str, Any]:
        block = self.ScriptBlock
        names = getattr(block, "using_names", None)
        if block is None or names is None or not names():
            return {}
        frame = getattr(self.ctx, "frame", None)
        return block.using_values(frame) if frame is not None else {}

    def _sessions(self) -> List[PSSession]:
        found = []
        for value in enumerate_value(self.Session) if self.Session is not None else ():
            if not isinstance(value, PSSession):
                raise self.terminate(f"'{to_str(value)}' is not a PSSession; -Session takes "
                                     f"what New-PSSession returns.", "NotASession",
                                     "InvalidArgument", value)
            if not value.connected:
                self.write_error(f"[{value.ComputerName}] {_not_connected_message(value)}",
                                 "InvalidSessionState", "InvalidOperation", value)
                continue
            found.append(value)
        return found

    # ---- fan-out -----------------------------------------------------------------------
    def _fan_out(self, work: List["_Work"]) -> Iterator[Any]:
        import queue
        events: "queue.Queue[Any]" = queue.Queue()
        gate = threading.Semaphore(max(1, self.ThrottleLimit or 32))
        remaining = len(work)
        failed = 0
        streams = _CmdletStreams(self)
        show_progress = len(work) > 1 and to_str(
            self.runspace.get_variable("ProgressPreference", "Continue")).lower() != \
            "silentlycontinue"

        def run(item: "_Work") -> None:
            with gate:
                item.run_queued(events.put)

        for item in work:
            threading.Thread(target=run, args=(item,), daemon=True).start()
        try:
            while remaining:
                event = events.get()
                kind = event[0]
                if kind == "out":
                    yield event[1]
                elif kind == "rec":
                    getattr(streams, event[1])(event[2])
                elif kind == "end":
                    remaining -= 1
                    if event[2] is not None:
                        failed += 1
                        self.ctx.write_error(event[2])
                    if show_progress:
                        self._progress(len(work), remaining, failed)
        finally:
            for item in work:
                item.stop()
            if show_progress:
                from pshell.engine.streams import ProgressRecord
                self.write_progress(ProgressRecord("Invoke-Command", "done", 100, completed=True))

    def _progress(self, total: int, remaining: int, failed: int) -> None:
        from pshell.engine.streams import ProgressRecord
        done = total - remaining
        self.write_progress(ProgressRecord(
            "Invoke-Command", f"{done - failed} done, {failed} failed, {remaining} running",
            int(done * 100 / total)))

    # ---- -AsJob ------------------------------------------------------------------------
    def _start_job(self, work: List["_Work"], command: str) -> Any:
        from pshell.engine.jobs import Job, JobState
        parent = Job(command=command, name=self.JobName, type_name="RemoteJob")
        gate = threading.Semaphore(max(1, self.ThrottleLimit or 32))
        children = []
        for item in work:
            child = Job(command=command, location=item.computer, type_name="RemoteJob")
            child.stop_handler = item.stop
            parent.add_child(child)
            children.append((child, item))
        self.runspace.jobs.add(parent)
        for child, item in children:
            child.set_state(JobState.Running)
            threading.Thread(target=_run_child, args=(child, item, gate), daemon=True,
                             name=f"pshell-remote-job-{child.Id}").start()
        return parent


def _is_block(value: Any) -> bool:
    return type(value).__name__ == "ScriptBlock"


def _run_child(child: Any, item: "_Work", gate: Any) -> None:
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


class _Work:
    """Running one script on one computer: through an open session, or a temporary connection
    opened for it and closed afterwards (a Start-Job inside it is cancelled with it).

    When the connection drops, the remote command goes on (its session is Disconnected on the
    remote computer).  An ``-AsJob`` child then goes Disconnected and reconnects with backoff for
    ``$PSSessionReconnectSeconds`` (default 180), resuming the output where it stopped; without
    -AsJob the error says how to pick the output up (Connect-PSSession, Receive-PSSession)."""

    def __init__(self, cmdlet: InvokeCommand, session: Optional[PSSession],
                 target: Optional[_Target], script: str, args: List[Any],
                 using: Dict[str, Any], data: Optional[List[Any]]) -> None:
        self.cmdlet = cmdlet
        self.session = session
        self.target = target
        self.script = script
        self.args = args
        self.using = using
        self.data = data
        self.computer = session.ComputerName if session is not None else target.host  # type: ignore
        self.hide = bool(cmdlet.HideComputerName)
        self.prompt = _prompt_function(cmdlet)
        self.timeout = cmdlet._timeout()
        self.idle = _idle_timeout(cmdlet)
        self.session_name = getattr(cmdlet, "_session_name", None)
        self.reconnect_seconds = _reconnect_seconds(cmdlet.runspace)
        self.source = getattr(cmdlet, "_source", "<remote>")
        self.raw = bool(getattr(cmdlet, "_raw", False))
        self._inv: Any = None
        self._temp: Optional[PSSession] = None
        self.stopped = False
        self._lock = threading.Lock()
        self._stop_event = threading.Event()

    def _open(self) -> PSSession:
        if self.session is not None:
            if not self.session.connected:
                raise _remote_error(self.computer, _not_connected_message(self.session))
            return self.session
        assert self.target is not None
        session = open_session(self.target, self.prompt, self.session_name, self.timeout,
                               self.idle)
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

    def _start(self, session: PSSession, streams: Any) -> Any:
        session.busy += 1
        inv = session.connection.start(session.runspace.id, self.script, self.args, self.using,
                                       self.data, streams, self.source,
                                       None if self.hide else self.computer, raw=self.raw)
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
        if session is not None and session.persistent:
            text += (f". The command goes on there, in session {session.Name}: "
                     f"Connect-PSSession -ComputerName {self.computer} -Name {session.Name}, then "
                     f"Receive-PSSession, get its output")
        return _remote_error(self.computer, text)

    def run_here(self, streams: Any) -> Iterator[Any]:
        """In the pipeline's thread (one computer): stream the output as it comes."""
        from pshell.remote.client import ConnectionBroken
        session = self._open()
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
        from pshell.remote.client import ConnectionBroken
        error = None
        session = None
        try:
            session = self._open()
            inv = self._start(session, _QueueStreams(put))
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
                error = _remote_error(self.computer, f"{type(exc).__name__}: {exc}").record
        finally:
            if session is not None:
                self._finish(session)
            self._close()
            put(("end", self.computer, error))

    def run_into_job(self, job: Any) -> Optional[Any]:
        """For -AsJob: results go into the child job's buffers; returns the failure, if any.
        A dropped connection makes the job Disconnected while it reconnects."""
        from pshell.remote.client import ConnectionBroken
        session = None
        try:
            session = self._open()
            inv = self._start(session, _JobSink(job))
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
            return _remote_error(self.computer, f"{type(exc).__name__}: {exc}").record
        finally:
            if session is not None:
                self._finish(session)
            self._close()

    def _reconnect(self, session: PSSession, inv: Any, job: Any, reason: str) -> Optional[Any]:
        """Disconnected: try again with backoff until it works, the time is up, or it can't."""
        import time
        from pshell.engine.jobs import JobState
        from pshell.remote.client import ConnectionBroken, SessionRefused
        if getattr(session.connection, "session_ended", False):
            return _remote_error(self.computer, f"The command failed: {reason}.").record
        job.StatusMessage = f"Disconnected ({reason}); reconnecting"
        job.set_state(JobState.Disconnected)
        deadline = time.monotonic() + self.reconnect_seconds
        delay = 0.25
        last = reason
        while True:
            if self.stopped:
                return self._stop_there(session, inv)
            if session.State == "Closed":
                return _remote_error(self.computer, f"The session {session.Name} was removed "
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
                return _remote_error(self.computer, f"The connection to {self.computer} was lost "
                                     f"({reason}) and the session cannot be reconnected: {exc}"
                                     ).record
            except (RuntimeException, ConnectionBroken) as exc:
                last = exc.record.message if isinstance(exc, RuntimeException) else str(exc)
            if time.monotonic() + delay > deadline:
                return _remote_error(self.computer, f"The connection to {self.computer} was lost "
                                     f"({reason}) and could not be re-established within "
                                     f"{self.reconnect_seconds:g} seconds: {last}").record
            self._stop_event.wait(delay)
            delay = min(delay * 2, 5.0)
        if inv.id in lost:
            return _remote_error(self.computer, f"The pshell host process on {self.computer} "
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
        from pshell.remote.client import ConnectionBroken, SessionRefused
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


def _reconnect_seconds(runspace: Any) -> float:
    value = None
    try:
        value = runspace.get_variable("PSSessionReconnectSeconds")
    except Exception:
        pass
    try:
        return float(value) if value is not None else 180.0
    except (TypeError, ValueError):
        return 180.0


def _idle_timeout(cmdlet: Any) -> Optional[float]:
    """-IdleTimeoutSec, else -SessionOption's IdleTimeout, else $PSSessionOption's."""
    value = getattr(cmdlet, "IdleTimeoutSec", None)
    if value is not None:
        return _seconds(value)
    option = getattr(cmdlet, "SessionOption", None)
    if option is None:
        try:
            option = cmdlet.runspace.get_variable("PSSessionOption")
        except Exception:
            option = None
    if option is not None:
        idle = get_property(option, "IdleTimeout", None)
        if idle is not None:
            seconds = _seconds(idle, milliseconds=True)
            if seconds is not None and seconds > 0:
                return seconds
    return None


def _seconds(value: Any, milliseconds: bool = False) -> Optional[float]:
    import datetime as _dt
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number / 1000.0 if milliseconds else number


def _not_connected_message(session: PSSession) -> str:
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


# --------------------------------------------------------------------------- Enter/Exit-PSSession

@register
class EnterPSSession(_RemoteCmdlet):
    name = "Enter-PSSession"
    synopsis = "Starts an interactive session with a remote computer: statements run there."
    ComputerName: Any       # rebound by targets() (declared for the type checker only)
    params = _CONNECT_PARAMS[1:] + (
        Param("ComputerName", "string", position=0, aliases=("Cn", "HostName")),
        Param("Session", "object"),
        Param("Id", "int"),
        Param("Name", "string"),
        Param("InstanceId", "string"),
    )

    def targets(self) -> List[_Target]:
        computer = self.ComputerName
        self.ComputerName = [computer] if computer else None
        try:
            return super().targets()
        finally:
            self.ComputerName = computer

    def process(self) -> None:
        stack = _session_stack(self.runspace)
        if stack is None:
            raise self.terminate("Enter-PSSession needs an interactive shell (a REPL, a script "
                                 "or piped commands); it cannot run inside a job or a remote "
                                 "session.", "NoSessionStack", "InvalidOperation")
        session, close_on_exit = self._session()
        from pshell.remote.frame import RemoteFrame

        def on_exit(frame: Any, reason: str) -> None:
            _pop_frame(stack, frame)
            if reason:
                host = getattr(self.runspace, "host", None)
                record = ErrorRecord(reason, "PSSessionLost", "ConnectionError",
                                     session.ComputerName)
                if host is not None and hasattr(host, "error"):
                    host.error(record)

        frame = RemoteFrame(session, self.runspace.host, on_exit, close_on_exit)
        session.connection.on_lost.append(
            lambda reason: _lost_while_entered(frame, session, reason))
        _push_frame(stack, frame)

    def _session(self) -> Tuple[PSSession, bool]:
        table = self.table()
        if self.Session is not None:
            session = self.Session
            if isinstance(session, list) and len(session) == 1:
                session = session[0]
            if not isinstance(session, PSSession):
                raise self.terminate("-Session takes a PSSession (what New-PSSession returns).",
                                     "NotASession", "InvalidArgument", session)
        elif self.Id is not None or self.Name is not None or self.InstanceId is not None:
            found = [s for s in table if (self.Id is None or s.Id == self.Id)
                     and (self.Name is None or s.Name.lower() == self.Name.lower())
                     and (self.InstanceId is None or s.InstanceId == self.InstanceId)]
            if not found:
                what = f"Id {self.Id}" if self.Id is not None else f"name '{self.Name}'"
                raise self.terminate(f"Cannot find a PSSession with {what}.", "NoSessionFound",
                                     "ObjectNotFound")
            session = found[0]
        else:
            targets = self.targets()
            if not targets:
                raise self.terminate("Specify a computer (-ComputerName), a -Session, -Id or "
                                     "-Name.", "MissingComputerName", "InvalidArgument")
            return open_session(targets[0], _prompt_function(self), None, self._timeout()), True
        if session.State == "Disconnected" or (session.State == "Opened"
                                               and not session.connected):
            self._offer_reconnect(session)
        if session.State != "Opened":
            raise self.terminate(f"The session {session.Name} to {session.ComputerName} is "
                                 f"{session.State.lower()}.", "InvalidSessionState",
                                 "InvalidOperation", session)
        return session, False

    def _offer_reconnect(self, session: PSSession) -> None:
        """A session whose connection dropped (or that was disconnected): on a terminal, ask;
        without one, reconnect at once (saying so) - the user asked to enter it after all."""
        from pshell.remote.client import SessionRefused
        host = getattr(self.runspace, "host", None)
        where = f"The session {session.Name} to {session.ComputerName} is disconnected"
        if host is not None and getattr(host, "is_terminal", False) and \
                getattr(host, "read_line", None) is not None:
            try:
                answer = host.read_line(f"{where}. Reconnect? [Y] Yes  [N] No (default is Y): ")
            except (EOFError, KeyboardInterrupt):
                answer = "n"
            if to_str(answer).strip().lower() not in ("", "y", "yes"):
                raise self.terminate(f"{where}; not reconnected.", "InvalidSessionState",
                                     "InvalidOperation", session)
        else:
            self.write_warning(f"{where}; reconnecting.")
        try:
            session.reconnect(prompt=_prompt_function(self), timeout=self._timeout())
        except SessionRefused as exc:
            raise self.terminate(f"Cannot reconnect the session {session.Name}: {exc}",
                                 "ReconnectFailed", "ResourceUnavailable", session) from None
        except RuntimeException as exc:
            raise self.terminate(exc.record.message, "ReconnectFailed", "ConnectionError",
                                 session) from None
        table = self.table()
        if session not in table:
            table.append(session)


def _lost_while_entered(frame: Any, session: PSSession, reason: str) -> None:
    if not frame.exited and session.State != "Closed" and not session._disconnected:
        text = f"The connection to {session.ComputerName} was lost: {reason}. "
        if session.persistent and not getattr(session.connection, "session_ended", False):
            text += (f"The session {session.Name} goes on there; Connect-PSSession "
                     f"-ComputerName {session.ComputerName} -Name {session.Name} reconnects. ")
        frame.leave(text + "Back in the local session.")


@register
class ExitPSSession(Cmdlet):
    name = "Exit-PSSession"
    synopsis = "Ends the interactive session with a remote computer."
    params = ()

    def process(self) -> None:
        from pshell.engine.errors import ExitException
        if self.runspace.get_variable("PSSenderInfo") is not None:
            raise ExitException(0)      # we are the remote end: the client pops its frame
        stack = _session_stack(self.runspace)
        top = _top_frame(stack) if stack is not None else None
        if top is not None and getattr(top, "is_remote", False):
            top.leave("")


def _session_stack(runspace: Any) -> Any:
    host = getattr(runspace, "host", None)
    for owner in (getattr(runspace, "shell", None), getattr(host, "session_stack", None),
                  getattr(host, "stack", None)):
        if owner is not None:
            return getattr(owner, "session_stack", owner)
    return None


def _push_frame(stack: Any, frame: Any) -> None:
    push = getattr(stack, "push", None)
    if push is None:
        raise RuntimeException.make("the shell has no session stack to push a remote frame on")
    push(frame)


def _pop_frame(stack: Any, frame: Any) -> None:
    pop = getattr(stack, "pop", None)
    if pop is None:
        return
    try:
        pop(frame)
    except TypeError:
        if _top_frame(stack) is frame:
            pop()


def _top_frame(stack: Any) -> Any:
    top = getattr(stack, "top", None)
    if callable(top):
        return top()
    if top is not None:
        return top
    frames = getattr(stack, "frames", None)
    return frames[-1] if frames else None


# --------------------------------------------------------------------------- Copy-Item

_CHUNK = 1 << 20


def _copy_with_session(cmdlet: Any) -> Iterator[Any]:
    """Copy-Item -ToSession / -FromSession: files and directories (with -Recurse), permissions
    and modification times kept, progress shown on a terminal."""
    from pshell.remote.client import ConnectionBroken
    session = cmdlet.ToSession if cmdlet.ToSession is not None else cmdlet.FromSession
    if isinstance(session, list) and len(session) == 1:
        session = session[0]
    if not isinstance(session, PSSession) or session.State != "Opened":
        raise cmdlet.terminate("-ToSession/-FromSession takes an open PSSession.", "NotASession",
                               "InvalidArgument", session)
    sources = [to_str(p) for p in enumerate_value(cmdlet.Path or getattr(cmdlet, "LiteralPath", None))]
    destination = to_str(cmdlet.Destination) if cmdlet.Destination is not None else "."
    try:
        for source in sources:
            if cmdlet.ToSession is not None:
                _copy_up(cmdlet, session, cmdlet.resolve_path(source), destination)
            else:
                _copy_down(cmdlet, session, source, cmdlet.resolve_path(destination))
    except ConnectionBroken as exc:
        raise cmdlet.terminate(f"[{session.ComputerName}] The connection was lost: {exc}",
                               "PSSessionLost", "ConnectionError") from None
    return iter(())


def _copy_up(cmdlet: Any, session: PSSession, source: str, destination: str) -> None:
    import os
    rs = session.runspace
    if not os.path.exists(source):
        cmdlet.write_error(f"Cannot find path '{source}' because it does not exist.",
                           "PathNotFound", "ObjectNotFound", source)
        return
    if os.path.isdir(source) and not cmdlet.Recurse:
        cmdlet.write_error(f"'{source}' is a directory; use -Recurse to copy it.",
                           "DirectoryNeedsRecurse", "InvalidArgument", source)
        return
    target = rs.file_request("flist", path=destination)
    base = destination
    if target.get("kind") == "dir":
        base = target["path"].rstrip("/") + "/" + os.path.basename(source.rstrip("/"))
    items: List[Tuple[str, str]] = [(source, base)]
    if os.path.isdir(source):
        for top, dirs, files in os.walk(source):
            dirs.sort()
            for name in dirs + sorted(files):
                full = os.path.join(top, name)
                items.append((full, base + "/" + os.path.relpath(full, source)))
    total = sum(os.path.getsize(p) for p, _ in items if os.path.isfile(p)) or 1
    done = 0
    dir_times = []
    for local, remote in items:
        st = os.stat(local)
        if os.path.isdir(local):
            rs.file_request("fput", path=remote, kind="dir", mode=None, mtime=None)
            dir_times.append((remote, st))
            continue
        _send_file(rs, local, remote, st)
        done += st.st_size
        _copy_progress(cmdlet, session, local, done, total)
    for remote, st in reversed(dir_times):   # after their contents, or writing would change them
        rs.file_request("fput", path=remote, kind="dir", mode=st.st_mode & 0o7777,
                        mtime=st.st_mtime)
    _copy_progress(cmdlet, session, "", total, total, completed=True)


def _send_file(rs: Any, local: str, remote: str, st: Any) -> None:
    import base64
    with open(local, "rb") as fh:
        first = True
        while True:
            data = fh.read(_CHUNK)
            last = len(data) < _CHUNK
            rs.file_request("fput", path=remote, kind="file", append=not first,
                            data=base64.b64encode(data).decode("ascii"), last=last,
                            mode=st.st_mode & 0o7777 if last else None,
                            mtime=st.st_mtime if last else None)
            first = False
            if last:
                return


def _copy_down(cmdlet: Any, session: PSSession, source: str, destination: str) -> None:
    import base64
    import os
    rs = session.runspace
    listing = rs.file_request("flist", path=source, recurse=bool(cmdlet.Recurse))
    if listing.get("kind") is None:
        cmdlet.write_error(f"[{session.ComputerName}] Cannot find path '{listing['path']}' "
                           f"because it does not exist.", "PathNotFound", "ObjectNotFound",
                           source)
        return
    if listing["kind"] == "dir" and not cmdlet.Recurse:
        cmdlet.write_error(f"'{listing['path']}' is a directory; use -Recurse to copy it.",
                           "DirectoryNeedsRecurse", "InvalidArgument", source)
        return
    base = destination
    if os.path.isdir(destination):
        base = os.path.join(destination, os.path.basename(listing["path"].rstrip("/")))
    total = sum(e[4] for e in listing["entries"] if e[1] == "file") or 1
    done = 0
    dirs = []
    for rel, kind, mode, mtime, size in listing["entries"]:
        local = os.path.join(base, rel) if rel else base
        remote = listing["path"] + ("/" + rel if rel else "")
        if kind == "dir":
            os.makedirs(local, exist_ok=True)
            dirs.append((local, mode, mtime))
            continue
        with open(local, "wb") as fh:
            offset = 0
            while True:
                answer = rs.file_request("fread", path=remote, offset=offset, size=_CHUNK)
                fh.write(base64.b64decode(answer["data"]))
                offset += answer["n"]
                if answer["n"] < _CHUNK:
                    break
        os.chmod(local, mode)
        os.utime(local, (mtime, mtime))
        done += size
        _copy_progress(cmdlet, session, remote, done, total)
    for local, mode, mtime in reversed(dirs):
        os.chmod(local, mode)
        os.utime(local, (mtime, mtime))
    _copy_progress(cmdlet, session, "", total, total, completed=True)


def _copy_progress(cmdlet: Any, session: PSSession, name: str, done: int, total: int,
                   completed: bool = False) -> None:
    from pshell.engine.streams import ProgressRecord
    cmdlet.write_progress(ProgressRecord(f"Copy-Item ({session.ComputerName})", name or "done",
                                         min(100, int(done * 100 / total)), activity_id=7,
                                         completed=completed))
