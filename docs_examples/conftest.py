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

pshell = e2e.pshell
rs = e2e.rs


@pytest.fixture(scope="session")
def sshd_hosts(tmp_path_factory):
    """The e2e hosts, and ``localhost`` as one more name of server01 (the pages run commands
    on "localhost", which here is server01's sshd: nothing listens on 127.0.0.1's port)."""
    if not os.path.exists(e2e.SSHD):
        pytest.skip(f"{e2e.SSHD} is missing (apt-get install openssh-server)")
    hosts = e2e.start_hosts(str(tmp_path_factory.mktemp("sshd")))
    config = os.path.join(hosts.home, ".ssh", "config")
    with open(config) as fh:
        text = fh.read()
    with open(config, "w") as fh:
        fh.write(f"Host localhost\n  HostName {hosts.addresses['server01']}\n" + text)
    with open(os.path.join(hosts.root, "hostkey_server01.pub")) as fh:
        key = " ".join(fh.read().split()[:2])
    with open(os.path.join(hosts.home, ".ssh", "known_hosts"), "a") as fh:
        fh.write(f"[localhost]:{hosts.port} {key}\n")
    yield hosts
    e2e.stop_hosts(hosts)


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.timeout(120))
