"""The restricted language: what a ``data { ... }`` section and a localized data file
(Import-LocalizedData's ``.psd1``) may hold.

Values only: constants, strings, arrays, hash tables, operators, sub-expressions, ``if``, and
pipelines of the commands a caller allows (ConvertFrom-StringData, plus ``-SupportedCommand``).
Variables are limited to ``$PSCulture``, ``$PSUICulture``, ``$true``, ``$false`` and ``$null``.
The check runs on the syntax tree before anything runs; a violation is a ParseError whose id is
the one PowerShell gives it (``CmdletNotInAllowedListForDataSection``, ...).
"""

from __future__ import annotations


from . import ast as A
from .errors import ParseError, SourceLocation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Optional

__all__ = ["DATA_COMMANDS", "ALLOWED_VARIABLES", "check_restricted"]

DATA_COMMANDS = ("ConvertFrom-StringData",)
ALLOWED_VARIABLES = frozenset(("psculture", "psuiculture", "true", "false", "null"))

# statement and expression kinds refused outright: (what the message calls it, error id)
_REFUSED = {
    A.Assignment: ("an assignment", "AssignmentStatementNotSupportedInDataSection"),
    A.While: ("a while loop", "ForWhileStatementNotSupportedInDataSection"),
    A.For: ("a for loop", "ForWhileStatementNotSupportedInDataSection"),
    A.DoWhile: ("a do loop", "DoWhileStatementNotSupportedInDataSection"),
    A.DoUntil: ("a do loop", "DoWhileStatementNotSupportedInDataSection"),
    A.Foreach: ("a foreach loop", "ForeachStatementNotSupportedInDataSection"),
    A.Switch: ("a switch statement", "SwitchStatementNotSupportedInDataSection"),
    A.Trap: ("a trap statement", "TrapStatementNotSupportedInDataSection"),
    A.Try: ("a try statement", "FlowControlStatementNotSupportedInDataSection"),
    A.Break: ("break", "FlowControlStatementNotSupportedInDataSection"),
    A.Continue: ("continue", "FlowControlStatementNotSupportedInDataSection"),
    A.Return: ("return", "FlowControlStatementNotSupportedInDataSection"),
    A.Exit: ("exit", "FlowControlStatementNotSupportedInDataSection"),
    A.Throw: ("throw", "FlowControlStatementNotSupportedInDataSection"),
    A.FunctionDefinition: ("a function definition", "FunctionDeclarationNotSupportedInDataSection"),
    A.ClassDefinition: ("a type definition", "FunctionDeclarationNotSupportedInDataSection"),
    A.EnumDefinition: ("a type definition", "FunctionDeclarationNotSupportedInDataSection"),
    A.DataSection: ("a data section", "DataSectionStatementNotSupportedInDataSection"),
    A.ScriptBlockExpr: ("a script block", "ScriptBlockNotSupportedInDataSection"),
    A.InvokeMember: ("a method call", "MethodCallNotSupportedInDataSection"),
    A.Member: ("a property reference", "PropertyReferenceNotSupportedInDataSection"),
    A.Index: ("an index", "ArrayReferenceNotSupportedInDataSection"),
    A.AttributeAst: ("an attribute", "AttributeNotSupportedInDataSection"),
    A.ParamBlock: ("a param block", "ParameterDeclarationNotSupportedInDataSection"),
    A.FileRedirection: ("a redirection", "RedirectionNotSupportedInDataSection"),
    A.MergingRedirection: ("a redirection", "RedirectionNotSupportedInDataSection"),
}


def check_restricted(node: Any, commands: Iterable[str], source: str, text: str) -> None:
    """Raise ParseError at the first construct of ``node`` the restricted language refuses;
    ``commands`` are the command names it may call (any case)."""
    allowed = {name.lower(): name for name in commands}
    _walk(node, allowed, source, text)


def _fail(node: Any, message: str, error_id: str, source: str, text: str) -> ParseError:
    span = node.span
    return ParseError(message, SourceLocation(source, text, span.start, span.end), error_id=error_id)


def _walk(node: Any, allowed: Dict[str, str], source: str, text: str) -> None:
    if isinstance(node, tuple):
        for item in node:
            _walk(item, allowed, source, text)
        return
    if not isinstance(node, A.Node):
        return
    refused = _REFUSED.get(type(node))          # type: ignore[call-overload]
    if refused is not None:
        what, error_id = refused
        raise _fail(node, f"A data section cannot hold {what}: only values, 'if' and the allowed "
                          f"commands may appear in it.", error_id, source, text)
    if isinstance(node, A.Variable):
        if node.scope is not None or node.splatted or node.name.lower() not in ALLOWED_VARIABLES:
            raise _fail(node, f"A data section cannot read the variable '${node.name}': only "
                              f"$PSCulture, $PSUICulture, $true, $false and $null.",
                        "VariableReferenceNotSupportedInDataSection", source, text)
        return
    if isinstance(node, A.CommandAst):
        _check_command(node, allowed, source, text)
    for name in A.fields(node):
        if name != "span":
            _walk(getattr(node, name), allowed, source, text)


def _check_command(node: A.CommandAst, allowed: Dict[str, str], source: str, text: str) -> None:
    if node.invocation == ".":
        raise _fail(node, "A data section cannot dot-source a command.",
                    "DotSourcingNotSupportedInDataSection", source, text)
    head = node.elements[0]
    name: Optional[str] = head.value if isinstance(head, A.StringConstant) else None
    if name is None or name.lower() not in allowed:
        shown = name if name is not None else text[head.span.start:head.span.end]
        raise _fail(head, f"The command '{shown}' is not allowed in a data section (allowed: "
                          f"{', '.join(allowed.values())}).",
                    "CmdletNotInAllowedListForDataSection", source, text)
