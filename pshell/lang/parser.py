"""Recursive-descent parser for pshell's PowerShell subset.

``parse(text, source)`` returns a :class:`~pshell.lang.ast.ScriptBlockAst` or raises
:class:`~pshell.lang.errors.ParseError` (``incomplete=True`` when more input could complete the
script: the REPL and stdin reader use that to ask for another line).  No other exception escapes.

The parser pulls tokens from the modal :class:`~pshell.lang.lexer.Lexer`, asking for expression
mode (``'E'``) or command mode (``'C'``) as PowerShell does.  Every consumed token is recorded with
its display class in :attr:`Parser.records` (used by ``tokenize_for_display``).

:class:`Parser` is composed of mixins, one module per concern: ``parse_base`` (token plumbing,
error reporting, the nesting guard), this module (script blocks, param blocks, statements,
pipelines, commands and redirections), ``parse_keywords`` (the keyword statements: if, while, do,
for, foreach, switch, function, try, trap, data, break/return, class, enum, using) and
``parse_expressions`` (operators, primaries, postfix members / calls / indexes, strings'
``$( )``).

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

from . import ast as A
from .errors import ParseError, SourceLocation
from .checks import automatic_constraint_problem
from .recovery import TooManyErrors, too_many
from .lex_numbers import number_value, scan_number
from .lexer import Token, is_name_char, is_word_end
from .parse_base import MAX_DEPTH, _CMD_END, _MISSING_BRACE, _NAMED_BLOCKS, _OPERAND_START, _lone_expr
from .parse_expressions import ExpressionParser
from .parse_keywords import _KEYWORD_HANDLERS, KeywordParser

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

__all__ = ["parse", "Parser", "MAX_DEPTH"]

_ASSIGN_OPS = frozenset(("=", "+=", "-=", "*=", "/=", "%=", "??="))
_LOOP_KEYWORDS = frozenset(("while", "do", "for", "foreach", "switch"))
_NEEDS_SEPARATOR = (A.Pipeline, A.Assignment, A.Return, A.Exit, A.Throw, A.Break, A.Continue)


def _ends_with_background(stmt: A.Statement) -> bool:
    """``cmd &`` (also ``$j = cmd &``) ends its statement: another may follow on the line."""
    while isinstance(stmt, A.Assignment):
        stmt = stmt.value
    return isinstance(stmt, A.Pipeline) and stmt.background


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


class Parser(KeywordParser, ExpressionParser):
    """The parser: script blocks, statements and pipelines here; keyword statements and
    expressions from its mixins; tokens and errors from :class:`ParserBase`."""

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
        if self.lx.comments:        # `#requires` is a comment: no need to load its reader otherwise
            from .requires import read_requires
            requirements = read_requires(self.text, self.lx.comments, self.source)
            if requirements is not None:
                object.__setattr__(root, "requires", requirements)  # read by compiler.requirements_of
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
