"""load_asyncssh never hands out asyncssh half imported: while one thread imports it, the module
is already in sys.modules without its names, and a fan-out's other threads asked for it then
(a 100-host first fan-out failed with "partially initialized module 'asyncssh' has no attribute
'KeyImportError'")."""

from __future__ import annotations

import importlib.machinery
import sys
import threading
import types

from pshell.transport import ssh_connect


def test_a_module_being_imported_is_waited_for(monkeypatch):
    real = ssh_connect.load_asyncssh()
    half = types.ModuleType("asyncssh")
    half.__spec__ = importlib.machinery.ModuleSpec("asyncssh", None)
    half.__spec__._initializing = True          # what the import system sets while importing
    monkeypatch.setitem(sys.modules, "asyncssh", half)
    got = []
    with ssh_connect._IMPORT_LOCK:              # another thread's import under way
        asker = threading.Thread(target=lambda: got.append(ssh_connect.load_asyncssh()))
        asker.start()
        asker.join(0.5)
        assert asker.is_alive() and not got     # it waits: the half module is not handed out
        sys.modules["asyncssh"] = real          # the import finished
        half.__spec__._initializing = False
    asker.join(30)
    assert got == [real] and hasattr(got[0], "KeyImportError")


def test_a_finished_import_is_taken_at_once():
    module = ssh_connect.load_asyncssh()
    assert ssh_connect.load_asyncssh() is module and hasattr(module, "connect")
