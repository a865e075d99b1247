"""State on the remote side is owned, checked and valid (issue 9), without sshd: the relay runs as
a local child process and hands its pipes to a real host process, as in test_host_daemon.

A second, real user (``useradd``) owns the directories that must be refused."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys

import pytest

from pshell.remote.client import RemoteConnection, SessionRefused
from run_users import remove_leftovers, remove_user, user_name

OTHER = user_name("psh-trust-")     # this run's own (tests/run_users.py)


@pytest.fixture(scope="module")
def other_uid():
    if os.getuid() != 0 or not shutil.which("useradd"):
        pytest.skip("a second user needs root and useradd")
    remove_leftovers("psh-trust-")
    remove_user(OTHER)
    subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", OTHER], check=True)
    yield pwd.getpwnam(OTHER).pw_uid
    remove_user(OTHER)


@pytest.fixture
def state(tmp_path, monkeypatch):
    path = tmp_path / "state"
    monkeypatch.setenv("PSHELL_STATE_DIR", str(path))
    monkeypatch.setenv("PSHELL_HOST_LINGER", "30")
    yield path
    _kill_host(path)


def _kill_host(path):
    try:
        with open(path / "run" / "host.pid") as fh:
            os.kill(json.load(fh)["pid"], signal.SIGKILL)
    except (OSError, ValueError, KeyError):
        pass


def connect():
    from pshell.transport.process import ProcessLink
    link = ProcessLink([sys.executable, "-m", "pshell.remote.server"], env=dict(os.environ))
    conn = RemoteConnection(link, "localhost")
    link.attach(conn)
    return conn


def listing():
    lister = connect()
    lister.hello()
    sessions = lister.list_sessions()
    lister.drop("done")
    return sessions


# --------------------------------------------------------------------------- session ids

@pytest.mark.parametrize("hostile", ["/abs", "../x", "x" * 5000, "a\0b", ".", "..", "a/b"])
def test_hostile_session_id_is_refused_and_nothing_deleted(state, tmp_path, hostile):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious").write_text("keep me")
    if hostile == "/abs":
        hostile = str(victim)
    elif hostile == "../x":
        hostile = "../../victim"
    conn = connect()
    with pytest.raises(SessionRefused) as info:
        conn.open(hostile, "evil", 0, 30, None, "t")
    conn.drop("bye")
    assert "Cannot validate argument on parameter 'InstanceId'" in str(info.value)
    assert (victim / "precious").read_text() == "keep me"
    assert not (victim / "session.json").exists()
    assert listing() == []


def test_session_file_whose_id_is_a_path_is_not_restored(state, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious").write_text("keep me")
    folder = state / "sessions" / "forged"
    folder.mkdir(parents=True)
    (folder / "session.json").write_text(json.dumps({"id": str(victim), "name": "forged"}))
    assert listing() == []
    assert (victim / "precious").read_text() == "keep me"


# --------------------------------------------------------------------------- idle timeouts

@pytest.mark.parametrize("idle", [float("nan"), 1e12, -1, 0, float("inf"), "soon"])
def test_host_refuses_an_idle_timeout_out_of_range(state, idle):
    conn = connect()
    with pytest.raises(SessionRefused) as info:
        conn.open("", "bad-idle", 0, 30, idle, "t")
    conn.drop("bye")
    assert "Cannot validate argument on parameter 'IdleTimeoutSec'" in str(info.value)
    assert listing() == []


def test_disconnect_with_a_bad_idle_timeout_keeps_the_old_one(state):
    conn = connect()
    conn.open("", "keeper", 0, 30, None, "t")
    conn.disconnect(idle=-1)              # would have ended the session within a second
    conn.drop("bye")
    (entry,) = listing()
    assert entry["name"] == "keeper" and entry["idle"] == 86400
    meta = json.loads((state / "sessions" / entry["session"] / "session.json").read_text())
    assert meta["idle"] == 86400


@pytest.mark.parametrize("stored", ["NaN", "1e12", "-1", "Infinity"])
def test_bad_idle_timeout_on_disk_does_not_break_listing(state, stored):
    folder = state / "sessions" / "old-one"
    folder.mkdir(parents=True)
    (folder / "session.json").write_text(
        '{"id": "old-one", "name": "OldOne", "created": 1700000000, "idle": %s}' % stored)
    (entry,) = listing()
    assert entry["name"] == "OldOne" and entry["idle"] == 86400 and entry["expires"]
    assert json.loads((folder / "session.json").read_text())["idle"] == 86400     # repaired
    log = (state / "host.log").read_text()
    assert "warning: session OldOne: the stored idle timeout" in log


@pytest.mark.parametrize("value", ["([double]::NaN)", "1e12", "-1", "0", "59", "2147484"])
def test_cmdlets_refuse_idle_timeout_out_of_range(value):
    from pshell.engine.runtime import Runspace
    rs = Runspace()
    shown = {"([double]::NaN)": "NaN", "1e12": "1000000000000"}.get(value, value)
    for command in (f"New-PSSession nowhere.invalid -IdleTimeoutSec {value}",
                    f"Invoke-Command nowhere.invalid {{ 1 }} -InDisconnectedSession "
                    f"-IdleTimeoutSec {value}"):
        (message,) = rs.invoke(f'try {{ {command} }} catch {{ "$_" }}')
        assert message.startswith(
            f"Cannot validate argument on parameter 'IdleTimeoutSec'. The argument {shown} is "
            f"not in the range 60 to 2147483 seconds"), message
    (message,) = rs.invoke('try { New-PSSessionOption -IdleTimeout 1000 } catch { "$_" }')
    assert "The argument 1000 is not in the range 60000 to 2147483647 milliseconds" in message
    rs.close()


# --------------------------------------------------------------------------- directories

def test_private_dir_refuses_another_users_or_a_writable_directory(tmp_path, other_uid):
    from pshell.engine.private import UnsafeDirectory, private_dir
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, other_uid, -1)
    with pytest.raises(UnsafeDirectory) as info:
        private_dir(str(theirs))
    assert f"belongs to user {OTHER}" in str(info.value) and str(theirs) in str(info.value)
    with pytest.raises(UnsafeDirectory) as info:
        private_dir(str(theirs / "mine"))        # below theirs: they could swap it
    assert f"{theirs} belongs to user {OTHER}" in str(info.value)
    assert not (theirs / "mine").exists()
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)
    with pytest.raises(UnsafeDirectory) as info:
        private_dir(str(open_dir))
    assert "writable by other users (mode 0777)" in str(info.value)
    link = tmp_path / "link"
    link.symlink_to(theirs)
    with pytest.raises(UnsafeDirectory) as info:
        private_dir(str(link))                   # followed to what it is, and refused
    assert f"(= {theirs})" in str(info.value)


def test_state_dir_of_another_user_is_refused_with_its_reason(state, other_uid):
    state.mkdir(mode=0o700)
    os.chown(state, other_uid, -1)
    conn = connect()
    with pytest.raises(Exception) as info:
        conn.hello()
    assert f"{state} belongs to user {OTHER}" in str(info.value)


def test_taken_socket_fallback_directory_gives_way(tmp_path, monkeypatch, other_uid):
    import pathlib
    import tempfile
    shared = pathlib.Path(tempfile.mkdtemp(prefix="pst-", dir="/tmp"))   # a short stand-in for
    os.chmod(shared, 0o1777)                     # /tmp: root's, sticky, open to all
    taken = shared / f"pshell-{os.getuid()}"
    taken.mkdir(mode=0o700)
    os.chown(taken, other_uid, -1)
    state = tmp_path / ("long-" * 16) / "state"    # too long for a socket path: the fallback
    monkeypatch.setenv("PSHELL_STATE_DIR", str(state))
    monkeypatch.setenv("TMPDIR", str(shared))
    monkeypatch.setenv("PSHELL_HOST_LINGER", "30")
    try:
        conn = connect()
        rs = conn.open("", "", 0, 30, None, "t")
        assert rs.invoke("1 + 1") == [2]
        sock = conn.server_info["sock"]
        assert sock.startswith(str(shared / f"pshell-{os.getuid()}-"))
        assert (state / "run" / "socket-dir").read_text().strip() == os.path.dirname(sock)
        conn.close()
        again = connect()                 # a second start finds the same directory
        again.hello()
        assert again.server_info["sock"] == sock
        again.drop("bye")
        assert os.stat(taken).st_uid == other_uid and not os.listdir(taken)
    finally:
        _kill_host(state)
        shutil.rmtree(shared, ignore_errors=True)


def test_event_log_symlink_is_not_followed(tmp_path, monkeypatch):
    from pshell.engine.events import event_log_path, write_event
    monkeypatch.setenv("PSHELL_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "state").mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    os.symlink(victim, event_log_path())
    write_event("hello from the test")
    assert victim.read_text() == "untouched\n"
    assert not os.path.islink(event_log_path())
    with open(event_log_path()) as fh:
        assert "hello from the test" in fh.read()


def test_event_log_in_a_writable_directory_is_not_written(tmp_path, monkeypatch):
    from pshell.engine.events import event_log_path, write_event
    folder = tmp_path / "state"
    folder.mkdir()
    os.chmod(folder, 0o777)
    monkeypatch.setenv("PSHELL_STATE_DIR", str(folder))
    write_event("hello")
    assert not os.path.exists(event_log_path())


def _ready(tmp_path, monkeypatch):
    """A state directory checked ahead, as a spare session process checks it."""
    from pshell.engine import events
    state = tmp_path / "state"
    monkeypatch.setenv("PSHELL_STATE_DIR", str(state))
    monkeypatch.setattr(events, "_READY", [])
    events.ready_state_dir()
    assert events._ready_dir(str(state)) is not None
    return events, state


def _entries(folder):
    path = folder / "pshell.log"
    return path.read_text().count("RemoteSession") if path.exists() else 0


def test_event_log_checked_ahead_is_written_where_it_was_checked(tmp_path, monkeypatch):
    events, state = _ready(tmp_path, monkeypatch)
    events.write_event("HostName=RemoteSession one")
    assert _entries(state) == 1 and os.stat(state / "pshell.log").st_mode & 0o777 == 0o600
    # a directory moved away: the entry follows the path (checked again), never the old one
    os.rename(state, tmp_path / "moved")
    events.write_event("HostName=RemoteSession two")
    assert _entries(tmp_path / "moved") == 1 and _entries(state) == 1


def test_event_log_checked_ahead_then_opened_to_others_is_not_written(tmp_path, monkeypatch):
    events, state = _ready(tmp_path, monkeypatch)
    os.chmod(state, 0o777)
    events.write_event("HostName=RemoteSession")
    assert _entries(state) == 0


def test_event_log_checked_ahead_then_swapped_for_an_open_directory(tmp_path, monkeypatch):
    events, state = _ready(tmp_path, monkeypatch)
    os.rename(state, tmp_path / "old")
    state.mkdir()
    os.chmod(state, 0o777)          # put in its place by someone: refused, as without the check
    events.write_event("HostName=RemoteSession")
    assert _entries(state) == 0 and _entries(tmp_path / "old") == 0


def test_event_log_checked_ahead_then_swapped_for_another_users(tmp_path, monkeypatch,
                                                                 other_uid):
    events, state = _ready(tmp_path, monkeypatch)
    os.rename(state, tmp_path / "old")
    state.mkdir(mode=0o700)
    os.chown(state, other_uid, -1)
    events.write_event("HostName=RemoteSession")
    assert _entries(state) == 0 and _entries(tmp_path / "old") == 0
    os.rename(state, tmp_path / "theirs")       # and a symbolic link to theirs
    state.symlink_to(tmp_path / "theirs")
    events.write_event("HostName=RemoteSession")
    assert _entries(tmp_path / "theirs") == 0 and _entries(tmp_path / "old") == 0


# --------------------------------------------------------------------------- secrets on disk

SECRET = "hunter2-plaintext-Zq9"


def _secrets():
    from pshell.engine.credentials import SecureString as ReadHostSecure
    from pshell.engine.credentials import PSCredential, SecureString
    from pshell.engine.values import PSObject
    return [ReadHostSecure(SECRET), SecureString(SECRET), PSCredential("me", SECRET),
            PSObject({"Inner": [SecureString(SECRET)]})]


def test_securestring_never_reaches_a_local_spill_file(tmp_path, monkeypatch):
    from pshell.engine import job_buffer as jobmod
    from pshell.engine.job_buffer import JobBuffer
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(jobmod, "_cleaned_stale", False)
    buffer = JobBuffer("secrets", max_items=5)
    values = list(range(5)) + _secrets() + list(range(5, 12))
    for value in values:
        buffer.append("output", value)
    path = buffer.spill_path
    assert path is not None and os.path.getsize(path) > 0
    with open(path, "rb") as fh:
        data = fh.read()
    assert SECRET.encode() not in data and SECRET.encode("utf-16-le") not in data
    taken = [item for batch in buffer.take() for _, item in batch]
    assert taken[:5] == list(range(5)) and taken[9:] == list(range(5, 12))
    assert taken[5:9] == values[5:9]          # kept in memory, the same objects
    buffer.close()


def test_securestring_never_reaches_a_remote_spool_file(tmp_path):
    from pshell.engine.job_runner import LocalWork
    from pshell.engine.runtime import Runspace
    from pshell.remote.spool import SpoolingJobManager
    rs = Runspace(location=str(tmp_path))
    manager = SpoolingJobManager(rs, str(tmp_path / "jobs"))
    rs._jobs = manager
    work = LocalWork(rs.compile("$args[0]; $args[0] | Write-Output; 'end'", "<t>"), str(tmp_path),
                     args=[_secrets()])
    job = manager.start_job(work, "secrets")
    assert job.wait(30)
    job.ChildJobs[0]._pshell_spool.flush()
    blobs = b"".join(p.read_bytes() for p in (tmp_path / "jobs").iterdir())
    assert b"end" in blobs and b"System.Security.SecureString" in blobs
    assert SECRET.encode() not in blobs
    rs.close()


def test_one_securestring_for_read_host_and_credentials():
    """Read-Host -AsSecureString and Get-Credential make the same SecureString, and a credential
    built from Read-Host's gives its password to the SSH layer (two classes existed before, and
    the credential code could not read the other's text: the password was silently None)."""
    from pshell.cmdlets import hostio, session
    from pshell.engine.credentials import PSCredential, SecureString, credential_parts
    assert hostio.SecureString is SecureString is session.SecureString
    secret = SecureString("s3cret")
    assert str(secret) == "System.Security.SecureString" and "s3cret" not in repr(secret)
    assert credential_parts(PSCredential("ops", secret)) == ("ops", "s3cret")
    assert credential_parts(PSCredential("ops", "plain")) == ("ops", "plain")


