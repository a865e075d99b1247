"""Errors that carry a source location, rendered in one place with the line and a caret."""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional, Tuple

__all__ = ["SourceLocation", "ParseError", "render_location"]


class SourceLocation:
    """Where something is in a script: the source name, its text, and an offset range."""

    __slots__ = ("source", "text", "start", "end")

    def __init__(self, source: str, text: str, start: int, end: Optional[int] = None) -> None:
        self.source = source
        self.text = text
        self.start = max(0, min(start, len(text)))
        self.end = self.start if end is None else max(self.start, min(end, len(text)))

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.start) + 1

    @property
    def column(self) -> int:
        return self.start - (self.text.rfind("\n", 0, self.start) + 1) + 1

    def line_text(self) -> str:
        begin = self.text.rfind("\n", 0, self.start) + 1
        stop = self.text.find("\n", self.start)
        return self.text[begin: len(self.text) if stop < 0 else stop]

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


def render_location(loc: SourceLocation) -> str:
    """``At file:3:7`` followed by the source line and a caret under the offending text."""
    line = loc.line_text().rstrip("\r")
    col = loc.column
    width = max(1, min(loc.end - loc.start, len(line) - col + 1))
    caret = " " * (col - 1) + "~" * width
    expanded = line.expandtabs(1)
    return f"At {loc}\n+ {expanded}\n+ {caret}"


