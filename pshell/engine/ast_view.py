"""A read-only view of pshell's syntax tree (lang/ast.py) shaped like PowerShell's
``System.Management.Automation.Language`` AST, for what ``[Parser]::ParseInput`` returns.

Scripts walk that tree (``$ast.EndBlock.Statements[0].PipelineElements``, ``$ast.FindAll({...}, $true)``,
``$cmd.GetCommandName()``, ``$node.Extent.Text``).  One :class:`AstView` class wraps every node; a
table per node class names its PowerShell type (with the base types ``-is`` tests) and its
properties, each a function of the view.  Views are made lazily, when a property is read, and
cached, so reading one twice gives the same object (``Parent`` is the view that made it).

Nodes PowerShell has but pshell's tree does not (a parameter's name as a variable, a type
constraint, ``@(...)``'s statement block) are made here as small :class:`_Synthetic` nodes.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from pshell.lang import ast as A

__all__ = ["AstView", "Extent", "view_of", "extent_of"]

_NS = "System.Management.Automation.Language."


# --------------------------------------------------------------------------- extents

def _position(text: str, offset: int) -> Tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class ScriptPosition:
    """One point of the text: ``LineNumber``, ``ColumnNumber`` (1-based), ``Offset``, ``Line``."""

    ps_type_names = (_NS + "InternalScriptPosition", "System.Object")
    ps_properties = ("File", "LineNumber", "ColumnNumber", "Offset", "Line")

    def __init__(self, text: str, offset: int) -> None:
        self.Offset = offset
        self.LineNumber, self.ColumnNumber = _position(text, offset)
        start = text.rfind("\n", 0, offset) + 1
        end = text.find("\n", offset)
        self.Line = text[start:end if end >= 0 else len(text)].rstrip("\r")
        self.File: Optional[str] = None

    def ToString(self) -> str:
        return f"{self.LineNumber}:{self.ColumnNumber}"


class Extent:
    """Where a node (or a parse error) is in the text, and that text."""

    ps_type_names = (_NS + "InternalScriptExtent", "System.Object")
    ps_properties = ("File", "StartScriptPosition", "EndScriptPosition", "StartLineNumber",
                     "StartColumnNumber", "EndLineNumber", "EndColumnNumber", "Text", "StartOffset",
                     "EndOffset")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.File: Optional[str] = None
        self.Text = text[start:end]
        self.StartOffset, self.EndOffset = start, end
        self.StartScriptPosition = ScriptPosition(text, start)
        self.EndScriptPosition = ScriptPosition(text, end)
        self.StartLineNumber = self.StartScriptPosition.LineNumber
        self.StartColumnNumber = self.StartScriptPosition.ColumnNumber
        self.EndLineNumber = self.EndScriptPosition.LineNumber
        self.EndColumnNumber = self.EndScriptPosition.ColumnNumber

    def ToString(self) -> str:
        return self.Text

    def __str__(self) -> str:
        return self.Text


def extent_of(text: str, start: int, end: int) -> Extent:
    return Extent(text, start, end)


# --------------------------------------------------------------------------- small value objects

class _Pair:
    """A .NET ``Tuple`` of two: an if clause, a switch clause, a hashtable entry."""

    ps_type_names = ("System.Tuple`2", "System.Object")
    ps_properties = ("Item1", "Item2")

    def __init__(self, first: Any, second: Any) -> None:
        self.Item1, self.Item2 = first, second

    def ToString(self) -> str:
        return f"({self.Item1}, {self.Item2})"


class TypeNameView:
    """A type name as written: ``Name``/``FullName`` (``int``, ``string[]``)."""

    ps_type_names = (_NS + "TypeName", "System.Object")
    ps_properties = ("Name", "FullName", "IsArray", "IsGeneric", "Extent")

    def __init__(self, name: str, extent: Extent) -> None:
        self.Name = self.FullName = name
        self.IsArray = name.endswith("]")
        self.IsGeneric = "[" in name and not self.IsArray
        self.Extent = extent

    def ToString(self) -> str:
        return self.Name


class VariablePath:
    """``$global:x``'s path: ``UserPath`` ``global:x``, ``DriveName``, ``IsGlobal``..."""

    ps_type_names = ("System.Management.Automation.VariablePath", "System.Object")
    ps_properties = ("UserPath", "IsGlobal", "IsLocal", "IsPrivate", "IsScript", "IsUnqualified",
                     "IsUnscopedVariable", "IsVariable", "IsDriveQualified", "DriveName")

    def __init__(self, name: str, scope: Optional[str]) -> None:
        self.UserPath = f"{scope}:{name}" if scope else name
        self.IsGlobal, self.IsLocal = scope == "global", scope == "local"
        self.IsPrivate, self.IsScript = scope == "private", scope == "script"
        self.IsUnqualified = scope is None
        self.IsUnscopedVariable = scope is None
        self.IsDriveQualified = scope not in (None, "global", "local", "private", "script", "using",
                                              "variable")
        self.IsVariable = not self.IsDriveQualified
        self.DriveName = scope if self.IsDriveQualified else None

    def ToString(self) -> str:
        return self.UserPath


