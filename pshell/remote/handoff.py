"""Handing an SSH channel to the user's host process, with nothing but the interpreter's builtins.

What a relay does once it has a connection to the host (:mod:`pshell.remote.relay`): pass the
channel's descriptors with ``SCM_RIGHTS`` and a first line (the relay's pid, SSH_CONNECTION, the
login's umask), then the login's environment; the host answers ``A`` when it took the channel.

Its source is also sent inside the bootstrap's stage two (:mod:`pshell.transport.bootstrap`):
a relay whose host already runs guesses the socket's path (:func:`guess_socket`), connects,
checks that the process listening there is this user's (:func:`connect_ours`, ``SO_PEERCRED``)
and hands its channel over without reading a file of the engine cache - so nothing of the cache
runs in it and nothing needs checking, and it imports not even ``os`` (``posix`` is built in;
``os`` and its ``_collections_abc`` were ~0.85 ms of a ~5 ms interpreter).  Anything unusual (no
host, another user's socket, a path that needs the full search, no ``SO_PEERCRED``) is left to
the usual start, which checks the cache and the private directories first.

Standard library builtins only: ``posix``, ``sys``, ``_socket``; no ``from __future__``, no
annotations that need ``typing``; Python 3.9.
"""

import posix
import sys

import _socket

START_TIMEOUT = 20.0


def _get(environ, name):
    value = environ.get(name)
    return value if value else b""


def guess_socket(environ, name):
    """Where :func:`pshell.remote.paths.socket_path` finds the socket (file ``name``, bytes) in
    the usual case, without creating or checking directories: b"" when only the full search can
    say (a relative directory, no home, a path too long for a socket address)."""
    explicit = _get(environ, b"PSHELL_STATE_DIR")
    if explicit:
        state = explicit
    else:
        base = _get(environ, b"XDG_STATE_HOME")
        if not base.startswith(b"/"):
            home = _get(environ, b"HOME").rstrip(b"/")
            if not home:
                return b""
            base = home + b"/.local/state"
        state = base.rstrip(b"/") + b"/pshell"
    if not state.startswith(b"/"):
        return b""
    run = b""
    runtime = _get(environ, b"XDG_RUNTIME_DIR")
    if runtime and not explicit:
        try:
            info = posix.stat(runtime)
            if info.st_uid == posix.getuid() and not info.st_mode & 0o077:
                run = runtime.rstrip(b"/") + b"/pshell"
        except (OSError, ValueError):
            pass
    if not run:
        run = state.rstrip(b"/") + b"/run"
    path = run + b"/" + name
    return path if len(path) < 104 and b"\0" not in path else b""


def connect_ours(path):
    """A connection to the socket at ``path`` when the process listening there is this user's;
    None when nothing listens, another user does, or the system cannot say (no SO_PEERCRED)."""
    option = getattr(_socket, "SO_PEERCRED", None)
    if option is None:
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(path)
        creds = sock.getsockopt(_socket.SOL_SOCKET, option, 12)
        if int.from_bytes(creds[4:8], sys.byteorder) == posix.getuid():
            return sock
    except (OSError, ValueError):
        pass
    sock.close()
    return None


def hand_over(sock, in_fd, out_fd, environ):
    """Pass the channel (``in_fd``/``out_fd``) and the login's ``environ`` (bytes); True when
    the host took it, False when it was leaving (the socket is then closed).  OSError when the
    socket fails."""
    # JSON by hand (no json import): SSH_CONNECTION is addresses and ports
    ssh = "".join(c for c in _get(environ, b"SSH_CONNECTION").decode("ascii", "replace")
                  if c.isalnum() or c in ".:% -")
    # the login's environment and umask follow the first line: a session created over this
    # channel starts with them (sshd and PAM set them for this login, not the host's)
    env = b"\0".join(k + b"=" + v for k, v in environ.items())
    umask = posix.umask(0o077)
    posix.umask(umask)
    info = '{"pid":%d,"ssh":"%s","umask":%d,"env":%d}\n' % (posix.getpid(), ssh, umask, len(env))
    # the descriptors as C ints in the machine's order (no array, no socket module)
    ints = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in (in_fd, out_fd))
    sock.sendmsg([info.encode()], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, ints)])
    sock.sendall(env)
    sock.settimeout(START_TIMEOUT)
    if sock.recv(1) == b"A":
        sock.settimeout(None)
        return True
    sock.close()
    return False


def wait_released(sock, in_fd, out_fd):
    """Keep the channel open until the host is done with it (it closes the socket); the exit
    code.  The relay keeps no copy of the channel, or the client would not see it close."""
    devnull = posix.open("/dev/null", posix.O_RDWR)
    posix.dup2(devnull, in_fd)
    posix.dup2(devnull, out_fd)
    posix.close(devnull)
    try:
        while sock.recv(4096):
            pass
    except OSError:
        pass
    except KeyboardInterrupt:
        return 130
    return 0
