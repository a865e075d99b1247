"""Running pipelines: command resolution, command contexts, script-block invocation, redirection.

A compiled pipeline hands ``run_pipeline`` a tuple of stages.  Each command stage is resolved
(alias -> function -> cmdlet -> script file -> executable on PATH), its arguments are bound, and the
stages are chained as iterators: pull-based, so ``1..1e9 | Select-Object -First 3`` ends the range
after three items.  Adjacent native commands are connected with raw bytes.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional, Tuple

from pshell.engine.aliases import DEFAULT_ALIASES
from pshell.engine.builtin_functions import BUILTIN_FUNCTIONS, builtin_function
from pshell.engine.binder import BindResult, bind_arguments, bind_pipeline_item, script_params
from pshell.engine.cmdlet import Cmdlet, lookup_cmdlet
from pshell.engine.errors import (ActionPreferenceStop, BreakException, CommandNotFound,
                                  ContinueException, ErrorRecord, ExitException, PipelineStopped,
                                  ReturnException, RuntimeException)
from pshell.engine.filetarget import FileTarget
from pshell.engine.runtime import _NOT_FOUND, Frame, Runspace, Scope, ScriptBlock
from pshell.engine.streams import (DebugRecord, InformationRecord, ProgressRecord, Streams,
                                   VerboseRecord, WarningRecord)
from pshell.engine.values import AutomationNull, InputEnumerator, enumerate_value, to_bool, to_str
from pshell.lang.errors import SourceLocation

__all__ = ["run_pipeline", "invoke_block", "CommandContext", "resolve_command", "start_background",
           "invoke_script_file"]

_UNSET = object()


# --------------------------------------------------------------------------- command context

class CommandContext:
    """What a running command sees: its runspace, frame, streams, location and preferences."""

    __slots__ = ("frame", "runspace", "streams", "nid", "name", "prefs", "error_var", "warning_var",
                 "info_var", "_location", "pipeline_params", "verbose", "debug", "_block_frames",
                 "wrote_error", "pipe_failed")

    def __init__(self, frame: Frame, streams: Streams, nid: int, name: str) -> None:
        self.frame = frame
        self.runspace: Runspace = frame.rs
        self.streams = streams
        self.nid = nid
        self.name = name
        self.prefs: Optional[Dict[str, str]] = None
        self.error_var: Optional[List[Any]] = None
        self.warning_var: Optional[List[Any]] = None
        self.info_var: Optional[List[Any]] = None
        self._location: Any = _UNSET
        self.pipeline_params: Any = None
        self.verbose: Optional[bool] = None
        self.debug: Optional[bool] = None
        self._block_frames: Optional[Dict[int, Frame]] = None
        self.wrote_error = False     # $PSCmdlet.WriteError was called: $? is false afterwards
        # shared by the commands of one pipeline: one of them wrote an error or failed
        self.pipe_failed: Optional[List[bool]] = None

    @property
    def location(self) -> Optional[SourceLocation]:
        if self._location is _UNSET:
            self._location = self.frame.location(self.nid)
        return self._location  # type: ignore[return-value]

    def preference(self, name: str) -> str:
        if self.prefs is not None and name in self.prefs:
            return self.prefs[name]
        value = self.frame.scope.lookup(name + "preference")
        if value is _NOT_FOUND or value is None:
            return "continue"
        return str(value).lower()

    def set_success(self, ok: bool) -> None:
        if not ok:
            self.runspace.last_success = False
            self.wrote_error = True
            if self.pipe_failed is not None:
                self.pipe_failed[0] = True

    # ---- streams --------------------------------------------------------------------
    def write_error(self, record: ErrorRecord) -> None:
        if record.location is None:
            record.location = self.location
        if not record.command:
            record.command = self.name
        pref = self.preference("erroraction")
        self.runspace.last_success = False
        self.wrote_error = True
        if self.pipe_failed is not None:
            self.pipe_failed[0] = True
        if pref != "ignore":
            self.runspace.add_error(record)
        if self.error_var is not None:
            self.error_var.append(record)
        if pref == "stop":
            raise ActionPreferenceStop(record)
        if pref in ("silentlycontinue", "ignore"):
            return
        self.streams.error(record)

    def write_warning(self, message: str) -> None:
        record = WarningRecord(to_str(message))
        if self.warning_var is not None:
            self.warning_var.append(record)
        pref = self.preference("warning")
        if pref == "stop":
            raise ActionPreferenceStop(ErrorRecord(
                f"The running command stopped because the preference variable "
                f"\"WarningPreference\" or common parameter is set to Stop: {record.Message}",
                "ActionPreferenceStop", "OperationStopped"))
        if pref in ("silentlycontinue", "ignore"):
            return
        self.streams.warning(record)

    def write_verbose(self, message: str) -> None:
        if self.verbose is None:
            if self.preference("verbose") not in ("continue", "inquire", "stop"):
                return
        elif not self.verbose:
            return
        self.streams.verbose(VerboseRecord(to_str(message)))

    def write_debug(self, message: str) -> None:
        if self.debug is None:
            if self.preference("debug") not in ("continue", "inquire", "stop"):
                return
        elif not self.debug:
            return
        self.streams.debug(DebugRecord(to_str(message)))

    def write_information(self, data: Any, tags: Tuple[str, ...] = ()) -> None:
        record = InformationRecord(data, tags, source=self.name)
        if self.info_var is not None:
            self.info_var.append(record)
        pref = self.preference("information")
        if pref in ("silentlycontinue", "ignore"):
            # still recorded on the stream for 6>&1 / jobs, but marked hidden
            if pref == "ignore":
                return
            record.host = False
            self.streams.information(_Hidden(record))  # type: ignore[arg-type]  # sinks unwrap it
            return
        self.streams.information(record)

    def write_host(self, text: str, newline: bool = True, fg: Optional[str] = None,
                   bg: Optional[str] = None) -> None:
        record = InformationRecord(text, ("PSHOST",), source=self.name, host=True, newline=newline,
                                   fg=fg, bg=bg)
        if self.info_var is not None:
            self.info_var.append(record)
        pref = self.prefs.get("information") if self.prefs else None
        if pref in ("silentlycontinue", "ignore"):
            return
        self.streams.information(record)

    def write_progress(self, record: ProgressRecord) -> None:
        if self.preference("progress") in ("silentlycontinue", "ignore"):
            return
        self.streams.progress(record)

    # ---- binding & invocation ------------------------------------------------------
    def bind_pipeline_input(self, cmdlet: Cmdlet, item: Any) -> None:
        bind_pipeline_item(self, cmdlet, item)

    def invoke(self, block: Any, args: Any, dollar_under: Any = None, input: Any = None,
               new_scope: bool = True) -> List[Any]:
        return list(self.invoke_iter(block, args, dollar_under, input, new_scope))

    def item_function(self, block: Any, new_scope: bool = False) -> Optional[Callable[[Any], Any]]:
        """For a script block that is one expression (``{ $_ % 3 -eq 0 }``): a function of the
        pipeline item giving the expression's value (not unrolled: AutomationNull after a reported
        error), run with ``$_`` set in the caller's scope (``new_scope``: in a fresh child scope per
        call).  None for any other block: the caller uses invoke_iter."""
        if not isinstance(block, ScriptBlock):
            return None
        compiled = block.compiled
        value = compiled.value
        if value is None:
            return None
        parent = self.frame
        frame = Frame(parent.rs, parent.scope, self.streams, parent.script_scope, block.unit,
                      parent.using, False)
        frame.block = block
        if not new_scope:
            variables = parent.scope.vars

            def in_caller_scope(item: Any) -> Any:
                variables["_"] = item
                return value(frame)
            return in_caller_scope

        def in_child_scope(item: Any) -> Any:
            callee = Frame(parent.rs, Scope(parent.scope), self.streams, parent.script_scope,
                           block.unit, parent.using, False)
            callee.block = block
            callee.scope.vars["_"] = item
            callee.scope.vars["args"] = []
            return value(callee)
        return in_child_scope

    def invoke_iter(self, block: Any, args: Any, dollar_under: Any = None, input: Any = None,
                    new_scope: bool = True) -> Iterator[Any]:
        if not isinstance(block, ScriptBlock):
            raise RuntimeException.make(f"Cannot invoke '{to_str(block)}': it is not a script block.",
                                        "NotAScriptBlock", "InvalidArgument")
        if not new_scope and not args and input is None:
            compiled = block.compiled
            if compiled.end is not None and compiled.params is None and compiled.begin is None \
                    and compiled.process is None and compiled.clean is None:
                # ForEach-Object / Where-Object calling the same block per object: reuse one frame
                # in the caller's scope and call the compiled body directly
                frame = self._block_frames.get(id(block)) if self._block_frames else None
                if frame is None or frame.block is not block:
                    frame = Frame(self.frame.rs, self.frame.scope, self.streams,
                                  self.frame.script_scope, block.unit, self.frame.using, False)
                    frame.block = block
                    if self._block_frames is None:
                        self._block_frames = {}
                    self._block_frames[id(block)] = frame
                frame.scope.vars["_"] = dollar_under
                return compiled.end(frame)
        frame = self.frame if self.streams is self.frame.streams else self.frame.child(streams=self.streams)
        upstream = None if input is None else iter(enumerate_value(input))
        return invoke_block(frame, block, tuple(args), dollar_under=dollar_under, upstream=upstream,
                            new_scope=new_scope)


class _Hidden:
    """An information record that was written while InformationPreference hides it."""

    __slots__ = ("record",)

    def __init__(self, record: InformationRecord) -> None:
        self.record = record


# --------------------------------------------------------------------------- script blocks

def invoke_block(frame: Frame, block: ScriptBlock, args: Tuple[Any, ...] = (),
                 dollar_under: Any = _UNSET, upstream: Optional[Iterator[Any]] = None,
                 new_scope: bool = True, script_scope: bool = False,
                 bound: Optional[BindResult] = None, ctx: Optional[CommandContext] = None,
                 streams: Optional[Streams] = None, top: bool = False) -> Iterator[Any]:
    """Run a script block: bind its parameters, then begin / process (per input) / end."""
    compiled = block.compiled
    scope = Scope(frame.scope) if new_scope else frame.scope
    target_streams = streams if streams is not None else frame.streams
    if ctx is not None and (ctx.error_var is not None or ctx.warning_var is not None
                            or ctx.info_var is not None):
        target_streams = _CollectingSink(target_streams, ctx)
    callee = Frame(frame.rs, scope, target_streams, scope if script_scope else frame.script_scope,
                   block.unit, frame.using, frame.host_output and not new_scope)
    callee.block = block
    if frame.traps is not None and frame.block is None and not new_scope:
        callee.traps = frame.traps      # a script's statements run one by one share its traps
    variables = scope.vars
    if dollar_under is not _UNSET:
        variables["_"] = dollar_under
    if compiled.params is not None or bound is not None:
        if bound is None:
            bound = bind_arguments(script_params(compiled), _positional_args(args), ctx, block)
        _apply_bound(callee, compiled, bound)
    else:
        variables["args"] = list(args)
    if ctx is not None and ctx.name and new_scope:
        variables["myinvocation"] = info = _invocation_info(ctx, variables, upstream is not None)
        if isinstance(variables.get("pscmdlet"), ScriptCmdlet):
            variables["pscmdlet"].MyInvocation = info
    return _run_blocks(callee, compiled, upstream, bound, top)


def _invocation_info(ctx: CommandContext, variables: Dict[str, Any], expecting_input: bool) -> Any:
    """``$MyInvocation`` inside a function: the command called, how, and from where."""
    from pshell.engine.values import Hashtable, PSObject
    loc = ctx.location
    source = loc.source if loc is not None else ""
    script = source if source and not source.startswith("<") else ""
    return PSObject.from_pairs([
        ("MyCommand", PSObject.from_pairs([("Name", ctx.name), ("CommandType", "Function")])),
        ("BoundParameters", variables.get("psboundparameters", Hashtable())),
        ("UnboundArguments", variables.get("args", [])),
        ("ScriptLineNumber", loc.line if loc is not None else 0),
        ("OffsetInLine", loc.column if loc is not None else 0),
        ("ScriptName", script), ("Line", loc.line_text() if loc is not None else ""),
        ("PSScriptRoot", os.path.dirname(script)), ("PSCommandPath", script),
        ("InvocationName", ctx.name), ("ExpectingInput", expecting_input)])


def _positional_args(args: Tuple[Any, ...]) -> List[Tuple[Any, ...]]:
    return [("a", value, False, -1) for value in args]


def _apply_bound(frame: Frame, compiled: Any, bound: BindResult) -> None:
    variables = frame.scope.vars
    from pshell.engine.values import Hashtable, SwitchParameter
    psbound = Hashtable()
    for spec in compiled.params or ():
        key = spec.name.lower()
        if spec.name in bound.values:
            value = bound.values[spec.name]
            if spec.switch and not isinstance(value, SwitchParameter):
                value = SwitchParameter(value)
            variables[key] = value
            psbound[spec.name] = value
        elif spec.default is not None:
            try:
                variables[key] = _convert_default(spec, spec.default(frame))
            except RuntimeException:
                raise
        elif spec.switch:
            variables[key] = SwitchParameter(False)
        else:       # an unbound [string]/[int]/[bool]... parameter holds its type's empty value
            variables[key] = _unbound_value(spec.type_name)
    if getattr(compiled, "should_process", False):
        # -WhatIf / -Confirm of a SupportsShouldProcess function are its preference variables
        if "WhatIf" in bound.values:
            variables["whatifpreference"] = to_bool(bound.values["WhatIf"])
            psbound["WhatIf"] = SwitchParameter(to_bool(bound.values["WhatIf"]))
        if "Confirm" in bound.values:
            variables["confirmpreference"] = "Low" if to_bool(bound.values["Confirm"]) else "None"
            psbound["Confirm"] = SwitchParameter(to_bool(bound.values["Confirm"]))
    if bound.dynamic is not None:
        from pshell.engine.dynparams import apply_dynamic
        apply_dynamic(variables, bound, psbound)
    variables["psboundparameters"] = psbound
    variables["args"] = list(bound.unbound)
    ctx = bound.ctx
    if compiled.advanced:
        variables["pscmdlet"] = ScriptCmdlet(frame, ctx, bound.parameter_set, psbound)
    if ctx is not None:
        # common parameters of an advanced function become its preference variables
        if ctx.verbose is not None:
            variables["verbosepreference"] = "Continue" if ctx.verbose else "SilentlyContinue"
        if ctx.debug is not None:
            variables["debugpreference"] = "Continue" if ctx.debug else "SilentlyContinue"
        for key, var in (("erroraction", "erroractionpreference"), ("warning", "warningpreference"),
                         ("information", "informationpreference"), ("progress", "progresspreference")):
            if ctx.prefs is not None and key in ctx.prefs:
                variables[var] = ctx.prefs[key]


class ScriptCmdlet:
    """``$PSCmdlet`` in an advanced function: its parameter set and the cmdlet-style writers."""

    ps_type_names = ("System.Management.Automation.PSScriptCmdlet",)
    ps_properties = ("ParameterSetName",)

    def __init__(self, frame: Frame, ctx: Optional[CommandContext], parameter_set: str,
                 bound: Any) -> None:
        self._frame = frame
        self._ctx = ctx
        self.ParameterSetName = parameter_set
        self.MyInvocation = frame.scope.lookup("myinvocation")
        self.BoundParameters = bound

    def _context(self) -> CommandContext:
        if self._ctx is not None:
            return self._ctx
        return CommandContext(self._frame, self._frame.streams, -1, "")

    def WriteVerbose(self, message: Any) -> None:
        self._context().write_verbose(to_str(message))

    def WriteWarning(self, message: Any) -> None:
        self._context().write_warning(to_str(message))

    def WriteDebug(self, message: Any) -> None:
        self._context().write_debug(to_str(message))

    def _own(self, record: Any) -> ErrorRecord:
        """The record as this function reports it: a copy whose id names the function
        (``NTERROR,Test-It``), as a cmdlet's does."""
        if not isinstance(record, ErrorRecord):
            record = ErrorRecord(to_str(record))
        name = self._ctx.name if self._ctx is not None else ""
        if name and "," not in record.FullyQualifiedErrorId:
            import copy
            record = copy.copy(record)
            record.FullyQualifiedErrorId = f"{record.FullyQualifiedErrorId},{name}"
            record.command = record.command or name
        return record

    def WriteError(self, record: Any) -> None:
        if self._ctx is not None:
            self._ctx.wrote_error = True    # $? is false after the function, as after a cmdlet
        self._context().write_error(self._own(record))

    def ThrowTerminatingError(self, record: Any) -> None:
        err = RuntimeException(self._own(record))
        # it ends the function's pipeline: no statement of the function (or of blocks it runs)
        # goes on after it; the caller's statement reports it as any statement's error
        err.pipeline_scope = self._frame.scope  # type: ignore[attr-defined]
        raise err

    def WriteObject(self, value: Any, enumerate_collection: Any = False) -> Any:
        """The value comes back as the method call's result, which the calling statement
        writes to the output stream (a collection as one object unless asked to enumerate)."""
        if isinstance(value, (list, tuple)) and not to_bool(enumerate_collection):
            return [value]
        return value

    def ShouldProcess(self, *args: Any) -> bool:
        """``ShouldProcess(target)``, ``(target, action)`` or ``(description, warning, caption)``:
        false under -WhatIf (after saying what would happen); asks when the function's
        ConfirmImpact reaches $ConfirmPreference (-Confirm lowers it to Low)."""
        target = to_str(args[0]) if args else ""
        action = to_str(args[1]) if len(args) == 2 else (self._command_name() if len(args) < 2 else "")
        text = to_str(args[0]) if len(args) >= 3 else \
            f"Performing the operation \"{action}\" on target \"{target}\"."
        if to_bool(self._lookup("whatifpreference")):
            self._context().write_host(f"What if: {text}")
            return False
        block = getattr(self._frame, "block", None)
        impact = getattr(getattr(block, "compiled", None), "confirm_impact", "medium")
        preference = to_str(self._lookup("confirmpreference") or "High").lower()
        if _IMPACT.get(impact, 2) == 0 or _IMPACT.get(preference, 3) == 0 or \
                _IMPACT.get(impact, 2) < _IMPACT.get(preference, 3):
            return True
        return self._ask("Are you sure you want to perform this action?", text)

    def ShouldContinue(self, query: Any = "", caption: Any = "", *rest: Any) -> bool:
        return self._ask(to_str(caption), to_str(query))

    def _command_name(self) -> str:
        from pshell.engine.values import NO_PROPERTY, get_property
        command = get_property(self.MyInvocation, "MyCommand")
        name = get_property(command, "Name") if command is not NO_PROPERTY else NO_PROPERTY
        return to_str(name) if name not in (NO_PROPERTY, None) else "Function"

    def _lookup(self, name: str) -> Any:
        value = self._frame.scope.lookup(name)
        if value is _NOT_FOUND:
            value = self._frame.rs.get_variable(name)
        return value

    def _ask(self, caption: str, message: str) -> bool:
        host = getattr(self._frame.rs, "host", None)
        if host is None or not getattr(host, "is_terminal", False):
            raise RuntimeException.make(
                f"{caption} {message} The host cannot prompt for confirmation: the session is "
                f"not interactive.", "HostPromptNotAvailable", "NotImplemented",
                exception_type="System.Management.Automation.Host.HostException")
        answer = host.read_line(f"{caption}\n{message}\n[Y] Yes  [N] No (default is \"Y\"): ")
        return (answer or "y").strip().lower() in ("y", "yes", "a")


