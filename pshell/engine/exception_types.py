""".NET exception types as pshell models them: their class hierarchy (so ``catch [SystemException]``
catches an ``InvalidOperationException``, and ``-is`` / ``GetType()`` see the real chain), their
constructors (``[ArgumentException]::new('m', 'p')``) and ``[ErrorRecord]::new(...)``.

An exception value is an ``errors.ExceptionInfo``; this module only knows names and rules.
"""

from __future__ import annotations


from pshell.engine.errors import ErrorRecord, ExceptionInfo, RuntimeException

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional

__all__ = ["canonical_name", "exception_name", "ancestry", "is_exception_type", "construct",
           "new_error_record", "method_exception"]

_SMA = "System.Management.Automation."

#: each known exception type (full name) and its base type
_BASES: Dict[str, str] = {
    "System.SystemException": "System.Exception",
    "System.ApplicationException": "System.Exception",
    "System.AggregateException": "System.Exception",
    "System.ArgumentException": "System.SystemException",
    "System.ArgumentNullException": "System.ArgumentException",
    "System.ArgumentOutOfRangeException": "System.ArgumentException",
    "System.Text.RegularExpressions.RegexParseException": "System.ArgumentException",
    "System.InvalidOperationException": "System.SystemException",
    "System.ObjectDisposedException": "System.InvalidOperationException",
    "System.NotSupportedException": "System.SystemException",
    "System.PlatformNotSupportedException": "System.NotSupportedException",
    "System.NotImplementedException": "System.SystemException",
    "System.IO.IOException": "System.SystemException",
    "System.IO.FileNotFoundException": "System.IO.IOException",
    "System.IO.DirectoryNotFoundException": "System.IO.IOException",
    "System.IO.PathTooLongException": "System.IO.IOException",
    "System.IO.EndOfStreamException": "System.IO.IOException",
    "System.UnauthorizedAccessException": "System.SystemException",
    "System.ArithmeticException": "System.SystemException",
    "System.DivideByZeroException": "System.ArithmeticException",
    "System.OverflowException": "System.ArithmeticException",
    "System.FormatException": "System.SystemException",
    "System.InvalidCastException": "System.SystemException",
    "System.NullReferenceException": "System.SystemException",
    "System.IndexOutOfRangeException": "System.SystemException",
    "System.Collections.Generic.KeyNotFoundException": "System.SystemException",
    "System.TimeoutException": "System.SystemException",
    "System.OperationCanceledException": "System.SystemException",
    "System.OutOfMemoryException": "System.SystemException",
    "System.Security.SecurityException": "System.SystemException",
    "System.ComponentModel.Win32Exception": "System.Runtime.InteropServices.ExternalException",
    "System.Runtime.InteropServices.ExternalException": "System.SystemException",
    _SMA + "RuntimeException": "System.SystemException",
    _SMA + "ParameterBindingException": _SMA + "RuntimeException",
    _SMA + "ActionPreferenceStopException": _SMA + "RuntimeException",
    _SMA + "PipelineStoppedException": _SMA + "RuntimeException",
    _SMA + "MethodException": _SMA + "RuntimeException",
    _SMA + "MethodInvocationException": _SMA + "MethodException",
    _SMA + "CommandNotFoundException": _SMA + "RuntimeException",
    _SMA + "SessionStateException": _SMA + "RuntimeException",
    _SMA + "ItemNotFoundException": _SMA + "SessionStateException",
    _SMA + "DriveNotFoundException": _SMA + "SessionStateException",
    _SMA + "ProviderNotFoundException": _SMA + "SessionStateException",
    _SMA + "SessionStateUnauthorizedAccessException": _SMA + "SessionStateException",
    _SMA + "PSInvalidCastException": "System.InvalidCastException",
    _SMA + "PSArgumentException": "System.ArgumentException",
    _SMA + "PSArgumentNullException": "System.ArgumentNullException",
    _SMA + "PSArgumentOutOfRangeException": "System.ArgumentOutOfRangeException",
    _SMA + "PSInvalidOperationException": "System.InvalidOperationException",
    _SMA + "PSNotSupportedException": "System.NotSupportedException",
    _SMA + "PSNotImplementedException": "System.NotImplementedException",
    _SMA + "PSObjectDisposedException": "System.ObjectDisposedException",
    _SMA + "MetadataException": _SMA + "RuntimeException",
    _SMA + "ValidationMetadataException": _SMA + "MetadataException",
    _SMA + "ArgumentTransformationMetadataException": _SMA + "MetadataException",
    _SMA + "ParseException": _SMA + "RuntimeException",
    _SMA + "IncompleteParseException": _SMA + "ParseException",
    _SMA + "ScriptCallDepthException": "System.SystemException",
    _SMA + "PSSecurityException": _SMA + "RuntimeException",
    _SMA + "ExtendedTypeSystemException": _SMA + "RuntimeException",
    _SMA + "PropertyNotFoundException": _SMA + "ExtendedTypeSystemException",
    _SMA + "SetValueException": _SMA + "ExtendedTypeSystemException",
    _SMA + "SetValueInvocationException": _SMA + "SetValueException",
    _SMA + "GetValueException": _SMA + "ExtendedTypeSystemException",
    _SMA + "GetValueInvocationException": _SMA + "GetValueException",
    _SMA + "RemoteException": _SMA + "RuntimeException",
    _SMA + "WildcardPatternException": _SMA + "RuntimeException",
    _SMA + "ApplicationFailedException": _SMA + "RuntimeException",
    _SMA + "CmdletInvocationException": _SMA + "RuntimeException",
    _SMA + "ProviderInvocationException": _SMA + "RuntimeException",
    _SMA + "CmdletProviderInvocationException": _SMA + "CmdletInvocationException",
    _SMA + "ParentContainsErrorRecordException": "System.SystemException",
    _SMA + "HaltCommandException": "System.SystemException",
    _SMA + "JobFailedException": "System.SystemException",
    _SMA + "PSRemotingTransportException": _SMA + "RuntimeException",
    _SMA + "Remoting.PSRemotingTransportException": _SMA + "RuntimeException",
    "Microsoft.PowerShell.Commands.WriteErrorException": "System.SystemException",
}

