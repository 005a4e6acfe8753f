"""Without push, the polling clock keeps the mirror in step with what the host does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadscalendar.calendar_sync.models import SyncMode
from tests.calendar_sync.sync_env import blocks, event_body, host_calendar, syncs, wait_for_block
from tests.support.bookings_env import BookingsEnv, wait_until


def _hour(days: int, hour: int) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_a_host_change_and_deletion_reach_the_mirror_by_polling(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    start, end = _hour(3, 9), _hour(3, 10)
    with env.worker(), host_calendar(env) as events:
        wait_until(lambda: any(s.last_synced_at for s in syncs(env)), what="a first sync")
        assert [(s.calendar_id, s.mode) for s in syncs(env)] == [("primary", SyncMode.POLL)]
        created = events.insert(calendarId="primary", body=event_body(start, end)).execute()
        wait_for_block(env, created["id"], (start, end))

        moved_start, moved_end = _hour(4, 14), _hour(4, 15)
        events.patch(
            calendarId="primary",
            eventId=created["id"],
            body={
                "start": {"dateTime": moved_start.isoformat()},
                "end": {"dateTime": moved_end.isoformat()},
            },
        ).execute()
        wait_for_block(env, created["id"], (moved_start, moved_end))

        events.delete(calendarId="primary", eventId=created["id"]).execute()
        wait_for_block(env, created["id"], None)
    assert created["id"] not in blocks(env)
