"""The per-user host process and the job spool, without sshd: the relay runs as a local child
process (as sshd would run it for a channel) and hands its pipes to a real host process that
keeps its state in a temporary directory."""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import time

import pytest

from pshell.remote.client import RemoteConnection, SessionRefused
from pshell.remote.invocation import ConnectionBroken


@pytest.fixture
def state(tmp_path, monkeypatch):
    path = tmp_path / "state"
    monkeypatch.setenv("PSHELL_STATE_DIR", str(path))
    monkeypatch.setenv("PSHELL_HOST_LINGER", "30")
    yield path
    pid = host_pid(path)
    if pid:
        os.kill(pid, signal.SIGKILL)


def host_pid(path):
    try:
        with open(path / "run" / "host.pid") as fh:
            pid = json.load(fh)["pid"]
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, KeyError):
        return None


def connect():
    from pshell.transport.process import ProcessLink
    link = ProcessLink([sys.executable, "-m", "pshell.remote.server"], env=dict(os.environ))
    conn = RemoteConnection(link, "localhost")
    link.attach(conn)
    return conn


def new_session(name="", token="t1"):
    conn = connect()
    rs = conn.open("", name, 0, 30, None, token)
    return conn, rs


def test_session_outlives_its_connection(state):
    conn, rs = new_session("keep")
    assert conn.server_info["persistent"] and conn.server_info["name"] == "keep"
    rs.invoke("$x = 41")
    conn.disconnect()
    conn.drop("bye")
    other = connect()
    answer = other.attach("keep", token="t2")
    assert answer["state"] == "Opened" and answer["session"] == conn.server_info["session"]
    from pshell.remote.invocation import RemoteRunspace
    assert RemoteRunspace(other, 0, {}).invoke("$x + 1") == [42]
    other.close()
    lister = connect()
    lister.hello()
    assert [s["name"] for s in lister.list_sessions()] == []
    lister.drop("done")


def test_default_names_are_unique_and_unknown_names_list_what_exists(state):
    a, _ = new_session()
    b, _ = new_session()
    assert a.server_info["name"] != b.server_info["name"]
    assert a.server_info["name"].startswith("Session")
    c = connect()
    with pytest.raises(SessionRefused) as info:
        c.open("", a.server_info["name"], 0, 30)
    assert "already exists" in str(info.value)
    d = connect()
    with pytest.raises(SessionRefused) as info:
        d.attach("nosuch")
    assert a.server_info["name"] in str(info.value) and b.server_info["name"] in str(info.value)
    for conn in (a, b):
        conn.close()
    d.drop("done")


def test_in_use_is_refused_unless_forced_or_same_token(state):
    a, _ = new_session("busy", token="mine")
    b = connect()
    with pytest.raises(SessionRefused) as info:
        b.attach("busy", token="theirs")
    assert "in use by another pshell" in str(info.value)
    c = connect()
    c.attach("busy", token="mine")             # the same client reconnecting: takes it back
    deadline = time.monotonic() + 60
    with pytest.raises(ConnectionBroken):
        while time.monotonic() < deadline:
            a.request({"t": "prompt", "id": 999, "rs": 0}, 999, 5)
            time.sleep(0.05)
    d = connect()
    d.attach("busy", token="theirs", force=True)
    assert c.broken is not None or _wait(lambda: c.broken is not None)
    d.close()


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_output_resumes_exactly_after_a_drop(state):
    """An invocation goes on while nobody is connected; the same client resumes it from what
    it had (``resume``), another client gets the rest with ``receive``."""
    conn, rs = new_session("stream", token="tok")
    inv = conn.start(0, "1..40 | ForEach-Object { $_; Start-Sleep -Milliseconds 10 }")
    seen = []
    for item in inv:
        seen.append(item)
        if len(seen) == 10:
            break
    conn.drop("network cut")                   # no goodbye: the host sees the channel end
    with pytest.raises(ConnectionBroken):      # what had arrived comes first, then the break
        for item in inv:
            seen.append(item)
    time.sleep(0.2)
    other = connect()
    inv.rebind(other)
    other.attach("stream", token="tok", resume={inv.id: inv.received_q})
    seen.extend(inv)                           # the rest, replayed from where it stopped
    assert seen == list(range(1, 41))
    # a second command, interrupted, then picked up by a different client with receive
    inv2 = other.start(0, "41..60 | ForEach-Object { $_; Start-Sleep -Milliseconds 10 }")
    first = []
    for item in inv2:
        first.append(item)
        if len(first) == 5:
            break
    inv2._ack()
    other.drop("cut again")
    third = connect()
    third.attach("stream", token="someone-else", force=True)
    pending = third.receive_pending()
    assert [p.id for p in pending] == [inv2.id]
    rest = list(pending[0])
    total = first + rest
    assert sorted(total) == list(range(41, 61)) and len(total) == 20, total
    assert third.receive_pending() == []
    third.close()


