"""``[PowerShell]::Create()``, ``[RunspaceFactory]::CreateRunspace()`` and ``[InitialSessionState]``:
running commands in a runspace of their own from a script, as the .NET hosting API does.

A ``PowerShell`` object holds statements of commands (``AddScript``, ``AddCommand``,
``AddParameter(s)``, ``AddArgument``, ``AddStatement``) and runs them with ``Invoke()`` in a runspace
of its own (a fresh ``Runspace``: new global scope, no functions of the caller; it shares the
caller's location and environment, as one process does), in one made by ``[RunspaceFactory]``, or in
the caller's runspace when created with ``'CurrentRunspace'``.  Output comes back as a list; errors,
warnings, verbose, debug and information records are kept in ``Streams`` (there is no host: a
confirmation prompt is an error).  A terminating error leaves ``Invoke`` as a
MethodInvocationException whose InnerException is the original, as a .NET method call would; text
that does not parse runs nothing and fails the same way around a ParseException (an
IncompleteParseException when it ended inside an open construct) that carries the parse error's
record.  ``BeginInvoke`` runs the same on a thread; ``Stop`` stops it.  ``[initialsessionstate]``
hands variables, functions and modules to a new runspace; ``PSInvocationSettings.AddToHistory``
makes an invocation a history entry.

statics.py wires ``STATIC_METHODS`` (each ``fn(calling runspace, args)``) and ``STATIC_PROPS``.
"""

from __future__ import annotations

import itertools
import threading
import uuid

from pshell.engine.errors import (ActionPreferenceStop, ErrorRecord, ExceptionInfo, ExitException,
                                  FlowControl, PipelineStopped, RuntimeException)
from pshell.engine.streams import Streams
from pshell.engine.values import to_str
from pshell.lang.errors import ParseError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterator, List, Optional

__all__ = ["PowerShell", "HostedRunspace", "InitialSessionState", "STATIC_METHODS", "STATIC_PROPS",
           "is_hosting_type"]

_SMA = "System.Management.Automation."
_RUNSPACES = "management.automation.runspaces."


def _keys(*names: str) -> List[str]:
    """The table keys of a type (statics.py looks types up without a leading ``system.``)."""
    return [name[len("system."):] if name.startswith("system.") else name for name in names]


_POWERSHELL = _keys("powershell", "management.automation.powershell")
_ISS = _keys("initialsessionstate", _RUNSPACES + "initialsessionstate")
_FACTORY = _keys("runspacefactory", _RUNSPACES + "runspacefactory")
_VARIABLE_ENTRY = _keys("sessionstatevariableentry", _RUNSPACES + "sessionstatevariableentry")
_FUNCTION_ENTRY = _keys("sessionstatefunctionentry", _RUNSPACES + "sessionstatefunctionentry")
_SETTINGS = _keys("psinvocationsettings", "management.automation.psinvocationsettings")
_MODE = _keys("runspacemode", "management.automation.runspacemode")
_OTHER = _keys("runspace", _RUNSPACES + "runspace", "psdatacollection",
               "management.automation.psdatacollection", "psinvocationstate",
               "management.automation.psinvocationstate")
_ALL = frozenset((*_POWERSHELL, *_ISS, *_FACTORY, *_VARIABLE_ENTRY, *_FUNCTION_ENTRY, *_SETTINGS,
                  *_MODE, *_OTHER))


def is_hosting_type(key: str) -> bool:
    key = key.strip().lower()
    return (key[len("system."):] if key.startswith("system.") else key) in _ALL


def _argument_null(method: str, count: int, param: str) -> RuntimeException:
    from pshell.engine.exception_types import construct, method_exception
    return method_exception(method, count, construct("System.ArgumentNullException", [param]))


def _invalid_operation(method: str, count: int, message: str) -> RuntimeException:
    from pshell.engine.exception_types import construct, method_exception
    return method_exception(method, count, construct("System.InvalidOperationException", [message]))


# --------------------------------------------------------------------------- session state

class SessionStateVariableEntry:
    ps_type_names = ("System.Management.Automation.Runspaces.SessionStateVariableEntry",)
    ps_properties = ("Name", "Value", "Description")

    def __init__(self, name: Any, value: Any = None, description: Any = None, *rest: Any) -> None:
        self.Name = str(name)
        self.Value = value
        self.Description = description


