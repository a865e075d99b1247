"""Runspaces, scopes, frames and script blocks: the state compiled code runs against.

A :class:`Runspace` is one independent PowerShell world: a global scope, a current location, a
host, a job table.  Running a script block creates a :class:`Frame` (one activation: its scope, the
sink for its non-output streams, where its code came from).  Scopes chain to their caller's scope,
which gives PowerShell's dynamic scoping.  Compiled code (see ``compiler.py``) receives the frame and
keeps ``frame.scope.vars`` in a local for speed; variable names are folded to lower case at compile
time.
"""

from __future__ import annotations

import _thread
import os
import sys

from pshell.engine.errors import (ExitException, FlowControl,
                                  PipelineStopped, RuntimeException)
from pshell.engine.streams import Streams
from pshell.engine.values import AutomationNull, Hashtable
from pshell.lang.errors import SourceLocation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple
    from pshell.engine.compiler import CompiledBlock, Unit
    from pshell.lang import ast

__all__ = ["Scope", "Frame", "Runspace", "ScriptBlock", "FunctionInfo", "collect"]

_NOT_FOUND = object()

#: what the runspace running on this thread publishes for code that has no frame at hand:
#: ``types``, its table of script-defined classes and enums (see engine/classes.py)
CURRENT = _thread._local()          # threading.local, without importing threading


class Scope:
    """Variables, functions and aliases defined at one level of the scope chain."""

    __slots__ = ("vars", "parent", "functions", "aliases", "readonly", "constraints", "var_meta")

    def __init__(self, parent: Optional["Scope"] = None) -> None:
        self.vars: Dict[str, Any] = {}
        self.parent = parent
        self.functions: Optional[Dict[str, "FunctionInfo"]] = None
        self.aliases: Optional[Dict[str, str]] = None
        self.readonly: Optional[Dict[str, str]] = None      # name -> 'ReadOnly' | 'Constant'
        self.constraints: Optional[Dict[str, str]] = None   # name -> type name ([int]$x = ...)
        self.var_meta: Optional[Dict[str, Any]] = None      # name -> engine/variable_meta.VariableMeta

    def lookup(self, name: str) -> Any:
        scope: Optional[Scope] = self
        while scope is not None:
            value = scope.vars.get(name, _NOT_FOUND)
            if value is not _NOT_FOUND:
                return value
            scope = scope.parent
        return _NOT_FOUND

    def find_scope(self, name: str) -> Optional["Scope"]:
        scope: Optional[Scope] = self
        while scope is not None:
            if name in scope.vars:
                return scope
            scope = scope.parent
        return None

    def find_function(self, name: str) -> Optional["FunctionInfo"]:
        scope: Optional[Scope] = self
        while scope is not None:
            if scope.functions is not None:
                found = scope.functions.get(name)
                if found is not None:
                    return found
            scope = scope.parent
        return None

    def find_alias(self, name: str) -> Optional[str]:
        scope: Optional[Scope] = self
        while scope is not None:
            if scope.aliases is not None:
                found = scope.aliases.get(name)
                if found is not None:
                    return found
            scope = scope.parent
        return None

    def set_function(self, info: "FunctionInfo") -> None:
        if self.functions is None:
            self.functions = {}
        self.functions[info.name.lower()] = info


class Frame:
    """One activation of a script block."""

    __slots__ = ("rs", "scope", "streams", "script_scope", "unit", "using", "host_output",
                 "invocation", "block", "traps")

    def __init__(self, rs: "Runspace", scope: Scope, streams: Streams, script_scope: Scope,
                 unit: Optional["Unit"] = None, using: Optional[Dict[str, Any]] = None,
                 host_output: bool = False) -> None:
        self.rs = rs
        self.scope = scope
        self.streams = streams
        self.script_scope = script_scope
        self.unit = unit
        self.using = using
        self.host_output = host_output
        self.invocation: Any = None
        self.block: Optional["ScriptBlock"] = None
        #: the traps this activation defined (a trap belongs to its script block's run, not to
        #: a scope: the global scope outlives every line typed at the prompt)
        self.traps: Optional[List[Any]] = None

    def location(self, nid: int) -> Optional[SourceLocation]:
        unit = self.unit
        if unit is None or nid < 0 or nid >= len(unit.spans):
            return None
        start, end = unit.spans[nid]
        return SourceLocation(unit.source, unit.text, start, end)

    def child(self, scope: Optional[Scope] = None, streams: Optional[Streams] = None) -> "Frame":
        frame = Frame(self.rs, scope if scope is not None else self.scope,
                      streams if streams is not None else self.streams, self.script_scope,
                      self.unit, self.using, False)
        return frame


