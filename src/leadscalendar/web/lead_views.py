"""What the lead's pages show, formatted: prices, durations, dates and times in the lead's zone.

Pure functions, so the templates stay free of logic and the wording is tested once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlencode

from leadscalendar.availability.display import EN_DASH, format_local_time
from leadscalendar.availability.zone_names import canonical_zone, canonical_zone_names
from leadscalendar.availability.zones import load_zone
from leadscalendar.web.ics import utc_stamp

# ISO 4217 currencies without a minor unit: 5000 JPY is 5000 yen, not 50.00.
ZERO_DECIMAL_CURRENCIES = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"})
ZERO_DECIMAL_CURRENCIES |= frozenset({"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"})
GOOGLE_TEMPLATE_URL = "https://calendar.google.com/calendar/render"
# bookings.service.record_refund notes "refund <id> of <amount_minor> <currency>".
_REFUNDED_AMOUNT = re.compile(r" of (\d+) [a-z]{3}$")


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every canonical IANA zone name, sorted, for the time-zone picker."""
    return tuple(sorted(canonical_zone_names()))


def resolve_zone(requested: str | None, fallback: str) -> str:
    """The lead's zone (a link such as ``US/Eastern`` by its canonical name) if it is one,
    else ``fallback`` (host or booking zone): a page follows a stale link rather than fail."""
    return (canonical_zone(requested) if requested else None) or fallback


def price_label(amount_minor: int, currency: str) -> str:
    """``90.00 EUR``, ``5000 JPY`` or ``Free``."""
    if amount_minor <= 0:
        return "Free"
    code = currency.lower()
    if code in ZERO_DECIMAL_CURRENCIES:
        return f"{amount_minor} {code.upper()}"
    return f"{amount_minor // 100}.{amount_minor % 100:02d} {code.upper()}"


def duration_label(minutes: int) -> str:
    """``30 minutes``, ``1 hour``, ``1 hour 30 minutes``."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def day_label(day: date) -> str:
    """``Tuesday 1 December 2026``."""
    return f"{day:%A} {day.day} {day:%B %Y}"


@dataclass(frozen=True, slots=True)
class Moment:
    """A booking's start and end as one lead reads them."""

    day: str
    time: str
    zone: str

    @property
    def text(self) -> str:
        return f"{self.day} at {self.time} ({self.zone})"


def moment(start: datetime, end: datetime, time_zone: str) -> Moment:
    """The day and ``09:00-10:00`` of a booking in ``time_zone``."""
    zone = load_zone(time_zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    span = f"{format_local_time(local_start)}{EN_DASH}{format_local_time(local_end)}"
    return Moment(day=day_label(local_start.date()), time=span, zone=time_zone)


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
        return f"{price_label(refunded, currency)}, refunded to you"
    if requested:
        return f"{price_label(amount_minor, currency)}, on its way back to you"
    return None
