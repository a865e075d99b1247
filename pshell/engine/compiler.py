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

import threading
from typing import Any, Dict, List, Optional, Tuple

from pshell.engine import numbers, rt
from pshell.engine.errors import RuntimeException
from pshell.lang import ast as A
from pshell.lang.lexer import literal_type

__all__ = ["Unit", "CompiledBlock", "ParamSpec"]


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
        self._lock = threading.RLock()
        self.top_blocks: set = set()     # ids of blocks run at top level (kept alive by _cache)

    @classmethod
    def from_text(cls, text: str, source: str = "<invoke>") -> "Unit":
        from pshell.lang.parser import parse
        return cls(parse(text, source), text, source)

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
                    entry = (block, _BlockCompiler(self).compile(block))
                    self._cache[id(block)] = entry
        return entry[1]


# --------------------------------------------------------------------------- code generation

_SIMPLE_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_COMPARE_FAMILY = {"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike"}
_CONSTANT_VARS = {"true": "True", "false": "False", "null": "None"}


class _Function:
    """State while generating one Python function."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: List[str] = []
        self.loops: List[Optional[str]] = []     # labels of the enclosing loops in this function


class _BlockCompiler:
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
        for definition in [s for s in statements if isinstance(s, _DEFINITIONS)]:
            self.statement(definition, d)
        for stmt in statements:
            if not isinstance(stmt, (A.Trap,) + _DEFINITIONS):
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

    # ---- statements ----------------------------------------------------------------
    def statement(self, stmt: A.Statement, d: int) -> None:
        method = getattr(self, "st_" + type(stmt).__name__)
        if isinstance(stmt, (A.Break, A.Continue, A.Return, A.FunctionDefinition, A.Trap)):
            method(stmt, d)
            return
        if self._trivial(stmt):
            method(stmt, d)
            if not self.method:
                self.emit(d, "RS.last_success = True")
            return
        nid = self.nid(stmt)
        err = self.new_name("_e")
        self.emit(d, "try:")
        method(stmt, d + 1)
        if not self.method and _sets_success(stmt):
            self.emit(d + 1, "RS.last_success = True")
        self.emit(d, f"except Exception as {err}:")
        if self.trapped:
            self.emit(d + 1, f"yield from _trapped(F, {err}, {nid})")
        else:
            self.emit(d + 1, f"_stmt_error(F, {err}, {nid})")

    def _trivial(self, stmt: A.Statement) -> bool:
        if isinstance(stmt, A.Assignment) and stmt.op == "=" and isinstance(stmt.target, A.Variable) \
                and stmt.target.name.lower() not in self.constrained and stmt.target.scope != "env":
            value = stmt.value
            if isinstance(value, A.Pipeline) and len(value.elements) == 1:
                element = value.elements[0]
                return isinstance(element, A.CommandExpression) and not element.redirections and \
                    isinstance(element.expr, (A.Constant, A.StringConstant))
        return False

    def st_Pipeline(self, stmt: A.Pipeline, d: int) -> None:
        if self.method:
            # a method's statements give no output: only `return` makes its value
            expr = _lone_expression(stmt)
            if expr is not None and not stmt.background:
                if isinstance(expr, A.Unary) and expr.op in ("++", "--", "post++", "post--"):
                    self.incdec_statement(expr, d)
                else:
                    self.emit(d, f"_drop({self.expr(expr)})")
            else:
                self.emit(d, f"_drop({self.pipeline(stmt) if not stmt.background else 'None'})")
            return
        if stmt.background:
            self.emit(d, f"yield _background(F, {self.unit.ast_id(stmt)})")
            return
        expr = _lone_expression(stmt)
        if expr is not None:
            if isinstance(expr, A.Unary) and expr.op in ("++", "--", "post++", "post--"):
                self.incdec_statement(expr, d)
                return
            if isinstance(expr, A.Convert) and expr.type_name.lower() == "void":
                self.emit(d, f"{self.expr(expr.expr)}")
                return
            self.emit(d, f"yield from _enum({self.expr(expr, lazy_range=True)})")
            return
        self.emit(d, f"yield from {self.pipeline(stmt)}")

    def st_PipelineChain(self, stmt: A.PipelineChain, d: int) -> None:
        """``a && b``: run b when $? is true after a; ``a || b``: when it is false.  Each part
        starts with $? true (an expression that runs succeeds; errors make it false)."""
        if stmt.background:
            self.emit(d, f"yield _background(F, {self.unit.ast_id(stmt)})")
            return
        left = stmt.left
        if isinstance(left, A.PipelineChain):
            self.st_PipelineChain(left, d)
        else:
            self.emit(d, "RS.last_success = True")
            self.chain_part(left, d)   # type: ignore[arg-type]
        self.emit(d, "if RS.last_success:" if stmt.op == "&&" else "if not RS.last_success:")
        self.emit(d + 1, "RS.last_success = True")
        self.chain_part(stmt.right, d + 1)

    def chain_part(self, part: A.Pipeline, d: int) -> None:
        """One pipeline of a chain: an error that ends only it (a statement-terminating one, or
        one a trap continues after) makes $? false and the chain goes on; `throw`, -ErrorAction
        Stop, errors inside try and an expression's own error still end the whole statement."""
        if _lone_expression(part) is not None:
            self.st_Pipeline(part, d)
            return
        err = self.new_name("_e")
        self.emit(d, "try:")
        self.st_Pipeline(part, d + 1)
        self.emit(d, f"except Exception as {err}:")
        if self.trapped:
            self.emit(d + 1, f"yield from _trapped(F, {err}, {self.nid(part)})")
        else:
            self.emit(d + 1, f"_stmt_error(F, {err}, {self.nid(part)})")

    def pipeline(self, stmt: A.Pipeline, collected: bool = False) -> str:
        """``collected``: the output is a value (``$x = ...``), not the statement's output."""
        stages = []
        for index, element in enumerate(stmt.elements):
            redirs = self.redirections(element.redirections)
            if isinstance(element, A.CommandExpression):
                value = self.expr(element.expr, lazy_range=index == 0)
                stages.append(f"(0, {self.nid(element)}, {value}, {redirs})")
            else:
                stages.append(self.command_stage(element, redirs))
        top = "True" if self.top_level and not collected else "False"
        return f"_pipe(F, ({', '.join(stages)},), {top})"

    def command_stage(self, cmd: A.CommandAst, redirs: str) -> str:
        first = cmd.elements[0]
        if isinstance(first, A.StringConstant):
            name = repr(first.value)
        elif isinstance(first, A.CommandParameter):
            name = repr("-" + first.name)
        else:
            name = self.expr(first)
        args = []
        for element in cmd.elements[1:]:
            if isinstance(element, A.CommandParameter):
                nid = self.nid(element)
                if element.argument is None:
                    args.append(f"('p', {element.name!r}, _NOARG, {nid})")
                else:
                    args.append(f"('p', {element.name!r}, {self.expr(element.argument)}, {nid})")
            elif isinstance(element, A.Variable) and element.splatted:
                args.append(f"('s', {self.variable(element)}, None, {self.nid(element)})")
            else:
                bare = isinstance(element, (A.StringConstant, A.ExpandableString)) and \
                    getattr(element, "kind", "") == "bare"
                args.append(f"('a', {self.expr(element)}, {bare!r}, {self.nid(element)})")
        inv = repr(cmd.invocation)
        return f"(1, {self.nid(cmd)}, {name}, {inv}, [{', '.join(args)}], {redirs})"

    def redirections(self, redirs: Tuple[Any, ...]) -> str:
        if not redirs:
            return "None"
        parts = []
        for r in redirs:
            if isinstance(r, A.MergingRedirection):
                parts.append(f"('m', {r.from_stream!r}, {r.to_stream!r})")
            else:
                target = r.target
                if isinstance(target, A.Variable) and target.name.lower() == "null" and target.scope is None:
                    parts.append(f"('n', {r.stream!r}, None)")
                else:
                    parts.append(f"('f', {r.stream!r}, {self.expr(target)}, {r.append!r})")
        return f"({', '.join(parts)},)"

    def incdec_statement(self, expr: A.Unary, d: int) -> None:
        delta = "1" if expr.op in ("++", "post++") else "-1"
        target = expr.operand
        read = self.expr(target)
        self.store(target, f"_add({read}, {delta})", d)

    # -- assignment
    def st_Assignment(self, stmt: A.Assignment, d: int) -> None:
        value = self.statement_value(stmt.value)
        target = stmt.target
        if stmt.op == "??=":            # the value runs only when the target is null
            self.emit(d, f"if _isnull({self.expr(target)}):")
            self.store(target, value, d + 1)
            return
        if stmt.op != "=":
            op = {"+=": "_add", "-=": "_sub", "*=": "_mul", "/=": "_div", "%=": "_mod"}[stmt.op]
            if isinstance(target, A.Index):
                obj = self.new_name("_o")
                idx = self.new_name("_i")
                self.emit(d, f"{obj} = {self.expr(target.obj)}; {idx} = {self.expr(target.index)}")
                self.emit(d, f"_setidx({obj}, {idx}, {op}(_idx({obj}, {idx}), {value}))")
                return
            if isinstance(target, A.Member):
                obj = self.new_name("_o")
                name = self.member_name(target.member)
                self.emit(d, f"{obj} = {self.expr(target.obj)}")
                self.emit(d, f"_setmem({obj}, {name}, {op}(_mem({obj}, {name}), {value}))")
                return
            if op == "_add" and isinstance(target, A.Variable) and target.scope is None:
                lname = target.name.lower()
                if lname not in self.constrained and lname not in _CONSTANT_VARS and \
                        lname not in ("null", "true", "false", "?", "psitem", "_"):
                    # a string held only by the variable grows in place: the scope's reference
                    # is dropped for the append (see rt._iadd_var, the general case)
                    v, a = self.new_name("_v"), self.new_name("_a")
                    self.emit(d, f"{v} = {value}; {a} = L.get({lname!r})")
                    self.emit(d, f"if type({a}) is str and type({v}) is str:")
                    self.emit(d + 1, f"del L[{lname!r}]; {a} += {v}; L[{lname!r}] = {a}")
                    self.emit(d, "else:")
                    self.emit(d + 1, f"_iadd_var(F, L, {lname!r}, {v})")
                    return
            value = f"{op}({self.expr(target)}, {value})"
            if isinstance(target, A.Variable):
                # an operator's result is never AutomationNull or a lazy range: no _store needed
                self.store_variable(target, value, d, plain=True)
                return
        self.store(target, value, d)

    def store(self, target: A.Expr, value: str, d: int) -> None:
        if isinstance(target, A.Variable):
            self.store_variable(target, value, d)
        elif isinstance(target, A.Convert) and isinstance(target.expr, A.Variable):
            if target.expr.scope is None and target.type_name.lower() not in _UNCONSTRAINED:
                # known at run time too, for what writes the variable from outside ([ref]$x)
                self.emit(d, f"_constrain(F, {target.expr.name.lower()!r}, {target.type_name!r})")
            if target.expr.name.lower() in self.constrained:
                self.store_variable(target.expr, value, d)
            else:
                self.store_variable(target.expr, f"_conv({value}, {target.type_name!r})", d)
        elif isinstance(target, A.Index):
            self.emit(d, f"_setidx({self.expr(target.obj)}, {self.expr(target.index)}, {value})")
        elif isinstance(target, A.Member):
            self.emit(d, f"_setmem({self.expr(target.obj)}, {self.member_name(target.member)}, {value})")
        elif isinstance(target, A.ArrayLiteral):
            tmp = self.new_name("_m")
            self.emit(d, f"{tmp} = _as_list({value})")
            count = len(target.elements)
            for i, element in enumerate(target.elements):
                if i == count - 1:
                    part = f"_rest({tmp}, {i})"
                else:
                    part = f"({tmp}[{i}] if len({tmp}) > {i} else None)"
                self.store(element, part, d)
        elif isinstance(target, A.Paren) and _lone_expression(target.statement) is not None:
            self.store(_lone_expression(target.statement), value, d)  # type: ignore[arg-type]
        else:
            self.emit(d, f"_bad_target({self.nid(target)})")

    def store_variable(self, var: A.Variable, value: str, d: int, plain: bool = False) -> None:
        """``plain``: the value is known to be an ordinary value (not AutomationNull or a range),
        so it is stored as is."""
        name = var.name.lower()
        scope = var.scope
        if scope in (None, "local", "private", "variable"):
            if name == "null":
                self.emit(d, f"{value}")
                return
            if name in ("true", "false", "?", "home", "pid"):       # read-only / constant
                self.emit(d, f"_readonly({name!r})")
                return
            if name == "psitem":
                name = "_"
            constraint = self.constrained.get(name)
            if constraint is not None:
                # [int]$x = ... (or a typed parameter) constrains every later assignment in the block
                self.emit(d, f"L[{name!r}] = _conv(_store({value}), {constraint!r})")
            elif plain:
                self.emit(d, f"L[{name!r}] = {value}")
            else:
                self.emit(d, f"L[{name!r}] = _store({value})")
        elif scope == "env":
            self.emit(d, f"_env_set(RS, {var.name!r}, {value})")
        else:
            self.emit(d, f"_setv(F, {scope!r}, {name!r}, _store({value}))")

    def statement_value(self, stmt: A.Statement) -> str:
        """The value a statement produces when assigned (``$x = <stmt>``)."""
        expr = _lone_expression(stmt)
        if expr is not None:
            return self.expr(expr)
        if isinstance(stmt, A.Pipeline) and not stmt.background:
            return f"_collect({self.pipeline(stmt, collected=True)})"
        if isinstance(stmt, A.Assignment):
            fname = self.value_function(stmt)
            return f"{fname}(F)"
        fname = self.function_for_nested([stmt])
        return f"_collect({fname}(F))"

    def function_for_nested(self, statements: Any) -> str:
        """Statements in expression position run in a generator function sharing the frame."""
        outer_top = self.top_level
        self.top_level = False
        name = self.function_for_statements(statements, "sub")
        self.top_level = outer_top
        return name

    def value_function(self, stmt: A.Assignment) -> str:
        """``($x = 5)``: assign, then give the assigned value."""
        name = self.new_name("_assign")
        outer = self.fn
        fn = _Function(name)
        self.fn = fn
        self.functions.append(fn)
        fn.lines.append(f"def {name}(F):")
        fn.lines.append(" L = F.scope.vars; RS = F.rs")
        self.st_Assignment(stmt, 1)
        fn.lines.append(f" return {self.expr(stmt.target)}")
        self.fn = outer
        return name

    # -- control flow
    def condition(self, stmt: A.Statement) -> str:
        expr = _lone_expression(stmt)
        test = self.truth(expr) if expr is not None else f"_tb({self.statement_value(stmt)})"
        if any(isinstance(node, A.CommandAst) for node in _walk(stmt)):
            # a condition that ran a command leaves $? true, whatever the command did
            test = f"_cond_ok(RS, {test})"
        return test

    def truth(self, expr: A.Expr) -> str:
        if isinstance(expr, A.Binary) and expr.op in ("-and", "-or"):
            joiner = " and " if expr.op == "-and" else " or "
            return f"({self.truth(expr.left)}{joiner}{self.truth(expr.right)})"
        if isinstance(expr, A.Unary) and expr.op in ("-not", "!"):
            return f"(not {self.truth(expr.operand)})"
        if isinstance(expr, A.Binary) and expr.op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge",
                                                      "-ieq", "-ine", "-ilt", "-ile", "-igt", "-ige"):
            # a scalar comparison result is already a bool; a list result needs _tb
            return f"_tb({self.expr(expr)})"
        return f"_tb({self.expr(expr)})"

    def st_If(self, stmt: A.If, d: int) -> None:
        for i, (cond, body) in enumerate(stmt.clauses):
            test = self.condition(cond)
            self.emit(d, f"{'if' if i == 0 else 'elif'} {test}:")
            self.block(body, d + 1)
        if stmt.else_body is not None:
            self.emit(d, "else:")
            self.block(stmt.else_body, d + 1)

    def block(self, body: A.StatementBlock, d: int) -> None:
        if not body.statements:
            self.emit(d, "pass")
            return
        for stmt in body.statements:
            self.statement(stmt, d)

    def loop(self, label: Optional[str], d: int, head: str, pre: List[str],
             body: A.StatementBlock) -> None:
        """Emit ``head`` (a Python loop header) whose body runs ``pre`` lines, then the
        statement block, with break/continue (local or thrown from a callee) mapped."""
        self.emit(d, head)
        self.emit(d + 1, "if RS.stop_requested: _stopped()")
        for line in pre:
            self.emit(d + 1, line)
        self.fn.loops.append(label.lower() if label else None)
        self.emit(d + 1, "try:")
        self.block(body, d + 2)
        self.loop_handlers(label, d + 1)
        self.fn.loops.pop()

    def loop_handlers(self, label: Optional[str], d: int) -> None:
        """The ``except`` clauses closing a loop body's ``try``: break/continue thrown from a
        callee (or aimed at this loop's label) act on this loop; others travel on."""
        brk = self.new_name("_b")
        lowered = label.lower() if label else None
        self.emit(d, f"except _BREAK as {brk}:")
        self.emit(d + 1, f"if _label_ok({brk}, {lowered!r}): break")
        self.emit(d + 1, "raise")
        self.emit(d, f"except _CONTINUE as {brk}:")
        self.emit(d + 1, f"if _label_ok({brk}, {lowered!r}): continue")
        self.emit(d + 1, "raise")

    def st_While(self, stmt: A.While, d: int) -> None:
        self.loop(stmt.label, d, "while True:", [f"if not ({self.condition(stmt.condition)}): break"],
                  stmt.body)

    def _do(self, stmt: Any, d: int, negate: bool) -> None:
        first = self.new_name("_first")
        cond = self.condition(stmt.condition)
        test = f"({cond})" if negate else f"(not ({cond}))"
        done, err = self.new_name("_done"), self.new_name("_e")
        self.emit(d, f"{first} = True")
        # the condition's errors are located at the condition (a line after the `do`)
        self.loop(stmt.label, d, "while True:",
                  [f"if not {first}:", " try:", f"  {done} = {test}",
                   f" except Exception as {err}:", f"  raise _located(F, {err}, {self.nid(stmt.condition)})",
                   f" if {done}: break", f"{first} = False"], stmt.body)

    def st_DoWhile(self, stmt: A.DoWhile, d: int) -> None:
        self._do(stmt, d, negate=False)

    def st_DoUntil(self, stmt: A.DoUntil, d: int) -> None:
        self._do(stmt, d, negate=True)

    def st_For(self, stmt: A.For, d: int) -> None:
        if stmt.init is not None:
            self.statement(stmt.init, d)
        first = self.new_name("_first")
        self.emit(d, f"{first} = True")
        pre = []
        if stmt.iterator is not None:
            saved = self.fn.lines
            self.fn.lines = []
            self.emit(0, f"if not {first}:")
            self.statement_no_output(stmt.iterator, 1)
            iter_lines = self.fn.lines
            self.fn.lines = saved
            pre.extend(iter_lines)
        pre.append(f"{first} = False")
        if stmt.condition is not None:
            pre.append(f"if not ({self.condition(stmt.condition)}): break")
        self.loop(stmt.label, d, "while True:", pre, stmt.body)

    def statement_no_output(self, stmt: A.Statement, d: int) -> None:
        """for-loop init/iterator parts: their output is discarded, as PowerShell does for ++."""
        expr = _lone_expression(stmt)
        if isinstance(expr, A.Unary) and expr.op in ("++", "--", "post++", "post--"):
            self.incdec_statement(expr, d)
            return
        self.statement(stmt, d)

    def st_Foreach(self, stmt: A.Foreach, d: int) -> None:
        iterable = self.statement_value_lazy(stmt.iterable)
        var = self.new_name("_v")
        saved = self.fn.lines
        self.fn.lines = []
        self.store_variable(stmt.variable, var, 0)
        assign = self.fn.lines
        self.fn.lines = saved
        self.loop(stmt.label, d, f"for {var} in _iter({iterable}):", assign, stmt.body)

    def statement_value_lazy(self, stmt: A.Statement) -> str:
        expr = _lone_expression(stmt)
        if expr is not None:
            return self.expr(expr, lazy_range=True)
        if isinstance(stmt, A.Pipeline) and not stmt.background:
            return f"_collect_list({self.pipeline(stmt, collected=True)})"
        return self.statement_value(stmt)

    def st_Switch(self, stmt: A.Switch, d: int) -> None:
        flags = tuple(f.lower() for f in stmt.flags)
        subject = self.statement_value_lazy(stmt.subject)
        item = self.new_name("_sw")
        matched = self.new_name("_hit")
        self.emit(d, f"{matched} = False")
        head = f"for {item} in _switch_items(F, {subject}, {flags!r}):"
        self.emit(d, head)
        self.emit(d + 1, "if RS.stop_requested: _stopped()")
        self.emit(d + 1, f"L['_'] = {item}; {matched} = False")
        self.fn.loops.append(stmt.label.lower() if stmt.label else None)
        self.emit(d + 1, "try:")
        for clause in stmt.clauses:
            cond = clause.condition
            if isinstance(cond, A.ScriptBlockExpr):
                test = f"_tb(_switch_block(F, {self.expr(cond)}, {item}))"
            else:
                test = f"_switch_test(F, {item}, {self.expr(cond)}, {flags!r})"
            self.emit(d + 2, f"if {test}:")
            self.emit(d + 3, f"{matched} = True")
            self.block(clause.body, d + 3)
        if stmt.default is not None:
            self.emit(d + 2, f"if not {matched}:")
            self.block(stmt.default, d + 3)
        self.loop_handlers(stmt.label, d + 1)
        self.fn.loops.pop()

    def st_Break(self, stmt: A.Break, d: int) -> None:
        self._jump(stmt, d, "break", "_BREAK")

    def st_Continue(self, stmt: A.Continue, d: int) -> None:
        self._jump(stmt, d, "continue", "_CONTINUE")

    def _jump(self, stmt: Any, d: int, keyword: str, exc: str) -> None:
        label = None
        if stmt.label is not None:
            label = rt.literal_value(stmt.label) if isinstance(stmt.label, (A.StringConstant, A.Constant)) \
                else None
            label = str(label).lower() if label is not None else None
        loops = self.fn.loops
        if loops and (label is None or loops[-1] == label):
            self.emit(d, keyword)
        else:
            self.emit(d, f"raise {exc}({label!r})")

    def st_Return(self, stmt: A.Return, d: int) -> None:
        if self.method:
            value = "None" if stmt.value is None else self.statement_value(stmt.value)
            self.emit(d, f"yield _Returned({value})")
            self.emit(d, "return")
            return
        if stmt.value is not None:
            self.statement(stmt.value, d)
        self.emit(d, "raise _ReturnException()" if self.in_trap else "return")

    def st_Exit(self, stmt: A.Exit, d: int) -> None:
        value = "None" if stmt.value is None else self.statement_value(stmt.value)
        self.emit(d, f"raise _exit({value})")

    def st_Throw(self, stmt: A.Throw, d: int) -> None:
        value = "None" if stmt.value is None else self.statement_value(stmt.value)
        self.emit(d, f"raise _throw(F, {value}, {self.nid(stmt)})")

    def st_FunctionDefinition(self, stmt: A.FunctionDefinition, d: int) -> None:
        self.emit(d, f"_deffn(F, {stmt.name!r}, {self.unit.ast_id(stmt)})")

    def st_ClassDefinition(self, stmt: A.ClassDefinition, d: int) -> None:
        defaults = []
        for member in stmt.members:
            if isinstance(member, A.PropertyMember) and member.default is not None:
                defaults.append(f"({member.name.lower()!r}, {self.default_function(member.default)})")
        self.emit(d, f"_defclass(F, {self.unit.ast_id(stmt)}, dict([{', '.join(defaults)}]))")

    def st_EnumDefinition(self, stmt: A.EnumDefinition, d: int) -> None:
        values = ", ".join("None" if value is None else self.expr(value) for _, value in stmt.members)
        self.emit(d, f"_defenum(F, {self.unit.ast_id(stmt)}, [{values}])")

    def st_UsingStatement(self, stmt: A.UsingStatement, d: int) -> None:
        spec = "None" if stmt.module_spec is None else self.expr(stmt.module_spec)
        self.emit(d, f"_use(F, {stmt.kind!r}, {stmt.name!r}, {spec}, {self.nid(stmt)})")

    def st_DataSection(self, stmt: A.DataSection, d: int) -> None:
        """The body's value, as ``$( body )`` gives it, goes to the variable or the output."""
        value = A.SubExpression(stmt.body.statements, span=stmt.body.span)
        pipe = A.Pipeline((A.CommandExpression(value, span=stmt.body.span),), span=stmt.body.span)
        if stmt.variable is None:
            self.st_Pipeline(pipe, d)
        else:
            target = A.Variable(stmt.variable, span=stmt.span)
            self.st_Assignment(A.Assignment(target, "=", pipe, span=stmt.span), d)

    def st_Trap(self, stmt: A.Trap, d: int) -> None:
        outer_trapped, outer_in_trap = self.trapped, self.in_trap
        self.trapped, self.in_trap = False, True
        body = self.function_for_nested(stmt.body.statements)
        self.trapped, self.in_trap = outer_trapped, outer_in_trap
        self.emit(d, f"_deftrap(F, {stmt.type_name!r}, {body})")

    def st_Try(self, stmt: A.Try, d: int) -> None:
        err = self.new_name("_e")
        self.emit(d, "RS.try_depth += 1")
        self.emit(d, "try:")
        self.emit(d + 1, "try:")
        # errors in the body go to its catch before any trap of the enclosing block; a trap
        # written inside the body covers the whole body
        body_traps = [s for s in stmt.body.statements if isinstance(s, A.Trap)]
        outer_trapped = self.trapped
        if stmt.catches or body_traps:
            self.trapped = bool(body_traps)
        if body_traps:
            self.emit(d + 2, "RS.try_depth += 1")     # undone by rt._trapped while a trap runs
        for trap in body_traps:
            self.statement(trap, d + 2)
        rest = [s for s in stmt.body.statements if not isinstance(s, A.Trap)]
        self.block(A.StatementBlock(tuple(rest), stmt.body.span) if body_traps else stmt.body, d + 2)
        self.trapped = outer_trapped
        self.emit(d + 1, "finally:")
        self.emit(d + 2, f"RS.try_depth -= {2 if body_traps else 1}")
        if stmt.catches:
            self.emit(d, f"except Exception as {err}:")
            self.emit(d + 1, f"{err} = _catchable({err})")
            for i, clause in enumerate(stmt.catches):
                test = f"_catch_match({err}, {clause.type_names!r})" if clause.type_names else "True"
                self.emit(d + 1, f"{'if' if i == 0 else 'elif'} {test}:")
                self.emit(d + 2, f"_caught(RS, {err}); L['_'] = {err}.record; L['psitem'] = {err}.record")
                self.block(clause.body, d + 2)
            self.emit(d + 1, "else:")
            self.emit(d + 2, "raise")
        if stmt.finally_body is not None:
            self.emit(d, "finally:")
            self.block(stmt.finally_body, d + 1)
        elif not stmt.catches:
            self.emit(d, "finally:")
            self.emit(d + 1, "pass")

    # ---- expressions ---------------------------------------------------------------
    def expr(self, e: A.Expr, lazy_range: bool = False) -> str:
        if isinstance(e, A.Binary) and e.op == "..":
            fn = "_range" if lazy_range else "_rangel"
            return f"{fn}({self.expr(e.left)}, {self.expr(e.right)})"
        return getattr(self, "ex_" + type(e).__name__)(e)

    def ex_Constant(self, e: A.Constant) -> str:
        value = e.value
        kind = literal_type(e.text) if e.text[-1:].isalpha() else ""
        if kind:                                    # 10l, 7uy, 1.5d, 5n: that .NET type
            return self.const(numbers.make(kind, value))
        if type(value) is int and not -2**63 <= value < 2**63:
            # a literal past Int64 is a Decimal while one can hold it, else a Double
            return self.const(numbers.make("decimal", value) if abs(value) <= numbers.DECIMAL_MAX
                              else float(value))
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return self.const(value)
        return repr(value)

    def ex_StringConstant(self, e: A.StringConstant) -> str:
        return repr(e.value)

    def ex_ExpandableString(self, e: A.ExpandableString) -> str:
        parts = []
        for part in e.parts:
            if isinstance(part, str):
                parts.append(repr(part))
            else:
                parts.append(f"_sx(F, {self.expr(part)})")
        if not parts:
            return "''"
        if len(parts) == 1:
            return parts[0]
        return f"''.join(({', '.join(parts)},))"

    def variable(self, e: A.Variable) -> str:
        name = e.name.lower()
        scope = e.scope
        if scope in (None, "local", "private", "variable"):
            if name in _CONSTANT_VARS:
                return _CONSTANT_VARS[name]
            if name == "?":
                return "RS.last_success"
            if name == "psitem":
                name = "_"
            if scope == "local":
                return f"L.get({name!r})"
            return f"(L[{name!r}] if {name!r} in L else _rv(F, {name!r}))"
        if scope == "env":
            return f"RS.environ.get({e.name!r})"
        if scope == "using":
            self.using.append(name)
            return f"_using(F, {name!r})"
        if scope == "function":
            return f"_fnval(F, {name!r})"
        return f"_getv(F, {scope!r}, {name!r})"

    def ex_Variable(self, e: A.Variable) -> str:
        return self.variable(e)

    def ex_ArrayLiteral(self, e: A.ArrayLiteral) -> str:
        return f"[{', '.join(self.expr(x) for x in e.elements)}]"

    def ex_ArrayExpression(self, e: A.ArrayExpression) -> str:
        return self.statements_value(e.statements, "[]", "_arr({})", "list({})")

    def ex_SubExpression(self, e: A.SubExpression) -> str:
        return self.statements_value(e.statements, "None", "_collect(_enum({}))", "_collect({})")

    def statements_value(self, stmts: Any, empty: str, lone: str, many: str) -> str:
        """``@(...)``/``$(...)``: one expression is wrapped with ``lone``; a pipeline's or several
        statements' output iterator with ``many``."""
        if not stmts:
            return empty
        if len(stmts) == 1 and isinstance(stmts[0], A.Pipeline) and not stmts[0].background:
            expr = _lone_expression(stmts[0])
            if expr is not None:
                return lone.format(self.expr(expr))
            return many.format(self.pipeline(stmts[0]))
        return many.format(f"{self.function_for_nested(stmts)}(F)")

    def ex_Paren(self, e: A.Paren) -> str:
        expr = _lone_expression(e.statement)
        if expr is not None:
            return self.expr(expr)
        return self.statement_value(e.statement)

    def ex_Hashtable(self, e: A.Hashtable) -> str:
        pairs = ", ".join(f"({self.hash_key(k)}, {self.statement_value(v)})" for k, v in e.pairs)
        ordered = ", True" if getattr(e, "ordered", False) else ""
        return f"_ht(({pairs}{',' if pairs else ''}){ordered})"

    def hash_key(self, key: A.Expr) -> str:
        return self.expr(key)

    def ex_ScriptBlockExpr(self, e: A.ScriptBlockExpr) -> str:
        return f"_sb(F, {self.unit.ast_id(e.block)})"

    def ex_Ternary(self, e: A.Ternary) -> str:
        return (f"({self.expr(e.if_true)} if {self.truth(e.condition)} "
                f"else {self.expr(e.if_false)})")

    def ex_Binary(self, e: A.Binary) -> str:
        op = e.op
        if op == "??":          # the right side runs only when the left is null
            left = self.new_name("_n")
            return (f"(lambda {left}: (({self.expr(e.right)}) if _isnull({left}) "
                    f"else {left}))({self.expr(e.left)})")
        if op == "-and":
            return f"({self.truth(e.left)} and {self.truth(e.right)})"
        if op == "-or":
            return f"({self.truth(e.left)} or {self.truth(e.right)})"
        if op == "-xor":
            return f"({self.truth(e.left)} != {self.truth(e.right)})"
        left = self.expr(e.left)
        if op in ("-is", "-isnot", "-as"):
            right = repr(e.right.type_name) if isinstance(e.right, A.TypeLiteral) else self.expr(e.right)
            if op == "-as":
                return f"_as({left}, {right})"
            test = f"_is({left}, {right})" if isinstance(e.right, A.TypeLiteral) \
                else f"_is({left}, {right}, True)"
            return test if op == "-is" else f"(not {test})"
        right = self.expr(e.right)
        simple = {"+": "_add", "-": "_sub", "*": "_mul", "/": "_div", "%": "_mod", "-f": "_fmt"}
        if op in simple:
            return f"{simple[op]}({left}, {right})"
        base = op[1:]
        cs = False
        if base[:1] in ("c", "i") and base[1:] in _ALL_COMPARISON:
            cs = base[0] == "c"
            base = base[1:]
        if base in _SIMPLE_COMPARE and not cs:
            return f"_c{base}({left}, {right})"
        if base in _COMPARE_FAMILY:
            return f"_compare({('c' if cs else '') + base!r}, {left}, {right})"
        if base in ("match", "notmatch"):
            return f"_match(F, {left}, {right}, {cs!r}, {base == 'notmatch'!r})"
        if base in ("contains", "notcontains"):
            test = f"_contains({left}, {right}, {cs!r})"
            return test if base == "contains" else f"(not {test})"
        if base in ("in", "notin"):
            test = f"_contains({right}, {left}, {cs!r})"
            return test if base == "in" else f"(not {test})"
        if base == "replace":
            return f"_replace({left}, {right}, {cs!r})"
        if base == "split":
            return f"_split({left}, {right}, {cs!r})"
        if base == "join":
            return f"_join({left}, {right})"
        if op in ("-band", "-bor", "-bxor", "-shl", "-shr"):
            return f"_BIN[{op!r}]({left}, {right})"
        raise RuntimeException.make(f"The operator '{op}' is not supported.", "OperatorNotSupported",
                                    "InvalidOperation")

    def ex_Unary(self, e: A.Unary) -> str:
        op = e.op
        if op in ("-not", "!"):
            return f"(not {self.truth(e.operand)})"
        if op in ("++", "--", "post++", "post--"):
            return self.incdec_expr(e)
        operand = self.expr(e.operand)
        if op == "-":
            return f"_neg({operand})"
        if op == "+":
            return f"_num({operand})"
        if op == ",":
            return f"[{operand}]"
        if op == "-bnot":
            return f"_bnot({operand})"
        if op == "-split":
            return f"_usplit({operand})"
        if op == "-join":
            return f"_ujoin({operand})"
        raise RuntimeException.make(f"The operator '{op}' is not supported.", "OperatorNotSupported",
                                    "InvalidOperation")

    def incdec_expr(self, e: A.Unary) -> str:
        delta = 1 if e.op in ("++", "post++") else -1
        post = e.op.startswith("post")
        target = e.operand
        if isinstance(target, A.Variable) and target.scope in (None, "local"):
            name = target.name.lower()
            read = self.variable(target)
            tmp = self.new_name("_t")
            if post:
                return f"(({tmp} := {read}), L.__setitem__({name!r}, _add({tmp}, {delta})), {tmp})[2]"
            return f"(L.__setitem__({name!r}, _add({read}, {delta})), L[{name!r}])[1]"
        if isinstance(target, A.Index):
            return f"_incdec_index({self.expr(target.obj)}, {self.expr(target.index)}, {delta}, {post})"
        if isinstance(target, A.Member):
            return f"_incdec_member({self.expr(target.obj)}, {self.member_name(target.member)}, " \
                   f"{delta}, {post})"
        if isinstance(target, A.Variable):
            return f"_incdec_var(F, {target.scope!r}, {target.name!r}, {delta}, {post})"
        return f"_bad_target({self.nid(target)})"

    def ex_Convert(self, e: A.Convert) -> str:
        tname = e.type_name.lower()
        if tname in ("pscustomobject", "system.management.automation.pscustomobject") and \
                isinstance(e.expr, A.Hashtable):
            pairs = ", ".join(f"({self.hash_key(k)}, {self.statement_value(v)})" for k, v in e.expr.pairs)
            return f"_pso(({pairs}{',' if pairs else ''}))"
        if tname in ("ref", "system.management.automation.psreference") and \
                isinstance(e.expr, A.Variable) and e.expr.scope not in ("env", "using", "function") \
                and not e.expr.splatted:
            return f"_ref_var(F, {e.expr.scope!r}, {e.expr.name.lower()!r})"   # the variable itself
        return f"_conv({self.expr(e.expr)}, {e.type_name!r})"

    def ex_TypeLiteral(self, e: A.TypeLiteral) -> str:
        return f"_type({e.type_name!r})"

    def member_name(self, member: A.Expr) -> str:
        if isinstance(member, A.StringConstant):
            return repr(member.value)
        if isinstance(member, A.Constant) and type(member.value) is int:
            return repr(str(member.value))
        return f"_s({self.expr(member)})"

    def nullsafe(self, e: Any, access: str) -> str:
        """``?.`` / ``?[``: ``access`` (a format with ``{o}`` for the object) unless it is null."""
        o = self.new_name("_o")
        return f"(lambda {o}: None if _isnull({o}) else {access.format(o=o)})({self.expr(e.obj)})"

    def ex_Member(self, e: A.Member) -> str:
        if e.nullsafe:
            return self.nullsafe(e, f"_mem({{o}}, {self.member_name(e.member)})")
        if e.static:
            if isinstance(e.obj, A.TypeLiteral):
                return f"_static({e.obj.type_name!r}, {self.member_name(e.member)})"
            return f"_static_of({self.expr(e.obj)}, {self.member_name(e.member)})"
        if isinstance(e.member, A.Constant) and type(e.member.value) is int:
            return f"_memnum({self.expr(e.obj)}, {e.member.value!r})"
        return f"_mem({self.expr(e.obj)}, {self.member_name(e.member)})"

    def ex_InvokeMember(self, e: A.InvokeMember) -> str:
        args = ", ".join(self.expr(a) for a in e.args)
        if e.type_args:
            types = tuple(e.type_args)
            if e.static and isinstance(e.obj, A.TypeLiteral):
                target = repr(e.obj.type_name)
            else:
                target = self.expr(e.obj)
            return (f"_gcall(F, {target}, {self.member_name(e.member)}, {types!r}, [{args}], "
                    f"{bool(e.static)!r})")
        if e.nullsafe:
            return self.nullsafe(e, f"_call(F, {{o}}, {self.member_name(e.member)}, [{args}])")
        if e.static:
            if isinstance(e.obj, A.TypeLiteral):
                return f"_static_call(F, {e.obj.type_name!r}, {self.member_name(e.member)}, [{args}])"
            return f"_static_call_of(F, {self.expr(e.obj)}, {self.member_name(e.member)}, [{args}])"
        return f"_call(F, {self.expr(e.obj)}, {self.member_name(e.member)}, [{args}])"

    def ex_Index(self, e: A.Index) -> str:
        if e.nullsafe:
            return self.nullsafe(e, f"_idx({{o}}, {self.expr(e.index)})")
        return f"_idx({self.expr(e.obj)}, {self.expr(e.index)})"


