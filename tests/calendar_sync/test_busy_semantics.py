"""Through a real sync: what the host marks free, all-day days and cancelled occurrences."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.calendar_sync.sync_env import blocks, syncs, wait_for_block
from tests.support.bookings_env import BookingsEnv, wait_until


def _day(days: int) -> date:
    return datetime.now(UTC).date() + timedelta(days=days)


def _iso(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), tzinfo=UTC).isoformat()


def test_the_mirror_keeps_only_what_google_calls_busy(bookings_env: BookingsEnv) -> None:
    env, calendar = bookings_env, bookings_env.calendar_id
    day = _day(5)
    with env.worker():
        wait_until(lambda: any(s.last_synced_at for s in syncs(env)), what="a first sync")
        free = env.sandbox.host_create_event(
            calendar, _iso(day, 8), _iso(day, 9), transparency="transparent"
        )
        all_day = env.sandbox.host_create_event(
            calendar, day.isoformat(), (day + timedelta(days=1)).isoformat(), all_day=True
        )
        weekly = env.sandbox.host_create_event(
            calendar,
            _iso(day, 15),
            _iso(day, 16),
            recurrence=["RRULE:FREQ=DAILY;COUNT=3"],
        )
        wait_until(
            lambda: sum(1 for e in blocks(env) if e.startswith(weekly["id"])) == 3,
            what="three occurrences mirrored",
        )
        env.sandbox.host_cancel_instance(calendar, weekly["id"], _iso(day + timedelta(days=1), 15))
        wait_until(
            lambda: sum(1 for e in blocks(env) if e.startswith(weekly["id"])) == 2,
            what="the cancelled occurrence freed",
        )
        zone = ZoneInfo(syncs(env)[0].time_zone or "UTC")
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        wait_for_block(env, all_day["id"], (midnight, midnight + timedelta(days=1)))
    assert free["id"] not in blocks(env)
