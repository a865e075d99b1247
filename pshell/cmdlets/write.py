"""Write-Output, Write-Host, Write-Error, Write-Warning, Write-Verbose, Write-Debug,
Write-Information, Write-Progress."""

from __future__ import annotations


from pshell.engine.cmdlet import Cmdlet, Param, enum_type, register
from pshell.engine.errors import ErrorRecord, ExceptionInfo, RuntimeException
from pshell.engine.streams import ProgressRecord
from pshell.engine.values import AutomationNull, enumerate_value, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, Optional
    from pshell.engine.runtime import Scope

COLORS = ("Black", "DarkBlue", "DarkGreen", "DarkCyan", "DarkRed", "DarkMagenta", "DarkYellow",
          "Gray", "DarkGray", "Blue", "Green", "Cyan", "Red", "Magenta", "Yellow", "White")

CATEGORIES = (
    "NotSpecified", "OpenError", "CloseError", "DeviceError", "DeadlockDetected", "InvalidArgument",
    "InvalidData", "InvalidOperation", "InvalidResult", "InvalidType", "MetadataError",
    "NotImplemented", "NotInstalled", "ObjectNotFound", "OperationStopped", "OperationTimeout",
    "SyntaxError", "ParserError", "PermissionDenied", "ResourceBusy", "ResourceExists",
    "ResourceUnavailable", "ReadError", "WriteError", "FromStdErr", "SecurityError",
    "ProtocolError", "ConnectionError", "AuthenticationError", "LimitsExceeded", "QuotaExceeded",
    "NotEnabled")


_color_name = enum_type("System.ConsoleColor", COLORS)


def _color(value: Any) -> Optional[str]:
    """ConsoleColor conversion: a name (any case) or its number."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(COLORS):
        return COLORS[value]
    text = to_str(value).strip()
    if text.isdigit() and int(text) < len(COLORS):
        return COLORS[int(text)]
    try:
        return _color_name(text)
    except ValueError as exc:           # pwsh's id for an argument no conversion takes
        from pshell.engine.errors import ErrorRecord, ParameterBindingError
        raise ParameterBindingError(ErrorRecord(
            f"Cannot bind parameter. {exc}", "CannotConvertArgumentNoMessage", "InvalidArgument", text,
            exception_type="System.Management.Automation.ParameterBindingException")) from None


_color.type_label = "ConsoleColor"  # type: ignore[attr-defined]  # for help
_color.choices = tuple(COLORS)  # type: ignore[attr-defined]  # for completion
_category = enum_type("System.Management.Automation.ErrorCategory", CATEGORIES)


@register
class WriteOutput(Cmdlet):
    name = "Write-Output"
    synopsis = "Writes objects to the pipeline."
    params = (
        # positional arguments all land here (ValueFromRemainingArguments): `Write-Output 1 2 3`
        Param("InputObject", "object", mandatory=True, pipeline=True, remaining=True),
        Param("NoEnumerate", "switch"),
    )

    def process(self) -> Iterator[Any]:
        value = self.InputObject
        if value is AutomationNull:
            return
        if self.NoEnumerate:
            yield value
            return
        yield from enumerate_value(value)


def _host_text(value: Any, separator: str) -> str:
    """Write-Host's rendering: collections are flattened and joined with the separator."""
    if isinstance(value, (list, tuple)):
        return separator.join(_host_text(item, separator) for item in value)
    if value is None or value is AutomationNull:
        return ""
    return to_str(value)


@register
class WriteHost(Cmdlet):
    name = "Write-Host"
    synopsis = "Writes text to the host (the console), not to the pipeline."
    params = (
        Param("Object", "object", pipeline=True, remaining=True, aliases=("Msg", "Message")),
        Param("NoNewline", "switch"),
        Param("Separator", "object", default=" "),
        Param("ForegroundColor", _color),
        Param("BackgroundColor", _color),
    )

    def process(self) -> None:
        separator = to_str(self.Separator)
        text = _host_text(self.Object, separator)
        self.write_host(text, not self.NoNewline, self.ForegroundColor, self.BackgroundColor)


