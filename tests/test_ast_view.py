"""The read-only AST view [Parser]::ParseInput gives (pshell/engine/ast_view.py)."""

from __future__ import annotations

from pshell.engine.ast_view import AstView, view_of
from pshell.engine.langapi import parse_input
from pshell.engine.reference import PSReference
from pshell.lang.parser import parse


def _root(text: str) -> AstView:
    return view_of(parse(text), text)


def test_views_are_cached_and_know_their_parent():
    root = _root("if ($a) { 'x' } else { 'y' }")
    first = root.EndBlock.Statements[0]
    assert first is root.EndBlock.Statements[0]              # one view per node
    assert first.Parent is root.EndBlock
    clause = first.Clauses[0]
    assert clause.Item1.Extent.Text == "$a"
    assert first.ElseClause.Statements[0].PipelineElements[0].Expression.Value == "y"


def test_property_names_are_case_insensitive_and_unknown_ones_are_missing():
    root = _root("Get-Item x")
    cmd = root.endblock.statements[0].pipelineelements[0]
    assert cmd.GetCommandName() == "Get-Item"
    assert getattr(cmd, "NoSuchProperty", "missing") == "missing"
    assert getattr(cmd, "_private", "missing") == "missing"
    assert "System.Management.Automation.Language.CommandBaseAst" in cmd.ps_type_names


def test_find_all_walks_a_deep_tree_without_recursion():
    depth = 190                         # about the parser's limit: a tree ~760 nodes deep
    text = "(" * depth + "1" + ")" * depth
    root = _root(text)
    found = root.FindAll(lambda node: "ParenExpressionAst" in node.ps_type_names[0], True)
    assert len(found) == depth
    assert found[0].Extent.Text == text                      # outermost first


def test_extent_lines_and_columns():
    root = _root("'a'\n  Get-Date |\n    Select-Object")
    pipe = root.EndBlock.Statements[1]
    extent = pipe.Extent
    assert (extent.StartLineNumber, extent.StartColumnNumber) == (2, 3)
    assert (extent.EndLineNumber, extent.EndColumnNumber) == (3, 18)
    assert extent.StartScriptPosition.Line == "  Get-Date |"


def test_parse_input_of_broken_text_gives_the_recovered_tree_and_every_error():
    errors = PSReference(None)
    root = parse_input(["'one'; $x = (1 +); foreach -bogus ($i in 1) { 'body' }", PSReference(None), errors])
    assert [e.get("ErrorId") for e in errors.Value] == ["ExpectedValueExpression", "InvalidForeachFlag"]
    kinds = [s.ps_type_names[0].rsplit(".", 1)[1] for s in root.EndBlock.Statements]
    assert kinds == ["PipelineAst", "ForEachStatementAst"]
    assert str(root.EndBlock.Statements[1].Flags) == "None"


def test_parse_input_of_text_that_cannot_be_recovered_still_gives_a_root():
    errors = PSReference(None)
    root = parse_input(["{" * 200, PSReference(None), errors])
    assert errors.Value
    assert root.Extent.Text == "{" * 200
    assert root.EndBlock is not None
