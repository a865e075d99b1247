"""ICMP echo (engine/icmp.py) against hostile replies, and Test-Connection against loopback."""

from __future__ import annotations

import socket
import struct
import subprocess
import sys

import pytest

from pshell.engine.icmp import (IcmpSocket, IcmpUnavailable, build_echo, checksum, open_icmp,
                                parse_reply, payload_of)

V4 = socket.AF_INET
PAYLOAD = payload_of(32)


def _ip_header(length: int, ttl: int = 61, proto: int = 1, ihl: int = 5) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, length, 0, 0, ttl, proto, 0,
                       b"\x7f\0\0\1", b"\x7f\0\0\1") + b"\0" * (ihl * 4 - 20)


def _reply(ident: int, seq: int, payload: bytes, kind: int = 0) -> bytes:
    head = struct.pack("!BBHHH", kind, 0, 0, ident, seq)
    total = checksum(head + payload)
    return head[:2] + struct.pack("!H", total) + head[4:] + payload


def _with_ip(icmp: bytes, ttl: int = 61) -> bytes:
    return _ip_header(20 + len(icmp), ttl) + icmp


def test_checksum_of_a_request_verifies_to_zero() -> None:
    assert checksum(build_echo(V4, 0x1234, 7, PAYLOAD)) == 0
    assert checksum(b"\x01") == checksum(b"\x01\x00")


def test_a_matching_reply_is_success_with_its_ttl() -> None:
    assert parse_reply(_with_ip(_reply(9, 3, PAYLOAD)), V4, True, 9, 3, PAYLOAD) == ("Success", 61)


@pytest.mark.parametrize("packet", [
    b"",                                                    # nothing
    b"\x45",                                                # one byte
    _ip_header(20)[:19],                                    # a header cut short
    _ip_header(28, ihl=15) + _reply(9, 3, b""),             # header length past the packet
    _ip_header(28, ihl=4) + _reply(9, 3, b""),              # header length below the minimum
    _ip_header(48, proto=6) + _reply(9, 3, PAYLOAD),        # not ICMP
    b"\x60" + _with_ip(_reply(9, 3, PAYLOAD))[1:],          # not IPv4
    _with_ip(_reply(9, 3, PAYLOAD))[:-1] + b"X",            # checksum no longer holds
    _with_ip(_reply(8, 3, PAYLOAD)),                        # someone else's identifier
    _with_ip(_reply(9, 4, PAYLOAD)),                        # another sequence number
    _with_ip(_reply(9, 3, PAYLOAD[:-1] + b"!")),            # a different payload
    _with_ip(_reply(9, 3, PAYLOAD, kind=8)),                # an echo request, not a reply
    _with_ip(_reply(9, 3, b"", kind=11)),                   # time exceeded quoting nothing
    _with_ip(_reply(0, 0, _ip_header(28, ihl=15) + b"\x08" * 8, kind=11)),  # a quote that lies
])
def test_garbage_is_never_a_reply(packet: bytes) -> None:
    assert parse_reply(packet, V4, True, 9, 3, PAYLOAD) is None


def test_time_exceeded_counts_only_when_it_quotes_our_request() -> None:
    ours = _ip_header(28 + 32) + build_echo(V4, 9, 3, PAYLOAD)
    theirs = _ip_header(28 + 32) + build_echo(V4, 10, 3, PAYLOAD)
    assert parse_reply(_with_ip(_reply(0, 0, ours, kind=11)), V4, True, 9, 3, PAYLOAD) == ("TtlExpired", 61)
    assert parse_reply(_with_ip(_reply(0, 0, theirs, kind=11)), V4, True, 9, 3, PAYLOAD) is None
    unreachable = _reply(0, 0, ours, kind=3)
    unreachable = unreachable[:1] + b"\x01" + unreachable[2:]       # code 1: host unreachable
    fixed = unreachable[:2] + b"\0\0" + unreachable[4:]
    fixed = fixed[:2] + struct.pack("!H", checksum(fixed)) + fixed[4:]
    assert parse_reply(_with_ip(fixed), V4, True, 9, 3, PAYLOAD) == ("DestinationHostUnreachable", 61)


def test_a_datagram_socket_takes_echo_replies_only() -> None:
    ours = _ip_header(28 + 32) + build_echo(V4, 9, 3, PAYLOAD)
    assert parse_reply(_reply(555, 3, PAYLOAD), V4, False, None, 3, PAYLOAD) == ("Success", None)
    assert parse_reply(_reply(0, 0, ours, kind=11), V4, False, None, 3, PAYLOAD) is None


