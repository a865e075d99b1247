"""engine/timezones.py against real files: Set-TimeZone's change of /etc/localtime is made on a
link in a temporary directory (the tests run as root; the computer's own zone is never touched)."""

from __future__ import annotations

import os

import pytest

from pshell.engine.timezones import TimeZoneNotFound, find_zone, local_zone, set_system_zone


def test_set_system_zone_repoints_the_link_and_the_timezone_file(tmp_path):
    localtime = tmp_path / "localtime"
    os.symlink("/usr/share/zoneinfo/UTC", localtime)
    (tmp_path / "timezone").write_text("UTC\n")
    set_system_zone(find_zone("Asia/Tokyo"), str(localtime))
    assert os.readlink(localtime).endswith("/Asia/Tokyo")
    assert (tmp_path / "timezone").read_text() == "Asia/Tokyo\n"
    assert local_zone({}, str(localtime)).Id == "Asia/Tokyo"
    assert sorted(os.listdir(tmp_path)) == ["localtime", "timezone"]      # no temporary link left


def test_set_system_zone_replaces_a_regular_file(tmp_path):
    localtime = tmp_path / "localtime"
    localtime.write_bytes(b"TZif copy")
    set_system_zone(find_zone("Europe/Paris"), str(localtime))
    assert os.path.islink(localtime) and local_zone({}, str(localtime)).Id == "Europe/Paris"


def test_set_system_zone_into_a_missing_directory_fails_loudly_and_leaves_nothing(tmp_path):
    with pytest.raises(OSError):
        set_system_zone(find_zone("UTC"), str(tmp_path / "absent" / "localtime"))
    assert os.listdir(tmp_path) == []


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
