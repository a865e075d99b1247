"""Sessions that outlive their connection: Disconnect-PSSession, Connect-PSSession,
Receive-PSSession, New-PSSessionOption.

Over SSH a session's runspace lives in the remote user's pshell host process (see
``pshell/remote/host.py``), so leaving it - on purpose, or because the connection dropped - does
not end it.  These cmdlets let go of it, pick it up again (from this shell or any other shell of
the same user), and collect the output of commands that ran while nobody was connected.
"""

from __future__ import annotations


from pshell.client.session import PSSession, attach_session
from pshell.client.session import Target as _Target, remote_error as _remote_error
from pshell.cmdlets.session import (_CmdletStreams, _checked_idle, _idle_timeout, _prompt_function,
                                    _RemoteCmdlet, _seconds, _CONNECT_PARAMS, _IDLE_PARAMS)
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.errors import RuntimeException
from pshell.engine.values import PSObject, enumerate_value, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional

__all__ = ["DisconnectPSSession", "ConnectPSSession", "ReceivePSSession", "NewPSSessionOption"]


class _SessionPicker(_RemoteCmdlet):
    """Choosing sessions: -Session objects, local -Id/-Name/-InstanceId, or, with
    -ComputerName, sessions found on the computers by -Name/-InstanceId."""

    def local_sessions(self) -> List[PSSession]:
        if self.Session is not None:
            chosen = []
            for value in enumerate_value(self.Session):
                if isinstance(value, PSSession):
                    chosen.append(value)
                else:
                    self.write_error(f"'{to_str(value)}' is not a PSSession; -Session takes what "
                                     f"New-PSSession or Get-PSSession returns.", "NotASession",
                                     "InvalidArgument", value)
            return chosen
        table = self.table()
        chosen = []
        for ident in self.Id or ():
            found = [s for s in table if s.Id == int(ident)]
            if not found:
                self._missing(f"Id {ident}", table)
            chosen.extend(found)
        for name in self.Name or ():
            found = [s for s in table if s.Name.lower() == to_str(name).lower()]
            if not found:
                self._missing(f"the name '{name}'", table)
            chosen.extend(found)
        for instance in self.InstanceId or ():
            found = [s for s in table if s.InstanceId == to_str(instance)]
            if not found:
                self._missing(f"InstanceId {instance}", table)
            chosen.extend(found)
        return chosen

    def _missing(self, what: str, table: List[PSSession]) -> None:
        known = ", ".join(f"{s.Name} ({s.ComputerName}, {s.State})" for s in table) or "none"
        self.write_error(f"Cannot find a PSSession with {what} in this shell. Sessions here: "
                         f"{known}. Use -ComputerName to look for sessions on a computer.",
                         "NoSessionFound", "ObjectNotFound", what)


def _buffering_mode(value: Any) -> str:
    """-OutputBufferingMode: Block or Drop (unique prefixes, any case).  pshell keeps every
    record either way: a full output buffer pauses the command (Block) - Drop is accepted and
    keeps the output too, since nothing is lost silently here."""
    text = to_str(value).strip()
    for mode in ("Block", "Drop", "None"):
        if text and mode.lower().startswith(text.lower()):
            return mode
    raise ValueError(f'Cannot convert value "{text}" to type "OutputBufferingMode": '
                     f'the valid values are "Block", "Drop" and "None".')


def _out_target(value: Any) -> str:
    text = to_str(value).strip()
    for target in ("Default", "Host", "Job"):
        if text and target.lower().startswith(text.lower()):
            return target
    raise ValueError(f'Cannot convert value "{text}" to type "OutTarget": the valid values are '
                     f'"Default", "Host" and "Job".')


# --------------------------------------------------------------------------- Disconnect-PSSession

@register
class DisconnectPSSession(_SessionPicker):
    name = "Disconnect-PSSession"
    synopsis = ("Disconnects from sessions: their runspaces and jobs go on on the remote "
                "computer until Connect-PSSession picks them up (or the idle timeout ends them).")
    params = (
        Param("Session", "object[]", position=0, pipeline=True),
        Param("Id", "int[]"),
        Param("Name", "string[]"),
        Param("InstanceId", "string[]"),
        Param("ThrottleLimit", "int", default=32),
        Param("OutputBufferingMode", _buffering_mode),
    ) + _IDLE_PARAMS

    def process(self) -> Iterator[Any]:
        idle = _idle_timeout(self)
        for session in self.local_sessions():
            if session.State == "Disconnected":
                yield session
                continue
            if not session.connected:
                self.write_error(f"The session {session.Name} to {session.ComputerName} is "
                                 f"{session.State.lower()} and cannot be disconnected.",
                                 "InvalidSessionState", "InvalidOperation", session)
                continue
            try:
                session.disconnect(idle)
            except RuntimeException as exc:
                self.write_error(exc.record)
                continue
            yield session