_IMPACT = {"none": 0, "low": 1, "medium": 2, "high": 3}


_VALUE_TYPES = frozenset({"string", "int", "int32", "long", "int64", "double", "bool", "boolean",
                          "char", "byte", "decimal", "single", "float"})


def _unbound_value(type_name: Any) -> Any:
    """'' for [string], 0 for the numbers, $false for [bool]: what pwsh gives a typed parameter
    the call left out; None for any other type."""
    name = str(type_name or "").lower()
    name = name[7:] if name.startswith("system.") else name
    if name not in _VALUE_TYPES:
        return None
    from pshell.engine.rt import _conv
    try:
        return _conv(None, name)
    except RuntimeException:
        return None


def _convert_default(spec: Any, value: Any) -> Any:
    if spec.type_name and value is not None:
        from pshell.engine.rt import _conv
        try:
            return _conv(value, spec.type_name)
        except RuntimeException:
            return value
    return value


def _run_blocks(frame: Frame, compiled: Any, upstream: Optional[Iterator[Any]],
                bound: Optional[BindResult], top: bool = False) -> Iterator[Any]:
    """Run begin / process (per input) / end.  ``top``: the outermost block of an invocation,
    where a stray break/continue just ends the script (inside, they travel to a loop)."""
    if compiled.clean is None:
        yield from _run_named_blocks(frame, compiled, upstream, bound, top)
        return
    ran: List[bool] = []
    try:
        yield from _run_named_blocks(frame, compiled, upstream, bound, top, ran)
    finally:
        if ran:                         # only after another block began (pwsh skips it otherwise)
            _run_clean(frame, compiled, bound)


