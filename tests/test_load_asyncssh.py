"""transport.ssh_connect.load_asyncssh from several threads: while one thread imports asyncssh, the
module is already in sys.modules, half made.  Another thread (a fan-out connects to computers in
threads) must get the whole module, not that half: it got it, and asyncssh.KeyImportError was
"partially initialized module 'asyncssh' has no attribute 'KeyImportError'" (a failed connection,
once in a full run of test_tmux_remote)."""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# a stand-in asyncssh whose import waits in the middle until the test lets it go on
FAKE = """
import sys
gate = sys.modules["gate"]
gate.entered.set()
assert gate.go.wait(60), "nobody let the import go on"
class KeyImportError(Exception):
    pass
"""

CHILD = """
import sys, threading, types
sys.path.insert(0, sys.argv[1])
gate = types.ModuleType("gate")
gate.entered, gate.go = threading.Event(), threading.Event()
sys.modules["gate"] = gate
from pshell.transport import ssh_connect

class Lock:
    # the import's lock; a second thread asking for it lets the first thread's import go on
    def __init__(self):
        self.inner = threading.Lock()
    def __enter__(self):
        if gate.entered.is_set():
            gate.go.set()
        self.inner.acquire()
    def __exit__(self, *exc):
        self.inner.release()

ssh_connect._IMPORT_LOCK = Lock()
first = threading.Thread(target=ssh_connect.load_asyncssh)
first.start()
assert gate.entered.wait(60), "the first import did not start"
module = ssh_connect.load_asyncssh()            # while the first thread is in the middle
whole = hasattr(module, "KeyImportError")       # as it was given, before the import went on
gate.go.set()
first.join(60)
print(whole)
"""


def test_a_second_thread_gets_the_whole_module_while_another_imports_it(tmp_path):
    fake = tmp_path / "asyncssh"
    fake.mkdir()
    (fake / "__init__.py").write_text(FAKE)
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=REPO), timeout=120)
    assert done.stdout.split() == ["True"], done


LOADED = """
import sys
sys.path.insert(0, sys.argv[1])
from pshell.transport import ssh_connect
asyncssh = ssh_connect.load_asyncssh()
key = asyncssh.generate_private_key("ssh-ed25519")     # the module works: keys, algorithms
algs = ssh_connect._supported("hostkeyalgorithms")
print("x509" if "cryptography.x509" in sys.modules else "no-x509",
      "ssh-ed25519" in algs, any(a.startswith("x509v3-") for a in algs),
      key.algorithm == b"ssh-ed25519")
"""


def test_asyncssh_is_loaded_without_its_x509_support():
    # OpenSSH has no X.509 certificates and pshell offers none: the crypto library's x509
    # package (an eighth of asyncssh's import, on the serial start of every first connection)
    # is not imported, and asyncssh's algorithms are those it had
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", LOADED, REPO],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["no-x509", "True", "False", "True"], done
