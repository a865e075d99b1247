"""The expressions of pshell's parser (:class:`ExpressionParser`, a mixin of
:class:`~pshell.lang.parser.Parser`): binary / unary operators and casts, primaries (literals,
variables, ``( )``, ``$( )``, ``@( )``, hashtables, script blocks), postfix member access, method
calls with generic arguments, indexes, and the ``$( )`` inside strings (the lexer's hook)."""

from __future__ import annotations


from . import ast as A
from .errors import ParseError
from .lexer import (BINARY_PRECEDENCE, DOUBLE_QUOTES, SINGLE_QUOTES, UNARY_DASH_OPERATORS,
                    Token, is_name_char)
from .parse_base import _CMD_END, _OPERAND_START, ParserBase

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Tuple

_PRIMARY_START = frozenset(("num", "str", "dstr", "var", "$(", "@(", "@{", "(", "["))
_QUOTES = SINGLE_QUOTES + DOUBLE_QUOTES


class ExpressionParser(ParserBase):
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
        """Lexer hook: parse ``$( ... )`` at ``dollar`` inside a string or bare word.

        A failure is remembered: the lexer caches tokens, not errors, so after an error the
        statement loop's recovery lexes the same word again, and without this memo every level of
        an unclosed ``echo a$(echo a$(...`` would be parsed twice per level above it (2^k).  The
        same text fails the same way, given the same recovery mode and enclosing jump context, at
        any depth where the nesting guard does not trip: a remembered failure is raised again (as a
        new error, as a new parse would) when the guard did not trip in it and the depth is no
        deeper, or when the depth is the same."""
        key = (dollar, self.recovery.active, self.jumps[-1] if self.jumps else None)
        depth, failed = self.depth, self.failed_subexpressions.get(key)
        if failed is not None:
            at, guarded, error = failed
            if depth == at or (not guarded and depth <= at):
                raise ParseError(error.message, error.location, error.incomplete, error.error_id)
        hits = self.guard_hits
        try:
            return self._parse_string_subexpression(dollar)
        except ParseError as error:
            guarded = self.guard_hits != hits
            # keep the entry that serves more depths: unguarded, and the deepest such
            if failed is None or failed[1] or (not guarded and depth > failed[0]):
                self.failed_subexpressions[key] = (depth, guarded, error)
            raise

    def _parse_string_subexpression(self, dollar: int):
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
