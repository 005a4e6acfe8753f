"""A small RFC 5545 (iCalendar) writer: one event per file, times in UTC.

Only what a lead's "add to my calendar" download needs. The rules that
calendar apps are strict about are kept here in one place: CRLF line ends,
lines folded at 75 octets without splitting a UTF-8 character, and TEXT
values escaped (backslash, semicolon, comma, newline).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//LeadsCalendar//Bookings//EN"
UID_DOMAIN = "leadscalendar"
MAX_LINE_OCTETS = 75
CRLF = "\r\n"


@dataclass(frozen=True, slots=True)
class IcsEvent:
    """One event as it goes into a .ics file; all datetimes must be timezone-aware."""

    uid: str
    start: datetime
    end: datetime
    stamp: datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    sequence: int = 0
    # PUBLISH for a download; REQUEST or CANCEL for an invitation by e-mail.
    method: str = "PUBLISH"
    # iTIP REQUEST needs an organizer (the host) and the attendee it is sent to.
    organizer: str = ""
    organizer_name: str = ""
    attendee: str = ""
    attendee_name: str = ""


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11); CR LF, CR and LF all become ``\\n``."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _param(value: str) -> str:
    """A parameter value (RFC 5545 3.2): quoted, without the characters quoting cannot hold."""
    cleaned = " ".join(value.replace('"', "'").split())
    return f'"{cleaned}"'


def utc_stamp(value: datetime) -> str:
    """``YYYYMMDDTHHMMSSZ`` (RFC 5545 3.3.5, form 2: UTC time)."""
    if value.tzinfo is None:
        raise ValueError("iCalendar times need a timezone-aware datetime")
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold one content line into chunks of at most 75 octets (RFC 5545 3.1).

    Continuation lines start with one space, which counts towards their 75
    octets. A multi-byte UTF-8 character is never split across two lines.
    """
    chunks: list[str] = []
    current = ""
    size = 0
    limit = MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            chunks.append(current)
            current, size = "", 0
            limit = MAX_LINE_OCTETS - 1  # the leading space of a continuation line
        current += char
        size += width
    chunks.append(current)
    return (CRLF + " ").join(chunks)


def _lines(event: IcsEvent) -> Iterable[str]:
    yield "BEGIN:VCALENDAR"
    yield "VERSION:2.0"
    yield f"PRODID:{PRODID}"
    yield "CALSCALE:GREGORIAN"
    yield f"METHOD:{event.method}"
    yield "BEGIN:VEVENT"
    yield f"UID:{event.uid}"
    yield f"DTSTAMP:{utc_stamp(event.stamp)}"
    yield f"DTSTART:{utc_stamp(event.start)}"
    yield f"DTEND:{utc_stamp(event.end)}"
    yield f"SEQUENCE:{event.sequence}"
    yield f"SUMMARY:{escape_text(event.summary)}"
    if event.description:
        yield f"DESCRIPTION:{escape_text(event.description)}"
    if event.location:
        yield f"LOCATION:{escape_text(event.location)}"
    if event.url:
        # URI values are not TEXT: they are written as they are, never escaped.
        yield f"URL:{event.url}"
    if event.organizer:
        yield f"ORGANIZER;CN={_param(event.organizer_name)}:mailto:{event.organizer}"
    if event.attendee:
        yield (
            f"ATTENDEE;CN={_param(event.attendee_name)};ROLE=REQ-PARTICIPANT;"
            f"PARTSTAT=ACCEPTED:mailto:{event.attendee}"
        )
    yield "STATUS:CANCELLED" if event.method == "CANCEL" else "STATUS:CONFIRMED"
    yield "END:VEVENT"
    yield "END:VCALENDAR"


def render_ics(event: IcsEvent) -> str:
    """The whole file as text; encode it as UTF-8 to serve it."""
    if event.end <= event.start:
        raise ValueError("an event must end after it starts")
    return "".join(fold(line) + CRLF for line in _lines(event))


def event_uid(google_event_id: str) -> str:
    """The same UID as the host's Google event, so a re-import updates instead of duplicating."""
    return f"{google_event_id}@{UID_DOMAIN}"
