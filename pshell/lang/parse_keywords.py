"""The keyword statements of pshell's parser (:class:`KeywordParser`, a mixin of
:class:`~pshell.lang.parser.Parser`): if, while, do, for, foreach, switch, function / filter, try,
trap, data, break / continue / return / exit / throw, class, enum and using.
:data:`_KEYWORD_HANDLERS` maps a statement's first word to its method."""

from __future__ import annotations


from pshell.lang.ast import replace
from . import ast as A
from .errors import ParseError
from .lexer import Token
from .parse_base import _CMD_END, _NAMED_BLOCKS, ParserBase, _lone_expr

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

_SWITCH_FLAGS = ("regex", "wildcard", "exact", "casesensitive", "file", "parallel")


class KeywordParser(ParserBase):
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


_KEYWORD_HANDLERS = {
    "if": KeywordParser.kw_if,
    "while": KeywordParser.kw_while,
    "do": KeywordParser.kw_do,
    "for": KeywordParser.kw_for,
    "foreach": KeywordParser.kw_foreach,
    "switch": KeywordParser.kw_switch,
    "function": KeywordParser.kw_function,
    "filter": KeywordParser.kw_function,
    "try": KeywordParser.kw_try,
    "trap": KeywordParser.kw_trap,
    "data": KeywordParser.kw_data,
    "break": KeywordParser.kw_break,
    "continue": KeywordParser.kw_break,
    "return": KeywordParser.kw_return,
    "exit": KeywordParser.kw_return,
    "throw": KeywordParser.kw_return,
    "param": KeywordParser.kw_misplaced,
    "begin": KeywordParser.kw_misplaced,
    "process": KeywordParser.kw_misplaced,
    "end": KeywordParser.kw_misplaced,
    "elseif": KeywordParser.kw_misplaced,
    "else": KeywordParser.kw_misplaced,
    "catch": KeywordParser.kw_misplaced,
    "finally": KeywordParser.kw_misplaced,
    "until": KeywordParser.kw_misplaced,
    "class": KeywordParser.kw_class,
    "enum": KeywordParser.kw_enum,
    "using": KeywordParser.kw_using,
}
