"""The ``$using:`` names of a script block (what Invoke-Command and Start-Job send along with it):
a block not compiled yet whose tree has no ``$using:`` variable is not compiled to find out (the
block is compiled where it runs), and the answer is always the compiler's."""

from __future__ import annotations

import pytest

from pshell.engine.host import PlainHost
from pshell.engine.runtime import Runspace

WITH_USING = [
    ("$using:x", ["x"]), ('"a $using:y b"', ["y"]), ("${using:Z}", ["z"]), ("$USING:up", ["up"]),
    ("param($a = $using:d) $a", ["d"]), ("@{a = $using:h}", ["h"]),
    ("switch ($x) { 1 { $using:s } }", ["s"]), ('"$($using:sub)"', ["sub"]),
    ("[int]$using:c", ["c"]), ("$using:a.b[$using:i]", ["a", "i"]),
    ('@"\n$using:here\n"@', ["here"]), ("Write-Output -InputObject $using:arg", ["arg"]),
    ("gci $using:p\\x", ["p"]), ("try { } catch { $using:e } finally { }", ["e"]),
    ("foreach ($i in $using:list) { $i }", ["list"]), ("if ($using:f) { 1 } else { 2 }", ["f"]),
    ("trap { $using:t } 1", ["t"]), ("1 | % { $_ } | ? { $using:w }", []),
    # nested blocks, functions and classes: their names are not the block's own
    ("{ $using:n }", []), ("function f { $using:q }", []),
    ("class K { [int] M() { return $using:m } }", []),
]
WITHOUT_USING = ["1", "$x = 1; $x", "'$using:x'", "Get-Date; { $y }", "function f { $global:z }",
                 "# $using:x in a comment\n2", "\"`$using:x\""]


@pytest.fixture(scope="module")
def runspace():
    return Runspace(host=PlainHost())


@pytest.mark.parametrize("text, names", WITH_USING)
def test_the_names_are_the_compilers(runspace, text, names):
    block = runspace.compile(text, "<test>")
    found = block.using_names()
    block._compiled = None
    assert found == block.compiled.using_names == names


@pytest.mark.parametrize("text", WITHOUT_USING)
def test_a_block_without_using_is_not_compiled_for_the_answer(runspace, text):
    block = runspace.compile(text, "<test>")
    assert block.using_names() == []
    assert block._compiled is None
    assert block.compiled.using_names == []


def test_a_compiled_block_answers_from_its_compilation(runspace):
    block = runspace.compile("$using:k", "<test>")
    compiled = block.compiled
    assert block.using_names() == ["k"] and block.compiled is compiled


def test_the_values_of_one_block_in_a_loop_search_its_tree_once(runspace, monkeypatch):
    """`foreach (..) { Invoke-Command -Session $s { 1 } }` makes a new block value of the same
    tree each time round: the tree is searched for `$using:` once, and a tree the unit has
    compiled already is not searched at all."""
    from pshell.engine import runtime
    searched = []
    search = runtime._search_using
    monkeypatch.setattr(runtime, "_search_using", lambda tree: searched.append(tree) or search(tree))
    unit_block = runspace.compile("foreach ($i in 1..3) { { 1 + 1 } }; { $using:u }", "<test>")
    blocks = list(runspace.invoke(unit_block))
    assert len(blocks) == 4 and blocks[0] is not blocks[1]
    assert [b.using_names() for b in blocks] == [[], [], [], ["u"]]
    assert searched == [blocks[0].ast, blocks[3].ast]
    assert all(b._compiled is None for b in blocks[:3])
    assert blocks[0].compiled is not None   # now the unit has the tree compiled
    searched.clear()
    fresh = runspace.invoke(unit_block)[1]
    assert fresh._compiled is None and fresh.using_names() == [] and fresh._compiled is not None
    assert searched == []
