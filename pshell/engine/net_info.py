"""The .NET networking objects scripts and Test-Connection use: ``[System.Net.IPAddress]``,
``[System.Net.Dns]``'s look-ups, ``[System.Net.NetworkInformation.NetworkInterface]`` (read from
/sys/class/net and /proc/net/route), and the result objects of Test-Connection (PingStatus,
PingReply, PingMtuStatus, TraceStatus, TcpPortStatus).

An IPAddress is a string (its text) with ``AddressFamily`` and ``IPAddressToString``, so that the
comparisons scripts make against address text hold as they do in pwsh.
"""

from __future__ import annotations

import os
import socket

from pshell.engine.errors import ExceptionInfo, RuntimeException
from pshell.engine.values import to_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional

__all__ = ["IPAddress", "ip_address", "SocketErrorInfo", "resolve", "host_entry", "STATIC_METHODS",
           "KNOWN_TYPES", "PingOptions", "PingReply", "PingStatus", "PingMtuStatus", "TraceStatus",
           "TcpPortStatus", "HOST_NOT_FOUND"]

HOST_NOT_FOUND = 11001        # SocketError.HostNotFound, as .NET reports a failed name look-up
_COMMAND = "Microsoft.PowerShell.Commands.TestConnectionCommand+"


class IPAddress(str):
    """``System.Net.IPAddress``: the address's text, with its family."""

    ps_properties = ("AddressFamily", "IPAddressToString", "IsIPv6LinkLocal", "ScopeId")
    ps_type_names = ("System.Net.IPAddress",)

    @property
    def AddressFamily(self) -> str:
        return "InterNetworkV6" if ":" in self else "InterNetwork"

    @property
    def IPAddressToString(self) -> str:
        return str(self)

    @property
    def IsIPv6LinkLocal(self) -> bool:
        import ipaddress
        return ":" in self and ipaddress.ip_address(str(self).split("%")[0]).is_link_local

    @property
    def ScopeId(self) -> int:
        return 0

    def ToString(self) -> str:
        return str(self)

    def GetAddressBytes(self) -> List[int]:
        import ipaddress
        return list(ipaddress.ip_address(str(self).split("%")[0]).packed)


def ip_address(text: Any) -> Optional[IPAddress]:
    """``text`` as an IPAddress if it is an address literal, else None."""
    import ipaddress
    value = to_str(text).strip()
    try:
        ipaddress.ip_address(value.split("%")[0])
    except ValueError:
        return None
    return IPAddress(value)


class SocketErrorInfo(ExceptionInfo):
    """``System.Net.Sockets.SocketException``: the message and .NET's error code."""

    __slots__ = ("ErrorCode", "SocketErrorCode")

    def __init__(self, message: str, code: int = HOST_NOT_FOUND) -> None:
        super().__init__(message, "System.Net.Sockets.SocketException")
        self.ErrorCode = code
        self.SocketErrorCode = "HostNotFound" if code == HOST_NOT_FOUND else "SocketError"


def resolve(name: str, family: int = socket.AF_UNSPEC) -> List[IPAddress]:
    """The addresses of ``name`` (a literal stands for itself), or OSError."""
    literal = ip_address(name)
    if literal is not None:
        return [literal]
    infos = socket.getaddrinfo(name, None, family, socket.SOCK_STREAM)
    seen: List[IPAddress] = []
    for info in infos:
        address = IPAddress(str(info[4][0]))
        if address not in seen:
            seen.append(address)
    return seen


class IPHostEntry:
    """``System.Net.IPHostEntry``."""

    ps_properties = ("HostName", "Aliases", "AddressList")
    ps_type_names = ("System.Net.IPHostEntry",)

    def __init__(self, host_name: str, aliases: List[str], addresses: List[IPAddress]) -> None:
        self.HostName = host_name
        self.Aliases = aliases
        self.AddressList = addresses


def _lookup_failed(name: str, exc: OSError) -> RuntimeException:
    inner = SocketErrorInfo(f"No such host is known: '{name}' ({exc.strerror or exc}).")
    outer = ExceptionInfo(f'Exception calling "GetHostEntry" with "1" argument(s): "{inner.Message}"',
                          "System.Management.Automation.MethodInvocationException", inner)
    from pshell.engine.errors import ErrorRecord
    return RuntimeException(ErrorRecord(outer.Message, "SocketException", "NotSpecified", name,
                                        exception=outer))


