"""The engine cache on the remote computer (``~/.cache/pshell/<digest>/``) through real sshd: checked
against its digest before each use, fetched again when changed or damaged, refused when it is not
the user's own.  ``PSHELL_SSH_DIRECT=0`` makes every connection start the loader (a direct
connection to a running host never reads the cache)."""

from __future__ import annotations

import os

import pytest

from pshell.transport.bootstrap import engine_digest, engine_files
from conftest import stop_host_in


def _cache_root(sshd_hosts) -> str:
    return os.path.join(sshd_hosts.remote_home, ".cache", "pshell")


def _run(pshell, script: str, hosts):
    """Run ``script`` with the loader starting the host (from the cache) on server01."""
    stop_host_in(hosts.state_dir)
    return pshell("-c", script, env={"PSHELL_SSH_DIRECT": "0"})


@pytest.fixture
def cache(sshd_hosts, pshell):
    """The engine's cached copy, there and checked (its stamp written) after a connection or
    two; left as it was found."""
    root = _cache_root(sshd_hosts)
    for _ in range(2):          # a cache fetched by the first is checked by the second
        proc = _run(pshell, "Invoke-Command server01 { 'warm' }", sshd_hosts)
        assert proc.stdout.split() == ["warm"], proc.stderr
        if os.path.exists(os.path.join(root, engine_digest(), ".checked")):
            break
    yield os.path.join(root, engine_digest())
    os.chown(root, 0, 0)
    os.chmod(root, 0o700)


def _original(name: str) -> bytes:
    return dict(engine_files())[name]


def test_modified_module_in_the_cache_is_replaced_before_it_runs(cache, sshd_hosts, pshell, tmp_path):
    marker = tmp_path / "planted-ran"
    relay = os.path.join(cache, "pshell", "remote", "relay.py")
    with open(relay, "a") as fh:
        fh.write(f"\nopen({str(marker)!r}, 'w').write('planted')\n")
    extra = os.path.join(cache, "pshell", "remote", "extra.py")
    with open(extra, "w") as fh:
        fh.write("x = 1\n")
    proc = _run(pshell, "Invoke-Command server01 { 'after' }", sshd_hosts)
    assert proc.stdout.split() == ["after"], proc.stderr
    assert not marker.exists()
    with open(relay, "rb") as fh:
        assert fh.read() == _original("pshell/remote/relay.py")
    assert not os.path.exists(extra)


def test_truncated_cache_is_repaired_on_the_next_connection(cache, sshd_hosts, pshell):
    relay = os.path.join(cache, "pshell", "remote", "relay.py")
    os.truncate(relay, 100)
    protocol = os.path.join(cache, "pshell", "remote", "protocol.py")
    os.unlink(protocol)
    proc = _run(pshell, "Invoke-Command server01 { 6 * 7 }", sshd_hosts)
    assert proc.stdout.split() == ["42"], proc.stderr
    with open(relay, "rb") as fh:
        assert fh.read() == _original("pshell/remote/relay.py")
    assert os.path.exists(protocol)