def test_the_broker_lives_in_the_users_own_directories_not_the_shared_tmp(tmp_path, monkeypatch):
    """The connection broker's socket goes under XDG_RUNTIME_DIR or pshell's state directory; the
    shared temporary directory, where another user can take the name first, only when a socket
    path would be too long anywhere else - and a name taken there is refused, not used."""
    from pshell.client.broker import broker_dir
    from pshell.engine.private import UnsafeDirectory
    for name in ("XDG_RUNTIME_DIR", "XDG_STATE_HOME", "PSHELL_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    import tempfile
    home = tempfile.mkdtemp(prefix="h", dir="/tmp")       # short enough for a socket path
    try:
        monkeypatch.setenv("HOME", home)
        assert broker_dir().startswith(os.path.join(home, ".local", "state", "pshell", "run"))
    finally:
        shutil.rmtree(home)
    long_home = tmp_path / ("h" * 90)
    long_home.mkdir()
    monkeypatch.setenv("HOME", str(long_home))
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o1777)
    taken = shared / f"pshell-{os.getuid()}"
    taken.mkdir()
    os.chown(taken, 65534, 65534)
    monkeypatch.setattr("tempfile.tempdir", str(shared))
    with pytest.raises(UnsafeDirectory):
        broker_dir()


def test_the_broker_directory_is_worked_out_once_and_made_again_when_removed(tmp_path,
                                                                              monkeypatch):
    """A fan-out's threads share one answer for the broker's directory while the environment that
    decides it is the same; another environment gets its own, and a directory removed under a
    running pshell is made again (and a broker started in it) instead of failing."""
    import signal
    import tempfile
    import time
    from pshell.client import broker
    runtime = tempfile.mkdtemp(prefix="pb-", dir="/tmp")
    try:
        monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
        monkeypatch.setenv("PSHELL_BROKER_PERSIST", "1")
        first = broker._known_dir()
        assert first == broker.broker_dir() and first.startswith(runtime)
        assert broker._known_dir() is first
        monkeypatch.setenv("PSHELL_SSH_CONFIG", str(tmp_path / "other_config"))
        second = broker._known_dir()
        assert second != first and os.path.isdir(second)
        shutil.rmtree(second)
        sock = broker._connect_broker()
        assert sock is not None and os.path.isdir(second)
        sock.close()
        with open(os.path.join(second, "pid")) as fh:
            os.kill(int(fh.read()), signal.SIGTERM)
        time.sleep(0.1)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
