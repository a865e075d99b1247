"""The syntax nodes of rarer constructs (see ast.py, which makes this module's classes its own
the first time one of them is asked for): param blocks and attributes, the loops but foreach,
switch, try/catch, classes and enums, using, data sections, pipeline chains, the ternary."""

from __future__ import annotations

from pshell.lang.ast import NOSPAN, Expr, Node, Span, Statement, _node

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple

    from pshell.lang.ast import (CommandExpression, Foreach, NamedBlock, Pipeline,  # noqa: F401
                                 ScriptBlockAst, StatementBlock, StringConstant, Variable)

__all__ = ["AttributeAst", "ParameterAst", "ParamBlock", "PipelineChain", "While", "DoWhile",
           "DoUntil", "For", "SwitchClause", "Switch", "PropertyMember", "MethodMember",
           "ClassDefinition", "EnumDefinition", "UsingStatement", "CatchClause", "Try",
           "DataSection", "Ternary"]


@_node
class AttributeAst(Node):
    """``[Parameter(Mandatory, Position=0)]``, ``[CmdletBinding()]``, ``[ValidateSet('a','b')]``.

    ``positional`` holds positional arguments; ``named`` holds ``(name, value)`` pairs where a bare
    ``Mandatory`` is ``('Mandatory', None)``.
    """
    name: str
    positional: Tuple[Expr, ...] = ()
    named: Tuple[Tuple[str, Optional[Expr]], ...] = ()
    span: Span = NOSPAN


@_node
class ParameterAst(Node):
    """One parameter of a ``param()`` block or of ``function f($a, [int]$b = 2)``.

    ``type_name`` is the last type constraint written (``[int]``, ``[switch]``, ``[string[]]``), as
    written without brackets; other attributes (``[Parameter(...)]``, ``[Alias(...)]``, validation)
    are in ``attributes`` in source order.
    """
    name: str
    type_name: Optional[str] = None
    default: Optional[Expr] = None
    attributes: Tuple[AttributeAst, ...] = ()
    span: Span = NOSPAN


@_node
class ParamBlock(Node):
    parameters: Tuple[ParameterAst, ...] = ()
    attributes: Tuple[AttributeAst, ...] = ()     # e.g. [CmdletBinding()] before param(
    span: Span = NOSPAN


@_node
class PipelineChain(Statement):
    """``a && b``, ``a || b`` (left-associative): ``right`` runs when ``left`` succeeded (``&&``)
    or failed (``||``), as ``$?`` tells after it."""
    left: Statement
    op: str
    right: Pipeline
    background: bool = False     # `a && b &`: the whole chain runs as a job
    span: Span = NOSPAN


@_node
class While(Statement):
    condition: Statement
    body: StatementBlock
    label: Optional[str] = None
    span: Span = NOSPAN


@_node
class DoWhile(Statement):
    body: StatementBlock
    condition: Statement
    label: Optional[str] = None
    span: Span = NOSPAN


@_node
class DoUntil(Statement):
    body: StatementBlock
    condition: Statement
    label: Optional[str] = None
    span: Span = NOSPAN


@_node
class For(Statement):
    init: Optional[Statement]
    condition: Optional[Statement]
    iterator: Optional[Statement]
    body: StatementBlock
    label: Optional[str] = None
    span: Span = NOSPAN


@_node
class SwitchClause(Node):
    """``condition`` is an expression: a constant/bare word, a string, a variable, or a
    :class:`ScriptBlockExpr` (evaluated with ``$_`` bound).  ``condition is None`` never occurs:
    the ``default`` clause is held in :attr:`Switch.default`."""
    condition: Expr
    body: StatementBlock
    span: Span = NOSPAN


@_node
class Switch(Statement):
    """``switch -Regex -CaseSensitive (subject) { cond { ... } default { ... } }``.

    ``flags`` holds the lower-cased flag names given (``'regex'``, ``'wildcard'``, ``'exact'``,
    ``'casesensitive'``, ``'file'``; ``'parallel'``, a workflow's, is a parse error).
    With ``-File``, ``subject`` is the path expression.
    """
    subject: Statement
    clauses: Tuple[SwitchClause, ...]
    default: Optional[StatementBlock] = None
    flags: Tuple[str, ...] = ()
    label: Optional[str] = None
    span: Span = NOSPAN


@_node
class PropertyMember(Node):
    """``[static] [hidden] [type] $Name [= default]`` in a class body."""
    name: str
    type_name: Optional[str] = None
    default: Optional[Expr] = None
    static: bool = False
    hidden: bool = False
    attributes: Tuple[AttributeAst, ...] = ()
    span: Span = NOSPAN


@_node
class MethodMember(Node):
    """A method (``[type] Name(params) { ... }``) or a constructor (``Name(params) [: base(args)]
    { ... }``, ``is_constructor``) of a class; ``body.param_block`` holds the parameters."""
    name: str
    body: ScriptBlockAst
    return_type: Optional[str] = None
    static: bool = False
    hidden: bool = False
    is_constructor: bool = False
    base_args: Optional[Tuple[Expr, ...]] = None      # ``: base(a, b)`` of a constructor
    span: Span = NOSPAN


@_node
class ClassDefinition(Statement):
    """``class Name [: Base, Interface] { members }`` with the attributes written before it."""
    name: str
    bases: Tuple[str, ...] = ()
    members: Tuple[Any, ...] = ()                     # PropertyMember / MethodMember
    attributes: Tuple[AttributeAst, ...] = ()
    span: Span = NOSPAN


@_node
class EnumDefinition(Statement):
    """``[Flags()] enum Name [: type] { A; B = 2 }``: ``members`` pairs a name with its value
    expression (None: the previous value plus one)."""
    name: str
    members: Tuple[Tuple[str, Optional[Expr]], ...] = ()
    underlying: Optional[str] = None
    attributes: Tuple[AttributeAst, ...] = ()
    span: Span = NOSPAN


@_node
class UsingStatement(Statement):
    """``using namespace N`` / ``using module M`` (a name or a path, ``M`` may be a hashtable
    expression) / ``using assembly A``; ``alias`` for ``using namespace X = Y``."""
    kind: str                                          # 'namespace' | 'module' | 'assembly'
    name: str
    module_spec: Optional[Expr] = None
    alias: Optional[str] = None
    span: Span = NOSPAN


@_node
class CatchClause(Node):
    type_names: Tuple[str, ...]                   # empty: catch everything
    body: StatementBlock
    span: Span = NOSPAN


@_node
class Try(Statement):
    body: StatementBlock
    catches: Tuple[CatchClause, ...] = ()
    finally_body: Optional[StatementBlock] = None
    span: Span = NOSPAN


@_node
class DataSection(Statement):
    """``data [variable] [-SupportedCommand ...] { ... }``: a body in the restricted language,
    checked when parsed; its value goes to ``variable`` (in the current scope) or to the output."""
    variable: Optional[str]
    commands: Tuple[str, ...]
    body: StatementBlock
    span: Span = NOSPAN


@_node
class Ternary(Expr):
    """``condition ? if_true : if_false``."""
    condition: Expr
    if_true: Expr
    if_false: Expr
    span: Span = NOSPAN
