"""The per-user host: the sessions (runspaces and their jobs) on this computer, independently of
SSH connections, each in its own process.

The host is two kinds of process: the supervisor (:mod:`pshell.remote.supervisor`: the socket,
the list of sessions, hello/list/remove) and one session process per session
(:mod:`pshell.remote.session_process`: the runspaces, jobs, spool and outboxes).  Each SSH
channel's process (:mod:`pshell.remote.relay`) hands its channel to the supervisor over a Unix
socket in a directory only the user can enter; the supervisor checks the peer's uid
(``SO_PEERCRED``), reads the hello, and passes the channel on to the session's process, which
then speaks the protocol on the channel itself.  A client that already knows the socket's path
(the ``hello`` answer tells it) skips the relay: it asks sshd to forward a channel straight to
the socket (``direct-streamlocal``, what ``ssh -W /path`` does), sends ``{"direct": 1}`` and a
newline, and after the host's ``A`` speaks the protocol on the socket - no process starts on
this computer for such a connection.  A connection can create a session, attach
to an existing one (by id or name), list the user's sessions, disconnect from its session or end
it.  When a connection drops, its session stays, Disconnected, with its runspace and jobs
running, until a client attaches again or its idle timeout passes.  The supervisor exits once it
holds no session and no connection for ``$PSHELL_HOST_LINGER`` seconds (60 by default), so that
the next session of a burst does not pay for a new host.  When a session's process dies, its
client gets ``bye`` {reason, ended}: "the session's process on <computer> ended (...)".

Delivery of an invocation's output survives reconnects: every ``out``/``rec``/``done`` message
of an invocation carries a sequence number ``q``; the host keeps each message until the client
acknowledges it (``ack {id, q}``, sent once the client has processed it), replays what was not
acknowledged when a client re-attaches (``resume {id: q}``: what it already has) or asks for the
output it missed (``receive``), so nothing is lost and nothing repeated.  An invocation whose
client is gone blocks (as PowerShell's output buffering does) once ``OUTBOX_LIMIT`` bytes wait.

Messages on a host connection, besides those of :mod:`pshell.remote.server`:

``hello``      {v, new, session, name, idle, token}       create a session
               {v, attach, token, force, resume}           attach to one (id or name)
               {v}                                         no session (listing, removing)
               answer ``hello`` {.., session, name, persistent, next_id, lost, state, ended}
               or {error}; ``pid`` is the session's process
``list``       {id}                 answer ``sessions`` {id, sessions: [...]}
``ack``        {id, q}              the client has processed invocation ``id`` up to ``q``
``receive``    {id}                 answer ``pending`` {id, ids}, then the missed messages
``disconnect`` {id, idle}           detach the session (it goes on); answer ``disconnected``
``remove``     {id, session}        end a session nobody is attached to; answer ``removed``
``close``      {id}                 end this connection's session; answer ``closed``
"""

from __future__ import annotations

from pshell.remote.session_process import DEFAULT_IDLE_TIMEOUT, OUTBOX_LIMIT, HostedSession
from pshell.remote.supervisor import Supervisor, daemon_main

__all__ = ["Supervisor", "HostedSession", "daemon_main", "DEFAULT_IDLE_TIMEOUT", "OUTBOX_LIMIT"]
