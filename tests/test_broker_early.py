"""The broker's first clients met while it loads asyncssh (transport/broker_ahead.py), on a real
Unix socket without SSH: every socket accepted is handed back in order with its request unread,
only whole, good request lines are decided (with the broker's own _plan, kept for the serving
loop), and a config whose decisions cannot be kept (Match exec) runs nothing ahead."""

from __future__ import annotations

import json
import os
import socket
import time

import pytest

from pshell.transport.broker_ahead import PEEK_WAIT, EarlyClients
from pshell.transport.broker_clients import STATUS_REQUEST
from pshell.transport.broker_server import Broker


@pytest.fixture
def config(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    path = home / ".ssh" / "config"
    path.write_text("Host alpha\n  HostName 127.0.0.9\n  Port 2200\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PSHELL_SSH_CONFIG", str(path))
    return path


def line(host="alpha"):
    return json.dumps({"v": 1, "host": host, "user": None, "port": None, "key_file": None,
                       "options": {}, "subsystem": "pshell"}).encode() + b"\n"


def meet(tmp_path, sends):
    """A listening socket, an EarlyClients on it, one client per entry of ``sends`` (a list of
    the pieces it writes, 0.2 s apart), then the thread stopped: (broker, early, the accepted
    sockets, the clients)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "sock"))
    server.listen(16)
    broker = Broker(str(tmp_path), 30)
    early = EarlyClients(broker, server)
    clients = []
    for pieces in sends:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(tmp_path / "sock"))
        if pieces:
            sock.sendall(pieces[0])
        clients.append(sock)
    time.sleep(0.2)
    for sock, pieces in zip(clients, sends):
        for piece in pieces[1:]:
            sock.sendall(piece)
    time.sleep(PEEK_WAIT + 0.2)
    accepted = early.stop()
    server.close()
    return broker, early, accepted, clients


def test_only_whole_good_lines_are_decided_and_every_socket_comes_back_unread(config, tmp_path):
    good = line()
    sends = [[good], [b"garbage\n"], [STATUS_REQUEST], [good[:10], good[10:]], [],
             [line("beta") + b"and what follows"], [b"x" * 70000]]
    broker, early, accepted, clients = meet(tmp_path, sends)
    try:
        assert len(accepted) == len(sends)
        # decided: the whole good lines (the one sent in two slow parts is the loop's)
        assert set(broker.plans) == {good, line("beta")}
        assert early.keys == [broker.plans[good].key, broker.plans[line("beta")].key]
        # nothing was read: each socket still holds what its client sent, in order
        for sock, pieces in zip(accepted, sends):
            sock.setblocking(True)
            sock.settimeout(5)
            want = b"".join(pieces)
            got = b""
            while len(got) < len(want):
                got += sock.recv(len(want) - len(got))
            assert got == want
    finally:
        for sock in accepted + clients:
            sock.close()


def test_a_config_with_match_exec_runs_nothing_ahead(config, tmp_path):
    ran = tmp_path / "ran"
    config.write_text(f"Match exec \"echo x >> {ran}\"\n  User ran\nHost alpha\n  Port 2200\n")
    broker, early, accepted, clients = meet(tmp_path, [[line()]])
    try:
        assert not os.path.exists(ran)      # the serving loop runs it, as many times as before
        assert not early.keys and not broker.plans and len(accepted) == 1
    finally:
        for sock in accepted + clients:
            sock.close()
