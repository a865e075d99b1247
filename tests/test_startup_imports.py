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
#: of types (~12 ms of tables and the modules they pull: a member of a value does not need them),
#: the runtime's error and #requires/using helpers (rt.py forwards to them).
_DEFERRED = ("threading", "functools", "types", "_weakrefset", "datetime", "struct", "bisect",
             "importlib", "warnings", "pshell.lang.requires", "pshell.engine.statics",
             "pshell.engine.rt_errors", "pshell.engine.rt_requires")


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
