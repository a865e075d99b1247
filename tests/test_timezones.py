"""engine/timezones.py against real files: the local zone read from links and files in a temporary
directory (the computer's own zone is never touched)."""

from __future__ import annotations

import os

import pytest

from pshell.engine.timezones import TimeZoneNotFound, find_zone, local_zone


def test_local_zone_order_tz_then_link_then_utc(tmp_path):
    localtime = tmp_path / "localtime"
    os.symlink("/usr/share/zoneinfo/America/Chicago", localtime)
    assert local_zone({"TZ": "Europe/Rome"}, str(localtime)).Id == "Europe/Rome"
    assert local_zone({"TZ": ":/usr/share/zoneinfo/Asia/Seoul"}, str(localtime)).Id == "Asia/Seoul"
    assert local_zone({"TZ": "Bogus/Zone"}, str(localtime)).Id == "America/Chicago"
    assert local_zone({}, str(tmp_path / "none")).Id == "UTC"


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", "", "Europe/../../../etc/shadow",
                                 "Europe/Paris\x00", "x" * 5000])
def test_find_zone_refuses_what_is_no_zone_name(bad):
    with pytest.raises(TimeZoneNotFound):
        find_zone(bad)
