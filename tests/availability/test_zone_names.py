"""Canonical zone names: places people live in, links resolved, machine artefacts refused."""

from __future__ import annotations

import zoneinfo

import pytest

from leadscalendar.availability.errors import UnknownTimeZoneError
from leadscalendar.availability.zone_names import (
    canonical_zone,
    canonical_zone_names,
    require_canonical_zone,
)


@pytest.mark.parametrize(
    "name",
    ["localtime", "posixrules", "Factory", "posix/Europe/Paris", "right/UTC", "", "Mars/Olympus"],
)
def test_names_that_are_no_place_are_not_zones(name: str) -> None:
    assert canonical_zone(name) is None
    with pytest.raises(UnknownTimeZoneError):
        require_canonical_zone(name)


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("US/Eastern", "America/New_York"),
        ("Asia/Calcutta", "Asia/Kolkata"),  # what CLDR, and so browsers, still say
        ("Europe/Kiev", "Europe/Kyiv"),
        ("Zulu", "Etc/UTC"),
    ],
)
def test_backward_links_resolve_to_their_canonical_zone(link: str, target: str) -> None:
    assert canonical_zone(link) == target


def test_every_country_zone_stays_canonical_even_where_tzdata_links_it() -> None:
    # Since tzdata 2022b Europe/Amsterdam is a link to Europe/Brussels; people still live there.
    for name in ("Europe/Amsterdam", "Europe/Paris", "America/New_York", "UTC", "Etc/GMT+5"):
        assert canonical_zone(name) == name


def test_the_canonical_names_are_loadable_and_leave_out_the_artefacts() -> None:
    names = canonical_zone_names()
    assert len(names) > 300
    assert names <= zoneinfo.available_timezones()
    assert not names & {"localtime", "posixrules", "Factory", "US/Eastern", "Asia/Calcutta"}
    assert not [name for name in names if name.startswith(("posix/", "right/"))]