def _run_clean(frame: Frame, compiled: Any, bound: Optional[BindResult]) -> None:
    """The clean block runs last, also after an error or when the pipeline stops early.  What it
    writes to the output stream is dropped, as in pwsh.  A terminating error ends the clean
    block but goes no further: it is reported (kept in $Error, -ErrorVariable, and written to
    the error stream unless -ErrorAction says SilentlyContinue or Ignore) and $? is false; a
    try or trap around the command never sees it."""
    rs = frame.rs
    saved_depth = rs.try_depth
    rs.try_depth = 0                    # the caller's try does not make its errors terminating
    try:
        for _ in compiled.clean(frame):
            pass
    except ReturnException:
        pass
    except (BreakException, ContinueException, ExitException, PipelineStopped):
        raise
    except Exception as exc:            # noqa: BLE001 - reported, not propagated
        from pshell.engine.rt import to_runtime_exception
        record = to_runtime_exception(exc).record
        rs.last_success = False
        if not isinstance(exc, ActionPreferenceStop):   # write_error has recorded those
            rs.add_error(record)
            ctx = bound.ctx if bound is not None else None
            if ctx is not None and ctx.error_var is not None:
                ctx.error_var.append(record)
        pref = frame.scope.lookup("erroractionpreference")
        if pref is _NOT_FOUND or str(pref).lower() not in ("silentlycontinue", "ignore"):
            frame.streams.error(record)
    finally:
        rs.try_depth = saved_depth