@register
class WriteError(Cmdlet):
    name = "Write-Error"
    synopsis = "Writes a non-terminating error to the error stream."
    default_set = "NoException"
    params = (
        Param("Message", "string", position=0, mandatory=("NoException",), pipeline=True,
              aliases=("Msg",), sets=("NoException", "WithException")),
        Param("Exception", "object", mandatory=("WithException",), sets=("WithException",)),
        Param("ErrorRecord", "object", mandatory=("ErrorRecord",), sets=("ErrorRecord",)),
        Param("Category", _category, sets=("NoException", "WithException")),
        Param("ErrorId", "string", sets=("NoException", "WithException")),
        Param("TargetObject", "object", sets=("NoException", "WithException")),
        Param("RecommendedAction", "string"),
        Param("CategoryActivity", "string", aliases=("Activity",)),
        Param("CategoryReason", "string", aliases=("Reason",)),
        Param("CategoryTargetName", "string", aliases=("TargetName",)),
        Param("CategoryTargetType", "string", aliases=("TargetType",)),
    )

    def process(self) -> None:
        if self.Message is None and self.Exception is None and self.ErrorRecord is None:
            raise self.terminate("Cannot process command because of one or more missing mandatory "
                                 "parameters: Message.", "MissingMandatoryParameter",
                                 "InvalidArgument")
        record = self._record()
        self.write_error(record)

    def _record(self) -> ErrorRecord:
        if self.ErrorRecord is not None:
            given = self.ErrorRecord
            if isinstance(given, RuntimeException):
                return given.record
            if isinstance(given, ErrorRecord):
                return given
            return self._make(to_str(given), None)
        exception = self.Exception
        if isinstance(exception, RuntimeException):
            exception = exception.record.Exception
        elif isinstance(exception, ErrorRecord):
            exception = exception.Exception
        message = self.Message
        if message is None:
            message = to_str(getattr(exception, "Message", exception)) if exception is not None else ""
        if exception is not None and not hasattr(exception, "Message"):
            exception = ExceptionInfo(to_str(exception), "System.Exception")
        return self._make(message, exception)

    def _make(self, message: str, exception: Any) -> ErrorRecord:
        error_id = self.ErrorId or "Microsoft.PowerShell.Commands.WriteErrorException"
        record = self.error_record(message, error_id, self.Category or "NotSpecified",
                                   self.TargetObject,
                                   exception_type="Microsoft.PowerShell.Commands.WriteErrorException")
        record.FullyQualifiedErrorId = error_id
        if exception is not None:
            record.Exception = exception
            if self.Message is not None and self.Message != getattr(exception, "Message", None):
                record.Exception = ExceptionInfo(
                    message, getattr(exception, "type_name", "System.Exception"), exception)
        caller = self._caller_name()
        if caller:
            record.command = caller
            record.FullyQualifiedErrorId = f"{error_id},{caller}"
        return record

    def _caller_name(self) -> Optional[str]:
        """PowerShell attributes a Write-Error to the function that called it (``f: message``);
        at the top level it stays ``Write-Error``."""
        frame = self.ctx.frame
        block = frame.block
        if block is None:
            return None
        scope: Optional[Scope] = frame.scope
        while scope is not None:
            for info in (scope.functions or {}).values():
                if getattr(info, "block", None) is block:
                    return str(info.name)
            scope = scope.parent
        return None


class _MessageCmdlet(Cmdlet):
    params = (
        Param("Message", "string", position=0, mandatory=True, pipeline=True, aliases=("Msg",)),
    )

    def emit(self, message: str) -> None:
        raise NotImplementedError

    def process(self) -> None:
        self.emit("" if self.Message is None else self.Message)


@register
class WriteWarning(_MessageCmdlet):
    name = "Write-Warning"
    synopsis = "Writes a warning message."

    def emit(self, message: str) -> None:
        self.write_warning(message)


@register
class WriteVerbose(_MessageCmdlet):
    name = "Write-Verbose"
    synopsis = "Writes text to the verbose stream (shown with -Verbose or $VerbosePreference)."

    def emit(self, message: str) -> None:
        self.write_verbose(message)


@register
class WriteDebug(_MessageCmdlet):
    name = "Write-Debug"
    synopsis = "Writes text to the debug stream (shown with -Debug or $DebugPreference)."

    def emit(self, message: str) -> None:
        self.write_debug(message)


@register
class WriteInformation(Cmdlet):
    name = "Write-Information"
    synopsis = "Writes data to the information stream."
    params = (
        # mandatory in pwsh, but $null is allowed (AllowNull): a piped $null is one empty record
        Param("MessageData", "object", position=0, pipeline=True, aliases=("Msg", "Message")),
        Param("Tags", "string[]", position=1),
    )

    def process(self) -> None:
        tags = tuple(self.Tags or ())
        self.write_information(self.MessageData, tags)


@register
class WriteProgress(Cmdlet):
    name = "Write-Progress"
    synopsis = "Reports the progress of a long-running operation (a bar on a terminal)."
    params = (
        Param("Activity", "string", position=0),
        Param("Status", "string", position=1),
        Param("Id", "int", position=2),
        Param("PercentComplete", "int"),
        Param("SecondsRemaining", "int"),
        Param("CurrentOperation", "string"),
        Param("ParentId", "int"),
        Param("Completed", "switch"),
        Param("SourceId", "int"),
    )

    def process(self) -> None:
        percent = -1 if self.PercentComplete is None else int(self.PercentComplete)
        if percent > 100:
            raise self.terminate(
                f"Cannot validate argument on parameter 'PercentComplete'. The {percent} argument "
                f"is greater than the maximum allowed range of 100. Supply an argument that is "
                f"less than or equal to 100 and then try the command again.",
                "ParameterArgumentValidationError", "InvalidData")
        record = ProgressRecord(
            self.Activity if self.Activity else "Processing",
            self.Status if self.Status else "Processing",
            percent,
            0 if self.Id is None else int(self.Id),
            -1 if self.ParentId is None else int(self.ParentId),
            self.CurrentOperation or "",
            -1 if self.SecondsRemaining is None else int(self.SecondsRemaining),
            bool(self.Completed),
        )
        self.write_progress(record)

