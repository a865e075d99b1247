"""client/broker.py keeps the broker's directory per environment that decides it, read from
os.environ's raw table: a change made through os.environ (a new XDG_RUNTIME_DIR, another HOME)
must give the directory of the new environment, never the one worked out before."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from pshell.client import broker


@pytest.fixture
def short_dir():
    """A directory with a short name (a socket path must fit in ~100 bytes)."""
    path = tempfile.mkdtemp(prefix="bd-", dir="/tmp")
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


def test_the_directory_follows_the_environment(short_dir, tmp_path, monkeypatch):
    first, second = short_dir / "one", short_dir / "two"
    first.mkdir(mode=0o700)
    second.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(first))
    a = broker._known_dir()
    assert a.startswith(str(first / "pshell") + os.sep)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(second))
    b = broker._known_dir()
    assert b.startswith(str(second / "pshell") + os.sep)
    monkeypatch.setenv("PSHELL_SSH_CONFIG", str(tmp_path / "config"))     # part of its name
    c = broker._known_dir()
    assert c.startswith(str(second / "pshell") + os.sep) and c != b
    monkeypatch.delenv("PSHELL_SSH_CONFIG")
    assert broker._known_dir() == b
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(first))
    assert broker._known_dir() == a
