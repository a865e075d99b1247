"""TCP connections opened while asyncssh loads.

A fresh process that connects to computers directly (no connection broker) first imports
asyncssh: ~150-250 ms of CPU on one core, while nothing talks to the computers and, on a
two-core machine, the other core idles.  :func:`start` opens the destinations' TCP connections
meanwhile, from one background thread, one after the other: each waits (at most
:data:`BANNER_WAIT`) for the server's banner before the next starts, so that the sshd processes
starting those connections take the idle core, not the importing one, when they run on this
machine - and on a fleet, each connection's round trip and its sshd's start are over by the time
the handshake can begin.  It stops when asyncssh is in: the handshakes start then, and the other
destinations connect as usual.  :func:`take` hands a connected socket to the handshake
(``asyncssh.connect(sock=...)``); when there is none, or it is not connected (refused, still
in progress, reset, closed by the server), the connection is made as before, with its usual
errors and timeouts.

Only what ``ssh`` itself connects to first: the first address of the destination's HostName and
Port (AddressFamily respected), for a destination reached without ProxyJump or ProxyCommand.
Nothing is written on these sockets and nothing read from them (the banner is left for the
handshake), so the host key check and everything after it are unchanged.  Sockets nobody took
are closed by :func:`drop` (a fan-out's end).
"""

from __future__ import annotations

import _thread
from typing import Any, Dict, List, Optional, Tuple

__all__ = ["start", "take", "drop", "BANNER_WAIT"]

#: seconds a connection may take to show the server's banner before the next one starts
BANNER_WAIT = 0.2
#: seconds another thread may hold the interpreter while this one waits for it (Python's
#: default, 5 ms, let the importing thread keep it between each step of each connection)
SWITCH_INTERVAL = 0.0005

_LOCK = _thread.allocate_lock()
#: key -> the connected socket, or None while it is being opened; a key no longer here was taken
#: (or dropped) and is not opened
_HELD: Dict[Any, Any] = {}
#: (key, SSHTarget) yet to be opened, in order
_QUEUE: List[Tuple[Any, Any]] = []
#: whether the thread that opens them runs (one at a time: they are opened one after the other)
_WORKING = [False]
#: how many connections made ahead were taken (the broker's status says it)
TAKEN = [0]


def start(targets: List[Tuple[Any, Any]]) -> None:
    """Open, in the background, a TCP connection for each ``(key, SSHTarget)``; the key is what
    :func:`take` is asked with (the caller's own object for that destination).  Safe to call
    again and again (the broker calls it as each request arrives): one thread at a time opens
    them, in the order given, a later call's queued after what is already waiting."""
    with _LOCK:
        fresh = [(key, target) for key, target in targets if key not in _HELD]
        for key, _ in fresh:
            _HELD[key] = None
        _QUEUE.extend(fresh)
        if not fresh or _WORKING[0]:
            return
        _WORKING[0] = True
    _thread.start_new_thread(_open_all, ())


def take(key: Any) -> Any:
    """The connected socket opened for ``key``, or None; either way it is no longer held."""
    with _LOCK:
        sock = _HELD.pop(key, None)
    if sock is None:
        return None
    import socket
    try:
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            sock.getpeername()          # raises while the connection is still being made
            try:
                # the banner, or nothing yet; an end means the server dropped it meanwhile
                # (sshd's MaxStartups drops some of many connections that wait at once)
                if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                    raise ConnectionResetError
            except BlockingIOError:
                pass
            TAKEN[0] += 1
            return sock
    except OSError:
        pass
    sock.close()
    return None


def drop(keys: List[Any]) -> None:
    """Forget ``keys``: a socket opened for one and not taken is closed."""
    with _LOCK:
        socks = [_HELD.pop(key, None) for key in keys]
    for sock in socks:
        if sock is not None:
            sock.close()


def _open_all() -> None:
    """The thread: what is queued, one after the other, until none is left or asyncssh is in;
    the switch interval is put back, and the thread marked gone, together with the decision to
    stop (a later start() then starts a thread of its own)."""
    import sys
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
    try:
        _open_each(lambda: sys.setswitchinterval(interval))
    except BaseException:
        with _LOCK:
            if _WORKING[0]:
                sys.setswitchinterval(interval)
                _WORKING[0] = False
        raise


def _open_each(stop: Any) -> None:
    from pshell.transport import ssh_connect
    while True:
        with _LOCK:
            if ssh_connect._ASYNCSSH is not None or not _QUEUE:
                # loaded: the handshakes begin, and the rest connect as usual (a connection
                # made now would only wait on this thread)
                for key, _ in _QUEUE:
                    if _HELD.get(key, 0) is None:
                        del _HELD[key]
                del _QUEUE[:]
                stop()
                _WORKING[0] = False
                return
            key, target = _QUEUE.pop(0)
            if key not in _HELD:        # taken or dropped meanwhile: the handshake connects
                continue
        try:
            sock = _open(target)
        except Exception:               # noqa: BLE001 - the usual connect will say what is wrong
            sock = None
        with _LOCK:
            if key in _HELD and _HELD[key] is None:
                if sock is None:
                    del _HELD[key]      # nothing made: the usual connect
                else:
                    _HELD[key] = sock
                continue
        if sock is not None:
            sock.close()


def _open(target: Any) -> Optional[Any]:
    import select
    import socket
    from pshell.transport.ssh_connect import destination_options
    options = destination_options(target)
    if options.get("proxyjump") or options.get("proxycommand"):
        return None
    family = {"inet": socket.AF_INET, "inet6": socket.AF_INET6}.get(
        options.get("addressfamily"), socket.AF_UNSPEC)
    infos = socket.getaddrinfo(options.get("hostname"), int(options.get("port")), family,
                               socket.SOCK_STREAM)
    if not infos:
        return None
    kind, sock_type, proto, _, address = infos[0]
    sock = socket.socket(kind, sock_type, proto)
    try:
        sock.setblocking(False)
        sock.connect_ex(address)
        # the server's banner (or the end of a refused connection) makes it readable; poll,
        # not select: a process with many descriptors open has numbers select cannot take
        waiting = select.poll()
        waiting.register(sock.fileno(), select.POLLIN)
        waiting.poll(BANNER_WAIT * 1000)
    except BaseException:
        sock.close()
        raise
    return sock
