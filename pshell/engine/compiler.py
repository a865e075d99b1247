"""Compile script blocks to Python code.

PowerShell compiles hot script blocks; an interpreter that re-dispatches on every AST node is 20-50x
slower than one that doesn't.  pshell translates each named block (begin/process/end) of a script
block into the source of one Python generator function taking the frame ``F``, compiles it with
``compile()``, and caches it on the :class:`Unit` (one parsed text).  Statement output is ``yield``;
variables live in ``F.scope.vars`` (bound to the local ``L``), names folded to lower case at compile
time; loops become Python loops with a stop check per iteration, so Stop-Job and Ctrl-C end even
``while ($true) {}``.

Each statement that can fail is wrapped in ``try/except`` and handed to ``_stmt_error``: PowerShell's
statement-terminating errors are reported and execution continues with the next statement, unless a
``try`` is active or the error is script-terminating (``throw``, ``-ErrorAction Stop``).
"""

from __future__ import annotations

import _thread
import time

from pshell.engine import rt
from pshell.engine.errors import RuntimeException
from pshell.lang import ast as A
from pshell.engine.compile_expressions import ExpressionEmitter
from pshell.engine.compile_statements import (_UNCONSTRAINED, StatementEmitter, _Function, _lone_expression,
                                             _walk)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

__all__ = ["Unit", "CompiledBlock", "ParamSpec", "shared_unit", "note_texts", "take_noted",
           "compile_ahead", "share", "TEXT_MAX", "SHARED_MAX"]


class ParamSpec:
    """A parameter of a script block's ``param()`` block, ready for the binder."""

    __slots__ = ("name", "type_name", "default", "mandatory", "position", "pipeline", "by_property",
                 "aliases", "validate_set", "sets", "remaining", "switch", "validate_range",
                 "not_null", "allow", "checks")

    def __init__(self, name: str) -> None:
        self.name = name
        self.type_name: Optional[str] = None
        self.default: Any = None            # a function F -> value, or None
        self.mandatory = False
        self.position: Optional[int] = None
        self.pipeline = False
        self.by_property = False
        self.aliases: Tuple[str, ...] = ()
        self.validate_set: Optional[Tuple[str, ...]] = None
        self.validate_range: Optional[Tuple[Any, Any]] = None
        self.not_null = False
        self.sets: Tuple[str, ...] = ()
        self.remaining = False
        self.switch = False
        self.allow: Tuple[str, ...] = ()    # "null", "emptystring", "emptycollection"
        self.checks: List[Tuple[Any, ...]] = []   # (kind, argument, ErrorMessage or None)


class CompiledBlock:
    __slots__ = ("begin", "process", "end", "clean", "dynamicparam", "params", "advanced",
                 "using_names", "positional_binding", "value", "should_process", "confirm_impact",
                 "default_set")

    def __init__(self) -> None:
        self.value: Any = None      # a block that is one expression: F -> its value (not unrolled)
        self.begin: Any = None
        self.process: Any = None
        self.end: Any = None
        self.clean: Any = None
        self.dynamicparam: Any = None   # run while binding (engine/dynparams.py)
        self.params: Optional[List[ParamSpec]] = None
        self.advanced = False
        self.using_names: List[str] = []
        self.positional_binding = True
        self.should_process = False     # [CmdletBinding(SupportsShouldProcess)]: -WhatIf, -Confirm
        self.confirm_impact = "medium"
        self.default_set: Optional[str] = None     # [CmdletBinding(DefaultParameterSetName=..)]