class SessionStateFunctionEntry:
    ps_type_names = ("System.Management.Automation.Runspaces.SessionStateFunctionEntry",)
    ps_properties = ("Name", "Definition")

    def __init__(self, name: Any, definition: Any, *rest: Any) -> None:
        self.Name = str(name)
        self.Definition = str(definition)


class PSInvocationSettings:
    """The second argument of ``Invoke(input, settings)``: ``AddToHistory`` makes the
    invocation an entry of the runspace's history (Get-History, errors' HistoryId)."""

    ps_type_names = ("System.Management.Automation.PSInvocationSettings",)
    ps_properties = ("AddToHistory", "ErrorActionPreference")

    def __init__(self) -> None:
        self.AddToHistory = False
        self.ErrorActionPreference: Any = None


class InitialSessionState:
    """What a new runspace starts with: variables and functions to define, modules to import."""

    ps_type_names = ("System.Management.Automation.Runspaces.InitialSessionState",)
    ps_properties = ("LanguageMode", "Variables", "Commands")

    def __init__(self) -> None:
        self.Variables: List[Any] = []
        self.Commands: List[Any] = []
        self.StartupScripts: List[Any] = []
        self.Modules: List[Any] = []
        self.LanguageMode = "FullLanguage"
        self.ExecutionPolicy = "Unrestricted"
        self.ThreadOptions = "Default"

    def ImportPSModule(self, *names: Any) -> None:
        if not names or names[0] is None:
            raise _argument_null("ImportPSModule", len(names), "name")
        for name in names:
            self.Modules.extend(name if isinstance(name, list) else [name])

    def apply(self, rs: Any) -> None:
        from pshell.engine.runtime import FunctionInfo
        for entry in self.Variables:
            if isinstance(entry, SessionStateVariableEntry):
                rs.set_variable(entry.Name, entry.Value)
        for entry in self.Commands:
            if isinstance(entry, SessionStateFunctionEntry):
                block = rs.compile(entry.Definition, f"<function {entry.Name}>")
                rs.global_scope.set_function(FunctionInfo(entry.Name, block))
        for module in self.Modules:
            rs.invoke("param($m) Import-Module $m", [module])
        for script in self.StartupScripts:
            rs.invoke("param($p) . $p", [script])


# --------------------------------------------------------------------------- runspaces

_RUNSPACE_IDS = itertools.count(2)      # 1 is the shell's own


class HostedRunspace:
    """``$ps.Runspace``: an engine Runspace with the handful of members scripts look at."""

    ps_type_names = ("System.Management.Automation.Runspaces.LocalRunspace",
                     "System.Management.Automation.Runspaces.Runspace")
    ps_properties = ("Id", "Name", "InstanceId", "RunspaceStateInfo", "RunspaceAvailability")

    def __init__(self, caller: Any, iss: Optional[InitialSessionState] = None,
                 engine: Any = None, script_host: Any = None) -> None:
        self._caller = caller           # the runspace that made it: a new one starts in its location
        self._iss = iss
        self._script_host = script_host  # CreateRunspace($host): Read-Host and $Host use it
        self.engine = engine            # made on first use (Open or the first Invoke)
        self.owned = engine is None
        self.Id = next(_RUNSPACE_IDS) if engine is None else 1
        self.Name = f"Runspace{self.Id}"
        self.InstanceId = str(uuid.uuid4())
        self.state = "BeforeOpen" if engine is None else "Opened"
        self.busy = False

    @property
    def RunspaceStateInfo(self) -> Any:
        from pshell.engine.values import PSObject
        return PSObject.from_pairs([("State", self.state), ("Reason", None)])

    @property
    def RunspaceAvailability(self) -> str:
        if self.state != "Opened":
            return "None"
        return "Busy" if self.busy else "Available"

    @property
    def SessionStateProxy(self) -> "_SessionStateProxy":
        return _SessionStateProxy(self)

    def Open(self) -> None:
        self.runspace()

    def OpenAsync(self) -> None:
        self.runspace()

    def runspace(self) -> Any:
        if self.state in ("Closed", "Broken"):
            raise _invalid_operation("Invoke", 0, "The runspace is closed.")
        if self.engine is None:
            from pshell.engine.runtime import Runspace
            caller = self._caller
            self.engine = Runspace(host=Streams(), name=self.Name,
                                   location=caller.location if caller is not None else None,
                                   environ=caller.environ if caller is not None else None)
            if self._iss is not None:
                self._iss.apply(self.engine)
            self.engine.script_host = self._script_host
            self.state = "Opened"
        return self.engine

    def Close(self) -> None:
        if self.owned and self.engine is not None:
            self.engine.close()
        if self.owned:
            self.state = "Closed"

    def Dispose(self) -> None:
        self.Close()

    def ToString(self) -> str:
        return "System.Management.Automation.Runspaces.LocalRunspace"


