"""Recurring events the way events.list and freeBusy present them.

A recurring event is stored once, as Google stores it: a master with RFC 5545
``recurrence`` lines. ``singleEvents=true`` expands it into instances with ids
``{masterId}_{YYYYMMDDTHHMMSSZ}`` (``_{YYYYMMDD}`` all-day), ``recurringEventId``
and ``originalStartTime``. A changed or cancelled instance is an exception:
an event of its own under the instance's id, which replaces the generated one.
Expansion stops at the listing's ``timeMax`` or two years after now (or after
the first occurrence, if later), whichever comes first; a rule dateutil
cannot read is treated as a single event.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.rrule import rrulestr

from leadscalendar.sandbox.google.store import CalendarRecord
from leadscalendar.sandbox.google.timeutil import format_in_zone, format_utc, now, zone
from leadscalendar.sandbox.google.validation import event_window

HORIZON = timedelta(days=731)
MAX_INSTANCES = 2500


def is_master(event: dict[str, Any]) -> bool:
    return bool(event.get("recurrence"))


def is_visible_cancelled_exception(event: dict[str, Any], single_events: bool) -> bool:
    """Google lists cancelled instances when showDeleted and singleEvents are both false."""
    return bool(event.get("recurringEventId")) and not single_events


def instance_id(master: dict[str, Any], original: datetime) -> str:
    if "date" in master["start"]:
        return f"{master['id']}_{original.strftime('%Y%m%d')}"
    return f"{master['id']}_{original.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def _zone_name(master: dict[str, Any], calendar_zone: str) -> str:
    return str(master["start"].get("timeZone") or calendar_zone)


def _originals(master: dict[str, Any], calendar_zone: str, until: datetime) -> Iterator[datetime]:
    start, _ = event_window(master, calendar_zone)
    local_start = start.astimezone(zone(_zone_name(master, calendar_zone)) or UTC)
    try:
        rules = rrulestr("\n".join(master["recurrence"]), dtstart=local_start, forceset=True)
        for count, original in enumerate(rules):
            if original > until or count >= MAX_INSTANCES:
                return
            yield original
    except (ValueError, TypeError):
        yield local_start


def _when(master: dict[str, Any], moment: datetime, zone_name: str) -> dict[str, str]:
    if "date" in master["start"]:
        return {"date": moment.date().isoformat()}
    when = {"dateTime": format_in_zone(moment, zone_name)}
    if master["start"].get("timeZone"):
        when["timeZone"] = zone_name
    return when


def instance(master: dict[str, Any], original: datetime, calendar_zone: str) -> dict[str, Any]:
    """The generated instance starting at ``original`` (master's fields, own id and times)."""
    start, end = event_window(master, calendar_zone)
    zone_name = _zone_name(master, calendar_zone)
    shown = {k: copy.deepcopy(v) for k, v in master.items() if k != "recurrence"}
    shown["id"] = instance_id(master, original)
    shown["recurringEventId"] = master["id"]
    shown["originalStartTime"] = _when(master, original, zone_name)
    shown["start"] = dict(shown["originalStartTime"])
    if "date" in master["start"]:
        days = (date.fromisoformat(master["end"]["date"]) - start.date()).days
        shown["end"] = {"date": (original.date() + timedelta(days=days)).isoformat()}
    else:
        shown["end"] = _when(master, original + (end - start), zone_name)
    return shown


def _instances(
    calendar: CalendarRecord, master: dict[str, Any], time_max: datetime | None
) -> Iterator[dict[str, Any]]:
    start, _ = event_window(master, calendar.time_zone)
    horizon = max(now(), start) + HORIZON
    until = min(time_max, horizon) if time_max is not None else horizon
    for original in _originals(master, calendar.time_zone, until):
        generated = instance(master, original, calendar.time_zone)
        if generated["id"] in calendar.events:
            continue  # an exception stands in for it
        if master.get("status") == "cancelled":
            generated["status"] = "cancelled"
        yield generated


def presented(
    calendar: CalendarRecord, single_events: bool, time_max: datetime | None = None
) -> Iterable[dict[str, Any]]:
    """Events as a listing shows them: masters, or their instances with ``singleEvents``."""
    for event in calendar.events.values():
        if single_events and is_master(event):
            yield from _instances(calendar, event, time_max)
        else:
            yield event


def changed(
    calendar: CalendarRecord, event: dict[str, Any], single_events: bool
) -> list[dict[str, Any]]:
    """What an incremental sync returns for one changed event."""
    if single_events and is_master(event):
        return list(_instances(calendar, event, None))
    return [event]


def cancel_instance(
    calendar: CalendarRecord, master_id: str, original: datetime
) -> dict[str, Any] | None:
    """The host deletes one occurrence: a cancelled exception under the instance id.

    None when the master does not exist or has no occurrence at ``original``.
    """
    master = calendar.events.get(master_id)
    if master is None or not is_master(master):
        return None
    wanted = instance_id(master, original)
    for candidate in _originals(master, calendar.time_zone, original + timedelta(seconds=1)):
        if instance_id(master, candidate) != wanted:
            continue
        exception = instance(master, candidate, calendar.time_zone)
        exception["status"] = "cancelled"
        exception["etag"] = calendar.next_etag()
        exception["updated"] = format_utc(now(), millis=True)
        calendar.events[wanted] = exception
        calendar.touch(wanted)
        return copy.deepcopy(exception)
    return None
