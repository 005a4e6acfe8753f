"""Which time zone names we accept: canonical IANA names, and links to them.

``zoneinfo.available_timezones()`` lists every file under the zone directory,
including ``localtime`` (the machine's own zone, different on every server),
``posixrules``, ``Factory`` and, on some systems, the ``posix/`` and ``right/``
copies (``right/`` counts leap seconds, so its clocks are 27 s off). None of
those is a place a person lives in, so none is accepted.

Canonical means listed in ``zone.tab`` or ``zone1970.tab`` (one zone per
country region, which keeps names such as ``Europe/Amsterdam`` that tzdata
now links to another zone), a fixed-offset ``Etc/`` zone, or ``UTC``.

Backward-compatible links (``US/Eastern``, ``Asia/Calcutta``, ``Europe/Kiev``)
are accepted and replaced by the canonical name they link to: browsers still
report some of them (CLDR keeps ``Asia/Calcutta``), and refusing a lead's
own browser zone would help nobody. The data comes from the ``tzdata``
package, which ships tzdata's link table, so the answer is the same on every
machine whatever its system zone files.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from importlib import resources

from leadscalendar.availability.errors import UnknownTimeZoneError

UTC_NAME = "UTC"


def _data_file(name: str) -> str:
    return resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")


def _tab_names(text: str) -> set[str]:
    # Columns: country code(s), coordinates, zone name, comment.
    return {line.split("\t")[2] for line in text.splitlines() if line and not line.startswith("#")}


def _links(text: str) -> dict[str, str]:
    """Link name -> target from ``tzdata.zi`` (lines ``L <target> <name>``)."""
    links = {}
    for line in text.splitlines():
        if line.startswith("L "):
            _, target, name = line.split()
            links[name] = target
    return links


def _zones(text: str) -> set[str]:
    return {line.split()[1] for line in text.splitlines() if line.startswith("Z ")}


@lru_cache(maxsize=1)
def _tables() -> tuple[frozenset[str], dict[str, str]]:
    zi = _data_file("tzdata.zi")
    loadable = zoneinfo.available_timezones()
    canonical = _tab_names(_data_file("zone.tab")) | _tab_names(_data_file("zone1970.tab"))
    canonical |= {name for name in _zones(zi) if name.startswith("Etc/")}
    canonical = {name for name in canonical | {UTC_NAME} if name in loadable}
    aliases: dict[str, str] = {}
    links = _links(zi)
    for name, target in links.items():
        seen = {name}
        while target not in canonical and target in links and target not in seen:
            seen.add(target)
            target = links[target]
        if name not in canonical and target in canonical:
            aliases[name] = target
    return frozenset(canonical), aliases


def canonical_zone_names() -> frozenset[str]:
    """Every canonical zone name (what pickers list)."""
    return _tables()[0]


def canonical_zone(name: str) -> str | None:
    """The canonical name for ``name`` (itself, or what its link points to); else ``None``."""
    canonical, aliases = _tables()
    if name in canonical:
        return name
    return aliases.get(name)


def require_canonical_zone(name: str) -> str:
    """``canonical_zone`` or ``UnknownTimeZoneError`` for names that are no place."""
    found = canonical_zone(name)
    if found is None:
        raise UnknownTimeZoneError(name)
    return found


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    # zone.tab names one country per zone; zone1970.tab may list several.
    countries = {}
    for line in _data_file("zone.tab").splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, name = line.split("\t")[:3]
            countries[name] = code
    return countries


def zone_country(name: str) -> str | None:
    """The ISO 3166 country of a zone (``Europe/Vienna`` -> ``AT``); None for ``UTC`` and the like.

    What a phone number typed without "+" is read in: the lead's clock says where they are.
    """
    canonical = canonical_zone(name)
    return _zone_countries().get(canonical) if canonical else None
