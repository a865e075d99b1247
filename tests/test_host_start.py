"""How the per-user host starts: it serves the socket the starting relay bound and listens on,
only when that is a stream socket at the host's own path; anything else and it binds its own."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def supervisor(tmp_path, monkeypatch):
    monkeypatch.setenv("PSHELL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    from pshell.remote.supervisor import Supervisor
    daemon = Supervisor()
    yield daemon
    if daemon.listener is not None:
        daemon.listener.close()


def _bound(path, kind=socket.SOCK_STREAM):
    sock = socket.socket(socket.AF_UNIX, kind)
    sock.bind(str(path))
    if kind == socket.SOCK_STREAM:
        sock.listen(4)
    return sock


def test_the_relays_listening_socket_is_served(supervisor):
    inherited = _bound(supervisor.socket_path)
    fd = inherited.detach()
    supervisor.listen(fd)
    assert supervisor.listener.fileno() == fd
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(supervisor.socket_path)
    accepted, _ = supervisor.listener.accept()
    accepted.close()
    client.close()


@pytest.mark.parametrize("where, kind", [("elsewhere", socket.SOCK_STREAM),
                                         ("own", socket.SOCK_DGRAM)])
def test_a_socket_elsewhere_or_of_another_kind_is_not_served(supervisor, tmp_path, where, kind):
    path = tmp_path / "elsewhere.sock" if where == "elsewhere" else supervisor.socket_path
    other = _bound(path, kind)
    supervisor.listen(other.detach())
    assert supervisor.listener.getsockname() == supervisor.socket_path
    assert supervisor.listener.type == socket.SOCK_STREAM
    probe = socket.socket(socket.AF_UNIX, kind)
    if where == "elsewhere":                     # closed: nothing listens there any more
        with pytest.raises(ConnectionRefusedError):
            probe.connect(str(path))
    probe.close()
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(supervisor.socket_path)      # the host's own, bound afresh
    client.close()