def test_host_death_keeps_finished_jobs_and_fails_running_ones(state):
    conn, rs = new_session("jobs")
    rs.invoke("Start-Job -Name done { 'r1'; 'r2'; 'r3' } | Wait-Job | Out-Null; "
              "Receive-Job -Name done -Keep | Out-Null; "
              "$null = Start-Job -Name taken { 'gone' } | Wait-Job | Receive-Job; "
              "Start-Job -Name busy { 'working'; Start-Sleep 60 } | Out-Null; Start-Sleep -Milliseconds 300")
    ids = rs.invoke("Get-Job | ForEach-Object Id")
    assert ids == [1, 3, 5]                    # numbered per session (parents and children)
    conn.disconnect()
    conn.drop("bye")
    pid = host_pid(state)
    os.kill(pid, signal.SIGKILL)
    _wait(lambda: host_pid(state) is None)
    other = connect()
    answer = other.attach("jobs")
    assert answer["restored"] is True
    from pshell.remote.invocation import RemoteRunspace
    rs2 = RemoteRunspace(other, 0, {})
    got = rs2.invoke("Get-Job | ForEach-Object { \"$($_.Id) $($_.Name) $($_.State) "
                     "[$($_.JobStateInfo.Reason.Message)]\" }")
    assert got == ["1 done Completed []", "3 taken Completed []",
                   "5 busy Failed [host process ended]"]
    assert rs2.invoke("Receive-Job -Name done") == ["r1", "r2", "r3"]
    assert rs2.invoke("Receive-Job -Name taken") == []
    assert rs2.invoke("Receive-Job -Name busy") == ["working"]
    assert rs2.invoke("(Start-Job { 'new' }).Id") == [7]
    other.close()


def test_private_directories_and_files(state):
    conn, rs = new_session("perm")
    rs.invoke("Start-Job { 'x' } | Wait-Job | Out-Null")
    session_dir = state / "sessions" / conn.server_info["session"]
    for path in (state, state / "run", state / "sessions", session_dir, session_dir / "jobs"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700, path
    files = list((session_dir / "jobs").iterdir()) + [session_dir / "session.json",
                                                      state / "run" / "host.pid"]
    checked = 0
    for path in files:
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            continue            # a state file's temporary twin, renamed over it meanwhile
        assert stat.S_IMODE(mode) == 0o600, path
        checked += 1
    assert checked >= 3
    sock = state / "run" / "host-v2.sock"
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
    conn.close()
    assert not session_dir.exists()             # an ended session leaves nothing behind


def test_idle_timeout_ends_a_disconnected_session(state):
    conn, rs = new_session("short")
    conn.disconnect(idle=0.5)
    conn.drop("bye")
    lister = connect()
    lister.hello()
    assert _wait(lambda: not any(s["name"] == "short" for s in lister.list_sessions()), 5)
    lister.drop("done")


# --------------------------------------------------------------------------- the spool alone

def test_spool_round_trip_without_a_host(tmp_path):
    from pshell.engine.job_runner import LocalWork
    from pshell.engine.runtime import Runspace
    from pshell.remote.spool import SpoolingJobManager, recover_jobs
    rs = Runspace(location=str(tmp_path))
    manager = SpoolingJobManager(rs, str(tmp_path / "jobs"))
    rs._jobs = manager
    job = manager.start_job(LocalWork(rs.compile("1..2500; Write-Warning 'careful'", "<t>"),
                                      str(tmp_path)), "1..2500")
    assert job.wait(30)
    taken = [item for _, stream, item in job.receive() if stream == "output"]
    assert taken == list(range(1, 2501))
    job.ChildJobs[0]._pshell_spool.flush()     # the receive count is written lazily
    fresh = SpoolingJobManager(Runspace(location=str(tmp_path)), str(tmp_path / "jobs"))
    assert recover_jobs(fresh) == 2
    (again,) = fresh.jobs()
    assert again.Id == job.Id and again.State == "Completed"
    assert list(again.receive()) == []          # everything had been received before


def test_spool_keeps_unreceived_records(tmp_path):
    from pshell.engine.job_runner import LocalWork
    from pshell.engine.runtime import Runspace
    from pshell.remote.spool import SpoolingJobManager, recover_jobs
    rs = Runspace(location=str(tmp_path))
    manager = SpoolingJobManager(rs, str(tmp_path / "jobs"))
    rs._jobs = manager
    job = manager.start_job(LocalWork(rs.compile("1..10; Write-Error 'bad'; 'end'", "<t>"),
                                      str(tmp_path)), "x")
    assert job.wait(30)
    fresh = SpoolingJobManager(Runspace(location=str(tmp_path)), str(tmp_path / "jobs"))
    recover_jobs(fresh)
    (again,) = fresh.jobs()
    rest = [(stream, item) for _, stream, item in again.receive()]
    assert [i for s, i in rest if s == "output"] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "end"]
    assert [str(i) for s, i in rest if s == "error"] == ["bad"]


