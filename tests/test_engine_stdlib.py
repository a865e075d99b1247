"""The language, engine, cmdlets and remote server need only the standard library.

They run on remote computers that have nothing but python3, so a fresh interpreter imports every
module under ``pshell.lang``, ``engine``, ``cmdlets``, ``remote`` and ``client`` with
prompt_toolkit, rich, pygments and asyncssh made unimportable, then runs a script through a
Runspace.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BLOCKER = textwrap.dedent("""
    import importlib.abc, sys

    BLOCKED = ("prompt_toolkit", "rich", "pygments", "asyncssh")

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked: the engine must use the standard library only")
            return None

    sys.meta_path.insert(0, Blocker())
    for loaded in list(sys.modules):
        if loaded.split(".")[0] in BLOCKED:
            del sys.modules[loaded]
""")

IMPORT_ALL = textwrap.dedent("""
    import importlib, pkgutil
    import pshell.lang, pshell.engine, pshell.cmdlets, pshell.remote, pshell.client
    names = []
    for package in (pshell.lang, pshell.engine, pshell.cmdlets, pshell.remote, pshell.client):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
            names.append(info.name)
    print(len(names), "modules")
    leaked = sorted(n for n in sys.modules if n.split(".")[0] in BLOCKED)
    assert not leaked, leaked
""")

RUN_SCRIPT = textwrap.dedent("""
    import io
    from pshell.engine.host import PlainHost
    from pshell.engine.runtime import Runspace
    out, err = io.StringIO(), io.StringIO()
    rs = Runspace(host=PlainHost(out, err, 80, stdin=io.StringIO("")), location=sys.argv[1])
    rs.execute('''
    function Get-Square { param([int]$N) $N * $N }
    $total = 0
    foreach ($i in 1..4) { $total += Get-Square $i }
    "total=$total"
    $h = [ordered]@{ a = 1; b = 2 }
    ($h.Keys | ForEach-Object { "$_=$($h[$_])" }) -join ','
    [pscustomobject]@{ Name = 'web1'; Port = 22 } | ConvertTo-Json -Compress
    try { throw 'boom' } catch { "caught $_" }
    1..1000000000 | Select-Object -First 2
    [pscustomobject]@{ Name = 'web1'; Port = 22 }
    ''', '<stdlib-test>')
    rs.close()
    sys.stdout.write(out.getvalue())
    sys.stderr.write(err.getvalue())
    leaked = sorted(n for n in sys.modules if n.split(".")[0] in BLOCKED)
    assert not leaked, leaked
""")


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-c", BLOCKER + code, *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=ROOT)


def test_every_engine_module_imports_without_ui_or_ssh_packages() -> None:
    proc = _run(IMPORT_ALL)
    assert proc.returncode == 0, proc.stderr
    assert "modules" in proc.stdout


def test_a_script_runs_with_the_standard_library_only(tmp_path) -> None:
    proc = _run(RUN_SCRIPT, str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "total=30" in lines
    assert "a=1,b=2" in lines
    assert '{"Name":"web1","Port":22}' in lines
    assert "caught boom" in lines
    assert lines[lines.index("caught boom") + 1:lines.index("caught boom") + 3] == ["1", "2"]
    assert "web1" in proc.stdout.split("caught boom")[1]        # the table of the object
    assert proc.stderr == ""


def test_the_blocker_really_blocks() -> None:
    proc = _run("import rich\n")
    assert proc.returncode != 0
    assert "blocked" in proc.stderr
