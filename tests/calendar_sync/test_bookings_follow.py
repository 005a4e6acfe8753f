"""A booking follows what the host does to its event in Google, end to end.

The host acts through the sandbox's control calls ("as the host", in Google's
own interface), and the change reaches the booking by push notification or,
with push off, by the polling clock.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from leadscalendar.bookings.calendar_follow import LEAD_DECLINED
from leadscalendar.bookings.models import BookingEvent, CalendarChange
from tests.calendar_sync.sync_env import channels, syncs
from tests.support.bookings_env import BookingsEnv, wait_until

PUSH = {"calendar_push": "on", "calendar_poll_seconds": 3600.0}
POLL = {"calendar_push": "off", "calendar_poll_seconds": 0.2}


def _timeline(env: BookingsEnv, booking_id: uuid.UUID) -> list[str]:
    with env.services.session_factory() as session:
        query = select(BookingEvent.kind).where(BookingEvent.booking_id == booking_id)
        return list(session.scalars(query))


@pytest.mark.parametrize("sync_overrides", [PUSH, POLL], ids=["push", "poll"], indirect=True)
def test_a_move_a_deletion_and_a_decline_reach_the_booking(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    moved_id, deleted_id, declined_id = env.book(3)
    with env.worker():
        for booking_id in (moved_id, deleted_id, declined_id):
            wait_until(
                lambda b=booking_id: env.booking(b).status.value == "scheduled", what="scheduled"
            )
        wait_until(lambda: any(s.last_synced_at for s in syncs(env)), what="a first sync")
        if env.services.settings.calendar_push == "on":
            assert channels(env), "push mode watches the calendar"

        calendar = env.calendar_id
        moved = env.booking(moved_id)
        start = moved.start_at + timedelta(hours=2)
        end = start + (moved.end_at - moved.start_at)
        env.sandbox.host_move(calendar, moved.google_event_id, start.isoformat(), end.isoformat())
        env.sandbox.host_delete(calendar, env.booking(deleted_id).google_event_id)
        declined = env.booking(declined_id)
        env.sandbox.attendee_responds(calendar, declined.google_event_id, declined.lead_email)

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
        wait_until(
            lambda: LEAD_DECLINED in _timeline(env, declined_id),
            timeout=10,
            what="the decline to reach the booking's timeline",
        )
    # The default asks the host: the booking keeps its time until the host decides.
    assert env.booking(moved_id).calendar_change_start == start
    assert env.booking(moved_id).start_at == moved.start_at
    # A deletion refunds nothing by itself.
    assert env.booking(deleted_id).status.value == "scheduled"
