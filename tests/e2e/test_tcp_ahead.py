"""TCP connections made while asyncssh loads (transport/tcp_ahead.py), against real sshd: the
session runs over the very connection made ahead, the server's banner is left for the
handshake, and whatever is not a connected socket of a direct destination (refused, still in
progress, through a proxy, taken before it was made, never taken) is closed and left to the
usual connect, whose errors are unchanged."""

from __future__ import annotations

import os
import socket
import time

import pytest

from pshell.client.session import Target, connect_only, open_session
from pshell.engine.errors import RuntimeException
from pshell.transport import ssh_connect, tcp_ahead
from pshell.transport.ssh_connect import SSHTarget


@pytest.fixture
def client_home(sshd_hosts, monkeypatch):
    monkeypatch.setenv("HOME", sshd_hosts.home)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    # as in a fresh process: asyncssh not loaded yet (connecting loads it: load_asyncssh then
    # finds it imported)
    monkeypatch.setattr(ssh_connect, "_ASYNCSSH", None)
    return sshd_hosts


def _made(key, seconds: float = 30.0):
    """Wait until the background thread has made ``key``'s connection (the socket) or given it
    up (None: nothing is held)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with tcp_ahead._LOCK:
            if tcp_ahead._HELD.get(key) is not None or key not in tcp_ahead._HELD:
                return tcp_ahead._HELD.get(key)
        time.sleep(0.01)
    raise AssertionError("the connection made ahead never came")


def test_the_session_runs_over_the_connection_made_ahead(client_home):
    target = Target("server01")
    tcp_ahead.start([(target, SSHTarget("server01"))])
    sock = _made(target)
    assert sock is not None
    # nothing read: the banner waits for the handshake
    assert sock.recv(8, socket.MSG_PEEK) == b"SSH-2.0-"
    local_port = sock.getsockname()[1]
    session = open_session(target)
    try:
        # sshd names the client's port of this login: the one opened ahead
        seen = session.runspace.invoke("$env:SSH_CONNECTION")[0].split()
        assert int(seen[1]) == local_port
    finally:
        session.close()
    assert target not in tcp_ahead._HELD             # taken, not kept


def test_a_refused_connection_is_closed_and_the_usual_error_said(client_home):
    target = Target("deadhost")
    tcp_ahead.start([(target, SSHTarget("deadhost"))])
    sock = _made(target)
    assert tcp_ahead.take(target) is None
    assert sock is None or sock.fileno() == -1      # closed
    with pytest.raises(RuntimeException) as caught:
        connect_only(Target("deadhost"), timeout=30)
    assert "connection refused or host unreachable" in str(caught.value)


def test_a_connection_still_being_made_is_not_used(client_home):
    # a listener whose backlog is full drops further SYNs: a connection to it stays in progress
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
            fillers.append(filler)
        time.sleep(0.2)
        port = listener.getsockname()[1]
        key = object()
        tcp_ahead.start([(key, SSHTarget("127.0.0.1", port=port,
                                         options={"StrictHostKeyChecking": "yes"}))])
        sock = _made(key)
        assert sock is not None
        assert tcp_ahead.take(key) is None          # not connected: closed, not handed on
        assert sock.fileno() == -1
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_nothing_is_made_ahead_for_a_destination_behind_a_proxy(client_home):
    key = object()
    tcp_ahead.start([(key, SSHTarget("server01", options={"ProxyCommand": "nc %h %p"}))])
    assert _made(key) is None
    assert tcp_ahead.take(key) is None


def test_a_connection_taken_before_it_is_made_is_not_made(client_home, monkeypatch):
    opened = []
    real_open = tcp_ahead._open
    monkeypatch.setattr(tcp_ahead, "_open", lambda target: opened.append(target) or real_open(target))
    keys = [object() for _ in range(3)]
    for key in keys:                    # taken (by the usual connect) before the thread runs
        with tcp_ahead._LOCK:
            tcp_ahead._HELD[key] = None
        assert tcp_ahead.take(key) is None
    with tcp_ahead._LOCK:               # queued as start() would, run in this thread
        assert not tcp_ahead._WORKING[0]
        tcp_ahead._WORKING[0] = True
        tcp_ahead._QUEUE.extend((key, SSHTarget("server01")) for key in keys)
    tcp_ahead._open_all()
    assert opened == []                 # no connection made for a destination already taken
    assert not any(key in tcp_ahead._HELD for key in keys)
    assert not tcp_ahead._QUEUE and not tcp_ahead._WORKING[0]


def test_calls_one_after_the_other_share_one_thread(client_home, monkeypatch):
    # the broker calls start() as each request arrives: one thread opens them all, in turn
    # (threads in parallel would undo the one-at-a-time pacing)
    import _thread
    started = []
    real = _thread.start_new_thread
    monkeypatch.setattr(_thread, "start_new_thread",
                        lambda *args: started.append(args) or real(*args))
    keys = [object() for _ in range(3)]
    for key, host in zip(keys, ("server01", "server02", "server03")):
        tcp_ahead.start([(key, SSHTarget(host))])
    socks = [_made(key) for key in keys]
    assert len(started) == 1
    assert all(sock is not None and sock.recv(8, socket.MSG_PEEK) == b"SSH-2.0-" for sock in socks)
    tcp_ahead.drop(keys)
    deadline = time.monotonic() + 30
    while tcp_ahead._WORKING[0] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not tcp_ahead._WORKING[0]        # gone once nothing is queued: a later call starts one
    key = object()
    tcp_ahead.start([(key, SSHTarget("server01"))])
    assert _made(key) is not None and len(started) == 2
    tcp_ahead.drop([key])


def test_a_connection_never_taken_is_closed_when_dropped(client_home):
    key = object()
    tcp_ahead.start([(key, SSHTarget("server02"))])
    sock = _made(key)
    assert sock is not None and sock.fileno() != -1
    tcp_ahead.drop([key])
    assert sock.fileno() == -1
    assert key not in tcp_ahead._HELD


def test_nothing_more_is_made_ahead_once_asyncssh_is_loaded(client_home, monkeypatch):
    # the handshakes begin then: the other destinations connect as usual
    monkeypatch.setattr(ssh_connect, "_ASYNCSSH", ssh_connect.load_asyncssh())
    key = object()
    tcp_ahead.start([(key, SSHTarget("server01"))])
    assert _made(key) is None
    assert tcp_ahead.take(key) is None


def test_a_connection_the_server_dropped_meanwhile_is_not_used(client_home):
    # what sshd does past MaxStartups: it accepts and closes at once
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        key = object()
        tcp_ahead.start([(key, SSHTarget("127.0.0.1", port=listener.getsockname()[1]))])
        sock = _made(key)
        assert sock is not None
        accepted, _ = listener.accept()
        accepted.close()
        time.sleep(0.2)
        assert tcp_ahead.take(key) is None          # ended: closed, the usual connect runs
        assert sock.fileno() == -1
    finally:
        listener.close()


def test_a_fan_out_makes_ahead_only_what_its_first_threads_take(client_home, monkeypatch):
    # a connection made ahead waits unauthenticated until its thread takes it: with
    # -ThrottleLimit 2, the first two destinations only (the broker off, as here)
    from pshell.client import invoke
    started = []
    monkeypatch.setattr(tcp_ahead, "start", lambda pairs: started.extend(pairs))

    class Item:
        def __init__(self, host):
            self.target = Target(host)
    work = [Item(name) for name in ("server01", "server02", "server03")]
    invoke._ready_for_threads(work, 2)
    assert [key.host for key, _ in started] == ["server01", "server02"]
    assert [target.host for _, target in started] == ["server01", "server02"]


def test_a_process_with_many_descriptors_open_still_connects_ahead(client_home):
    # a long REPL with many sessions: the socket's number is past what select() can take
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("fewer than 1,200 descriptors allowed")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = []
    try:
        while not held or held[-1] < 1100:
            held.append(os.open(os.devnull, os.O_RDONLY))
        key = object()
        tcp_ahead.start([(key, SSHTarget("server01"))])
        sock = _made(key)
        assert sock is not None and sock.fileno() > 1024
        assert sock.recv(8, socket.MSG_PEEK) == b"SSH-2.0-"
        assert tcp_ahead.take(key) is sock
        sock.close()
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_nothing_is_made_ahead_when_the_config_runs_commands(client_home, monkeypatch, tmp_path):
    # a Match exec runs its command at each evaluation of the config: ssh evaluates it once per
    # connection, and so does pshell (making a connection ahead would evaluate it twice)
    from pshell.client import invoke
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    ran = tmp_path / "ran"
    config = open(os.path.join(client_home.home, ".ssh", "config")).read()
    (home / ".ssh" / "config").write_text(f'Match exec "echo x >> {ran}; false"\n' + config)
    monkeypatch.setenv("HOME", str(home))
    started = []
    monkeypatch.setattr(tcp_ahead, "start", lambda pairs: started.extend(pairs))

    class Item:
        def __init__(self, host):
            self.target = Target(host)
    invoke._ready_for_threads([Item("server01"), Item("server02")], 8)
    assert started == [] and not ran.exists()
    # the same config without the Match exec: both made ahead
    (home / ".ssh" / "config").write_text(config)
    invoke._ready_for_threads([Item("server01"), Item("server02")], 8)
    assert [key.host for key, _ in started] == ["server01", "server02"]
