"""The one input layer: field types that carry their own rules, for every surface.

The public API, the lead's pages, the host API and the dashboard forms all
declare their fields with these types (pydantic models and FastAPI
parameters alike), so a new field gets the rule by its type instead of by a
guard somebody must remember on each route:

- ``SingleLineText``: names, titles, slugs; no control characters at all, so
  no NUL (PostgreSQL cannot store it) and no CR/LF (a name is copied into
  e-mail headers, calendar files and Google's summary line).
- ``MultiLineText``: notes, descriptions; line breaks and tabs allowed, other
  control characters refused.
- ``IanaTimeZone``: a canonical IANA name; links are replaced by their target
  (see ``availability.zone_names``).
- ``BoundedDatetime`` / ``BookableDate``: aware moments and calendar days in
  years the slot arithmetic can add days to without overflowing (year 1 and
  9999 overflow ``datetime`` at the first ``timedelta``).

Every refusal raises ``ValueError`` with a sentence for people; pydantic turns
it into a validation error, which the web layer answers with a 400.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator

from leadscalendar.availability.errors import UnknownTimeZoneError
from leadscalendar.availability.zone_names import require_canonical_zone

EARLIEST_YEAR = 2000
LATEST_YEAR = 2200

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and lone
# surrogates (JSON's "\ud800" decodes to one; it cannot be encoded to UTF-8).
_NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# The same minus tab, line feed and carriage return.
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def single_line(value: str) -> str:
    """Refuse line breaks and every other control character."""
    if _NOT_IN_A_LINE.search(value):
        raise ValueError("must be one line of text without control characters")
    return value


def multi_line(value: str) -> str:
    """Refuse control characters other than line breaks and tabs."""
    if _NOT_IN_TEXT.search(value):
        raise ValueError("must be text without control characters")
    return value


def iana_time_zone(value: str) -> str:
    """The canonical IANA name for ``value``; ``ValueError`` for anything else."""
    try:
        return require_canonical_zone(value)
    except UnknownTimeZoneError:
        raise ValueError(
            f"{value!r} is not a time zone we know; use an IANA name such as Europe/Paris"
        ) from None


def bounded_moment(value: datetime) -> datetime:
    """An aware datetime between ``EARLIEST_YEAR`` and ``LATEST_YEAR``, as UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the time needs a UTC offset, e.g. 2026-12-01T09:00:00+01:00")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(_years_message("the time")) from None
    if not EARLIEST_YEAR <= utc.year <= LATEST_YEAR:
        raise ValueError(_years_message("the time"))
    return utc


def bookable_day(value: date) -> date:
    """A calendar day between ``EARLIEST_YEAR`` and ``LATEST_YEAR``."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(_years_message("the date"))
    return value


def _years_message(what: str) -> str:
    return f"{what} must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}"


SingleLineText = Annotated[str, AfterValidator(single_line)]
MultiLineText = Annotated[str, AfterValidator(multi_line)]
IanaTimeZone = Annotated[str, AfterValidator(iana_time_zone)]
BoundedDatetime = Annotated[datetime, AfterValidator(bounded_moment)]
BookableDate = Annotated[date, AfterValidator(bookable_day)]