# --------------------------------------------------------------------------- synthetic nodes

class _Synthetic:
    """A node PowerShell's tree has and pshell's does not; ``kind`` picks its table entry."""

    def __init__(self, kind: str, span: A.Span, **values: Any) -> None:
        self.kind = kind
        self.span = span
        self.values = values


def _find_span(source: str, inside: A.Span, needle: str) -> A.Span:
    """The span of ``needle`` inside ``inside`` (case-insensitive), or ``inside`` itself."""
    at = source.lower().find(needle.lower(), inside.start, max(inside.end, inside.start))
    if at < 0:
        return inside
    return A.Span(at, at + len(needle), *_position(source, at))


# --------------------------------------------------------------------------- the view

_BINARY_OPS = {"+": "Plus", "-": "Minus", "*": "Multiply", "/": "Divide", "%": "Rem", "..": "DotDot",
               "-and": "And", "-or": "Or", "-xor": "Xor", "-f": "Format", "-band": "Band",
               "-bor": "Bor", "-bxor": "Bxor", "-shl": "Shl", "-shr": "Shr", "??": "QuestionQuestion"}
_ASSIGN_OPS = {"=": "Equals", "+=": "PlusEquals", "-=": "MinusEquals", "*=": "MultiplyEquals",
               "/=": "DivideEquals", "%=": "RemainderEquals", "??=": "QuestionQuestionEquals"}
_UNARY_OPS = {"-not": "Not", "!": "Exclaim", "-": "Minus", "+": "Plus", "-bnot": "Bnot", ",": "Comma",
              "++": "PlusPlus", "--": "MinusMinus", "post++": "PostfixPlusPlus",
              "post--": "PostfixMinusMinus", "-split": "Csplit", "-join": "Join"}
_STRING_KINDS = {"bare": "BareWord", "single": "SingleQuoted", "double": "DoubleQuoted",
                 "here_single": "SingleQuotedHereString", "here_double": "DoubleQuotedHereString"}
_STREAMS = {"1": "Output", "2": "Error", "3": "Warning", "4": "Verbose", "5": "Debug",
            "6": "Information", "*": "All"}


def _token_kind(op: str) -> str:
    """``-ieq``/``-eq`` -> ``Ieq``, ``-ceq`` -> ``Ceq``, others from the tables above."""
    if op in _BINARY_OPS:
        return _BINARY_OPS[op]
    if op.startswith("-") and op[1:].isalpha():
        word = op[1:]
        if word[0] in "ic" and len(word) > 2 and word[1:] not in ("s", "n"):
            return word[0].upper() + word[1:]
        return ("I" + word) if word not in ("is", "isnot", "as") else word.capitalize()
    return op


def _enum(name: str, flags: Tuple[str, ...]) -> Any:
    from pshell.engine.dotnet_types import builtin_enum
    kind = builtin_enum(_NS + name)
    assert kind is not None
    bits = 0
    for flag in flags:
        bits |= int(kind.convert(flag))
    return kind.value(bits)


