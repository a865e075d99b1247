"""PSSessions and remote commands: Invoke-Command and what the session cmdlets share
(New/Get/Remove-PSSession and Get-Credential are in session_manage.py, Enter/Exit-PSSession in
session_enter.py, the disconnected-session cmdlets in session_connect.py).

The cmdlets turn parameters into what ``pshell/client`` works with: the PSSession model and how a
session is opened (``client/session.py``), running a script on many computers (``client/invoke.py``).
Everything here is standard-library only and cheap to load (it also runs on remote computers).
"""

from __future__ import annotations


from pshell.client.invoke import Work, WorkOptions, fan_out, start_job
from pshell.client.session import PSSession, sessions_of, open_session
from pshell.client.session import Target as _Target, parallel as _parallel, \
    remote_error as _remote_error, not_connected_message as _not_connected_message
from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.credentials import PSCredential, SecureString, plain_text as _plain, \
    credential_parts as _credential_parts
from pshell.engine.errors import RuntimeException
from pshell.engine.values import enumerate_value, get_property, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Tuple

__all__ = ["PSSession", "PSCredential", "SecureString", "sessions_of", "open_session"]



# --------------------------------------------------------------------------- sessions





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

    def open_sessions(self, targets: List[_Target], names: List[str]) -> List[PSSession]:
        """A session opened per target at once (at most ThrottleLimit at a time), named from
        ``names`` in order, and kept in the session table: the sessions opened, in the targets'
        order; a target that could not be reached is an error written (and no session)."""
        prompt = _prompt_function(self)
        idle = _idle_timeout(self)
        from pshell.client.session import reserve_session_ids
        ids = reserve_session_ids(len(targets))
        results = _parallel(targets, lambda t, i: open_session(
            t, prompt, names[i] if i < len(names) else None, self._timeout(), idle, ids[i]),
            self.ThrottleLimit or 32)
        table = self.table()
        opened: List[PSSession] = []
        for target, (session, error) in zip(targets, results):
            if error is not None:
                self.write_error(error.record if isinstance(error, RuntimeException)
                                 else self.error_record(str(error), "PSSessionOpenFailed",
                                                        "OpenError", target.host))
                continue
            table.append(session)
            opened.append(session)
        return opened

    def targets(self) -> List[_Target]:
        user, password = _credential_parts(self.Credential)
        user = self.UserName or user
        transport = self.Transport or "SSH"
        options = dict(self.Options or {})
        targets: List[_Target] = []
        computers = list(self.ComputerName or ())
        if not computers and not self.SSHConnection:
            # -Options @{ Host = ...; User = ...; Port = ... } alone names the destination
            where = next((k for k in options if str(k).lower() in ("host", "hostname")), None)
            if where is not None:
                computers = [options.pop(where)]
        for computer in computers:
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


# --------------------------------------------------------------------------- Invoke-Command



class _CmdletStreams:
    """Records written through the cmdlet, so -ErrorAction, -ErrorVariable, 2>&1 apply."""

    def __init__(self, cmdlet: Cmdlet) -> None:
        self.c = cmdlet

    def error(self, record: Any) -> None:
        self.c.ctx.write_error(record)

    def warning(self, record: Any) -> None:
        self.c.write_warning(to_str(getattr(record, "Message", record)))

    # the remote side's preferences decided that these are written: shown as they come
    def verbose(self, record: Any) -> None:
        self.c.ctx.streams.verbose(record)

    def debug(self, record: Any) -> None:
        self.c.ctx.streams.debug(record)

    def information(self, record: Any) -> None:
        if getattr(record, "host", False):
            self.c.write_host(to_str(record.MessageData), record.newline, record.fg, record.bg)
            return
        ctx = self.c.ctx        # a record InformationPreference hid there (HiddenInformation) stays hidden
        if ctx.info_var is not None:
            ctx.info_var.append(getattr(record, "record", record))
        ctx.streams.information(record)

    def progress(self, record: Any) -> None:
        self.c.write_progress(record)