def test_symlink_in_the_cache_is_not_followed(cache, sshd_hosts, pshell, tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_bytes(_original("pshell/remote/relay.py"))    # same text, but not ours to trust
    relay = os.path.join(cache, "pshell", "remote", "relay.py")
    os.unlink(relay)
    os.symlink(outside, relay)
    proc = _run(pshell, "Invoke-Command server01 { 'ok' }", sshd_hosts)
    assert proc.stdout.split() == ["ok"], proc.stderr
    assert not os.path.islink(relay)


def test_cache_of_another_user_is_refused(cache, pshell, sshd_hosts, other_user):
    import pwd
    root = _cache_root(sshd_hosts)
    entry = pwd.getpwnam(other_user.name)
    os.chown(root, entry.pw_uid, entry.pw_gid)
    proc = _run(pshell, "Invoke-Command server01 { 'ran' }", sshd_hosts)
    assert "ran" not in proc.stdout
    assert (f"refusing the engine cache {root} on the remote computer: it belongs to user "
            f"{other_user.name}") in proc.stderr, proc.stderr
    assert "server01" in proc.stderr


def test_cache_writable_by_others_is_refused(cache, pshell, sshd_hosts):
    root = _cache_root(sshd_hosts)
    os.chmod(root, 0o777)
    proc = _run(pshell, "Invoke-Command server01 { 'ran' }", sshd_hosts)
    assert "ran" not in proc.stdout
    assert (f"refusing the engine cache {root} on the remote computer: it is writable by other "
            f"users (mode 0777)") in proc.stderr, proc.stderr
    os.chmod(root, 0o700)
    proc = _run(pshell, "Invoke-Command server01 { 'again' }", sshd_hosts)
    assert proc.stdout.split() == ["again"], proc.stderr


def test_damaged_bytecode_in_the_cache_is_dropped(cache, sshd_hosts, pshell):
    folder = os.path.join(cache, "pshell", "remote", "__pycache__")
    (pyc,) = [n for n in os.listdir(folder) if n.startswith("relay.")]
    os.truncate(os.path.join(folder, pyc), 20)       # header intact, code cut short
    proc = _run(pshell, "Invoke-Command server01 { 'fine' }", sshd_hosts)
    assert proc.stdout.split() == ["fine"], proc.stderr


def _stamp(cache) -> str:
    return os.path.join(cache, ".checked")


def test_a_checked_cache_is_not_read_again_but_a_same_size_same_mtime_change_is_seen(
        cache, sshd_hosts, pshell, tmp_path):
    # after a full check the loader records what lstat saw; a file rewritten in place with the
    # same size and its mtime set back still has a new ctime, so the full check runs again
    assert os.path.isfile(_stamp(cache))
    assert oct(os.stat(_stamp(cache)).st_mode & 0o777) == oct(0o600)
    marker = tmp_path / "planted-ran"
    relay = os.path.join(cache, "pshell", "remote", "relay.py")
    before = os.stat(relay)
    original = _original("pshell/remote/relay.py")
    planted = f"open({str(marker)!r}, 'w').write('planted')\n".encode()
    changed = planted + original[len(planted):]
    assert len(changed) == len(original)
    with open(relay, "r+b") as fh:
        fh.write(changed)
    os.utime(relay, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(relay).st_mtime_ns == before.st_mtime_ns
    proc = _run(pshell, "Invoke-Command server01 { 'after' }", sshd_hosts)
    assert proc.stdout.split() == ["after"], proc.stderr
    assert not marker.exists()
    with open(relay, "rb") as fh:
        assert fh.read() == original


def test_a_forged_or_linked_stamp_does_not_skip_the_check(cache, sshd_hosts, pshell, tmp_path):
    relay = os.path.join(cache, "pshell", "remote", "relay.py")
    with open(relay, "a") as fh:
        fh.write("\nraise SystemExit('planted')\n")
    # a stamp that is a link to a file holding anything is not followed
    elsewhere = tmp_path / "stamp"
    with open(_stamp(cache), "rb") as fh:
        elsewhere.write_bytes(fh.read())
    os.unlink(_stamp(cache))
    os.symlink(elsewhere, _stamp(cache))
    proc = _run(pshell, "Invoke-Command server01 { 'after' }", sshd_hosts)
    assert proc.stdout.split() == ["after"], proc.stderr
    assert not os.path.islink(_stamp(cache))
    with open(relay, "rb") as fh:
        assert fh.read() == _original("pshell/remote/relay.py")
    # a stamp of garbage (or an absurd size) only costs a full check
    with open(_stamp(cache), "wb") as fh:
        fh.write(b"\xff" * 1_000_000)
    proc = _run(pshell, "Invoke-Command server01 { 'again' }", sshd_hosts)
    assert proc.stdout.split() == ["again"], proc.stderr
    assert os.path.getsize(_stamp(cache)) == 64


def test_a_directory_above_the_cache_is_checked(cache, pshell, sshd_hosts, other_user):
    """Every directory on the way to the cache: another user's (not root's) or one others may
    write to (unless sticky, as /tmp) is refused, naming it; a sticky one is used."""
    import pwd
    above = os.path.dirname(_cache_root(sshd_hosts))          # ~/.cache
    mode = os.stat(above).st_mode & 0o7777
    try:
        os.chmod(above, 0o777)
        proc = _run(pshell, "Invoke-Command server01 { 'ran' }", sshd_hosts)
        assert "ran" not in proc.stdout
        assert (f"refusing the engine cache {above} on the remote computer: it is writable by "
                f"other users (mode 0777)") in proc.stderr, proc.stderr
        os.chmod(above, 0o1777)
        proc = _run(pshell, "Invoke-Command server01 { 'sticky' }", sshd_hosts)
        assert proc.stdout.split() == ["sticky"], proc.stderr
        os.chmod(above, mode)
        entry = pwd.getpwnam(other_user.name)
        os.chown(above, entry.pw_uid, entry.pw_gid)
        proc = _run(pshell, "Invoke-Command server01 { 'ran' }", sshd_hosts)
        assert "ran" not in proc.stdout
        assert (f"refusing the engine cache {above} on the remote computer: it belongs to user "
                f"{other_user.name}") in proc.stderr, proc.stderr
    finally:
        os.chown(above, 0, 0)
        os.chmod(above, mode)


def test_a_cache_that_is_not_a_directory_is_refused(cache, pshell, sshd_hosts):
    root = _cache_root(sshd_hosts)
    aside = root + ".aside"
    os.rename(root, aside)
    try:
        with open(root, "w") as fh:
            fh.write("not a directory\n")
        proc = _run(pshell, "Invoke-Command server01 { 'ran' }", sshd_hosts)
        assert "ran" not in proc.stdout
        assert (f"refusing the engine cache {root} on the remote computer: it is not a "
                f"directory") in proc.stderr, proc.stderr
    finally:
        if os.path.isfile(root):
            os.unlink(root)
        os.rename(aside, root)
    proc = _run(pshell, "Invoke-Command server01 { 'again' }", sshd_hosts)
    assert proc.stdout.split() == ["again"], proc.stderr


def test_a_relay_whose_host_runs_runs_nothing_of_the_cache(cache, sshd_hosts, pshell, tmp_path):
    """With the host running, a connection's relay hands its channel over from stage two's own
    code: a changed cache runs nowhere, and the next start of the host (from the loader) finds
    the change and fetches the engine again before running any of it."""
    marker = tmp_path / "planted-ran"
    planted = f"\nopen({str(marker)!r}, 'a').write('planted')\n"
    for name in ("relay.py", "handoff.py", "paths.py"):
        with open(os.path.join(cache, "pshell", "remote", name), "a") as fh:
            fh.write(planted)
    assert sshd_hosts.host_pid() is not None
    proc = pshell("-c", "Invoke-Command server01 { 'running' }", env={"PSHELL_SSH_DIRECT": "0"})
    assert proc.stdout.split() == ["running"], proc.stderr
    assert not marker.exists()
    proc = _run(pshell, "Invoke-Command server01 { 'restarted' }", sshd_hosts)
    assert proc.stdout.split() == ["restarted"], proc.stderr
    assert not marker.exists()
    for name in ("relay.py", "handoff.py", "paths.py"):
        with open(os.path.join(cache, "pshell", "remote", name), "rb") as fh:
            assert fh.read() == _original(f"pshell/remote/{name}")