class FunctionInfo:
    """A function or filter defined with ``function``."""

    __slots__ = ("name", "block", "is_filter", "module", "options", "start")
    ps_properties = ("CommandType", "Name", "Version", "Source")
    ps_type_names = ("System.Management.Automation.FunctionInfo",)

    def __init__(self, name: str, block: "ScriptBlock", is_filter: bool = False) -> None:
        self.name = name
        self.block = block
        self.is_filter = is_filter
        self.module: Any = None            # the PSModuleInfo that exported it (engine/modules.py)
        self.options: Tuple[str, ...] = ()  # 'ReadOnly', 'Constant', ... (Set-Item -Options)
        self.start: Optional[int] = None   # offset of its `function` keyword in block.unit.text

    @property
    def Name(self) -> str:
        return self.name

    @property
    def CommandType(self) -> str:
        return "Filter" if self.is_filter else "Function"

    @property
    def Options(self) -> str:
        from pshell.engine.state_drives import OPTION_NAMES
        return ", ".join(o for o in OPTION_NAMES if o in self.options) or "None"

    @property
    def Definition(self) -> str:
        return self.block.text

    @property
    def ScriptBlock(self) -> "ScriptBlock":
        return self.block

    @property
    def Source(self) -> str:
        return self.module.Name if self.module is not None else ""

    @property
    def ModuleName(self) -> str:
        return self.Source

    Version = ""


class Extent:
    """Where an AST node is in its source: ``.Extent`` of an AST, with its text."""

    ps_type_names = ("System.Management.Automation.Language.InternalScriptExtent",)
    ps_properties = ("File", "StartLineNumber", "StartColumnNumber", "Text")

    def __init__(self, unit: "Unit", start: int, end: int, line: int, col: int) -> None:
        self.File = unit.source
        self.Text = unit.text[start:end]
        self.StartOffset = start
        self.EndOffset = end
        self.StartLineNumber = line
        self.StartColumnNumber = col

    def ToString(self) -> str:
        return self.Text


class FunctionDefinitionView:
    """``(Get-Command f).ScriptBlock.Ast``: the ``function f {...}`` definition."""

    ps_type_names = ("System.Management.Automation.Language.FunctionDefinitionAst",)
    ps_properties = ("Name", "IsFilter", "Body", "Extent")

    def __init__(self, node: Any, unit: "Unit") -> None:
        self.Name = node.name
        self.IsFilter = node.is_filter
        self.Body = node.body
        span = node.span
        self.Extent = Extent(unit, span.start, span.end, span.line, span.col)

    def ToString(self) -> str:
        return self.Extent.Text


class ScriptBlock:
    """A ``{ ... }`` value: an AST plus where it came from; compiled once, on first use."""

    __slots__ = ("ast", "unit", "_compiled", "bound_frame", "definition")
    ps_type_names = ("System.Management.Automation.ScriptBlock",)
    ps_properties = ("Ast",)

    def __init__(self, ast: "ast.ScriptBlockAst", unit: "Unit") -> None:
        self.ast = ast
        self.unit = unit
        self._compiled: Optional["CompiledBlock"] = None
        self.bound_frame: Optional[Frame] = None
        self.definition: Any = None     # a function's body: its FunctionDefinition node

    @property
    def text(self) -> str:
        return self.ast.text

    @property
    def compiled(self) -> "CompiledBlock":
        found = self._compiled
        if found is None:
            found = self.unit.compile_block(self.ast)
            self._compiled = found
        return found

    @property
    def Ast(self) -> Any:
        """The block's AST; a function's body answers with its whole definition, as in pwsh."""
        if self.definition is not None:
            return FunctionDefinitionView(self.definition, self.unit)
        return self.ast

    @property
    def File(self) -> str:
        return self.unit.source

    def ToString(self) -> str:
        return self.ast.text

    def __str__(self) -> str:
        return self.ast.text

    def __repr__(self) -> str:
        return "{" + self.ast.text + "}"

    def using_names(self) -> List[str]:
        """Names (lower case) of the ``$using:`` variables the block refers to.  A block not
        compiled yet whose tree has no ``$using:`` variable at all (in it or in a block nested
        in it) is not compiled for the answer: the block Invoke-Command and Start-Job send away
        is compiled where it runs, and compiling it here too cost ~0.2 ms for ``{ 1 }``, more
        with its size."""
        if self._compiled is None:
            entry = self.unit._cache.get(id(self.ast))     # compiled for another of its values
            if entry is not None and entry[0] is self.ast:
                self._compiled = entry[1]
            elif not _mentions_using(self.ast):
                return []
        return self.compiled.using_names

    def using_values(self, frame: Frame) -> Dict[str, Any]:
        """The current values of the block's ``$using:`` variables, read in ``frame``'s scope,
        to send along with the block to a job or a remote computer."""
        values: Dict[str, Any] = {}
        for name in self.using_names():
            value = frame.scope.lookup(name)
            if value is _NOT_FOUND and frame.using is not None and name in frame.using:
                value = frame.using[name]
            if value is _NOT_FOUND:         # $using:PWD, $using:HOME...: the local automatic one
                value = automatic_variable(frame.rs, name)
            values[name] = None if value is _NOT_FOUND else value
        return values

    # Used by `-replace` with a script block replacement.
    def invoke_with_match(self, match: Any) -> Any:
        frame = self.bound_frame
        if frame is None:
            raise RuntimeException.make("The script block has no runspace to run in.")
        from pshell.engine.dotnet_regex import Match
        from pshell.engine.command_context import invoke_block
        found = Match(match)               # $_ for -replace, the argument for [regex]::Replace
        return collect(invoke_block(frame, self, (found,), dollar_under=found))


