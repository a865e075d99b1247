"""Get-TimeZone (the logic is in engine/timezones.py).  pwsh has no Set-TimeZone on Linux and
neither has pshell: the zone of the computer is the system's (timedatectl)."""

from __future__ import annotations


from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.timezones import (TimeZoneInfo, TimeZoneNotFound, find_zone, local_zone,
                                     system_zones, zones_named)
from pshell.engine.values import to_str
from pshell.engine.wildcards import has_wildcards


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

def _not_found(what: str, value: str) -> str:
    return f"A time zone with the {what} '{value}' was not found."


class _ById(str):
    """A -Name value that came as a zone down the pipeline: looked up by its Id (the binder
    picks the parameter set before input arrives, so -Id cannot take it by property name)."""


def _names(value: Any) -> Any:
    items = value if isinstance(value, (list, tuple)) else [value]
    return [_ById(item.Id) if isinstance(item, TimeZoneInfo) else to_str(item) for item in items]


@register
class GetTimeZone(Cmdlet):
    name = "Get-TimeZone"
    synopsis = "Gets the computer's time zone, zones by Id or by name, or every zone it knows."
    output_type = "System.TimeZoneInfo"
    default_set = "Name"
    params = (
        Param("Name", _names, position=0, pipeline=True, sets=("Name",)),
        Param("Id", "string[]", by_property=True, sets=("Id",), mandatory=("Id",)),
        Param("ListAvailable", "switch", sets=("ListAvailable",), mandatory=("ListAvailable",)),
    )

    def process(self) -> Iterator[Any]:
        if self.parameter_set == "ListAvailable":
            if self.ListAvailable:
                yield from system_zones()
                return
            yield local_zone()
            return
        if self.parameter_set == "Id":
            for zone_id in self.Id or []:
                try:
                    yield find_zone(zone_id)
                except TimeZoneNotFound:
                    self.write_error(_not_found("Id", zone_id), "TimeZoneNotFound",
                                     "InvalidArgument", zone_id)
            return
        if not self.Name:
            yield local_zone()
            return
        for name in self.Name:
            if isinstance(name, _ById):
                yield find_zone(name)
                continue
            found = zones_named([name])
            if not found and not has_wildcards(name):
                self.write_error(_not_found("name", name), "TimeZoneNotFound",
                                 "InvalidArgument", name)
            yield from found
