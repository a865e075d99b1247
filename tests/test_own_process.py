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


def test_flush_all_waits_for_a_batch_the_flusher_thread_is_sending():
    """The flusher thread takes a batch out of the pending ones, then sends it (under the host's
    lock).  A Stop-Process -Id $PID in between used to find nothing pending and kill the process
    before the batch was written: the output was lost (once in a loaded full run of
    tests/e2e/test_own_death.py).  Here the flusher's send is held until flush_all asks for the
    lock: flush_all must return only after that batch was sent."""
    import threading

    from pshell.remote.server import RunspaceHost, _Invocation

    in_send, let_go = threading.Event(), threading.Event()
    sent = []

    def send(message):                  # the flusher thread's send, held in the middle
        in_send.set()
        assert let_go.wait(60), "nobody let the flusher's send finish"
        sent.append(message)

    host = RunspaceHost(send)

    class Lock:
        """The host's lock; whoever else asks for it lets the held send go on first."""

        def __init__(self):
            self.inner = threading.Lock()

        def __enter__(self):
            if in_send.is_set() and threading.current_thread() is threading.main_thread():
                let_go.set()
            self.inner.acquire()

        def __exit__(self, *exc):
            self.inner.release()

    host._lock = Lock()
    inv = _Invocation({"id": 1, "rs": 0})
    try:
        host._add_output(inv, "written before the end")
        assert in_send.wait(60), "the flusher thread did not send the batch within 60 s"
        host.flush_all()
        assert sent and "written before the end" in str(sent[0]), sent
    finally:
        let_go.set()
        host._closed = True