def test_spool_has_every_record_once_across_takes_and_spills(tmp_path, monkeypatch):
    """The spool takes records from the job buffer in batches (no hook per record): records
    taken by a reader or spilled to disk before the writer saw them are still spooled, once,
    in order."""
    import threading
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    from pshell.remote.spool import SpooledBuffer, _JobSpool

    class Job:
        Id = 7
        is_finished = False
    spool = _JobSpool(Job(), str(tmp_path))
    spool.save_state_locked = lambda: None      # no state file for this stand-in job
    buffer = SpooledBuffer("t", spool)
    buffer.max_items = 50                       # spill often
    received = []
    done = threading.Event()

    def reader():
        while not done.is_set() or buffer.appended != buffer.consumed:
            for batch in buffer.take(37):
                received.extend(item for _, item in batch)
    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(20000):
        buffer.append("output", i)
        if i % 997 == 0:
            spool.flush()
    done.set()
    thread.join(30)
    spool.flush()
    assert received == list(range(20000))
    from pshell.remote.spool import _read_spool
    spooled = [item for _, item in _read_spool(spool.spool_path, {"consumed": 0, "base": 0})]
    assert spooled == list(range(20000))


def test_spool_frames_plain_values_and_objects_and_a_torn_end(tmp_path):
    """Plain values go to the spool as marshal frames, objects and records as JSON frames;
    both read back in order, a torn last frame is left out, and received records skipped."""
    from pshell.engine.errors import ErrorRecord
    from pshell.engine.values import PSObject
    from pshell.remote.spool import _batch_bytes, _read_spool
    path = tmp_path / "1.spool"
    plain = [("output", "a"), ("output", 2), ("output", 2.5), ("output", None),
             ("output", True), ("output", "é\udcff")]
    mixed = [("output", PSObject({"Name": "x"})), ("error", ErrorRecord("bad", "E", "NotSpecified"))]
    first, second = _batch_bytes(plain), _batch_bytes(mixed)
    assert first[:1] == b"M" and second[:1] == b"J"
    path.write_bytes(first + second + _batch_bytes([("output", "lost")])[:-2])
    records = _read_spool(str(path), {"consumed": 0, "base": 0})
    assert [r for r in records[:6]] == plain
    assert records[6][0] == "output" and records[6][1].get("Name") == "x"
    assert records[7][0] == "error" and records[7][1].message == "bad"
    assert len(records) == 8
    assert _read_spool(str(path), {"consumed": 5, "base": 0})[0] == ("output", "é\udcff")


def test_job_buffer_take_never_drops_a_spilled_frame(tmp_path, monkeypatch):
    """Records appended while a take() is under way can be spilled in one frame with older
    ones; the take must return the whole frame (it used to cut it, losing the rest)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    from pshell.engine.job_buffer import JobBuffer
    buffer = JobBuffer("t", max_items=10)
    for i in range(5):
        buffer.append("output", i)
    reader = buffer.take()                      # its target: the 5 records there now
    for i in range(5, 10):
        buffer.append("output", i)              # the 10th append spills all ten in one frame
    got = [item for batch in reader for _, item in batch]
    got += [item for batch in buffer.take() for _, item in batch]
    assert got == list(range(10))
    buffer.close()


_FULL_DISK_CHILD = r"""
import resource, signal, sys
from pshell.engine.job_runner import LocalWork
from pshell.engine.runtime import Runspace
from pshell.remote.spool import SpoolingJobManager
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # past the limit: short write, then EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (30000, resource.RLIM_INFINITY))
where = sys.argv[1]
rs = Runspace(location=where)
manager = SpoolingJobManager(rs, where + "/jobs")
rs._jobs = manager
job = manager.start_job(LocalWork(rs.compile(
    "foreach ($i in 1..6000) { 'line {0:d5} of the job that fills the disk' -f $i;"
    " if ($i % 500 -eq 0) { Start-Sleep -Milliseconds 120 } }", "<t>"), where), "fill")
