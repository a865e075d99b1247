"""Recursive-descent parser for pshell's PowerShell subset.

``parse(text, source)`` returns a :class:`~pshell.lang.ast.ScriptBlockAst` or raises
:class:`~pshell.lang.errors.ParseError` (``incomplete=True`` when more input could complete the
script: the REPL and stdin reader use that to ask for another line).  No other exception escapes.

The parser pulls tokens from the modal :class:`~pshell.lang.lexer.Lexer`, asking for expression
mode (``'E'``) or command mode (``'C'``) as PowerShell does.  Every consumed token is recorded with
its display class in :attr:`Parser.records` (used by ``tokenize_for_display``).

Representation notes for the compiler:
- ``--`` in a command's arguments ends parameter parsing; it is kept as
  ``CommandParameter(name='-')`` (cmdlets should drop it, native commands receive ``--``).
- Pipeline chain operators ``&&`` / ``||`` join pipelines (A.PipelineChain); ``a && b &``
  runs the whole chain in the background (``a & && b`` is an error).
- A negative number literal (``-1`` directly followed by digits) is folded into a Constant.
- Binary operator precedence (high to low): ``..``, ``-f``, ``* / %``, ``+ -``,
  ``-band -bor -bxor -shl -shr``, comparisons, ``-and -or -xor``, then ``??`` and the ternary
  ``c ? a : b`` (A.Ternary), both grouping to the right; the comma, unary operators and casts
  bind tighter than ``..``.  ``??=`` is an assignment operator.
"""

from __future__ import annotations

import sys
from pshell.lang.ast import replace
from typing import Any, Dict, List, Optional, Tuple

from . import ast as A
from .errors import ParseError, SourceLocation
from .checks import automatic_constraint_problem
from .recovery import Recovery, TooManyErrors, too_many
from .lexer import (BINARY_PRECEDENCE, DOUBLE_QUOTES, SINGLE_QUOTES, UNARY_DASH_OPERATORS, Lexer,
                    Token, is_name_char, is_word_end, number_value, scan_number)

__all__ = ["parse", "Parser", "MAX_DEPTH"]

# Nesting guard, in "depth units": a statement, a unary expression and each bracketed construct
# count one, so about 200 levels of nested parentheses / braces / subexpressions are accepted.
MAX_DEPTH = 600

_ASSIGN_OPS = frozenset(("=", "+=", "-=", "*=", "/=", "%=", "??="))
# Tokens that end a command (and its arguments).
_CMD_END = frozenset(("newline", ";", "|", "||", "&", "&&", ")", "}", "eof"))
# Tokens that can start an operand of a unary operator / a binary operator's right side.
_OPERAND_START = frozenset(("num", "str", "dstr", "var", "$(", "@(", "@{", "(", "{", "[", "-", "+",
                            "!", "++", "--", ","))
_PRIMARY_START = frozenset(("num", "str", "dstr", "var", "$(", "@(", "@{", "(", "["))
_SWITCH_FLAGS = ("regex", "wildcard", "exact", "casesensitive", "file", "parallel")
_LOOP_KEYWORDS = frozenset(("while", "do", "for", "foreach", "switch"))
_NAMED_BLOCKS = ("begin", "process", "end", "clean", "dynamicparam")
_NEEDS_SEPARATOR = (A.Pipeline, A.Assignment, A.Return, A.Exit, A.Throw, A.Break, A.Continue)



def _ends_with_background(stmt: A.Statement) -> bool:
    """``cmd &`` (also ``$j = cmd &``) ends its statement: another may follow on the line."""
    while isinstance(stmt, A.Assignment):
        stmt = stmt.value
    return isinstance(stmt, A.Pipeline) and stmt.background


_QUOTES = SINGLE_QUOTES + DOUBLE_QUOTES
_MISSING_BRACE = "Missing closing '}' in statement block or type definition."


def parse(text: str, source: str = "<stdin>") -> A.ScriptBlockAst:
    """Parse a whole script.  Raises :class:`ParseError` (and nothing else) on bad input."""
    parser = Parser(text, source)
    old_limit = sys.getrecursionlimit()
    raised = False
    try:
        if old_limit < 6000:
            sys.setrecursionlimit(6000)
            raised = True
        return parser.parse_script()
    except ParseError:
        raise
    except RecursionError:
        parser.recovery.finish(ParseError("The script is nested too deeply to be parsed.",
                                          SourceLocation(source, text, parser.pos)))
        raise AssertionError("unreachable") from None       # pragma: no cover
    except Exception as e:                                  # a parser bug: still a ParseError
        parser.recovery.finish(ParseError(f"Internal parser error: {type(e).__name__}: {e}",
                                          SourceLocation(source, text, parser.pos)))
        raise AssertionError("unreachable") from None       # pragma: no cover
    finally:
        if raised and sys.getrecursionlimit() == 6000:
            sys.setrecursionlimit(old_limit)


def _lone_expr(stmt: A.Statement) -> Optional[A.Expr]:
    """The expression of a statement that is just one (no command, pipe or redirection)."""
    if isinstance(stmt, A.Pipeline) and not stmt.background and len(stmt.elements) == 1:
        element = stmt.elements[0]
        if isinstance(element, A.CommandExpression) and not element.redirections:
            return element.expr
    return None


def _assignable(e: A.Expr, op: str) -> bool:
    if isinstance(e, A.Variable):
        return not e.splatted
    if isinstance(e, (A.Member, A.Index)):
        return True
    if isinstance(e, A.Convert):
        return _assignable(e.expr, op)
    if isinstance(e, A.ArrayLiteral) and op == "=":
        return all(_assignable(x, op) for x in e.elements)
    if isinstance(e, A.Paren) and op == "=":        # ($a, $b) = 1, 2
        inner = _lone_expr(e.statement)
        return inner is not None and _assignable(inner, op)
    return False