# The ErrorId PowerShell gives each parse error, found from our message (the messages are ours; the
# ids are the names scripts test for, e.g. through [Parser]::ParseInput's error list).  First match wins.
_ERROR_IDS: Tuple[Tuple[str, str], ...] = (
    (r"Unexpected token .* in expression or statement", "UnexpectedToken"),
    (r"Unexpected token '\}'", "UnexpectedToken"),
    (r"Unexpected token .*: a script block that", "MissingNamedBlocks"),
    (r"Unexpected token", "UnexpectedToken"),
    (r"Unexpected attribute", "UnexpectedAttribute"),
    (r"Unexpected '.*' block", "MissingNamedBlocks"),
    (r"Unexpected end of input", "UnexpectedToken"),
    (r"Missing closing '\}' of the variable name", "IncompleteDollarVariableReference"),
    (r"Missing closing '\}'", "MissingEndCurlyBrace"),
    (r"Missing closing '\)' in expression", "MissingEndParenthesisInExpression"),
    (r"Missing closing '\)' in (subexpression|array expression)", "MissingEndParenthesisInSubexpression"),
    (r"Missing closing '\)' in for loop", "MissingEndParenthesisAfterStatement"),
    (r"Missing closing '\)'", "MissingEndParenthesisInExpression"),
    (r"Missing '\)' in method call", "MissingEndParenthesisInMethodCall"),
    (r"Missing '\)' in function parameter list", "MissingEndParenthesisInFunctionParameterList"),
    (r"Missing '\)' in attribute", "MissingEndParenthesisInExpression"),
    (r"Missing argument in method call", "MissingExpression"),
    (r"Missing '\]' at end of type name", "EndSquareBracketExpectedAtEndOfType"),
    (r"Missing '\]' at end of generic", "EndSquareBracketExpectedAtEndOfType"),
    (r"Missing '\]' after array index", "MissingEndSquareBracket"),
    (r"Missing type name after '\['", "MissingTypename"),
    (r"Missing type name", "MissingTypename"),
    (r"Array index expression is missing", "MissingArrayIndexExpression"),
    (r"The string is missing the terminator", "TerminatorExpectedAtEndOfString"),
    (r"Missing the terminator '#>'", "TerminatorExpectedAtEndOfString"),
    (r"Missing condition in (if|elseif|while|switch)", "IfStatementMissingCondition"),
    (r"Missing closing '\)' after expression in '", "MissingEndParenthesisAfterStatement"),
    (r"Missing statement block in data section", "MissingStatementBlockForDataSection"),
    (r"Missing statement block", "MissingStatementBlock"),
    (r"Missing expression after unary operator", "MissingExpressionAfterOperator"),
    (r"You must provide a value expression following", "ExpectedValueExpression"),
    (r"You must provide a value expression on the right", "ExpectedValueExpression"),
    (r"Missing expression after ','", "MissingExpressionAfterToken"),
    (r"Missing expression after '.*' in pipeline element", "MissingExpression"),
    (r"Missing expression", "ExpectedExpression"),
    (r"An expression was expected after '\('", "ExpectedExpression"),
    (r"Missing statement after '=' in hash literal", "MissingStatementAfterAssignment"),
    (r"Missing '=' operator after key in hash literal", "MissingEqualsInHashLiteral"),
    (r"Missing statement", "MissingStatement"),
    (r"Missing property name after reference operator", "MissingPropertyName"),
    (r"An empty pipe element is not allowed", "EmptyPipeElement"),
    (r"The assignment expression is not valid", "InvalidLeftHandSide"),
    (r"Missing while or until keyword", "MissingWhileOrUntilInDoWhile"),
    (r"Missing 'in' after variable in foreach", "MissingInInForeach"),
    (r"Missing variable name after 'foreach \('", "MissingVariableNameAfterForeach"),
    (r"Missing expression after 'in' in foreach", "MissingForeachExpression"),
    (r"Missing condition in do loop", "MissingExpressionAfterKeyword"),
    (r"Missing name after '.*' keyword", "MissingNameAfterKeyword"),
    (r"Missing function body", "MissingFunctionBody"),
    (r"Missing file specification after redirection", "MissingFileSpecification"),
    (r"The redirection operator .* is", "RedirectionNotSupported"),
    (r"The Try statement is missing its Catch or Finally", "MissingCatchOrFinally"),
    (r"The catch block with no exception type must be the last", "EmptyCatchNotLast"),
    (r"The param block must be the first", "UnexpectedToken"),
    (r"Script command clause '.*' has already been defined", "DuplicateScriptCommandClause"),
    (r"The switch statement has more than one 'default'", "MultipleSwitchDefault"),
    (r"The member '.*' is already defined", "MemberAlreadyDefined"),
    (r"The enum member '.*' is already defined", "MemberAlreadyDefined"),
    (r"Missing opening '\{' of the body of", "MissingTypeBody"),
    (r"Missing the body of method", "MissingFunctionBody"),
    (r"The numeric constant", "BadNumericConstant"),
    (r"Splatted variable", "SplattingNotPermitted"),
    (r"Missing a line after the line-continuation", "IncompleteLineContinuation"),
    (r"Missing a character after the escape", "IncompleteLineContinuation"),
    (r"Empty variable name", "EmptyVariableReference"),
    (r"Invalid variable reference '.*:'", "InvalidVariableReferenceWithDrive"),
    (r"Missing an argument for parameter", "MissingArgument"),
    (r"Missing a pipeline after the", "EmptyPipelineChainElement"),
    (r"The script is nested too deeply", "ScriptTooComplicated"),
    (r"Missing the .* name after 'using", "MissingNamespaceArgument"),
    (r"The .* name after 'using .*' must be a constant", "InvalidValueForUsingItemName"),
    (r"Expected an exception type name", "MissingTypeLiteralToken"),
    (r"Missing value after '=' for attribute argument", "MissingExpressionInNamedArgument"),
    (r"Missing default value after '='", "MissingExpressionAfterToken"),
    (r"Missing ':' in the ternary", "MissingColonInTernaryExpression"),
    (r"Missing argument after ',' in parameter list", "MissingExpressionAfterToken"),
    (r"Missing file path after 'switch -File'", "MissingFilenameOption"),
)


def error_id_for(message: str) -> str:
    """The PowerShell ErrorId for a parse error message (``ParseError`` when none fits)."""
    import re
    for pattern, error_id in _ERROR_IDS:
        if re.match(pattern, message):
            return error_id
    return "ParseError"


class ParseError(Exception):
    """A syntax error.  ``incomplete`` is true when the input ended inside an open construct
    (a brace, bracket, quote, here-string, or after a trailing ``|`` / operator / backtick), so an
    interactive reader should ask for another line instead of reporting it."""

    def __init__(self, message: str, location: SourceLocation, incomplete: bool = False,
                 error_id: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.incomplete = incomplete
        self.error_id = error_id or error_id_for(message)
        self.errors: List["ParseError"] = [self]     # every error of the text, this one first
        self.tree: Any = None          # the recovered tree, when parsing got to the end (parse())

    def render(self) -> str:
        text = f"ParserError: {render_location(self.location)}\n{self.message}"
        others = [e for e in self.errors if e is not self]
        if others:
            lines = [f"  {e.location}: {e.message}" for e in others]
            text += f"\n{len(others)} more parse error{'s' if len(others) > 1 else ''}:\n" + "\n".join(lines)
        return text

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"