#: what an exception made without a message says
_DEFAULT_MESSAGES = {
    "System.ArgumentException": "Value does not fall within the expected range.",
    "System.ArgumentNullException": "Value cannot be null.",
    "System.ArgumentOutOfRangeException": "Specified argument was out of the range of valid values.",
    "System.InvalidOperationException": "Operation is not valid due to the current state of the object.",
    "System.NotSupportedException": "Specified method is not supported.",
    "System.NotImplementedException": "The method or operation is not implemented.",
    "System.DivideByZeroException": "Attempted to divide by zero.",
    "System.OverflowException": "Arithmetic operation resulted in an overflow.",
    "System.IO.IOException": "I/O error occurred.",
    "System.IO.FileNotFoundException": "Unable to find the specified file.",
    "System.IO.DirectoryNotFoundException": "Attempted to access a path that is not on the disk.",
    "System.TimeoutException": "The operation has timed out.",
    "System.OperationCanceledException": "The operation was canceled.",
}

_BY_KEY: Dict[str, str] = {}


def _index() -> Dict[str, str]:
    """Lower-cased full names, and the same without ``System.``, to the canonical spelling."""
    if not _BY_KEY:
        for name in ["System.Exception", *_BASES]:
            key = name.lower()
            _BY_KEY[key] = name
            if key.startswith("system."):
                _BY_KEY.setdefault(key[7:], name)
            _BY_KEY.setdefault(key.rsplit(".", 1)[-1], name)      # short names resolve too
    return _BY_KEY


def canonical_name(type_name: str) -> Optional[str]:
    """The full name of a known exception type (any case, with or without namespace), else None."""
    return _index().get(type_name.strip().lower())