_DEFINITIONS = (A.ClassDefinition, A.EnumDefinition)


def requirements_of(unit: Any) -> Any:
    """The ``#requires`` requirements the parser read from the script's comments (None: none)."""
    return getattr(unit.root, "requires", None)


def _lone_expression(stmt: Any) -> Optional[A.Expr]:
    """The expression of a statement that is nothing but one expression (a pipeline of a single
    CommandExpression, not backgrounded, not redirected); None otherwise."""
    if isinstance(stmt, A.Pipeline) and not stmt.background and len(stmt.elements) == 1:
        element = stmt.elements[0]
        if isinstance(element, A.CommandExpression) and not element.redirections:
            return element.expr
    return None


def _sets_success(node: Any) -> bool:
    """Whether $? becomes true after this statement (or expression) by itself: a statement that
    is an expression (or an assignment of one) succeeded when it ran without error.  Commands
    set $? themselves, and so do the statements inside $( ) and @( ) (or an empty one is true)."""
    if isinstance(node, A.Assignment):
        return _sets_success(node.value)
    if isinstance(node, A.Pipeline):
        if node.background or len(node.elements) != 1 or \
                not isinstance(node.elements[0], A.CommandExpression):
            return False
        return _sets_success(node.elements[0].expr)
    if isinstance(node, A.Paren):
        return _sets_success(node.statement)
    if isinstance(node, (A.SubExpression, A.ArrayExpression)):
        inner = [s for s in node.statements if not isinstance(s, A.Trap)]
        if not inner:
            return True
        if len(inner) > 1 or len(inner) != len(node.statements):
            return False
        return _sets_success(inner[0])
    return isinstance(node, A.Expr)


_OPAQUE = (A.ScriptBlockExpr, A.FunctionDefinition, A.ClassDefinition)


def _walk(node: Any) -> Any:
    """Every node under ``node`` (not descending into nested script blocks)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for name in getattr(current, "_fields", ()):
            value = getattr(current, name)
            if isinstance(value, _OPAQUE):
                continue
            if isinstance(value, A.Node):
                stack.append(value)
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, tuple):
                        stack.extend(x for x in item if isinstance(x, A.Node) and
                                     not isinstance(x, _OPAQUE))
                    elif isinstance(item, A.Node) and not isinstance(
                            item, _OPAQUE):
                        stack.append(item)


_UNCONSTRAINED = {"object", "system.object", "psobject", "switch", "void", "ref"}


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


_ALL_COMPARISON = {"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch",
                   "contains", "notcontains", "in", "notin", "replace", "split", "join"}
