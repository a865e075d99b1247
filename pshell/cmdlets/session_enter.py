"""Enter-PSSession and Exit-PSSession: statements typed at the prompt, in a script or on piped stdin
run on the remote computer until Exit-PSSession (a RemoteFrame on the shell's session stack)."""

from __future__ import annotations


from pshell.client.session import PSSession, open_session
from pshell.client.session import Target as _Target
from pshell.cmdlets.session import _CONNECT_PARAMS, _RemoteCmdlet, _prompt_function
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.errors import ErrorRecord, RuntimeException
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Tuple

__all__ = ["EnterPSSession", "ExitPSSession"]


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
