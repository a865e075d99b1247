"""The relay's hot path (pshell/remote/handoff.py, also run inside stage two): the socket it guesses
is the one the full search finds, and it hands a channel only to a process of this user - a
socket someone else listens on (or nothing) sends it the usual way, which checks everything."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from pshell.remote import handoff, paths
from pshell.transport import bootstrap

@pytest.fixture
def short_path():
    """A directory with a short path (pytest's are too long for a socket address)."""
    import pathlib
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix="ho-", dir="/tmp")
    yield pathlib.Path(path)
    shutil.rmtree(path, ignore_errors=True)


NAME = f"host-v{paths.SOCKET_PROTOCOL}.sock".encode()


@pytest.mark.parametrize("setting", ["home", "state-home", "state-dir", "runtime", "runtime-open"])
def test_the_guess_is_where_the_full_search_finds_the_socket(short_path, monkeypatch, setting):
    tmp_path = short_path
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("XDG_STATE_HOME", "PSHELL_STATE_DIR", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "home").mkdir(mode=0o700)
    if setting == "state-home":
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state") + "/")
    elif setting == "state-dir":
        monkeypatch.setenv("PSHELL_STATE_DIR", str(tmp_path / "explicit"))
    elif setting.startswith("runtime"):
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o755 if setting == "runtime-open" else 0o700)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert handoff.guess_socket(os.environb, NAME) == paths.socket_path().encode()


def test_no_guess_where_only_the_full_search_can_say(tmp_path):
    assert handoff.guess_socket({b"PSHELL_STATE_DIR": b"relative/state"}, NAME) == b""
    assert handoff.guess_socket({}, NAME) == b""                          # no home
    assert handoff.guess_socket({b"HOME": b"/" + b"x" * 120}, NAME) == b""  # too long a path
    assert handoff.guess_socket({b"HOME": b"/a\0b"}, NAME) == b""


def _listen_as(uid: int, path: str):
    """A process of ``uid`` listening on ``path``; it reports what each connection sent (bytes,
    descriptors) on a pipe. Returns (pid, read end)."""
    read_fd, write_fd = os.pipe()
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            os.close(ready_r)
            os.setgid(uid)
            os.setuid(uid)
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(path)
            server.listen(8)
            os.write(ready_w, b"r")
            while True:
                conn, _ = server.accept()
                conn.settimeout(5)
                try:
                    data, fds, _, _ = socket.recv_fds(conn, 4096, 4)
                except OSError:
                    data, fds = b"?", []
                os.write(write_fd, b"%d %d\n" % (len(data), len(fds)))
                conn.close()
        finally:
            os._exit(0)
    os.close(write_fd)
    os.close(ready_w)
    assert os.read(ready_r, 1) == b"r"
    os.close(ready_r)
    return pid, read_fd


def _take(conn: socket.socket):
    """What a host reads of a hand-over before it answers "A": the first line with the
    descriptors, then the whole environment the line announces (line, environment, fds).  A
    test that answers and closes before the environment is read races stage two's sendall of
    it: the close makes that write fail, and stage two falls back to the usual start."""
    data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
    while data.count(b"\n") < 1 or len(data.partition(b"\n")[2]) < int(
            data.split(b'"env":')[1].split(b"}")[0]):
        more = conn.recv(65536)
        assert more, data
        data += more
    line, _, blob = data.partition(b"\n")
    return line, blob, fds


def _stop(pid: int, read_fd: int) -> bytes:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    seen = b""
    while True:
        chunk = os.read(read_fd, 4096)
        if not chunk:
            break
        seen += chunk
    os.close(read_fd)
    return seen


needs_root = pytest.mark.skipif(os.getuid() != 0, reason="needs root (a listener of another uid)")


@needs_root
def test_a_socket_another_user_listens_on_is_not_used(short_path):
    tmp_path = short_path
    tmp_path.chmod(0o777)
    path = str(tmp_path / "host.sock")
    pid, report = _listen_as(65534, path)
    try:
        assert handoff.connect_ours(path.encode()) is None
    finally:
        seen = _stop(pid, report)
    assert seen in (b"", b"0 0\n")                  # it learnt nothing


