"""The SSH transport itself, driven from Python (no CLI): connect, bootstrap, host keys."""

from __future__ import annotations

import os
import time

import pytest

from pshell.remote.protocol import PROTOCOL_VERSION
from pshell.transport.ssh import SSHError, SSHTarget, open_ssh_connection


@pytest.fixture
def short_root():
    """A directory for a test's own sshd and remote home with a short path, so the remote host's
    socket is its own: under a long path it goes to the shared /tmp/pshell-<uid>, where a host
    another test (or run) left running would answer instead."""
    import shutil
    import tempfile
    root = tempfile.mkdtemp(prefix="tr-", dir="/tmp")
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def client_home(sshd_hosts, monkeypatch):
    monkeypatch.setenv("HOME", sshd_hosts.home)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return sshd_hosts


def test_connect_bootstrap_and_cache(client_home):
    cache = os.path.join(client_home.remote_home, ".cache", "pshell")
    conn = open_ssh_connection(SSHTarget("server01"))
    try:
        info = conn.server_info
        assert info["v"] == PROTOCOL_VERSION and info["pid"] > 0
        # the remote ran the system python with nothing installed: the engine came over the wire
        from pshell.transport.bootstrap import engine_digest
        assert os.path.isdir(os.path.join(cache, engine_digest(), "pshell", "engine"))
        assert not os.path.exists(os.path.join(cache, engine_digest(), "pshell", "transport"))
        assert oct(os.stat(cache).st_mode & 0o777) == oct(0o700)
    finally:
        conn.close()
    conn = open_ssh_connection(SSHTarget("server01"))
    conn.close()


def test_unknown_host_key_refused(client_home):
    with pytest.raises(SSHError) as info:
        open_ssh_connection(SSHTarget("stranger"))
    assert "not known" in str(info.value) and "refused" in str(info.value)


def test_accept_new_records_the_key(client_home, tmp_path, monkeypatch):
    home = tmp_path / "home"
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(parents=True)
    config = open(os.path.join(client_home.home, ".ssh", "config")).read()
    config = config.replace(f"{client_home.home}/.ssh/known_hosts", str(ssh_dir / "known_hosts"))
    (ssh_dir / "config").write_text("Host stranger\n  StrictHostKeyChecking accept-new\n" + config)
    monkeypatch.setenv("HOME", str(home))
    conn = open_ssh_connection(SSHTarget("stranger"))
    conn.close()
    # recorded as ssh records it: under the HostName it connected to (hashed when the system
    # config says HashKnownHosts, as Debian's does), not under the alias
    from pshell.transport.known_hosts import KnownHosts
    name = f"[{client_home.addresses['stranger']}]:{client_home.port}"
    assert KnownHosts([str(ssh_dir / "known_hosts")]).known_kinds([name]) == ["ssh-ed25519"]
    # now a changed key is refused
    known = (ssh_dir / "known_hosts").read_text()
    other = open(os.path.join(client_home.root, "hostkey_server01.pub")).read().split()
    (ssh_dir / "known_hosts").write_text(known.split(" ")[0] + f" {other[0]} {other[1]}\n")
    with pytest.raises(SSHError) as info:
        open_ssh_connection(SSHTarget("stranger"))
    assert "CHANGED" in str(info.value)


def test_unreachable_host_is_a_clear_error(client_home):
    start = time.monotonic()
    with pytest.raises(SSHError) as info:
        open_ssh_connection(SSHTarget("deadhost"))
    assert "deadhost" in str(info.value)
    assert time.monotonic() - start < 15


def test_bad_user_fails_authentication_without_prompt(client_home):
    with pytest.raises(SSHError) as info:
        open_ssh_connection(SSHTarget("server01", user="nosuchuser"))
    assert "authentication failed" in str(info.value)


def test_sshd_subsystem_is_used_when_configured(client_home, short_root):
    """With ``Subsystem pshell ...`` in sshd_config the engine is not sent: sshd starts it."""
    from conftest import REPO, stop_host_in
    root = short_root
    remote_home = os.path.join(root, "rhome")
    addr = "127.0.0.71"
    proc = _own_sshd(client_home, root, addr,
                     extra=f"Subsystem pshell /usr/bin/env PYTHONPATH={REPO} /usr/bin/python3 "
                           f"-m pshell.remote.server")
    try:
        conn = open_ssh_connection(SSHTarget(addr))
        try:
            with open(f"/proc/{conn.server_info['pid']}/cmdline", "rb") as fh:
                assert b"pshell.remote.server" in fh.read()
            assert not os.path.exists(os.path.join(remote_home, ".cache", "pshell"))
        finally:
            conn.close()
    finally:
        stop_host_in(os.path.join(remote_home, ".local", "state", "pshell"))
        proc.terminate()
        proc.wait(5)


