"""Test-Connection (the work is in engine/connection_test.py, ICMP in engine/icmp.py)."""

from __future__ import annotations

import socket

from pshell.engine.binder import ranged
from pshell.engine.cmdlet import Cmdlet, Param, qualified_name, register
from pshell.engine.connection_test import IcmpUnavailable, Probe, ProbeFailure, ProbeOptions
from pshell.engine.errors import ErrorRecord, ExceptionInfo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

_INT_MAX = 2 ** 31 - 1
_PINGS = ("DefaultPing", "RepeatPing")


def _int(low: int, high: int) -> Any:
    """An Int32 parameter refusing values outside ``low..high``."""
    convert = ranged("int", low, high)
    convert.type_label = "Int32"
    return convert


@register
class TestConnection(Cmdlet):
    name = "Test-Connection"
    synopsis = "Sends ICMP echo requests (or TCP connects) to computers and reports each answer."
    output_type = "Microsoft.PowerShell.Commands.TestConnectionCommand+PingStatus"
    default_set = "DefaultPing"
    params = (
        Param("TargetName", "string[]", position=0, mandatory=True, pipeline=True, by_property=True,
              aliases=("ComputerName",)),
        Param("Ping", "switch", sets=("DefaultPing",)),
        Param("Repeat", "switch", aliases=("Continuous",), sets=("RepeatPing",), mandatory=("RepeatPing",)),
        Param("TraceRoute", "switch", sets=("TraceRoute",), mandatory=("TraceRoute",)),
        Param("MtuSize", "switch", aliases=("MtuSizeDetect",), sets=("MtuSizeDetect",),
              mandatory=("MtuSizeDetect",)),
        Param("TcpPort", _int(0, 65535), sets=("TcpPort",), mandatory=("TcpPort",)),
        Param("Count", _int(1, _INT_MAX), default=4, sets=("DefaultPing", "TcpPort")),
        Param("Delay", _int(1, _INT_MAX), default=1, sets=("DefaultPing", "RepeatPing", "TcpPort")),
        Param("BufferSize", _int(0, 65500), default=32, aliases=("Size", "Bytes", "BS"),
              sets=_PINGS + ("TraceRoute",)),
        Param("MaxHops", _int(1, 128), default=128, aliases=("Ttl", "TimeToLive", "Hops"),
              sets=_PINGS + ("TraceRoute",)),
        Param("DontFragment", "switch", sets=_PINGS),
        Param("IPv4", "switch"),
        Param("IPv6", "switch"),
        Param("ResolveDestination", "switch"),
        Param("TimeoutSeconds", _int(1, _INT_MAX), default=5, aliases=("TimeOut",)),
        Param("Quiet", "switch"),
        Param("Detailed", "switch", sets=("TcpPort",)),
    )

    def process(self) -> Iterator[Any]:
        if self.IPv4 and self.IPv6:
            raise self.terminate("Test-Connection takes -IPv4 or -IPv6, not both.", "ParameterConflict",
                                 "InvalidArgument")
        family = socket.AF_INET if self.IPv4 else socket.AF_INET6 if self.IPv6 else socket.AF_UNSPEC
        options = ProbeOptions(self.Count, self.Delay, self.BufferSize, self.MaxHops, self.TimeoutSeconds,
                               bool(self.DontFragment), family, bool(self.ResolveDestination))
        for target in self.TargetName or []:
            try:
                probe = Probe(target, options, self.runspace.wait_stop, lambda: self.stopping)
                yield from self._one(probe)
            except ProbeFailure as failure:
                if self.Quiet:
                    yield False
                else:
                    self._fail(failure)
            except IcmpUnavailable as exc:
                raise self.terminate(str(exc), "TestConnectionException", "PermissionDenied",
                                     target) from None

    def _one(self, probe: Probe) -> Iterator[Any]:
        if self.is_bound("TcpPort"):
            count = self.Count if self.is_bound("Count") else 1
            results = probe.tcp(self.TcpPort, count)
            if self.Detailed:
                yield from results
            else:
                yield any(r.Connected for r in list(results))
        elif self.TraceRoute:
            yield from self._trace(probe)
        elif self.MtuSize:
            found = probe.mtu()
            yield found.MtuSize if self.Quiet else found
        elif self.Quiet:
            yield any(status.Status == "Success" for status in list(probe.pings(bool(self.Repeat))))
        else:
            yield from probe.pings(bool(self.Repeat))

    def _trace(self, probe: Probe) -> Iterator[Any]:
        hops = probe.trace()
        reached = False
        while True:
            try:
                hop = next(hops)
            except StopIteration as done:
                reached = bool(done.value)
                break
            if not self.Quiet:
                yield hop
        if self.Quiet:
            yield reached
        elif not reached:
            self._fail(ProbeFailure(f"Testing connection to computer '{probe.target}' failed: the target "
                                    f"was not reached within {self.MaxHops} hops.", probe.target))

    def _fail(self, failure: ProbeFailure) -> None:
        exception = ExceptionInfo(str(failure), "System.Net.NetworkInformation.PingException", failure.inner)
        self.write_error(ErrorRecord(str(failure), f"TestConnectionException,{qualified_name(self.name)}",
                                     "ResourceUnavailable", failure.target, self.ctx.location, self.name,
                                     exception=exception))