def _run_named_blocks(frame: Frame, compiled: Any, upstream: Optional[Iterator[Any]],
                      bound: Optional[BindResult], top: bool, ran: Optional[List[bool]] = None
                      ) -> Iterator[Any]:
    """begin, process (per input), end.  ``ran`` (when given) gets an entry once one of them
    starts: the clean block runs only then."""
    variables = frame.scope.vars
    if ran is None:
        ran = []
    try:
        if compiled.begin is not None:
            ran.append(True)
            yield from compiled.begin(frame)
        if compiled.process is not None:
            if upstream is None:
                ran.append(True)
                yield from compiled.process(frame)
            else:
                pipeline_specs = [s for s in (compiled.params or ()) if s.pipeline or s.by_property]
                for item in upstream:
                    variables["_"] = item
                    if pipeline_specs:
                        _bind_script_pipeline(frame, pipeline_specs, item, bound)
                    ran.append(True)
                    yield from compiled.process(frame)
            if compiled.end is not None:
                variables["input"] = InputEnumerator()
                ran.append(True)
                yield from compiled.end(frame)
        elif compiled.end is not None:
            if upstream is not None:
                pipeline_specs = [s for s in (compiled.params or ()) if s.pipeline]
                if pipeline_specs:
                    items = list(upstream)
                    spec = pipeline_specs[0]
                    if spec.name not in (bound.values if bound else {}):
                        value = items[0] if len(items) == 1 else items
                        variables[spec.name.lower()] = _convert_default(spec, value)
                    variables["input"] = InputEnumerator(items)
                elif _reads_input(frame):
                    variables["input"] = InputEnumerator(upstream)     # read as it comes
                else:
                    # the end block runs after the commands before it have finished, as in pwsh
                    variables["input"] = InputEnumerator(list(upstream))
            else:
                variables["input"] = InputEnumerator()
            ran.append(True)
            yield from compiled.end(frame)
        elif upstream is not None:
            for _ in upstream:
                pass
    except ReturnException:
        return
    except (BreakException, ContinueException):
        if not top:
            raise


def _reads_input(frame: Frame) -> bool:
    """Whether the running block mentions ``$input`` (then its end block reads the pipeline as
    the items come, and may stop it early)."""
    block = frame.block
    return block is None or "$input" in block.text.lower()


def _bind_script_pipeline(frame: Frame, specs: List[Any], item: Any, bound: Optional[BindResult]
                          ) -> None:
    from pshell.engine.values import get_property, NO_PROPERTY
    explicit = bound.values if bound is not None else {}
    unconverted: Any = None
    by_name = False
    for spec in specs:
        if spec.name in explicit and not bound.from_pipeline.get(spec.name):  # type: ignore[union-attr]
            continue
        if spec.pipeline:
            try:        # an item its type refuses may still bind by property name to another
                frame.scope.vars[spec.name.lower()] = _conv_strict(spec, item)
                return
            except RuntimeException:
                if unconverted is None:
                    unconverted = spec
                continue
        if spec.by_property:
            for name in (spec.name,) + tuple(spec.aliases):
                value = get_property(item, name)
                if value is NO_PROPERTY and isinstance(item, str) and name.lower() == "length":
                    value = len(item)               # a string's own property
                if value is not NO_PROPERTY:
                    frame.scope.vars[spec.name.lower()] = _convert_default(spec, value)
                    by_name = True
                    break
    if unconverted is not None and not by_name:     # as before: the item as it is
        frame.scope.vars[unconverted.name.lower()] = item


