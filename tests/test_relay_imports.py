"""What a relay imports (issue 15: one starts for every channel of a first contact, on every
computer): nothing from the standard library's directory - ``os`` is frozen into the interpreter,
``_socket`` is a builtin or in lib-dynload - so it finds the host's socket without the path finder
reading that directory (``from __future__ import annotations`` alone cost ~0.6 ms of ~8.6)."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_relay_finds_the_socket_importing_nothing_from_the_standard_librarys_directory(tmp_path):
    code = ("import os, sys\n"
            f"sys.path.insert(0, {ROOT!r})\n"
            "import pshell.remote.relay\n"
            "from pshell.remote import paths\n"
            "paths.socket_path()\n"
            "files = [getattr(getattr(m, '__spec__', None), 'origin', None)\n"
            "         for m in list(sys.modules.values())]\n"
            "std = os.path.dirname(os.__file__)\n"
            "print(sorted(f for f in files if f and os.path.dirname(f) == std))\n")
    env = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                          env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