class _SessionStateProxy:
    """``$runspace.SessionStateProxy``: the runspace's global variables, read and set from outside."""

    def __init__(self, hosted: HostedRunspace) -> None:
        self._hosted = hosted

    def SetVariable(self, name: Any, value: Any) -> None:
        self._hosted.runspace().set_variable(to_str(name), value)

    def GetVariable(self, name: Any) -> Any:
        return self._hosted.runspace().get_variable(to_str(name))


# --------------------------------------------------------------------------- commands and streams

class Command:
    ps_type_names = ("System.Management.Automation.Runspaces.Command",)
    ps_properties = ("CommandText", "IsScript", "UseLocalScope")

    def __init__(self, text: Any, is_script: bool, local: bool) -> None:
        self.CommandText = text if isinstance(text, str) else getattr(text, "Name", text)
        self.target = text
        self.IsScript = is_script
        self.UseLocalScope = local
        self.Parameters: List[Any] = []         # (name or None, value or NOARG)

    def ToString(self) -> str:
        return str(self.CommandText)


class PSCommand:
    """``$ps.Commands``: statements, each a pipeline of commands."""

    ps_type_names = ("System.Management.Automation.PSCommand",)
    ps_properties = ("Commands",)

    def __init__(self) -> None:
        self.statements: List[List[Command]] = [[]]

    @property
    def Commands(self) -> List[Command]:
        return [c for statement in self.statements for c in statement]

    def Clear(self) -> None:
        self.statements = [[]]

    def last(self, method: str, count: int) -> Command:
        if not self.statements[-1]:
            raise _invalid_operation(method, count, "A command is required to add a parameter. A "
                                                    "command must be added to the PowerShell "
                                                    "instance before adding a parameter.")
        return self.statements[-1][-1]


class PSDataCollection(list):
    """One of ``$ps.Streams``' collections (a list scripts can count, index and clear)."""

    ps_type_names = ("System.Management.Automation.PSDataCollection`1", "System.Object[]")


class PSDataStreams:
    """``$ps.Streams``."""

    ps_type_names = ("System.Management.Automation.PSDataStreams",)
    ps_properties = ("Error", "Progress", "Verbose", "Debug", "Warning", "Information")

    def __init__(self) -> None:
        self.Error = PSDataCollection()
        self.Progress = PSDataCollection()
        self.Verbose = PSDataCollection()
        self.Debug = PSDataCollection()
        self.Warning = PSDataCollection()
        self.Information = PSDataCollection()

    def ClearStreams(self) -> None:
        for name in self.ps_properties:
            getattr(self, name).clear()


class _StreamsSink(Streams):
    """Where the invoked commands' records go: the PowerShell object's collections."""

    def __init__(self, owner: "PowerShell") -> None:
        self.owner = owner

    def error(self, record: ErrorRecord) -> None:
        self.owner.HadErrors = True
        self.owner.Streams.Error.append(record)

    def warning(self, record: Any) -> None:
        self.owner.Streams.Warning.append(record)

    def verbose(self, record: Any) -> None:
        self.owner.Streams.Verbose.append(record)

    def debug(self, record: Any) -> None:
        self.owner.Streams.Debug.append(record)

    def information(self, record: Any) -> None:
        # a record $InformationPreference hides still lands in Streams.Information, as in pwsh
        from pshell.engine.command_context import _Hidden
        if isinstance(record, _Hidden):
            record = record.record
        self.owner.Streams.Information.append(record)

    def progress(self, record: Any) -> None:
        self.owner.Streams.Progress.append(record)


# --------------------------------------------------------------------------- the PowerShell object

class AsyncResult:
    ps_type_names = ("System.Management.Automation.PowerShellAsyncResult",)
    ps_properties = ("IsCompleted",)

    def __init__(self, thread: threading.Thread) -> None:
        self.thread = thread
        self.output: List[Any] = []
        self.error: Optional[BaseException] = None

    @property
    def IsCompleted(self) -> bool:
        return not self.thread.is_alive()

    @property
    def AsyncWaitHandle(self) -> "AsyncResult":
        return self

    def WaitOne(self, *timeout: Any) -> bool:
        seconds = None
        if timeout and isinstance(timeout[0], (int, float)) and timeout[0] >= 0:
            seconds = timeout[0] / 1000
        self.thread.join(seconds)
        return not self.thread.is_alive()


