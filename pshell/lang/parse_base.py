"""The plumbing of pshell's parser (:class:`ParserBase`): tokens from the modal lexer, spans,
parse errors and recovery, the nesting guard, and the constants the parser's mixins share.
:class:`~pshell.lang.parser.Parser` is built on it."""

from __future__ import annotations


from . import ast as A
from .errors import ParseError, SourceLocation
from .recovery import Recovery
from .lexer import Lexer, Token

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

# Nesting guard, in "depth units": a statement, a unary expression and each bracketed construct
# count one, so about 200 levels of nested parentheses / braces / subexpressions are accepted.
MAX_DEPTH = 600

# Tokens that end a command (and its arguments).
_CMD_END = frozenset(("newline", ";", "|", "||", "&", "&&", ")", "}", "eof"))
# Tokens that can start an operand of a unary operator / a binary operator's right side.
_OPERAND_START = frozenset(("num", "str", "dstr", "var", "$(", "@(", "@{", "(", "{", "[", "-", "+",
                            "!", "++", "--", ","))
_NAMED_BLOCKS = ("begin", "process", "end", "clean", "dynamicparam")
_MISSING_BRACE = "Missing closing '}' in statement block or type definition."


def _lone_expr(stmt: A.Statement) -> Optional[A.Expr]:
    """The expression of a statement that is just one (no command, pipe or redirection)."""
    if isinstance(stmt, A.Pipeline) and not stmt.background and len(stmt.elements) == 1:
        element = stmt.elements[0]
        if isinstance(element, A.CommandExpression) and not element.redirections:
            return element.expr
    return None


class ParserBase:
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
        self.guard_hits = 0                                 # times the nesting guard tripped
        # ``$( )`` in strings and bare words that failed to parse: see _string_subexpression
        self.failed_subexpressions: Dict[Tuple[int, bool, Optional[str]], Tuple[int, bool, ParseError]] = {}

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
            self.guard_hits += 1
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

    def report(self, error: ParseError) -> None:
        """An error the parser can go on after: recorded (raised while recovery is off)."""
        if not self.recovery.active:
            raise error
        self.recovery.record(error)

    if TYPE_CHECKING:       # provided by the other mixins of Parser (parser.py)
        def parse_statement(self) -> A.Statement: ...
        def parse_statements(self, closer: Optional[str], open_start: int,
                             missing: str) -> List[A.Statement]: ...
        def parse_statement_block(self, message: str,
                                  jump: Optional[str] = None) -> A.StatementBlock: ...
        def parse_pipeline_statement(self, chained: bool = False) -> A.Statement: ...
        def parse_script_block(self, is_filter: bool = False) -> A.ScriptBlockAst: ...
        def parse_script_block_expr(self) -> A.ScriptBlockExpr: ...
        def parse_parameter_list(self) -> List[A.ParameterAst]: ...
        def parse_attribute_or_type(self) -> Tuple[str, Any]: ...
        def parse_argument_list(self, tok: Token) -> A.Expr: ...
        def parse_command_argument(self, tok: Token, display: str = "text") -> A.Expr: ...
        def try_attributed_definition(self) -> Optional[A.Statement]: ...
        def _unary_op(self, tok: Token) -> bool: ...
        def parse_expression(self, comma: bool = True) -> A.Expr: ...
        def parse_primary(self) -> A.Expr: ...
        def parse_postfix(self, node: A.Expr, command: bool = False) -> A.Expr: ...
        def parse_call_arguments(self) -> List[A.Expr]: ...
        def _string_subexpression(self, dollar: int) -> Any: ...
