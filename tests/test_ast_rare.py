"""The syntax nodes of rarer constructs live in lang/ast_rare.py and are made the first time one is
asked for (creating a class is ~100,000 instructions in CPython 3.11: the 59 node classes were ~8%
of ``pshell -c 1``).  A command without them never makes them; each construct, parsed first thing
in a fresh process, gives the same nodes, the same dump and the same result; a kind check on a
common path does not make them (``made``); the remote host makes them before it forks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _pshell(script: str) -> str:
    return _fresh("import sys\nfrom pshell.cli import main\n"
                  f"rc = main(['-NoProfile', '-c', {script!r}])\n"
                  "sys.stdout.flush()\n"
                  "print('RARE', 'pshell.lang.ast_rare' in sys.modules)\n"
                  "sys.exit(rc)\n")


def test_common_commands_do_not_make_the_rarer_nodes():
    out = _pshell("$x = 1..3; foreach ($i in $x) { if ($i -gt 1) { \"v$i\" } }; "
                  "function f { 'f' }; f; @{a=1}.a; $x[0]; [int]'4'; "
                  "Get-Item . | Out-Null; & { $args[0] } 5; trap { 'never' }; 'end'")
    assert out.splitlines() == ["v2", "v3", "f", "1", "1", "4", "5", "end", "RARE False"], out


@pytest.mark.parametrize("script, expected", [
    ("param($a = 2) $a", ["2"]),
    ("function g([Parameter()][int]$n) { $n * 2 }; g 4", ["8"]),
    ("$i = 0; while ($i -lt 2) { $i++ }; $i", ["2"]),
    ("$i = 0; do { $i++ } while ($i -lt 3); $i", ["3"]),
    ("$i = 0; do { $i++ } until ($i -ge 4); $i", ["4"]),
    ("for ($i = 0; $i -lt 2; $i++) { \"f$i\" }", ["f0", "f1"]),
    ("switch (2) { 1 { 'one' } 2 { 'two' } }", ["two"]),
    ("try { throw 'x' } catch { 'caught' } finally { 'done' }", ["caught", "done"]),
    ("class K { [int]$v = 3 }; [K]::new().v", ["3"]),
    ("enum E { A; B }; [int][E]::B", ["1"]),
    ("using namespace System.Text; 'u'", ["u"]),
    ("data { 'd' }", ["d"]),
    ("Write-Output 1 && Write-Output 2", ["1", "2"]),
    ("$true ? 'yes' : 'no'", ["yes"]),
])
def test_each_rarer_construct_works_first_thing_in_a_fresh_process(script, expected):
    assert _pshell(script).splitlines() == expected + ["RARE True"]


def test_the_nodes_are_the_same_classes_whichever_way_they_are_reached():
    out = _fresh(
        "import sys\n"
        "from pshell.lang import ast as A\n"
        "from pshell.lang.parser import parse\n"
        "assert A.made('While', 'If') == (A.If,) and 'pshell.lang.ast_rare' not in sys.modules\n"
        "tree = parse('while ($x) { 1 }')\n"
        "node = tree.end.statements[0]\n"
        "from pshell.lang import ast_rare\n"
        "assert type(node) is A.While is ast_rare.While and A.made('While') == (A.While,)\n"
        "assert isinstance(node, A.Statement) and A.fields(node)[-1] == 'span'\n"
        "print(A.dump(node).splitlines()[0])\n"
        "try:\n"
        "    A.NoSuchNode\n"
        "except AttributeError as exc:\n"
        "    print(exc)\n")
    assert out.splitlines() == ["While", "module 'pshell.lang.ast' has no attribute 'NoSuchNode'"]


def test_the_remote_host_makes_them_before_it_forks_sessions():
    out = _fresh("import sys\nimport pshell.remote.server\n"
                 "print('pshell.lang.ast_rare' in sys.modules)\n")
    assert out.split() == ["True"]
