"""Error records and the exceptions that carry control flow through compiled script code."""

from __future__ import annotations


from pshell.lang.errors import SourceLocation, render_location

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple, Union

__all__ = [
    "ErrorRecord", "PSException", "RuntimeException", "ActionPreferenceStop", "PipelineStopped",
    "FlowControl", "BreakException", "ContinueException", "ReturnException", "ExitException",
    "CommandNotFound", "ParameterBindingError", "ExceptionInfo",
]


class ExceptionInfo:
    """What ``$_.Exception`` / ``$Error[0].Exception`` shows: a .NET exception as a message, a type
    name (its base types are in engine/exception_types.py) and the exception it wraps, if any."""

    __slots__ = ("Message", "type_name", "InnerException", "ParamName", "wraps", "ErrorRecord", "_data")
    ps_properties = ("Message",)

    def __init__(self, message: str, type_name: str = "System.Management.Automation.RuntimeException",
                 inner: Any = None) -> None:
        self.Message = message
        self.type_name = type_name
        self.InnerException = inner
        self.ParamName: Any = None
        self.wraps = False          # made by the engine around a .NET exception (1/0, a method call)
        self.ErrorRecord: Any = None    # a RuntimeException's or ParseException's record, when known
        self._data: Any = None

    @property
    def Data(self) -> Any:
        """The exception's Data dictionary (made when first asked for)."""
        if self._data is None:
            from pshell.engine.values import Hashtable
            self._data = Hashtable()
        return self._data

    def GetType(self) -> Any:
        from pshell.engine.values import PSTypeInfo
        return PSTypeInfo(self.type_name)

    def GetBaseException(self) -> "ExceptionInfo":
        found = self
        while isinstance(found.InnerException, ExceptionInfo):
            found = found.InnerException
        return found

    @property
    def ps_type_names(self) -> Tuple[str, ...]:
        """The exception's type and the types it derives from (``-is [System.IO.IOException]``
        holds for a FileNotFoundException), as ``catch`` matches them (engine/exception_types.py
        knows the hierarchy)."""
        from pshell.engine.exception_types import ancestry
        return (*ancestry(self.type_name), "System.Object")

    @property
    def HResult(self) -> Optional[int]:
        from pshell.engine.error_view import HRESULTS
        return HRESULTS.get(self.type_name)

    def ToString(self) -> str:
        return self.Message

    def __str__(self) -> str:
        return self.Message

    def __repr__(self) -> str:
        return f"ExceptionInfo({self.Message!r}, {self.type_name!r})"


class ErrorRecord:
    """PowerShell's ErrorRecord: an exception, an id, a category, a target and where it happened."""

    ps_type_names = ("System.Management.Automation.ErrorRecord",)
    ps_properties = ("Exception", "TargetObject", "FullyQualifiedErrorId", "CategoryInfo",
                     "InvocationInfo", "ScriptStackTrace")

    def __init__(self, message: str, error_id: str = "RuntimeException",
                 category: str = "NotSpecified", target: Any = None,
                 location: Optional[SourceLocation] = None, command: str = "",
                 exception_type: str = "System.Management.Automation.RuntimeException",
                 exception: Any = None) -> None:
        if error_id == "PathNotFound" and exception_type.endswith(".RuntimeException"):
            exception_type = "System.Management.Automation.ItemNotFoundException"
        self.Exception = exception if exception is not None else ExceptionInfo(message, exception_type)
        self.FullyQualifiedErrorId = error_id
        self.category = category
        self.TargetObject = target
        self.location = location
        self.command = command
        self._stack = ""
        self.history_id = 0         # the history entry of the command that made it (rs.add_error)
        self.computer_name: Optional[str] = None   # set when the record came from a remote computer

    @property
    def message(self) -> str:
        return str(getattr(self.Exception, "Message", self.Exception))

    @property
    def ScriptStackTrace(self) -> str:
        """Where the error happened, as ``at <ScriptBlock>, file: line N`` (the innermost frame
        only) unless a stack was given (a remote computer's)."""
        if self._stack or self.location is None:
            return self._stack
        source = self.location.source
        named = source and not source.startswith("<")
        return f"at <ScriptBlock>, {source if named else '<No file>'}: line {self.location.line}"

    @ScriptStackTrace.setter
    def ScriptStackTrace(self, value: str) -> None:
        self._stack = value

    @property
    def CategoryInfo(self) -> "ErrorCategoryInfo":
        return ErrorCategoryInfo(self)

    @property
    def exception_type_short(self) -> str:
        return getattr(self.Exception, "type_name", "RuntimeException").rsplit(".", 1)[-1]

    @property
    def InvocationInfo(self) -> Any:
        if self.location is None:
            return None
        from pshell.engine.values import PSObject
        loc = self.location
        return PSObject.from_pairs([
            ("ScriptName", loc.source), ("ScriptLineNumber", loc.line),
            ("OffsetInLine", loc.column), ("Line", loc.line_text()),
            ("PositionMessage", render_location(loc)), ("MyCommand", self.command),
            ("HistoryId", self.history_id),
        ])

    def render(self) -> str:
        """The text the host prints for an error that reaches it."""
        prefix = f"[{self.computer_name}] " if self.computer_name else ""
        if self.is_native_stderr_line():
            return prefix + self.message        # a line a program wrote, as it wrote it
        head = f"{self.command}: " if self.command else ""
        text = f"{prefix}{head}{self.message}"
        if self.location is not None and self.location.text:
            text = f"{text}\n{render_location(self.location)}"
        return text

    def is_native_stderr_line(self) -> bool:
        """A line a native program wrote to stderr (here, or on a remote computer, where it was
        a ``native.NativeErrorRecord`` before it crossed the wire)."""
        return (self.FullyQualifiedErrorId.split(",")[0] == "NativeCommandError"
                and self.exception_type_short == "RemoteException")

    def ToString(self) -> str:
        return self.message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"ErrorRecord({self.message!r}, {self.FullyQualifiedErrorId!r})"