class Parser:
    def __init__(self, text: str, source: str = "<stdin>") -> None:
        self.text = text
        self.n = len(text)
        self.source = source
        self.lx = Lexer(text, source)
        self.lx.hook = self._string_subexpression
        self.pos = 0
        self.depth = 0
        self.records: List[Tuple[int, int, str]] = []
        self._clean: Optional[A.NamedBlock] = None         # the last body's clean block
        self._dynamicparam: Optional[A.NamedBlock] = None  # ... and its dynamicparam block
        self.recovery = Recovery()                         # errors so far (see lang/recovery.py)
        self.jumps: List[str] = []                          # innermost last: loop, finally, block

    # ------------------------------------------------------------------ plumbing

    def peek(self, mode: str = "E") -> Token:
        return self.lx.token(self.pos, mode)

    def take(self, tok: Token, kind: Optional[str] = None) -> Token:
        self.pos = tok.end
        if kind is not None and tok.end > tok.start:
            self.records.append((tok.start, tok.end, kind))
        if tok.inner:
            self.records.extend(tok.inner)
        return tok

    def span(self, start: int, end: int) -> A.Span:
        return self.lx.span(start, end)

    def fail(self, message: str, tok: Optional[Token] = None, start: int = 0,
             end: Optional[int] = None, incomplete: Optional[bool] = None,
             error_id: Optional[str] = None) -> ParseError:
        if tok is not None:
            start, end = tok.start, tok.end
            if incomplete is None:
                incomplete = tok.kind == "eof"
        return ParseError(message, SourceLocation(self.source, self.text, start, end),
                          incomplete=bool(incomplete), error_id=error_id)

    def describe(self, tok: Token) -> str:
        if tok.kind == "eof":
            return "end of input"
        if tok.kind == "newline":
            return "newline"
        return self.text[tok.start:tok.end]

    def unexpected(self, tok: Token, where: str = "in expression or statement") -> ParseError:
        if tok.kind == "bad" and tok.value:
            return self.fail(tok.value, tok)
        if tok.kind == "eof":
            return self.fail("Unexpected end of input.", tok)
        return self.fail(f"Unexpected token '{self.describe(tok)}' {where}.", tok)

    def enter(self, units: int = 1) -> None:
        self.depth += units
        if self.depth > MAX_DEPTH:
            raise self.fail("The script is nested too deeply to be parsed (about 200 levels of "
                            "nested brackets are allowed).",
                            start=self.pos, end=self.pos + 1, incomplete=False)

    def skip_newlines(self) -> Token:
        while True:
            tok = self.peek("E")
            if tok.kind != "newline":
                return tok
            self.take(tok)

    def inside_braces(self, open_tok: Token, construct: str) -> Tuple[Token, bool]:
        """The next token of a ``{ ... }`` body that ``open_tok`` opened, separators skipped, and
        whether it is the closing brace (then taken).  The end of input there is incomplete
        input: "Missing closing '}' in <construct>"."""
        t = self.skip_separators()
        if t.kind == "}":
            return self.take(t, "punctuation"), True
        if t.kind == "eof":
            raise self.fail(f"Missing closing '}}' in {construct}.", start=open_tok.start,
                            end=open_tok.end, incomplete=True)
        return t, False

    def skip_separators(self) -> Token:
        while True:
            tok = self.peek("C")
            if tok.kind == "newline":
                self.take(tok)
            elif tok.kind == ";":
                self.take(tok, "punctuation")
            else:
                return tok

    def expect(self, kind: str, message: str, mode: str = "E",
               display: str = "punctuation") -> Token:
        tok = self.peek(mode)
        if tok.kind != kind:
            raise self.fail(message, tok)
        return self.take(tok, display)

    def is_word(self, tok: Token, *words: str) -> bool:
        return tok.kind == "word" and tok.plain is not None and tok.plain.lower() in words

    @staticmethod
    def keyword(tok: Token) -> str:
        """The lower-cased text of a keyword token (a plain word: see :meth:`is_word`)."""
        assert tok.plain is not None
        return tok.plain.lower()

    # ------------------------------------------------------------------ script blocks

    def parse_script(self) -> A.ScriptBlockAst:
        """The whole text.  Raises the first ParseError (its ``errors``: all of them)."""
        try:
            pb, begin, process, end, _ = self.parse_script_body(None, 0)
        except TooManyErrors:
            self.recovery.finish(too_many(self))
            raise AssertionError("unreachable") from None   # pragma: no cover
        except ParseError as exc:
            self.recovery.finish(exc)
            raise
        root = A.ScriptBlockAst(pb, begin, process, end, self.text, self.source, self._clean,
                                span=self.span(0, self.n), dynamicparam=self._dynamicparam)
        try:
            self.recovery.finish()
        except ParseError as exc:
            exc.tree = root           # what was parsed around the errors ([Parser]::ParseInput's)
            raise
        tok = self.peek("C")
        if tok.kind != "eof":                               # pragma: no cover - defensive
            raise self.unexpected(tok)
        from .requires import read_requires
        requirements = read_requires(self.text, self.lx.comments, self.source)
        if requirements is not None:
            object.__setattr__(root, "requires", requirements)     # read by compiler.requirements_of
        return root

    def parse_script_body(self, closer: Optional[str], open_start: int):
        """The inside of a script block: optional ``param()`` (with attributes), then named
        blocks or statements.  Returns ``(param_block, begin, process, end, unnamed)``."""
        tok = self.skip_separators()
        pb = None
        if tok.kind == "word" and self.text[tok.start] == "[":
            pb = self.try_attributed_param_block()
            if pb is not None:
                tok = self.skip_separators()
        elif self.is_word(tok, "param"):
            pb = self.parse_param_block(tok, (), tok.start)
            tok = self.skip_separators()
        self._clean = self._dynamicparam = None
        if self.is_word(tok, *_NAMED_BLOCKS) and self._named_block_follows(tok):
            blocks = self.parse_named_blocks(closer, open_start)
            self._clean = blocks.get("clean")               # read by the caller at once
            self._dynamicparam = blocks.get("dynamicparam")
            return pb, blocks.get("begin"), blocks.get("process"), blocks.get("end"), False
        first = tok.start
        stmts = self.parse_statements(closer, open_start, _MISSING_BRACE)
        self._clean = self._dynamicparam = None             # (nested blocks may have set it)
        if stmts:
            span = self.span(stmts[0].span.start, stmts[-1].span.end)
        else:
            span = self.span(first, first)
        return pb, None, None, A.NamedBlock("end", tuple(stmts), span=span), True

    def _named_block_follows(self, tok: Token) -> bool:
        t = self.lx.token(tok.end, "E")
        while t.kind == "newline":
            t = self.lx.token(t.end, "E")
        return t.kind == "{"

    def parse_named_blocks(self, closer: Optional[str], open_start: int) -> Dict[str, A.NamedBlock]:
        blocks: Dict[str, A.NamedBlock] = {}
        while True:
            tok = self.skip_separators()
            if tok.kind == "eof":
                if closer is None:
                    return blocks
                raise self.fail(_MISSING_BRACE, start=open_start, end=open_start + 1,
                                incomplete=True)
            if tok.kind == closer:
                return blocks
            if not self.is_word(tok, *_NAMED_BLOCKS):
                raise self.fail(f"Unexpected token '{self.describe(tok)}': a script block that "
                                "uses begin/process/end/clean blocks cannot contain other statements.",
                                tok)
            kind = self.keyword(tok)
            if kind in blocks:
                raise self.fail(f"Script command clause '{kind}' has already been defined.", tok)
            self.take(tok, "keyword")
            self.skip_newlines()
            body = self.parse_statement_block(f"Missing statement block after '{kind}'.")
            blocks[kind] = A.NamedBlock(kind, body.statements,
                                        span=self.span(tok.start, body.span.end))

    def try_attributed_param_block(self) -> Optional[A.ParamBlock]:
        """``[CmdletBinding()] [OutputType(...)] param(...)`` at the start of a script body."""
        save_pos, save_rec = self.pos, len(self.records)
        start = self.pos
        attrs: List[A.AttributeAst] = []
        try:
            while True:
                tok = self.peek("E")
                if tok.kind != "[":
                    break
                start = tok.start if not attrs else start
                with self.recovery.suspended():
                    kind, value = self.parse_attribute_or_type()
                if kind != "attr":
                    raise self.fail("not an attribute", tok)
                attrs.append(value)
                self.skip_newlines()
        except ParseError as e:
            if e.incomplete:
                raise
            self.pos = save_pos
            del self.records[save_rec:]
            return None
        tok = self.peek("C")
        if attrs and self.is_word(tok, "param"):
            return self.parse_param_block(tok, tuple(attrs), attrs[0].span.start - 1)
        if attrs and tok.kind == "eof":
            raise self.fail(f"Unexpected attribute '{attrs[-1].name}'.", tok)
        self.pos = save_pos
        del self.records[save_rec:]
        return None

    def parse_param_block(self, tok: Token, attrs: Tuple[A.AttributeAst, ...],
                          start: int) -> A.ParamBlock:
        self.take(tok, "keyword")
        self.skip_newlines()
        self.expect("(", "Missing '(' after 'param'.")
        params = self.parse_parameter_list()
        close = self.expect(")", "Missing ')' in function parameter list.")
        return A.ParamBlock(tuple(params), attrs, span=self.span(max(start, 0), close.end))

    def parse_parameter_list(self) -> List[A.ParameterAst]:
        params: List[A.ParameterAst] = []
        tok = self.skip_newlines()
        if tok.kind == ")":
            return params
        while True:
            params.append(self.parse_parameter())
            tok = self.skip_newlines()
            if tok.kind == ",":
                self.take(tok, "punctuation")
                continue
            if tok.kind == ")":
                return params
            raise self.fail("Missing ')' in function parameter list.", tok)

    def parse_parameter(self) -> A.ParameterAst:
        attrs: List[A.AttributeAst] = []
        type_name = None
        tok = self.skip_newlines()
        start = tok.start
        while tok.kind == "[":
            kind, value = self.parse_attribute_or_type()
            if kind == "attr":
                attrs.append(value)
            else:
                type_name = value
            tok = self.skip_newlines()
        if tok.kind != "var":
            raise self.fail("Missing variable name in parameter declaration: parameters are a "
                            "comma-separated list of variables with optional default values.", tok)
        self.take(tok, "variable")
        end = tok.end
        default = None
        t = self.peek("E")
        if t.kind == "=":
            self.take(t, "operator")
            t = self.skip_newlines()
            if t.kind not in _OPERAND_START and not self._unary_op(t):
                raise self.fail("Missing default value after '=' in parameter declaration.", t)
            default = self.parse_expression(comma=False)
            end = default.span.end
        return A.ParameterAst(tok.value.name, type_name, default, tuple(attrs),
                              span=self.span(start, end))

    def parse_attribute_or_type(self) -> Tuple[str, Any]:
        """At ``[``: an attribute ``[Name(args)]`` -> ('attr', AttributeAst) or a type constraint
        ``[type]`` -> ('type', name)."""
        tok = self.peek("E")
        start = tok.start
        name, ns, ne, nxt, is_attr = self.lx.scan_type_name(start)
        self.records.append((start, start + 1, "punctuation"))
        self.records.append((ns, ne, "type"))
        if not is_attr:
            self.records.append((nxt - 1, nxt, "punctuation"))
            self.pos = nxt
            return "type", name
        self.pos = nxt
        self.take(self.peek("E"), "punctuation")            # '('
        positional: List[A.Expr] = []
        named: List[Tuple[str, Optional[A.Expr]]] = []
        tok = self.skip_newlines()
        if tok.kind == ")":
            self.take(tok, "punctuation")
        else:
            while True:
                tok = self.skip_newlines()
                if tok.kind == "ident":
                    after = self.lx.token(tok.end, "E")
                    if after.kind == "=":
                        self.take(tok, "member")
                        self.take(after, "operator")
                        t = self.skip_newlines()
                        if t.kind not in _OPERAND_START and not self._unary_op(t):
                            raise self.fail(f"Missing value after '=' for attribute argument "
                                            f"'{tok.value}'.", t)
                        named.append((tok.value, self.parse_expression(comma=False)))
                    elif after.kind in (",", ")", "newline"):
                        self.take(tok, "member")
                        named.append((tok.value, None))
                    else:
                        raise self.unexpected(after, "in attribute argument list")
                elif tok.kind in _OPERAND_START or self._unary_op(tok):
                    positional.append(self.parse_expression(comma=False))
                else:
                    raise self.fail("Missing ')' in attribute argument list.", tok)
                tok = self.skip_newlines()
                if tok.kind == ",":
                    self.take(tok, "punctuation")
                    continue
                if tok.kind == ")":
                    self.take(tok, "punctuation")
                    break
                raise self.fail("Missing ')' in attribute argument list.", tok)
        close = self.expect("]", "Missing ']' after attribute.")
        return "attr", A.AttributeAst(name, tuple(positional), tuple(named),
                                      span=self.span(start, close.end))

    def parse_script_block_expr(self) -> A.ScriptBlockExpr:
        sb = self.parse_script_block()
        return A.ScriptBlockExpr(sb, span=sb.span)

    def parse_script_block(self, is_filter: bool = False) -> A.ScriptBlockAst:
        """At ``{``: a script block literal / function body."""
        self.enter()
        self.jumps.append("block")
        try:
            open_tok = self.take(self.peek("E"), "punctuation")
            pb, begin, process, end, unnamed = self.parse_script_body("}", open_tok.start)
            clean, dynamicparam = self._clean, self._dynamicparam
            close = self.expect("}", _MISSING_BRACE)
            if is_filter and unnamed:
                process, end = (A.NamedBlock("process", end.statements, span=end.span)
                                if end is not None else None), None
            return A.ScriptBlockAst(pb, begin, process, end,
                                    self.text[open_tok.end:close.start], self.source, clean,
                                    span=self.span(open_tok.start, close.end),
                                    dynamicparam=dynamicparam)
        finally:
            self.depth -= 1
            self.jumps.pop()

    def parse_statement_block(self, message: str, jump: Optional[str] = None) -> A.StatementBlock:
        """``{ statements }``; ``jump`` (loop / finally) is what break and continue inside it
        would leave."""
        tok = self.peek("E")
        if tok.kind != "{":
            raise self.fail(message, tok)
        self.enter()
        if jump is not None:
            self.jumps.append(jump)
        try:
            self.take(tok, "punctuation")
            stmts = self.parse_statements("}", tok.start, _MISSING_BRACE)
            close = self.take(self.peek("E"), "punctuation")
            return A.StatementBlock(tuple(stmts), span=self.span(tok.start, close.end))
        finally:
            self.depth -= 1
            if jump is not None:
                self.jumps.pop()

    def parse_statements(self, closer: Optional[str], open_start: int,
                         missing: str) -> List[A.Statement]:
        """Statements separated by newlines / ``;`` up to ``closer`` (not consumed) or EOF."""
        stmts: List[A.Statement] = []
        while True:
            tok = self.skip_separators()
            if tok.kind == "eof":
                if closer is None:
                    return stmts
                raise self.fail(missing, start=open_start, end=open_start + 1, incomplete=True)
            if tok.kind == closer:
                return stmts
            start = tok.start
            try:
                if tok.kind in (")", "}"):
                    raise self.unexpected(tok)
                stmt = self.parse_statement()
                stmts.append(stmt)
                if isinstance(stmt, _NEEDS_SEPARATOR) and not _ends_with_background(stmt):
                    tok = self.peek("E")
                    if tok.kind not in ("newline", ";", "eof", ")", "}"):
                        raise self.unexpected(tok)
            except ParseError as exc:
                if not self.recovery.active:
                    raise
                self.recovery.resume(self, exc, start, closer)

    # ------------------------------------------------------------------ statements

    def parse_statement(self) -> A.Statement:
        self.enter()
        try:
            tok = self.peek("C")
            if tok.start < self.n and self.text[tok.start] == "[":
                stmt = self.try_attributed_definition()
                if stmt is not None:
                    return stmt
            if tok.kind == "word" and tok.plain is not None:
                word = tok.plain.lower()
                handler = _KEYWORD_HANDLERS.get(word)
                if handler is not None:
                    return handler(self, tok, None)
                if word.startswith(":") and len(word) > 1:
                    stmt = self.try_labeled(tok, tok.plain[1:])
                    if stmt is not None:
                        return stmt
            return self.parse_pipeline_statement()
        finally:
            self.depth -= 1

    def try_labeled(self, tok: Token, label: str) -> Optional[A.Statement]:
        if not all(is_name_char(c) for c in label):
            return None
        nxt = self.lx.token(tok.end, "C")
        if not self.is_word(nxt, *_LOOP_KEYWORDS):
            return None
        self.take(tok, "keyword")
        return _KEYWORD_HANDLERS[self.keyword(nxt)](self, nxt, (label, tok.start))

    def parse_pipeline_statement(self, chained: bool = False) -> A.Statement:
        """A pipeline, an assignment, or (unless ``chained``: parsing a chain's right side) a
        chain of pipelines joined by ``&&`` / ``||``."""
        first = self.parse_element()
        if isinstance(first, A.CommandExpression) and not first.redirections:
            tok = self.peek("E")
            if tok.kind in _ASSIGN_OPS:
                return self.parse_assignment(first.expr, tok)
        elements = [first]
        end = first.span.end
        background = False
        while True:
            tok = self.peek("E")
            if tok.kind == "|":
                self.take(tok, "operator")
                nxt = self.skip_newlines()
                if nxt.kind in _CMD_END and nxt.kind != "&":    # `| & $sb` invokes
                    raise self.fail("An empty pipe element is not allowed.", nxt)
                el = self.parse_element()
                if isinstance(el, A.CommandExpression):     # `1 | 3`: a value cannot take input
                    self.report(self.fail("Expressions are only allowed as the first element of a "
                                          "pipeline.", start=el.span.start, end=el.span.end,
                                          error_id="ExpressionsMustBeFirstInPipeline"))
                elements.append(el)
                end = el.span.end
            elif tok.kind == "&":
                self.take(tok, "operator")
                background = True
                end = tok.end
                after = self.peek("E")
                if after.kind in ("&&", "||"):
                    raise self.fail(f"A background pipeline cannot be followed by '{after.kind}': "
                                    f"put the '&' at the end of the whole chain.", after,
                                    incomplete=False, error_id="BackgroundOperatorInPipelineChain")
                break
            elif tok.kind in ("&&", "||") and not chained:
                left: A.Statement = A.Pipeline(tuple(elements), False,
                                               span=self.span(first.span.start, end))
                while tok.kind in ("&&", "||"):
                    self.take(tok, "operator")
                    nxt = self.skip_newlines()
                    if nxt.kind == "&" and self.lx.token(nxt.end, "E").kind in _CMD_END:
                        raise self.fail(f"An expression was expected after the '{tok.kind}' "
                                        f"operator, not a lone '&'.", nxt, incomplete=False,
                                        error_id="MissingExpression")
                    if nxt.kind in _CMD_END and nxt.kind != "&":    # `&& & cmd` invokes
                        raise self.fail(f"Missing a pipeline after the '{tok.kind}' operator.",
                                        nxt, error_id="EmptyPipelineChainElement")
                    right = self.parse_pipeline_statement(chained=True)
                    if not isinstance(right, A.Pipeline):
                        raise self.fail(f"An assignment cannot follow the '{tok.kind}' operator.",
                                        start=right.span.start, end=right.span.end,
                                        incomplete=False)
                    chain_background = right.background
                    if chain_background:        # `a && b &`: the whole chain is one job
                        right = A.Pipeline(right.elements, False, span=self.span(
                            right.elements[0].span.start, right.elements[-1].span.end))
                    left = A.PipelineChain(left, tok.kind, right, chain_background,
                                           span=self.span(first.span.start, right.span.end))
                    if chain_background:
                        break
                    tok = self.peek("E")
                return left
            elif tok.kind == "newline" and self._pipe_on_next_line(tok):
                self.skip_newlines()                        # a line that starts with '|' continues
            else:
                break
        return A.Pipeline(tuple(elements), background,
                          span=self.span(first.span.start, end))

    def _pipe_on_next_line(self, tok: Token) -> bool:
        """A line starting with '|' continues the pipeline above it; only comment lines may be
        between (a blank line, or a line continued with a backtick, ends the statement)."""
        t = tok
        while t.kind == "newline":
            nxt = self.lx.token(t.end, "E")
            gap = self.text[t.end:nxt.start]
            if (nxt.kind == "newline" and not gap.strip()) or "`\n" in gap or "`\r" in gap:
                return False
            t = nxt
        return t.kind == "|"

    def parse_assignment(self, target: A.Expr, tok: Token) -> A.Assignment:
        op = tok.kind
        if not _assignable(target, op):
            raise self.fail("The assignment expression is not valid. The input to an assignment "
                            "operator must be an object that is able to accept assignments, such "
                            "as a variable or a property.", start=target.span.start,
                            end=target.span.end, incomplete=False)
        problem = automatic_constraint_problem(target)
        if problem is not None:
            self.report(self.fail(problem, start=target.span.start, end=target.span.end,
                                  error_id="AssignmentStatementToAutomaticNotSupported"))
        self.take(tok, "operator")
        nxt = self.skip_newlines()
        if nxt.kind in _CMD_END and nxt.kind != "&":            # `$x = & { ... }` invokes
            raise self.fail(f"You must provide a value expression on the right-hand side of the "
                            f"'{op}' operator.", nxt)
        value = self.parse_statement()
        return A.Assignment(target, op, value, span=self.span(target.span.start, value.span.end))

    def parse_element(self):
        """One pipeline element: a command or an expression."""
        tok = self.peek("C")
        k = tok.kind
        text = self.text
        if k == "&":
            self.take(tok, "operator")
            return self.parse_command(tok.start, "&")
        if k == "word":
            c = text[tok.start]
            if c == "." and tok.start + 1 < self.n and (text[tok.start + 1] in "{($'\""
                                                         or is_word_end(text[tok.start + 1])):
                if tok.start + 1 >= self.n or text[tok.start + 1] in "\r\n;|)}&":
                    pass                                    # a lone '.' : a command named '.'
                else:
                    self.records.append((tok.start, tok.start + 1, "operator"))
                    self.pos = tok.start + 1
                    return self.parse_command(tok.start, ".")
            if c in "-+!,[\u2013\u2014\u2015":
                return self.parse_command_expression()
            if "0" <= c <= "9" or (c == "." and text[tok.start + 1:tok.start + 2].isdigit()):
                # ``1..10``, ``1+2``, ``2*3`` are expressions; ``7z``, ``1.2.3`` are commands
                parts = scan_number(text, tok.start, tok.end)
                if parts is not None and parts[0] == tok.end and number_value(parts) is None:
                    raise self.fail(f"The numeric constant {text[tok.start:tok.end]} is not valid.",
                                    tok, incomplete=False)
                num = self.lx.token(tok.start, "E")
                e = num.end
                nc = text[e] if e < self.n else ""
                if not (is_name_char(nc) or (nc and nc in "`'\"$") or
                        (nc == "." and text[e + 1:e + 2].isdigit())):
                    return self.parse_command_expression()
            return self.parse_command(tok.start, None)
        if k in ("num", "var", "$(", "@(", "@{", "(", "str", "dstr", "{", "splat", "param",
                 "dashdash", ","):
            return self.parse_command_expression()
        if k == "redir" and text[tok.start].isdigit():
            # `1>>file` at a statement's start: the number is the expression, '>>' redirects it
            # (the lexer's token cache takes the number for this position, in expression mode)
            self.pos = tok.start
            self.lx.cache[tok.start * 2] = self.lx.lex_number(tok.start, tok.spaced)
            return self.parse_command_expression()
        if k == "|":
            raise self.fail("An empty pipe element is not allowed.", tok)
        if k == "eof":
            raise self.fail("Missing statement.", tok)
        raise self.unexpected(tok)

    def parse_command_expression(self) -> A.CommandExpression:
        expr = self.parse_expression()
        redirs = []
        end = expr.span.end
        while True:
            tok = self.peek("E")
            if tok.kind != "redir":
                break
            r = self.parse_redirection(tok)
            redirs.append(r)
            end = r.span.end
        return A.CommandExpression(expr, tuple(redirs), span=self.span(expr.span.start, end))

    def parse_command(self, start: int, invocation: Optional[str]) -> A.CommandAst:
        elements: List[Any] = []
        redirs: List[Any] = []
        tok = self.peek("C")
        if invocation is not None:
            if tok.kind in _CMD_END or tok.kind == "redir":
                raise self.fail(f"Missing expression after '{invocation}' in pipeline element.",
                                tok)
            name = self.parse_command_argument(tok, "command")
        else:
            self.take(tok, "command")
            name = tok.value
        elements.append(name)
        end = name.span.end
        params_done = False
        while True:
            tok = self.peek("C")
            k = tok.kind
            if k in _CMD_END:
                break
            if k == "redir":
                r = self.parse_redirection(tok)
                redirs.append(r)
                end = r.span.end
                continue
            if k == "param" and not params_done:
                self.take(tok, "parameter")
                pname, colon = tok.value
                arg = None
                pend = tok.end
                if colon:
                    t = self.peek("C")
                    if t.kind in _CMD_END or t.kind in ("redir", ","):
                        raise self.fail(f"Missing an argument for parameter '{pname}'.", t)
                    arg = self.parse_argument_list(t)
                    pend = arg.span.end
                elements.append(A.CommandParameter(pname, arg, span=self.span(tok.start, pend)))
                end = pend
                continue
            if k == "dashdash" and not params_done:
                self.take(tok, "parameter")
                params_done = True
                elements.append(A.CommandParameter("-", None, span=self.span(tok.start, tok.end)))
                end = tok.end
                continue
            arg = self.parse_argument_list(tok)
            elements.append(arg)
            end = arg.span.end
        return A.CommandAst(tuple(elements), invocation, tuple(redirs),
                            span=self.span(start, end))

    def parse_argument_list(self, tok: Token) -> A.Expr:
        """A command argument, or several joined by commas into an ArrayLiteral."""
        first = self.parse_command_argument(tok)
        t = self.peek("C")
        if t.kind != ",":
            return first
        items = [first]
        while t.kind == ",":
            self.take(t, "punctuation")
            nxt = self.skip_newlines()
            if nxt.kind in _CMD_END or nxt.kind in (",", "redir"):
                raise self.fail("Missing argument after ',' in parameter list.",
                                self.peek("C"))
            items.append(self.parse_command_argument(self.peek("C")))
            t = self.peek("C")
        return A.ArrayLiteral(tuple(items), span=self.span(first.span.start, items[-1].span.end))

    def parse_command_argument(self, tok: Token, display: str = "text") -> A.Expr:
        """One argument in command mode (``tok`` is the peeked C-mode token)."""
        k = tok.kind
        if k == "word":
            self.take(tok, display)
            return tok.value
        if k in ("param", "dashdash"):
            w = self.lx.scan_word(tok.start)
            self.take(w, display)
            return w.value
        if k == "num":
            self.take(tok, "number")
            return tok.value
        if k == "splat":
            self.take(tok, "variable")
            return tok.value
        if k in ("str", "dstr"):
            self.take(tok, "string")
            return self.parse_postfix(tok.value, command=True)
        if k == "var":
            self.take(tok, "variable")
            node = self.parse_postfix(tok.value, command=True)
            return self.continue_word(node)
        if k == "$(":
            node = self.parse_postfix(self.parse_primary(), command=True)
            return self.continue_word(node)
        if k in ("(", "@(", "@{", "{"):
            return self.parse_postfix(self.parse_primary(), command=True)
        raise self.unexpected(tok)

    def continue_word(self, node: A.Expr) -> A.Expr:
        """``$HOME/src``: an argument that starts with a variable and continues as a bare word."""
        p = self.pos
        if p >= self.n or is_word_end(self.text[p]):
            return node
        rest = self.lx.scan_word(p)
        self.take(rest, "text")
        if isinstance(node, (A.Variable, A.SubExpression)):
            parts: List[Any] = [node]
        else:
            parts = [A.SubExpression((A.Pipeline((A.CommandExpression(node, span=node.span),),
                                                 span=node.span),), span=node.span)]
        value = rest.value
        if isinstance(value, A.StringConstant):
            parts.append(value.value)
        else:
            parts.extend(value.parts)
        return self.lx.string_node(parts, "bare", node.span.start, rest.end)

    def parse_redirection(self, tok: Token):
        self.take(tok, "operator")
        kind, stream, extra = tok.value
        if kind == "merge":
            if extra != "1":
                raise self.fail(f"The redirection operator '{self.text[tok.start:tok.end]}' is "
                                "not supported: streams can only be merged into 1.", tok)
            return A.MergingRedirection(stream, "1", span=self.span(tok.start, tok.end))
        t = self.peek("C")
        if t.kind in _CMD_END or t.kind in ("redir", ","):
            raise self.fail("Missing file specification after redirection operator.", t)
        target = self.parse_command_argument(t)
        return A.FileRedirection(stream, extra, target, span=self.span(tok.start, target.span.end))

    # ------------------------------------------------------------------ keyword statements

    def _label(self, label):
        return (label[0], label[1]) if label else (None, None)

    def _paren_condition(self, keyword: str, missing_open: str) -> A.Statement:
        self.skip_newlines()
        self.expect("(", missing_open)
        tok = self.skip_newlines()
        if tok.kind == ")" or tok.kind == "eof":
            raise self.fail(f"Missing condition in {keyword} statement after '{keyword} ('.", tok)
        cond = self.parse_statement()
        self.skip_newlines()
        self.expect(")", f"Missing closing ')' after expression in '{keyword}' statement.")
        self.skip_newlines()
        return cond

    def kw_if(self, tok: Token, label) -> A.If:
        self.take(tok, "keyword")
        clauses = []
        else_body = None
        keyword = "if"
        while True:
            cond = self._paren_condition(keyword, f"Missing '(' after '{keyword}' in if statement.")
            body = self.parse_statement_block(f"Missing statement block after {keyword} "
                                              "( condition ).")
            clauses.append((cond, body))
            end = body.span.end
            save = self.pos
            nxt = self.skip_newlines()
            nxt = self.peek("C")
            if self.is_word(nxt, "elseif"):
                self.take(nxt, "keyword")
                keyword = "elseif"
                continue
            if self.is_word(nxt, "else"):
                self.take(nxt, "keyword")
                self.skip_newlines()
                else_body = self.parse_statement_block("Missing statement block after 'else' "
                                                       "keyword.")
                end = else_body.span.end
                break
            self.pos = save
            break
        return A.If(tuple(clauses), else_body, span=self.span(tok.start, end))

    def kw_while(self, tok: Token, label) -> A.While:
        name, start = self._label(label)
        self.take(tok, "keyword")
        cond = self._paren_condition("while", "Missing opening '(' after keyword 'while'.")
        body = self.parse_statement_block("Missing statement block in while loop.", "loop")
        return A.While(cond, body, name, span=self.span(start if name else tok.start,
                                                         body.span.end))

    def kw_do(self, tok: Token, label) -> A.Statement:
        name, start = self._label(label)
        self.take(tok, "keyword")
        self.skip_newlines()
        body = self.parse_statement_block("Missing statement block after 'do'.", "loop")
        self.skip_newlines()
        kw = self.peek("C")
        if not self.is_word(kw, "while", "until"):
            raise self.fail("Missing while or until keyword in do loop.", kw)
        self.take(kw, "keyword")
        which = self.keyword(kw)
        self.skip_newlines()
        self.expect("(", f"Missing '(' after '{which}' in do loop.")
        t = self.skip_newlines()
        if t.kind == ")" or t.kind == "eof":
            raise self.fail(f"Missing condition in do loop after '{which} ('.", t)
        cond = self.parse_statement()
        self.skip_newlines()
        close = self.expect(")", f"Missing closing ')' after expression in '{which}' "
                                 "statement.")
        cls = A.DoWhile if which == "while" else A.DoUntil
        return cls(body, cond, name, span=self.span(start if name else tok.start, close.end))

    def kw_for(self, tok: Token, label) -> A.For:
        name, start = self._label(label)
        self.take(tok, "keyword")
        self.skip_newlines()
        self.expect("(", "Missing opening '(' after keyword 'for'.")
        parts: List[Optional[A.Statement]] = []
        for i in range(3):
            t = self.skip_newlines()
            if i < 2 and t.kind == ";":
                parts.append(None)
                self.take(t, "punctuation")
                continue
            if t.kind == ")":
                parts.append(None)
                continue
            if t.kind == "eof":
                raise self.fail("Missing closing ')' in for loop.", t)
            parts.append(self.parse_statement())
            t = self.peek("E")
            if i < 2 and t.kind == ";":
                self.take(t, "punctuation")
            elif t.kind == "newline":
                self.skip_newlines()
            elif t.kind != ")":
                raise self.unexpected(t, "in for statement")
        self.skip_newlines()
        self.expect(")", "Missing closing ')' after expression in 'for' statement.")
        self.skip_newlines()
        body = self.parse_statement_block("Missing statement block in for loop.", "loop")
        return A.For(parts[0], parts[1], parts[2], body, name,
                     span=self.span(start if name else tok.start, body.span.end))

    def kw_foreach(self, tok: Token, label) -> A.Foreach:
        name, start = self._label(label)
        self.take(tok, "keyword")
        flags, throttle = self._foreach_options()
        self.skip_newlines()
        self.expect("(", "Missing opening '(' after keyword 'foreach'.")
        t = self.skip_newlines()
        if t.kind != "var":
            raise self.fail("Missing variable name after 'foreach ('.", t)
        self.take(t, "variable")
        var = t.value
        self.skip_newlines()
        t = self.peek("C")
        if not self.is_word(t, "in"):
            raise self.fail("Missing 'in' after variable in foreach loop.", t)
        self.take(t, "keyword")
        t = self.skip_newlines()
        if t.kind == ")" or t.kind == "eof":
            raise self.fail("Missing expression after 'in' in foreach loop.", t)
        iterable = self.parse_statement()
        self.skip_newlines()
        self.expect(")", "Missing closing ')' after expression in 'foreach' statement.")
        self.skip_newlines()
        body = self.parse_statement_block("Missing statement block in foreach loop.", "loop")
        return A.Foreach(var, iterable, body, name,
                         span=self.span(start if name else tok.start, body.span.end),
                         flags=flags, throttle=throttle)

    def _foreach_options(self) -> Tuple[Tuple[str, ...], Optional[A.Expr]]:
        """``foreach -Parallel -ThrottleLimit n (...)``: the workflow options.  They parse (the tree
        keeps them, as PowerShell 7's does) but each is an error: pshell runs no workflows."""
        flags: List[str] = []
        throttle: Optional[A.Expr] = None
        while True:
            self.skip_newlines()
            t = self.peek("C")
            if t.kind != "param":
                break
            self.take(t, "parameter")
            given = t.value[0].lower()
            if given and "parallel".startswith(given):
                self.report(self.fail(f"The foreach option '-{t.value[0]}' is reserved for workflows, "
                                      "which pshell does not run.", t,
                                      error_id="KeywordParameterReservedForFutureUse"))
                if "parallel" not in flags:
                    flags.append("parallel")
            elif given and "throttlelimit".startswith(given):
                self.report(self.fail(f"The foreach option '-{t.value[0]}' is reserved for workflows, "
                                      "which pshell does not run.", t,
                                      error_id="KeywordParameterReservedForFutureUse"))
                self.skip_newlines()
                arg = self.peek("C")
                if arg.kind in _CMD_END or arg.kind in ("(", "redir", ","):
                    raise self.fail("Missing value after the foreach option '-ThrottleLimit'.", arg)
                throttle = self.parse_command_argument(arg)
            else:
                self.report(self.fail(f"'-{t.value[0]}' is not a valid foreach statement option "
                                      "(expected -Parallel or -ThrottleLimit).", t,
                                      error_id="InvalidForeachFlag"))
        if throttle is not None and "parallel" not in flags:
            self.report(self.fail("The foreach option '-ThrottleLimit' needs '-Parallel' too.",
                                  None, throttle.span.start, throttle.span.end,
                                  error_id="ThrottleLimitRequiresParallelFlag"))
        return tuple(flags), throttle

    def kw_switch(self, tok: Token, label) -> A.Switch:
        self.jumps.append("loop")                           # break / continue leave the switch
        try:
            return self._switch(tok, label)
        finally:
            self.jumps.pop()

    def _switch(self, tok: Token, label) -> A.Switch:
        name, start = self._label(label)
        self.take(tok, "keyword")
        flags: List[str] = []
        while True:
            t = self.skip_newlines()
            t = self.peek("C")
            if t.kind != "param":
                break
            pname = t.value[0].lower()
            matches = [f for f in _SWITCH_FLAGS if f.startswith(pname)]
            if pname in _SWITCH_FLAGS:
                matches = [pname]
            self.take(t, "parameter")
            if len(matches) == 1 and matches[0] == "parallel":
                self.report(self.fail(f"The switch option '-{t.value[0]}' is reserved for workflows, "
                                      "which pshell does not run.", t,
                                      error_id="KeywordParameterReservedForFutureUse"))
            elif len(matches) != 1:
                self.report(self.fail(f"'-{t.value[0]}' is not a valid switch statement option "
                                      "(expected -Regex, -Wildcard, -Exact, -CaseSensitive or -File).",
                                      t, error_id="InvalidSwitchFlag"))
                continue
            if matches[0] not in flags:
                flags.append(matches[0])
        if "file" in flags:
            t = self.peek("C")
            if t.kind in _CMD_END or t.kind in ("redir", ","):
                raise self.fail("Missing file path after 'switch -File'.", t)
            arg = self.parse_command_argument(t)
            ce = A.CommandExpression(arg, span=arg.span)
            subject: A.Statement = A.Pipeline((ce,), span=arg.span)
        else:
            self.expect("(", "Missing '(' after 'switch' in switch statement.")
            t = self.skip_newlines()
            if t.kind == ")" or t.kind == "eof":
                raise self.fail("Missing condition in switch statement after 'switch ('.", t)
            subject = self.parse_statement()
            self.skip_newlines()
            self.expect(")", "Missing closing ')' after expression in 'switch' statement.")
        self.skip_newlines()
        open_tok = self.expect("{", "Missing opening '{' in switch statement.")
        clauses: List[A.SwitchClause] = []
        default = None
        while True:
            t, closed = self.inside_braces(open_tok, "switch statement")
            if closed:
                close = t
                break
            if self.is_word(t, "default"):
                self.take(t, "keyword")
                self.skip_newlines()
                body = self.parse_statement_block("Missing statement block in switch statement "
                                                  "default clause.")
                if default is not None:
                    raise self.fail("The switch statement has more than one 'default' clause.",
                                    t)
                default = body
                continue
            if t.kind in ("word", "num", "str", "dstr", "var", "(", "$(", "@(", "@{", "{",
                          "param", "dashdash", "splat"):
                self.enter()
                try:
                    cond = self.parse_command_argument(t)
                finally:
                    self.depth -= 1
            else:
                raise self.unexpected(t, "in switch statement")
            self.skip_newlines()
            body = self.parse_statement_block("Missing statement block in switch statement "
                                              "clause.")
            clauses.append(A.SwitchClause(cond, body, span=self.span(cond.span.start,
                                                                      body.span.end)))
        return A.Switch(subject, tuple(clauses), default, tuple(flags), name,
                        span=self.span(start if name else tok.start, close.end))

    def kw_function(self, tok: Token, label) -> A.FunctionDefinition:
        is_filter = self.keyword(tok) == "filter"
        self.take(tok, "keyword")
        t = self.peek("C")
        if t.kind not in ("word", "param", "dashdash"):
            raise self.fail(f"Missing name after '{self.keyword(tok)}' keyword.", t)
        if t.kind != "word":
            t = self.lx.scan_word(t.start)
        self.take(t, "command")
        fname = self.text[t.start:t.end]
        params = None
        nxt = self.skip_newlines()
        if nxt.kind == "(":
            self.take(nxt, "punctuation")
            plist = self.parse_parameter_list()
            close = self.expect(")", "Missing ')' in function parameter list.")
            params = A.ParamBlock(tuple(plist), (), span=self.span(nxt.start, close.end))
            nxt = self.skip_newlines()
        if nxt.kind != "{":
            raise self.fail("Missing function body in function declaration.", nxt)
        body = self.parse_script_block(is_filter)
        if params is not None:
            if body.param_block is not None:
                raise self.fail("A function cannot have both a parameter list in parentheses and "
                                "a param block.", start=body.param_block.span.start,
                                end=body.param_block.span.end)
            body = replace(body, param_block=params)
        return A.FunctionDefinition(fname, body, is_filter, span=self.span(tok.start,
                                                                            body.span.end))

    def kw_try(self, tok: Token, label) -> A.Try:
        self.take(tok, "keyword")
        self.skip_newlines()
        body = self.parse_statement_block("Missing statement block after 'try'.")
        catches: List[A.CatchClause] = []
        fin = None
        end = body.span.end
        while True:
            save = self.pos
            self.skip_newlines()
            t = self.peek("C")
            if self.is_word(t, "catch"):
                if catches and not catches[-1].type_names:
                    raise self.fail("The catch block with no exception type must be the last "
                                    "catch block.", t)
                self.take(t, "keyword")
                types: List[str] = []
                after_catch = self.pos
                if self.skip_newlines().kind != "[":            # the type may be on the next line
                    self.pos = after_catch
                while True:
                    x = self.peek("E")
                    if x.kind != "[":
                        if types:
                            raise self.fail("Missing type name after ',' in catch clause.", x)
                        break
                    kind, value = self.parse_attribute_or_type()
                    if kind != "type":
                        raise self.fail("Expected an exception type name in catch clause.",
                                        start=x.start, end=self.pos)
                    types.append(value)
                    after_type = self.pos
                    x = self.skip_newlines()                # the ',' may start the next line
                    if x.kind != ",":
                        self.pos = after_type
                        break
                    self.take(x, "punctuation")
                    self.skip_newlines()
                    if self.peek("E").kind != "[":
                        raise self.fail("Missing type name after ',' in catch clause.",
                                        self.peek("E"))
                self.skip_newlines()
                cbody = self.parse_statement_block("Missing statement block in catch clause.")
                catches.append(A.CatchClause(tuple(types), cbody,
                                             span=self.span(t.start, cbody.span.end)))
                end = cbody.span.end
                continue
            if self.is_word(t, "finally"):
                self.take(t, "keyword")
                self.skip_newlines()
                fin = self.parse_statement_block("Missing statement block after 'finally'.", "finally")
                end = fin.span.end
                break
            self.pos = save
            if not catches:
                raise self.fail("The Try statement is missing its Catch or Finally block.",
                                start=end, end=end, incomplete=t.kind == "eof")
            break
        return A.Try(body, tuple(catches), fin, span=self.span(tok.start, end))

    def kw_trap(self, tok: Token, label) -> A.Trap:
        self.take(tok, "keyword")
        type_name = None
        t = self.peek("E")
        if t.kind == "[":
            kind, value = self.parse_attribute_or_type()
            if kind != "type":
                raise self.fail("Expected an exception type name after 'trap'.", t)
            type_name = value
        self.skip_newlines()
        body = self.parse_statement_block("Missing statement block in trap statement.")
        return A.Trap(type_name, body, span=self.span(tok.start, body.span.end))

    def kw_data(self, tok: Token, label) -> A.DataSection:
        """``data [name] [-SupportedCommand a, b] { ... }``: the body is checked against the
        restricted language (``lang/restricted.py``) here, at parse time, as PowerShell does."""
        from .restricted import DATA_COMMANDS, check_restricted
        self.take(tok, "keyword")
        name: Optional[str] = None
        commands: List[str] = []
        t = self.skip_newlines()
        t = self.peek("C")
        if t.kind == "word" and t.plain is not None:
            self.take(t, "variable")
            name = t.plain
            self.skip_newlines()
            t = self.peek("C")
        if t.kind == "param":
            if not "supportedcommand".startswith(t.value[0].lower()):
                raise self.fail(f"'-{t.value[0]}' is not a parameter of a data section (only "
                                "-SupportedCommand is).", t,
                                error_id="InvalidParameterForDataSectionStatement")
            self.take(t, "parameter")
            arg_tok = self.peek("C")
            if arg_tok.kind in _CMD_END or arg_tok.kind == "{":
                raise self.fail("Missing the command names after -SupportedCommand.", arg_tok,
                                error_id="MissingValueForSupportedCommandInDataSectionStatement")
            arg = self.parse_argument_list(arg_tok)
            for item in (arg.elements if isinstance(arg, A.ArrayLiteral) else (arg,)):
                if not isinstance(item, A.StringConstant):
                    raise self.fail("The names after -SupportedCommand must be constant words.",
                                    start=item.span.start, end=item.span.end,
                                    error_id="SupportedCommandInDataSectionNotSupported")
                commands.append(item.value)
            self.skip_newlines()
        body = self.parse_statement_block("Missing statement block in data section.")
        check_restricted(body, DATA_COMMANDS + tuple(commands), self.source, self.text)
        return A.DataSection(name, tuple(commands), body, span=self.span(tok.start, body.span.end))

    def kw_break(self, tok: Token, label) -> A.Statement:
        self.take(tok, "keyword")
        cls = A.Break if self.keyword(tok) == "break" else A.Continue
        t = self.peek("C")
        target = None
        end = tok.end
        if t.kind == "word":
            self.take(t, "text")
            target = t.value
        elif t.kind == "var":
            self.take(t, "variable")
            target = t.value
        elif t.kind not in _CMD_END:
            raise self.unexpected(t)
        if target is not None:
            end = target.span.end
        if self.jumps and self.jumps[-1] == "finally":
            self.report(self.fail(f"Control cannot leave a finally block: '{self.keyword(tok)}' is not "
                                  "allowed there.", tok, error_id="ControlLeavingFinally"))
        return cls(target, span=self.span(tok.start, end))

    def kw_return(self, tok: Token, label) -> A.Statement:
        self.take(tok, "keyword")
        word = self.keyword(tok)
        cls = {"return": A.Return, "exit": A.Exit, "throw": A.Throw}[word]
        t = self.peek("C")
        value = None
        end = tok.end
        if t.kind not in _CMD_END or t.kind == "&":             # `return & $sb` invokes
            value = self.parse_pipeline_statement()
            end = value.span.end
        return cls(value, span=self.span(tok.start, end))

    def kw_misplaced(self, tok: Token, label) -> A.Statement:
        word = self.keyword(tok)
        if word == "param":
            raise self.fail("The param block must be the first statement in a script block or "
                            "function.", tok)
        if word in _NAMED_BLOCKS:
            raise self.fail(f"Unexpected '{word}' block: begin/process/end blocks must come "
                            "first in a script block and cannot be mixed with other statements.",
                            tok)
        raise self.fail(f"Unexpected token '{tok.plain}' in expression or statement.", tok)

    # ------------------------------------------------------------------ classes, enums, using

    def try_attributed_definition(self) -> Optional[A.Statement]:
        """``[Flags()] enum E {...}`` / ``[Attr()] class C {...}``: attributes, then the keyword.
        None (nothing consumed) when the ``[`` starts anything else."""
        save_pos, save_rec = self.pos, len(self.records)
        attrs: List[A.AttributeAst] = []
        try:
            while self.peek("E").kind == "[":
                with self.recovery.suspended():
                    kind, value = self.parse_attribute_or_type()
                if kind != "attr":
                    break
                attrs.append(value)
                self.skip_newlines()
        except ParseError as e:
            if e.incomplete:
                raise
            attrs = []
        tok = self.peek("C")
        if attrs and self.is_word(tok, "class", "enum"):
            if self.keyword(tok) == "class":
                return self.kw_class(tok, None, tuple(attrs))
            return self.kw_enum(tok, None, tuple(attrs))
        self.pos = save_pos
        del self.records[save_rec:]
        return None

    def definition_name(self, keyword: str) -> Token:
        t = self.peek("E")
        if t.kind != "ident" or not t.value or not (t.value[0].isalpha() or t.value[0] == "_"):
            raise self.fail(f"Missing name after '{keyword}' keyword.", t)
        return self.take(t, "type")

    def base_type_name(self) -> str:
        """A type name written without brackets (``: Base``, ``enum E : byte``)."""
        t = self.skip_newlines()
        if t.kind != "ident":
            raise self.fail("Missing type name after ':'.", t)
        end = self.lx._type_name_end(t.start, 0)
        self.records.append((t.start, end, "type"))
        self.pos = end
        return self.text[t.start:end]

    def kw_class(self, tok: Token, label, attrs: Tuple[A.AttributeAst, ...] = ()) -> A.Statement:
        self.take(tok, "keyword")
        name = self.definition_name("class").value
        bases: List[str] = []
        t = self.skip_newlines()
        if t.kind == ":":
            self.take(t, "punctuation")
            while True:
                bases.append(self.base_type_name())
                t = self.skip_newlines()
                if t.kind != ",":
                    break
                self.take(t, "punctuation")
        if t.kind != "{":
            raise self.fail(f"Missing opening '{{' of the body of class '{name}'.", t)
        open_tok = self.take(t, "punctuation")
        members: List[Any] = []
        self.enter()
        try:
            while True:
                t, closed = self.inside_braces(open_tok, f"the definition of class '{name}'")
                if closed:
                    break
                members.append(self.parse_class_member(name))
        finally:
            self.depth -= 1
        seen: Dict[str, A.PropertyMember] = {}
        for member in members:
            if isinstance(member, A.PropertyMember):
                key = member.name.lower()
                if key in seen:
                    raise self.fail(f"The member '{member.name}' is already defined.",
                                    start=member.span.start, end=member.span.end)
                seen[key] = member
        return A.ClassDefinition(name, tuple(bases), tuple(members), attrs,
                                 span=self.span(attrs[0].span.start if attrs else tok.start, self.pos))

    def parse_class_member(self, class_name: str) -> Any:
        t = self.peek("E")
        start = t.start
        static = hidden = False
        type_name: Optional[str] = None
        attrs: List[A.AttributeAst] = []
        while True:
            if t.kind == "[":
                kind, value = self.parse_attribute_or_type()
                if kind == "attr":
                    attrs.append(value)
                else:
                    type_name = value
            elif t.kind == "ident" and t.value.lower() in ("static", "hidden"):
                self.take(t, "keyword")
                if t.value.lower() == "static":
                    static = True
                else:
                    hidden = True
            else:
                break
            t = self.skip_newlines()
        if t.kind == "var":
            self.take(t, "variable")
            var = t.value
            if var.scope is not None or var.splatted:
                raise self.fail("A property name is a plain variable name.", t)
            default = None
            end = t.end
            eq = self.peek("E")
            if eq.kind == "=":
                self.take(eq, "operator")
                self.skip_newlines()
                stmt = self.parse_pipeline_statement()
                default = _lone_expr(stmt)
                if default is None:
                    raise self.fail("A property's default value must be an expression.",
                                    start=stmt.span.start, end=stmt.span.end)
                end = default.span.end
            return A.PropertyMember(var.name, type_name, default, static, hidden, tuple(attrs),
                                    span=self.span(start, end))
        if t.kind == "ident":
            self.take(t, "member")
            mname = t.value
            self.expect("(", f"Missing '(' after '{mname}' in the definition of class "
                             f"'{class_name}': a member is a property '[type] $Name' or a method "
                             "'[type] Name() { }'.")
            plist = self.parse_parameter_list()
            close = self.expect(")", "Missing ')' in method parameter list.")
            params = A.ParamBlock(tuple(plist), (), span=self.span(start, close.end))
            is_ctor = mname.lower() == class_name.lower() and type_name is None
            base_args: Optional[Tuple[A.Expr, ...]] = None
            nxt = self.skip_newlines()
            if nxt.kind == ":":
                if not is_ctor:
                    raise self.fail("Only a constructor can call a base class constructor "
                                    "(': base(...)').", nxt)
                self.take(nxt, "punctuation")
                b = self.skip_newlines()
                if b.kind != "ident" or b.value.lower() != "base":
                    raise self.fail("Missing 'base' after ':' in constructor.", b)
                self.take(b, "keyword")
                if self.skip_newlines().kind != "(":
                    raise self.fail("Missing '(' after 'base'.", self.peek("E"))
                base_args = tuple(self.parse_call_arguments())
                nxt = self.skip_newlines()
            if nxt.kind != "{":
                raise self.fail(f"Missing the body of method '{mname}'.", nxt)
            body = self.parse_script_block()
            if body.param_block is not None:
                raise self.fail("A method cannot have a param block: its parameters are written in "
                                "parentheses after its name.", start=body.param_block.span.start,
                                end=body.param_block.span.end)
            body = replace(body, param_block=params, is_method=True)
            return A.MethodMember(mname, body, type_name, static, hidden, is_ctor, base_args,
                                  span=self.span(start, body.span.end))
        raise self.fail(f"Unexpected token '{self.describe(t)}' in the definition of class "
                        f"'{class_name}': a member is a property '[type] $Name' or a method "
                        "'[type] Name() {{ }}'.", t)

    def kw_enum(self, tok: Token, label, attrs: Tuple[A.AttributeAst, ...] = ()) -> A.Statement:
        self.take(tok, "keyword")
        name = self.definition_name("enum").value
        underlying = None
        t = self.skip_newlines()
        if t.kind == ":":
            self.take(t, "punctuation")
            underlying = self.base_type_name()
            t = self.skip_newlines()
        if t.kind != "{":
            raise self.fail(f"Missing opening '{{' of the body of enum '{name}'.", t)
        open_tok = self.take(t, "punctuation")
        members: List[Tuple[str, Optional[A.Expr]]] = []
        seen = set()
        while True:
            t, closed = self.inside_braces(open_tok, f"the definition of enum '{name}'")
            if closed:
                break
            t = self.peek("E")
            if t.kind != "ident":
                raise self.fail(f"Unexpected token '{self.describe(t)}' in the definition of enum "
                                f"'{name}': a member is a name, optionally '= value'.", t)
            self.take(t, "member")
            if t.value.lower() in seen:
                raise self.fail(f"The enum member '{t.value}' is already defined.", t)
            seen.add(t.value.lower())
            value = None
            eq = self.peek("E")
            if eq.kind == "=":
                self.take(eq, "operator")
                self.skip_newlines()
                value = self.parse_expression()
            members.append((t.value, value))
            nxt = self.peek("E")
            if nxt.kind not in ("newline", ";", "}"):
                raise self.unexpected(nxt, f"in the definition of enum '{name}'")
        return A.EnumDefinition(name, tuple(members), underlying, attrs,
                                span=self.span(attrs[0].span.start if attrs else tok.start, self.pos))

    def kw_using(self, tok: Token, label) -> A.Statement:
        self.take(tok, "keyword")
        t = self.peek("E")
        kind = t.value.lower() if t.kind == "ident" and t.value else ""
        if kind not in ("namespace", "module", "assembly"):
            raise self.fail("A 'using' statement names what it uses: 'using namespace', "
                            "'using module' or 'using assembly'.", t)
        self.take(t, "keyword")
        t = self.peek("C")
        if t.kind in _CMD_END:
            raise self.fail(f"Missing the {kind} name after 'using {kind}'.", t)
        if kind == "module" and self.text.startswith("@{", t.start):
            spec = self.parse_expression(comma=False)
            return A.UsingStatement(kind, "", spec, span=self.span(tok.start, spec.span.end))
        arg = self.parse_command_argument(t)
        if isinstance(arg, A.StringConstant):
            text = arg.value
        else:
            raise self.fail(f"The {kind} name after 'using {kind}' must be a constant.",
                            start=arg.span.start, end=arg.span.end)
        alias = None
        end = arg.span.end
        eq = self.peek("C")
        if kind == "namespace" and eq.kind == "word" and self.text[eq.start:eq.end] == "=":
            self.take(eq, "operator")
            target = self.parse_command_argument(self.peek("C"))
            if not isinstance(target, A.StringConstant):
                raise self.fail("Missing the namespace after '=' in 'using namespace'.",
                                start=target.span.start, end=target.span.end)
            alias, text = text, target.value
            end = target.span.end
        return A.UsingStatement(kind, text, None, alias, span=self.span(tok.start, end))

    # ------------------------------------------------------------------ expressions

    def _unary_op(self, tok: Token) -> bool:
        return tok.kind == "op" and tok.value in UNARY_DASH_OPERATORS

    def parse_expression(self, comma: bool = True) -> A.Expr:
        """An expression; the ternary ``c ? a : b`` binds more loosely than every binary operator
        (as in PowerShell 7) and groups to the right."""
        left = self.parse_binary(1, comma)
        tok = self.peek("E")
        if tok.kind == "?":
            then = self._operand_after(tok, "You must provide a value expression after the '?' "
                                            "of a ternary expression.", comma)
            colon = self.peek("E")
            if colon.kind != ":":
                raise self.fail("Missing ':' in the ternary expression "
                                "'<condition> ? <if-true> : <if-false>'.", colon)
            other = self._operand_after(colon, "You must provide a value expression after the "
                                               "':' of a ternary expression.", comma)
            return A.Ternary(left, then, other, span=self.span(left.span.start, other.span.end))
        return left

    def _operand_after(self, tok: Token, missing: str, comma: bool) -> A.Expr:
        """Take the operator ``tok`` (newlines may follow it), then the expression after it;
        ``missing`` is the error when there is none."""
        self.take(tok, "operator")
        nxt = self.skip_newlines()
        if nxt.kind not in _OPERAND_START and not self._unary_op(nxt):
            raise self.fail(missing, nxt)
        return self.parse_expression(comma)

    def parse_binary(self, min_prec: float, comma: bool) -> A.Expr:
        left = self.parse_array(comma)
        while True:
            tok = self.peek("E")
            k = tok.kind
            if k == "op":
                op = tok.value
            elif k in ("+", "-", "*", "/", "%", ".."):
                op = k
            else:
                return left
            prec = BINARY_PRECEDENCE.get(op)
            if prec is None or prec < min_prec:
                return left
            self.take(tok, "operator")
            rt = self.skip_newlines()
            if rt.kind == "redir" and self.text[rt.start].isdigit():
                # `1..3>$null`: the 3 is the operand, the '>' a redirection of the statement
                num = self.lx.lex_number(rt.start, rt.spaced)
                self.take(num, "number")
                left = A.Binary(op, left, num.value, span=self.span(left.span.start, num.end))
                continue
            if rt.kind not in _OPERAND_START and not self._unary_op(rt):
                # reported just after the operator (its own line), not where the next token is
                raise self.fail(f"You must provide a value expression following the '{op}' "
                                "operator.", start=tok.end, end=tok.end, incomplete=rt.kind == "eof")
            # `??` groups to the right; the others to the left
            right = self.parse_binary(prec if op == "??" else prec + 0.5, comma)
            left = A.Binary(op, left, right, span=self.span(left.span.start, right.span.end))

    def parse_array(self, comma: bool) -> A.Expr:
        first = self.parse_unary()
        if not comma:
            return first
        tok = self.peek("E")
        if tok.kind != ",":
            return first
        items = [first]
        while tok.kind == ",":
            self.take(tok, "punctuation")
            nxt = self.skip_newlines()
            if nxt.kind not in _OPERAND_START and not self._unary_op(nxt):
                raise self.fail("Missing expression after ','.", nxt)
            items.append(self.parse_unary())
            tok = self.peek("E")
        return A.ArrayLiteral(tuple(items), span=self.span(first.span.start, items[-1].span.end))

    def parse_unary(self) -> A.Expr:
        self.enter()
        try:
            tok = self.peek("E")
            k = tok.kind
            if k in ("-", "+", "!", "++", "--", ",") or self._unary_op(tok):
                op = tok.value if k == "op" else k
                self.take(tok, "punctuation" if k == "," else "operator")
                nxt = self.peek("E")
                if nxt.kind not in _OPERAND_START and not self._unary_op(nxt):
                    raise self.fail(f"Missing expression after unary operator '{op}'.", nxt)
                operand = self.parse_unary()
                if (op == "-" and isinstance(operand, A.Constant) and operand.span.start == tok.end
                        and isinstance(operand.value, (int, float)) and operand.text
                        and operand.text[0] in "0123456789."):
                    return A.Constant(-operand.value, "-" + operand.text,
                                      span=self.span(tok.start, operand.span.end))
                return A.Unary(op, operand, span=self.span(tok.start, operand.span.end))
            if k == "[":
                return self.parse_type_or_cast(tok)
            return self.parse_postfix(self.parse_primary())
        finally:
            self.depth -= 1

    def parse_type_or_cast(self, tok: Token) -> A.Expr:
        start = tok.start
        name, ns, ne, nxt, is_attr = self.lx.scan_type_name(start)
        if is_attr:
            raise self.fail(f"Unexpected attribute '{name}': attributes are only allowed on "
                            "parameters and param blocks.", start=start, end=nxt)
        self.records.append((start, start + 1, "punctuation"))
        self.records.append((ns, ne, "type"))
        self.records.append((nxt - 1, nxt, "punctuation"))
        self.pos = nxt
        t = self.peek("E")
        if t.kind in _PRIMARY_START or t.kind == "{" or (not t.spaced and t.kind != "," and (
                t.kind in _OPERAND_START or self._unary_op(t))):
            operand = self.parse_unary()
            span = self.span(start, operand.span.end)
            if name.lower() == "ordered" and isinstance(operand, A.Hashtable):
                return A.Hashtable(operand.pairs, True, span=span)
            return A.Convert(name, operand, span=span)
        return self.parse_postfix(A.TypeLiteral(name, span=self.span(start, nxt)))

    def parse_primary(self) -> A.Expr:
        tok = self.peek("E")
        k = tok.kind
        if k == "num":
            self.take(tok, "number")
            return tok.value
        if k in ("str", "dstr"):
            self.take(tok, "string")
            return tok.value
        if k == "var":
            self.take(tok, "variable")
            return tok.value
        if k in ("$(", "@("):
            self.enter()
            try:
                self.take(tok, "punctuation")
                what = "subexpression" if k == "$(" else "array expression"
                stmts = self.parse_statements(")", tok.start, f"Missing closing ')' in {what}.")
                close = self.take(self.peek("E"), "punctuation")
            finally:
                self.depth -= 1
            cls = A.SubExpression if k == "$(" else A.ArrayExpression
            return cls(tuple(stmts), span=self.span(tok.start, close.end))
        if k == "(":
            return self.parse_paren(tok)
        if k == "@{":
            return self.parse_hashtable(tok)
        if k == "{":
            return self.parse_script_block_expr()
        if k == "splat":
            raise self.fail(f"Splatted variable '{self.describe(tok)}' can only be used as a "
                            "command argument.", tok)
        if k == "[":
            return self.parse_type_or_cast(tok)
        if k == "eof":
            raise self.fail("Missing expression.", tok)
        raise self.unexpected(tok)

    def parse_paren(self, tok: Token) -> A.Paren:
        self.enter()
        try:
            self.take(tok, "punctuation")
            t = self.skip_newlines()
            if t.kind == ")":
                raise self.fail("An expression was expected after '('.", t)
            if t.kind == "eof":
                raise self.fail("Missing closing ')' in expression.", t)
            stmt = self.parse_statement()
            self.skip_newlines()
            close = self.expect(")", "Missing closing ')' in expression.")
            return A.Paren(stmt, span=self.span(tok.start, close.end))
        finally:
            self.depth -= 1

    def parse_hashtable(self, tok: Token) -> A.Hashtable:
        self.enter()
        try:
            self.take(tok, "punctuation")
            pairs = []
            text = self.text
            while True:
                t, closed = self.inside_braces(tok, "hash literal")
                if closed:
                    close = t
                    break
                c = text[t.start]
                if c.isalpha() or c == "_":
                    j = t.start
                    while j < self.n and is_name_char(text[j]):
                        j += 1
                    key: A.Expr = A.StringConstant(text[t.start:j], "bare",
                                                   span=self.span(t.start, j))
                    self.records.append((t.start, j, "member"))
                    self.pos = j
                else:
                    e = self.peek("E")
                    if e.kind not in _OPERAND_START and not self._unary_op(e):
                        raise self.unexpected(e, "in hash literal")
                    key = self.parse_unary()
                eq = self.peek("E")
                if eq.kind != "=":
                    raise self.fail("Missing '=' operator after key in hash literal.", eq)
                self.take(eq, "operator")
                v = self.skip_newlines()
                if v.kind in _CMD_END:
                    raise self.fail("Missing statement after '=' in hash literal.", v)
                value = self.parse_statement()
                pairs.append((key, value))
                t = self.peek("E")
                if t.kind not in ("newline", ";", "}", "eof"):
                    raise self.unexpected(t, "in hash literal")
            return A.Hashtable(tuple(pairs), False, span=self.span(tok.start, close.end))
        finally:
            self.depth -= 1

    def parse_postfix(self, node: A.Expr, command: bool = False) -> A.Expr:
        """Member access, static member, index, method call, ``++``/``--`` (no space before)."""
        text, n = self.text, self.n
        while True:
            p = self.pos
            if p >= n:
                return node
            c = text[p]
            if c == "." and not text.startswith("..", p):
                if command and not self._member_start(p + 1):
                    return node
                self.records.append((p, p + 1, "punctuation"))
                self.pos = p + 1
                q = p + 1
                while q < n and text[q] in " \t\r\n":
                    q += 1
                if q > p + 1 and "\n" in text[p + 1:q] and self._member_start(q):
                    self.pos = q                            # `$x.` then the member on the next line
                node = self.parse_member(node, False)
            elif c == ":" and text.startswith("::", p):
                if command and not self._member_start(p + 2):
                    return node
                self.records.append((p, p + 2, "punctuation"))
                self.pos = p + 2
                node = self.parse_member(node, True)
            elif c == "[":
                node = self.parse_index(node)
            elif c == "?" and text.startswith((".", "["), p + 1) and not text.startswith("..", p + 1):
                # null-conditional ${a}?.Name, ${a}?[0]: nothing when the object is null
                self.records.append((p, p + 2, "operator"))
                if text[p + 1] == ".":
                    self.pos = p + 2
                    node = self.parse_member(node, False)
                else:
                    self.pos = p + 1
                    node = self.parse_index(node)
                node.nullsafe = True                        # type: ignore[attr-defined]
            elif (not command and (text.startswith("++", p) or text.startswith("--", p))
                  and isinstance(node, (A.Variable, A.Member, A.Index))):
                self.records.append((p, p + 2, "operator"))
                self.pos = p + 2
                node = A.Unary("post" + text[p:p + 2], node, span=self.span(node.span.start, p + 2))
            else:
                return node

    def _member_start(self, p: int) -> bool:
        if p >= self.n:
            return False
        c = self.text[p]
        return c.isalpha() or c == "_" or c in "$(" or c in _QUOTES

    def parse_member(self, obj: A.Expr, static: bool) -> A.Expr:
        text, p = self.text, self.pos
        c = text[p] if p < self.n else ""
        if c in (" ", "\t"):
            j = p                                           # `$a. Count`: pwsh skips blanks there
            while j < self.n and text[j] in " \t":
                j += 1
            if j < self.n and (text[j].isalpha() or text[j] == "_"):
                p = self.pos = j
                c = text[p]
        if c and (c.isalpha() or c == "_" or (c > "\x7f" and is_name_char(c))):
            j = p
            while j < self.n and is_name_char(text[j]):
                j += 1
            member: A.Expr = A.StringConstant(text[p:j], "bare", span=self.span(p, j))
            self.records.append((p, j, "member"))
            self.pos = j
        elif c.isdigit() and not static:
            j = p                                           # $Matches.0: a numeric member
            while j < self.n and text[j].isdigit():
                j += 1
            member = A.Constant(int(text[p:j]), text[p:j], span=self.span(p, j))
            self.records.append((p, j, "member"))
            self.pos = j
        elif c and c in _QUOTES:
            tok = self.peek("E")
            self.take(tok, "string")
            member = tok.value
        elif c == "$" or c == "(":
            tok = self.peek("E")
            if tok.kind not in ("var", "$(", "("):
                raise self.fail("Missing property name after reference operator.", tok)
            self.enter()
            try:
                member = self.parse_primary()
            finally:
                self.depth -= 1
        else:
            raise self.fail("Missing property name after reference operator.",
                            start=p, end=p + 1 if p < self.n else p, incomplete=p >= self.n)
        type_args: Tuple[str, ...] = ()
        if self.pos < self.n and text[self.pos] == "[" and isinstance(member, A.StringConstant):
            found = self.generic_method_arguments()
            if found is None:
                return A.Member(obj, member, static, span=self.span(obj.span.start, member.span.end))
            type_args = found
        if self.pos < self.n and text[self.pos] == "(":
            args = self.parse_call_arguments()
            return A.InvokeMember(obj, member, tuple(args), static,
                                  span=self.span(obj.span.start, self.pos), type_args=type_args)
        if self.pos < self.n and text[self.pos] == "{" and isinstance(member, A.StringConstant):
            block = self.parse_script_block_expr()          # .ForEach{ ... }, .Where{ ... }
            return A.InvokeMember(obj, member, (block,), static,
                                  span=self.span(obj.span.start, self.pos))
        return A.Member(obj, member, static, span=self.span(obj.span.start, member.span.end))

    def report(self, error: ParseError) -> None:
        """An error the parser can go on after: recorded (raised while recovery is off)."""
        if not self.recovery.active:
            raise error
        self.recovery.record(error)

    def generic_method_arguments(self) -> Optional[Tuple[str, ...]]:
        """At ``[`` right after a member name.  A list of type names closed by ``]`` and followed
        at once by ``(`` is a generic method's type arguments: consumed, the names returned.  A list
        closed by ``]`` without ``(``, or anything not starting with a name, is an index: nothing is
        consumed, () returned.  A list cut short (by the end of input or a token that cannot be in
        a type name) is an error: recorded, the names so far consumed, None returned (the member
        ends there)."""
        text, start, n = self.text, self.pos, self.n
        j = start + 1
        while j < n and text[j] in " \t":
            j += 1
        if j >= n or not (text[j].isalpha() or text[j] == "_"):
            return ()
        depth, j = 1, start + 1
        while j < n:
            ch = text[j]
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if depth == 0:
                    break
            elif not (ch.isalnum() or ch in "_.+`, \t" or (ch > "\x7f" and is_name_char(ch))):
                break
            j += 1
        if j < n and text[j] == "]":
            if j + 1 >= n or text[j + 1] != "(":
                return ()
            return self._generic_names(start, j)
        # cut short: every bracket still open is missing its ']'
        cut_end = j + 1 if j < n else j
        for level in range(depth, 0, -1):
            error_id = ("EndSquareBracketExpectedAtEndOfType" if level == 1
                        else "EndSquareBracketExpectedAtEndOfAttribute")
            self.report(self.fail("Missing ']' at end of type name." if level == 1 else
                                  "Missing ']' at end of generic type argument list.",
                                  start=j, end=cut_end, incomplete=j >= n,
                                  error_id=error_id))
        self.records.append((start + 1, j, "type"))
        self.pos = j
        return None

    def _generic_names(self, start: int, close: int) -> Tuple[str, ...]:
        """The comma-separated names of ``[name, name]`` (``start`` and ``close`` its brackets)."""
        text = self.text
        names: List[str] = []
        level, piece_start = 0, start + 1
        for k in range(start + 1, close + 1):
            ch = text[k]
            if ch == "[":
                level += 1
            elif ch == "]" and level > 0:
                level -= 1
            elif (ch == "," and level == 0) or k == close:
                name = text[piece_start:k].strip()
                if not name:
                    self.report(self.fail("Missing type name in the generic method's type "
                                          "arguments.", start=k, end=k + 1))
                else:
                    names.append(name)
                piece_start = k + 1
        self.records.append((start + 1, close, "type"))
        self.pos = close + 1
        return tuple(names)

    def parse_call_arguments(self) -> List[A.Expr]:
        self.enter()
        try:
            open_tok = self.take(self.peek("E"), "punctuation")
            args: List[A.Expr] = []
            t = self.skip_newlines()
            if t.kind == ")":
                self.take(t, "punctuation")
                return args
            while True:
                t = self.skip_newlines()
                if t.kind not in _OPERAND_START and not self._unary_op(t):
                    if t.kind == "eof":
                        raise self.fail("Missing ')' in method call.", t)
                    raise self.fail("Missing argument in method call." if t.kind in (",", ")")
                                    else "Missing ')' in method call.", t)
                args.append(self.parse_expression(comma=False))
                t = self.skip_newlines()
                if t.kind == ",":
                    self.take(t, "punctuation")
                    continue
                if t.kind == ")":
                    self.take(t, "punctuation")
                    return args
                raise self.fail("Missing ')' in method call.", t)
        finally:
            self.depth -= 1
        del open_tok                                        # pragma: no cover

    def parse_index(self, obj: A.Expr) -> A.Index:
        self.enter()
        try:
            tok = self.take(self.peek("E"), "punctuation")
            t = self.skip_newlines()
            if t.kind not in _OPERAND_START and not self._unary_op(t):
                raise self.fail("Array index expression is missing or not valid.", t)
            index = self.parse_expression()
            self.skip_newlines()
            close = self.expect("]", "Missing ']' after array index expression.")
            return A.Index(obj, index, span=self.span(obj.span.start, close.end))
        finally:
            self.depth -= 1
        del tok                                             # pragma: no cover

    # ------------------------------------------------------------------ strings

    def _string_subexpression(self, dollar: int):
        """Lexer hook: parse ``$( ... )`` at ``dollar`` inside a string or bare word."""
        saved_pos, saved_records = self.pos, self.records
        self.records = [(dollar, dollar + 2, "punctuation")]
        try:
            self.pos = dollar + 2
            self.enter(3)
            try:
                stmts = self.parse_statements(")", dollar, "Missing closing ')' in subexpression.")
            finally:
                self.depth -= 3
            close = self.take(self.peek("E"), "punctuation")
            node = A.SubExpression(tuple(stmts), span=self.span(dollar, close.end))
            return node, close.end, self.records
        finally:
            self.pos, self.records = saved_pos, saved_records


_KEYWORD_HANDLERS = {
    "if": Parser.kw_if,
    "while": Parser.kw_while,
    "do": Parser.kw_do,
    "for": Parser.kw_for,
    "foreach": Parser.kw_foreach,
    "switch": Parser.kw_switch,
    "function": Parser.kw_function,
    "filter": Parser.kw_function,
    "try": Parser.kw_try,
    "trap": Parser.kw_trap,
    "data": Parser.kw_data,
    "break": Parser.kw_break,
    "continue": Parser.kw_break,
    "return": Parser.kw_return,
    "exit": Parser.kw_return,
    "throw": Parser.kw_return,
    "param": Parser.kw_misplaced,
    "begin": Parser.kw_misplaced,
    "process": Parser.kw_misplaced,
    "end": Parser.kw_misplaced,
    "elseif": Parser.kw_misplaced,
    "else": Parser.kw_misplaced,
    "catch": Parser.kw_misplaced,
    "finally": Parser.kw_misplaced,
    "until": Parser.kw_misplaced,
    "class": Parser.kw_class,
    "enum": Parser.kw_enum,
    "using": Parser.kw_using,
}