def _conv_strict(spec: Any, value: Any) -> Any:
    if spec.type_name and value is not None:
        from pshell.engine.rt import _conv
        return _conv(value, spec.type_name)
    return value


# --------------------------------------------------------------------------- resolution

class _Resolved:
    __slots__ = ("kind", "target", "name")

    def __init__(self, kind: str, target: Any, name: str) -> None:
        self.kind = kind          # 'cmdlet' | 'function' | 'script' | 'native' | 'block'
        self.target = target
        self.name = name


def resolve_command(frame: Frame, name: Any) -> _Resolved:
    if isinstance(name, ScriptBlock):
        return _Resolved("block", name, "")
    from pshell.engine.runtime import FunctionInfo
    if isinstance(name, FunctionInfo):
        return _Resolved("function", name, name.name)
    if isinstance(name, type) and issubclass(name, Cmdlet):
        return _Resolved("cmdlet", name, name.name)
    text = to_str(getattr(name, "Name", name) if not isinstance(name, str) else name)
    found = _resolve_name(frame, text)
    if found is None:
        raise _not_found(text)
    return found


def _resolve_name(frame: Frame, text: str) -> Optional[_Resolved]:
    lowered = text.lower()
    seen = 0
    while seen < 10:
        alias = frame.scope.find_alias(lowered) or DEFAULT_ALIASES.get(lowered)
        if alias is None:
            break
        text = alias
        lowered = alias.lower()
        seen += 1
    if lowered in BUILTIN_FUNCTIONS:             # cd.., cd\, cd~ (engine/builtin_functions.py)
        info = frame.scope.find_function(lowered) or builtin_function(lowered)
        return _Resolved("function", info, info.name)
    qualifier = lowered.split("\\", 1)[0]
    if "\\" in lowered and not lowered.startswith((".", "/")) and ":" not in qualifier:
        lowered = lowered.rsplit("\\", 1)[1]
        text = text.rsplit("\\", 1)[1]
    info = frame.scope.find_function(lowered)
    if info is not None:
        return _Resolved("function", info, info.name)
    cls = lookup_cmdlet(lowered)
    if cls is not None:
        return _Resolved("cmdlet", cls, cls.name)
    rs = frame.rs
    if lowered.endswith(".ps1"):
        pathlike = "/" in text or "\\" in text or ":" in text or text.startswith("~")
        path = rs.resolve_path(text) if pathlike else None
        if path is not None and os.path.isfile(path):
            return _Resolved("script", path, text)
    from pshell.engine.native import find_executable
    exe = find_executable(rs.expand_home(text) if text.startswith("~") else text, rs.location,
                          rs.environ)
    if exe is not None:
        return _Resolved("native", exe, text)
    return None


def _not_found(text: str) -> CommandNotFound:
    return CommandNotFound(ErrorRecord(
        f"The term '{text}' is not recognized as a name of a cmdlet, function, script file, or "
        f"executable program.\nCheck the spelling of the name, or if a path was included, verify "
        f"that the path is correct and try again.", "CommandNotFoundException", "ObjectNotFound",
        text, exception_type="System.Management.Automation.CommandNotFoundException"))


# --------------------------------------------------------------------------- pipelines

class _Stage:
    """One element of a running pipeline."""

    __slots__ = ("frame", "kind", "cmd", "ctx", "nid", "redirs", "sink", "block", "bound",
                 "value", "args", "name", "dot", "native_args")

    def __init__(self) -> None:
        self.frame: Any = None
        self.kind = ""
        self.nid = -1
        self.redirs: Any = None
        self.args: Any = None
        self.name = ""
        self.native_args: Any = None
        self.cmd: Any = None
        self.ctx: Optional[CommandContext] = None
        self.sink: Optional[_RedirectSink] = None
        self.block: Any = None
        self.bound: Any = None
        self.value: Any = None
        self.dot = False

    def stop(self) -> None:
        if self.cmd is not None:
            self.cmd.stop()


def run_pipeline(frame: Frame, stages: Tuple[Any, ...], top: bool) -> Iterator[Any]:
    built = [_build_stage(frame, spec) for spec in stages]
    failed = [False]
    for stage in built:
        if stage.ctx is not None:
            stage.ctx.pipe_failed = failed
    _wire_natives(frame, built, top)
    iterator: Optional[Iterator[Any]] = None
    for stage in built:
        iterator = _run_stage(frame, stage, iterator)
    assert iterator is not None
    return iterator


def _build_stage(frame: Frame, spec: Tuple[Any, ...]) -> _Stage:
    stage = _Stage()
    stage.frame = frame
    if spec[0] == 0:
        _, stage.nid, stage.value, stage.redirs = spec
        stage.kind = "expr"
        stage.sink = _RedirectSink.make(frame, stage.redirs)
        return stage
    _, nid, name, invocation, args, redirs = spec
    stage.nid = nid
    stage.redirs = redirs
    stage.sink = _RedirectSink.make(frame, redirs)
    streams = stage.sink if stage.sink is not None else frame.streams
    stage.dot = invocation == "."
    try:
        resolved = resolve_command(frame, name)
    except RuntimeException as exc:
        if exc.record.location is None:
            exc.record.location = frame.location(nid)
        raise
    if len(args) == 1 and args[0][0] == "p" and args[0][1] == "?" and args[0][2] is _NOARG_MARK() \
            and resolved.kind in ("cmdlet", "function", "script"):
        # `command -?` is the command's help
        target = resolved.target if resolved.kind == "script" else resolved.name
        args = [("a", target, None, args[0][3])]
        resolved = resolve_command(frame, "Get-Help")
    stage.kind = resolved.kind
    stage.name = resolved.name
    ctx = CommandContext(frame, streams, nid, resolved.name)
    stage.ctx = ctx
    if resolved.kind == "cmdlet":
        cmdlet = resolved.target(ctx)
        bind_arguments(resolved.target.params, args, ctx, cmdlet)
        stage.cmd = cmdlet
    elif resolved.kind in ("function", "block"):
        block = resolved.target.block if resolved.kind == "function" else resolved.target
        stage.block = block
        module = getattr(resolved.target, "module", None) if resolved.kind == "function" else None
        if module is not None and module.scope is not None:
            # a module's function runs below its module's scope, whoever calls it
            stage.value = Frame(frame.rs, module.scope, frame.streams, module.scope, block.unit,
                                frame.using, False)
        compiled = block.compiled
        if compiled.dynamicparam is not None:
            from pshell.engine.dynparams import bind_dynamic
            stage.bound = bind_dynamic(stage.value if isinstance(stage.value, Frame) else frame,
                                       block, args, ctx)
        elif compiled.params is not None:
            stage.bound = bind_arguments(script_params(compiled), args, ctx, block)
        else:
            stage.args = _plain_args(args)
            stage.bound = None
    elif resolved.kind == "script":
        stage.block = resolved.target
        stage.args = args
    else:
        from pshell.engine.native import NativeCommand
        stage.cmd = NativeCommand(ctx, resolved.target, _native_args(args, frame))
    return stage