class AstView:
    """One node of the tree, as a ``System.Management.Automation.Language.*Ast`` object."""

    def __init__(self, node: Any, source: str, parent: Optional["AstView"]) -> None:
        self._node = node
        self._source = source
        self._parent = parent
        kind = node.kind if isinstance(node, _Synthetic) else type(node).__name__
        if kind == "ScriptBlockAst" and parent is not None and isinstance(parent._node, A.ScriptBlockExpr):
            kind = "NestedScriptBlockAst"
        self._kind = kind
        self._spec = _SPECS[kind]
        self._cache: Dict[str, Any] = {}
        self._errors: List[Any] = []            # the root's: the text's parse errors

    # ---- what the engine's member lookup reads

    @property
    def ps_type_names(self) -> Tuple[str, ...]:
        return tuple(_NS + name for name in self._spec[0]) + (_NS + "Ast", "System.Object")

    @property
    def ps_properties(self) -> Tuple[str, ...]:
        return tuple(self._spec[1]) + ("Extent", "Parent")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        lowered = name.lower()
        if lowered in self._cache:
            value = self._cache[lowered]
            return list(value) if isinstance(value, list) else value
        if lowered == "extent":
            value = Extent(self._source, self._node.span.start, self._node.span.end)
        elif lowered == "parent":
            return self._parent
        else:
            props = self._spec[2]
            if lowered not in props:
                raise AttributeError(name)
            value = props[lowered](self, self._node)
        self._cache[lowered] = value
        return list(value) if isinstance(value, list) else value

    def _view(self, node: Any) -> Any:
        """The view of a child node (None stays None; tuples become lists)."""
        if node is None:
            return None
        if isinstance(node, (tuple, list)):
            return [self._view(item) for item in node]
        return AstView(node, self._source, self)

    def _synthetic(self, kind: str, span: A.Span, **values: Any) -> "AstView":
        return AstView(_Synthetic(kind, span, **values), self._source, self)

    # ---- methods scripts call

    def ToString(self) -> str:
        return self._source[self._node.span.start:self._node.span.end]

    def __str__(self) -> str:
        return self.ToString()

    def __repr__(self) -> str:
        return f"<{self._kind} {self.ToString()[:40]!r}>"

    def GetCommandName(self) -> Optional[str]:
        """A command's name when it is a constant (``Get-Item``, ``'x.ps1'``), else null."""
        if self._kind != "CommandAst":
            raise AttributeError("GetCommandName")
        first = self._node.elements[0] if self._node.elements else None
        return first.value if isinstance(first, A.StringConstant) else None

    def SafeGetValue(self) -> Any:
        """A constant's value (the only kind pshell's view evaluates)."""
        if "value" not in self._spec[2]:
            raise ValueError(f"a {self._spec[0][0]} is not a constant")
        return self.__getattr__("Value")

    def GetScriptBlock(self) -> Any:
        """The script block of the text; a text with parse errors has none (an invalid operation,
        not a parse error: the errors were the caller's to read)."""
        if self._kind not in ("ScriptBlockAst", "NestedScriptBlockAst"):
            raise AttributeError("GetScriptBlock")
        if self._errors:
            from pshell.engine.errors import RuntimeException
            raise RuntimeException.make(
                f"The script block cannot be made: the text has {len(self._errors)} parse "
                f"error(s), the first: {self._errors[0].message}", "PSInvalidOperationException",
                "InvalidOperation",
                exception_type="System.Management.Automation.PSInvalidOperationException")
        from pshell.engine.statics import _create_script_block
        text = self._node.text if self._parent is not None else self._source
        return _create_script_block(text)

    def Find(self, predicate: Any, search_nested: Any = True) -> Optional["AstView"]:
        """The first node (this one included, in source order) the predicate holds for."""
        for node in self._walk(bool(search_nested), True):
            if _holds(predicate, node):
                return node
        return None

    def FindAll(self, predicate: Any, search_nested: Any = True) -> List["AstView"]:
        """Every node (this one included, in source order) the predicate holds for."""
        return [node for node in self._walk(bool(search_nested), True) if _holds(predicate, node)]

    def _children(self) -> List["AstView"]:
        found: List[AstView] = []
        for name in self._spec[1]:
            value = self.__getattr__(name)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, _Pair):
                    found.extend(x for x in (item.Item1, item.Item2) if isinstance(x, AstView))
                elif isinstance(item, AstView):
                    found.append(item)
        found.sort(key=lambda view: view._node.span.start)
        return found

    def _walk(self, nested: bool, top: bool) -> Any:
        """This node and its descendants, depth first in source order (a stack, not recursion:
        a deeply nested text must not exhaust Python's stack)."""
        stack: List[AstView] = [self]
        while stack:
            view = stack.pop()
            yield view
            kids = [child for child in view._children()
                    if nested or child._kind not in ("ScriptBlockAst", "NestedScriptBlockAst")]
            stack.extend(reversed(kids))


