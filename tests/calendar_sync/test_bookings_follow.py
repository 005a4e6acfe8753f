"""A booking follows what the host does to its event in Google, end to end by polling."""

from __future__ import annotations

from datetime import timedelta

from leadscalendar.bookings.models import CalendarChange
from tests.calendar_sync.sync_env import host_calendar, syncs
from tests.support.bookings_env import BookingsEnv, wait_until


def test_a_move_and_a_deletion_reach_the_booking_by_polling(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    moved_id, deleted_id = env.book(2)
    with env.worker(), host_calendar(env) as events:
        wait_until(lambda: env.booking(deleted_id).status.value == "scheduled", what="scheduled")
        wait_until(lambda: env.booking(moved_id).status.value == "scheduled", what="scheduled")
        wait_until(lambda: any(s.last_synced_at for s in syncs(env)), what="a first sync")
        moved = env.booking(moved_id)
        start = moved.start_at + timedelta(hours=2)
        events.patch(
            calendarId="primary",
            eventId=moved.google_event_id,
            body={
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()},
            },
        ).execute()
        events.delete(
            calendarId="primary", eventId=env.booking(deleted_id).google_event_id
        ).execute()
        wait_until(
            lambda: env.booking(moved_id).calendar_change is CalendarChange.MOVED,
            timeout=10,
            what="the move to reach the booking",
        )
        wait_until(
            lambda: env.booking(deleted_id).calendar_change is CalendarChange.DELETED,
            timeout=10,
            what="the deletion to reach the booking",
        )
    assert env.booking(moved_id).calendar_change_start == start
    assert env.booking(moved_id).start_at == moved.start_at
    assert env.booking(deleted_id).status.value == "scheduled"
