"""engine/own_process: a process that kills itself runs its hooks first (a failing one does not
stop the others), flushes stdout, and still dies by the signal; another pid runs no hook."""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = """
import os, sys
from pshell.engine import own_process
def broken():
    raise RuntimeError('broken hook')
own_process.before_end(broken)
own_process.before_end(lambda: sys.stdout.write('hook ran\\n'))
gone = lambda: sys.stdout.write('forgotten hook ran\\n')
own_process.before_end(gone)
own_process.forget(gone)
sys.stdout.write('written before\\n')       # buffered: stdout is a pipe
child = os.fork()
if child == 0:
    os.execvp('sleep', ['sleep', '30'])
own_process.kill(child)                     # another process: no hook
os.waitpid(child, 0)
sys.stdout.write('after the child\\n')
own_process.kill(os.getpid())
sys.stdout.write('never\\n')
"""


def test_killing_itself_runs_the_hooks_and_flushes_stdout_first():
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=REPO), timeout=60)
    assert done.returncode == -9, done
    assert done.stdout.splitlines() == ["written before", "after the child", "hook ran"], done
