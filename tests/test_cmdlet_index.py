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
