"""Time zones as scripts see them: ``[TimeZoneInfo]`` objects over the standard library's zoneinfo
(the IANA database), for Get-TimeZone and ``[TimeZoneInfo]::Local``.

A zone's Id is its IANA key (``Europe/Paris``), as .NET has it on Linux.  IANA keeps only
abbreviations (``CET``), so StandardName and DaylightName spell out the common ones from a small
table of our own and fall back to the offset (``UTC+03:00``) for the rest.

The local zone is, as on .NET for Linux: ``$TZ`` of the process, else the target of
``/etc/localtime``, else ``/etc/timezone``, else UTC.  pshell does not change it (pwsh has no
Set-TimeZone on Linux: the computer's zone is the system's, set with timedatectl).
"""

from __future__ import annotations

import datetime as _dt
import functools
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, List, Optional

__all__ = ["TimeZoneInfo", "TimeZoneNotFound", "local_zone", "find_zone", "system_zones",
           "zones_named", "ZONEINFO_DIRS"]

ZONEINFO_DIRS = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo")

# abbreviation -> what it stands for (ours: the long names are plain descriptions of each)
_LONG_NAMES = {
    "UTC": "Coordinated Universal Time", "GMT": "Greenwich Mean Time", "BST": "British Summer Time",
    "IST": "Irish Standard Time", "WET": "Western European Standard Time",
    "WEST": "Western European Summer Time", "CET": "Central European Standard Time",
    "CEST": "Central European Summer Time", "EET": "Eastern European Standard Time",
    "EEST": "Eastern European Summer Time", "MSK": "Moscow Standard Time",
    "EST": "Eastern Standard Time", "EDT": "Eastern Daylight Time", "CST": "Central Standard Time",
    "CDT": "Central Daylight Time", "MST": "Mountain Standard Time", "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time", "PDT": "Pacific Daylight Time", "AKST": "Alaska Standard Time",
    "AKDT": "Alaska Daylight Time", "HST": "Hawaii-Aleutian Standard Time",
    "HDT": "Hawaii-Aleutian Daylight Time", "AST": "Atlantic Standard Time",
    "ADT": "Atlantic Daylight Time", "NST": "Newfoundland Standard Time",
    "NDT": "Newfoundland Daylight Time", "JST": "Japan Standard Time", "KST": "Korea Standard Time",
    "HKT": "Hong Kong Standard Time", "PKT": "Pakistan Standard Time",
    "SAST": "South Africa Standard Time", "WAT": "West Africa Standard Time",
    "CAT": "Central Africa Time", "EAT": "East Africa Time", "WIB": "Western Indonesia Time",
    "AEST": "Australian Eastern Standard Time", "AEDT": "Australian Eastern Daylight Time",
    "ACST": "Australian Central Standard Time", "ACDT": "Australian Central Daylight Time",
    "AWST": "Australian Western Standard Time", "NZST": "New Zealand Standard Time",
    "NZDT": "New Zealand Daylight Time", "ChST": "Chamorro Standard Time",
    "SST": "Samoa Standard Time", "IDT": "Israel Daylight Time", "PHT": "Philippine Standard Time",
}


class TimeZoneNotFound(ValueError):
    """No zone has that Id."""

    def __init__(self, zone_id: str) -> None:
        super().__init__(f"The time zone ID '{zone_id}' was not found on the local computer.")


