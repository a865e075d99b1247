"""Get-TimeZone, Set-TimeZone (the logic is in engine/timezones.py)."""

from __future__ import annotations

from typing import Any, Iterator

from pshell.engine.cmdlet import Cmdlet, Param, register
from pshell.engine.shouldprocess import SHOULD_PROCESS_PARAMS
from pshell.engine.timezones import (TimeZoneInfo, TimeZoneNotFound, find_zone, local_zone,
                                     set_system_zone, system_zones, zones_named)
from pshell.engine.values import to_str
from pshell.engine.wildcards import has_wildcards


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


@register
class SetTimeZone(Cmdlet):
    name = "Set-TimeZone"
    synopsis = "Sets the computer's time zone (repoints /etc/localtime, so it needs root)."
    output_type = "System.TimeZoneInfo"
    confirm_impact = "Medium"
    default_set = "Name"
    params = (
        # one of the three is needed; checked in _zone (the binder would ask for -Name before the
        # pipeline had a chance to bind InputObject)
        Param("Name", "string", position=0, sets=("Name",)),
        Param("Id", "string", by_property=True, sets=("Id",)),
        Param("InputObject", "object", pipeline=True, sets=("InputObject",)),
        Param("PassThru", "switch"),
        *SHOULD_PROCESS_PARAMS,
    )

    def process(self) -> Iterator[Any]:
        zone = self._zone()
        if not self.should_process(f"({zone.Id}) {zone.StandardName}", "Set-TimeZone"):
            return
        try:
            set_system_zone(zone)
        except PermissionError as exc:
            raise self.terminate(f"Set-TimeZone needs root to change the computer's time zone: "
                                 f"{exc.strerror}: '{exc.filename}'.", "SetTimeZoneFailed",
                                 "PermissionDenied", zone.Id) from None
        except OSError as exc:
            raise self.terminate(f"Cannot set the time zone to '{zone.Id}': {exc.strerror or exc}.",
                                 "SetTimeZoneFailed", "WriteError", zone.Id) from None
        if self.PassThru:
            yield local_zone()

    def _zone(self) -> TimeZoneInfo:
        if self.InputObject is not None:       # the set is picked before pipeline input arrives
            value = self.InputObject
            zone_id = value.Id if isinstance(value, TimeZoneInfo) else to_str(getattr(value, "Id", value))
            return self._by_id(zone_id)
        if self.Id is not None:
            return self._by_id(self.Id)
        if not self.Name:
            raise self.terminate("Set-TimeZone needs the zone: give -Id, -Name or a TimeZoneInfo from "
                                 "the pipeline.", "MissingMandatoryParameter", "InvalidArgument")
        found = zones_named([self.Name]) if not has_wildcards(self.Name) else []
        if not found:
            raise self.terminate(_not_found("name", self.Name), "TimeZoneNotFound",
                                 "InvalidArgument", self.Name)
        return found[0]

    def _by_id(self, zone_id: str) -> TimeZoneInfo:
        try:
            return find_zone(zone_id)
        except TimeZoneNotFound:
            raise self.terminate(_not_found("Id", zone_id), "TimeZoneNotFound",
                                 "InvalidArgument", zone_id) from None