class PowerShell:
    ps_type_names = ("System.Management.Automation.PowerShell",)
    ps_properties = ("Commands", "Streams", "InstanceId", "InvocationStateInfo", "IsNested",
                     "HadErrors", "Runspace")

    def __init__(self, runspace: HostedRunspace) -> None:
        self.Commands = PSCommand()
        self.Streams = PSDataStreams()
        self.InstanceId = str(uuid.uuid4())
        self.Runspace = runspace
        self.HadErrors = False
        self.IsNested = False
        self.state = "NotStarted"
        self.reason: Any = None
        self.RunspacePool: Any = None
        self._async: Optional[AsyncResult] = None
        self._made: Optional[HostedRunspace] = None     # the runspace Dispose closes (not a given one)

    @classmethod
    def create(cls, caller: Any, args: List[Any]) -> "PowerShell":
        """``Create()``, ``Create('NewRunspace' | 'CurrentRunspace')``, ``Create($iss)`` or
        ``Create($runspace)``."""
        given = args[0] if args else None
        if isinstance(given, HostedRunspace):
            return cls(given)
        mode = to_str(given).lower() if isinstance(given, str) else "newrunspace"
        if mode not in ("newrunspace", "currentrunspace"):
            raise RuntimeException.make(
                f"Cannot convert value \"{given}\" to type \"System.Management.Automation."
                f"RunspaceMode\". Use one of: NewRunspace, CurrentRunspace.", "InvalidCastException",
                "InvalidArgument", exception_type="System.Management.Automation.PSInvalidCastException")
        if mode == "currentrunspace":
            return cls(HostedRunspace(caller, engine=caller))
        made = cls(HostedRunspace(caller, _iss_of(args)))
        made._made = made.Runspace
        return made

    @property
    def InvocationStateInfo(self) -> Any:
        from pshell.engine.values import PSObject
        return PSObject.from_pairs([("State", self.state), ("Reason", self.reason)])

    # ---- building ------------------------------------------------------------------
    def AddCommand(self, command: Any, use_local_scope: Any = None) -> "PowerShell":
        if command is None or command == "":
            raise _argument_null("AddCommand", 1, "command")
        self.Commands.statements[-1].append(Command(command, False, bool(use_local_scope)))
        return self

    def AddScript(self, script: Any, use_local_scope: Any = False) -> "PowerShell":
        if script is None:
            raise _argument_null("AddScript", 1, "script")
        self.Commands.statements[-1].append(Command(str(script), True, bool(use_local_scope)))
        return self

    def AddParameter(self, name: Any, *value: Any) -> "PowerShell":
        from pshell.engine.rt import NOARG
        command = self.Commands.last("AddParameter", 1 + len(value))
        command.Parameters.append((str(name), value[0] if value else NOARG))
        return self

    def AddParameters(self, parameters: Any) -> "PowerShell":
        command = self.Commands.last("AddParameters", 1)
        if isinstance(parameters, dict):
            command.Parameters.extend((str(k), v) for k, v in parameters.items())
        elif isinstance(parameters, (list, tuple)):
            command.Parameters.extend((None, v) for v in parameters)
        else:
            raise _argument_null("AddParameters", 1, "parameters")
        return self

    def AddArgument(self, value: Any) -> "PowerShell":
        self.Commands.last("AddArgument", 1).Parameters.append((None, value))
        return self

    def AddStatement(self) -> "PowerShell":
        if self.Commands.statements[-1]:
            self.Commands.statements.append([])
        return self

    # ---- running -------------------------------------------------------------------
    def Invoke(self, input: Any = None, settings: Any = None, *rest: Any) -> List[Any]:
        if self.state == "Running":
            raise _invalid_operation("Invoke", 0, "The pipeline is already running.")
        if not any(self.Commands.statements):
            raise _invalid_operation("Invoke", 0, "No commands are specified.")
        try:
            return self._run(input, settings)
        except RuntimeException as exc:
            raise self._method_error("Invoke", exc) from None

    def _method_error(self, method: str, exc: RuntimeException) -> RuntimeException:
        """The MethodInvocationException a failed Invoke/EndInvoke gives the calling script: its
        InnerException is the original exception carrying the original record (its error id is the
        inner exception's type name: RuntimeException, ParseException, ...)."""
        from pshell.engine.exception_types import method_exception
        inner = exc.record.Exception
        if isinstance(exc, ActionPreferenceStop):
            # -ErrorAction Stop ends the invocation as .NET's ActionPreferenceStopException
            inner = ExceptionInfo(f"The running command stopped because the preference variable "
                                  f"\"ErrorActionPreference\" or common parameter is set to Stop: "
                                  f"{exc.record.message}", _SMA + "ActionPreferenceStopException")
        elif not isinstance(inner, ExceptionInfo):
            inner = ExceptionInfo(exc.record.message)
        elif getattr(exc, "pipeline_scope", None) is not None or \
                (inner.wraps and not getattr(exc, "from_throw", False)):
            # $PSCmdlet.ThrowTerminatingError, or a .NET exception (1/0, a method call) a command
            # let end the run: the invocation failed as a CmdletInvocationException around it
            inner.ErrorRecord = exc.record
            inner = ExceptionInfo(inner.Message, _SMA + "CmdletInvocationException", inner)
        inner.ErrorRecord = exc.record
        return method_exception(method, 1 if method == "EndInvoke" else 0, inner)

    def _run(self, input: Any, settings: Any = None) -> List[Any]:
        from pshell.engine import runtime
        hosted = self.Runspace
        rs = hosted.runspace()
        self.HadErrors = False
        self.state, self.reason = "Running", None
        hosted.busy = True
        saved_types = getattr(runtime.CURRENT, "types", None)
        saved_type_data = getattr(runtime.CURRENT, "type_data", None)
        saved_runspace = getattr(runtime.CURRENT, "runspace", None)
        nested = not hosted.owned
        saved = (rs.try_depth, rs.stop_requested) if nested else None
        output: List[Any] = []
        history = bool(getattr(settings, "AddToHistory", False)) and not nested
        if history:
            import datetime as _dt
            start = _dt.datetime.now()
            rs.history_id = rs.history[-1].Id + 1 if rs.history else 1
        try:
            if not nested:
                rs.clear_stop()
            rs.try_depth = 0
            for statement in self.Commands.statements:
                if statement:
                    runtime.CURRENT.types = rs.__dict__.get("types")
                    runtime.CURRENT.type_data = rs.__dict__.get("type_data")
                    output.extend(self._run_statement(rs, statement, input))
                    input = None
            self.state = "Completed"            # before `finally`: the history entry says so
        except PipelineStopped:
            self.state = "Stopped"
            raise RuntimeException.make("The pipeline has been stopped.", "PipelineStopped",
                                        "OperationStopped", exception_type="System.Management."
                                        "Automation.PipelineStoppedException") from None
        except (ExitException, FlowControl):
            self.state = "Completed"            # `exit`, or break/return outside a loop, ends it
        except ParseError as exc:               # text of AddScript that does not parse: it runs nothing
            self.state = "Failed"
            failure = _parse_failure(exc)
            self.reason, self.HadErrors = failure.record.Exception, True
            raise failure from None
        except RuntimeException as exc:
            self.state, self.reason = "Failed", exc.record.Exception
            self.HadErrors = True
            if not rs.errors or rs.errors[0] is not exc.record:
                rs.add_error(exc.record)
            raise
        finally:
            if self.state == "Running":         # anything else that left: never "already running"
                self.state = "Failed"
            if history:
                from pshell.engine.history import record_history
                record_history(rs, self._history_text(), self.state == "Completed", start)
                rs.history_id = 0
            hosted.busy = False
            runtime.CURRENT.types = saved_types
            runtime.CURRENT.type_data = saved_type_data
            runtime.CURRENT.runspace = saved_runspace
            if saved is not None:
                rs.try_depth, rs.stop_requested = saved
        return output

    def _history_text(self) -> str:
        return "; ".join(" | ".join(str(c.CommandText) for c in statement)
                         for statement in self.Commands.statements if statement)

    def _run_statement(self, rs: Any, statement: List[Command], input: Any) -> Iterator[Any]:
        from pshell.engine.pipeline import run_pipeline
        frame = rs.new_frame(_StreamsSink(self))
        stages: List[Any] = []
        for command in statement:
            target = command.target
            if command.IsScript:
                target = rs.compile(str(target), "<ScriptBlock>")
            invocation = "&" if command.UseLocalScope or not command.IsScript else "."
            args = [("a", value, None, -1) if name is None else ("p", name, value, -1)
                    for name, value in command.Parameters]
            stages.append((1, -1, target, invocation, args, None))
        if input is not None:
            from pshell.engine.values import enumerate_value
            stages.insert(0, (0, -1, list(enumerate_value(input)), None))
        return run_pipeline(frame, tuple(stages), True)

    def BeginInvoke(self, *args: Any) -> AsyncResult:
        if self.state == "Running":
            raise _invalid_operation("BeginInvoke", len(args), "The pipeline is already running.")
        if not any(self.Commands.statements):
            raise _invalid_operation("BeginInvoke", len(args), "No commands are specified.")
        self.Runspace.runspace()
        self.state = "Running"           # before the thread starts: Stop() may come at once
        input = args[0] if args else None

        def work() -> None:
            try:
                result.output = self._run(input)
            except BaseException as exc:            # noqa: BLE001 - EndInvoke raises it
                result.error = exc

        result = AsyncResult(threading.Thread(target=work, name="pshell-powershell", daemon=True))
        self._async = result
        result.thread.start()
        return result

    def EndInvoke(self, result: Any) -> List[Any]:
        if not isinstance(result, AsyncResult):
            raise _argument_null("EndInvoke", 1, "asyncResult")
        result.thread.join()
        if isinstance(result.error, RuntimeException):
            raise self._method_error("EndInvoke", result.error)
        if result.error is not None:
            raise result.error
        return result.output

    def Stop(self) -> None:
        rs = self.Runspace.engine
        if rs is not None and self.state == "Running":
            rs.stop()
        if self._async is not None and self.Runspace.owned:
            self._async.thread.join(10)

    def BeginStop(self, *args: Any) -> None:
        self.Stop()

    def Dispose(self) -> None:
        self.Stop()
        if self._made is not None:
            self._made.Close()
        self.state = "Disposed" if self.state == "NotStarted" else self.state