def _offset_text(offset: _dt.timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _long_name(abbreviation: Optional[str], offset: _dt.timedelta) -> str:
    if abbreviation and abbreviation in _LONG_NAMES:
        return _LONG_NAMES[abbreviation]
    if abbreviation and abbreviation[0].isalpha():
        return abbreviation
    return "UTC" + _offset_text(offset)


class TimeZoneInfo:
    """``System.TimeZoneInfo``: one IANA zone, its standard offset and names."""

    ps_type_names = ("System.TimeZoneInfo",)
    ps_properties = ("Id", "DisplayName", "StandardName", "DaylightName", "BaseUtcOffset",
                     "SupportsDaylightSavingTime")

    def __init__(self, key: str, zone: Any) -> None:
        self.Id = key
        self.zone = zone
        year = _dt.datetime.now().year
        january = _dt.datetime(year, 1, 15, 12, tzinfo=zone)
        july = _dt.datetime(year, 7, 15, 12, tzinfo=zone)
        standard = january if not january.dst() else july
        daylight = july if standard is january else january
        self.BaseUtcOffset: _dt.timedelta = standard.utcoffset() or _dt.timedelta(0)
        self.SupportsDaylightSavingTime = bool(daylight.dst())
        self.StandardName = _long_name(standard.tzname(), self.BaseUtcOffset)
        self.DaylightName = (_long_name(daylight.tzname(), daylight.utcoffset() or _dt.timedelta(0))
                             if self.SupportsDaylightSavingTime else self.StandardName)

    @property
    def DisplayName(self) -> str:
        return f"(UTC{_offset_text(self.BaseUtcOffset)}) {self.Id}"

    def GetUtcOffset(self, when: Any = None) -> _dt.timedelta:
        return _aware(when, self.zone).utcoffset() or _dt.timedelta(0)

    def IsDaylightSavingTime(self, when: Any = None) -> bool:
        return bool(_aware(when, self.zone).dst())

    def ToString(self) -> str:
        return self.DisplayName

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeZoneInfo) and other.Id == self.Id

    def __hash__(self) -> int:
        return hash(self.Id)


def _aware(when: Any, zone: Any) -> _dt.datetime:
    if not isinstance(when, _dt.datetime):
        return _dt.datetime.now(zone)
    if when.tzinfo is None:
        return when.replace(tzinfo=zone)
    return when.astimezone(zone)


@functools.lru_cache(maxsize=None)
def _zone(key: str) -> TimeZoneInfo:
    import zoneinfo
    try:
        return TimeZoneInfo(key, zoneinfo.ZoneInfo(key))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise TimeZoneNotFound(key) from None


@functools.lru_cache(maxsize=1)
def _keys() -> List[str]:
    import zoneinfo
    return sorted(zoneinfo.available_timezones())


def find_zone(zone_id: str) -> TimeZoneInfo:
    """The zone with that Id (IANA key, any case), or TimeZoneNotFound."""
    text = str(zone_id)
    if not text or text.startswith("/") or ".." in text.split("/"):
        raise TimeZoneNotFound(text)
    if text in _keys():
        return _zone(text)
    folded = {k.lower(): k for k in _keys()}
    if text.lower() in folded:
        return _zone(folded[text.lower()])
    if text.upper() in ("UTC", "UCT"):
        return _zone("UTC")
    raise TimeZoneNotFound(text)


def system_zones() -> List[TimeZoneInfo]:
    """Every zone the computer knows, by standard offset then Id (as GetSystemTimeZones sorts)."""
    zones = []
    for key in _keys():
        try:
            zones.append(_zone(key))
        except TimeZoneNotFound:
            continue
    return sorted(zones, key=lambda z: (z.BaseUtcOffset, z.Id))


def _key_from_path(path: str) -> Optional[str]:
    for base in ZONEINFO_DIRS:
        prefix = os.path.join(base, "")
        if path.startswith(prefix):
            return path[len(prefix):]
    marker = "/zoneinfo/"
    return path.split(marker, 1)[1] if marker in path else None


def local_zone(environ: Optional[Any] = None, localtime: str = "/etc/localtime") -> TimeZoneInfo:
    """The zone the computer's clock shows: $TZ, /etc/localtime's target, /etc/timezone, UTC."""
    env = os.environ if environ is None else environ
    candidates: List[Optional[str]] = []
    tz = (env.get("TZ") or "").lstrip(":")
    if tz:
        candidates.append(_key_from_path(tz) if tz.startswith("/") else tz)
    try:
        candidates.append(_key_from_path(os.path.realpath(localtime)))
    except OSError:
        pass
    try:
        with open(os.path.join(os.path.dirname(localtime), "timezone"), encoding="utf-8") as f:
            candidates.append(f.read(200).strip())
    except OSError:
        pass
    for key in candidates:
        if key:
            try:
                return find_zone(key)
            except TimeZoneNotFound:
                continue
    return _zone("UTC")


def zones_named(patterns: Iterable[str]) -> List[TimeZoneInfo]:
    """Zones whose StandardName matches any wildcard pattern."""
    from pshell.engine.wildcards import wildcard_regex
    regexes = [wildcard_regex(p) for p in patterns]
    return [z for z in system_zones()
            if any(r.match(z.StandardName) for r in regexes)]
