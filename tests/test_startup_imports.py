"""What ``pshell -c`` imports before its first statement runs (issue 15: every fresh ``pshell -c``
pays for it, in a fan-out too).  ``typing``, ``contextlib`` and ``re`` (with ``enum``) are imported
where first needed; the paths that import ``re`` late still work in a process that had not imported it."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(script: str) -> subprocess.CompletedProcess:
    code = ("import sys\n"
            "from pshell.cli import main\n"
            f"rc = main(['-NoProfile', '-c', {script!r}])\n"
            "sys.stdout.flush()\n"
            "print('LOADED', *sorted(m for m in ('typing', 're', 'enum', 'json', 'contextlib')\n"
            "                        if m in sys.modules))\n"
            "sys.exit(rc)\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


def test_a_command_imports_neither_typing_nor_re():
    done = _run("1 + 1; 'a' -eq 'A'")
    assert done.stdout.splitlines() == ["2", "True", "LOADED"], done.stdout + done.stderr


def test_what_imports_re_late_works_in_a_fresh_process():
    done = _run("'abc' -match 'B'; ('a1b2c' -split '\\d').Count; 'x.y' -split '.', 0, 'SimpleMatch';"
                "([timespan]'1.02:03:04').TotalSeconds; ([regex]'a+').Match('baaa').Value;"
                "$PSStyle.OutputRendering = 'PlainText'; Write-Host \"`e[31mred`e[0m\"")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True", "3", "x", "y", "93784", "aaa", "red",
                                        "LOADED enum re"], done.stdout + done.stderr


def test_a_parse_error_and_requires_in_a_fresh_process():
    done = _run("#requires -Version 99\n1")
    assert done.returncode == 1
    assert "99" in done.stderr and "Traceback" not in done.stderr, done.stderr
    done = _run("if (")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stderr.strip(), done.stderr


def test_a_command_compiles_only_itself():
    """Nothing in the engine generates Python source at start-up (the inline comparisons were
    exec'd from a template: ~0.5 ms of every pshell)."""
    code = ("import builtins, sys\n"
            "seen = []\n"
            "real_compile, real_exec = builtins.compile, builtins.exec\n"
            "def compile(source, filename, *a, **k):\n"
            "    if not str(filename).endswith('.py'):     # a module's source: no bytecode cache\n"
            "        seen.append(str(filename))\n"
            "    return real_compile(source, filename, *a, **k)\n"
            "def exec_(code, *a, **k):\n"
            "    if isinstance(code, str):\n"
            "        seen.append('exec of text')\n"
            "    return real_exec(code, *a, **k)\n"
            "builtins.compile, builtins.exec = compile, exec_\n"
            "from pshell.cli import main\n"
            "rc = main(['-NoProfile', '-c', '1 -eq 1; (1, 2, 3) -gt 1; 2 -le 1.5'])\n"
            "sys.stdout.flush()\n"
            "print(sorted(set(seen)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.splitlines() == ["True", "2", "3", "False", "['<pshell:<command line>>']"], \
        done.stdout + done.stderr


#: what a command that needs none of them must not import (each was a measured part of every
#: start-up): threading (with functools, types and _weakrefset: the engine's locks come from _thread),
#: datetime's Python half (the engine uses the C _datetime), struct and bisect (C extensions loaded
#: for a Single and for a text of several lines), importlib (with warnings: the cmdlet index imports
#: with __import__), the #requires reader (a text without comments has none), the static members
#: of types (~12 ms of tables and the modules they pull: a member of a value does not need them).
_DEFERRED = ("threading", "functools", "types", "_weakrefset", "datetime", "struct", "bisect",
             "importlib", "warnings", "pshell.lang.requires", "pshell.engine.statics", "collections",
             "decimal")


def _loaded_after(script: str, names=_DEFERRED) -> subprocess.CompletedProcess:
    code = ("import sys\n"
            "from pshell.cli import main\n"
            f"rc = main(['-NoProfile', '-c', {script!r}])\n"
            "sys.stdout.flush()\n"
            f"print('LOADED', *sorted(m for m in {names!r} if m in sys.modules))\n"
            "sys.exit(rc)\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


def test_a_command_leaves_the_deferred_modules_unloaded():
    done = _loaded_after("1 + 1; $x = @{a = 1}; $x.a; $x.a -eq 1; Write-Output 3 2>&1")
    assert done.stdout.splitlines() == ["2", "1", "True", "3", "LOADED"], done.stdout + done.stderr


def test_what_the_deferred_modules_serve_works_in_a_fresh_process():
    script = ("#requires -Version 5\n"
              "[single]1.1\n"
              "(Get-Date).Year -gt 2000\n"
              "([datetime]'2020-01-02').AddDays(1).Day\n"
              "Start-Sleep -Milliseconds 1; 'slept'\n"
              "(Get-Command Get-Random).Name\n"
              "'a*b' -like 'A`*B'\n"
              "[cultureinfo]::CurrentCulture = 'de-DE'; [cultureinfo]::CurrentCulture.Name\n"
              "throw 'on line 9'")
    done = _loaded_after(script, ("threading", "struct", "bisect", "pshell.lang.requires"))
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["1.1", "True", "3", "slept", "Get-Random", "True", "de-DE",
                                        "LOADED bisect pshell.lang.requires struct threading"], \
        done.stdout + done.stderr
    assert "<command line>:9:1" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_stop_requested_before_the_first_wait_is_seen():
    """The runspace's stop event is made by the first wait (threading is not loaded before): a
    stop that came before it, or between two waits, still ends the wait at once."""
    from pshell.engine.runtime import Runspace
    rs = Runspace()
    rs.stop()
    assert rs.wait_stop(60) is True
    rs.clear_stop()
    assert rs.wait_stop(0.01) is False
    rs.stop()
    assert rs.wait_stop(60) is True
    fresh = Runspace()
    assert fresh.wait_stop(0) is False


def test_a_command_without_decimals_does_not_load_decimal():
    done = _loaded_after("1 + 1; 2.5 * 2; [int]'7'; 'x' * 2",
                         ("decimal", "_decimal", "collections", "numbers"))
    assert done.stdout.splitlines() == ["2", "5", "7", "xx", "LOADED"], done.stdout + done.stderr


def test_each_way_to_a_first_decimal_works_in_a_fresh_process():
    """The decimal module is loaded by whatever first makes a Decimal (a literal, a conversion,
    a number too large for Int64, [math]::Round, a format, a Single's text, ConvertTo-Json of one
    made before the writer was imported): each alone in a fresh process."""
    cases = [("1.10d * 2; 1d -is [decimal]", ["2.20", "True"]),
             ("[decimal]'1.5' + 1", ["2.5"]),
             ("99999999999999999999 -is [decimal]", ["True"]),
             ("[math]::Round(2.345, 2)", ["2.35"]),
             ("(2.25).ToString('F1')", ["2.3"]),
             ("[single]1.1", ["1.1"]),
             ("ConvertTo-Json @{a = 1.50d} -Compress", ['{"a":1.50}']),
             ("[decimal]::MaxValue", ["79228162514264337593543950335"]),
             ("[decimal]::Parse('1e2'); ([decimal]3).GetType().FullName", ["100", "System.Decimal"]),
             ("1d / 3", ["0.3333333333333333333333333333"])]
    for script, expected in cases:
        done = _loaded_after(script, ("decimal",))
        assert done.stdout.splitlines() == expected + ["LOADED decimal"], (script, done.stdout + done.stderr)


def _imports_of(path):
    import ast
    tree = ast.parse(open(path, encoding="utf-8").read())
    skip = set()
    for node in ast.walk(tree):        # `if TYPE_CHECKING:` blocks import for the type checker only
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            skip.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_only_lex_numbers_imports_decimal():
    """Every Decimal is made through pshell/lang/lex_numbers.py's loader, which rebinds the
    stand-ins: a module importing decimal itself could hand out a Decimal the stand-ins miss."""
    offenders = []
    for directory, _, files in os.walk(os.path.join(ROOT, "pshell")):
        for name in files:
            path = os.path.join(directory, name)
            if name.endswith(".py") and not path.endswith(os.path.join("lang", "lex_numbers.py")):
                if any(module in ("decimal", "_decimal", "_pydecimal") for module in _imports_of(path)):
                    offenders.append(os.path.relpath(path, ROOT))
    assert offenders == []


def test_no_module_keeps_a_stand_in_after_decimal_loads():
    """Modules imported before and after the load all end up with the real class and module."""
    code = """
import importlib, pkgutil, sys
import pshell
from pshell.lang import lex_numbers
for name in ('values', 'numbers', 'operators', 'types', 'conversions', 'members',
             'compile_expressions', 'compiler', 'runtime'):
    importlib.import_module('pshell.engine.' + name)
before = [m for m in list(sys.modules) if m.startswith('pshell.lang') or m.startswith('pshell.engine')]
assert 'decimal' not in sys.modules
d = pshell.engine.numbers.Decimal('1.5')
import decimal
assert type(d) is decimal.Decimal
for info in pkgutil.walk_packages(pshell.__path__, 'pshell.'):
    if info.name.endswith('__main__'):
        continue
    try:
        importlib.import_module(info.name)
    except BaseException:
        pass
bad = [name for name, m in list(sys.modules.items()) if name.startswith('pshell')
       and (vars(m).get('Decimal') is lex_numbers.DecimalNotLoaded
            or vars(m).get('decimal') is lex_numbers.DECIMAL_NOT_LOADED)]
print(len(before) > 10, pshell.engine.numbers.KINDS['decimal'][0] is decimal.Decimal,
      pshell.engine.numbers.DECIMAL_MAX == decimal.Decimal(2**96 - 1), bad)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          stdin=subprocess.DEVNULL)
    assert done.stdout.split() == ["True", "True", "True", "[]"], done.stdout + done.stderr