# --------------------------------------------------------------------------- Connect-PSSession

_PICK_PARAMS = (
    Param("Session", "object[]", position=0, pipeline=True),
    Param("Id", "int[]"),
    Param("Name", "string[]"),
    Param("InstanceId", "string[]"),
    Param("Force", "switch"),
    # a New-PSSessionOption: its OutputBufferingMode is accepted (every record is kept either
    # way here); its IdleTimeout does not change the session's, as in PowerShell
    Param("SessionOption", "object"),
)


class _Connecting(_SessionPicker):
    """Connect-PSSession and Receive-PSSession: get connected sessions for what was asked."""

    def connected_sessions(self) -> Iterator[PSSession]:
        if self.ComputerName is not None or self.SSHConnection is not None:
            yield from self._from_computers()
            return
        if self.Session is None and self.Id is None and self.Name is None \
                and self.InstanceId is None:
            raise self.terminate("Specify the sessions: -Session, -Id, -Name or -InstanceId, or "
                                 "-ComputerName with -Name or -InstanceId.", "MissingSession",
                                 "InvalidArgument")
        for session in self.local_sessions():
            if self._reconnect(session):
                yield session

    def _reconnect(self, session: PSSession) -> bool:
        from pshell.remote.client import SessionRefused
        if session.connected:
            return True
        if session.State == "Closed":
            self.write_error(f"The session {session.Name} to {session.ComputerName} was removed.",
                             "InvalidSessionState", "InvalidOperation", session)
            return False
        try:
            session.reconnect(force=bool(self.Force), prompt=_prompt_function(self),
                              timeout=self._timeout())
        except SessionRefused as exc:
            self.write_error(_remote_error(session.ComputerName, str(exc)).record)
            return False
        except RuntimeException as exc:
            self.write_error(exc.record)
            return False
        table = self.table()
        if session not in table:
            table.append(session)
        return True

    def _from_computers(self) -> Iterator[PSSession]:
        keys = [to_str(n) for n in enumerate_value(self.Name)] if self.Name is not None else []
        keys += [to_str(i) for i in enumerate_value(self.InstanceId)] \
            if self.InstanceId is not None else []
        if not keys:
            raise self.terminate("With -ComputerName, say which session: -Name or -InstanceId "
                                 "(Get-PSSession -ComputerName lists them).", "MissingSession",
                                 "InvalidArgument")
        table = self.table()
        prompt = _prompt_function(self)
        for target in self.targets():
            for key in keys:
                mine = [s for s in table if s.ComputerName.lower() == target.host.lower()
                        and key.lower() in (s.Name.lower(), s.InstanceId.lower())]
                if mine:
                    if self._reconnect(mine[0]):
                        yield mine[0]
                    continue
                try:
                    session = attach_session(target, key, prompt, bool(self.Force),
                                             self._timeout())
                except RuntimeException as exc:
                    self.write_error(exc.record)
                    continue
                table.append(session)
                yield session


@register
class ConnectPSSession(_Connecting):
    name = "Connect-PSSession"
    synopsis = ("Reconnects to disconnected sessions - this shell's, or, with -ComputerName, any "
                "session of the user on those computers.")
    params = _PICK_PARAMS + _CONNECT_PARAMS[1:] + (
        Param("ComputerName", "string[]", aliases=("Cn", "HostName")),
        Param("ThrottleLimit", "int", default=32),
    )

    def process(self) -> Iterator[Any]:
        yield from self.connected_sessions()


# --------------------------------------------------------------------------- Receive-PSSession

