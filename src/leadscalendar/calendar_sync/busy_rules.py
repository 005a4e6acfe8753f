"""What Google means by busy: one event resource -> the interval it blocks, or None.

Pure functions, no I/O. The rules follow Google's own free/busy:

* ``status: cancelled`` (a deleted event, or a cancelled instance of a
  recurring one when listed with ``singleEvents``) blocks nothing;
* ``transparency: transparent`` ("show as available") blocks nothing;
* an event the calendar's owner declined (their attendee entry carries
  ``self: true`` and ``responseStatus: declined``) blocks nothing;
* an all-day event (``date``, not ``dateTime``) blocks its days from midnight
  to midnight in the calendar's zone (``end.date`` is exclusive).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Block:
    start: datetime
    end: datetime


def busy_block(event: Mapping[str, Any], calendar_zone: str | None) -> Block | None:
    """The UTC interval ``event`` makes its calendar busy, or None when it is free."""
    if event.get("status") == "cancelled":
        return None
    if event.get("transparency") == "transparent":
        return None
    if declined_by_owner(event):
        return None
    start = _moment(event.get("start"), calendar_zone)
    end = _moment(event.get("end"), calendar_zone)
    if start is None or end is None or end <= start:
        return None
    return Block(start, end)


def declined_by_owner(event: Mapping[str, Any]) -> bool:
    """Whether the calendar's owner answered "no" to this invitation."""
    for attendee in event.get("attendees") or ():
        if attendee.get("self") and attendee.get("responseStatus") == "declined":
            return True
    return False


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _moment(value: Mapping[str, Any] | None, calendar_zone: str | None) -> datetime | None:
    if not value:
        return None
    if value.get("dateTime"):
        moment = datetime.fromisoformat(str(value["dateTime"]))
        if moment.utcoffset() is None:
            zone = _zone(value.get("timeZone")) or _zone(calendar_zone) or UTC
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(UTC)
    if value.get("date"):
        day = date.fromisoformat(str(value["date"]))
        zone = _zone(calendar_zone) or UTC
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    return None