def test_ours_is_used_and_nothing_or_a_file_is_not(tmp_path):
    path = str(tmp_path / "host.sock")
    assert handoff.connect_ours(path.encode()) is None           # nothing there
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    assert handoff.connect_ours(path.encode()) is None           # bound, not listening
    server.listen(1)
    sock = handoff.connect_ours(path.encode())
    assert sock is not None
    sock.close()
    server.close()
    os.unlink(path)
    (tmp_path / "host.sock").write_text("not a socket")
    assert handoff.connect_ours(path.encode()) is None


@needs_root
def test_the_loader_does_not_hand_its_channel_to_another_users_socket(short_path):
    """stage two's hot path meets a host socket another user listens on (where the guess
    points: a state directory that is theirs): it hands nothing over; the usual start then
    refuses that directory, saying so."""
    tmp_path = short_path
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    theirs = tmp_path / "theirs"
    run = theirs / "pshell" / "run"
    run.mkdir(parents=True)
    for d in (theirs, theirs / "pshell", run):
        os.chown(d, 65534, 65534)
    tmp_path.chmod(0o755)
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "XDG_STATE_HOME": str(theirs),
           "PSHELL_NO_INSTALLED": "1", "SSH_CONNECTION": "127.0.0.1 1 127.0.0.1 22"}
    path = handoff.guess_socket({k.encode(): v.encode() for k, v in env.items()}, NAME)
    assert path == str(run / NAME.decode()).encode()
    pid, report = _listen_as(65534, path.decode())
    try:
        proc = subprocess.Popen([sys.executable, "-S", "-c",
                                 bootstrap.LOADER_COMMAND.split("-c '", 1)[1][:-1]],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=str(home))
        assert proc.stdin is not None
        proc.stdin.write(bootstrap.stage_two())
        proc.stdin.flush()
        out = b""
        while b"PSHELL-NEED" not in out and b"PSHELL-READY" not in out:
            chunk = os.read(proc.stdout.fileno(), 4096)     # type: ignore[union-attr]
            assert chunk, (out, proc.stderr.read())          # type: ignore[union-attr]
            out += chunk
        if b"PSHELL-NEED" in out:
            proc.stdin.write(bootstrap.engine_payload())
            proc.stdin.flush()
        rest, err = proc.communicate(timeout=60)
    finally:
        seen = _stop(pid, report)
    assert seen in (b"", b"0 0\n"), seen              # no channel, no environment
    assert proc.returncode == 3, (out + rest, err)
    assert b"refusing to use the state directory" in err and b"belongs to user" in err, err


def test_stage_two_hands_its_channel_to_our_host_without_os_or_the_cache(short_path):
    """The loader meets a listener of ours where the socket is guessed: it passes its stdin and
    stdout, a first line and the login's environment, says PSHELL-READY once the host took the
    channel (never before), reads nothing of the engine cache (there is none: no PSHELL-NEED),
    and ends when the host closes the socket."""
    home = short_path / "home"
    home.mkdir(mode=0o700)
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22",
           "ODD": "a=b"}
    path = handoff.guess_socket({k.encode(): v.encode() for k, v in env.items()}, NAME)
    run = os.path.dirname(path.decode())
    os.makedirs(run, mode=0o700)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path.decode())
    server.listen(1)
    proc = subprocess.Popen([sys.executable, "-S", "-c",
                             bootstrap.LOADER_COMMAND.split("-c '", 1)[1][:-1]],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=str(home))
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(bootstrap.stage_two())
        proc.stdin.flush()
        server.settimeout(30)
        conn, _ = server.accept()
        conn.settimeout(30)
        line, blob, fds = _take(conn)
        import json
        info = json.loads(line)
        assert info["pid"] == proc.pid and info["ssh"] == "10.0.0.1 5 10.0.0.2 22"
        sent = dict(e.partition(b"=")[::2] for e in blob.split(b"\0"))
        sent.pop(b"LC_CTYPE", None)     # the interpreter's locale coercion (PEP 538) adds it
        assert sent == {k.encode(): v.encode() for k, v in env.items()}
        assert len(fds) == 2
        os.set_blocking(proc.stdout.fileno(), False)
        assert proc.stdout.read() is None               # nothing before the host took it
        conn.sendall(b"A")
        with os.fdopen(fds[1], "wb") as out:
            os.set_blocking(proc.stdout.fileno(), True)
            assert proc.stdout.readline() == b"PSHELL-READY\n"
            out.write(b"from the host\n")               # the channel is the host's now
        assert proc.stdout.readline() == b"from the host\n"
        os.close(fds[0])
        conn.close()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        server.close()
    assert not os.path.exists(home / ".cache")          # the cache was not even looked for


