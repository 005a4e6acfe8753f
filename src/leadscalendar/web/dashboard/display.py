"""Times as the host reads them: in the host's own zone, never UTC, never naive."""

from __future__ import annotations

from datetime import datetime

from leadscalendar.availability.errors import UnknownTimeZoneError
from leadscalendar.availability.zones import load_zone
from leadscalendar.inputs import bounded_moment
from leadscalendar.web.templating import templates


def local_time(moment: datetime | None, zone_name: str, with_zone: bool = False) -> str:
    """``Mon 30 Nov 2026, 14:00`` in ``zone_name``; blank for no time."""
    if moment is None:
        return ""
    local = moment.astimezone(load_zone(zone_name))
    text = f"{local:%a %d %b %Y, %H:%M}"
    return f"{text} ({zone_name})" if with_zone else text


def datetime_local_value(moment: datetime, zone_name: str) -> str:
    """The value an ``<input type="datetime-local">`` shows for ``moment``."""
    return f"{moment.astimezone(load_zone(zone_name)):%Y-%m-%dT%H:%M}"


def parse_datetime_local(text: str, zone_name: str) -> datetime:
    """A ``datetime-local`` value read as wall time in the host's zone; ``ValueError`` if bad.

    An ambiguous wall time (clocks going back) means its first occurrence,
    the rule the availability module uses everywhere.
    """
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("enter a date and time such as 2026-12-01T14:00") from None
    if naive.tzinfo is not None:
        raise ValueError("enter a local date and time without a zone")
    try:
        zone = load_zone(zone_name)
    except UnknownTimeZoneError:
        raise ValueError(f"your time zone {zone_name!r} is not known") from None
    return bounded_moment(naive.replace(tzinfo=zone, fold=0))


# Registered on the shared environment so every dashboard template can use it.
templates.env.filters["local_time"] = local_time
