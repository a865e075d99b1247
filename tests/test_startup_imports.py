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