def _parse_failure(exc: ParseError) -> RuntimeException:
    """Text that does not parse, as .NET reports it: a ParseException (IncompleteParseException when
    the text ended inside an open construct) whose record has the parse error's id
    (MissingEndCurlyBrace, ...); Invoke wraps it as any failure."""
    kind = "IncompleteParseException" if exc.incomplete else "ParseException"
    return RuntimeException(ErrorRecord(exc.message, exc.error_id or kind, "ParserError",
                                        exception_type=_SMA + kind))


def _iss_of(args: List[Any]) -> Optional[InitialSessionState]:
    return next((a for a in args if isinstance(a, InitialSessionState)), None)


def _create_runspace(caller: Any, args: List[Any]) -> HostedRunspace:
    """CreateRunspace([iss]) or CreateRunspace(host[, iss]): a host object a script made (anything
    with a UI member) answers Read-Host in the new runspace (engine/host_ui.py)."""
    from pshell.engine.members import get_member
    host = next((a for a in args if a is not None and not isinstance(a, (InitialSessionState, str))
                 and get_member(a, "UI") is not None), None)
    return HostedRunspace(caller, _iss_of(args), script_host=host)


def _new_iss(caller: Any, args: List[Any]) -> InitialSessionState:
    return InitialSessionState()


#: static methods of the hosting types, by statics.py's type key: fn(calling runspace, args)
STATIC_METHODS: Dict[str, Dict[str, Callable[[Any, List[Any]], Any]]] = {}
for _key in _POWERSHELL:
    STATIC_METHODS[_key] = {"create": PowerShell.create}
for _key in _ISS:
    STATIC_METHODS[_key] = dict.fromkeys(("create", "createdefault", "createdefault2"), _new_iss)
for _key in _FACTORY:
    STATIC_METHODS[_key] = dict.fromkeys(("createrunspace", "createoutofprocessrunspace"), _create_runspace)
for _key in _SETTINGS:
    STATIC_METHODS[_key] = {"new": lambda caller, a: PSInvocationSettings()}
for _key in _VARIABLE_ENTRY:
    STATIC_METHODS[_key] = {"new": lambda caller, a: SessionStateVariableEntry(*a)}
for _key in _FUNCTION_ENTRY:
    STATIC_METHODS[_key] = {"new": lambda caller, a: SessionStateFunctionEntry(*a)}

#: ``[RunspaceMode]::CurrentRunspace``
STATIC_PROPS: Dict[str, Dict[str, Callable[[], Any]]] = {
    key: {"newrunspace": lambda: "NewRunspace", "currentrunspace": lambda: "CurrentRunspace"}
    for key in _MODE}
