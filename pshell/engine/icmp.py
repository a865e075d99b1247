"""ICMP echo (ping) over a socket: build requests, read replies as untrusted bytes.

The socket is an unprivileged ICMP datagram socket when the kernel lets this group open one
(``net.ipv4.ping_group_range``), else a raw socket (root or CAP_NET_RAW), else :class:`IcmpUnavailable`
with a message that says which.  A datagram socket's kernel picks the echo identifier and hands
over only our replies; a raw socket sees every ICMP packet of the host, so each one is checked:
lengths, IP header length, checksum (IPv4; ICMPv6's checksum the kernel checks), type, identifier,
sequence and payload.  Anything that does not match is dropped and the wait goes on until the
deadline, so garbage can delay an answer but never forge one or raise.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Tuple

__all__ = ["IcmpUnavailable", "EchoResult", "IcmpSocket", "checksum", "build_echo",
           "parse_reply", "payload_of", "open_icmp"]

# Linux option numbers the socket module does not always name
_IP_MTU_DISCOVER = getattr(socket, "IP_MTU_DISCOVER", 10)
_IP_PMTUDISC_DONT, _IP_PMTUDISC_DO = 0, 2
_IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
_IP_TTL_CMSG = 2
_IPV6_MTU_DISCOVER = getattr(socket, "IPV6_MTU_DISCOVER", 23)
_IPV6_RECVHOPLIMIT = getattr(socket, "IPV6_RECVHOPLIMIT", 51)
_IPV6_HOPLIMIT = getattr(socket, "IPV6_HOPLIMIT", 52)
_IPV6_UNICAST_HOPS = getattr(socket, "IPV6_UNICAST_HOPS", 16)

_ECHO_REQUEST: Dict[int, int] = {socket.AF_INET: 8, socket.AF_INET6: 128}
_ECHO_REPLY: Dict[int, int] = {socket.AF_INET: 0, socket.AF_INET6: 129}
# ICMP errors that quote our request, and the IPStatus each means
_V4_ERRORS = {11: "TtlExpired", 3: "DestinationUnreachable", 12: "ParameterProblem",
              4: "SourceQuench"}
_V4_UNREACHABLE = {0: "DestinationNetworkUnreachable", 1: "DestinationHostUnreachable",
                   2: "DestinationProtocolUnreachable", 3: "DestinationPortUnreachable",
                   4: "PacketTooBig"}
_V6_ERRORS = {3: "TtlExpired", 1: "DestinationUnreachable", 2: "PacketTooBig", 4: "ParameterProblem"}
_V6_UNREACHABLE = {0: "DestinationNetworkUnreachable", 1: "DestinationProhibited",
                   3: "DestinationHostUnreachable", 4: "DestinationPortUnreachable"}
_MAX_PACKET = 65535 + 512


class IcmpUnavailable(Exception):
    """No way to send ICMP from this process (the message says why)."""


class EchoResult:
    """What one echo request came to: an IPStatus name, who answered, the round trip in
    milliseconds, the reply's TTL (hop limit) when known, and the payload sent back."""

    __slots__ = ("status", "address", "rtt_ms", "ttl", "data")

    def __init__(self, status: str, address: str = "", rtt_ms: int = 0, ttl: Optional[int] = None,
                 data: bytes = b"") -> None:
        self.status = status
        self.address = address
        self.rtt_ms = rtt_ms
        self.ttl = ttl
        self.data = data

    def __repr__(self) -> str:
        return f"EchoResult({self.status!r}, {self.address!r}, {self.rtt_ms})"


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def payload_of(size: int) -> bytes:
    """The bytes an echo request of ``size`` carries (a repeating alphabet, as ping tools send)."""
    alphabet = b"abcdefghijklmnopqrstuvw"
    return (alphabet * (size // len(alphabet) + 1))[:size]


def build_echo(family: int, ident: int, seq: int, payload: bytes) -> bytes:
    """An echo request; ICMPv6's checksum is left 0 for the kernel to fill in."""
    head = struct.pack("!BBHHH", _ECHO_REQUEST[family], 0, 0, ident & 0xFFFF, seq & 0xFFFF)
    if family == socket.AF_INET6:
        return head + payload
    total = checksum(head + payload)
    return head[:2] + struct.pack("!H", total) + head[4:] + payload


def parse_reply(packet: bytes, family: int, with_ip_header: bool, ident: Optional[int], seq: int,
                payload: bytes) -> Optional[Tuple[str, Optional[int]]]:
    """``(status, ttl)`` if ``packet`` answers our request ``(ident, seq, payload)``, else None.

    ``with_ip_header``: the packet starts with its IPv4 header (raw IPv4 sockets); ``ident``
    None: any identifier (a datagram socket's kernel already filtered on it)."""
    ttl: Optional[int] = None
    if with_ip_header:
        if len(packet) < 20 or packet[0] >> 4 != 4:
            return None
        header_len = (packet[0] & 0x0F) * 4
        if header_len < 20 or header_len + 8 > len(packet) or packet[9] != 1:
            return None
        ttl = packet[8]
        packet = packet[header_len:]
    if len(packet) < 8:
        return None
    if family == socket.AF_INET and checksum(packet) != 0:
        return None
    kind, code = packet[0], packet[1]
    if kind == _ECHO_REPLY[family]:
        got_ident, got_seq = struct.unpack("!HH", packet[4:8])
        if (ident is not None and got_ident != ident & 0xFFFF) or got_seq != seq & 0xFFFF:
            return None
        if packet[8:] != payload:
            return None
        return "Success", ttl
    if ident is None:
        return None          # datagram sockets hand over echo replies only
    return _quoted_error(packet, family, kind, code, ident, seq, ttl)


def _quoted_error(packet: bytes, family: int, kind: int, code: int, ident: int, seq: int,
                  ttl: Optional[int]) -> Optional[Tuple[str, Optional[int]]]:
    """An ICMP error counts only when the request it quotes is ours."""
    errors, unreachable = (_V4_ERRORS, _V4_UNREACHABLE) if family == socket.AF_INET else \
        (_V6_ERRORS, _V6_UNREACHABLE)
    status = errors.get(kind)
    if status is None:
        return None
    quoted = packet[8:]
    if family == socket.AF_INET:
        if len(quoted) < 20 or quoted[0] >> 4 != 4:
            return None
        inner_len = (quoted[0] & 0x0F) * 4
        if inner_len < 20 or inner_len + 8 > len(quoted) or quoted[9] != 1:
            return None
        inner = quoted[inner_len:inner_len + 8]
    else:
        if len(quoted) < 48 or quoted[0] >> 4 != 6 or quoted[6] != 58:
            return None
        inner = quoted[40:48]
    if inner[0] != _ECHO_REQUEST[family] or struct.unpack("!HH", inner[4:8]) != (ident & 0xFFFF,
                                                                                 seq & 0xFFFF):
        return None
    if status == "DestinationUnreachable":
        status = unreachable.get(code, "DestinationUnreachable")
    return status, ttl


class IcmpSocket:
    """One ICMP socket for one address family; ``echo`` sends a request and waits for its answer."""

    def __init__(self, sock: Any, family: int, raw: bool) -> None:
        self.sock = sock
        self.family = family
        self.raw = raw
        self.ident = (os.getpid() ^ int.from_bytes(os.urandom(2), "big")) & 0xFFFF
        self._seq = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "IcmpSocket":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def set_ttl(self, ttl: int) -> None:
        if self.family == socket.AF_INET:
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else:
            self.sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_UNICAST_HOPS, ttl)

    def set_dont_fragment(self, on: bool) -> None:
        level, option = (socket.IPPROTO_IP, _IP_MTU_DISCOVER) if self.family == socket.AF_INET else \
            (socket.IPPROTO_IPV6, _IPV6_MTU_DISCOVER)
        try:
            self.sock.setsockopt(level, option, _IP_PMTUDISC_DO if on else _IP_PMTUDISC_DONT)
        except OSError:
            pass

    def echo(self, address: str, payload: bytes, timeout: float,
             stopped: Any = None) -> EchoResult:
        """Send one echo request to ``address`` and wait up to ``timeout`` seconds for its answer.
        ``stopped()`` (optional) is asked every 0.2 s; when it says True the wait ends as
        TimedOut."""
        self._seq = (self._seq + 1) & 0xFFFF
        seq = self._seq
        packet = build_echo(self.family, self.ident, seq, payload)
        start = time.monotonic()
        try:
            self.sock.sendto(packet, (address, 0))
        except OSError as exc:
            return EchoResult(_send_failure(exc), address)
        deadline = start + timeout
        ident = self.ident if self.raw else None
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or (stopped is not None and stopped()):
                return EchoResult("TimedOut", address)
            ready, _, _ = select.select([self.sock], [], [], min(left, 0.2))
            if not ready:
                continue
            try:
                data, ancillary, _flags, peer = self.sock.recvmsg(_MAX_PACKET, 256)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                return EchoResult(_send_failure(exc), address)
            found = parse_reply(data, self.family, self.raw and self.family == socket.AF_INET,
                                ident, seq, payload)
            if found is None:
                continue
            status, ttl = found
            if ttl is None:
                ttl = _ttl_from(ancillary)
            sender = peer[0] if isinstance(peer, tuple) and peer else address
            rtt = int((time.monotonic() - start) * 1000)
            return EchoResult(status, str(sender), rtt, ttl, payload if status == "Success" else b"")


def _send_failure(exc: OSError) -> str:
    return {errno.EHOSTUNREACH: "DestinationHostUnreachable",
            errno.ENETUNREACH: "DestinationNetworkUnreachable",
            errno.EMSGSIZE: "PacketTooBig"}.get(exc.errno or 0, "Unknown")


def _ttl_from(ancillary: Any) -> Optional[int]:
    for level, kind, data in ancillary or ():
        if ((level, kind) in ((socket.IPPROTO_IP, _IP_TTL_CMSG), (socket.IPPROTO_IPV6, _IPV6_HOPLIMIT))
                and len(data) >= 4):
            value = int(struct.unpack("=i", data[:4])[0])
            return value if 0 <= value <= 255 else None
    return None


def open_icmp(family: int) -> IcmpSocket:
    """An ICMP socket for ``family``: datagram if allowed, else raw, else IcmpUnavailable."""
    proto = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
    try:
        sock = socket.socket(family, socket.SOCK_DGRAM, proto)
        raw = False
    except OSError as dgram_error:
        try:
            sock = socket.socket(family, socket.SOCK_RAW, proto)
            raw = True
        except PermissionError:
            raise IcmpUnavailable(
                "Cannot send ICMP echo requests: this user may not open an ICMP datagram socket "
                "(the group is outside net.ipv4.ping_group_range) and is not allowed a raw socket "
                "(needs root or CAP_NET_RAW).") from None
        except OSError as exc:
            raise IcmpUnavailable(f"Cannot open an ICMP socket: {exc.strerror or exc} "
                                  f"(datagram: {dgram_error.strerror or dgram_error}).") from None
    try:
        if family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_IP, _IP_RECVTTL, 1)
        else:
            sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVHOPLIMIT, 1)
    except OSError:
        pass
    return IcmpSocket(sock, family, raw)