def _holds(predicate: Any, node: AstView) -> bool:
    from pshell.engine.values import to_bool
    if hasattr(predicate, "compiled"):                  # a script block: the node is $args[0] and $_
        frame = predicate.bound_frame
        if frame is None:
            from pshell.engine.errors import RuntimeException
            raise RuntimeException.make("The predicate script block has no runspace to run in.")
        from pshell.engine.command_context import invoke_block
        from pshell.engine.runtime import collect
        return to_bool(collect(invoke_block(frame, predicate, (node,), dollar_under=node)))
    if callable(predicate):
        return to_bool(predicate(node))
    return to_bool(predicate)


# --------------------------------------------------------------------------- the tables

Getter = Callable[[AstView, Any], Any]


def _field(name: str) -> Getter:
    return lambda view, node: view._view(getattr(node, name))


def _plain(name: str) -> Getter:
    return lambda view, node: getattr(node, name)


def _statement_block(name: str) -> Getter:
    """``@(...)``/``$(...)``'s statements as a StatementBlockAst of their own."""
    return lambda view, node: view._synthetic("StatementBlockAst", node.span,
                                              statements=getattr(node, name))


def _type_constraint(view: AstView, name: Optional[str], inside: A.Span) -> Optional[AstView]:
    if not name:
        return None
    return view._synthetic("TypeConstraintAst", _find_span(view._source, inside, "[" + name),
                           type_name=name)


def _type_name(view: AstView, node: Any) -> TypeNameView:
    name = node.values["type_name"] if isinstance(node, _Synthetic) else node.type_name
    span = node.span
    return TypeNameView(name, Extent(view._source, span.start, span.end))


def _sb_blocks() -> Dict[str, Getter]:
    return {"attributes": lambda v, n: v._view(n.param_block.attributes) if n.param_block else [],
            "usingstatements": lambda v, n: v._view([s for s in (n.end.statements if n.end else ())
                                                      if isinstance(s, A.UsingStatement)]),
            "paramblock": _field("param_block"), "dynamicparamblock": _field("dynamicparam"),
            "beginblock": _field("begin"), "processblock": _field("process"), "endblock": _field("end"),
            "cleanblock": _field("clean"), "scriptrequirements": lambda v, n: None}


def _named_block_kind(view: AstView, node: A.NamedBlock) -> str:
    return {"dynamicparam": "DynamicParam"}.get(node.kind, node.kind.capitalize())


def _unnamed(view: AstView, node: A.NamedBlock) -> bool:
    return not view._source[node.span.start:node.span.end].lstrip().lower().startswith(node.kind)


def _parameter_name(view: AstView, node: A.ParameterAst) -> AstView:
    span = _find_span(view._source, node.span, "$" + node.name)
    return view._view(A.Variable(node.name, span=span))


def _parameter_attributes(view: AstView, node: A.ParameterAst) -> List[Any]:
    found = list(view._view(node.attributes))
    constraint = _type_constraint(view, node.type_name, node.span)
    if constraint is not None:
        found.append(constraint)
    return found


def _named_arguments(view: AstView, node: A.AttributeAst) -> List[AstView]:
    return [view._synthetic("NamedAttributeArgumentAst",
                            _find_span(view._source, node.span, name) if value is None else
                            A.Span(_find_span(view._source, node.span, name).start, value.span.end,
                                   *_position(view._source, _find_span(view._source, node.span,
                                                                       name).start)),
                            name=name, argument=value) for name, value in node.named]