def exception_name(type_name: str) -> Optional[str]:
    """The full name of an exception type as a script spells it: a known one's canonical name,
    else any ``...Exception`` of .NET's namespaces (``[System.Net.WebException]``,
    ``[IO.InternalBufferOverflowException]``), whose base pshell does not know; None otherwise."""
    known = canonical_name(type_name)
    if known is not None:
        return known
    name = type_name.strip()
    key = name.lower()
    if not key.endswith("exception"):
        return None
    if key.startswith("system."):
        return name
    if key.startswith("management.automation."):
        return "System." + name
    if "." not in key or key.startswith("io."):
        return "System." + name
    return None


def is_exception_type(type_name: str) -> bool:
    return exception_name(type_name) is not None


def ancestry(type_name: str) -> List[str]:
    """The type and its base types, most specific first, ending with System.Exception.  A name
    pshell does not know (a remote computer's, a script's own) gets System.Exception above it."""
    chain = [canonical_name(type_name) or type_name]
    while chain[-1] != "System.Exception":
        unknown_base = _SMA + "RuntimeException" if chain[-1].startswith(_SMA) else "System.Exception"
        chain.append(_BASES.get(chain[-1], unknown_base))
    return chain


def _message(full: str, given: Any) -> str:
    from pshell.engine.values import to_str
    if given is None:
        return _DEFAULT_MESSAGES.get(full, f"Exception of type '{full}' was thrown.")
    return to_str(given)


def _with_param(message: str, param: Any) -> str:
    from pshell.engine.values import to_str
    return f"{message} (Parameter '{to_str(param)}')" if param not in (None, "") else message


def construct(type_name: str, args: List[Any]) -> ExceptionInfo:
    """``[T]::new(...)`` / ``New-Object T ...`` of an exception type, with .NET's common
    overloads: (), (message), (message, inner), and the argument exceptions' parameter name."""
    full = canonical_name(type_name) or type_name
    inner = args[-1] if args and isinstance(args[-1], ExceptionInfo) else None
    plain = args[:-1] if inner is not None else list(args)
    family = ancestry(full)
    param = None
    if full.endswith(("ArgumentNullException", "ArgumentOutOfRangeException")) and inner is None:
        # (paramName), (paramName, message), ArgumentOutOfRange (paramName, actual, message)
        param = plain[0] if plain else None
        message = _message(full, plain[-1] if len(plain) > 1 else None)
    elif "System.ArgumentException" in family and len(plain) >= 2:
        message, param = _message(full, plain[0]), plain[1]
    else:
        message = _message(full, plain[0] if plain else None)
    exc = ExceptionInfo(_with_param(message, param), full, inner)
    if param is not None:
        exc.ParamName = param
    return exc


def new_error_record(args: List[Any]) -> ErrorRecord:
    """``[ErrorRecord]::new(exception, errorId, category, targetObject)``."""
    from pshell.engine.values import to_str
    if len(args) != 4:
        raise RuntimeException.make(
            f'Cannot find an overload for "new" and the argument count: "{len(args)}".',
            "MethodCountCouldNotFindBest", "InvalidOperation",
            exception_type=_SMA + "MethodException")
    exception, error_id, category, target = args
    if isinstance(exception, RuntimeException):
        exception = exception.record.Exception
    elif isinstance(exception, ErrorRecord):
        exception = exception.Exception
    if exception is None:
        raise method_exception("new", 4, construct("System.ArgumentNullException", ["exception"]))
    if not isinstance(exception, ExceptionInfo):      # a string converts as [Exception]'text' does
        exception = ExceptionInfo(to_str(exception), "System.Exception")
    return ErrorRecord(exception.Message, to_str(error_id) if error_id is not None else "",
                       to_str(category) if category is not None else "NotSpecified", target,
                       exception=exception)


def method_exception(method: str, count: int, inner: ExceptionInfo) -> RuntimeException:
    """A method call that threw ``inner``: MethodInvocationException ``Exception calling "M"
    with "N" argument(s): "..."``, the original as its InnerException."""
    text = f'Exception calling "{method}" with "{count}" argument(s): "{inner.Message}"'
    outer = ExceptionInfo(text, _SMA + "MethodInvocationException", inner)
    outer.wraps = True
    return RuntimeException(ErrorRecord(text, inner.type_name.rsplit(".", 1)[-1], "NotSpecified",
                                        exception=outer))
