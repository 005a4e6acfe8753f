"""The Google Calendar event we create for a booking: pure functions, no I/O.

The event body is a function of the booking alone, so a retry after a crash
sends byte-for-byte the same request, with the same ``id``: Google answers 409
instead of creating a second event (Invariant 1 in DESIGN.md). Every check
Google would make is made here first, so a 400 from Google means a bug in this
module, not a bad booking.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from email_validator import EmailNotValidError, validate_email

from leadscalendar.google.errors import InvalidEventError

# The key under extendedProperties.private that marks an event as ours; a 409
# on our id is only success if the existing event carries our booking id here.
BOOKING_ID_PROPERTY = "leadscalendarBookingId"

MAX_SUMMARY = 1024
MAX_DESCRIPTION = 8192
MAX_LOCATION = 1024
MAX_REMINDER_OVERRIDES = 5
MAX_REMINDER_MINUTES = 40320  # four weeks, Google's limit

ReminderMethod = Literal["email", "popup"]
SendUpdates = Literal["all", "externalOnly", "none"]


def event_id_for(booking_id: uuid.UUID) -> str:
    """The Google event id of a booking's event, the same on every attempt.

    Google wants 5-1024 characters of base32hex (``0-9a-v``). The 16 bytes of the
    UUID encode to 26 such characters (after dropping the ``=`` padding, which
    is the same for every UUID), so distinct bookings get distinct ids and a
    retried insert collides with the event an earlier attempt created.
    """
    return base64.b32hexencode(booking_id.bytes).decode("ascii").lower().rstrip("=")


def replacement_event_id(booking_id: uuid.UUID) -> str:
    """The booking's second event id, for when Google refuses the first for good.

    Google answers 410 to an insert under the id of an event that was deleted
    and purged; the id can never be used again. A second id, just as
    deterministic ("v" is base32hex too), keeps a retry after a crash a 409.
    """
    return event_id_for(booking_id) + "v"


def conference_request_id_for(booking_id: uuid.UUID) -> str:
    """Google Meet's createRequest id: fixed per booking so retries don't mint new meetings."""
    return f"leadscalendar-{booking_id}"


@dataclass(frozen=True)
class Attendee:
    email: str
    display_name: str | None = None


@dataclass(frozen=True)
class Reminder:
    method: ReminderMethod
    minutes: int


@dataclass(frozen=True)
class EventSpec:
    """Everything that goes into a booking's event; the booking layer fills it."""

    booking_id: uuid.UUID
    summary: str
    start: datetime
    end: datetime
    time_zone: str
    description: str = ""
    attendees: tuple[Attendee, ...] = ()
    location: str | None = None
    # None keeps the calendar's default reminders; () means no reminders at all.
    reminders: tuple[Reminder, ...] | None = None
    google_meet: bool = False
    # Not part of the body: the sendUpdates query parameter of events.insert.
    send_updates: SendUpdates = "all"

    @property
    def event_id(self) -> str:
        return event_id_for(self.booking_id)


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # The tz database's own list: ZoneInfo() alone would also accept file names
    # like "posixrules" that Google does not know.
    return frozenset(available_timezones())


def _fail(field: str, message: str) -> InvalidEventError:
    return InvalidEventError(field, f"Invalid calendar event: {message}")


def validate(spec: EventSpec) -> None:
    """Refuse, before anything is sent, every event Google would answer 400 to."""
    if not spec.summary.strip():
        raise _fail("summary", "a title is required.")
    if len(spec.summary) > MAX_SUMMARY:
        raise _fail("summary", f"the title is longer than {MAX_SUMMARY} characters.")
    if len(spec.description) > MAX_DESCRIPTION:
        raise _fail("description", f"the description is longer than {MAX_DESCRIPTION} characters.")
    if spec.location is not None and len(spec.location) > MAX_LOCATION:
        raise _fail("location", f"the location is longer than {MAX_LOCATION} characters.")
    for name, moment in (("start", spec.start), ("end", spec.end)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise _fail(name, f"the {name} time has no time zone.")
    if spec.end <= spec.start:
        raise _fail("end", "the end must be after the start.")
    if spec.time_zone not in _zone_names():
        raise _fail("time_zone", f"{spec.time_zone!r} is not an IANA time zone name.")
    seen: set[str] = set()
    for attendee in spec.attendees:
        try:
            validate_email(attendee.email, check_deliverability=False)
        except EmailNotValidError as exc:
            raise _fail("attendees", f"{attendee.email!r} is not a valid e-mail: {exc}") from None
        if attendee.email.casefold() in seen:
            raise _fail("attendees", f"{attendee.email!r} is invited twice.")
        seen.add(attendee.email.casefold())
    if spec.reminders is not None:
        if len(spec.reminders) > MAX_REMINDER_OVERRIDES:
            raise _fail("reminders", f"at most {MAX_REMINDER_OVERRIDES} reminders are allowed.")
        for reminder in spec.reminders:
            if reminder.method not in ("email", "popup"):
                raise _fail("reminders", f"unknown reminder method {reminder.method!r}.")
            if not 0 <= reminder.minutes <= MAX_REMINDER_MINUTES:
                raise _fail("reminders", f"reminders must be 0 to {MAX_REMINDER_MINUTES} minutes.")
    if spec.send_updates not in ("all", "externalOnly", "none"):
        raise _fail("send_updates", f"unknown sendUpdates value {spec.send_updates!r}.")


def rfc3339(moment: datetime, time_zone: str) -> str:
    """The instant as Google shows it: wall time in the event's zone, with its offset."""
    return moment.astimezone(ZoneInfo(time_zone)).isoformat()


def build_event_body(spec: EventSpec) -> dict[str, Any]:
    """The events.insert body for a booking; validates first, so nothing invalid leaves."""
    validate(spec)
    body: dict[str, Any] = {
        "id": spec.event_id,
        "summary": spec.summary,
        "description": spec.description,
        "start": {"dateTime": rfc3339(spec.start, spec.time_zone), "timeZone": spec.time_zone},
        "end": {"dateTime": rfc3339(spec.end, spec.time_zone), "timeZone": spec.time_zone},
        "extendedProperties": {"private": {BOOKING_ID_PROPERTY: str(spec.booking_id)}},
    }
    if spec.attendees:
        body["attendees"] = [_attendee(attendee) for attendee in spec.attendees]
    if spec.location:
        body["location"] = spec.location
    if spec.reminders is None:
        body["reminders"] = {"useDefault": True}
    else:
        body["reminders"] = {
            "useDefault": False,
            "overrides": [{"method": r.method, "minutes": r.minutes} for r in spec.reminders],
        }
    if spec.google_meet:
        body["conferenceData"] = {
            "createRequest": {
                "requestId": conference_request_id_for(spec.booking_id),
                "conferenceSolutionKey": {"type": "hangoutsMeet"},
            }
        }
    return body


def _attendee(attendee: Attendee) -> dict[str, str]:
    entry = {"email": attendee.email}
    if attendee.display_name:
        entry["displayName"] = attendee.display_name
    return entry


def booking_id_of(event: Mapping[str, Any]) -> uuid.UUID | None:
    """The booking id an event carries in its private properties, if it is ours at all.

    After a 409 on our id, this tells our own event (success) from a stranger's
    event that happens to use the id (never expected, but never overwrite it).
    """
    private = (event.get("extendedProperties") or {}).get("private") or {}
    value = private.get(BOOKING_ID_PROPERTY)
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
