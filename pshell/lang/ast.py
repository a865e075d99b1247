"""The pshell syntax tree: small immutable node classes, each carrying its source span.

This module is the contract between the parser (``lang/parser.py``) and the compiler
(``engine/compiler.py``).  Names follow PowerShell's own AST where one exists.

Conventions
- Every node has ``span``: a :class:`Span` (offsets into the source text, plus the 1-based line and
  column of its start).  Nodes are treated as immutable (``replace`` makes changed copies) and
  compare by identity; golden tests compare ``dump`` output.
- Operator and keyword spellings are stored lower-cased (``'-eq'``, ``'-ceq'``, ``'+='``).
- Variable names are stored as written (case preserved); the compiler folds case.
- A *statement* is any node derived from :class:`Statement`; an *expression* from :class:`Expr`.
  Where PowerShell allows a pipeline in expression position (``(...)``, assignment right-hand
  side, ``if`` condition), the field holds a :class:`Statement` (usually a :class:`Pipeline`).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple, Union

    from pshell.lang.ast_rare import (AttributeAst, CatchClause, ClassDefinition, DataSection,  # noqa: F401
                                      DoUntil, DoWhile, EnumDefinition, For, MethodMember,
                                      ParamBlock, ParameterAst, PipelineChain, PropertyMember,
                                      Switch, SwitchClause, Ternary, Try, UsingStatement, While)


__all__ = [
    "mentions_variable",
    "Span", "Node", "Statement", "Expr",
    "ScriptBlockAst", "ParamBlock", "ParameterAst", "AttributeAst", "NamedBlock", "StatementBlock",
    "Pipeline", "CommandAst", "CommandParameter", "CommandExpression",
    "FileRedirection", "MergingRedirection", "Redirection",
    "Assignment", "If", "While", "DoWhile", "DoUntil", "For", "Foreach", "Switch", "SwitchClause",
    "FunctionDefinition", "Try", "CatchClause", "Trap", "Break", "Continue", "Return", "Exit",
    "Throw",
    "Constant", "StringConstant", "ExpandableString", "Variable", "ArrayLiteral",
    "ArrayExpression", "SubExpression", "Paren", "Hashtable", "ScriptBlockExpr", "Binary",
    "Unary", "Convert", "TypeLiteral", "Member", "InvokeMember", "Index", "dump", "replace",
    "fields", "NOSPAN",
]


class Span:
    """Where a node is: offsets into the source text and the 1-based line/column of its start."""

    __slots__ = ("start", "end", "line", "col")

    def __init__(self, start: int, end: int, line: int, col: int) -> None:
        self.start = start      # offset of the first character
        self.end = end          # offset one past the last character
        self.line = line
        self.col = col

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Span) and (self.start, self.end, self.line, self.col) == \
            (other.start, other.end, other.line, other.col)

    def __hash__(self) -> int:
        return hash((self.start, self.end))

    def __repr__(self) -> str:
        return f"Span({self.start}, {self.end}, {self.line}, {self.col})"


NOSPAN = Span(0, 0, 1, 1)


if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_: Any) -> Any:
        return lambda decorator: decorator


@dataclass_transform()
def _node(cls: Any) -> Any:
    """Make ``cls`` a syntax node: an ``__init__`` taking its annotated fields (base classes'
    first) positionally or by name, with class-level defaults.  Hand-rolled rather than
    ``dataclasses`` because creating ~45 dataclasses costs more than the rest of start-up."""
    names: list = []
    for klass in reversed(cls.__mro__):
        for name in klass.__dict__.get("__annotations__", {}):
            if name not in names:
                names.append(name)
    if "span" in names:
        names.remove("span")
        names.append("span")
    cls._fields = tuple(names)
    defaults = {n: getattr(cls, n) for n in names if hasattr(cls, n)}

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        fields_ = cls._fields
        if len(args) > len(fields_):
            raise TypeError(f"{cls.__name__} takes at most {len(fields_)} arguments")
        values = dict(zip(fields_, args))
        for key, value in kwargs.items():
            if key not in fields_:
                raise TypeError(f"{cls.__name__} has no field {key!r}")
            values[key] = value
        set_ = object.__setattr__
        for name in fields_:
            if name in values:
                set_(self, name, values[name])
            elif name in defaults:
                set_(self, name, defaults[name])
            else:
                raise TypeError(f"{cls.__name__} needs {name!r}")

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in cls._fields if n != "span")
        return f"{cls.__name__}({inner})"

    cls.__init__ = __init__
    cls.__repr__ = __repr__
    return cls


def fields(node: Any) -> Tuple[str, ...]:
    return node._fields


def replace(node: Any, **changes: Any) -> Any:
    """A copy of ``node`` with some fields changed (nodes are treated as immutable)."""
    values = {name: getattr(node, name) for name in node._fields}
    values.update(changes)
    return type(node)(**values)


@_node
class Node:
    if TYPE_CHECKING:
        # Every concrete node declares ``span`` as its last field; this tells the type checker
        # that a node of unknown kind has one too, without making it a field of the base.
        @property
        def span(self) -> Span: ...


@_node
class Statement(Node):
    pass


@_node
class Expr(Node):
    pass


# --------------------------------------------------------------------------- script blocks

@_node
class NamedBlock(Node):
    """``begin { }`` / ``process { }`` / ``end { }``; the unnamed body of a script block is ``end``."""
    kind: str                                     # 'begin' | 'process' | 'end'
    statements: Tuple[Statement, ...] = ()
    span: Span = NOSPAN


@_node
class ScriptBlockAst(Node):
    """A whole script, a ``{ ... }`` literal or a function body.

    ``text`` is the exact source text of the block (for ``{...}`` literals, without the braces; for
    a script file, the whole file).  ``source`` names where it came from (a file path,
    ``'<command line>'``, ``'<stdin>'``).
    """
    param_block: Optional[ParamBlock] = None
    begin: Optional[NamedBlock] = None
    process: Optional[NamedBlock] = None
    end: Optional[NamedBlock] = None
    text: str = ""
    source: str = ""
    clean: Optional[NamedBlock] = None  # PowerShell 7.3's clean block: runs last, even after errors
    is_method: bool = False             # a class method's body: only `return` gives its value
    span: Span = NOSPAN
    dynamicparam: Optional[NamedBlock] = None   # run while binding: more parameters (dynparams.py)


@_node
class StatementBlock(Node):
    """The ``{ ... }`` body of if/while/foreach/try/... (not a script block value)."""
    statements: Tuple[Statement, ...] = ()
    span: Span = NOSPAN


# --------------------------------------------------------------------------- pipelines & commands

@_node
class FileRedirection(Node):
    """``>`` ``>>`` ``2>`` ``2>>`` ``*>`` ... ``stream`` is '1'..'6' or '*'."""
    stream: str
    append: bool
    target: Expr
    span: Span = NOSPAN


@_node
class MergingRedirection(Node):
    """``2>&1``, ``*>&1``, ``3>&1``: ``from_stream`` merged into ``to_stream`` (always '1')."""
    from_stream: str
    to_stream: str = "1"
    span: Span = NOSPAN


if TYPE_CHECKING:
    Redirection = Union[FileRedirection, MergingRedirection]


@_node
class CommandParameter(Node):
    """``-Name`` or ``-Name:value`` in command mode.  ``name`` excludes the dash, case as written.

    ``argument`` is set only for the colon form; a following separate argument is a separate
    element of the command.
    """
    name: str
    argument: Optional[Expr] = None
    span: Span = NOSPAN


@_node
class CommandAst(Node):
    """A command in a pipeline: ``Get-ChildItem -Path /tmp *.log``, ``& $sb 1 2``, ``. ./x.ps1``.

    ``elements[0]`` is the command name: a :class:`StringConstant` (``kind='bare'`` for a bare word,
    or a quoted string) or any expression after ``&`` / ``.``.  The rest are arguments
    (expressions; bare words are ``StringConstant(kind='bare')``, bare words with ``$var`` inside are
    ``ExpandableString(kind='bare')``) and :class:`CommandParameter` nodes, in source order.
    A splatted variable argument is ``Variable(splatted=True)``.
    """
    elements: Tuple[Union[Expr, CommandParameter], ...]
    invocation: Optional[str] = None              # None | '&' | '.'
    redirections: Tuple[Redirection, ...] = ()
    span: Span = NOSPAN


@_node
class CommandExpression(Node):
    """An expression used as a pipeline element: ``1..10 | ...``, ``$x.Name``."""
    expr: Expr
    redirections: Tuple[Redirection, ...] = ()
    span: Span = NOSPAN


@_node
class Pipeline(Statement):
    """``a | b | c``; ``background`` when it ends with ``&``."""
    elements: Tuple[Union[CommandAst, CommandExpression], ...]
    background: bool = False
    span: Span = NOSPAN


# --------------------------------------------------------------------------- statements

@_node
class Assignment(Statement):
    """``$x = ...``, ``$a[0] += 1``, ``$o.Name = 'n'``, ``$a, $b = 1, 2``.

    ``target`` is a Variable, Index, Member, Convert (``[int]$x = 5``) or ArrayLiteral of those.
    ``op`` is one of ``= += -= *= /= %=``.  ``value`` is a statement (usually a Pipeline; may be an
    If/Switch/Foreach... statement whose output is assigned).
    """
    target: Expr
    op: str
    value: Statement
    span: Span = NOSPAN


@_node
class If(Statement):
    clauses: Tuple[Tuple[Statement, StatementBlock], ...]     # (condition pipeline, body)
    else_body: Optional[StatementBlock] = None
    span: Span = NOSPAN


@_node
class Foreach(Statement):
    variable: "Variable"
    iterable: Statement
    body: StatementBlock
    label: Optional[str] = None
    span: Span = NOSPAN
    flags: Tuple[str, ...] = ()        # ('parallel',): a workflow's option, a parse error here
    throttle: Optional[Expr] = None    # -ThrottleLimit n (workflows too)


@_node
class FunctionDefinition(Statement):
    """``function Name { ... }`` / ``filter Name { ... }`` / ``function f($a, $b) { ... }``.

    Parameters written in parentheses after the name are turned by the parser into
    ``body.param_block`` so the compiler sees one shape.  For a ``filter``, the parser places the
    unnamed body into ``body.process``.
    """
    name: str
    body: ScriptBlockAst
    is_filter: bool = False
    span: Span = NOSPAN


@_node
class Trap(Statement):
    type_name: Optional[str]
    body: StatementBlock
    span: Span = NOSPAN


@_node
class Break(Statement):
    label: Optional[Expr] = None                  # StringConstant for `break outer`
    span: Span = NOSPAN


@_node
class Continue(Statement):
    label: Optional[Expr] = None
    span: Span = NOSPAN


@_node
class Return(Statement):
    value: Optional[Statement] = None
    span: Span = NOSPAN


@_node
class Exit(Statement):
    value: Optional[Statement] = None
    span: Span = NOSPAN


@_node
class Throw(Statement):
    value: Optional[Statement] = None
    span: Span = NOSPAN


# --------------------------------------------------------------------------- expressions

@_node
class Constant(Expr):
    """A number literal, already converted: int (any size), float.  ``text`` keeps the spelling."""
    value: Any
    text: str = ""
    span: Span = NOSPAN


@_node
class StringConstant(Expr):
    """A string with nothing to expand.  ``kind``: 'bare' | 'single' | 'double' | 'here_single' |
    'here_double'.  Escapes are already processed (``value`` is the final text)."""
    value: str
    kind: str = "single"
    span: Span = NOSPAN


@_node
class ExpandableString(Expr):
    """``"Hello $name, $($x + 1)"``: ``parts`` alternate literal text (str, escapes processed) and
    expressions (Variable, SubExpression).  ``kind``: 'double' | 'here_double' | 'bare'."""
    parts: Tuple[Union[str, Expr], ...]
    kind: str = "double"
    span: Span = NOSPAN


@_node
class Variable(Expr):
    """``$name``, ``${odd name}``, ``$global:x``, ``$env:PATH``, ``$using:x``, ``@splat``.

    ``scope`` is the lower-cased qualifier or None: 'global' | 'script' | 'local' | 'private' |
    'using' | 'env' | 'variable' | 'function' | other drive names.  ``name`` excludes it.
    """
    name: str
    scope: Optional[str] = None
    splatted: bool = False
    span: Span = NOSPAN


@_node
class ArrayLiteral(Expr):
    """``1, 2, 3`` (binary comma)."""
    elements: Tuple[Expr, ...]
    span: Span = NOSPAN


@_node
class ArrayExpression(Expr):
    """``@( statements )``."""
    statements: Tuple[Statement, ...]
    span: Span = NOSPAN


@_node
class SubExpression(Expr):
    """``$( statements )``."""
    statements: Tuple[Statement, ...]
    span: Span = NOSPAN


@_node
class Paren(Expr):
    """``( pipeline )``: one statement (pipeline or assignment)."""
    statement: Statement
    span: Span = NOSPAN


@_node
class Hashtable(Expr):
    """``@{ key = value; ... }``; ``ordered`` when written ``[ordered]@{...}``.  Keys are
    expressions (bare keys are StringConstant); values are statements."""
    pairs: Tuple[Tuple[Expr, Statement], ...]
    ordered: bool = False
    span: Span = NOSPAN


@_node
class ScriptBlockExpr(Expr):
    block: ScriptBlockAst
    span: Span = NOSPAN


@_node
class Binary(Expr):
    """Arithmetic ``+ - * / %``, ``..`` (range), comparison/logical/bitwise ``-eq -and -band``...,
    ``-f``, ``-split``/``-join`` with two operands, ``-is``/``-as`` (right is usually a
    TypeLiteral), ``-replace`` (right is the ArrayLiteral of pattern and replacement or a single
    expression).  ``op`` is lower-cased."""
    op: str
    left: Expr
    right: Expr
    span: Span = NOSPAN


@_node
class Unary(Expr):
    """``-not x``, ``!x``, ``-x``, ``+x``, ``-bnot x``, ``,x`` (op ``','``), ``-split x``,
    ``-join x``; ``++$x``/``--$x`` (op ``'++'``/``'--'``) and ``$x++``/``$x--`` (op ``'post++'``/
    ``'post--'``)."""
    op: str
    operand: Expr
    span: Span = NOSPAN


@_node
class Convert(Expr):
    """``[int]$x``, ``[pscustomobject]@{...}`` (``type_name`` as written, without brackets)."""
    type_name: str
    expr: Expr
    span: Span = NOSPAN


@_node
class TypeLiteral(Expr):
    """``[int]``, ``[math]``, ``[string[]]`` used as a value."""
    type_name: str
    span: Span = NOSPAN


@_node
class Member(Expr):
    """``$x.Name``, ``$x.$prop``, ``[math]::PI`` (``static=True``), ``$x?.Name``.  ``member`` is a
    StringConstant for a plain name, else an expression."""
    obj: Expr
    member: Expr
    static: bool = False
    nullsafe: bool = False         # ?. / ?[ : null when the object is null
    span: Span = NOSPAN


@_node
class InvokeMember(Expr):
    """``$s.Split(',')``, ``[math]::Round(2.5)``, ``[array]::Empty[string]()`` (``type_args``: the
    generic method's type arguments as written)."""
    obj: Expr
    member: Expr
    args: Tuple[Expr, ...] = ()
    static: bool = False
    nullsafe: bool = False         # ?. / ?[ : null when the object is null
    span: Span = NOSPAN
    type_args: Tuple[str, ...] = ()


@_node
class Index(Expr):
    """``$a[0]``, ``$a[1..3]``, ``$h['k']``, ``$a[-1]``."""
    obj: Expr
    index: Expr
    nullsafe: bool = False         # ?. / ?[ : null when the object is null
    span: Span = NOSPAN


# --------------------------------------------------------------------------- the rarer nodes

# Creating a class costs CPython 3.11 ~100,000 instructions (its slots looked up along the MRO),
# and these 59 were ~8% of `pshell -c 1`.  The nodes of rarer syntax (param blocks and
# attributes, loops but foreach, switch, try/catch, classes and enums, using, data, `&&`/`||`,
# the ternary) are in ast_rare.py, made when one of them is first asked for (``A.While``);
# until then no node of those kinds exists, so a check of a node's kind may skip them (made()).
_RARE = frozenset(("AttributeAst", "ParameterAst", "ParamBlock", "PipelineChain", "While",
                   "DoWhile", "DoUntil", "For", "SwitchClause", "Switch", "PropertyMember",
                   "MethodMember", "ClassDefinition", "EnumDefinition", "UsingStatement",
                   "CatchClause", "Try", "DataSection", "Ternary"))


def __getattr__(name: str) -> Any:
    if name in _RARE:
        from pshell.lang import ast_rare     # once: the import lock makes them once
        globals().update({n: getattr(ast_rare, n) for n in _RARE})
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def made(*names: str) -> Tuple[Any, ...]:
    """The node classes of ``names`` made so far (a kind not made yet has no nodes): for an
    isinstance check on a common path that should not make the rarer nodes."""
    found = globals()
    return tuple(found[name] for name in names if name in found)


# --------------------------------------------------------------------------- dumper

def mentions_variable(node: Any, name: str) -> bool:
    """Whether ``$name`` (unqualified or ``$local:``) is written anywhere under ``node``: the
    compiler makes ``$foreach`` and ``$switch`` only for loops whose bodies use them."""
    if isinstance(node, Variable):
        return node.name.lower() == name and node.scope in (None, "local")
    if isinstance(node, Node):
        return any(mentions_variable(getattr(node, field), name) for field in fields(node)
                   if field != "span")
    if isinstance(node, tuple):
        return any(mentions_variable(item, name) for item in node)
    return False


def dump(node: Any, indent: int = 0) -> str:
    """A readable tree, one node per line, for golden tests and debugging."""
    pad = "  " * indent
    if isinstance(node, Node):
        parts = []
        simple = []
        for name in fields(node):
            if name == "span":
                continue
            value = getattr(node, name)
            if isinstance(value, (Node, tuple)) and value:
                parts.append((name, value))
            elif value not in (None, (), False, ""):
                simple.append(f"{name}={value!r}")
        head = f"{pad}{type(node).__name__}" + (f" {' '.join(simple)}" if simple else "")
        lines = [head]
        for name, value in parts:
            lines.append(f"{pad}  .{name}:")
            lines.append(dump(value, indent + 2))
        return "\n".join(lines)
    if isinstance(node, tuple):
        return "\n".join(dump(item, indent) for item in node)
    return f"{pad}{node!r}"
