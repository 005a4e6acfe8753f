"""Slot pages read the mirror while it is fresh: no Google call at all."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from leadscalendar.calendar_sync import repository
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from tests.calendar_sync.sync_env import event_body, host_calendar, syncs, wait_for_block
from tests.support.bookings_env import HOST_TIME_ZONE, BookingsEnv, wait_until


def _slots(env: BookingsEnv, day: str) -> list[datetime]:
    answer = env.app.client.get(
        f"/api/v1/public/hosts/coach/types/intro/slots?start={day}&days=1&tz={HOST_TIME_ZONE}"
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return [
        datetime.fromisoformat(slot["start"])
        for day_out in body["days"]
        for slot in day_out["slots"]
    ]


def _google_calls(env: BookingsEnv) -> int:
    return int(env.stats()["total_calls"])


def test_a_slot_page_makes_no_google_call_while_the_mirror_is_fresh(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    zone = ZoneInfo(HOST_TIME_ZONE)
    day = (utcnow().astimezone(zone) + timedelta(days=3)).date()
    start = (
        utcnow()
        .astimezone(zone)
        .replace(
            year=day.year, month=day.month, day=day.day, hour=10, minute=0, second=0, microsecond=0
        )
    )
    with env.worker(), host_calendar(env) as events:
        wait_until(lambda: any(s.last_synced_at for s in syncs(env)), what="a first sync")
        created = events.insert(
            calendarId="primary", body=event_body(start, start + timedelta(hours=1))
        ).execute()
        wait_for_block(env, created["id"], (start, start + timedelta(hours=1)))
    env.sandbox.control("POST", "stats/reset")

    offered = [_slots(env, day.isoformat()) for _ in range(5)][-1]

    assert _google_calls(env) == 0
    taken = {start + timedelta(minutes=m) for m in (0, 30)}
    assert offered and not taken & set(offered)
    assert start + timedelta(hours=1) in offered


def test_a_stale_mirror_falls_back_to_free_busy(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    with env.worker():
        wait_until(lambda: any(s.last_synced_at for s in syncs(env)), what="a first sync")
    with unit_of_work(env.services.session_factory) as session:
        for sync in repository.all_syncs(session):
            sync.last_synced_at = utcnow() - timedelta(hours=1)
    env.sandbox.control("POST", "stats/reset")

    _slots(env, (utcnow() + timedelta(days=4)).date().isoformat())

    assert env.stats()["calls"].get("freebusy.query", 0) == 1