@register
class ReceivePSSession(_Connecting):
    name = "Receive-PSSession"
    synopsis = ("Gets the output of commands that ran in a session while it was disconnected "
                "(Invoke-Command -InDisconnectedSession, or an interrupted command), connecting "
                "to the session first if needed.")
    params = _PICK_PARAMS + _CONNECT_PARAMS[1:] + (
        Param("ComputerName", "string[]", aliases=("Cn", "HostName")),
        Param("HideComputerName", "switch", aliases=("HCN",)),
        Param("OutTarget", _out_target),
        Param("JobName", "string"),
    )

    def process(self) -> Iterator[Any]:
        if self.OutTarget == "Job" or (self.JobName and self.OutTarget is None):
            yield from self._as_job()
            return
        yield from self._to_host()

    def _as_job(self) -> Iterator[Any]:
        """-OutTarget Job: the output comes into a local job (Receive-Job), one child per
        session, while this returns at once."""
        import threading
        from pshell.engine.jobs import Job, JobState
        from pshell.remote.invocation import ConnectionBroken
        sessions = list(self.connected_sessions())
        if not sessions:
            return
        parent = Job(command="", name=self.JobName or None, type_name="RemoteJob")
        feeds = []
        for session in sessions:
            try:
                invocations = session.connection.receive_pending(self._timeout())
            except ConnectionBroken as exc:
                self.write_error(_remote_error(session.ComputerName, f"The connection to "
                                               f"{session.ComputerName} was lost: {exc}").record)
                continue
            child = Job(command="", location=session.ComputerName)     # a child: no type name
            parent.add_child(child)
            feeds.append((session, child, invocations))
        if not feeds:
            return
        self.runspace.jobs.add(parent)
        hide = bool(self.HideComputerName)

        def feed(session: PSSession, child: Any, invocations: List[Any]) -> None:
            from pshell.client.invoke import _JobSink
            child.stop_handler = lambda: [inv.stop() for inv in invocations]
            error = None
            for inv in invocations:
                inv.streams = _JobSink(child)
                inv.computer_name = None if hide else session.ComputerName
                try:
                    for item in inv:
                        child.add_output(item)
                except RuntimeException as exc:
                    error = exc.record
                except ConnectionBroken as exc:
                    error = _remote_error(session.ComputerName, f"The connection to "
                                          f"{session.ComputerName} was lost: {exc}").record
                    break
                session.interrupted.pop(inv.id, None)
            if error is not None:
                child.add_record("error", error)
                child.set_state(JobState.Failed, error)
            else:
                child.set_state(JobState.Completed)

        for session, child, invocations in feeds:
            child.set_state(JobState.Running)
            threading.Thread(target=feed, args=(session, child, invocations), daemon=True,
                             name=f"pshell-receive-{child.Id}").start()
        yield parent

    def _to_host(self) -> Iterator[Any]:
        from pshell.remote.invocation import ConnectionBroken
        streams = _CmdletStreams(self)
        for session in list(self.connected_sessions()):
            try:
                invocations = session.connection.receive_pending(self._timeout())
            except ConnectionBroken as exc:
                self.write_error(_remote_error(session.ComputerName, f"The connection to "
                                               f"{session.ComputerName} was lost: {exc}").record)
                continue
            for inv in invocations:
                inv.streams = streams
                inv.computer_name = None if self.HideComputerName else session.ComputerName
                self._current = inv
                try:
                    yield from inv
                except RuntimeException as exc:
                    self.write_error(exc.record)
                except ConnectionBroken as exc:
                    session.interrupted[inv.id] = inv.progress()
                    self.write_error(_remote_error(session.ComputerName, f"The connection to "
                                                   f"{session.ComputerName} was lost: {exc}"
                                                   ).record)
                    break
                finally:
                    self._current = None
                session.interrupted.pop(inv.id, None)

    def stop(self) -> None:
        inv = getattr(self, "_current", None)
        if inv is not None:
            inv.stop()


# --------------------------------------------------------------------------- New-PSSessionOption

class PSSessionOption:
    """Options for new sessions (``-SessionOption``, ``$PSSessionOption``)."""

    ps_type_names = ("System.Management.Automation.Remoting.PSSessionOption",)
    ps_properties = ("IdleTimeout", "OpenTimeout", "OutputBufferingMode")

    def __init__(self, idle: Optional[Any], open_timeout: Optional[Any],
                 buffering: str = "Block") -> None:
        import datetime as _dt
        seconds = _seconds(idle, milliseconds=True) if idle is not None else None
        self.IdleTimeout = _dt.timedelta(seconds=seconds if seconds is not None else 24 * 3600)
        open_seconds = _seconds(open_timeout, milliseconds=True) if open_timeout else 120.0
        self.OpenTimeout = _dt.timedelta(seconds=open_seconds or 120.0)
        self.OutputBufferingMode = buffering


@register
class NewPSSessionOption(Cmdlet):
    name = "New-PSSessionOption"
    synopsis = ("Creates options for new sessions: -IdleTimeout (milliseconds, or a TimeSpan) is "
                "how long a disconnected session is kept on its computer.")
    params = (
        Param("IdleTimeout", "object", aliases=("IdleTimeoutMSec",)),
        Param("OpenTimeout", "object", aliases=("OpenTimeoutMSec",)),
        Param("OutputBufferingMode", _buffering_mode),
    )

    def process(self) -> Iterator[Any]:
        if self.IdleTimeout is not None and _seconds(self.IdleTimeout, milliseconds=True) is None:
            raise self.terminate(f"Cannot convert '{to_str(self.IdleTimeout)}' to a time-out: "
                                 f"give milliseconds or a TimeSpan.", "BadIdleTimeout",
                                 "InvalidArgument", self.IdleTimeout)
        if self.IdleTimeout is not None:
            _checked_idle(self, self.IdleTimeout, "IdleTimeout", milliseconds=True)
        yield PSSessionOption(self.IdleTimeout, self.OpenTimeout,
                              self.OutputBufferingMode or "Block")


_unused = (PSObject, _Target)
