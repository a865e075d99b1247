"""The connection broker's process: pshell's own ControlMaster/ControlPersist.

One per user (and per environment that changes SSH decisions, see ``client/broker.py``), started
on demand by a pshell process that wants a connection.  It listens on a Unix socket in a 0700
directory, answers only its own user (``SO_PEERCRED``), keeps each authenticated SSH connection
for ``persist`` seconds after its last channel closed, and ends when it has held nothing for that
long.  A short-lived pshell then neither imports asyncssh nor handshakes: it asks the broker for a
channel and speaks the remoting protocol over the Unix socket, the broker relaying bytes.

A request is one JSON line: ``{"v": 1, "host", "user", "port", "key_file", "options",
"subsystem", "env"}`` (never a password: a target with one does not come here; ``env``: the
client's environment, from which SendEnv's values are taken, as the client's own ``ssh``
would).  The answer is one JSON line, ``{"ok": true, "warnings": [...]}`` then the channel's
bytes both ways, or ``{"ok": false, "error": text, "auth": bool}`` and the end (``auth``:
authentication failed, so the client, if it may prompt, connects itself).  Connections are
reused only for the same request and the same resolved ssh_config (a changed config gives a
new connection); each carries at most ``MAX_CHANNELS`` channels (sshd's MaxSessions is 10 by
default).  The line ``{"v": 1, "status": true}`` is answered with what the broker holds.

What a request line decides (``broker_request.py``) is kept while the config files are unchanged.
After a burst, direct channels to the hosts' sockets are opened ahead of the next one ("warm"):
as many per key as it had clients at once, on held connections with room, handed out only for
the same key and the same variables sent (SendEnv's values from the client's environment,
SetEnv) while alive, closed after ``PSHELL_BROKER_WARM`` seconds unused.

Run: ``python3 -m pshell.transport.broker_server DIRECTORY PERSIST_SECONDS``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from typing import Any, Dict, List, Optional

from pshell.transport.broker_ahead import EarlyClients
from pshell.transport.broker_clients import MAX_REQUEST, _accept, _adopt, _Client
from pshell.transport.broker_request import Plan, check_request, config_stamp, decide

__all__ = ["main", "check_request"]

MAX_CHANNELS = 8
SOCKET_NAME = "sock"
LOCK_NAME = "lock"
_PLANS = 256                   # requests whose decisions are kept (while the config is unchanged)
_PLAN_LINE = MAX_REQUEST       # a longer request line is decided each time (none is: kept
                               # whole, a line carries the client's environment)
MAX_WARM = 8                   # warm channels kept per connection key
WARM_DELAY = 0.2               # seconds without a request for a key before its channels are replaced
DEFAULT_WARM_KEEP = 30.0       # seconds a warm channel waits to be used (PSHELL_BROKER_WARM)
AHEAD_KEEP = 10.0              # seconds a TCP connection made while asyncssh loaded waits to be taken


class _Held:
    """One SSH connection the broker keeps, and how many channels use it (warm ones too)."""

    def __init__(self, ssh: Any) -> None:
        self.ssh = ssh
        self.channels = 0
        self.used = time.monotonic()    # when a client's channel on it last ended
        # a direct channel's first line (its TCP ends, the variables sent), by warm key
        self.direct_lines: Dict[str, bytes] = {}


class _Warm:
    """A direct channel to a host's socket, opened ahead of a request, and its asyncssh session
    (the broker's own: no SSHSessionLink, no class made per channel).  It is ready once the
    host said "A" (it holds the channel as a connection without a session, reading its first
    frame).  Whatever else arrives on it before it is handed out, or its end, makes it
    unusable; handed out, its bytes go straight to the client."""

    def __init__(self, broker: "Broker", key: str, held: _Held, path: str,
                 demand: "_Demand") -> None:
        self.broker = broker
        self.key = key
        self.held = held
        self.path = path
        self.demand: Optional[_Demand] = demand     # until it is ready or gone (its opening)
        self.chan: Any = None
        self.ready = False              # the host said "A"
        self.dead = False
        self.client: Optional[_Client] = None       # handed out: whose bytes these are
        self.expires = 0.0              # when it closes unused (the serving loop's sweep)
        self.sent: Optional[Dict[bytes, bytes]] = None     # the variables its direct line carries

    # asyncssh's session callbacks
    def connection_made(self, chan: Any) -> None:
        pass

    def session_started(self) -> None:
        pass

    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        pass

    def eof_received(self) -> bool:
        return False

    def data_received(self, data: bytes, datatype: Any) -> None:
        client = self.client
        if client is not None:
            client.feed(data)
        elif data == b"A" and not self.ready and not self.dead and self.chan is not None:
            self.broker._warm_ready(self)
        else:       # anything else before a hello (or an A before the direct line was sent):
            self.broker._unwarm(self)       # not a channel to hand out

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self.client is not None:
            self.client.lost("the channel ended")
        else:
            self.broker._unwarm(self)


class _Demand:
    """How many channels one key needed at once since its warm ones were last replaced."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.active = 0                 # clients served on the key now
        self.peak = 0                   # the most at once since the last refill
        self.opening = 0                # warm channels being opened


def warm_keep() -> float:
    """How long a warm channel waits for a request (PSHELL_BROKER_WARM seconds; 0: none)."""
    try:
        value = float(os.environ.get("PSHELL_BROKER_WARM", DEFAULT_WARM_KEEP))
    except ValueError:
        return DEFAULT_WARM_KEEP
    return min(max(value, 0.0), 3600.0) if value == value else DEFAULT_WARM_KEEP


class Broker:
    def __init__(self, directory: str, persist: float) -> None:
        self.directory = directory
        self.persist = persist
        self.held: Dict[str, List[_Held]] = {}
        self.clients = 0
        self.last_used = time.monotonic()
        self.warnings: List[List[str]] = []     # one list per connect in progress
        self.plans: Dict[bytes, Plan] = {}
        self.warm: Dict[str, List[_Warm]] = {}
        self.demand: Dict[str, _Demand] = {}
        self.warm_keep = min(warm_keep(), persist)
        self.opening: "set[_Warm]" = set()     # warm channels until they are ready or gone
        self.refill_timer: Any = None
        self.burst_began = 0.0
        self.last_request = 0.0
        self.waiting: Dict[_Client, float] = {}    # clients yet to send their line: until when
        self.counts = {"served": 0, "warm_opened": 0, "warm_used": 0, "early": 0}
        self.ahead: List[str] = []      # keys of TCP connections made ahead, until dropped
        self.ahead_until = 0.0

    # ---- what a request decides -------------------------------------------------------
    def _plan(self, line: bytes, kept_only: bool = False) -> Any:
        """The request's decisions: kept per request line while config_stamp() is unchanged
        (resolving the config was a quarter of the broker's work per channel).  ``kept_only``:
        None instead when they could not be kept (nothing decided)."""
        stamp = config_stamp()
        plan = self.plans.get(line)
        if plan is not None and stamp is not None and plan.stamp == stamp:
            return plan
        if kept_only and (stamp is None or len(line) > _PLAN_LINE):
            return None
        req = check_request(line)
        key, said = decide(req)
        from pshell.transport import ssh as ssh_transport
        from pshell.transport.ssh_connect import SSHTarget
        target = SSHTarget(req["host"], req["user"], req["port"], req["key_file"], None,
                           req["options"])
        new = Plan(req, key, said, stamp, ssh_transport.cache_key(target))
        if plan is not None and plan.key != key:
            self._drop_warm(plan.key)       # decided under a config that changed
        if stamp is not None and len(line) <= _PLAN_LINE:
            if len(self.plans) >= _PLANS:
                self.plans.clear()
            self.plans[line] = new
        return new

    # ---- connections ------------------------------------------------------------------
    async def _connection(self, key: str, req: Dict[str, Any], fresh: bool) -> _Held:
        from pshell.transport.ssh_connect import SSHTarget, connect
        pool = self.held.setdefault(key, [])
        if not fresh:
            for held in pool:
                if held.channels < MAX_CHANNELS and not _closed(held.ssh):
                    return held
        target = SSHTarget(req["host"], req["user"], req["port"], req["key_file"], None,
                           req["options"])
        target.ahead_key = key      # a TCP connection made while asyncssh loaded (broker_ahead)
        ssh = await connect(target, None)
        _lazy_keepalive(ssh)
        held = _Held(ssh)
        pool.append(held)
        return held

    def _take(self, held: _Held) -> None:
        held.channels += 1

    def _release(self, key: str, held: _Held, warm: bool = False) -> None:
        """A channel on ``held`` ended; the connection closes ``persist`` seconds after the
        last client's channel (a warm channel that was never used does not count; the serving
        loop's sweep closes it)."""
        held.channels -= 1
        if not warm:
            self.last_used = held.used = time.monotonic()

    def _drop(self, key: str, held: _Held) -> None:
        pool = self.held.get(key, [])
        if held in pool:
            pool.remove(held)
        if not pool:
            self.held.pop(key, None)
        try:
            held.ssh.close()
        except Exception:
            pass

    # ---- warm channels ----------------------------------------------------------------
    # After a burst of requests for a key, as many direct channels as the burst had are opened
    # in the background (on held connections with room; never a new connection for them), so
    # that the next burst skips the channel's round trips.  A warm channel is handed out only
    # for the same key (the same request under the same config), while nothing has arrived on
    # it and neither it nor its connection has ended; unused, it closes after warm_keep.

    def _sent(self, plan: Plan, held: _Held) -> Dict[bytes, bytes]:
        """What SendEnv and SetEnv send for the plan's client (SendEnv's values from the
        client's environment, as its own ``ssh`` would take them), and the key of the warm
        channels that carry exactly those: worked out once per plan, on a connection of its
        key (every connection of a key was made under the same config)."""
        sent = plan.sent
        if sent is None:
            from pshell.transport.ssh_connect import session_env
            sent = plan.sent = session_env(held.ssh, plan.req["environ"])
            plan.warm_key = plan.key + "\0" + repr(sorted(sent.items())) if sent else plan.key
        return sent

    def _warm_channel(self, plan: Plan) -> Optional[_Warm]:
        if plan.sent is None:
            held = next((h for h in self.held.get(plan.key, ()) if not _closed(h.ssh)), None)
            if held is None:
                return None             # no connection: no warm channel either
            self._sent(plan, held)
        pool = self.warm.get(plan.warm_key)
        while pool:
            warm = pool.pop(0)          # the oldest first: the newest live longest
            if not pool:
                del self.warm[plan.warm_key]
            chan = warm.chan
            if warm.dead or chan is None or chan.is_closing() or _closed(warm.held.ssh):
                self._unwarm(warm)
                continue
            warm.dead = True            # handed out: no longer the broker's to drop
            self.counts["warm_used"] += 1
            return warm
        return None

    def _warm_ready(self, warm: _Warm) -> None:
        """The host took the warm channel ("A"): it waits in the key's pool for a request."""
        warm.ready = True
        self._settle(warm)
        self.warm.setdefault(warm.key, []).append(warm)
        self.counts["warm_opened"] += 1

    def _settle(self, warm: _Warm) -> None:
        """A warm channel's opening is over (ready or gone)."""
        self.opening.discard(warm)
        demand, warm.demand = warm.demand, None
        if demand is not None:
            demand.opening -= 1
            self._demand_done(demand)

    def _demand_done(self, demand: _Demand) -> None:
        key = demand.plan.warm_key
        if not (demand.opening or demand.peak or demand.active) and self.demand.get(key) is demand:
            del self.demand[key]

    def _unwarm(self, warm: _Warm) -> None:
        """A warm channel goes (it ended, something arrived on it, it expired, or its config
        changed)."""
        if warm.client is not None:
            return                      # handed out: its client owns it now
        pool = self.warm.get(warm.key)
        if pool is not None and warm in pool:
            pool.remove(warm)
            if not pool:
                del self.warm[warm.key]
        first = not warm.dead
        warm.dead = True
        if warm.chan is not None:
            try:
                warm.chan.close()
            except Exception:
                pass
        if first:
            self._settle(warm)
            self._release(warm.key, warm.held, warm=True)

    def _drop_warm(self, key: str) -> None:
        """The warm channels of a connection key (whatever variables they carry)."""
        def of_key(warm_key: str) -> bool:
            return warm_key == key or warm_key.startswith(key + "\0")
        for warm in [w for k, pool in self.warm.items() if of_key(k) for w in pool]:
            self._unwarm(warm)
        for warm in list(self.opening):
            if of_key(warm.key):
                self._unwarm(warm)

    def _served(self, plan: Plan) -> Optional[_Demand]:
        """A request for this key was served: its replacement is opened once the burst is over
        (WARM_DELAY without a request, at most a second after the burst began), all keys'
        together.  The caller lowers ``active`` when the client is done."""
        if self.warm_keep <= 0 or not plan.cache_key or plan.sent is None:
            return None
        demand = self.demand.get(plan.warm_key)
        if demand is None:
            demand = self.demand[plan.warm_key] = _Demand(plan)
        demand.plan = plan
        demand.active += 1
        if demand.active > demand.peak:
            demand.peak = demand.active
        now = time.monotonic()
        self.last_request = now
        if self.refill_timer is None:   # one timer a burst: it looks again when it fires
            self.burst_began = now
            self.refill_timer = asyncio.get_running_loop().call_later(WARM_DELAY,
                                                                      self._refill_due)
        return demand

    def _refill_due(self) -> None:
        now = time.monotonic()
        due = min(self.last_request + WARM_DELAY, self.burst_began + 1.0)
        if now < due - 0.002:
            self.refill_timer = asyncio.get_running_loop().call_later(due - now,
                                                                      self._refill_due)
            return
        self.refill_timer = None
        self._refill_all()

    def _refill_all(self) -> None:
        from pshell.transport import ssh as ssh_transport
        sockets: Optional[Dict[str, str]] = None
        for key, demand in list(self.demand.items()):
            if demand.peak:
                if sockets is None:     # once a round: clients remember host sockets too
                    ssh_transport.refresh_sockets()
                    sockets = ssh_transport.known_sockets()
                self._refill(demand, sockets)
            elif not demand.opening and not demand.active:
                del self.demand[key]

    def _refill(self, demand: _Demand, sockets: Dict[str, str]) -> None:
        """As many warm channels for the key as it had clients at once in its last burst."""
        plan = demand.plan
        want, demand.peak = min(MAX_WARM, demand.peak), 0
        pool = self.warm.get(plan.warm_key) or []
        while len(pool) > want:         # the last burst was smaller
            self._unwarm(pool[0])
        missing = want - len(pool) - demand.opening
        path = sockets.get(plan.cache_key) if missing > 0 else None
        if path:
            for _ in range(missing):
                self._open_warm(demand, path)
        self._demand_done(demand)

    def _open_warm(self, demand: _Demand, path: str) -> None:
        """Open one warm channel (in the background); it joins the pool when the host says "A",
        and closes if it has not been handed out after warm_keep."""
        plan = demand.plan
        held = next((h for h in self.held.get(plan.key, ())
                     if h.channels < MAX_CHANNELS and not _closed(h.ssh)), None)
        if held is None:
            return                      # no new connection just to keep a channel warm
        self._take(held)
        warm = _Warm(self, plan.warm_key, held, path, demand)
        warm.sent = plan.sent
        demand.opening += 1
        self.opening.add(warm)
        warm.expires = time.monotonic() + self.warm_keep
        asyncio.ensure_future(self._start_warm(warm))

    async def _start_warm(self, warm: _Warm) -> None:
        held = warm.held
        line = held.direct_lines.get(warm.key)
        if line is None:
            # with the variables a login of the client's would be sent (SendEnv, SetEnv): the
            # host applies those sshd kept in a login, and refuses the channel while it has
            # not seen one
            from pshell.transport.ssh import _direct_line
            line = _direct_line(held.ssh, False, warm.sent) or b""
            if len(held.direct_lines) >= 64:
                held.direct_lines.clear()
            held.direct_lines[warm.key] = line
        if not line:        # the variables do not fit in the host's first read: no channel
            self._unwarm(warm)
            return
        try:
            chan, _ = await held.ssh.create_unix_connection(lambda: warm, warm.path)
        except Exception:
            chan = None
        if chan is None or warm.dead:
            if chan is not None:
                chan.close()
            self._unwarm(warm)
            return
        warm.chan = chan
        try:
            chan.write(line)
        except Exception:
            self._unwarm(warm)

    # ---- a client -----------------------------------------------------------------------
    def status(self) -> Dict[str, Any]:
        """What the broker holds (for tests and the curious): connections, channels (warm
        ones included), warm channels, and how many channels it served."""
        pools = [held for pool in self.held.values() for held in pool]
        return {"ok": True, "connections": len(pools),
                "channels": sum(held.channels for held in pools),
                "warm": sum(len(pool) for pool in self.warm.values()),
                "clients": self.clients - 1,        # not counting the one asking
                "ahead_taken": _ahead_taken(), **self.counts}

    async def _channel(self, plan: Plan, client: "_Client") -> Any:
        """A held (or new) connection with a started channel on it: (held, link)."""
        key, req, cache_key = plan.key, plan.req, plan.cache_key
        import asyncssh
        from pshell.transport import ssh as ssh_transport
        from pshell.transport.ssh_connect import SSHError
        for attempt in (0, 1):      # a held connection may have died, or be full: once more
            held = await self._connection(key, req, fresh=attempt > 0)
            self._take(held)
            link = ssh_transport.SSHSessionLink(req["host"], cache_key)
            link.env = self._sent(plan, held)       # the client's values, not the broker's
            link.conn = client              # type: ignore[assignment]
            link.owns_ssh = False
            ssh_transport.refresh_sockets()     # clients remember host sockets too
            try:
                await link.start(held.ssh, req["subsystem"])
                return held, link
            except BaseException as exc:
                if link.chan is not None:
                    link.chan.close()
                self._release(key, held)
                if isinstance(exc, (asyncssh.Error, OSError)):
                    if _closed(held.ssh):
                        self._drop(key, held)
                    if attempt == 0:
                        continue
                    raise SSHError(f"Cannot connect to {req['host']}: {exc}") from None
                raise
        raise AssertionError("unreachable")

    def warn(self, text: str) -> None:
        for pending in self.warnings:
            pending.append(text)

    def sweep(self) -> None:
        """What is due, looked at by the serving loop (at most a second apart) instead of a
        timer per client, connection and warm channel: the clients that have not sent their
        request line in LINE_WAIT seconds are refused, connections without a channel since
        ``persist`` seconds are closed, and so are warm channels unused for warm_keep."""
        now = time.monotonic()
        if self.ahead and now >= self.ahead_until:     # made ahead and never taken: closed
            from pshell.transport import tcp_ahead
            keys, self.ahead = self.ahead, []
            tcp_ahead.drop(keys)
        if self.waiting:
            for client in [c for c, until in self.waiting.items() if until <= now]:
                client._no_line()
        for key, pool in list(self.held.items()):
            for held in [h for h in pool if not h.channels and now - h.used >= self.persist]:
                self._drop(key, held)
        for warm in [w for pool in self.warm.values() for w in pool if w.expires <= now] + \
                [w for w in self.opening if w.expires <= now]:
            self._unwarm(warm)

    def idle(self) -> bool:
        return not self.clients and not any(self.held.values()) and \
            time.monotonic() - self.last_used > self.persist


def _quiet_asyncssh() -> None:
    """asyncssh formats a log line for every packet it sends or receives (the packet type's
    name, its size in words) and only then asks whether packet logging is on (it never is in
    the broker: asyncssh's debug level 3), and converts every argument of its info and debug
    messages before the logger's level is looked at.  In the broker process both ask first.
    Nothing logged changes: a level that is on still gets every line."""
    import logging
    try:
        from asyncssh.logging import SSHLogger
        from asyncssh.packet import SSHPacketLogger
    except ImportError:
        return
    sent = getattr(SSHPacketLogger, "log_sent_packet", None)
    received = getattr(SSHPacketLogger, "log_received_packet", None)
    log = getattr(SSHLogger, "log", None)
    if sent is None or received is None or log is None or getattr(log, "_asks_first", False):
        return

    def log_sent_packet(self: Any, *args: Any, **kwargs: Any) -> None:
        if SSHLogger._debug_level >= 3:
            sent(self, *args, **kwargs)

    def log_received_packet(self: Any, *args: Any, **kwargs: Any) -> None:
        if SSHLogger._debug_level >= 3:
            received(self, *args, **kwargs)

    def asks_first(self: Any, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if self.logger.isEnabledFor(level):
            log(self, level, msg, *args, **kwargs)

    def info(self: Any, msg: object, *args: Any, **kwargs: Any) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            log(self, logging.INFO, msg, *args, **kwargs)

    def debug1(self: Any, msg: object, *args: Any, **kwargs: Any) -> None:
        if self.logger.isEnabledFor(logging.DEBUG):
            log(self, logging.DEBUG, msg, *args, **kwargs)

    asks_first._asks_first = True        # type: ignore[attr-defined]
    SSHPacketLogger.log_sent_packet = log_sent_packet          # type: ignore[method-assign]
    SSHPacketLogger.log_received_packet = log_received_packet  # type: ignore[method-assign]
    SSHLogger.log = asks_first                                 # type: ignore[method-assign]
    SSHLogger.info = info                                      # type: ignore[method-assign]
    if getattr(SSHLogger, "debug1", None) is not None:
        SSHLogger.debug1 = debug1                              # type: ignore[method-assign]


def _lazy_keepalive(ssh: Any) -> None:
    """asyncssh re-arms a held connection's keepalive timer on every read (a cancelled timer
    and a new one: a channel's few reads each, and the cancelled ones pile up in the event
    loop's heap).  Here a read only notes its time, and the timer, when it fires, waits again
    for what is left of the interval since the last read: the keepalive is sent after the same
    silence as before.  Left as it is when asyncssh's names differ."""
    names = ("_reset_keepalive_timer", "_keepalive_timer_callback", "_keepalive_timer",
             "_keepalive_interval", "_loop")
    if not all(hasattr(ssh, name) for name in names):
        return
    loop = ssh._loop
    fire = ssh._keepalive_timer_callback
    last = [time.monotonic()]
    monotonic = time.monotonic

    def reset() -> None:
        last[0] = monotonic()

    def callback() -> None:
        interval = ssh._keepalive_interval
        left = last[0] + interval - monotonic() if interval else 0
        if left > 0.001:
            ssh._keepalive_timer = loop.call_later(left, callback)
        else:
            fire()

    ssh._reset_keepalive_timer = reset
    ssh._keepalive_timer_callback = callback
    timer = ssh._keepalive_timer
    if timer is not None and ssh._keepalive_interval:  # armed with asyncssh's own callback
        timer.cancel()
        ssh._keepalive_timer = loop.call_later(ssh._keepalive_interval, callback)


def _ahead_taken() -> int:
    tcp_ahead = sys.modules.get("pshell.transport.tcp_ahead")
    return tcp_ahead.TAKEN[0] if tcp_ahead is not None else 0


def _closed(ssh: Any) -> bool:
    transport = getattr(ssh, "_transport", None)
    return transport is None or transport.is_closing()


async def _serve_forever(broker: Broker, server_sock: socket.socket, inode: int,
                         early: Optional[EarlyClients] = None) -> None:
    import asyncio
    from pshell.transport.ssh_connect import set_warning_sink
    directory, persist = broker.directory, broker.persist
    set_warning_sink(broker.warn)
    loop = asyncio.get_running_loop()
    server_sock.setblocking(False)
    if early is not None:
        # the clients met while asyncssh loaded (their requests unread), served as any other
        broker.ahead = early.keys
        broker.ahead_until = time.monotonic() + AHEAD_KEEP
        broker.counts["early"] = len(early.accepted)
        for sock in early.accepted:
            _adopt(broker, sock)
    loop.add_reader(server_sock.fileno(), _accept, broker, server_sock)
    path = os.path.join(directory, SOCKET_NAME)
    try:
        while True:
            await asyncio.sleep(min(1.0, max(0.05, persist / 4)))
            broker.sweep()
            if broker.idle():
                break
            try:                        # the socket was removed or replaced: nobody finds us
                if os.stat(path).st_ino != inode:
                    break
            except OSError:
                break
    finally:
        loop.remove_reader(server_sock.fileno())
    for pool in list(broker.held.values()):
        for held in list(pool):
            held.ssh.close()


def main(argv: List[str]) -> int:
    import fcntl
    directory, persist = argv[0], float(argv[1])
    lock = os.open(os.path.join(directory, LOCK_NAME), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0                        # another broker serves this directory
    path = os.path.join(directory, SOCKET_NAME)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    server_sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server_sock.bind(path)
    finally:
        os.umask(old)
    server_sock.listen(128)
    inode = os.stat(path).st_ino
    pid_fd = os.open(os.path.join(directory, "pid"),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.write(pid_fd, f"{os.getpid()}\n".encode())
    os.close(pid_fd)
    broker = Broker(directory, persist)
    early = EarlyClients(broker, server_sock)       # while asyncssh loads
    try:
        from pshell.transport.ssh import run_async
        from pshell.transport.ssh_connect import load_asyncssh
        load_asyncssh()
        _quiet_asyncssh()
    finally:
        early.stop()
    try:
        run_async(_serve_forever(broker, server_sock, inode, early))
    finally:
        try:
            if os.stat(path).st_ino == inode:
                os.unlink(path)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