_USING_SEEN: Any = None      # tree -> _mentions_using(tree), while the tree lives


def _mentions_using(tree: Any) -> bool:
    """Whether any ``$using:`` variable is in ``tree``, nested script blocks, functions and
    classes included (the compiler finds a block's own among them).  Remembered per tree: a
    loop's ``Invoke-Command { .. }`` makes a new block value of the same tree each time."""
    global _USING_SEEN
    seen = _USING_SEEN
    if seen is None:
        import weakref
        seen = _USING_SEEN = weakref.WeakKeyDictionary()
    found = seen.get(tree)
    if found is None:
        found = seen[tree] = _search_using(tree)
    return found


def _search_using(tree: Any) -> bool:
    from pshell.lang.ast import Node, Variable
    stack = [tree]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        node = pop()
        if isinstance(node, Variable):
            if node.scope == "using":
                return True
        elif isinstance(node, Node):
            for name in node._fields:  # type: ignore[attr-defined]
                value = getattr(node, name, None)
                if value is not None and type(value) is not str:
                    push(value)
        elif isinstance(node, (tuple, list)):
            extend(node)
        elif isinstance(node, dict):
            extend(node.values())
    return False


def collect(iterator: Iterable[Any]) -> Any:
    """Pipeline output as a value: nothing is ``$null``, one object is itself, more are a list."""
    items = list(iterator)
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return items


class _PreferenceDefaults:
    pass


def _version_table() -> Hashtable:
    import platform
    import sys
    from pshell import __version__
    from pshell.engine.version import Version
    from pshell.lang.requires import LANGUAGE_VERSION
    # PSVersion is the PowerShell language level pshell speaks (scripts test ``.Major -ge 7``);
    # pshell's own version is beside it.
    return Hashtable([
        ("PSVersion", Version(LANGUAGE_VERSION)), ("PSEdition", "Core"),
        ("PShellVersion", Version(tuple(int(p) for p in __version__.split(".")))),
        ("PythonVersion", platform.python_version()),
        ("Platform", sys.platform.capitalize()), ("OS", f"{platform.system()} {platform.release()}"),
        ("PSRemotingProtocolVersion", "1.0"),
    ])


def _environ_copy() -> Dict[str, str]:
    """``dict(os.environ)`` without a Python-level call per name and value (a session's
    runspace is made in a fresh process: this is on every remote session's path)."""
    try:
        data = os.environ._data     # type: ignore[attr-defined]  # bytes -> bytes on POSIX
        enc = sys.getfilesystemencoding()
        return {k.decode(enc, "surrogateescape"): v.decode(enc, "surrogateescape")
                for k, v in data.items()}
    except (AttributeError, TypeError):
        return dict(os.environ)


