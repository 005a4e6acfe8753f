"""Bookings follow what the host does to their events in Google (``bookings.calendar_follow``).

The host's changes are made in the Google sandbox through the Calendar API
with the host's grant; ``deliver`` hands the event over as calendar sync does.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from leadscalendar.accounts.models import CalendarMovePolicy, Host
from leadscalendar.bookings import changes
from leadscalendar.bookings.calendar_decisions import Decision, NothingToDecideError, decide
from leadscalendar.bookings.calendar_follow import event_times
from leadscalendar.bookings.job_kinds import REFUND_PAYMENT, UPDATE_EVENT
from leadscalendar.bookings.models import CalendarChange
from leadscalendar.bookings.service import get_booking
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.notifications import MailTemplate
from tests.support.bookings_env import BookingsEnv
from tests.support.calendar_follow import (
    current_event,
    deliver,
    host_deletes,
    host_moves,
    job_kinds,
    lead_declines,
    mails_of,
    timeline_kinds,
)

HOST_MAIL = MailTemplate.HOST_CALENDAR_CHANGE.value
LEAD_MOVED_MAIL = MailTemplate.BOOKING_RESCHEDULED.value


def _scheduled(env: BookingsEnv, *, paid: bool = False) -> uuid.UUID:
    (booking_id,) = env.book(paid=paid)
    env.drain()
    assert env.booking(booking_id).status.value == "scheduled"
    return booking_id


def _set_policy(env: BookingsEnv, policy: CalendarMovePolicy) -> None:
    with unit_of_work(env.services.session_factory) as session:
        host = session.scalar(select(Host).where(Host.id == env.host_id))
        assert host is not None
        host.calendar_move_policy = policy


def _decide(env: BookingsEnv, booking_id: uuid.UUID, decision: Decision) -> str:
    with unit_of_work(env.services.session_factory) as session:
        return decide(session, get_booking(session, booking_id, for_update=True), decision)


def test_our_own_writes_do_not_come_back_as_the_hosts(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    booking_id = _scheduled(env)
    created = current_event(env, booking_id)
    assert env.booking(booking_id).google_event_etag == created["etag"]
    before = timeline_kinds(env, booking_id)
    deliver(env, booking_id)
    assert timeline_kinds(env, booking_id) == before

    new_start = env.reschedule(booking_id)  # our own move: a patch job
    env.drain()
    moved = current_event(env, booking_id)
    assert moved["etag"] != created["etag"]
    booking = env.booking(booking_id)
    assert booking.google_event_etag == moved["etag"] and booking.start_at == new_start
    assert booking.google_event_updated_at is not None
    before = timeline_kinds(env, booking_id)
    deliver(env, booking_id)
    # A copy read before our patch and handed over after it: at the old time, with an etag
    # that is not the stored one, but older than our write. No host moved anything.
    deliver(env, booking_id, created)
    assert timeline_kinds(env, booking_id) == before
    assert env.booking(booking_id).calendar_change is None
    assert mails_of(env, booking_id, HOST_MAIL) == []


def test_a_move_asks_the_host_by_default_and_accepting_follows(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    booking_id = _scheduled(env)
    booked = env.booking(booking_id)
    new_start = host_moves(env, booking_id, timedelta(hours=2))
    for _ in range(3):  # one change, delivered three times
        deliver(env, booking_id)

    waiting = env.booking(booking_id)
    assert waiting.start_at == booked.start_at and waiting.status.value == "scheduled"
    assert waiting.calendar_change is CalendarChange.MOVED
    assert waiting.calendar_change_start == new_start
    assert timeline_kinds(env, booking_id).count("calendar_moved_by_host") == 1
    (asked,) = mails_of(env, booking_id, HOST_MAIL)
    assert asked["context"]["change"] == "moved" and asked["context"]["new_when"]
    assert mails_of(env, booking_id, LEAD_MOVED_MAIL) == []

    assert "new time" in _decide(env, booking_id, Decision.ACCEPT)
    accepted = env.booking(booking_id)
    assert (accepted.start_at, accepted.end_at) == (new_start, new_start + timedelta(minutes=30))
    assert accepted.calendar_change is None and accepted.refund_policy_start_at is None
    assert len(mails_of(env, booking_id, LEAD_MOVED_MAIL)) == 1
    assert UPDATE_EVENT not in job_kinds(env, booking_id)  # the event is there already
    kinds = timeline_kinds(env, booking_id)
    assert "calendar_change_accepted" in kinds and "rescheduled" in kinds

    deliver(env, booking_id)  # the same event once more: nothing left to do
    assert timeline_kinds(env, booking_id) == kinds
    assert len(mails_of(env, booking_id, LEAD_MOVED_MAIL)) == 1


def test_our_later_write_settles_the_question_it_answered(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    booking_id = _scheduled(env)
    new_start = env.reschedule(booking_id)  # our patch is queued, not sent yet
    host_moves(env, booking_id, timedelta(hours=1))  # meanwhile the host drags the event
    deliver(env, booking_id)
    assert env.booking(booking_id).calendar_change is CalendarChange.MOVED

    env.drain()  # our patch puts the event at the booking's (new) time
    deliver(env, booking_id)
    booking = env.booking(booking_id)
    assert booking.start_at == new_start and booking.calendar_change is None
    assert "calendar_change_settled" in timeline_kinds(env, booking_id)


def test_a_move_is_followed_at_once_when_the_host_chose_so(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    _set_policy(env, CalendarMovePolicy.FOLLOW)
    booking_id = _scheduled(env)
    new_start = host_moves(env, booking_id, timedelta(hours=3))
    deliver(env, booking_id)
    deliver(env, booking_id)

    booking = env.booking(booking_id)
    assert booking.start_at == new_start and booking.calendar_change is None
    kinds = timeline_kinds(env, booking_id)
    assert kinds.count("calendar_followed") == 1 and kinds.count("rescheduled") == 1
    (told,) = mails_of(env, booking_id, LEAD_MOVED_MAIL)
    assert told["context"]["lead_booking_id"] == str(booking_id)  # the same manage links
    assert mails_of(env, booking_id, HOST_MAIL) == []
    assert UPDATE_EVENT not in job_kinds(env, booking_id)


def test_putting_a_moved_event_back(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    booking_id = _scheduled(env)
    booked = env.booking(booking_id)
    host_moves(env, booking_id, timedelta(hours=2))
    deliver(env, booking_id)
    _decide(env, booking_id, Decision.PUT_BACK)
    env.drain()

    event = current_event(env, booking_id)
    booking = env.booking(booking_id)
    assert booking.start_at == booked.start_at and booking.calendar_change is None
    assert booking.google_event_etag == event["etag"]
    times = event_times(event)
    assert times is not None and (times.start, times.end) == (booked.start_at, booked.end_at)
    before = timeline_kinds(env, booking_id)
    assert "calendar_change_put_back" in before
    deliver(env, booking_id)
    assert timeline_kinds(env, booking_id) == before
    with pytest.raises(NothingToDecideError):
        _decide(env, booking_id, Decision.ACCEPT)


def test_a_deletion_asks_and_restoring_recreates_the_event(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    booking_id = _scheduled(env, paid=False)
    host_deletes(env, booking_id)
    assert current_event(env, booking_id)["status"] == "cancelled"
    deliver(env, booking_id)
    deliver(env, booking_id)

    waiting = env.booking(booking_id)
    assert waiting.status.value == "scheduled" and waiting.calendar_change is CalendarChange.DELETED
    assert timeline_kinds(env, booking_id).count("calendar_deleted_by_host") == 1
    (asked,) = mails_of(env, booking_id, HOST_MAIL)
    assert asked["context"]["change"] == "deleted"
    assert "delete_calendar_event" not in job_kinds(env, booking_id)

    _decide(env, booking_id, Decision.RESTORE)
    env.drain()
    restored = current_event(env, booking_id)
    assert restored["status"] == "confirmed"
    booking = env.booking(booking_id)
    assert booking.google_event_etag == restored["etag"] and booking.calendar_change is None
    kinds = timeline_kinds(env, booking_id)
    assert "calendar_restore_requested" in kinds and "calendar_event_recreated" in kinds
    deliver(env, booking_id)
    assert timeline_kinds(env, booking_id) == kinds


def test_confirming_a_deletion_cancels_with_the_host_refund(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    env.update_type(price_minor=9000)
    booking_id = _scheduled(env, paid=True)
    host_deletes(env, booking_id)
    deliver(env, booking_id)
    assert REFUND_PAYMENT not in job_kinds(env, booking_id)  # nothing without the host

    with unit_of_work(env.services.session_factory) as session:
        booking = get_booking(session, booking_id, for_update=True)
        changes.cancel(session, booking, by=changes.Actor.HOST, now=utcnow())
    booking = env.booking(booking_id)
    assert booking.status.value == "cancelled" and booking.calendar_change is None
    assert REFUND_PAYMENT in job_kinds(env, booking_id)
    kinds = timeline_kinds(env, booking_id)
    assert "calendar_deletion_confirmed" in kinds and "refund_requested" in kinds


def test_the_host_hears_once_that_the_lead_declined(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    booking_id = _scheduled(env)
    booked = env.booking(booking_id)
    lead_declines(env, booking_id)
    deliver(env, booking_id)
    deliver(env, booking_id)
    host_moves(env, booking_id, timedelta(0))  # any later edit: a new etag, still declined
    deliver(env, booking_id)

    (told,) = mails_of(env, booking_id, HOST_MAIL)
    assert told["context"]["change"] == "declined"
    assert timeline_kinds(env, booking_id).count("calendar_lead_declined") == 1
    booking = env.booking(booking_id)
    assert (booking.status, booking.start_at) == (booked.status, booked.start_at)
    assert booking.calendar_change is None


def test_bookings_that_cannot_follow_are_left_alone(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    cancelled_id = _scheduled(env)
    env.cancel(cancelled_id, changes.CancelledBy.HOST)
    env.drain()
    assert current_event(env, cancelled_id)["status"] == "cancelled"
    before = timeline_kinds(env, cancelled_id)
    deliver(env, cancelled_id)
    assert timeline_kinds(env, cancelled_id) == before

    (paid_id,) = env.book()  # paid, its event not created yet (no worker ran)
    not_yet = env.booking(paid_id)
    deliver(
        env,
        paid_id,
        {
            "id": "someevent1",
            "status": "cancelled",
            "etag": '"1"',
            "extendedProperties": {"private": {"leadscalendarBookingId": str(paid_id)}},
        },
    )
    after = env.booking(paid_id)
    assert (after.status, after.calendar_change) == (not_yet.status, None)
    assert "calendar_deleted_by_host" not in timeline_kinds(env, paid_id)
    assert mails_of(env, paid_id, HOST_MAIL) == []