assert job.wait(60)
print(job.State)
"""


def test_spool_on_a_full_disk_keeps_what_it_can_and_says_what_it_lost(tmp_path):
    """A short write (the disk filled mid-frame) is neither counted as written nor left torn:
    after the host's death the job is not "Completed" with part of its output - its state and a
    warning say how many records could not be kept, and every record before them is there."""
    import subprocess
    import sys
    from pshell.engine.runtime import Runspace
    from pshell.remote.spool import SpoolingJobManager, recover_jobs
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"),
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.run([sys.executable, "-c", _FULL_DISK_CHILD, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "Completed", proc.stderr     # live, memory had everything
    fresh = SpoolingJobManager(Runspace(location=str(tmp_path)), str(tmp_path / "jobs"))
    recover_jobs(fresh)
    (again,) = fresh.jobs()
    rest = [(stream, item) for _, stream, item in again.receive()]
    lines = [item for stream, item in rest if stream == "output"]
    assert 0 < len(lines) < 6000
    assert lines == [f"line {i:05d} of the job that fills the disk" for i in range(1, len(lines) + 1)]
    warnings = [str(item) for stream, item in rest if stream == "warning"]
    # the lost records: the lines not here, and the warning the live job was given when it happened
    lost = 6000 - len(lines) + 1
    assert any(f"{lost} records" in w and "could not be kept" in w and f"the {len(lines)} records"
               in w for w in warnings), warnings
    assert again.State == "Failed"
    assert "could not be kept" in str(again.ChildJobs[0].JobStateInfo.Reason)


def test_session_job_names_follow_the_session_ids(tmp_path):
    """Jobs of a session are numbered from 1 in the session, and their default names follow:
    the first is Job1 even when the process made other jobs before."""
    from pshell.engine.runtime import Runspace
    from pshell.remote.spool import SpoolingJobManager
    Runspace(location=str(tmp_path)).invoke("Start-Job { 1 } | Wait-Job | Out-Null")
    rs = Runspace(location=str(tmp_path))
    rs._jobs = SpoolingJobManager(rs, str(tmp_path / "jobs"), spool=False)
    out = rs.invoke("$j = Start-Job { 2 }; $j.Id; $j.Name; $j.ChildJobs[0].Name; "
                    "(Start-Job -Name Mine { 3 }).Name; (Receive-Job -Name Job1 -Wait)")
    assert out == [1, "Job1", "Job2", "Mine", 2]


def test_a_relay_reaches_the_host_without_importing_the_engine(state):
    """Every SSH channel starts a relay: it finds the host's socket (named after the protocol's
    version) and passes the channel with no engine or protocol module (they were most of its CPU)."""
    import subprocess
    from pshell.remote import paths
    from pshell.remote.protocol import PROTOCOL_VERSION
    assert os.path.basename(paths.socket_path()) == f"host-v{PROTOCOL_VERSION}.sock"
    probe = ("import sys\nfrom pshell.remote import relay\n"
             "try:\n    relay.connect_host(start=False)\nexcept relay.HostUnavailable as exc:\n"
             "    print(exc)\n"
             "print(' '.join(sorted(m for m in sys.modules if m.startswith('pshell.'))))\n"
             "print(' '.join(m for m in ('typing', 'collections', 'array', 'json', 're')"
             " if m in sys.modules))\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-S", "-c", probe], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=root), timeout=60)
    lines = out.stdout.splitlines()
    assert out.returncode == 0 and len(lines) == 3, out.stderr
    assert lines[0] == "no pshell host process is running"
    assert lines[1].split() == ["pshell.engine", "pshell.engine.private", "pshell.remote",
                                "pshell.remote.paths", "pshell.remote.relay"]
    assert lines[2] == ""
