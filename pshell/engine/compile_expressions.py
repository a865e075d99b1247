"""Expression emission of the script-block compiler (:class:`ExpressionEmitter`, a mixin of
``compiler._BlockCompiler``): each expression node becomes one Python expression string
(constants, strings, variables, arrays, hashtables, operators, casts, members, calls, indexes)."""

from __future__ import annotations


from pshell.engine import numbers
from pshell.engine.compile_statements import _CONSTANT_VARS, _Function, _lone_expression
from pshell.engine.errors import RuntimeException
from pshell.lang import ast as A
from pshell.lang.lex_numbers import literal_type

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List

_SIMPLE_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_COMPARE_FAMILY = {"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike"}
_ALL_COMPARISON = {"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch",
                   "contains", "notcontains", "in", "notin", "replace", "split", "join"}


class ExpressionEmitter:
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
        def pipeline(self, stmt: A.Pipeline, collected: bool = False) -> str: ...
        def statement_value(self, stmt: A.Statement) -> str: ...
        def function_for_nested(self, statements: Any) -> str: ...
        def truth(self, expr: A.Expr) -> str: ...

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
