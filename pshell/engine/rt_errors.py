"""Errors in compiled script code: a statement-terminating error reported or passed up
(``stmt_error``), ``throw``, ``try``/``catch`` matching, traps, and .NET-like exceptions for
Python's own (``to_runtime_exception``).  Imported by the first error, never at start-up: rt.py
forwards its names (rt.NAMESPACE) here."""

from __future__ import annotations

from pshell.engine.conversions import invalid_cast
from pshell.engine.errors import (ActionPreferenceStop, BreakException, ContinueException,
                                  ErrorRecord, ExceptionInfo, FlowControl,
                                  PipelineStopped, ReturnException, RuntimeException)
from pshell.engine.runtime import _NOT_FOUND as _MISSING_SENTINEL
from pshell.engine.values import ConversionError, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, Set

__all__ = ["stmt_error", "to_runtime_exception"]


_PY_ERRORS = {
    RecursionError: ("The script failed due to call depth overflow.",
                     "System.Management.Automation.ScriptCallDepthException"),
    MemoryError: ("Out of memory.", "System.OutOfMemoryException"),
    OverflowError: ("Arithmetic operation resulted in an overflow.", "System.OverflowException"),
}


def to_runtime_exception(exc: BaseException) -> RuntimeException:
    if isinstance(exc, RuntimeException):
        return exc
    if isinstance(exc, ConversionError):
        return invalid_cast(str(exc))
    if isinstance(exc, ZeroDivisionError):
        return RuntimeException.wrapping("Attempted to divide by zero.", "System.DivideByZeroException")
    for cls, (message, type_name) in _PY_ERRORS.items():
        if isinstance(exc, cls):
            return RuntimeException.make(message, cls.__name__, "InvalidOperation",
                                         exception_type=type_name)
    if isinstance(exc, OSError):
        return RuntimeException.make(exc.strerror or str(exc), "IOError", "WriteError",
                                     exc.filename, exception_type="System.IO.IOException")
    return RuntimeException.make(f"Internal error: {type(exc).__name__}: {exc}", "InternalError",
                                 "NotSpecified", exception_type="System.Exception")


def stmt_error(F: Any, exc: BaseException, nid: int) -> None:
    """A statement failed: report a statement-terminating error and carry on, or re-raise when a
    try is active or the error terminates the script."""
    if isinstance(exc, (FlowControl, PipelineStopped)):
        raise exc
    err = to_runtime_exception(exc)
    record = err.record
    if record.location is None:
        record.location = F.location(nid)
    rs = F.rs
    if getattr(err, "from_throw", False) and rs.try_depth == 0 and not rs.stop_requested and \
            _pref(F, "erroractionpreference") in ("silentlycontinue", "ignore"):
        # `throw` under -ErrorAction SilentlyContinue/Ignore (no try or trap around it) is
        # dropped: kept in $Error and -ErrorVariable only, and the next statement runs
        rs.add_error(record)
        rs.last_success = False
        sink = F.streams
        for _ in range(64):
            ctx = getattr(sink, "ctx", None)
            if ctx is not None and getattr(ctx, "error_var", None) is not None:
                ctx.error_var.append(record)
            sink = getattr(sink, "parent", None)
            if sink is None:
                break
        return
    if rs.try_depth > 0 or getattr(err, "script_terminating", False) or \
            isinstance(err, ActionPreferenceStop) or rs.stop_requested or _inside(F, err):
        err.passed_up = True  # type: ignore[attr-defined]   # a trap up there sees it as raised here
        if err is exc:
            raise err
        raise err from None
    rs.add_error(record)
    rs.last_success = False
    rs.uncaught_errors += 1
    pref = _pref(F, "erroractionpreference")
    if pref == "stop":
        err.script_terminating = True  # type: ignore[attr-defined]
        raise err
    if pref not in ("silentlycontinue", "ignore"):
        F.streams.error(record)


def _located(F: Any, exc: BaseException, nid: int) -> BaseException:
    """``exc`` as a RuntimeException located at node ``nid`` when it has no location yet
    (flow control passes unchanged)."""
    if isinstance(exc, (FlowControl, PipelineStopped)):
        return exc
    err = to_runtime_exception(exc)
    if err.record.location is None:
        err.record.location = F.location(nid)
    return err


def _inside(F: Any, err: Any) -> bool:
    """True while a ThrowTerminatingError is still inside the function that raised it."""
    scope = getattr(err, "pipeline_scope", None)
    if scope is None:
        return False
    current = F.scope
    while current is not None:
        if current is scope:
            return True
        current = current.parent
    return False


def _pref(F: Any, name: str) -> str:
    value = F.scope.lookup(name)
    if value is _MISSING_SENTINEL or value is None:
        return "continue"
    return str(value).lower()


