"""What counts as busy, the way Google's free/busy counts it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadscalendar.calendar_sync.busy_rules import Block, busy_block

START = {"dateTime": "2030-03-04T10:00:00+01:00"}
END = {"dateTime": "2030-03-04T11:00:00+01:00"}


def _event(**fields: Any) -> dict[str, Any]:
    return {"id": "e1", "status": "confirmed", "start": START, "end": END, **fields}


def test_an_opaque_event_blocks_its_time_in_utc() -> None:
    assert busy_block(_event(), "Europe/Berlin") == Block(
        datetime(2030, 3, 4, 9, tzinfo=UTC), datetime(2030, 3, 4, 10, tzinfo=UTC)
    )


def test_transparent_cancelled_and_declined_events_are_free() -> None:
    declined = [{"email": "me@x.test", "self": True, "responseStatus": "declined"}]
    assert busy_block(_event(transparency="transparent"), None) is None
    assert busy_block(_event(status="cancelled"), None) is None
    assert busy_block(_event(attendees=declined), None) is None


def test_someone_else_declining_does_not_free_the_owner() -> None:
    attendees = [
        {"email": "lead@x.test", "responseStatus": "declined"},
        {"email": "me@x.test", "self": True, "responseStatus": "accepted"},
    ]
    assert busy_block(_event(attendees=attendees), None) is not None


def test_an_all_day_event_blocks_whole_days_in_the_calendar_zone() -> None:
    event = _event(start={"date": "2030-03-04"}, end={"date": "2030-03-06"})
    assert busy_block(event, "America/New_York") == Block(
        datetime(2030, 3, 4, 5, tzinfo=UTC), datetime(2030, 3, 6, 5, tzinfo=UTC)
    )
    assert busy_block(event, None) == Block(
        datetime(2030, 3, 4, tzinfo=UTC), datetime(2030, 3, 6, tzinfo=UTC)
    )


def test_a_floating_time_is_read_in_the_event_zone() -> None:
    event = _event(
        start={"dateTime": "2030-07-01T09:00:00", "timeZone": "Europe/Berlin"},
        end={"dateTime": "2030-07-01T09:30:00", "timeZone": "Europe/Berlin"},
    )
    block = busy_block(event, "UTC")
    assert block is not None and block.start == datetime(2030, 7, 1, 7, tzinfo=UTC)
