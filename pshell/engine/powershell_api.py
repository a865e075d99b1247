"""``[PowerShell]::Create()`` and ``[RunspaceFactory]::CreateRunspace()``: running commands in a
runspace of their own from a script, as the .NET API does.

A ``PowerShell`` object collects commands (``AddScript``, ``AddCommand`` + ``AddParameter`` /
``AddArgument``, ``AddStatement``) and runs them in its runspace (a new one unless ``Runspace``
was set) with no host: every non-output record lands in ``Streams``, and a confirmation prompt is
an error (the host cannot prompt).  ``BeginInvoke`` runs to the end before it returns (there is no
thread behind it); ``EndInvoke`` hands back the output or raises the terminating error.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from pshell.engine.errors import ErrorRecord, ExceptionInfo, ExitException, RuntimeException
from pshell.engine.streams import Streams
from pshell.engine.values import Hashtable, PSObject, to_str
from pshell.lang.errors import ParseError

__all__ = ["PowerShell", "RunspaceHandle", "create_powershell", "create_runspace"]


class PSDataStreams:
    """``$ps.Streams``: one list per stream, filled as the commands write."""

    ps_type_names = ("System.Management.Automation.PSDataStreams",)
    ps_properties = ("Error", "Progress", "Verbose", "Debug", "Warning", "Information")

    def __init__(self) -> None:
        self.Error: List[Any] = []
        self.Progress: List[Any] = []
        self.Verbose: List[Any] = []
        self.Debug: List[Any] = []
        self.Warning: List[Any] = []
        self.Information: List[Any] = []

    def ClearStreams(self) -> None:
        for items in (self.Error, self.Progress, self.Verbose, self.Debug, self.Warning,
                      self.Information):
            items.clear()


class _StreamsSink(Streams):
    """Writes each record into its list of a PSDataStreams (whose property names would clash
    with a sink's methods, hence two objects)."""

    def __init__(self, lists: PSDataStreams) -> None:
        self.lists = lists

    def error(self, record: Any) -> None:
        self.lists.Error.append(record)

    def warning(self, record: Any) -> None:
        self.lists.Warning.append(record)

    def verbose(self, record: Any) -> None:
        self.lists.Verbose.append(record)

    def debug(self, record: Any) -> None:
        self.lists.Debug.append(record)

    def information(self, record: Any) -> None:
        self.lists.Information.append(record)

    def progress(self, record: Any) -> None:
        self.lists.Progress.append(record)


class RunspaceHandle:
    """What CreateRunspace returns: a pshell Runspace with the .NET lifecycle around it."""

    ps_type_names = ("System.Management.Automation.Runspaces.LocalRunspace",
                     "System.Management.Automation.Runspaces.Runspace")
    ps_properties = ("Id", "Name", "RunspaceStateInfo", "Availability")

    _next_id = 1

    def __init__(self) -> None:
        from pshell.engine.runtime import Runspace
        self.rs = Runspace()
        self.Id = RunspaceHandle._next_id
        RunspaceHandle._next_id += 1
        self.Name = f"Runspace{self.Id}"
        self._state = "BeforeOpen"

    @property
    def RunspaceStateInfo(self) -> PSObject:
        return PSObject.from_pairs([("State", self._state), ("Reason", None)])

    @property
    def Availability(self) -> str:
        return "Available" if self._state == "Opened" else "None"

    @property
    def SessionStateProxy(self) -> "_SessionStateProxy":
        return _SessionStateProxy(self.rs)

    def Open(self) -> None:
        self._state = "Opened"

    def OpenAsync(self) -> None:
        self._state = "Opened"

    def Close(self) -> None:
        if self._state != "Closed":
            self.rs.close()
        self._state = "Closed"

    def Dispose(self) -> None:
        self.Close()

    def ToString(self) -> str:
        return "System.Management.Automation.Runspaces.LocalRunspace"


class _SessionStateProxy:
    def __init__(self, rs: Any) -> None:
        self._rs = rs

    def SetVariable(self, name: Any, value: Any) -> None:
        self._rs.set_variable(to_str(name), value)

    def GetVariable(self, name: Any) -> Any:
        return self._rs.get_variable(to_str(name))


class _Command:
    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind                     # "script" or "command"
        self.text = text
        self.params: Dict[str, Any] = Hashtable()
        self.args: List[Any] = []


class _Commands:
    """``$ps.Commands``: the statements added so far (``Commands.Clear()`` empties them)."""

    def __init__(self) -> None:
        self.statements: List[List[_Command]] = [[]]

    @property
    def Commands(self) -> List[str]:
        return [c.text for statement in self.statements for c in statement]

    def Clear(self) -> None:
        self.statements = [[]]


class PowerShell:
    ps_type_names = ("System.Management.Automation.PowerShell",)
    ps_properties = ("Commands", "Streams", "InstanceId", "InvocationStateInfo", "Runspace",
                     "HadErrors")

    def __init__(self, runspace: Optional[RunspaceHandle] = None) -> None:
        self.Commands = _Commands()
        self.Streams = PSDataStreams()
        self.Runspace: Any = runspace
        self.RunspacePool: Any = None
        self._state = "NotStarted"
        self._reason: Any = None
        self._result: List[Any] = []
        self._failure: Optional[RuntimeException] = None
        self._own: Optional[RunspaceHandle] = None

    # ---- building -------------------------------------------------------------------
    def _last(self) -> _Command:
        statement = self.Commands.statements[-1]
        if not statement:
            raise RuntimeException.make("A command is required to add a parameter. A command can be "
                                        "added using the AddCommand or AddScript methods.",
                                        "InvalidOperation", "InvalidOperation")
        return statement[-1]

    def AddScript(self, script: Any, use_local_scope: Any = False) -> "PowerShell":
        self.Commands.statements[-1].append(_Command("script", to_str(script)))
        return self

    def AddCommand(self, name: Any, use_local_scope: Any = False) -> "PowerShell":
        self.Commands.statements[-1].append(_Command("command", to_str(name)))
        return self

    def AddParameter(self, name: Any, value: Any = True) -> "PowerShell":
        self._last().params[to_str(name)] = value
        return self

    def AddParameters(self, values: Any) -> "PowerShell":
        command = self._last()
        if isinstance(values, dict):
            for key, value in values.items():
                command.params[to_str(key)] = value
        else:
            command.args.extend(values if isinstance(values, list) else [values])
        return self

    def AddArgument(self, value: Any) -> "PowerShell":
        self._last().args.append(value)
        return self

    def AddStatement(self) -> "PowerShell":
        self.Commands.statements.append([])
        return self

    # ---- state ----------------------------------------------------------------------
    @property
    def InvocationStateInfo(self) -> PSObject:
        return PSObject.from_pairs([("State", self._state), ("Reason", self._reason)])

    @property
    def HadErrors(self) -> bool:
        return bool(self.Streams.Error) or self._failure is not None

    @property
    def InstanceId(self) -> str:
        return f"{id(self):032x}"[-32:]

    def _runspace(self) -> Any:
        if isinstance(self.Runspace, RunspaceHandle):
            return self.Runspace.rs
        if self._own is None:
            self._own = RunspaceHandle()
            self._own.Open()
        return self._own.rs

    # ---- running --------------------------------------------------------------------
    def Invoke(self, input: Any = None) -> List[Any]:
        if not any(self.Commands.statements):
            raise RuntimeException.make('Exception calling "Invoke" with "0" argument(s): "No '
                                        'commands are specified."', "InvalidOperationException",
                                        "InvalidOperation",
                                        exception_type="System.Management.Automation."
                                                       "MethodInvocationException")
        self._run(input)
        if self._failure is not None:
            if self._parse_failed:       # already the MethodInvocationException .NET gives
                raise RuntimeException(self._failure.record)
            raise _method_exception(self._failure.record, "Invoke")
        return self._result

    def BeginInvoke(self, input: Any = None, *rest: Any) -> PSObject:
        self._run(input)
        return PSObject.from_pairs([("IsCompleted", True), ("CompletedSynchronously", True)])

    def EndInvoke(self, async_result: Any = None) -> List[Any]:
        if self._failure is not None:
            raise _method_exception(self._failure.record, "EndInvoke")
        return self._result

    def Stop(self) -> None:
        if self._state == "Running":
            self._runspace().stop()

    def Dispose(self) -> None:
        if self._own is not None:
            self._own.Close()
            self._own = None

    def _run(self, input: Any) -> None:
        from pshell.engine.runtime import CURRENT
        rs = self._runspace()
        self._state, self._reason, self._failure, self._result = "Running", None, None, []
        self._parse_failed = False
        saved_types = getattr(CURRENT, "types", None)
        saved_runspace = getattr(CURRENT, "runspace", None)
        saved_type_data = getattr(CURRENT, "type_data", None)
        items = None if input is None else (input if isinstance(input, list) else [input])
        try:
            for statement in self.Commands.statements:
                if statement:
                    self._result.extend(self._run_statement(rs, statement, items))
                    items = None
            self._state = "Completed"
        except ExitException:
            self._state = "Completed"
        except RuntimeException as exc:
            self._fail(exc)
        except ParseError as exc:   # a parse error of AddScript's text: nothing of it ran
            record = _parse_failure(exc)
            self._fail(RuntimeException(record))
            self._parse_failed = True
        finally:
            CURRENT.types = saved_types
            CURRENT.runspace = saved_runspace
            CURRENT.type_data = saved_type_data

    def _fail(self, exc: RuntimeException) -> None:
        from pshell.engine.errors import ActionPreferenceStop
        self._state = "Failed"
        self._reason = exc.record.Exception
        if isinstance(exc, ActionPreferenceStop):
            # as .NET raises it: the stop ends the invocation as an ActionPreferenceStopException
            record = ErrorRecord(f"The running command stopped because the preference variable "
                                 f"\"ErrorActionPreference\" or common parameter is set to Stop: "
                                 f"{exc.record.message}", "ActionPreferenceStopException",
                                 "OperationStopped",
                                 exception_type="System.Management.Automation."
                                                "ActionPreferenceStopException")
            exc = RuntimeException(record)
        self._failure = exc

    def _run_statement(self, rs: Any, statement: List[_Command], items: Any) -> List[Any]:
        if len(statement) == 1 and statement[0].kind == "script":
            return rs.invoke(statement[0].text, input=items, streams=_StreamsSink(self.Streams),
                             source="<PowerShell.AddScript>")
        text = "\n".join(_splat_lines(statement))
        return rs.invoke(text, args=statement, input=items, streams=_StreamsSink(self.Streams),
                         source="<PowerShell.AddCommand>")

    def ToString(self) -> str:
        return "System.Management.Automation.PowerShell"


def _parse_failure(exc: Any) -> Any:
    """The record of a script that does not parse, as .NET reports it from Invoke: a
    MethodInvocationException whose id is the parse exception's type name (IncompleteParseException
    when the text ended inside an open construct) and whose InnerException is that parse exception,
    carrying its own ErrorRecord with the parse error's id (MissingEndCurlyBrace, ...)."""
    message = str(getattr(exc, "message", exc))
    kind = "IncompleteParseException" if getattr(exc, "incomplete", False) else "ParseException"
    inner_record = ErrorRecord(message, getattr(exc, "error_id", kind), "ParserError",
                               exception_type="System.Management.Automation." + kind)
    inner = _ParseExceptionInfo(message, "System.Management.Automation." + kind)
    inner.ErrorRecord = inner_record
    outer = ExceptionInfo(f'Exception calling "Invoke" with "0" argument(s): "{message}"',
                          "System.Management.Automation.MethodInvocationException", inner)
    return ErrorRecord(message, kind, "ParserError", exception=outer)


class _ParseExceptionInfo(ExceptionInfo):
    """A ParseException: an exception that also carries the parse error's record."""

    __slots__ = ("ErrorRecord",)
    ps_properties = ("Message", "ErrorRecord")  # type: ignore[assignment]

    def __init__(self, message: str, type_name: str) -> None:
        super().__init__(message, type_name)
        self.ErrorRecord: Any = None


def _splat_lines(statement: List[_Command]) -> List[str]:
    """The text running one pipeline of added commands: each command's parameters are splatted
    from a variable filled from ``$args`` (the _Command objects)."""
    setup = []
    stages = []
    for index, command in enumerate(statement):
        if command.kind == "script":
            stages.append(f"& ([scriptblock]::Create($args[{index}].text))")
            continue
        setup.append(f"$__psapi_p{index} = $args[{index}].params; $__psapi_a{index} = $args[{index}].args")
        stages.append(f"& $args[{index}].text @__psapi_p{index} @__psapi_a{index}")
    return setup + [" | ".join(stages)]


class InnerExceptionInfo(ExceptionInfo):
    """The exception a failed Invoke() wraps: the original message and type, with its record."""

    __slots__ = ("ErrorRecord",)

    def __init__(self, record: ErrorRecord) -> None:
        inner = record.Exception
        super().__init__(str(getattr(inner, "Message", inner)),
                         getattr(inner, "type_name", "System.Management.Automation.RuntimeException"),
                         getattr(inner, "InnerException", None))
        self.ErrorRecord = record


def _method_exception(record: ErrorRecord, method: str) -> RuntimeException:
    """What a failed .NET method call gives a script: a MethodInvocationException around the
    original exception.  The record keeps the original's id (``catch`` and ``-ErrorId`` see it),
    except a parse error's, which is ParseException (the inner record has the parse error's own id)."""
    inner = InnerExceptionInfo(record)
    message = f'Exception calling "{method}" with "0" argument(s): "{inner.Message}"'
    outer = ExceptionInfo(message, "System.Management.Automation.MethodInvocationException", inner)
    parse = record.category == "ParserError"
    return RuntimeException(ErrorRecord(message, "ParseException" if parse else record.FullyQualifiedErrorId,
                                        record.category, record.TargetObject, exception=outer))


def create_powershell(args: List[Any]) -> PowerShell:
    runspace = args[0] if args and isinstance(args[0], RunspaceHandle) else None
    return PowerShell(runspace)


def create_runspace(args: List[Any]) -> RunspaceHandle:
    return RunspaceHandle()