class Runspace:
    """An independent PowerShell world.  Cheap to create: jobs make one each."""

    def __init__(self, host: Optional[Any] = None, location: Optional[str] = None,
                 name: str = "Runspace", environ: Optional[Dict[str, str]] = None) -> None:
        self.host: Any = host if host is not None else Streams()
        #: the environment scripts see (``$env:``, ``Env:``, native commands, ``~``): a copy of the
        #: process's at creation unless given; a thread job passes its parent's own dict to share
        #: it, Start-Job a copy.  The process's os.environ stays pshell's own configuration.
        self.environ: Dict[str, str] = _environ_copy() if environ is None else environ
        self.location = os.path.abspath(location) if location else os.getcwd()
        self.name = name
        self.global_scope = Scope()
        self.last_success = True
        self.try_depth = 0
        self._stop_event: Any = None          # a threading.Event, made by the first wait_stop
        self.stop_requested = False
        self._jobs: Any = None
        self._active: List[Any] = []          # command processors that can be stopped
        self._lock = _thread.allocate_lock()
        self.errors: List[Any] = []           # $Error, newest first
        self.history: List[Any] = []
        self.history_id = 0                   # the history entry the running command will be
        self.location_stack: Dict[str, List[str]] = {}
        self.previous_location: Optional[str] = None
        #: Variable:, Function: or Alias: after `Set-Location Function:` (engine/state_drives.py):
        #: relative item paths then name items there; None on the file system
        self.state_location: Optional[str] = None
        self.shell: Any = None                # the session stack owner, when interactive
        self.non_interactive = False          # -NonInteractive: never prompt
        self.owns_process = False             # the command line's runspace: Switch-Process may exec
        self.script_host: Any = None          # a host object a script gave CreateRunspace ($Host)
        self.uncaught_errors = 0              # terminating errors that reached no catch (exit 1)
        self.exit_on_script_exit = False
        self.script_depth = 0
        g = self.global_scope.vars
        g.update({
            "error": self.errors, "erroractionpreference": "Continue",
            "warningpreference": "Continue", "verbosepreference": "SilentlyContinue",
            "debugpreference": "SilentlyContinue", "informationpreference": "SilentlyContinue",
            "progresspreference": "Continue", "confirmpreference": "High",
            "whatifpreference": False, "ofs": " ", "home": self.home(),
            "pid": os.getpid(), "lastexitcode": None, "psjobnotifications": True,
            "maximumhistorycount": 4096, "nestedpromptlevel": 0,
            "islinux": True, "iswindows": False, "ismacos": False,
            "iscoreclr": True, "shellid": "pshell", "pshome": os.path.dirname(os.path.dirname(
                os.path.abspath(__file__))),
        })
        self.global_scope.aliases = None

    # ---- variables -----------------------------------------------------------------
    def get_variable(self, name: str, default: Any = None) -> Any:
        value = self.global_scope.vars.get(name.lower(), _NOT_FOUND)
        if value is _NOT_FOUND:
            value = automatic_variable(self, name.lower())
        return default if value is _NOT_FOUND else value

    def set_variable(self, name: str, value: Any) -> None:
        self.global_scope.vars[name.lower()] = value

    # ---- environment ---------------------------------------------------------------
    def home(self) -> str:
        """The directory ``~`` stands for: $HOME, which the runspace takes from its environment's
        HOME when it is made (as pwsh does: a later ``$env:HOME = ..`` does not move ``~``)."""
        home = self.global_scope.vars.get("home")
        if isinstance(home, str) and home:
            return home
        return self.environ.get("HOME") or os.path.expanduser("~")

    def expand_home(self, text: str) -> str:
        """``~`` and ``~/...`` against :meth:`home`; ``~user`` as the account database says."""
        if text == "~" or text.startswith("~/"):
            return (self.home().rstrip("/") + text[1:]) or "/"
        return os.path.expanduser(text)

    def set_env(self, name: str, value: Optional[str]) -> None:
        """Set (None: remove) a variable of the runspace's environment, refusing what no
        program could be given (exec would fail later, far from the assignment)."""
        if value is None:
            self.environ.pop(name, None)
            return
        problem = _env_problem(name, value)
        if problem:
            raise RuntimeException.make(problem, "InvalidEnvironmentVariable", "InvalidArgument",
                                        name, exception_type="System.ArgumentException")
        self.environ[name] = value

    # ---- location ------------------------------------------------------------------
    def resolve_path(self, path: str) -> str:
        if path is None:
            return self.location
        text = str(path)
        if "\\" in text:
            text = text.replace("\\", "/")    # pwsh on Linux: a backslash separates too
        if text.startswith("~"):
            text = self.expand_home(text)
        if text.lower().startswith("filesystem::"):
            text = text[12:]
        if ":" in text:
            from pshell.engine.drives import map_drive_path
            text = map_drive_path(self, text) or text
        if not os.path.isabs(text):
            text = os.path.join(self.location, text)
        return os.path.normpath(text)

    def set_location(self, path: str) -> None:
        target = self.resolve_path(path)
        if not os.path.isdir(target):
            raise RuntimeException.make(
                f"Cannot find path '{target}' because it does not exist.", "PathNotFound",
                "ObjectNotFound", exception_type="System.Management.Automation.ItemNotFoundException")
        self.previous_location = self.location
        self.location = target

    # ---- jobs ----------------------------------------------------------------------
    @property
    def jobs(self) -> Any:
        if self._jobs is None:
            from pshell.engine.job_table import JobManager
            self._jobs = JobManager(self)
        return self._jobs

    # ---- errors --------------------------------------------------------------------
    def add_error(self, record: Any) -> None:
        if self.history_id and not getattr(record, "history_id", 0):
            try:
                record.history_id = self.history_id
            except AttributeError:
                pass
        self.errors.insert(0, record)
        if len(self.errors) > 256:
            del self.errors[256:]

    # ---- running -------------------------------------------------------------------
    def compile(self, text: str, source: str = "<invoke>") -> ScriptBlock:
        """A script block for ``text``; the parsed and compiled unit is kept per text (a few
        hundred), so running the same text again (a loop calling invoke, remote invocations)
        does not parse and compile it again; a text this process's supervisor compiled ahead
        (compiler.share) is taken as it is."""
        units = self.__dict__.get("_units")
        if units is None:
            units = self.__dict__.setdefault("_units", {})
        key = (text, source)
        unit = units.get(key)
        if unit is None:
            from pshell.engine import compiler
            unit = compiler.shared_unit(text, source)
            if unit is None:
                unit = compiler.Unit.from_text(text, source)
                compiler.note(unit)
            if len(units) >= 256:
                try:
                    units.pop(next(iter(units)), None)
                except (StopIteration, RuntimeError):    # another thread changed it meanwhile
                    pass
            units[key] = unit
        return unit.script_block()

    def new_frame(self, streams: Optional[Streams] = None, using: Optional[Dict[str, Any]] = None,
                  host_output: bool = False, unit: Optional["Unit"] = None) -> Frame:
        CURRENT.runspace = self         # what frame-less code (static members) runs for
        return Frame(self, self.global_scope, streams if streams is not None else self.host,
                     self.global_scope, unit, using, host_output)

    def invoke_iter(self, script: Any, args: Iterable[Any] = (), input: Any = None,
                    using: Optional[Dict[str, Any]] = None, streams: Optional[Streams] = None,
                    source: str = "<invoke>", new_scope: bool = False) -> Iterator[Any]:
        """Run ``script`` (text or ScriptBlock) at the runspace's top level and stream its output.
        Terminating errors propagate as RuntimeException."""
        from pshell.engine.command_context import invoke_block
        block = script if isinstance(script, ScriptBlock) else self.compile(str(script), source)
        frame = self.new_frame(streams, using, unit=block.unit)
        CURRENT.types = self.__dict__.get("types")
        CURRENT.type_data = self.__dict__.get("type_data")
        upstream = None if input is None else iter(input)
        self.clear_stop()
        return invoke_block(frame, block, tuple(args), upstream=upstream, new_scope=new_scope,
                            script_scope=not new_scope, top=True)

    def invoke(self, script: Any, args: Iterable[Any] = (), input: Any = None,
               using: Optional[Dict[str, Any]] = None, streams: Optional[Streams] = None,
               source: str = "<invoke>", new_scope: bool = False) -> List[Any]:
        return list(self.invoke_iter(script, args, input, using, streams, source, new_scope))

    def execute(self, text: str, source: str = "<interactive>") -> Optional[int]:
        """Run text as the top level does (REPL line, script, stdin statement): output to the
        host, errors reported, never raising except ExitException.  Returns None, or raises
        ExitException for ``exit``."""
        from pshell.engine.toplevel import execute
        CURRENT.types = self.__dict__.get("types")
        CURRENT.type_data = self.__dict__.get("type_data")
        return execute(self, text, source)

    # ---- stopping ------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the running pipeline (thread-safe)."""
        self.stop_requested = True
        event = self._stop_event
        if event is not None:
            event.set()
        with self._lock:
            active = list(self._active)
        for proc in active:
            try:
                proc.stop()
            except Exception:
                pass

    def clear_stop(self) -> None:
        self.stop_requested = False
        event = self._stop_event
        if event is not None:
            event.clear()

    @property
    def stopping(self) -> bool:
        return self.stop_requested

    def wait_stop(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if a stop was requested meanwhile."""
        event = self._stop_event
        if event is None:
            # made on first use: importing threading (and functools, collections) is a tenth of
            # pshell's start-up.  stop() sets stop_requested before it looks for the event, and
            # the event is published before stop_requested is read here, so a stop that raced
            # with its creation is seen by one side or the other.
            import threading
            with self._lock:
                if self._stop_event is None:
                    self._stop_event = threading.Event()
                event = self._stop_event
            if self.stop_requested:
                return True
        return event.wait(seconds)

    def register_active(self, proc: Any) -> None:
        with self._lock:
            self._active.append(proc)

    def unregister_active(self, proc: Any) -> None:
        with self._lock:
            try:
                self._active.remove(proc)
            except ValueError:
                pass

    def close(self) -> None:
        if self._jobs is not None:
            try:
                self._jobs.stop_all()
            except Exception:
                pass


def _env_problem(name: str, value: str) -> str:
    """Why ``name=value`` cannot be an environment variable ('' when it can)."""
    if not name or "=" in name or "\0" in name:
        return (f"The environment variable name '{name}' is not valid: a name must not be empty "
                f"or contain '=' or a NUL character.")
    if "\0" in value:
        return f"The value of the environment variable '{name}' contains a NUL character."
    try:
        name.encode("utf-8", "surrogateescape")
        value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return (f"The environment variable '{name}' cannot be set: its name or value holds a lone "
                f"UTF-16 surrogate, which programs cannot be given.")
    return ""


# --------------------------------------------------------------------------- automatic variables

def automatic_variable(rs: Runspace, name: str) -> Any:
    """Variables computed on demand (not stored): ``$PWD``, ``$PSVersionTable``, ``$Host``."""
    if name == "pwd":
        from pshell.engine.drives import logical_location
        return _PathInfo(logical_location(rs))
    if name == "psversiontable":
        table = _version_table()
        rs.global_scope.vars["psversiontable"] = table
        return table
    if name == "host":
        return rs.script_host if rs.script_host is not None else rs.host
    if name == "psstyle":
        from pshell.engine.psstyle import PSStyle
        style = rs.global_scope.vars["psstyle"] = PSStyle(rs.host)
        return style
    if name == "psdefaultparametervalues":      # made empty on first use, then an ordinary variable
        from pshell.engine.values import Hashtable
        defaults = rs.global_scope.vars["psdefaultparametervalues"] = Hashtable()
        return defaults
    if name in ("psculture", "psuiculture"):
        from pshell.engine.hostinfo import current_culture, current_ui_culture
        return (current_culture if name == "psculture" else current_ui_culture)(rs).Name
    if name == "?":
        return rs.last_success
    if name == "executioncontext":
        return rs
    if name == "psitem":
        return _NOT_FOUND
    if name == "profile":
        from pshell.engine.profile import profile_paths
        return profile_paths(rs.environ if isinstance(getattr(rs, "environ", None), dict) else None)
    return _NOT_FOUND


class _PathInfo:
    __slots__ = ("Path",)
    ps_properties = ("Path",)
    ps_type_names = ("System.Management.Automation.PathInfo",)

    def __init__(self, path: str) -> None:
        self.Path = path

    @property
    def ProviderPath(self) -> str:
        return self.Path

    @property
    def Drive(self) -> str:
        return "/"

    def ToString(self) -> str:
        return self.Path

    def __str__(self) -> str:
        return self.Path


#: the scope variable Set-StrictMode sets (a name no script can spell): 0 off, else the version
STRICT_MODE_VAR = "\x00strictmode"


def lookup_variable(frame: Frame, name: str) -> Any:
    """Slow path of a variable read: the scope chain, then automatic variables; ``$null``, or under
    ``Set-StrictMode -Version 1`` or later an error."""
    value = frame.scope.lookup(name)
    if value is _NOT_FOUND:
        value = automatic_variable(frame.rs, name)
        if value is _NOT_FOUND:
            if frame.scope.lookup(STRICT_MODE_VAR) not in (_NOT_FOUND, 0, None):
                from pshell.engine.errors import RuntimeException
                raise RuntimeException.make(
                    f"The variable '${name}' cannot be retrieved because it has not been set.",
                    "VariableIsUndefined", "InvalidOperation", name)
            return None
    return value


__all__ += ["lookup_variable", "automatic_variable", "FlowControl", "PipelineStopped",
            "ExitException", "AutomationNull"]