def test_the_hand_over_imports_no_os(short_path):
    path = short_path / "s"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    with open(handoff.__file__, encoding="utf-8") as fh:
        source = fh.read()
    code = (source + "\nimport posix\nsock = connect_ours(%r)\n"
            "print(hand_over(sock, 0, 1, posix.environ), 'os' in sys.modules)\n" % str(path))
    proc = subprocess.Popen([sys.executable, "-S", "-c", code], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    conn, _ = server.accept()
    _, _, fds = _take(conn)
    for fd in fds:
        os.close(fd)
    conn.sendall(b"A")
    out, _ = proc.communicate(timeout=30)
    conn.close()
    server.close()
    assert out.split() == [b"True", b"False"]


def _stage_two_with_requests(short_path, piped: bytes):
    """The loader with stage two and ``piped`` (the client's first requests) behind it, in one
    write, a listener of ours where the socket is guessed: (process, server socket, home)."""
    home = short_path / "home"
    home.mkdir(mode=0o700)
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PSHELL_NO_INSTALLED": "1"}
    path = handoff.guess_socket({k.encode(): v.encode() for k, v in env.items()}, NAME)
    os.makedirs(os.path.dirname(path.decode()), mode=0o700)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path.decode())
    server.listen(1)
    server.settimeout(30)
    proc = subprocess.Popen([sys.executable, "-S", "-c",
                             bootstrap.LOADER_COMMAND.split("-c '", 1)[1][:-1]],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=str(home))
    assert proc.stdin is not None
    proc.stdin.write(bootstrap.stage_two(len(piped)) + piped)
    proc.stdin.flush()
    return proc, server, home


def test_requests_behind_stage_two_are_left_to_the_host_and_ready_comes_first(short_path):
    """The client's first requests follow stage two in the same write: stage two reads none of
    them, and says PSHELL-READY before it passes the channel (the host answers them at once, and
    its answer must come after READY)."""
    piped = b"\x00\x00\x00\x02{}" * 3
    proc, server, home = _stage_two_with_requests(short_path, piped)
    try:
        conn, _ = server.accept()
        conn.settimeout(30)
        _, _, fds = _take(conn)
        assert len(fds) == 2
        os.set_blocking(proc.stdout.fileno(), True)               # type: ignore[union-attr]
        assert proc.stdout.readline() == b"PSHELL-READY\n"      # type: ignore[union-attr]
        assert os.read(fds[0], 65536) == piped                  # all of them, for the host
        conn.sendall(b"A")
        for fd in fds:
            os.close(fd)
        conn.close()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        server.close()
    assert not os.path.exists(home / ".cache")


def test_a_host_leaving_after_ready_went_out_ends_the_channel_with_a_bye(short_path):
    """READY went out before the hand-over, and the host closed the socket without taking the
    channel (it was exiting): what stage two then has to say (here: the engine is missing) can
    no longer be a status line - it is a `bye` frame with the reason, and nothing runs."""
    import io

    from pshell.remote.framing import read_frame
    piped = b"\x00\x00\x00\x02{}"
    proc, server, home = _stage_two_with_requests(short_path, piped)
    try:
        conn, _ = server.accept()
        _, fds, _, _ = socket.recv_fds(conn, 65536, 4)
        for fd in fds:
            os.close(fd)
        conn.close()                                            # leaving: no "A"
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        server.close()
    assert out.startswith(b"PSHELL-READY\n"), out
    frames = io.BytesIO(out[len(b"PSHELL-READY\n"):])
    bye = read_frame(frames)
    assert bye is not None and bye["t"] == "bye" and "run the command again" in bye["reason"], out
    assert read_frame(frames) is None                           # nothing after it
    assert proc.returncode == 8
