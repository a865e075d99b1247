"""Running pipelines: command resolution, stages, script files, background jobs.

A compiled pipeline hands ``run_pipeline`` a tuple of stages.  Each command stage is resolved
(alias -> function -> cmdlet -> script file -> executable on PATH), its arguments are bound, and the
stages are chained as iterators: pull-based, so ``1..1e9 | Select-Object -First 3`` ends the range
after three items.  Adjacent native commands are connected with raw bytes.

A command's context and script-block invocation are in ``command_context``; redirection of its
streams in ``redirection``.
"""

from __future__ import annotations

import os

from pshell.engine.aliases import DEFAULT_ALIASES
from pshell.engine.builtin_functions import BUILTIN_FUNCTIONS, builtin_function
from pshell.engine.binder import bind_arguments, script_params
from pshell.engine.cmdlet import Cmdlet, lookup_cmdlet
from pshell.engine.command_context import CommandContext, _apply_bound, _run_blocks, invoke_block
from pshell.engine.errors import (CommandNotFound, ErrorRecord, ExitException, PipelineStopped,
                                  RuntimeException)
from pshell.engine.redirection import _RedirectSink
from pshell.engine.runtime import _NOT_FOUND, Frame, Runspace, Scope, ScriptBlock
from pshell.engine.values import AutomationNull, enumerate_value, to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Tuple

__all__ = ["run_pipeline", "resolve_command", "start_background", "invoke_script_file", "load_script"]


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
    from pshell.engine.native import find_executable, find_script_on_path
    if lowered.endswith(".ps1"):
        script = find_script_on_path(text, rs.location, rs.environ)
        if script is not None:
            return _Resolved("script", script, text)
    exe = find_executable(rs.expand_home(text) if text.startswith("~") else text, rs.location,
                          rs.environ)
    if exe is not None:
        return _Resolved("native", exe, text)
    script = find_script_on_path(text, rs.location, rs.environ)     # `deploy` runs deploy.ps1
    if script is not None:
        return _Resolved("script", script, text)
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
