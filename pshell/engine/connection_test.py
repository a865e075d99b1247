"""What Test-Connection does for one target: pings (a count, or until stopped), a trace route, a
path MTU search, or TCP connects to a port.  The cmdlet (cmdlets/net.py) binds the parameters;
this module yields the result objects of engine/net_info.py and reports failures through
``Probe.fail`` so the cmdlet decides how each is written.
"""

from __future__ import annotations

import errno
import socket
import time

from pshell.engine.icmp import EchoResult, IcmpSocket, IcmpUnavailable, open_icmp, payload_of
from pshell.engine.net_info import (HOST_NOT_FOUND, IPAddress, PingMtuStatus, PingOptions, PingReply,
                                    PingStatus, SocketErrorInfo, TcpPortStatus, TraceStatus,
                                    ip_address, resolve)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Generator, Iterator

__all__ = ["ProbeOptions", "Probe", "ProbeFailure", "IcmpUnavailable"]

_TRACE_PINGS = 3          # echo requests per hop of a trace route
_MAX_PAYLOAD = 65500


class ProbeFailure(Exception):
    """A target could not be tested: the message, the object the error is about, and the
    .NET-style inner exception (a SocketException for a name that did not resolve)."""

    def __init__(self, message: str, target: Any = None, inner: Any = None) -> None:
        super().__init__(message)
        self.target = target
        self.inner = inner


class ProbeOptions:
    """The cmdlet's settings, as plain values."""

    def __init__(self, count: int = 4, delay: float = 1.0, buffer_size: int = 32, max_hops: int = 128,
                 timeout: float = 5.0, dont_fragment: bool = False, family: int = socket.AF_UNSPEC,
                 resolve_destination: bool = False) -> None:
        self.count = count
        self.delay = delay
        self.buffer_size = buffer_size
        self.max_hops = max_hops
        self.timeout = timeout
        self.dont_fragment = dont_fragment
        self.family = family
        self.resolve_destination = resolve_destination