class _Unsent:
    """One end of a socket pair that drops what is sent and reads what the other end wrote."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def sendto(self, data: bytes, address: object) -> int:
        return len(data)

    def recvmsg(self, size: int, ancillary: int) -> tuple:
        data, anc, flags, _peer = self.sock.recvmsg(size, ancillary)
        return data, anc, flags, ("127.0.0.1", 0)

    def close(self) -> None:
        self.sock.close()


def test_garbage_on_the_socket_ends_as_timed_out_not_an_error() -> None:
    """A flood of junk, then a forged reply with the wrong sequence: the wait ends at its deadline."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        icmp = IcmpSocket(_Unsent(ours), V4, raw=True)
        junk = [b"", b"\xff" * 70000, _with_ip(_reply(icmp.ident, 99, PAYLOAD)), bytes(range(256))]
        for item in junk:
            try:
                theirs.send(item)
            except OSError:
                pass
        result = icmp.echo("127.0.0.1", PAYLOAD, 0.3)
        assert result.status == "TimedOut"
        theirs.send(_with_ip(_reply(icmp.ident, 2, PAYLOAD), ttl=33))       # the next request's answer
        result = icmp.echo("127.0.0.1", PAYLOAD, 2)
        assert (result.status, result.ttl, result.data) == ("Success", 33, PAYLOAD)
    finally:
        ours.close()
        theirs.close()


def _icmp_allowed() -> bool:
    try:
        open_icmp(V4).close()
        return True
    except IcmpUnavailable:
        return False


def _pshell(script: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pshell", "-NoProfile", "-c", script],
                          capture_output=True, text=True, timeout=60)


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def _name_not_found_at_once() -> bool:
    """Whether the resolver says "no such name" for a .invalid name (a machine whose DNS server
    cannot be reached answers "try again", or only after a long wait)."""
    try:
        socket.getaddrinfo("no-such-host.invalid", None)
    except socket.gaierror as exc:
        return exc.errno == socket.EAI_NONAME
    return False


@pytest.mark.skipif(not _icmp_allowed(), reason="no ICMP socket for this user on this machine")
def test_test_connection_pings_loopback() -> None:
    run = _pshell("$r = Test-Connection 127.0.0.1 -Count 2 -Delay 1 -BufferSize 5;"
                  "$r.Count; $r[1].Ping; $r[0].Status; $r[0].Reply.Buffer.Count;"
                  "$r[0].Reply.Options.Ttl -gt 0;"
                  "Test-Connection 127.0.0.1 -TraceRoute -Quiet;"
                  "(Test-Connection 127.0.0.1 -MtuSize).MtuSize -gt 28")
    assert run.stdout.split() == ["2", "2", "Success", "5", "True", "True", "True"], run.stderr


@pytest.mark.skipif(not _icmp_allowed() or not _ipv6_loopback(), reason="no ICMPv6 on ::1 here")
def test_test_connection_pings_ipv6_loopback() -> None:
    run = _pshell("Test-Connection ::1 -Count 1 -Quiet")
    assert run.stdout.split() == ["True"], run.stderr


def test_test_connection_refuses_and_reports() -> None:
    run = _pshell("try { Test-Connection 127.0.0.1 -Count 0 } catch { $_.FullyQualifiedErrorId };"
                  "Test-Connection 127.0.0.1 -TcpPort 1 -Detailed | % { $_.Connected; $_.Status }")
    assert run.stdout.split() == [
        "ParameterArgumentValidationError,Microsoft.PowerShell.Commands.TestConnectionCommand",
        "False", "ConnectionRefused"], run.stderr


@pytest.mark.skipif(not _name_not_found_at_once(), reason="this machine's resolver cannot say 'no such name'")
def test_test_connection_names_an_unknown_host() -> None:
    run = _pshell("Test-Connection no-such-host.invalid -Count 1 -Quiet;"
                  "try { Test-Connection no-such-host.invalid -ErrorAction Stop } catch {"
                  " $_.FullyQualifiedErrorId; $_.Exception.InnerException.ErrorCode }")
    assert run.stdout.split() == [
        "False", "TestConnectionException,Microsoft.PowerShell.Commands.TestConnectionCommand", "11001",
    ], run.stderr


def test_tcp_port_connects_to_a_listener() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        run = _pshell(f"Test-Connection 127.0.0.1 -TcpPort {port};"
                      f"(Test-Connection 127.0.0.1 -TcpPort {port} -Detailed -Count 2).Id")
    assert run.stdout.split() == ["True", "1", "2"], run.stderr
