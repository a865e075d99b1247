"""New/Get/Remove-PSSession and Get-Credential: the PSSession table's cmdlets, apart from
Invoke-Command (session.py), so that a fan-out does not make their classes (each class is
~100,000 instructions in CPython 3.11; see docs/design.md on the client's start-up)."""

from __future__ import annotations

from pshell.client.session import PSSession, list_sessions, remote_session_object
from pshell.client.session import Target as _Target
from pshell.cmdlets.session import _IDLE_PARAMS, _CONNECT_PARAMS, _RemoteCmdlet, \
    _prompt_function
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.credentials import PSCredential, SecureString
from pshell.engine.errors import RuntimeException
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.values import enumerate_value, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List


# --------------------------------------------------------------------------- New-PSSession

@register
class NewPSSession(_RemoteCmdlet):
    name = "New-PSSession"
    synopsis = "Opens persistent connections (PSSessions) to remote computers over SSH."
    # computer names come from the pipeline too (Get-Content servers.txt | New-PSSession);
    # -Session opens a new session to the computer of each given one, the same way
    params = (Param("ComputerName", "string[]", position=0, aliases=("Cn", "HostName"),
                    pipeline=True, by_property=True),) + _CONNECT_PARAMS[1:] + _IDLE_PARAMS + (
        Param("Session", "object[]"),
        Param("Name", "string[]"),
        Param("ThrottleLimit", "int", default=32),
    )
    default_set = "ComputerName"

    def targets(self) -> List[_Target]:
        targets = super().targets()
        for value in enumerate_value(self.Session) if self.Session is not None else ():
            if not isinstance(value, PSSession) or value.target is None:
                raise self.terminate(f"'{to_str(value)}' is not a PSSession; -Session takes what "
                                     f"New-PSSession or Get-PSSession returns.", "NotASession",
                                     "InvalidArgument", value)
            targets.append(value.target)
        return targets

    def process(self) -> Iterator[Any]:
        targets = self.targets()
        if not targets and self.Session is None:
            self.ComputerName = ["localhost"]       # as PowerShell: the local computer
            targets = self.targets()
        if not targets:
            raise self.terminate("Specify the computers to connect to with -ComputerName (or "
                                 "-HostName, or -SSHConnection).", "MissingComputerName",
                                 "InvalidArgument")
        yield from self.open_sessions(targets, list(self.Name or ()))




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




@register
class RemovePSSession(_RemoteCmdlet):
    name = "Remove-PSSession"
    synopsis = "Closes PSSessions: their remote runspaces end, with their jobs."
    # one way to choose per call, as PowerShell's parameter sets (-ComputerName with -Id is refused)
    params = (
        Param("Session", "object[]", position=0, pipeline=True, sets=("Session",)),
        Param("Id", "int[]", sets=("Id",)),
        Param("Name", "string[]", sets=("Name",)),
        Param("ComputerName", "string[]", aliases=("Cn",), sets=("ComputerName",)),
        Param("InstanceId", "string[]", sets=("InstanceId",)),
    ) + SHOULD_PROCESS_PARAMS
    default_set = "Id"

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
            if not self.should_process(f"Id: {session.Id} Name: {session.Name} "
                                       f"ComputerName: {session.ComputerName}"):
                continue
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