def test_later_connections_go_straight_to_the_host(client_home):
    """The host's answer says where its socket is; the next connection asks sshd for a channel
    to it (no process starts on the remote computer) and reaches the same host."""
    import json
    import stat
    from pshell.transport import ssh
    target = SSHTarget("server02")
    key = ssh.cache_key(target)
    ssh.forget_socket(key)
    first = open_ssh_connection(target)
    try:
        assert not first.link.direct            # nothing known yet: the loader and the relay
        path = ssh.known_socket(key)
        assert path and path == first.server_info["sock"]
        cache = os.path.join(client_home.home, ".cache", "pshell", "sockets.json")
        assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
        with open(cache) as fh:
            assert json.load(fh)[key] == path
        second = open_ssh_connection(target)
        try:
            assert second.link.direct
            assert second.server_info["pid"] == first.server_info["pid"]
        finally:
            second.close()
    finally:
        first.close()


def test_a_stale_socket_path_falls_back_to_the_loader(client_home, tmp_path):
    """A remembered path where nothing listens (the host was restarted elsewhere, the file is
    old): the connection starts the usual way and the right path is remembered."""
    from pshell.transport import ssh
    target = SSHTarget("server02")
    key = ssh.cache_key(target)
    ssh.remember_socket(key, str(tmp_path / "nobody-listens.sock"))
    conn = open_ssh_connection(target)
    try:
        assert not conn.link.direct
        assert ssh.known_socket(key) == conn.server_info["sock"]
    finally:
        conn.close()


def test_a_host_that_is_not_running_leaves_its_remembered_socket_alone(client_home):
    """A direct attempt where nothing listens falls back to the loader without forgetting the
    path: the host it starts listens there again, so sockets.json is not rewritten (twice per
    computer of a first fan-out, each time the whole file)."""
    from conftest import stop_host_in
    from pshell.transport import ssh
    target = SSHTarget("server03")
    key = ssh.cache_key(target)
    open_ssh_connection(target).close()
    path = ssh.known_socket(key)
    assert path
    stop_host_in(client_home.state_dir)
    cache = os.path.join(client_home.home, ".cache", "pshell", "sockets.json")
    before = os.stat(cache)
    conn = open_ssh_connection(target)
    try:
        assert not conn.link.direct and conn.server_info["sock"] == path
    finally:
        conn.close()
    after = os.stat(cache)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert ssh.known_socket(key) == path


def _own_sshd(client_home, root: str, addr: str, extra: str = "", path: str = "/usr/bin:/bin"):
    from conftest import own_sshd
    return own_sshd(client_home, root, addr, extra, path)


def _subsystem_asks(root: str) -> int:
    with open(os.path.join(root, "log")) as fh:
        text = fh.read()
    return text.count("subsystem request for pshell") + text.count("subsystem 'pshell'")


def test_a_refused_subsystem_is_not_asked_again(client_home, short_root):
    """A computer whose sshd refused the pshell subsystem is remembered (with the host's
    socket): its next first contact starts the loader without asking (two round trips)."""
    from conftest import stop_host_in
    from pshell.transport import ssh
    root = short_root
    proc = _own_sshd(client_home, root, "127.0.0.72")
    target = SSHTarget("127.0.0.72")
    key = ssh.cache_key(target)
    try:
        open_ssh_connection(target).close()
        assert _subsystem_asks(root) == 1
        assert ssh.refused_subsystem(key) == "pshell"
        stop_host_in(os.path.join(root, "rhome", ".local", "state", "pshell"))
        ssh.forget_socket(key)              # no direct channel: a first contact again
        conn = open_ssh_connection(target)
        try:
            assert not conn.link.direct and conn.server_info["persistent"]
        finally:
            conn.close()
        assert _subsystem_asks(root) == 1
    finally:
        stop_host_in(os.path.join(root, "rhome", ".local", "state", "pshell"))
        proc.terminate()
        proc.wait(5)


def test_a_remembered_refusal_gives_way_when_the_loader_fails(client_home, short_root):
    """The refusal is a hint: where the loader then fails (no python3 on the login's PATH) and
    sshd has the subsystem now, the subsystem is asked after all, and the hint forgotten."""
    from conftest import REPO, stop_host_in
    from pshell.transport import ssh
    root = short_root
    proc = _own_sshd(client_home, root, "127.0.0.73", path="/nonexistent",
                     extra=f"Subsystem pshell /usr/bin/env PYTHONPATH={REPO} /usr/bin/python3 "
                           f"-m pshell.remote.server")
    target = SSHTarget("127.0.0.73")
    key = ssh.cache_key(target)
    ssh.forget_socket(key)
    ssh.remember_refused_subsystem(key, "pshell")
    try:
        conn = open_ssh_connection(target)
        try:
            with open(f"/proc/{conn.server_info['pid']}/cmdline", "rb") as fh:
                assert b"pshell.remote.server" in fh.read()
        finally:
            conn.close()
        assert _subsystem_asks(root) == 1
        assert ssh.refused_subsystem(key) is None
    finally:
        stop_host_in(os.path.join(root, "rhome", ".local", "state", "pshell"))
        proc.terminate()
        proc.wait(5)
