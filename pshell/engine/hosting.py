"""``[powershell]::Create()``: a second runspace driven from a script (PowerShell's hosting API).

A ``PowerShellInstance`` owns a fresh :class:`Runspace` (the caller's environment copied, its
location) that lives until ``Dispose()``, so functions one ``Invoke()`` defines are there for the
next.  ``AddScript``/``AddCommand``/``AddParameter``/``AddArgument`` build the pending pipeline (kept
after ``Invoke``, as in .NET, until ``Commands.Clear()``); ``Invoke()`` runs it at the runspace's top
level: statement-terminating errors are reported into ``Streams.Error`` and the script goes on, a
script-terminating one (``throw``, ``-ErrorAction Stop``, a parse error) comes back to the caller as a
MethodInvocationException whose ``InnerException`` carries the original record (``.ErrorRecord``).
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from pshell.engine.errors import ErrorRecord, ExceptionInfo, RuntimeException
from pshell.engine.streams import Streams
from pshell.engine.values import Hashtable, to_str
from pshell.lang.errors import ParseError

__all__ = ["PowerShellInstance", "create"]


class InnerExceptionInfo(ExceptionInfo):
    """The exception a failed Invoke() wraps: the original message and type, with its record."""

    __slots__ = ("ErrorRecord",)

    def __init__(self, record: ErrorRecord) -> None:
        inner = record.Exception
        super().__init__(str(getattr(inner, "Message", inner)),
                         getattr(inner, "type_name", "System.Management.Automation.RuntimeException"),
                         getattr(inner, "InnerException", None))
        self.ErrorRecord = record


class PSDataStreams(Streams):
    """``$ps.Streams``: one list per stream, filled while Invoke() runs."""

    def __init__(self) -> None:
        self.Error: List[Any] = []
        self.Warning: List[Any] = []
        self.Verbose: List[Any] = []
        self.Debug: List[Any] = []
        self.Information: List[Any] = []
        self.Progress: List[Any] = []

    def ClearStreams(self) -> None:
        for stream in (self.Error, self.Warning, self.Verbose, self.Debug, self.Information,
                       self.Progress):
            stream.clear()

    def error(self, record: Any) -> None:
        self.Error.append(record)

    def warning(self, record: Any) -> None:
        self.Warning.append(record)

    def verbose(self, record: Any) -> None:
        self.Verbose.append(record)

    def debug(self, record: Any) -> None:
        self.Debug.append(record)

    def information(self, record: Any) -> None:
        self.Information.append(record)

    def progress(self, record: Any) -> None:
        self.Progress.append(record)


class _Command:
    """One pending stage: a script (text) or a command name with its parameters."""

    __slots__ = ("script", "name", "named", "positional", "local_scope")

    def __init__(self, script: Optional[str] = None, name: Optional[str] = None,
                 local_scope: bool = False) -> None:
        self.script = script
        self.name = name
        self.named: List[Tuple[str, Any]] = []
        self.positional: List[Any] = []
        self.local_scope = local_scope

    def ToString(self) -> str:
        return self.script if self.script is not None else to_str(self.name)


class PSCommand:
    """``$ps.Commands``: the pending pipeline."""

    ps_properties = ("Commands",)

    def __init__(self) -> None:
        self.Commands: List[_Command] = []

    def Clear(self) -> None:
        self.Commands.clear()


class PowerShellInstance:
    ps_type_names = ("System.Management.Automation.PowerShell",)
    ps_properties = ("Commands", "Streams", "HadErrors", "InvocationStateInfo")

    def __init__(self, parent: Any = None) -> None:
        from pshell.engine.runtime import Runspace
        environ = dict(parent.environ) if parent is not None else None
        location = parent.location if parent is not None else None
        self.Streams = PSDataStreams()
        self._rs = Runspace(host=self.Streams, location=location, name="PowerShell", environ=environ)
        self._rs.non_interactive = True
        self.Commands = PSCommand()
        self.HadErrors = False
        self.InvocationStateInfo = "NotStarted"
        self._disposed = False

    @property
    def Runspace(self) -> Any:
        return self._rs

    # ---- building the pipeline ---------------------------------------------------------------
    def AddScript(self, script: Any, use_local_scope: Any = False) -> "PowerShellInstance":
        self.Commands.Commands.append(_Command(script=to_str(script), local_scope=bool(use_local_scope)))
        return self

    def AddCommand(self, name: Any, use_local_scope: Any = False) -> "PowerShellInstance":
        self.Commands.Commands.append(_Command(name=name, local_scope=bool(use_local_scope)))
        return self

    def AddStatement(self) -> "PowerShellInstance":
        return self

    def _last(self, what: str) -> _Command:
        if not self.Commands.Commands:
            raise RuntimeException.make(f"A command is required to add a {what}: call AddCommand "
                                        f"or AddScript first.", "InvalidPowerShellStateException",
                                        "InvalidOperation")
        return self.Commands.Commands[-1]

    def AddParameter(self, name: Any, value: Any = True) -> "PowerShellInstance":
        self._last("parameter").named.append((to_str(name), value))
        return self

    def AddParameters(self, parameters: Any) -> "PowerShellInstance":
        command = self._last("parameter")
        if isinstance(parameters, dict):
            command.named.extend((to_str(k), v) for k, v in parameters.items())
        else:
            command.positional.extend(parameters if isinstance(parameters, list) else [parameters])
        return self

    def AddArgument(self, value: Any) -> "PowerShellInstance":
        self._last("argument").positional.append(value)
        return self

    # ---- running -------------------------------------------------------------------------------
    def Invoke(self, input: Any = None) -> List[Any]:
        from pshell.engine.runtime import CURRENT
        if self._disposed:
            raise RuntimeException.make("Cannot access a disposed object: the PowerShell instance.",
                                        "ObjectDisposedException", "InvalidOperation")
        commands = list(self.Commands.Commands)
        if not commands:
            raise RuntimeException.make('Exception calling "Invoke" with "0" argument(s): "No '
                                        'commands are specified."', "InvalidOperationException",
                                        "InvalidOperation",
                                        exception_type="System.Management.Automation."
                                                       "MethodInvocationException")
        saved = getattr(CURRENT, "types", None)
        errors_before = len(self.Streams.Error)
        self.InvocationStateInfo = "Running"
        rs = self._rs
        try:
            if len(commands) == 1 and commands[0].script is not None and not commands[0].local_scope:
                result = rs.invoke(commands[0].script, input=_items(input), source="<powershell>")
            else:
                result = self._invoke_pipeline(commands, input)
        except ParseError as exc:
            self.HadErrors = True
            self.InvocationStateInfo = "Failed"
            record = ErrorRecord(exc.message, exc.error_id, "ParserError", None, exc.location,
                                 exception_type="System.Management.Automation.ParseException")
            raise _method_exception(record, "ParseException") from None
        except RuntimeException as exc:
            self.HadErrors = True
            self.InvocationStateInfo = "Failed"
            raise _method_exception(exc.record) from None
        finally:
            CURRENT.types = saved
        self.HadErrors = len(self.Streams.Error) > errors_before
        self.InvocationStateInfo = "Completed"
        return result

    def _invoke_pipeline(self, commands: List[_Command], input: Any) -> List[Any]:
        """Several stages (or a command): the stages are set as hidden variables of the runspace's
        global scope, piped together by a generated line, and removed again."""
        rs = self._rs
        names: List[str] = []
        stages: List[str] = []
        try:
            for index, command in enumerate(commands):
                var = f"__pshell_ps_stage{index}"
                names.append(var)
                if command.script is not None:
                    rs.set_variable(var, rs.compile(command.script, "<powershell>"))
                    stages.append(("& $" if command.local_scope else ". $") + var)
                    continue
                named = Hashtable()
                for key, value in command.named:
                    named[key] = value
                rs.set_variable(var, command.name)
                rs.set_variable(var + "n", named)
                rs.set_variable(var + "p", list(command.positional))
                names += [var + "n", var + "p"]
                stages.append(f"& ${var} @{var}p @{var}n")
            return rs.invoke(" | ".join(stages), input=_items(input), source="<powershell>")
        finally:
            for var in names:
                rs.global_scope.vars.pop(var, None)

    def Stop(self) -> None:
        self._rs.stop()

    def Dispose(self) -> None:
        if not self._disposed:
            self._disposed = True
            self._rs.close()

    def ToString(self) -> str:
        return "System.Management.Automation.PowerShell"


def _items(input: Any) -> Any:
    if input is None:
        return None
    return input if isinstance(input, (list, tuple)) else [input]


def _method_exception(record: ErrorRecord, error_id: str = "") -> RuntimeException:
    """What a .NET method call that failed gives a script: MethodInvocationException around the
    original exception; the record keeps the original's id (``catch`` and ``-ErrorId`` see it),
    a parse error's is ParseException (its inner record has the parse error's own id)."""
    inner = InnerExceptionInfo(record)
    message = f'Exception calling "Invoke" with "0" argument(s): "{inner.Message}"'
    outer = ExceptionInfo(message, "System.Management.Automation.MethodInvocationException", inner)
    return RuntimeException(ErrorRecord(message, error_id or record.FullyQualifiedErrorId, record.category,
                                        record.TargetObject, exception=outer))


def create(rs: Any, args: List[Any]) -> PowerShellInstance:
    """``[powershell]::Create()``."""
    return PowerShellInstance(rs)