def _plain_args(args: List[Any]) -> List[Any]:
    """Arguments of a function without a param block: all of them go to ``$args``."""
    values: List[Any] = []
    for kind, value, extra, _nid in args:
        if kind == "a":
            values.append(value)
        elif kind == "p":
            values.append(f"-{value}" if extra is _NOARG_MARK() else f"-{value}:")
            if extra is not _NOARG_MARK():
                values.append(extra)
        elif kind == "s":
            if isinstance(value, dict):
                for key, item in value.items():
                    values.append(f"-{key}:")
                    values.append(item)
            else:
                values.extend(value if isinstance(value, (list, tuple)) else [value])
    return values


def _NOARG_MARK() -> Any:
    from pshell.engine.rt import NOARG
    return NOARG


def _native_args(args: List[Any], frame: Frame) -> List[str]:
    """The argv of a native command.  A bare (unquoted) word is expanded as pwsh does on Unix:
    ``~`` and ``~/x`` become the home directory, and a word with ``*``, ``?`` or ``[`` becomes
    the paths it matches (sorted; dot files only when the pattern says so), or stays as it was
    when nothing matches.  Quoted words are passed as they are."""
    noarg = _NOARG_MARK()
    argv: List[str] = []
    for kind, value, extra, _nid in args:
        if kind == "p":
            if extra is noarg:
                argv.append(f"-{value}")
            else:
                argv.append(f"-{value}:{to_str(extra)}")
        elif kind == "s":
            if isinstance(value, dict):
                for key, item in value.items():
                    argv.append(f"-{key}:{to_str(item)}")
            else:
                for item in (value if isinstance(value, (list, tuple)) else [value]):
                    argv.append(to_str(item))
        else:
            if isinstance(value, (list, tuple)):
                argv.extend(to_str(item) for item in value)
            elif value is None or value is AutomationNull:
                continue
            elif extra is True and isinstance(value, str):
                argv.extend(_expand_word(value, frame))
            else:
                argv.append(to_str(value))
    return argv


def _expand_word(word: str, frame: Frame) -> List[str]:
    """pwsh's Unix expansion of one bare native argument (see _native_args)."""
    if word == "~" or word.startswith("~/"):
        environ = getattr(frame.rs, "environ", None)
        home = (environ.get("HOME") if environ is not None else None) or os.path.expanduser("~")
        word = home + word[1:]
    if not any(c in word for c in "*?["):
        return [word]
    import glob
    location = frame.rs.location
    if os.path.isabs(word):
        found = glob.glob(word)
    else:
        base = location.rstrip("/") + "/"
        found = [path[len(base):] for path in glob.glob(glob.escape(base) + word)]
    return sorted(found) if found else [word]


def _wire_natives(frame: Frame, stages: List[_Stage], top: bool) -> None:
    last = len(stages) - 1
    for i, stage in enumerate(stages):
        if stage.kind == "cmdlet" and getattr(stage.cmd, "text_as_bytes", None) is False:
            # a cmdlet that can hand its lines over as bytes (Get-Content) straight to a file
            if (stage.sink is not None and stage.sink.bytes_ok()) or \
                    (i == last and top and stage.sink is None and getattr(frame.rs, "raw_output", False)):
                stage.cmd.text_as_bytes = True
        if stage.kind != "native":
            continue
        cmd = stage.cmd
        if i > 0 and stages[i - 1].kind == "native" and stages[i - 1].cmd.stdout_mode == "bytes":
            cmd.stdin_raw = True
        if i < last and stages[i + 1].kind == "native" and stage.sink is None:
            cmd.stdout_mode = "bytes"
        elif stage.sink is not None and stage.sink.bytes_ok():
            cmd.stdout_mode = "bytes"
        elif i == last and top and stage.sink is None and getattr(frame.rs, "raw_output", False):
            cmd.stdout_mode = "bytes"       # a remote invocation whose output goes to a file
        elif i == last and top and frame.host_output and stage.sink is None and \
                getattr(frame.rs.host, "is_terminal", False):
            cmd.stdout_mode = "inherit"