def host_entry(name_or_address: Any) -> IPHostEntry:
    """``[System.Net.Dns]::GetHostEntry``: a literal is looked up in reverse, a name forward."""
    text = to_str(name_or_address).strip()
    try:
        if ip_address(text) is not None:
            host, aliases, addresses = socket.gethostbyaddr(text)
            return IPHostEntry(host, list(aliases), [IPAddress(a) for a in addresses] or
                               [IPAddress(text)])
        infos = socket.getaddrinfo(text, None, socket.AF_UNSPEC, socket.SOCK_STREAM, 0,
                                   socket.AI_CANONNAME)
    except OSError as exc:
        raise _lookup_failed(text, exc) from None
    canonical = next((info[3] for info in infos if info[3]), text)
    return IPHostEntry(canonical, [], resolve(text))


def _host_addresses(args: List[Any]) -> List[IPAddress]:
    text = to_str(args[0]).strip() if args else ""
    try:
        return resolve(text)
    except OSError as exc:
        raise _lookup_failed(text, exc) from None


# --------------------------------------------------------------------------- network interfaces

class GatewayAddress:
    ps_properties = ("Address",)
    ps_type_names = ("System.Net.NetworkInformation.GatewayIPAddressInformation",)

    def __init__(self, address: IPAddress) -> None:
        self.Address = address


class IPInterfaceProperties:
    ps_properties = ("GatewayAddresses",)
    ps_type_names = ("System.Net.NetworkInformation.IPInterfaceProperties",)

    def __init__(self, gateways: List[IPAddress]) -> None:
        self.GatewayAddresses = [GatewayAddress(g) for g in gateways]


class NetworkInterface:
    """``System.Net.NetworkInformation.NetworkInterface`` as Linux's /sys/class/net shows it."""

    ps_properties = ("Name", "Id", "OperationalStatus", "NetworkInterfaceType", "Speed")
    ps_type_names = ("System.Net.NetworkInformation.NetworkInterface",)

    def __init__(self, name: str) -> None:
        self.Name = self.Id = name
        state = _read(f"/sys/class/net/{name}/operstate").lower()
        self.OperationalStatus = {"up": "Up", "down": "Down", "dormant": "Dormant",
                                  "lowerlayerdown": "LowerLayerDown"}.get(state, "Unknown")
        kind = _read(f"/sys/class/net/{name}/type")
        self.NetworkInterfaceType = "Loopback" if kind == "772" else "Ethernet" if kind == "1" else "Unknown"
        if self.NetworkInterfaceType == "Loopback":
            self.OperationalStatus = "Up"
        speed = _read(f"/sys/class/net/{name}/speed")
        self.Speed = int(speed) * 1_000_000 if speed.isdigit() else -1

    def GetIPProperties(self) -> IPInterfaceProperties:
        return IPInterfaceProperties(_gateways().get(self.Name, []))


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read(4096).strip()
    except OSError:
        return ""


def _gateways() -> Dict[str, List[IPAddress]]:
    """IPv4 default gateways per interface, from /proc/net/route (hex, little-endian)."""
    found: Dict[str, List[IPAddress]] = {}
    for line in _read("/proc/net/route").splitlines()[1:]:
        fields = line.split()
        if len(fields) < 4:
            continue
        try:
            gateway, flags = int(fields[2], 16), int(fields[3], 16)
        except ValueError:
            continue
        if gateway and flags & 0x2 and gateway < 2 ** 32:
            text = socket.inet_ntoa(gateway.to_bytes(4, "little"))
            found.setdefault(fields[0], []).append(IPAddress(text))
    return found


def _interfaces(args: List[Any]) -> List[NetworkInterface]:
    try:
        names = sorted(os.listdir("/sys/class/net"))
    except OSError:
        return []
    return [NetworkInterface(name) for name in names]


STATIC_METHODS: Dict[str, Dict[str, Callable[[List[Any]], Any]]] = {
    "net.dns": {
        "gethostname": lambda a: socket.gethostname(),
        "gethostentry": lambda a: host_entry(a[0] if a else ""),
        "gethostbyname": lambda a: host_entry(a[0] if a else ""),
        "gethostaddresses": _host_addresses,
    },
    "net.ipaddress": {
        "parse": lambda a: _parse_address(a[0] if a else ""),
        "isloopback": lambda a: _parse_address(a[0] if a else "") in ("::1",) or
        _parse_address(a[0]).startswith("127."),
    },
    "net.networkinformation.networkinterface": {"getallnetworkinterfaces": _interfaces},
}