class Probe:
    """Tests one target.  ``wait(seconds)`` sleeps and says True when the pipeline is stopping;
    ``stopped()`` only asks."""

    def __init__(self, target: str, options: ProbeOptions, wait: Callable[[float], bool],
                 stopped: Callable[[], bool]) -> None:
        self.target = target
        self.options = options
        self.wait = wait
        self.stopped = stopped
        self.source = socket.gethostname()
        self.address = self._address()
        self.destination = self._destination()

    # ---- names ----------------------------------------------------------------------
    def _address(self) -> IPAddress:
        try:
            found = resolve(self.target, self.options.family)
        except (OSError, UnicodeError) as exc:
            inner = SocketErrorInfo(f"No such host is known ({getattr(exc, 'strerror', None) or exc}).",
                                    HOST_NOT_FOUND)
            raise ProbeFailure(f"Testing connection to computer '{self.target}' failed: Cannot resolve "
                               f"the target name.", self.target, inner) from None
        wanted = self.options.family
        for address in found:
            if wanted == socket.AF_UNSPEC or (wanted == socket.AF_INET6) == (":" in address):
                return address
        family = "IPv6" if wanted == socket.AF_INET6 else "IPv4"
        raise ProbeFailure(f"Testing connection to computer '{self.target}' failed: the target has no "
                           f"{family} address.", self.target)

    def _destination(self) -> str:
        if not self.options.resolve_destination:
            return self.target
        try:
            if ip_address(self.target) is not None:
                return socket.gethostbyaddr(self.target)[0]
            infos = socket.getaddrinfo(self.target, None, self.options.family, socket.SOCK_STREAM, 0,
                                       socket.AI_CANONNAME)
            return next((info[3] for info in infos if info[3]), self.target)
        except OSError:
            return self.target

    def _socket(self) -> IcmpSocket:
        return open_icmp(socket.AF_INET6 if ":" in self.address else socket.AF_INET)

    def _echo(self, sock: IcmpSocket, payload: bytes) -> PingReply:
        result: EchoResult = sock.echo(self.address, payload, self.options.timeout, self.stopped)
        options = PingOptions(result.ttl, self.options.dont_fragment) if result.status == "Success" \
            else None
        return PingReply(result.status, IPAddress(result.address or self.address), result.rtt_ms,
                         options, result.data)

    # ---- pings ----------------------------------------------------------------------
    def pings(self, repeat: bool = False) -> Iterator[PingStatus]:
        """``count`` echo requests (or until stopped with ``repeat``), ``delay`` seconds apart."""
        payload = payload_of(self.options.buffer_size)
        with self._socket() as sock:
            sock.set_ttl(self.options.max_hops)
            sock.set_dont_fragment(self.options.dont_fragment)
            number = 0
            while repeat or number < self.options.count:
                number += 1
                reply = self._echo(sock, payload)
                yield PingStatus(number, self.source, self.destination, self.address, reply,
                                 self.options.buffer_size)
                if (repeat or number < self.options.count) and self.wait(self.options.delay):
                    return

    # ---- trace route ----------------------------------------------------------------
    def trace(self) -> Generator[TraceStatus, None, bool]:
        """Hop by hop towards the target, yielding TraceStatus objects as they come; returns
        True once the target answered, False when the hops ran out or a hop said unreachable."""
        payload = payload_of(self.options.buffer_size)
        with self._socket() as sock:
            for hop in range(1, self.options.max_hops + 1):
                sock.set_ttl(hop)
                replies = []
                for ping in range(1, _TRACE_PINGS + 1):
                    reply = self._echo(sock, payload)
                    replies.append(reply)
                    yield TraceStatus(hop, self._name_of(reply), ping, reply, self.source,
                                      self.target, self.address)
                    if self.stopped():
                        return False
                if any(r.Status == "Success" for r in replies):
                    return True
                if not all(r.Status in ("TtlExpired", "TimedOut") for r in replies):
                    return False
        return False

    def _name_of(self, reply: PingReply) -> str:
        address = str(reply.Address)
        if reply.Status not in ("Success", "TtlExpired"):
            return address
        try:
            return socket.gethostbyaddr(address)[0]
        except OSError:
            return address

    # ---- path MTU -------------------------------------------------------------------
    def mtu(self) -> PingMtuStatus:
        """The largest echo that passes with fragmentation forbidden, as an MTU (payload plus the
        ICMP and IP headers).  A first probe that gets no answer is a failure."""
        header = 48 if ":" in self.address else 28
        with self._socket() as sock:
            sock.set_ttl(self.options.max_hops)
            sock.set_dont_fragment(True)
            first = self._echo(sock, b"")
            if first.Status != "Success":
                raise ProbeFailure(f"Testing connection to computer '{self.target}' failed: "
                                   f"{first.Status}.", PingMtuStatus(self.source, self.destination,
                                                                     self.address, -1, first))
            low, high, best = 0, _MAX_PAYLOAD, first
            while low < high and not self.stopped():
                size = (low + high + 1) // 2
                reply = self._echo(sock, payload_of(size))
                if reply.Status == "Success":
                    low, best = size, reply
                else:
                    high = size - 1
        return PingMtuStatus(self.source, self.destination, self.address, low + header, best)

    # ---- TCP ------------------------------------------------------------------------
    def tcp(self, port: int, count: int) -> Iterator[TcpPortStatus]:
        """``count`` plain TCP connects to ``port``, ``delay`` seconds apart."""
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        for number in range(1, count + 1):
            start = time.monotonic()
            status = _connect(family, self.address, port, self.options.timeout)
            latency = int((time.monotonic() - start) * 1000) if status == "Success" else 0
            yield TcpPortStatus(number, self.source, self.target, self.address, port, latency, status)
            if number < count and self.wait(self.options.delay):
                return


def _connect(family: int, address: str, port: int, timeout: float) -> str:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
        return "Success"
    except socket.timeout:
        return "TimedOut"
    except OSError as exc:
        return {errno.ECONNREFUSED: "ConnectionRefused", errno.EHOSTUNREACH: "HostUnreachable",
                errno.ENETUNREACH: "NetworkUnreachable"}.get(exc.errno or 0, "SocketError")
    finally:
        sock.close()
