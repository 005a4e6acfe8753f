"""What the lead's pages show, formatted: prices, durations, dates and times in the lead's zone.

Pure functions, so the templates stay free of logic and the wording is tested once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlencode

from leadscalendar import i18n
from leadscalendar.availability.display import (
    EN_DASH,
    Clock,
    format_day_time,
    format_local_time,
    gmt_offset_label,
)
from leadscalendar.availability.zone_names import canonical_zone, canonical_zone_names
from leadscalendar.availability.zones import load_zone
from leadscalendar.bookings.google_outcomes import SLOW_PHASE_REASON
from leadscalendar.notifications.ics import utc_stamp

GOOGLE_TEMPLATE_URL = "https://calendar.google.com/calendar/render"
# bookings.service.record_refund notes "refund <id> of <amount_minor> <currency>".
_REFUNDED_AMOUNT = re.compile(r" of (\d+) [a-z]{3}$")


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every canonical IANA zone name, sorted, for the time-zone picker."""
    return tuple(sorted(canonical_zone_names()))


def zone_label(name: str, at: datetime) -> str:
    """``Europe/Berlin — Berlin (GMT+1)``: the IANA name people search by, the city and
    the offset they compare with their watch (at ``at``, since offsets move with DST)."""
    city = name.rsplit("/", 1)[-1].replace("_", " ")
    offset = at.astimezone(load_zone(name)).utcoffset() or timedelta(0)
    return f"{name} — {city} ({gmt_offset_label(offset)})"


@lru_cache(maxsize=2)
def _zone_labels(hour: datetime) -> dict[str, str]:
    return {name: zone_label(name, hour) for name in zone_names()}


def zone_labels(now: datetime) -> dict[str, str]:
    """Readable names for every zone in the picker, cached per hour (offsets change on the hour)."""
    return _zone_labels(now.astimezone(UTC).replace(minute=0, second=0, microsecond=0))


# Regions whose people read a 12-hour clock (CLDR's preferred hour format "h"), and
# languages that default to it when the browser names no region; the rest read 24 hours.
TWELVE_HOUR_REGIONS = frozenset(
    {"US", "CA", "AU", "NZ", "IN", "PH", "PK", "BD", "EG", "SA", "AE", "JO"}
    | {"KW", "QA", "OM", "BH", "KR", "TW", "MX", "CO", "SV", "HN", "NI"}
)
TWELVE_HOUR_LANGUAGES = frozenset({"en", "ar", "bn", "hi", "ko", "ur"})


def clock_for(requested: str | None, accept_language: str | None) -> Clock:
    """The lead's clock: their toggle (``clock=12|24``) or else their browser's first language.

    Only a default: the page's script corrects it from the browser's own hour
    cycle, and the toggle is always on the page.
    """
    if requested in ("12", "24"):
        return "12h" if requested == "12" else "24h"
    first = (accept_language or "").split(",")[0].split(";")[0].strip().replace("_", "-")
    language, _, rest = first.partition("-")
    region = rest.rsplit("-", 1)[-1].upper() if rest else ""
    if region:
        # French Canada reads 24 hours where English Canada reads 12.
        twelve = region in TWELVE_HOUR_REGIONS and (language.lower(), region) != ("fr", "CA")
        return "12h" if twelve else "24h"
    return "12h" if language.lower() in TWELVE_HOUR_LANGUAGES else "24h"


def clock_param(clock: Clock) -> str:
    """The ``clock`` query value for ``clock``: ``12`` or ``24``."""
    return "12" if clock == "12h" else "24"


def resolve_zone(requested: str | None, fallback: str) -> str:
    """The lead's zone (a link such as ``US/Eastern`` by its canonical name) if it is one,
    else ``fallback`` (host or booking zone): a page follows a stale link rather than fail."""
    return (canonical_zone(requested) if requested else None) or fallback


def duration_label(minutes: int) -> str:
    """``30 minutes``, ``1 hour``, ``1 hour 30 minutes`` (in the lead's language)."""
    return i18n.format_duration(minutes)


def day_label(day: date) -> str:
    """``Tuesday 1 December 2026``, ``Dienstag, 1. Dezember 2026``."""
    return i18n.format_day(day)


@dataclass(frozen=True, slots=True)
class Moment:
    """A booking's start and end as one lead reads them."""

    day: str
    time: str
    zone: str

    @property
    def text(self) -> str:
        return i18n.gettext("{day} at {time} ({zone})").format(
            day=self.day, time=self.time, zone=self.zone
        )


def moment(start: datetime, end: datetime, time_zone: str, clock: Clock = "24h") -> Moment:
    """The day and ``09:00-10:00`` of a booking in ``time_zone``."""
    zone = load_zone(time_zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    span = f"{format_local_time(local_start, clock)}{EN_DASH}{format_local_time(local_end, clock)}"
    return Moment(day=day_label(local_start.date()), time=span, zone=time_zone)


def hold_until_label(moment_: datetime, time_zone: str, clock: Clock = "24h") -> str:
    """``14:35 CET, Tue 3 Dec 2026`` in the lead's zone: a hold may end after midnight."""
    return format_day_time(moment_.astimezone(load_zone(time_zone)), clock)


def slot_label(start: datetime, time_zone: str) -> str:
    """A lone start time with its day, e.g. for the alternatives to a taken slot."""
    local = start.astimezone(load_zone(time_zone))
    return f"{day_label(local.date())}, {format_local_time(local)}"


def google_calendar_url(
    *, title: str, start: datetime, end: datetime, details: str = "", location: str = ""
) -> str:
    """An "add to my Google Calendar" link (the public event template URL)."""
    params = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{utc_stamp(start)}/{utc_stamp(end)}",
        "details": details,
    }
    if location:
        params["location"] = location
    return f"{GOOGLE_TEMPLATE_URL}?{urlencode(params)}"


def refund_label(events: Iterable[tuple[str, str]], amount_minor: int, currency: str) -> str | None:
    """``90.00 EUR, refunded`` or ``90.00 EUR, on its way back to you`` from the booking's
    timeline (kind, detail) pairs; None when no refund was asked for."""
    requested, refunded = False, None
    for kind, detail in events:
        if kind == "refund_requested":
            requested = True
        elif kind == "refunded":
            found = _REFUNDED_AMOUNT.search(detail)
            refunded = (refunded or 0) + (int(found.group(1)) if found else amount_minor)
    if refunded is not None:
        return i18n.gettext("{amount}, refunded to you").format(
            amount=i18n.format_money(refunded, currency)
        )
    if requested:
        return i18n.gettext("{amount}, on its way back to you").format(
            amount=i18n.format_money(amount_minor, currency)
        )
    return None


# Reasons written for leads as much as for hosts: shown as they are on the lead's page.
LEAD_SAFE_WAITING_REASONS = frozenset({SLOW_PHASE_REASON})


def lead_safe_reason(status_reason: str | None) -> str | None:
    """The waiting reason a lead may read as it is, or None (the page says it calmly).

    Most reasons are written for the host and may name Google's errors; a long
    outage's reason says what we do about it in plain words.
    """
    return status_reason if status_reason in LEAD_SAFE_WAITING_REASONS else None