def _run_stage(frame: Frame, stage: _Stage, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
    if stage.kind == "expr":
        output: Iterator[Any] = _expr_output(stage.value, upstream, frame.rs)
    elif stage.kind in ("cmdlet", "native"):
        output = _run_command(frame.rs, stage, upstream)
    elif stage.kind == "script":
        output = invoke_script_file(frame, stage.block, stage.args, upstream, stage.ctx,
                                    dot=stage.dot)
    else:
        streams = stage.sink if stage.sink is not None else None
        if isinstance(stage.value, Frame):
            frame = stage.value
        if stage.bound is not None:
            output = invoke_block(frame, stage.block, (), upstream=upstream, new_scope=not stage.dot,
                                  bound=stage.bound, ctx=stage.ctx, streams=streams)
        else:
            output = invoke_block(frame, stage.block, tuple(stage.args), upstream=upstream,
                                  new_scope=not stage.dot, ctx=stage.ctx, streams=streams)
        output = _track_success(frame.rs, output, stage.ctx)
    if stage.ctx is not None and (stage.ctx.prefs is not None) and stage.ctx.prefs.get("\x00outvar"):
        output = _out_variable(stage.ctx, output)
    if stage.sink is not None:
        output = stage.sink.wrap(output, stage)
    return output


def _expr_output(value: Any, upstream: Optional[Iterator[Any]], rs: Optional[Runspace] = None
                 ) -> Iterator[Any]:
    if upstream is not None:
        raise RuntimeException.make("Expressions are only allowed as the first element of a "
                                    "pipeline.", "ExpressionsMustBeFirstInPipeline", "ParserError")
    if value is None:
        yield None
        return
    if rs is not None and type(value) is range and len(value) > _RANGE_CHUNK:
        # a long range feeding a command that reads all its input before writing anything
        # (1..1e9 | Measure-Object) would never see a stop request: poll between chunks
        for start in range(0, len(value), _RANGE_CHUNK):
            if rs.stop_requested:
                raise PipelineStopped()
            yield from value[start:start + _RANGE_CHUNK]
        return
    yield from enumerate_value(value)


_RANGE_CHUNK = 65536


def _track_success(rs: Runspace, output: Iterator[Any], ctx: Optional[CommandContext] = None
                   ) -> Iterator[Any]:
    rs.last_success = True
    yield from output
    if ctx is not None and ctx.wrote_error:    # the function reported an error as a cmdlet does
        rs.last_success = False


def _run_command(rs: Runspace, stage: _Stage, upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
    cmd = stage.cmd
    rs.register_active(stage)
    rs.last_success = True
    try:
        for item in cmd.run(upstream):
            if rs.stop_requested:
                raise PipelineStopped()
            yield item
        ctx = stage.ctx
        if stage.kind == "cmdlet" and ctx is not None and ctx.pipe_failed is not None:
            # $? after a cmdlet is whether its pipeline failed, not what the last command of
            # a script block it ran (ForEach-Object { native }) left behind
            rs.last_success = not ctx.pipe_failed[0]
    finally:
        rs.unregister_active(stage)


def _out_variable(ctx: CommandContext, output: Iterator[Any]) -> Iterator[Any]:
    from pshell.engine.binder import collecting_variable
    collected = collecting_variable(ctx.frame, ctx.prefs["\x00outvar"] if ctx.prefs else "")
    for item in output:
        collected.append(item)
        yield item


class _CollectingSink(Streams):
    """The streams a function with -ErrorVariable/-WarningVariable/-InformationVariable runs
    with: records its commands write on their way out also go to those variables."""

    def __init__(self, parent: Streams, ctx: CommandContext) -> None:
        self.parent = parent
        self.ctx = ctx

    def error(self, record: Any) -> None:
        if self.ctx.error_var is not None:
            self.ctx.error_var.append(record)
        self.parent.error(record)

    def warning(self, record: Any) -> None:
        if self.ctx.warning_var is not None:
            self.ctx.warning_var.append(record)
        self.parent.warning(record)

    def information(self, record: Any) -> None:
        if self.ctx.info_var is not None:
            self.ctx.info_var.append(record)
        self.parent.information(record)

    def verbose(self, record: Any) -> None:
        self.parent.verbose(record)

    def debug(self, record: Any) -> None:
        self.parent.debug(record)

    def progress(self, record: Any) -> None:
        self.parent.progress(record)


# --------------------------------------------------------------------------- script files

_SCRIPT_CACHE: Dict[str, Tuple[float, Any]] = {}


def load_script(path: str) -> ScriptBlock:
    from pshell.engine.compiler import Unit
    try:
        mtime = os.stat(path).st_mtime
        cached = _SCRIPT_CACHE.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1].script_block()
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
            text = handle.read()
    except OSError as exc:
        raise RuntimeException.make(f"Cannot read script '{path}': {exc.strerror}.", "ScriptNotReadable",
                                    "ReadError", path) from None
    unit = Unit.from_text(text, path)
    _SCRIPT_CACHE[path] = (mtime, unit)
    return unit.script_block()


def invoke_script_file(frame: Frame, path: str, args: List[Any], upstream: Optional[Iterator[Any]],
                       ctx: Optional[CommandContext], dot: bool = False) -> Iterator[Any]:
    from pshell.lang.errors import ParseError
    try:
        block = load_script(path)
    except ParseError as exc:
        raise RuntimeException(ErrorRecord(exc.message, "ParseException", "ParserError", path,
                                           exc.location)) from None
    scope = frame.scope if dot else Scope(frame.scope)
    variables = scope.vars
    variables["psscriptroot"] = os.path.dirname(path)
    variables["pscommandpath"] = path
    from pshell.engine.values import PSObject
    variables["myinvocation"] = PSObject.from_pairs([
        ("MyCommand", PSObject.from_pairs([("Name", os.path.basename(path)), ("Path", path),
                                           ("Definition", path)])),
        ("InvocationName", path), ("PSScriptRoot", os.path.dirname(path)), ("PSCommandPath", path),
        ("ScriptName", path)])
    script_frame = Frame(frame.rs, scope, ctx.streams if ctx else frame.streams, scope, block.unit,
                         frame.using, False)
    compiled = block.compiled
    bound = None
    if compiled.params is not None:
        bound = bind_arguments(script_params(compiled), args, ctx, block)
    return _script_body(script_frame, block, compiled, bound, args, upstream)


def _script_body(frame: Frame, block: ScriptBlock, compiled: Any, bound: Any, args: List[Any],
                 upstream: Optional[Iterator[Any]]) -> Iterator[Any]:
    rs = frame.rs
    rs.script_depth += 1
    try:
        if bound is not None:
            _apply_bound(frame, compiled, bound)
        else:
            frame.scope.vars["args"] = _plain_args(args) if args and isinstance(args[0], tuple) \
                else list(args)
        yield from _run_blocks(frame, compiled, upstream, bound)
    except ExitException as exc:
        rs.global_scope.vars["lastexitcode"] = exc.code
        rs.last_success = exc.code == 0
        if rs.script_depth <= 1 and getattr(rs, "exit_on_script_exit", False):
            raise
    finally:
        rs.script_depth -= 1


# --------------------------------------------------------------------------- background

def start_background(frame: Frame, pipeline: Any) -> Any:
    """``pipeline &`` (or ``a && b &``): run it as a background job and return the job."""
    from pshell.engine.compiler import Unit
    start = pipeline.span.start
    while not hasattr(pipeline, "elements"):        # a chain: its text ends where its last pipeline does
        pipeline = pipeline.right
    last = pipeline.elements[-1].span
    source = frame.unit
    assert source is not None, "a compiled pipeline always runs in a frame with its unit"
    unit = Unit.from_text(source.text[start:last.end], source.source)
    block = unit.script_block()
    from pshell.engine import job_runner
    ctx = CommandContext(frame, frame.streams, -1, "Start-Job")
    starter = job_runner.start_background_job
    return starter(ctx, block, block.using_values(frame), _caller_variables(frame, unit.root))


#: variables a background job never takes from its caller: its own automatic ones
_NOT_COPIED = frozenset(("_", "psitem", "args", "input", "this", "true", "false", "null", "pid",
                         "psversiontable", "psedition", "pshome", "host", "myinvocation",
                         "pscmdlet", "psboundparameters", "psscriptroot", "pscommandpath",
                         "executioncontext", "?", "^", "$", "lastexitcode", "error", "matches",
                         "foreach", "switch", "pwd", "stacktrace", "sender", "event",
                         "eventargs", "eventsubscriber", "sourceargs", "sourceeventargs"))


def _caller_variables(frame: Frame, root: Any) -> Dict[str, Any]:
    """The caller's current value of each plain variable the background pipeline names."""
    from pshell.lang.ast import Node, Variable
    found: Dict[str, Any] = {}
    stack: List[Any] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if not isinstance(node, Node):
            continue
        if isinstance(node, Variable) and node.scope in (None, "global", "local"):
            name = node.name.lower()
            if name not in found and name not in _NOT_COPIED:
                scope = frame.rs.global_scope if node.scope == "global" else frame.scope
                value = scope.lookup(name)
                if value is not _NOT_FOUND:
                    found[name] = value
        for field_name in getattr(node, "_fields", ()):
            value = getattr(node, field_name, None)
            if isinstance(value, (list, tuple, Node)):
                stack.append(value)
    return found


# --------------------------------------------------------------------------- redirection

def _redirect_encoding(frame: Frame) -> Any:
    """`> file` writes as Out-File does: $PSDefaultParameterValues['Out-File:Encoding'] (an
    encoding object or name) when set, else UTF-8 without a byte order mark (None)."""
    defaults = frame.scope.lookup("psdefaultparametervalues")
    if defaults is _NOT_FOUND or not hasattr(defaults, "items"):
        return None
    for key, value in defaults.items():
        if isinstance(key, str) and key.replace(" ", "").lower() == "out-file:encoding":
            from pshell.engine.dotnet_types import encoding_named
            try:
                encoding = encoding_named(value)
            except ValueError:
                return None
            return None if (encoding.codec, encoding.bom) == ("utf-8", b"") else encoding
    return None


class _RedirectSink(Streams):
    """The non-output streams of one redirected command: merged into its output, sent to files,
    discarded, or passed on to the enclosing frame's streams."""

    def __init__(self, frame: Frame, parent: Streams) -> None:
        self.frame = frame
        self.parent = parent
        self.merged: Deque[Any] = deque()
        self.routes: Dict[str, Any] = {}      # stream number -> 'merge' | 'null' | FileTarget
        self.output_target: Any = None        # None | 'null' | FileTarget

    @classmethod
    def make(cls, frame: Frame, redirs: Any) -> Optional["_RedirectSink"]:
        if not redirs:
            return None
        sink = cls(frame, frame.streams)
        for redir in redirs:
            kind = redir[0]
            if kind == "m":
                numbers: Tuple[str, ...] = ("2", "3", "4", "5", "6") if redir[1] == "*" \
                    else (redir[1],)
                for number in numbers:
                    sink.routes[number] = "merge"
            elif kind == "n":
                numbers = ("1", "2", "3", "4", "5", "6") if redir[1] == "*" else (redir[1],)
                for number in numbers:
                    if number == "1":
                        sink.output_target = "null"
                    else:
                        sink.routes[number] = "null"
            else:
                text = to_str(redir[2])
                target: FileTarget
                if text[:9].lower() == "variable:" and len(text) > 9:
                    target = _VariableTarget(frame, text[9:].lstrip("/\\"), redir[3])
                else:
                    target = FileTarget(frame.rs.resolve_path(text), redir[3],
                                        _redirect_encoding(frame))
                numbers = ("1", "2", "3", "4", "5", "6") if redir[1] == "*" else (redir[1],)
                for number in numbers:
                    if number == "1":
                        sink.output_target = target
                    else:
                        sink.routes[number] = target
        return sink

    def bytes_ok(self) -> bool:
        return type(self.output_target) is FileTarget and not any(
            route == "merge" for route in self.routes.values())

    def _route(self, number: str, record: Any, forward: Any) -> None:
        route = self.routes.get(number)
        if route is None:
            forward(record)
        elif route == "merge":
            if self.output_target is not None and not isinstance(self.output_target, str):
                self.output_target.write_object(record)
            elif self.output_target == "null":
                return
            else:
                self.merged.append(record)
        elif route == "null":
            return
        else:
            route.write_object(record)

    def error(self, record: Any) -> None:
        self._route("2", record, self.parent.error)

    def warning(self, record: Any) -> None:
        self._route("3", record, self.parent.warning)

    def verbose(self, record: Any) -> None:
        self._route("4", record, self.parent.verbose)

    def debug(self, record: Any) -> None:
        self._route("5", record, self.parent.debug)

    def information(self, record: Any) -> None:
        if isinstance(record, _Hidden):
            # hidden by $InformationPreference on the host, but a 6> redirection captures it
            if self.routes.get("6") is None:
                self.parent.information(record)  # type: ignore[arg-type]  # passed on wrapped
                return
            record = record.record
        self._route("6", record, self.parent.information)

    def progress(self, record: Any) -> None:
        self.parent.progress(record)

    def wrap(self, output: Iterator[Any], stage: _Stage) -> Iterator[Any]:
        target = self.output_target
        merged = self.merged
        try:
            if target is None:
                for item in output:
                    while merged:
                        yield merged.popleft()
                    yield item
                while merged:
                    yield merged.popleft()
            elif target == "null":
                for _ in output:
                    pass
            else:
                for item in output:
                    target.write_object(item)
        finally:
            # every file is closed (its held text written) even when one of them fails
            failure: Optional[BaseException] = None
            for route in list(self.routes.values()) + [target]:
                if isinstance(route, FileTarget):
                    try:
                        route.close()
                    except Exception as exc:
                        failure = failure or exc
            if failure is not None:
                raise failure


class _VariableTarget(FileTarget):
    """``> variable:name`` / ``>> variable:name``: the objects themselves (not their text) become
    the variable's value in the current scope (one object alone, several as an array); ``>>``
    adds them after what the variable holds."""

    def __init__(self, frame: Frame, name: str, append: bool) -> None:
        super().__init__("variable:" + name, append)
        self.frame, self.name = frame, name
        self.items: List[Any] = []

    def write_object(self, item: Any) -> None:
        self.items.append(item)

    def close(self) -> None:
        if self.opened:
            return
        self.opened = True
        key = self.name.lower()
        values = list(self.items)
        if self.append:
            scope: Optional[Scope] = self.frame.scope
            while scope is not None and key not in scope.vars:
                scope = scope.parent
            if scope is not None and scope.vars[key] is not None:
                old = scope.vars[key]
                values = (list(old) if isinstance(old, list) else [old]) + values
        self.frame.scope.vars[key] = values[0] if len(values) == 1 else (values or None)