class ErrorCategoryInfo:
    """``$_.CategoryInfo``: the category and what the error was about; prints as one line."""

    __slots__ = ("Category", "Activity", "Reason", "TargetName", "TargetType")
    ps_type_names = ("System.Management.Automation.ErrorCategoryInfo",)
    ps_properties = ("Category", "Activity", "Reason", "TargetName", "TargetType")

    def __init__(self, record: ErrorRecord) -> None:
        from pshell.engine.values import type_names_of
        target = record.TargetObject
        self.Category = record.category
        self.Activity = record.command
        self.Reason = record.exception_type_short
        self.TargetName = "" if target is None else str(target)
        self.TargetType = "" if target is None else type_names_of(target)[0].rsplit(".", 1)[-1]

    def ToString(self) -> str:
        return f"{self.Category}: ({self.TargetName}:{self.TargetType}) [{self.Activity}], " \
               f"{self.Reason}"

    def __str__(self) -> str:
        return self.ToString()


class PSException(Exception):
    """Base of every exception pshell raises on purpose."""


class RuntimeException(PSException):
    """A terminating error.  ``record`` is what ``catch`` sees as ``$_``."""

    def __init__(self, record: ErrorRecord) -> None:
        super().__init__(record.message)
        self.record = record

    @classmethod
    def make(cls, message: str, error_id: str = "RuntimeException", category: str = "NotSpecified",
             target: Any = None, location: Optional[SourceLocation] = None,
             exception_type: str = "System.Management.Automation.RuntimeException") -> "RuntimeException":
        return cls(ErrorRecord(message, error_id, category, target, location,
                               exception_type=exception_type))

    @classmethod
    def wrapping(cls, message: str, inner: Union[str, ExceptionInfo], error_id: str = "RuntimeException",
                 category: str = "NotSpecified") -> "RuntimeException":
        """A .NET exception thrown inside script code (``1/0``, a failed cast), as pwsh reports it:
        a RuntimeException with the same message whose InnerException is the original (``catch
        [Inner]`` matches; a trap sees the original).  ``inner`` is the original or its type name."""
        if not isinstance(inner, ExceptionInfo):
            inner = ExceptionInfo(message, inner)
        outer = ExceptionInfo(message, "System.Management.Automation.RuntimeException", inner)
        outer.wraps = True
        return cls(ErrorRecord(message, error_id, category, exception=outer))


class ActionPreferenceStop(RuntimeException):
    """A non-terminating error turned terminating by ``-ErrorAction Stop``."""


class CommandNotFound(RuntimeException):
    pass


class ParameterBindingError(RuntimeException):
    pass


class PipelineStopped(PSException):
    """The pipeline was stopped: Ctrl-C, Stop-Job, or ``Select-Object -First`` upstream."""


class FlowControl(PSException):
    """break / continue / return / exit travelling up through the call stack."""


class BreakException(FlowControl):
    def __init__(self, label: Optional[str] = None) -> None:
        super().__init__(label)
        self.label = label


class ContinueException(FlowControl):
    def __init__(self, label: Optional[str] = None) -> None:
        super().__init__(label)
        self.label = label


class ReturnException(FlowControl):
    pass


class ExitException(FlowControl):
    def __init__(self, code: int = 0) -> None:
        super().__init__(code)
        self.code = code