class Unit:
    """One parsed source text: its spans table and the compiled blocks of its script blocks."""

    def __init__(self, root: A.ScriptBlockAst, text: str, source: str) -> None:
        self.root = root
        self.text = text
        self.source = source
        self.spans: List[Tuple[int, int]] = []
        self.asts: List[Any] = []
        self._ast_index: Dict[int, int] = {}
        self._cache: Dict[int, Tuple[Any, CompiledBlock]] = {}
        self._lock = _thread.RLock()
        self.top_blocks: set = set()     # ids of blocks run at top level (kept alive by _cache)
        self.cost = 0.0                  # seconds spent parsing and compiling it

    @classmethod
    def from_text(cls, text: str, source: str = "<invoke>") -> "Unit":
        from pshell.lang.parser import parse
        started = time.perf_counter()
        unit = cls(parse(text, source), text, source)
        unit.cost = time.perf_counter() - started
        return unit

    def script_block(self) -> Any:
        from pshell.engine.runtime import ScriptBlock
        return ScriptBlock(self.root, self)

    def node_id(self, node: Any) -> int:
        span = getattr(node, "span", None)
        if span is None:
            return -1
        self.spans.append((span.start, span.end))
        return len(self.spans) - 1

    def ast_id(self, node: Any) -> int:
        key = id(node)
        found = self._ast_index.get(key)
        if found is None:
            self.asts.append(node)
            found = len(self.asts) - 1
            self._ast_index[key] = found
        return found

    def compile_block(self, block: A.ScriptBlockAst) -> CompiledBlock:
        entry = self._cache.get(id(block))
        # the entry keeps its node alive, so an id can't be reused by another node meanwhile
        if entry is None or entry[0] is not block:
            with self._lock:      # jobs and remote invocations may compile from other threads
                entry = self._cache.get(id(block))
                if entry is None or entry[0] is not block:
                    started = time.perf_counter()
                    entry = (block, _BlockCompiler(self).compile(block))
                    self._cache[id(block)] = entry
                    self.cost += time.perf_counter() - started
        return entry[1]


# --------------------------------------------------------------------------- units shared ahead
# A process-wide table of units parsed and compiled ahead of use, by (text, source).  The remote
# supervisor fills it with the texts its sessions ran (remote/precompile.py) before it forks the
# next spares, which inherit it: a session running a text again (an admin re-running a command
# over a fleet) neither parses nor compiles it.  What a unit holds depends on its text and source
# only (the AST, the generated functions of F, constants from literals, span tables): nothing of
# a runspace, so every runspace of the process may run it.  A runspace that finds it here keeps
# it in its own table as if it had parsed it.

#: the longest text shared or noted (characters)
TEXT_MAX = 64 * 1024
#: how many units the table holds (the least recently shared goes first)
SHARED_MAX = 32

_SHARED: Dict[Tuple[str, str], Unit] = {}
#: texts this process parsed that were not shared, for its supervisor (None: not noted here)
_NOTED: Optional[Dict[Tuple[str, str], Unit]] = None


def shared_unit(text: str, source: str) -> Optional[Unit]:
    """The unit shared for this text, or None."""
    return _SHARED.get((text, source))


def note(unit: Unit) -> None:
    """``unit`` was parsed here, not found shared: note it for :func:`take_noted`."""
    noted = _NOTED
    if noted is not None and len(unit.text) <= TEXT_MAX and len(noted) < SHARED_MAX:
        noted[(unit.text, unit.source)] = unit


def note_texts(on: bool = True) -> None:
    """Start (or stop) noting the texts this process parses that were not shared."""
    global _NOTED
    _NOTED = {} if on else None


def take_noted() -> List[Tuple[str, str, float]]:
    """The texts noted since the last call: (text, source, seconds its parse and compile took)."""
    noted = _NOTED
    if not noted:
        return []
    out = []
    for key in list(noted):
        unit = noted.pop(key, None)
        if unit is not None:
            out.append((key[0], key[1], unit.cost))
    return out


def compile_ahead(text: str, source: str) -> Unit:
    """A unit for ``text`` with every script block in it compiled (nothing is left to compile
    lazily, so nothing is written to it by whoever runs it).  Raises ParseError or
    RuntimeException (too deeply nested or too large) like a first run would."""
    unit = Unit.from_text(text, source)
    for block in _script_blocks(unit.root):
        unit.compile_block(block)
    return unit


def share(unit: Unit) -> None:
    """Make ``unit`` the shared one for its text (the most recent: the oldest beyond
    SHARED_MAX goes)."""
    key = (unit.text, unit.source)
    _SHARED.pop(key, None)
    _SHARED[key] = unit
    while len(_SHARED) > SHARED_MAX:
        _SHARED.pop(next(iter(_SHARED)), None)


def shared_texts() -> List[Tuple[str, str]]:
    return list(_SHARED)


