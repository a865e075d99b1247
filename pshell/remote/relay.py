"""The per-channel end on the remote computer: hand the SSH channel to the per-user host.

sshd starts one process per channel (the bootstrap's stage two, or the ``pshell`` subsystem).
That process does not run any runspace itself: it connects to the user's host process (the
supervisor, :mod:`pshell.remote.supervisor`) over its Unix socket (starting it first if none
runs), passes its stdin/stdout file descriptors - the channel - with ``SCM_RIGHTS``, followed by
the login's environment and umask (what a session created over this channel starts with), and
then only waits.  The host reads and writes the channel
directly, so the relay costs nothing per message.

The relay must stay alive while the channel is in use: when sshd's child exits, sshd stops
feeding the channel's input.  The host closes the Unix socket when it is done with the channel
(the client closed it, or it dropped); the relay then exits.  If the relay is killed (sshd kills
the session on a network cut), the channel's pipes close and the host sees the connection drop:
the session becomes Disconnected, its runspace and jobs go on.

The host is started on demand: fork, ``setsid``, fork again - so it is in no process group or
session of sshd's and outlives this connection - under a lock file so that two first connections
don't start two hosts.
"""

# No ``from __future__ import annotations`` here (its annotations are valid at run time on
# 3.9): importing ``__future__`` was the relay's only module from the standard library's
# directory, ~0.6 ms of every first contact's relay (tests/test_relay_imports.py).

import os
import sys

# Every connection starts a process that runs this module, so it imports as little as it can:
# ``_socket`` rather than ``socket`` (whose enums cost more than the rest of the relay), and no
# ``typing`` at run time.
import _socket

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

__all__ = ["relay", "connect_host", "HostUnavailable"]

START_TIMEOUT = 20.0
#: connections the host's socket queues while the host starts (a fan-out's channels all arrive
#: then); the kernel caps it at net.core.somaxconn
LISTEN_BACKLOG = 1024


class HostUnavailable(Exception):
    """The per-user host could not be reached or started; ``str()`` says why."""


def connect_host(start: bool = True) -> "_socket.socket":
    """A connection to the user's host process (started when none runs and ``start``)."""
    from pshell.remote import paths
    try:
        path = paths.socket_path()
        sock = _try_connect(path)
        if sock is not None or not start:
            if sock is None:
                raise HostUnavailable("no pshell host process is running")
            return sock
        return _start_and_connect(path)
    except paths.UnsafeDirectory as exc:
        raise HostUnavailable(f"refusing to use the state directory: {exc}") from None
    except OSError as exc:
        raise HostUnavailable(f"cannot reach the pshell host process: "
                              f"{exc.strerror or exc}") from None


def _try_connect(path: str) -> "Optional[_socket.socket]":
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        return None
    except OSError:
        sock.close()
        raise
    return sock


def _start_and_connect(path: str) -> "_socket.socket":
    import fcntl
    from pshell.remote import paths
    lock_fd = os.open(os.path.join(paths.run_dir(), "host.lock"),
                      os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        sock = _try_connect(path)       # another first connection may have started it meanwhile
        if sock is not None:
            return sock
        try:
            os.unlink(path)             # a socket left by a host that died
        except FileNotFoundError:
            pass
        # listening before the host has imported anything: the channels that arrive while it
        # starts (relays, and direct ones forwarded by sshd) wait in the backlog, not on a lock
        listener = _listen(path)
        try:
            _spawn_host(listener.fileno())
        finally:
            listener.close()
        sock = _try_connect(path)
        if sock is None:
            raise HostUnavailable("the pshell host process started but does not listen")
        return sock
    finally:
        os.close(lock_fd)


def _listen(path: str) -> "_socket.socket":
    """The host's socket, bound (0600, in the private run directory) and listening; the host
    inherits it."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    umask = os.umask(0o077)
    try:
        sock.bind(path)
        os.chmod(path, 0o600)
        sock.listen(LISTEN_BACKLOG)
    except BaseException:
        sock.close()
        raise
    finally:
        os.umask(umask)
    return sock


def _spawn_host(listen_fd: int) -> None:
    """Double-fork the host (it serves ``listen_fd``); wait until it says it is ready (or why it
    cannot)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:                        # child: new session, then the host as a grandchild
        code = 0
        try:
            os.close(read_fd)
            os.setsid()
            if os.fork() == 0:
                # the host's start is imports (~25 ms): without the cyclic collector they
                # cost ~10% less; the host freezes what they made and turns it on again
                # before its first session (Supervisor.prewarm)
                import gc
                gc.disable()
                from pshell.remote.supervisor import daemon_main
                code = daemon_main(write_fd, listen_fd)
            os._exit(0)
        except BaseException as exc:
            try:
                os.write(write_fd, f"error {type(exc).__name__}: {exc}\n".encode())
            except OSError:
                pass
            code = 1
        os._exit(code)
    os.close(write_fd)
    os.waitpid(pid, 0)
    chunks = []
    import select
    deadline_left = START_TIMEOUT
    while deadline_left > 0:
        ready, _, _ = select.select([read_fd], [], [], deadline_left)
        if not ready:
            break
        data = os.read(read_fd, 4096)
        if not data:
            break
        chunks.append(data)
        if b"\n" in data:
            break
        deadline_left -= 0.05
    os.close(read_fd)
    answer = b"".join(chunks).decode("utf-8", "replace").strip()
    if answer != "ok":
        raise HostUnavailable(f"the pshell host process did not start: "
                              f"{answer or 'no answer'}")


def relay(in_fd: int = 0, out_fd: int = 1) -> int:
    """Pass the channel (``in_fd``/``out_fd``) to the host and wait until it is done with it."""
    from pshell.remote import handoff
    environ = os.environb
    for attempt in range(3):
        try:
            sock = connect_host()
            if handoff.hand_over(sock, in_fd, out_fd, environ):
                break                       # the host took the channel
            # it was exiting: start another one
        except (HostUnavailable, OSError) as exc:
            if attempt == 2:
                _bye(out_fd, str(exc))
                return 3
    else:
        _bye(out_fd, "the pshell host process did not take the connection")
        return 3
    return handoff.wait_released(sock, in_fd, out_fd)


def _bye(out_fd: int, reason: str) -> None:
    from pshell.remote.framing import encode_frame
    try:
        os.write(out_fd, encode_frame({"t": "bye", "reason": reason}))
    except OSError:
        pass
    try:
        sys.stderr.write(f"pshell: {reason}\n")
    except Exception:
        pass