def _omitted_argument(view: AstView, node: _Synthetic) -> Any:
    value = node.values["argument"]
    if value is not None:
        return view._view(value)
    return view._view(A.Constant(True, "$true", span=node.span))


def _command_name_value(view: AstView, node: Any) -> Any:
    return node.value


def _expandable_value(view: AstView, node: A.ExpandableString) -> str:
    text = view._source[node.span.start:node.span.end]
    if node.kind == "double" and len(text) >= 2:
        return text[1:-1]
    if node.kind == "here_double" and len(text) >= 4:
        inner = text[2:-2]
        return inner.strip("\r\n")
    return text


def _catch_types(view: AstView, node: A.CatchClause) -> List[Optional[AstView]]:
    return [_type_constraint(view, name, node.span) for name in node.type_names]


def _using_name(view: AstView, node: A.UsingStatement) -> AstView:
    span = _find_span(view._source, node.span, node.name)
    return view._view(A.StringConstant(node.name, "bare", span=span))


def _pairs(first: str, second: str) -> Getter:
    def get(view: AstView, node: Any) -> List[_Pair]:
        return [_Pair(view._view(a), view._view(b)) for a, b in getattr(node, first)] if not second else \
            [_Pair(view._view(getattr(c, first)), view._view(getattr(c, second))) for c in node.clauses]
    return get


_LOOP = ("LoopStatementAst", "LabeledStatementAst", "StatementAst")
_EXPR = ("ExpressionAst", "CommandElementAst")
_CONST = ("ConstantExpressionAst",) + _EXPR
_STMT = ("StatementAst",)

