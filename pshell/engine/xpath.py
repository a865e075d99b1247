"""XPath 1.0 over engine/xmldoc.py's nodes: what SelectNodes, SelectSingleNode and Select-Xml use.

Paths with every axis but namespace::, predicates, unions, the operators, and the core function
library (node-set, string, boolean and number functions).  A prefix in a name test must be given
a namespace URI by the caller (Select-Xml's -Namespace); an unprefixed name matches only nodes in
no namespace, as XPath 1.0 says.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from pshell.engine.xmldoc import (XmlAttribute, XmlCDataSection, XmlComment, XmlDocument,
                                  XmlElement, XmlNode, XmlProcessingInstruction, XmlText,
                                  XmlWhitespace)

__all__ = ["XPathError", "select_nodes", "evaluate", "SelectXmlInfo"]

Value = Union[List[XmlNode], str, float, bool]


class XPathError(ValueError):
    """A malformed expression, or a prefix with no namespace; ``kind`` says which."""

    def __init__(self, message: str, kind: str = "syntax") -> None:
        super().__init__(message)
        self.kind = kind


# =========================================================================== tokens

_TOKEN = re.compile(r"""\s*(?:
    (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<literal>"[^"]*"|'[^']*')
  | (?P<op>//|::|\.\.|!=|<=|>=|[/()\[\]@,|=<>+*$.-])
  | (?P<name>(?:[A-Za-z_][\w.\-]*:)?(?:\*|[A-Za-z_][\w.\-]*))
  )""", re.VERBOSE)

_OPERATOR_NAMES = ("and", "or", "mod", "div")
MAX_TOKENS = 600        # a longer query is refused (evaluation recurses once per operator)
MAX_NESTING = 32        # parentheses, predicates and calls inside each other
_NODE_TYPES = ("node", "text", "comment", "processing-instruction")


def _tokenize(text: str) -> List[Tuple[str, str]]:
    tokens: List[Tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise XPathError(f"'{text}' has an invalid token at position {pos + 1}.")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        if len(tokens) > MAX_TOKENS:
            raise XPathError(f"The XPath expression is longer than {MAX_TOKENS} tokens.")
        pos = match.end()
    return tokens


# =========================================================================== parsing

class _Parser:
    """Recursive descent over XPath 1.0's grammar, to nested tuples evaluated below."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.nesting = 0

    def peek(self, offset: int = 0) -> Tuple[str, str]:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else ("end", "")

    def take(self) -> Tuple[str, str]:
        token = self.peek()
        self.i += 1
        return token

    def expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise XPathError(f"'{self.text}' has an invalid token: '{value}' was expected.")

    def _operator_here(self, value: str) -> bool:
        """'*', 'and', 'div'... are operators only after something that ends an operand."""
        kind, text = self.peek()
        if text != value or self.i == 0:
            return False
        prev_kind, prev = self.tokens[self.i - 1]
        if prev_kind == "op" and prev not in (")", "]", ".", ".."):
            return False
        return kind in ("op", "name")

    def parse(self) -> Any:
        if not self.tokens:
            raise XPathError("The XPath expression is empty.")
        tree = self.or_expr()
        if self.i != len(self.tokens):
            raise XPathError(f"'{self.text}' has an invalid token at '{self.peek()[1]}'.")
        return tree

    def _binary(self, ops: Tuple[str, ...], lower: Callable[[], Any]) -> Any:
        left = lower()
        while any(self._operator_here(op) for op in ops):
            op = self.take()[1]
            left = ("binary", op, left, lower())
        return left

    def or_expr(self) -> Any:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise XPathError(f"The XPath expression nests deeper than {MAX_NESTING} levels.")
        try:
            return self._binary(("or",), self.and_expr)
        finally:
            self.nesting -= 1

    def and_expr(self) -> Any:
        return self._binary(("and",), self.eq_expr)

    def eq_expr(self) -> Any:
        return self._binary(("=", "!="), self.rel_expr)

    def rel_expr(self) -> Any:
        return self._binary(("<", ">", "<=", ">="), self.add_expr)

    def add_expr(self) -> Any:
        return self._binary(("+", "-"), self.mul_expr)

    def mul_expr(self) -> Any:
        return self._binary(("*", "div", "mod"), self.unary_expr)

    def unary_expr(self) -> Any:
        negations = 0
        while self.peek() == ("op", "-"):
            self.take()
            negations += 1
        expr = self.union_expr()
        return ("negate", expr) if negations % 2 else (("number-of", expr) if negations else expr)

    def union_expr(self) -> Any:
        left = self.path_expr()
        while self.peek() == ("op", "|"):
            self.take()
            left = ("union", left, self.path_expr())
        return left

    def path_expr(self) -> Any:
        kind, text = self.peek()
        starts_filter = kind in ("number", "literal") or text in ("(", "$") or (
            kind == "name" and self.peek(1)[1] == "(" and text not in _NODE_TYPES)
        if not starts_filter:
            return self.location_path()
        expr = self.primary()
        while self.peek()[1] == "[":
            expr = ("filter", expr, self.predicate())
        if self.peek()[1] in ("/", "//"):
            steps = self.relative_steps(self.take()[1] == "//")
            return ("path", expr, steps)
        return expr

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            return ("number", float(text))
        if kind == "literal":
            return ("literal", text[1:-1])
        if text == "(":
            inner = self.or_expr()
            self.expect(")")
            return inner
        if text == "$":
            raise XPathError(f"'{self.text}' uses a variable, which is not supported.")
        self.expect("(")
        args: List[Any] = []
        if self.peek()[1] != ")":
            args.append(self.or_expr())
            while self.peek()[1] == ",":
                self.take()
                args.append(self.or_expr())
        self.expect(")")
        if text not in _FUNCTIONS:
            raise XPathError(f"'{self.text}' calls '{text}()', which is not a known function.",
                             "function")
        return ("call", text, args)

    def location_path(self) -> Any:
        text = self.peek()[1]
        if text == "/":
            self.take()
            kind, nxt = self.peek()
            if kind == "end" or nxt in ("|", ")", "]", ",") or (kind == "op" and nxt in (
                    "=", "!=", "<", ">", "<=", ">=", "+", "-")):
                return ("root", [])
            return ("root", self.relative_steps(False))
        if text == "//":
            self.take()
            return ("root", self.relative_steps(True))
        return ("relative", self.relative_steps(False))

    def relative_steps(self, leading_descendant: bool) -> List[Any]:
        steps: List[Any] = []
        if leading_descendant:
            steps.append(("descendant-or-self", ("type", "node"), []))
        steps.append(self.step())
        while self.peek()[1] in ("/", "//"):
            if self.take()[1] == "//":
                steps.append(("descendant-or-self", ("type", "node"), []))
            steps.append(self.step())
        return steps

    def step(self) -> Any:
        kind, text = self.peek()
        if text == ".":
            self.take()
            return ("self", ("type", "node"), [])
        if text == "..":
            self.take()
            return ("parent", ("type", "node"), [])
        axis = "child"
        if text == "@":
            self.take()
            axis = "attribute"
        elif kind == "name" and self.peek(1)[1] == "::":
            axis = text
            if axis not in _AXES:
                raise XPathError(f"'{self.text}' names an unknown axis '{axis}'.")
            self.take()
            self.take()
        test = self.node_test()
        predicates = []
        while self.peek()[1] == "[":
            predicates.append(self.predicate())
        return (axis, test, predicates)

    def node_test(self) -> Any:
        kind, text = self.take()
        if kind == "op" and text == "*":
            return ("name", None, "*")
        if kind != "name":
            raise XPathError(f"'{self.text}' has an invalid token at '{text}'.")
        if text in _NODE_TYPES and self.peek()[1] == "(":
            self.take()
            if self.peek()[0] == "literal":
                self.take()
            self.expect(")")
            return ("type", text)
        prefix, _, local = text.rpartition(":")
        return ("name", prefix or None, local)

    def predicate(self) -> Any:
        self.expect("[")
        expr = self.or_expr()
        self.expect("]")
        return expr


# =========================================================================== evaluation

class _Context:
    def __init__(self, namespaces: Dict[str, str]) -> None:
        self.namespaces = namespaces
        self._order: Optional[Dict[int, int]] = None
        self._root: Optional[XmlNode] = None

    def sort(self, nodes: List[XmlNode]) -> List[XmlNode]:
        unique = list({id(n): n for n in nodes}.values())
        if len(unique) < 2:
            return unique
        if self._order is None:
            self._order = {}
            root = _root_of(unique[0])
            for position, node in enumerate(_all_nodes(root)):
                self._order[id(node)] = position
        order = self._order
        return sorted(unique, key=lambda n: order.get(id(n), -1))


def _root_of(node: XmlNode) -> XmlNode:
    while node._parent is not None:
        node = node._parent
    return node


def _all_nodes(root: XmlNode) -> List[XmlNode]:
    out: List[XmlNode] = []
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        out.extend(getattr(node, "_attributes", ()))
        stack.extend(reversed(node._children))
    return out


def _axis(node: XmlNode, axis: str) -> List[XmlNode]:
    """The nodes on an axis, in the axis's own order (reverse axes nearest first)."""
    if axis == "child":
        return list(node._children)
    if axis == "attribute":
        return [a for a in getattr(node, "_attributes", ())
                if a.Name != "xmlns" and not a.Name.startswith("xmlns:")]
    if axis == "self":
        return [node]
    if axis == "parent":
        return [node._parent] if node._parent is not None else []
    if axis in ("descendant", "descendant-or-self"):
        return ([node] if axis == "descendant-or-self" else []) + list(node.descendants())
    if axis in ("ancestor", "ancestor-or-self"):
        out = [node] if axis == "ancestor-or-self" else []
        up = node._parent
        while up is not None:
            out.append(up)
            up = up._parent
        return out
    if axis in ("following-sibling", "preceding-sibling"):
        if node._parent is None or isinstance(node, XmlAttribute):
            return []
        siblings = node._parent._children
        at = next(i for i, n in enumerate(siblings) if n is node)
        return siblings[at + 1:] if axis == "following-sibling" else siblings[:at][::-1]
    if axis in ("following", "preceding"):
        everything = [n for n in _all_nodes(_root_of(node)) if not isinstance(n, XmlAttribute)]
        ancestors = {id(a) for a in _axis(node, "ancestor")}
        anchor = node._parent if isinstance(node, XmlAttribute) else node
        at = next(i for i, n in enumerate(everything) if n is anchor)
        if axis == "preceding":
            return [n for n in everything[:at] if id(n) not in ancestors][::-1]
        inside = {id(d) for d in anchor.descendants()} if anchor is not None else set()
        return [n for n in everything[at + 1:] if id(n) not in inside]
    raise XPathError(f"The axis '{axis}' is not supported.")


_AXES = ("child", "attribute", "self", "parent", "descendant", "descendant-or-self", "ancestor",
         "ancestor-or-self", "following-sibling", "preceding-sibling", "following", "preceding")


def _matches(node: XmlNode, test: Any, axis: str, ctx: _Context) -> bool:
    if test[0] == "type":
        kind = test[1]
        if kind == "node":
            return True
        if kind == "text":
            return isinstance(node, (XmlText, XmlCDataSection, XmlWhitespace))
        if kind == "comment":
            return isinstance(node, XmlComment)
        return isinstance(node, XmlProcessingInstruction)
    principal = XmlAttribute if axis == "attribute" else XmlElement
    if not isinstance(node, principal):
        return False
    _, prefix, local = test
    if prefix is None:
        return local == "*" or (node.LocalName == local and node.NamespaceURI == ""
                                and node.Prefix == "")
    if prefix not in ctx.namespaces:
        raise XPathError(f"The prefix '{prefix}' has no namespace: give it one.", "prefix")
    uri = ctx.namespaces[prefix]
    return node.NamespaceURI == uri and (local == "*" or node.LocalName == local)


def _step(nodes: List[XmlNode], step: Any, ctx: _Context) -> List[XmlNode]:
    axis, test, predicates = step
    out: List[XmlNode] = []
    for node in nodes:
        found = [n for n in _axis(node, axis) if _matches(n, test, axis, ctx)]
        for predicate in predicates:
            found = _filter(found, predicate, ctx)
        out.extend(found)
    return ctx.sort(out)


def _filter(nodes: List[XmlNode], predicate: Any, ctx: _Context) -> List[XmlNode]:
    kept = []
    size = len(nodes)
    for position, node in enumerate(nodes, 1):
        value = _eval(predicate, node, position, size, ctx)
        if isinstance(value, float) and not isinstance(value, bool):
            if value == position:
                kept.append(node)
        elif _boolean(value):
            kept.append(node)
    return kept


def _eval(tree: Any, node: XmlNode, position: int, size: int, ctx: _Context) -> Value:
    kind = tree[0]
    if kind == "number":
        return float(tree[1])
    if kind == "literal":
        return str(tree[1])
    if kind == "root":
        nodes: List[XmlNode] = [_root_of(node)]
        for step in tree[1]:
            nodes = _step(nodes, step, ctx)
        return nodes
    if kind == "relative":
        nodes = [node]
        for step in tree[1]:
            nodes = _step(nodes, step, ctx)
        return nodes
    if kind == "path":
        start = _eval(tree[1], node, position, size, ctx)
        if not isinstance(start, list):
            raise XPathError("A path can only continue from a node-set.")
        nodes = start
        for step in tree[2]:
            nodes = _step(nodes, step, ctx)
        return nodes
    if kind == "filter":
        base = _eval(tree[1], node, position, size, ctx)
        if not isinstance(base, list):
            raise XPathError("Only a node-set can be filtered with [...].")
        return _filter(base, tree[2], ctx)
    if kind == "union":
        left = _eval(tree[1], node, position, size, ctx)
        right = _eval(tree[2], node, position, size, ctx)
        if not isinstance(left, list) or not isinstance(right, list):
            raise XPathError("The operands of '|' must be node-sets.")
        return ctx.sort(left + right)
    if kind == "negate":
        return -_number(_eval(tree[1], node, position, size, ctx))
    if kind == "number-of":
        return _number(_eval(tree[1], node, position, size, ctx))
    if kind == "call":
        args = [_eval(a, node, position, size, ctx) for a in tree[2]]
        return _FUNCTIONS[tree[1]](args, node, position, size)
    op, left_tree, right_tree = tree[1], tree[2], tree[3]
    if op == "and":
        return (_boolean(_eval(left_tree, node, position, size, ctx))
                and _boolean(_eval(right_tree, node, position, size, ctx)))
    if op == "or":
        return (_boolean(_eval(left_tree, node, position, size, ctx))
                or _boolean(_eval(right_tree, node, position, size, ctx)))
    left = _eval(left_tree, node, position, size, ctx)
    right = _eval(right_tree, node, position, size, ctx)
    if op in ("=", "!=", "<", ">", "<=", ">="):
        return _compare(op, left, right)
    a, b = _number(left), _number(right)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "div":
        return a / b if b else (math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * (
            -1 if math.copysign(1, b) < 0 else 1))
    return math.fmod(a, b) if b else math.nan


# --------------------------------------------------------------------------- conversions

def string_value(node: XmlNode) -> str:
    if isinstance(node, (XmlDocument, XmlElement)):
        return "".join(n.Data for n in node.descendants()   # type: ignore[attr-defined]
                       if isinstance(n, (XmlText, XmlCDataSection, XmlWhitespace)))
    return node.Value or ""


def _string(value: Value) -> str:
    if isinstance(value, list):
        return string_value(value[0]) if value else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value == int(value) else repr(value)
    return value


def _number(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    text = _string(value).strip()
    try:
        return float(text) if re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)", text) else math.nan
    except ValueError:
        return math.nan


def _boolean(value: Value) -> bool:
    if isinstance(value, list):
        return bool(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    return bool(value)


def _compare(op: str, left: Value, right: Value) -> bool:
    if isinstance(left, list) or isinstance(right, list):
        if isinstance(left, list) and isinstance(right, list):
            return any(_compare(op, string_value(a), string_value(b)) for a in left for b in right)
        if isinstance(left, list):
            return any(_compare(op, _atom(a, right), right) for a in left) \
                if not isinstance(right, bool) else _compare(op, bool(left), right)
        assert isinstance(right, list)
        return any(_compare(op, left, _atom(b, left)) for b in right) \
            if not isinstance(left, bool) else _compare(op, left, bool(right))
    if op in ("=", "!="):
        if isinstance(left, bool) or isinstance(right, bool):
            same = _boolean(left) == _boolean(right)
        elif isinstance(left, float) or isinstance(right, float):
            same = _number(left) == _number(right)
        else:
            same = left == right
        return same if op == "=" else not same
    a, b = _number(left), _number(right)
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def _atom(node: XmlNode, other: Value) -> Value:
    text = string_value(node)
    return _number(text) if isinstance(other, float) else text


# --------------------------------------------------------------------------- functions

def _nodes_arg(args: List[Value], node: XmlNode, name: str) -> List[XmlNode]:
    if not args:
        return [node]
    if not isinstance(args[0], list):
        raise XPathError(f"The argument of {name}() must be a node-set.")
    return args[0]


def _name_of(args: List[Value], node: XmlNode, name: str, part: Callable[[XmlNode], str]) -> str:
    nodes = _nodes_arg(args, node, name)
    if not nodes or not isinstance(nodes[0], (XmlElement, XmlAttribute, XmlProcessingInstruction)):
        return ""
    return part(nodes[0])


def _substring(args: List[Value]) -> str:
    text = _string(args[0])
    start = _round(_number(args[1]))
    end = start + _round(_number(args[2])) if len(args) > 2 else math.inf
    if math.isnan(start) or math.isnan(end):
        return ""
    return "".join(ch for i, ch in enumerate(text, 1) if start <= i < end)


def _round(value: float) -> float:
    if math.isnan(value) or math.isinf(value):
        return value
    return float(math.floor(value + 0.5))


def _translate(args: List[Value]) -> str:
    text, source, target = (_string(a) for a in args[:3])
    table: Dict[str, Optional[str]] = {}
    for i, ch in enumerate(source):
        table.setdefault(ch, target[i] if i < len(target) else None)
    return "".join(table.get(ch, ch) or "" for ch in text if table.get(ch, ch) is not None)


def _count_args(name: str, low: int, high: int, fn: Callable[..., Value]) -> Callable[..., Value]:
    def checked(args: List[Value], node: XmlNode, position: int, size: int) -> Value:
        if not low <= len(args) <= high:
            raise XPathError(f"The function {name}() was given {len(args)} argument(s).")
        return fn(args, node, position, size)
    return checked


_FUNCTIONS: Dict[str, Callable[[List[Value], XmlNode, int, int], Value]] = {
    name: _count_args(name, low, high, fn) for name, low, high, fn in (
        ("last", 0, 0, lambda a, n, p, s: float(s)),
        ("position", 0, 0, lambda a, n, p, s: float(p)),
        ("count", 1, 1, lambda a, n, p, s: float(len(_nodes_arg(a, n, "count")))),
        ("local-name", 0, 1, lambda a, n, p, s: _name_of(a, n, "local-name", lambda x: x.LocalName)),
        ("namespace-uri", 0, 1, lambda a, n, p, s: _name_of(a, n, "namespace-uri",
                                                           lambda x: x.NamespaceURI)),
        ("name", 0, 1, lambda a, n, p, s: _name_of(a, n, "name", lambda x: x.Name)),
        ("string", 0, 1, lambda a, n, p, s: _string(a[0]) if a else string_value(n)),
        ("concat", 2, 1 << 16, lambda a, n, p, s: "".join(_string(v) for v in a)),
        ("starts-with", 2, 2, lambda a, n, p, s: _string(a[0]).startswith(_string(a[1]))),
        ("contains", 2, 2, lambda a, n, p, s: _string(a[1]) in _string(a[0])),
        ("substring-before", 2, 2, lambda a, n, p, s: _string(a[0]).partition(_string(a[1]))[0]
         if _string(a[1]) in _string(a[0]) else ""),
        ("substring-after", 2, 2, lambda a, n, p, s: _string(a[0]).partition(_string(a[1]))[2]
         if _string(a[1]) in _string(a[0]) else ""),
        ("substring", 2, 3, lambda a, n, p, s: _substring(a)),
        ("string-length", 0, 1, lambda a, n, p, s: float(len(_string(a[0]) if a else
                                                            string_value(n)))),
        ("normalize-space", 0, 1, lambda a, n, p, s: " ".join(
            (_string(a[0]) if a else string_value(n)).split())),
        ("translate", 3, 3, lambda a, n, p, s: _translate(a)),
        ("boolean", 1, 1, lambda a, n, p, s: _boolean(a[0])),
        ("not", 1, 1, lambda a, n, p, s: not _boolean(a[0])),
        ("true", 0, 0, lambda a, n, p, s: True),
        ("false", 0, 0, lambda a, n, p, s: False),
        ("number", 0, 1, lambda a, n, p, s: _number(a[0]) if a else _number(string_value(n))),
        ("sum", 1, 1, lambda a, n, p, s: float(sum(_number(string_value(x))
                                                  for x in _nodes_arg(a, n, "sum")))),
        ("floor", 1, 1, lambda a, n, p, s: float(math.floor(_number(a[0])))
         if math.isfinite(_number(a[0])) else _number(a[0])),
        ("ceiling", 1, 1, lambda a, n, p, s: float(math.ceil(_number(a[0])))
         if math.isfinite(_number(a[0])) else _number(a[0])),
        ("round", 1, 1, lambda a, n, p, s: _round(_number(a[0]))),
    )
}


# =========================================================================== entry points

_CACHE: Dict[str, Any] = {}


def compile_xpath(text: str) -> Any:
    tree = _CACHE.get(text)
    if tree is None:
        tree = _Parser(text).parse()
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[text] = tree
    return tree


def evaluate(node: XmlNode, text: str, namespaces: Optional[Dict[str, str]] = None) -> Value:
    return _eval(compile_xpath(text), node, 1, 1, _Context(namespaces or {}))


def select_nodes(node: XmlNode, text: str, namespaces: Optional[Dict[str, str]] = None
                 ) -> List[XmlNode]:
    value = evaluate(node, text, namespaces)
    if not isinstance(value, list):
        raise XPathError(f"'{text}' does not select nodes (it gives a {type(value).__name__}).",
                         "not-nodes")
    return value


class SelectXmlInfo:
    """One node Select-Xml found, with where it came from (a file's path, or 'InputStream')."""

    ps_type_names = ("Microsoft.PowerShell.Commands.SelectXmlInfo",)
    ps_properties = ("Node", "Path", "Pattern")

    def __init__(self, node: XmlNode, path: str, pattern: str) -> None:
        self.Node = node
        self.Path = path
        self.Pattern = pattern

    def ToString(self) -> str:
        node = self.Node
        text = node.Value if isinstance(node, (XmlText, XmlCDataSection, XmlWhitespace,
                                               XmlAttribute)) else node.InnerXml
        return text if self.Path == "InputStream" else f"{text}:{self.Path}"
