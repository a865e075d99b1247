"""Statement emission of the script-block compiler (:class:`StatementEmitter`, a mixin of
``compiler._BlockCompiler``): pipelines and chains, assignments, if / loops / switch, jumps,
definitions, trap and try, each written as lines of the generated Python function; and the AST
helpers the compiler shares (:func:`_lone_expression`, :func:`_sets_success`, :func:`_walk`)."""

from __future__ import annotations


from pshell.engine import rt
from pshell.lang import ast as A

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

_CONSTANT_VARS = {"true": "True", "false": "False", "null": "None"}

_UNCONSTRAINED = {"object", "system.object", "psobject", "switch", "void", "ref"}


class _Function:
    """State while generating one Python function."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: List[str] = []
        self.loops: List[Optional[str]] = []     # labels of the enclosing loops in this function


class StatementEmitter:
    if TYPE_CHECKING:       # the state and helpers of _BlockCompiler (compiler.py)
        unit: Any
        functions: List[_Function]
        fn: _Function
        trapped: bool
        using: List[str]
        top_level: bool
        constrained: Dict[str, str]
        method: bool
        in_trap: bool
        def new_name(self, prefix: str) -> str: ...
        def const(self, value: Any) -> str: ...
        def nid(self, node: Any) -> int: ...
        def emit(self, depth: int, line: str) -> None: ...
        def function_for_statements(self, statements: Any, kind: str, generator: bool = True) -> str: ...
        def default_function(self, expr: A.Expr) -> str: ...
        def expr(self, e: A.Expr, lazy_range: bool = False) -> str: ...
        def variable(self, e: A.Variable) -> str: ...
        def member_name(self, member: A.Expr) -> str: ...

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
        source = f"_iter({iterable})"
        if A.mentions_variable(stmt.body, "foreach"):       # $foreach.MoveNext(), .Current
            source = f"_loop_enumerator(L, 'foreach', {source})"
        self.loop(stmt.label, d, f"for {var} in {source}:", assign, stmt.body)

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
        if A.mentions_variable((stmt.clauses, stmt.default), "switch"):     # $switch.MoveNext()
            head = f"for {item} in _loop_enumerator(L, 'switch', _switch_items(F, {subject}, {flags!r})):"
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


def _walk(node: Any) -> Any:
    """Every node under ``node`` (not descending into nested script blocks)."""
    opaque = (A.ScriptBlockExpr, A.FunctionDefinition) + A.made("ClassDefinition")
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for name in getattr(current, "_fields", ()):
            value = getattr(current, name)
            if isinstance(value, opaque):
                continue
            if isinstance(value, A.Node):
                stack.append(value)
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, tuple):
                        stack.extend(x for x in item if isinstance(x, A.Node) and
                                     not isinstance(x, opaque))
                    elif isinstance(item, A.Node) and not isinstance(
                            item, opaque):
                        stack.append(item)