# kind -> (PowerShell type and its bases, properties whose values are child nodes (source order),
#          every property: lower-cased name -> getter)
_SPEC_SOURCE: Dict[str, Tuple[Tuple[str, ...], Dict[str, Getter], Tuple[str, ...]]] = {
    "ScriptBlockAst": (("ScriptBlockAst",), _sb_blocks(),
                       ("UsingStatements", "ParamBlock", "DynamicParamBlock", "BeginBlock",
                        "ProcessBlock", "EndBlock", "CleanBlock")),
    "NestedScriptBlockAst": (("ScriptBlockAst",), _sb_blocks(),
                             ("ParamBlock", "DynamicParamBlock", "BeginBlock", "ProcessBlock",
                              "EndBlock", "CleanBlock")),
    "NamedBlock": (("NamedBlockAst",), {"statements": _field("statements"), "blockkind": _named_block_kind,
                                        "unnamed": _unnamed, "traps": lambda v, n: None},
                   ("Statements",)),
    "ParamBlock": (("ParamBlockAst",), {"parameters": _field("parameters"),
                                        "attributes": _field("attributes")},
                   ("Attributes", "Parameters")),
    "ParameterAst": (("ParameterAst",), {"name": _parameter_name, "attributes": _parameter_attributes,
                                         "defaultvalue": _field("default")},
                     ("Attributes", "Name", "DefaultValue")),
    "AttributeAst": (("AttributeAst", "AttributeBaseAst"),
                     {"typename": lambda v, n: TypeNameView(n.name, Extent(v._source, n.span.start,
                                                                           n.span.end)),
                      "positionalarguments": _field("positional"), "namedarguments": _named_arguments},
                     ("PositionalArguments", "NamedArguments")),
    "NamedAttributeArgumentAst": (("NamedAttributeArgumentAst",),
                                  {"argumentname": lambda v, n: n.values["name"],
                                   "argument": _omitted_argument,
                                   "expressionomitted": lambda v, n: n.values["argument"] is None},
                                  ("Argument",)),
    "TypeConstraintAst": (("TypeConstraintAst", "AttributeBaseAst"), {"typename": _type_name}, ()),
    "StatementBlockAst": (("StatementBlockAst",),
                          {"statements": lambda v, n: v._view(n.values["statements"] if isinstance(
                              n, _Synthetic) else n.statements), "traps": lambda v, n: None},
                          ("Statements",)),
    "StatementBlock": (("StatementBlockAst",), {"statements": _field("statements"),
                                                "traps": lambda v, n: None}, ("Statements",)),
    "Pipeline": (("PipelineAst", "PipelineBaseAst") + _STMT,
                 {"pipelineelements": _field("elements"), "background": _plain("background")},
                 ("PipelineElements",)),
    "PipelineChain": (("PipelineChainAst", "ChainableAst", "PipelineBaseAst") + _STMT,
                      {"lhspipelinechain": _field("left"), "rhspipeline": _field("right"),
                       "operator": lambda v, n: "AndAnd" if n.op == "&&" else "OrOr",
                       "background": lambda v, n: False},
                      ("LhsPipelineChain", "RhsPipeline")),
    "CommandAst": (("CommandAst", "CommandBaseAst") + _STMT,
                   {"commandelements": _field("elements"), "redirections": _field("redirections"),
                    "invocationoperator": lambda v, n: {"&": "Ampersand", ".": "Dot"}.get(
                        n.invocation or "", "Unknown")},
                   ("CommandElements", "Redirections")),
    "CommandParameter": (("CommandParameterAst", "CommandElementAst"),
                         {"parametername": _plain("name"), "argument": _field("argument")},
                         ("Argument",)),
    "CommandExpression": (("CommandExpressionAst", "CommandBaseAst") + _STMT,
                          {"expression": _field("expr"), "redirections": _field("redirections")},
                          ("Expression", "Redirections")),
    "FileRedirection": (("FileRedirectionAst", "RedirectionAst"),
                        {"fromstream": lambda v, n: _STREAMS.get(n.stream, n.stream),
                         "location": _field("target"), "append": _plain("append")}, ("Location",)),
    "MergingRedirection": (("MergingRedirectionAst", "RedirectionAst"),
                           {"fromstream": lambda v, n: _STREAMS.get(n.from_stream, n.from_stream),
                            "tostream": lambda v, n: _STREAMS.get(n.to_stream, n.to_stream)}, ()),
    "Assignment": (("AssignmentStatementAst", "PipelineBaseAst") + _STMT,
                   {"left": _field("target"), "right": _field("value"),
                    "operator": lambda v, n: _ASSIGN_OPS.get(n.op, n.op)}, ("Left", "Right")),
    "If": (("IfStatementAst",) + _STMT, {"clauses": _pairs("clauses", ""),
                                          "elseclause": _field("else_body")},
           ("Clauses", "ElseClause")),
    "While": (("WhileStatementAst",) + _LOOP,
              {"condition": _field("condition"), "body": _field("body"), "label": _plain("label")},
              ("Condition", "Body")),
    "DoWhile": (("DoWhileStatementAst",) + _LOOP,
                {"condition": _field("condition"), "body": _field("body"), "label": _plain("label")},
                ("Body", "Condition")),
    "DoUntil": (("DoUntilStatementAst",) + _LOOP,
                {"condition": _field("condition"), "body": _field("body"), "label": _plain("label")},
                ("Body", "Condition")),
    "For": (("ForStatementAst",) + _LOOP,
            {"initializer": _field("init"), "condition": _field("condition"),
             "iterator": _field("iterator"), "body": _field("body"), "label": _plain("label")},
            ("Initializer", "Condition", "Iterator", "Body")),
    "Foreach": (("ForEachStatementAst",) + _LOOP,
                {"variable": _field("variable"), "condition": _field("iterable"), "body": _field("body"),
                 "label": _plain("label"), "throttlelimit": _field("throttle"),
                 "flags": lambda v, n: _enum("ForEachFlags", n.flags)},
                ("ThrottleLimit", "Variable", "Condition", "Body")),
    "Switch": (("SwitchStatementAst", "LabeledStatementAst") + _STMT,
               {"condition": _field("subject"), "clauses": _pairs("condition", "body"),
                "default": _field("default"), "label": _plain("label"),
                "flags": lambda v, n: _enum("SwitchFlags", n.flags)},
               ("Condition", "Clauses", "Default")),
    "FunctionDefinition": (("FunctionDefinitionAst",) + _STMT,
                           {"name": _plain("name"), "body": _field("body"), "isfilter": _plain("is_filter"),
                            "isworkflow": lambda v, n: False, "parameters": lambda v, n: None},
                           ("Body",)),
    "Try": (("TryStatementAst",) + _STMT,
            {"body": _field("body"), "catchclauses": _field("catches"), "finally": _field("finally_body")},
            ("Body", "CatchClauses", "Finally")),
    "CatchClause": (("CatchClauseAst",),
                    {"catchtypes": _catch_types, "body": _field("body"),
                     "iscatchall": lambda v, n: not n.type_names}, ("CatchTypes", "Body")),
    "Trap": (("TrapStatementAst",) + _STMT,
             {"traptype": lambda v, n: _type_constraint(v, n.type_name, n.span), "body": _field("body")},
             ("TrapType", "Body")),
    "DataSection": (("DataStatementAst",) + _STMT,
                    {"variable": _plain("variable"), "body": _field("body"),
                     "commandsallowed": lambda v, n: list(n.commands)}, ("Body",)),
    "Break": (("BreakStatementAst",) + _STMT, {"label": _field("label")}, ("Label",)),
    "Continue": (("ContinueStatementAst",) + _STMT, {"label": _field("label")}, ("Label",)),
    "Return": (("ReturnStatementAst",) + _STMT, {"pipeline": _field("value")}, ("Pipeline",)),
    "Exit": (("ExitStatementAst",) + _STMT, {"pipeline": _field("value")}, ("Pipeline",)),
    "Throw": (("ThrowStatementAst",) + _STMT,
              {"pipeline": _field("value"), "isrethrow": lambda v, n: n.value is None}, ("Pipeline",)),
    "ClassDefinition": (("TypeDefinitionAst",) + _STMT,
                        {"name": _plain("name"), "members": _field("members"),
                         "attributes": _field("attributes"),
                         "basetypes": lambda v, n: [_type_constraint(v, b, n.span) for b in n.bases],
                         "isclass": lambda v, n: True, "isenum": lambda v, n: False,
                         "isinterface": lambda v, n: False},
                        ("Attributes", "Members")),
    "EnumDefinition": (("TypeDefinitionAst",) + _STMT,
                       {"name": _plain("name"), "attributes": _field("attributes"),
                        "members": lambda v, n: [name for name, _ in n.members],
                        "isclass": lambda v, n: False, "isenum": lambda v, n: True,
                        "isinterface": lambda v, n: False}, ("Attributes",)),
    "PropertyMember": (("PropertyMemberAst", "MemberAst"),
                       {"name": _plain("name"), "initialvalue": _field("default"),
                        "propertytype": lambda v, n: _type_constraint(v, n.type_name, n.span),
                        "isstatic": _plain("static"), "ishidden": _plain("hidden"),
                        "attributes": _field("attributes")}, ("Attributes", "PropertyType", "InitialValue")),
    "MethodMember": (("FunctionMemberAst", "MemberAst"),
                     {"name": _plain("name"), "body": _field("body"),
                      "returntype": lambda v, n: _type_constraint(v, n.return_type, n.span),
                      "isstatic": _plain("static"), "ishidden": _plain("hidden"),
                      "isconstructor": _plain("is_constructor")}, ("ReturnType", "Body")),
    "UsingStatement": (("UsingStatementAst",) + _STMT,
                       {"usingstatementkind": lambda v, n: n.kind.capitalize(), "name": _using_name,
                        "alias": lambda v, n: n.alias, "modulespecification": _field("module_spec")},
                       ("Name", "ModuleSpecification")),
    "Constant": (("ConstantExpressionAst",) + _EXPR, {"value": _plain("value")}, ()),
    "StringConstant": (("StringConstantExpressionAst",) + _CONST,
                       {"value": _command_name_value,
                        "stringconstanttype": lambda v, n: _STRING_KINDS.get(n.kind, "BareWord")}, ()),
    "ExpandableString": (("ExpandableStringExpressionAst",) + _EXPR,
                         {"value": _expandable_value,
                          "nestedexpressions": lambda v, n: v._view([p for p in n.parts
                                                                     if not isinstance(p, str)]),
                          "stringconstanttype": lambda v, n: _STRING_KINDS.get(n.kind, "BareWord")},
                         ("NestedExpressions",)),
    "Variable": (("VariableExpressionAst",) + _EXPR,
                 {"variablepath": lambda v, n: VariablePath(n.name, n.scope),
                  "splatted": _plain("splatted")}, ()),
    "ArrayLiteral": (("ArrayLiteralAst",) + _EXPR, {"elements": _field("elements")}, ("Elements",)),
    "ArrayExpression": (("ArrayExpressionAst",) + _EXPR,
                        {"subexpression": _statement_block("statements")}, ("SubExpression",)),
    "SubExpression": (("SubExpressionAst",) + _EXPR,
                      {"subexpression": _statement_block("statements")}, ("SubExpression",)),
    "Paren": (("ParenExpressionAst",) + _EXPR, {"pipeline": _field("statement")}, ("Pipeline",)),
    "Hashtable": (("HashtableAst",) + _EXPR, {"keyvaluepairs": _pairs("pairs", "")}, ("KeyValuePairs",)),
    "ScriptBlockExpr": (("ScriptBlockExpressionAst",) + _EXPR, {"scriptblock": _field("block")},
                        ("ScriptBlock",)),
    "Ternary": (("TernaryExpressionAst",) + _EXPR,
                {"condition": _field("condition"), "iftrue": _field("if_true"),
                 "iffalse": _field("if_false")}, ("Condition", "IfTrue", "IfFalse")),
    "Binary": (("BinaryExpressionAst",) + _EXPR,
               {"left": _field("left"), "right": _field("right"),
                "operator": lambda v, n: _token_kind(n.op)}, ("Left", "Right")),
    "Unary": (("UnaryExpressionAst",) + _EXPR,
              {"child": _field("operand"), "tokenkind": lambda v, n: _UNARY_OPS.get(n.op, n.op)},
              ("Child",)),
    "Convert": (("ConvertExpressionAst", "AttributedExpressionAst") + _EXPR,
                {"type": lambda v, n: _type_constraint(v, n.type_name, n.span), "child": _field("expr")},
                ("Type", "Child")),
    "TypeLiteral": (("TypeExpressionAst",) + _EXPR, {"typename": _type_name}, ()),
    "Member": (("MemberExpressionAst",) + _EXPR,
               {"expression": _field("obj"), "member": _field("member"), "static": _plain("static"),
                "nullconditional": _plain("nullsafe")}, ("Expression", "Member")),
    "InvokeMember": (("InvokeMemberExpressionAst", "MemberExpressionAst") + _EXPR,
                     {"expression": _field("obj"), "member": _field("member"), "static": _plain("static"),
                      "nullconditional": _plain("nullsafe"), "arguments": _field("args"),
                      "generictypearguments": lambda v, n: [TypeNameView(t, Extent(v._source, n.span.start,
                                                                                   n.span.end))
                                                            for t in n.type_args]},
                     ("Expression", "Member", "Arguments")),
    "Index": (("IndexExpressionAst",) + _EXPR,
              {"target": _field("obj"), "index": _field("index"), "nullconditional": _plain("nullsafe")},
              ("Target", "Index")),
}

# kind -> (type and bases, child property names, getters)
_SPECS: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...], Dict[str, Getter]]] = {
    kind: (types, children, getters) for kind, (types, getters, children) in _SPEC_SOURCE.items()}

#: every type name the view gives (for ``-is [...Ast]``: engine/types.py)
TYPE_NAMES = frozenset(name.lower() for types, _, _ in _SPECS.values() for name in types) | {"ast"}


def view_of(tree: Optional[A.ScriptBlockAst], source: str, errors: Optional[List[Any]] = None) -> AstView:
    """The root of the view over a parsed text (``tree`` None: the text did not parse to its end;
    the view is then of an empty script)."""
    if tree is None:
        span = A.Span(0, len(source), 1, 1)
        tree = A.ScriptBlockAst(end=A.NamedBlock("end", span=span), text=source, span=span)
    root = AstView(tree, source, None)
    root._errors = list(errors or [])
    return root
