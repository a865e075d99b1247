"""What a fresh ``pshell -c 'Invoke-Command -ComputerName a,b { } | Out-Null'`` imports (issue 15:
on a 2-core machine the client's CPU is on the fan-out's critical path).  The wire's JSON goes
through remote/jsonc.py, so neither ``json`` nor ``re`` (and ``enum`` with it) are loaded; Out-Null
does not load the formatting cmdlets; the broker's client uses the C ``_socket``; frame headers and
the broker's peer credentials are read without ``struct`` (a C extension to load); the fan-out's
threads, locks and flags are ``_thread``'s, so neither ``threading`` nor ``functools`` is loaded
(the second fan-out, -ThrottleLimit 1, runs its computers one after the other).  Each still
works when something else had loaded them (the rest of the suite)."""

from __future__ import annotations

import subprocess
import sys
import tempfile

from conftest import needs_cli, stop_brokers_in

pytestmark = needs_cli

CODE = """
import sys
from pshell.cli import main
rc = main(['-NoProfile', '-c', sys.argv[1]])
sys.stdout.flush()
print('LOADED', *sorted(m for m in ('json', 're', 'enum', 'typing', 'socket', 'hashlib',
                                    'struct', '_struct', 'threading', 'functools',
                                    'pshell.cmdlets.format')
                        if m in sys.modules))
sys.exit(rc)
"""


def test_a_fan_out_through_the_broker_imports_no_json_re_or_formatting(sshd_hosts, tmp_path):
    runtime = tempfile.mkdtemp(prefix="pi-", dir="/tmp")
    env = sshd_hosts.env(PSHELL_BROKER="1", PSHELL_BROKER_PERSIST="30", XDG_RUNTIME_DIR=runtime)
    fan = ("Invoke-Command -ComputerName server01,server02,server03 { 1 } | Out-Null; "
           "Invoke-Command -ComputerName server01,server02 { 2 } -ThrottleLimit 1 | Out-Null; "
           "Write-Host done")
    try:
        for _ in range(2):      # the first starts the broker (subprocess and all)
            done = subprocess.run([sys.executable, "-c", CODE, fan], env=env, cwd=str(tmp_path),
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            assert done.stdout.splitlines()[0] == "done", done.stdout + done.stderr
        assert done.stdout.splitlines()[1:] == ["LOADED"], done.stdout + done.stderr
    finally:
        stop_brokers_in(runtime)