@register
class InvokeCommand(_RemoteCmdlet):
    name = "Invoke-Command"
    synopsis = "Runs a script block on remote computers (or PSSessions) and returns the results."
    # parameters this class rebinds after binding (declared for the type checker only)
    ScriptBlock: Any
    Session: Any
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
        self._refuse_empty("Session", "ComputerName")
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
        options = WorkOptions(bool(self.HideComputerName), _prompt_function(self), self._timeout(),
                              _idle_timeout(self), getattr(self, "_session_name", None),
                              _reconnect_seconds(self.runspace), self._source, self._raw)
        work = [Work(options, s, None, script, args, using, data) for s in sessions] + \
               [Work(options, None, t, script, args, using, data) for t in targets]
        self._work = work
        if self.AsJob or self.JobName:
            yield start_job(self.runspace.jobs, work, command, self.JobName, self.ThrottleLimit or 32)
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
        chosen: List[PSSession] = list(sessions)
        chosen += self.open_sessions(targets, list(self.SessionName or ()))
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
                session.disconnect(_idle_timeout(self))
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
    def _refuse_empty(self, *names: str) -> None:
        """-Session $null (a New-PSSession that failed) must not run the block here instead."""
        for name in names:
            if self.is_bound(name) and not [v for v in enumerate_value(getattr(self, name))
                                            if v is not None]:
                raise self.terminate(f"Cannot validate argument on parameter '{name}'. The "
                                     f"argument is null or empty: give a value, or leave the "
                                     f"parameter out to run the command here.",
                                     "ParameterArgumentValidationError", "InvalidData")

    def _fix_positionals(self) -> None:
        block, computers = self.ScriptBlock, self.ComputerName
        if block is not None and not _is_block(block) and _is_block(computers):
            self.ScriptBlock, self.ComputerName = computers, block
        # a PSSession given by position (Invoke-Command $s { }, Invoke-Command $s -FilePath x)
        # is the -Session, as PowerShell binds it
        for name in ("ComputerName", "ScriptBlock"):
            value = getattr(self, name)
            items = list(enumerate_value(value)) if value is not None else []
            if items and all(isinstance(v, PSSession) for v in items):
                if self.Session is not None:
                    raise self.terminate("A PSSession was given both by position and with "
                                         "-Session; give it once.", "AmbiguousParameterSet",
                                         "InvalidArgument")
                self.Session = items
                setattr(self, name, None)
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
        written = getattr(self.ScriptBlock, "text", None)   # as written (command_text's first
        if isinstance(written, str):                        # choice), without importing jobs
            return written, written
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
    def _fan_out(self, work: List[Work]) -> Iterator[Any]:
        remaining = len(work)
        failed = 0
        streams = _CmdletStreams(self)
        show_progress = len(work) > 1 and to_str(
            self.runspace.get_variable("ProgressPreference", "Continue")).lower() != \
            "silentlycontinue"
        try:
            for event in fan_out(work, self.ThrottleLimit or 32):
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
            if show_progress:
                from pshell.engine.streams import ProgressRecord
                self.write_progress(ProgressRecord("Invoke-Command", "done", 100, completed=True))

    def _progress(self, total: int, remaining: int, failed: int) -> None:
        from pshell.engine.streams import ProgressRecord
        done = total - remaining
        self.write_progress(ProgressRecord(
            "Invoke-Command", f"{done - failed} done, {failed} failed, {remaining} running",
            int(done * 100 / total)))


def _is_block(value: Any) -> bool:
    return type(value).__name__ == "ScriptBlock"






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
    """-IdleTimeoutSec, else -SessionOption's IdleTimeout, else $PSSessionOption's; a value out
    of PowerShell's range (a minute to 2147483 seconds) is a terminating error."""
    value = getattr(cmdlet, "IdleTimeoutSec", None)
    if value is not None:
        return _checked_idle(cmdlet, value, "IdleTimeoutSec")
    option = getattr(cmdlet, "SessionOption", None)
    if option is None:
        try:
            option = cmdlet.runspace.get_variable("PSSessionOption")
        except Exception:
            option = None
    if option is not None:
        idle = get_property(option, "IdleTimeout", None)
        if idle is not None:
            return _checked_idle(cmdlet, idle, "IdleTimeout", milliseconds=True)
    return None


def _checked_idle(cmdlet: Any, value: Any, parameter: str, milliseconds: bool = False) -> float:
    import datetime as _dt
    from pshell.remote.validate import idle_error
    seconds = _seconds(value, milliseconds)
    if seconds is None or isinstance(value, _dt.timedelta):
        error = idle_error(value if seconds is None else seconds, parameter=parameter)
    else:
        error = idle_error(value, parameter=parameter, milliseconds=milliseconds)
    if error:
        raise cmdlet.terminate(error, "ParameterArgumentValidationError", "InvalidData", value)
    assert seconds is not None
    return seconds


def _seconds(value: Any, milliseconds: bool = False) -> Optional[float]:
    import datetime as _dt
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number / 1000.0 if milliseconds else number
