"""What a running command sees, and running script blocks as commands.

:class:`CommandContext` is a command's view of its runspace, frame, streams, location and preferences
(what cmdlets write through).  :func:`invoke_block` runs a script block as a command: binding its
``param()`` block (:func:`_apply_bound`, pipeline input by value / by property name), its named
begin / process / end / clean blocks, and ``$PSCmdlet`` (:class:`ScriptCmdlet`).
"""

from __future__ import annotations

import os

from pshell.engine.binder import BindResult, bind_arguments, bind_pipeline_item, script_params
from pshell.engine.cmdlet import Cmdlet
from pshell.engine.errors import (ActionPreferenceStop, BreakException, ContinueException, ErrorRecord,
                                  ExitException, PipelineStopped, ReturnException, RuntimeException)
from pshell.engine.runtime import _NOT_FOUND, Frame, Runspace, Scope, ScriptBlock
from pshell.engine.streams import (DebugRecord, HiddenInformation, InformationRecord, ProgressRecord,
                                   Streams, VerboseRecord, WarningRecord)
from pshell.engine.values import InputEnumerator, enumerate_value, to_bool, to_str
from pshell.lang.errors import SourceLocation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

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
            if pref == "silentlycontinue":      # silenced, yet still the calling function's -ErrorVariable
                silenced = getattr(self.streams, "silenced_error", None)
                if silenced is not None:
                    silenced(record)
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


_Hidden = HiddenInformation   # the name the sinks import


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
        from pshell.engine.shouldprocess import confirm_needed
        block = getattr(self._frame, "block", None)
        impact = getattr(getattr(block, "compiled", None), "confirm_impact", "medium")
        if not confirm_needed(impact, self._lookup("confirmpreference") or "High"):
            return True
        return self._ask("Confirm", text)

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
        from pshell.engine.shouldprocess import read_choice
        return read_choice(host.read_line, message, caption) in ("yes", "all")


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
        from pshell.engine.rt_errors import to_runtime_exception
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

    def silenced_error(self, record: Any) -> None:
        """An error -ErrorAction SilentlyContinue kept off the stream: the variable still gets it."""
        if self.ctx.error_var is not None:
            self.ctx.error_var.append(record)
        silenced = getattr(self.parent, "silenced_error", None)
        if silenced is not None:
            silenced(record)

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