def _script_blocks(node: Any) -> List[A.ScriptBlockAst]:
    """Every script block node of a tree (the root included), outermost first."""
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (list, tuple)):
            stack.extend(reversed(current))
            continue
        if not isinstance(current, A.Node):
            continue
        if isinstance(current, A.ScriptBlockAst):
            found.append(current)
        for name in reversed(getattr(current, "_fields", ())):
            value = getattr(current, name, None)
            if isinstance(value, (list, tuple, A.Node)):
                stack.append(value)
    return found


# --------------------------------------------------------------------------- code generation


class _BlockCompiler(StatementEmitter, ExpressionEmitter):
    """Compiles one script block: its functions, param block and constants here; statements and
    expressions from the mixins (compile_statements, compile_expressions)."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.functions: List[_Function] = []
        self.counter = 0
        self.trapped = False        # statements of the function being compiled have a trap
        self.using: List[str] = []
        self.constants: List[Any] = []
        self.fn: _Function = _Function("")
        self.top_level = False
        self.constrained: Dict[str, str] = {}
        self.method = False         # a class method's body: statement output is dropped
        self.in_trap = False        # compiling a trap's body: `return` leaves the trapping block
        self.root_trapped = False   # a top-level statement run alone, in a script with traps

    # ---- entry ---------------------------------------------------------------------
    def compile(self, block: A.ScriptBlockAst) -> CompiledBlock:
        result = CompiledBlock()
        self.constrained = _type_constraints(block)
        self.root_trapped = False
        root = self.unit.root
        if block is not root and id(block) in self.unit.top_blocks:
            # some top-level statements of a script run alone (pshell FILE runs them one by one):
            # the script's type constraints and traps hold for them all
            self.constrained = dict(_type_constraints(root), **self.constrained)
            self.root_trapped = root.end is not None and any(
                isinstance(stmt, A.Trap) for stmt in root.end.statements)
        self.method = block.is_method
        # `#requires` of a script (lang/requires.py): checked before its first statement runs
        self.requires = requirements_of(self.unit) if block is self.unit.root else None
        self.top_level = block is self.unit.root or id(block) in self.unit.top_blocks
        names = {}
        for kind in ("begin", "process", "end", "clean", "dynamicparam"):
            named = getattr(block, kind)
            if named is not None:
                names[kind] = self.function_for_statements(named.statements, kind)
        value_name = self.value_function_for(block)
        if block.param_block is not None:
            result.params, result.advanced = self.param_specs(block.param_block)
            result.positional_binding = True
            self.cmdlet_binding(block.param_block, result)
        source = "\n".join("\n".join(f.lines) for f in self.functions)
        namespace = dict(rt.NAMESPACE)
        namespace["K"] = self.constants
        namespace["UNIT"] = self.unit
        try:
            code = compile(source, f"<pshell:{self.unit.source}>", "exec")
            exec(code, namespace)
        except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
            raise RuntimeException.make(
                f"The script is too deeply nested or too large to run ({type(exc).__name__}).",
                "ScriptTooComplex", "InvalidOperation") from None
        for kind, fname in names.items():
            setattr(result, kind, namespace[fname])
        if value_name is not None:
            result.value = namespace[value_name]
        for spec in result.params or ():
            if isinstance(spec.default, str):
                spec.default = namespace[spec.default]
        result.using_names = sorted(set(self.using))
        return result

    def value_function_for(self, block: A.ScriptBlockAst) -> Optional[str]:
        """``{ $_ % 3 -eq 0 }``: a block of one expression also compiles to a plain function giving
        the expression's value, so a cmdlet calling it per pipeline item (Where-Object,
        ForEach-Object, calculated properties) pays a call, not a generator and a frame."""
        if block.param_block is not None or block.begin is not None or block.process is not None \
                or block.clean is not None or block.end is None or block.is_method \
                or block is self.unit.root or len(block.end.statements) != 1:
            return None
        stmt = block.end.statements[0]
        expr = _lone_expression(stmt)
        if expr is None or (isinstance(expr, A.Unary) and expr.op in ("++", "--", "post++", "post--")) \
                or (isinstance(expr, A.Convert) and expr.type_name.lower() == "void"):
            return None
        name = self.new_name("_value")
        outer = self.fn
        fn = _Function(name)
        self.fn = fn
        self.functions.append(fn)
        outer_top, self.top_level = self.top_level, False
        fn.lines.append(f"def {name}(F):")
        fn.lines.append(" L = F.scope.vars; RS = F.rs")
        fn.lines.append(" try:")
        fn.lines.append(f"  return {self.expr(expr, lazy_range=True)}")
        fn.lines.append(" except Exception as _e:")
        fn.lines.append(f"  _stmt_error(F, _e, {self.nid(stmt)})")
        fn.lines.append("  return _AUTONULL")
        self.fn = outer
        self.top_level = outer_top
        return name

    def new_name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, value: Any) -> str:
        self.constants.append(value)
        return f"K[{len(self.constants) - 1}]"

    def nid(self, node: Any) -> int:
        return self.unit.node_id(node)

    def function_for_statements(self, statements: Any, kind: str, generator: bool = True) -> str:
        name = self.new_name(f"_{kind}")
        outer = self.fn
        fn = _Function(name)
        self.fn = fn
        self.functions.append(fn)
        fn.lines.append(f"def {name}(F):")
        fn.lines.append(" L = F.scope.vars; RS = F.rs")
        if self.requires and kind in ("begin", "process", "end"):
            fn.lines.append(f" _requires(F, {self.requires!r})")
            self.requires = None
        # a trap covers its whole block: register traps first, route statement errors to them
        traps = [stmt for stmt in statements if isinstance(stmt, A.Trap)]
        outer_trapped = self.trapped
        if kind in ("begin", "process", "end", "clean", "dynamicparam"):
            self.trapped = bool(traps) or (kind == "end" and self.root_trapped)
        guarded = self.trapped and kind in ("begin", "process", "end", "clean", "dynamicparam")
        d = 1
        if guarded:
            # a trap guards what the block calls as a try does: errors in the commands it runs
            # come back to it (rt._trapped undoes this while a trap runs)
            fn.lines.append(" RS.try_depth += 1")
            fn.lines.append(" try:")
            d = 2
        for stmt in traps:
            self.statement(stmt, d)
        # classes and enums are known to the whole block, also above their definition
        definitions = A.made("ClassDefinition", "EnumDefinition")   # none before one is parsed
        for definition in [s for s in statements if isinstance(s, definitions)]:
            self.statement(definition, d)
        for stmt in statements:
            if not isinstance(stmt, (A.Trap,) + definitions):
                self.statement(stmt, d)
        if guarded:
            fn.lines.append("  pass")
            fn.lines.append(" finally:")
            fn.lines.append("  RS.try_depth -= 1")
        self.trapped = outer_trapped
        fn.lines.append(" if False: yield None")
        self.fn = outer
        return name

    def emit(self, depth: int, line: str) -> None:
        self.fn.lines.append(" " * depth + line)

    # ---- param blocks --------------------------------------------------------------
    def param_specs(self, block: A.ParamBlock) -> Tuple[List[ParamSpec], bool]:
        advanced = any(a.name.lower() == "cmdletbinding" for a in block.attributes)
        specs = []
        for param in block.parameters:
            spec = ParamSpec(param.name)
            spec.type_name = param.type_name
            spec.switch = (param.type_name or "").lower() in (
                "switch", "system.management.automation.switchparameter")
            if param.default is not None:
                spec.default = self.default_function(param.default)
            for attr in param.attributes:
                lname = attr.name.lower()
                if lname == "parameter":
                    advanced = True
                    self.parameter_attribute(spec, attr)
                elif lname == "alias":
                    spec.aliases = tuple(rt.literal_value(a) for a in attr.positional)
                elif lname == "validateset":
                    values = tuple(str(rt.literal_value(a)) for a in attr.positional)
                    message = next((rt.literal_value(v) for k, v in attr.named
                                    if k.lower() == "errormessage" and v is not None), None)
                    if message is None:
                        spec.validate_set = values
                    else:               # its own message: checked with the other validations
                        spec.checks.append(("set", values, str(message)))
                elif lname == "validaterange" and len(attr.positional) == 2:
                    spec.validate_range = (rt.literal_value(attr.positional[0]),
                                           rt.literal_value(attr.positional[1]))
                elif lname in ("validatenotnullorempty", "validatenotnull"):
                    spec.not_null = True
                elif lname in ("allownull", "allowemptystring", "allowemptycollection"):
                    spec.allow += (lname[5:],)
                elif lname in ("validatescript", "validatepattern", "validatelength", "validatecount"):
                    self.validation(spec, lname[8:], attr)
            specs.append(spec)
        return specs, advanced

    def cmdlet_binding(self, block: A.ParamBlock, result: "CompiledBlock") -> None:
        for attr in block.attributes:
            if attr.name.lower() != "cmdletbinding":
                continue
            for key, value in attr.named:
                literal = True if value is None else rt.literal_value(value)
                if key.lower() == "supportsshouldprocess":
                    result.should_process = bool(literal)
                elif key.lower() == "confirmimpact":
                    result.confirm_impact = str(literal).lower()
                elif key.lower() == "positionalbinding":
                    result.positional_binding = bool(literal)
                elif key.lower() == "defaultparametersetname" and literal is not None:
                    result.default_set = str(literal)

    def validation(self, spec: ParamSpec, kind: str, attr: A.AttributeAst) -> None:
        """[ValidateScript({..})], [ValidatePattern('re')], [ValidateLength(1, 5)],
        [ValidateCount(1, 3)], each with an optional ErrorMessage format."""
        message = next((rt.literal_value(v) for k, v in attr.named
                        if k.lower() == "errormessage" and v is not None), None)
        args = attr.positional
        if kind == "script" and args and isinstance(args[0], A.ScriptBlockExpr):
            from pshell.engine.runtime import ScriptBlock
            spec.checks.append(("script", ScriptBlock(args[0].block, self.unit), message))
        elif kind == "pattern" and args:
            spec.checks.append(("pattern", str(rt.literal_value(args[0])), message))
        elif kind in ("length", "count") and len(args) == 2:
            spec.checks.append((kind, (rt.literal_value(args[0]), rt.literal_value(args[1])), message))

    def parameter_attribute(self, spec: ParamSpec, attr: A.AttributeAst) -> None:
        for key, value in attr.named:
            lkey = key.lower()
            literal = True if value is None else rt.literal_value(value)
            if lkey == "mandatory":
                spec.mandatory = bool(literal)
            elif lkey == "position":
                spec.position = int(literal)
            elif lkey == "valuefrompipeline":
                spec.pipeline = bool(literal)
            elif lkey == "valuefrompipelinebypropertyname":
                spec.by_property = bool(literal)
            elif lkey == "valuefromremainingarguments":
                spec.remaining = bool(literal)
            elif lkey == "parametersetname":
                spec.sets = (str(literal),)

    def default_function(self, expr: A.Expr) -> str:
        name = self.new_name("_default")
        outer = self.fn
        fn = _Function(name)
        self.fn = fn
        self.functions.append(fn)
        fn.lines.append(f"def {name}(F):")
        fn.lines.append(" L = F.scope.vars; RS = F.rs")
        fn.lines.append(f" return {self.expr(expr)}")
        self.fn = outer
        return name


def requirements_of(unit: Any) -> Any:
    """The ``#requires`` requirements the parser read from the script's comments (None: none)."""
    return getattr(unit.root, "requires", None)


def _type_constraints(block: A.ScriptBlockAst) -> Dict[str, str]:
    """Variables of this block that carry a type: typed parameters and ``[type]$x = ...``."""
    found: Dict[str, str] = {}
    if block.param_block is not None:
        for param in block.param_block.parameters:
            if param.type_name and param.type_name.lower() not in _UNCONSTRAINED:
                found[param.name.lower()] = param.type_name
    for node in _walk(block):
        if isinstance(node, A.Assignment) and isinstance(node.target, A.Convert) and \
                isinstance(node.target.expr, A.Variable) and node.target.expr.scope is None and \
                node.target.type_name.lower() not in _UNCONSTRAINED:
            found[node.target.expr.name.lower()] = node.target.type_name
    return found
