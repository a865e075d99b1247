"""pshell.cmdlets.MODULES (which module holds which cmdlet) must match what the modules register:
lookup_cmdlet trusts it to import one module instead of all of them."""

from __future__ import annotations

import ast
import subprocess
import sys


def test_the_index_matches_the_registrations():
    from pshell.cmdlets import MODULES
    from pshell.engine.cmdlet import _load_all, _REGISTRY
    _load_all()
    actual: dict = {}
    for cls in _REGISTRY.values():
        actual.setdefault(cls.__module__.rsplit(".", 1)[1], set()).add(cls.name)
    indexed = {module: set(names) for module, names in MODULES.items()}
    assert indexed == actual, (
        "pshell/cmdlets/__init__.py MODULES is out of date; it should be:\n"
        + "\n".join(f"    {m!r}: {tuple(sorted(n))!r}," for m, n in sorted(actual.items())))


def test_a_lookup_imports_only_the_module_of_the_cmdlet():
    code = ("import sys\n"
            "from pshell.engine.cmdlet import lookup_cmdlet\n"
            "assert lookup_cmdlet('get-content').name == 'Get-Content'\n"
            "assert lookup_cmdlet('no-such-thing') is None\n"
            "loaded = sorted(m for m in sys.modules if m.startswith('pshell.cmdlets.')\n"
            "                and not m.split('.')[-1].startswith('_'))\n"
            "print(loaded)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = ast.literal_eval(out.stdout)
    assert "pshell.cmdlets.content" in loaded and len(loaded) <= 3, loaded
    assert "pshell.cmdlets.session" not in loaded and "pshell.cmdlets.job" not in loaded


def test_the_view_index_matches_the_registrations():
    """Every view a cmdlet module registers is in VIEW_MODULES, under the module that does it."""
    code = ("import importlib, pkgutil\n"
            "import pshell.engine.format as F\n"
            "import pshell.cmdlets as package\n"
            "from pshell.cmdlets import VIEW_MODULES\n"
            "engine = set(F._VIEWS)\n"
            "for info in pkgutil.iter_modules(package.__path__):\n"
            "    if not info.name.startswith('_'):\n"
            "        importlib.import_module('pshell.cmdlets.' + info.name)\n"
            "assert set(F._VIEWS) - engine == set(VIEW_MODULES), sorted(set(F._VIEWS) - engine)\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
    from pshell.cmdlets import VIEW_MODULES
    for type_name, module in sorted(VIEW_MODULES.items()):
        code = (f"import pshell.engine.format as F, pshell.cmdlets.{module}\n"
                f"assert {type_name!r} in F._VIEWS\n")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, f"{module} does not register a view for {type_name}"


def test_a_job_from_a_remote_computer_gets_the_job_table_in_a_fresh_process():
    """No job cmdlet ran here, yet a (deserialised) job is shown with the jobs' table."""
    code = ("import sys\n"
            "from pshell.engine.runtime import Runspace\n"
            "from pshell.remote.protocol import DeserializedObject\n"
            "job = DeserializedObject({'Id': 3, 'Name': 'Job3', 'PSJobTypeName': 'BackgroundJob',"
            " 'State': 'Completed', 'HasMoreData': True, 'Location': 'localhost',"
            " 'Command': '1'}, ['Deserialized.System.Management.Automation.Job',"
            " 'System.Object'])\n"
            "rs = Runspace()\n"
            "rs.set_variable('o', job)\n"
            "assert 'pshell.cmdlets.job' not in sys.modules\n"
            "print(rs.invoke('$o | Out-String')[0])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    lines = [line.split() for line in out.stdout.splitlines() if line.strip()]
    assert lines[0] == ["Id", "Name", "PSJobTypeName", "State", "HasMoreData", "Location",
                        "Command"], out.stdout + out.stderr
    assert lines[2] == ["3", "Job3", "BackgroundJob", "Completed", "True", "localhost", "1"]


def test_every_builtin_alias_names_a_cmdlet_pshell_has():
    """An alias to a cmdlet that does not exist (iwr, irm, ogv, gdr, gp, ipmo) only hides what the
    user meant: every built-in alias resolves."""
    from pshell.cmdlets import MODULES
    from pshell.engine.aliases import DEFAULT_ALIASES
    cmdlets = {name.lower() for names in MODULES.values() for name in names}
    missing = sorted(f"{a} -> {t}" for a, t in DEFAULT_ALIASES.items() if t.lower() not in cmdlets)
    assert not missing
