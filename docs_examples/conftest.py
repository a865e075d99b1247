"""The examples of PowerShell's reference pages on jobs and remoting, each as a test of ours
(``make docs-examples``; not part of ``make test``).  The sshd fixtures are those of
``tests/e2e/conftest.py``, loaded under a name of their own."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(_HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, _HERE)

_spec = importlib.util.spec_from_file_location(
    "pshell_e2e_fixtures", os.path.join(REPO, "tests", "e2e", "conftest.py"))
e2e = importlib.util.module_from_spec(_spec)
sys.modules["pshell_e2e_fixtures"] = e2e
_spec.loader.exec_module(e2e)

sshd_hosts = e2e.sshd_hosts
pshell = e2e.pshell
rs = e2e.rs


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.timeout(120))