def _parse_address(text: Any) -> IPAddress:
    found = ip_address(text)
    if found is None:
        raise RuntimeException.make(f"An invalid IP address was specified: '{to_str(text)}'.",
                                    "FormatException", "InvalidArgument", text)
    return found


# --------------------------------------------------------------------------- Test-Connection's results

class PingOptions:
    ps_properties = ("Ttl", "DontFragment")
    ps_type_names = ("System.Net.NetworkInformation.PingOptions",)

    def __init__(self, ttl: Optional[int], dont_fragment: bool) -> None:
        self.Ttl = ttl if ttl is not None else 0
        self.DontFragment = dont_fragment


class PingReply:
    ps_properties = ("Status", "Address", "RoundtripTime", "Options", "Buffer")
    ps_type_names = ("System.Net.NetworkInformation.PingReply",)

    def __init__(self, status: str, address: IPAddress, rtt: int, options: Optional[PingOptions],
                 buffer: bytes) -> None:
        self.Status = status
        self.Address = address
        self.RoundtripTime = rtt
        self.Options = options
        self.Buffer = list(buffer)


class PingStatus:
    ps_properties = ("Ping", "Source", "Destination", "Address", "DisplayAddress", "Latency",
                     "Status", "BufferSize", "Reply")
    ps_type_names = (_COMMAND + "PingStatus",)

    def __init__(self, ping: int, source: str, destination: str, address: IPAddress, reply: PingReply,
                 buffer_size: int) -> None:
        self.Ping = ping
        self.Source = source
        self.Destination = destination
        self.Address = address
        self.Reply = reply
        self.BufferSize = buffer_size

    @property
    def DisplayAddress(self) -> str:
        return str(self.Address)

    @property
    def Status(self) -> str:
        return self.Reply.Status

    @property
    def Latency(self) -> int:
        return self.Reply.RoundtripTime if self.Reply.Status == "Success" else 0


class PingMtuStatus:
    ps_properties = ("Source", "Destination", "Address", "MtuSize", "Status", "Reply")
    ps_type_names = (_COMMAND + "PingMtuStatus",)

    def __init__(self, source: str, destination: str, address: IPAddress, mtu: int,
                 reply: PingReply) -> None:
        self.Source = source
        self.Destination = destination
        self.Address = address
        self.MtuSize = mtu
        self.Reply = reply

    @property
    def Status(self) -> str:
        return self.Reply.Status


class TraceStatus:
    ps_properties = ("Hop", "Hostname", "Ping", "HopAddress", "Latency", "Status", "Source", "Target",
                     "TargetAddress", "Reply")
    ps_type_names = (_COMMAND + "TraceStatus",)

    def __init__(self, hop: int, hostname: str, ping: int, reply: PingReply, source: str, target: str,
                 target_address: IPAddress) -> None:
        self.Hop = hop
        self.Hostname = hostname
        self.Ping = ping
        self.Reply = reply
        self.Source = source
        self.Target = target
        self.TargetAddress = target_address

    @property
    def HopAddress(self) -> IPAddress:
        return self.Reply.Address

    @property
    def Status(self) -> str:
        return self.Reply.Status

    @property
    def Latency(self) -> int:
        return self.Reply.RoundtripTime


class TcpPortStatus:
    ps_properties = ("Id", "Source", "Target", "TargetAddress", "Port", "Latency", "Connected",
                     "Status")
    ps_type_names = (_COMMAND + "TcpPortStatus",)

    def __init__(self, ident: int, source: str, target: str, address: IPAddress, port: int,
                 latency: int, status: str) -> None:
        self.Id = ident
        self.Source = source
        self.Target = target
        self.TargetAddress = address
        self.Port = port
        self.Latency = latency
        self.Status = status

    @property
    def Connected(self) -> bool:
        return self.Status == "Success"


KNOWN_TYPES = frozenset(name.lower() for cls in (PingStatus, PingMtuStatus, TraceStatus, TcpPortStatus,
                                                 PingReply, PingOptions, IPHostEntry, NetworkInterface)
                        for name in cls.ps_type_names)