def _throw(F: Any, value: Any, nid: int) -> RuntimeException:
    if isinstance(value, ErrorRecord):
        err = RuntimeException(value)
    elif isinstance(value, RuntimeException):
        err = value
    elif value is None:
        current = F.scope.lookup("_")
        if isinstance(current, ErrorRecord):        # a bare `throw` in catch rethrows
            err = RuntimeException(current)
        else:
            err = RuntimeException.make("ScriptHalted", "ScriptHalted", "OperationStopped")
    elif isinstance(value, ExceptionInfo):
        err = RuntimeException(ErrorRecord(value.Message, value.type_name.rsplit(".", 1)[-1],
                                           exception=value))
    else:
        message = to_str(value)
        err = RuntimeException(ErrorRecord(message, message, "OperationStopped", value))
    if err.record.location is None:
        err.record.location = F.location(nid)
    err.script_terminating = True  # type: ignore[attr-defined]
    err.from_throw = True  # type: ignore[attr-defined]
    return err


def _catchable(exc: BaseException) -> RuntimeException:
    if isinstance(exc, (FlowControl, PipelineStopped)):
        raise exc
    return to_runtime_exception(exc)


def _caught(rs: Any, err: RuntimeException) -> None:
    """A catch took the error: it is in ``$Error`` like any other (once)."""
    if not rs.errors or rs.errors[0] is not err.record:
        rs.add_error(err.record)


def _catch_match(err: RuntimeException, type_names: Any) -> bool:
    """Does ``catch [T1], [T2]`` catch ``err``: is its exception, or the exception it wraps, one
    of those types or derived from one (engine/exception_types.py knows the hierarchy)?"""
    from pshell.engine.exception_types import ancestry, exception_name
    family: Set[str] = set()
    exc = err.record.Exception
    for candidate in (exc, getattr(exc, "InnerException", None)):
        if candidate is not None:
            family.update(n.lower() for n in ancestry(getattr(candidate, "type_name", "System.Exception")))
    if isinstance(err, ActionPreferenceStop):       # -ErrorAction Stop: catchable as either
        family.update(n.lower() for n in ancestry("ActionPreferenceStopException"))
    shorts = {f.rsplit(".", 1)[-1] for f in family}
    for name in type_names:
        wanted = (exception_name(name) or name).lower()
        if wanted in family or wanted.rsplit(".", 1)[-1] in shorts:
            return True
    return False


def _readonly(name: str) -> None:
    raise RuntimeException.make(f"Cannot overwrite variable {name} because it is read-only or "
                                f"constant.", "VariableNotWritable", "WriteError",
                                exception_type="System.Management.Automation.SessionStateUnauthorizedAccessException")


def _bad_target(nid: int) -> None:
    raise RuntimeException.make("The assignment expression is not valid. The input to an assignment "
                                "operator must be an object that is able to accept assignments, "
                                "such as a variable or a property.", "InvalidLeftHandSide",
                                "ParserError")


def _unwrapped(record: ErrorRecord) -> ErrorRecord:
    """What a trap sees as ``$_``: for an error the engine wrapped around a .NET exception (1/0,
    a method call that threw), a record of the original exception, as in pwsh."""
    exc = record.Exception
    inner = getattr(exc, "InnerException", None)
    wrapper = getattr(exc, "wraps", False) or getattr(exc, "type_name", "") in (
        "System.Management.Automation.RuntimeException",
        "System.Management.Automation.MethodInvocationException")
    if not wrapper or not isinstance(inner, ExceptionInfo):
        return record
    copy = ErrorRecord(inner.Message, record.FullyQualifiedErrorId, record.category,
                       record.TargetObject, record.location, record.command, exception=inner)
    return copy


def _trapped(F: Any, exc: BaseException, nid: int) -> Iterator[Any]:
    """A statement failed in a block that has traps: run the first trap that matches (its output
    is the block's output), then carry on with the next statement; ``break`` in the trap makes
    the error terminating, ``continue`` suppresses the error message."""
    if isinstance(exc, (FlowControl, PipelineStopped)):
        raise exc
    err = to_runtime_exception(exc)
    record = err.record
    if record.location is None:
        record.location = F.location(nid)
    rs = F.rs
    handler = None
    if not rs.stop_requested:
        for type_name, body in F.traps or ():
            if type_name is None or _catch_match(err, (type_name,)):
                handler = body
                break
    rs.try_depth -= 1                   # the block's own trap guards it like a try (see compiler)
    try:
        if handler is None:
            stmt_error(F, exc, nid)
            return
        yield from _run_trap(F, err, record, handler)
    finally:
        rs.try_depth += 1


def _run_trap(F: Any, err: Any, record: Any, handler: Any) -> Iterator[Any]:
    rs = F.rs
    from pshell.engine.runtime import Scope
    trap_frame = F.child(scope=Scope(F.scope))
    trap_frame.scope.vars["_"] = record if getattr(err, "passed_up", False) else _unwrapped(record)
    action = None
    try:
        yield from handler(trap_frame)
    except ContinueException:
        action = "continue"
    except BreakException:
        action = "break"
    except ReturnException:
        action = "return"
    rs.add_error(record)
    rs.last_success = False
    if action == "return":              # `return` in a trap leaves the block the trap is in
        raise ReturnException()
    if action == "break":
        err.script_terminating = True  # type: ignore[attr-defined]
        raise err
    if action is None and _pref(F, "erroractionpreference") not in ("silentlycontinue", "ignore"):
        F.streams.error(record)
