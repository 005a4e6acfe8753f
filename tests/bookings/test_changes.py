"""Cancelling and rescheduling, down to what the host's calendar shows."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from leadscalendar.bookings.changes import CancelledBy
from leadscalendar.bookings.job_kinds import CREATE_EVENT, DELETE_EVENT, UPDATE_EVENT
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.google.events import event_id_for
from leadscalendar.jobs import JobStatus
from tests.support.bookings_env import BookingsEnv, google_error


def test_cancelling_a_paid_booking_whose_event_never_existed_creates_and_removes_nothing(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    [booking_id] = env.book(paid=True)
    env.cancel(booking_id, CancelledBy.HOST)
    env.drain()
    assert env.events() == []
    assert env.stats()["calls"].get("events.insert", 0) == 0
    [create] = env.jobs(CREATE_EVENT)
    assert create.status is JobStatus.CANCELLED
    [delete] = env.jobs(DELETE_EVENT)
    assert delete.status is JobStatus.SUCCEEDED
    assert env.booking(booking_id).status is BookingStatus.CANCELLED


def test_cancelling_a_parked_booking_creates_and_removes_nothing(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    [booking_id] = env.book()
    env.script("events.insert", google_error(403, "forbiddenForNonOrganizer"))
    env.drain()
    [create] = env.jobs(CREATE_EVENT)
    assert create.park_code == ParkCode.PERMISSION
    env.cancel(booking_id, CancelledBy.LEAD)
    env.drain()
    assert env.events() == []
    [create] = env.jobs(CREATE_EVENT)
    assert create.status is JobStatus.CANCELLED
    assert [job.status for job in env.jobs(DELETE_EVENT)] == [JobStatus.SUCCEEDED]
    assert env.stats()["calls"]["events.insert"] == 1  # the refused one, nothing since


def test_cancelling_a_scheduled_booking_deletes_its_event(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    [booking_id] = env.book()
    env.drain()
    assert env.booking(booking_id).status is BookingStatus.SCHEDULED
    env.cancel(booking_id, CancelledBy.HOST)
    env.drain()
    [event] = env.events_of(booking_id)
    assert event["id"] == event_id_for(booking_id)
    assert event["status"] == "cancelled"
    assert [call["action"] for call in event["_sandbox"]["calls"]] == ["insert", "delete"]
    assert [job.status for job in env.jobs(DELETE_EVENT)] == [JobStatus.SUCCEEDED]
    assert env.booking(booking_id).status is BookingStatus.CANCELLED


def test_rescheduling_a_scheduled_booking_moves_the_same_event(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    [booking_id] = env.book()
    env.drain()
    new_start = env.reschedule(booking_id)
    env.drain()
    [event] = env.events_of(booking_id)
    assert event["id"] == event_id_for(booking_id)
    assert event["status"] == "confirmed"
    assert datetime.fromisoformat(event["start"]["dateTime"]) == new_start
    assert datetime.fromisoformat(event["end"]["dateTime"]) == new_start + timedelta(minutes=30)
    assert [call["action"] for call in event["_sandbox"]["calls"]] == ["insert", "patch"]
    assert [job.status for job in env.jobs(UPDATE_EVENT)] == [JobStatus.SUCCEEDED]
    booking = env.booking(booking_id)
    assert booking.status is BookingStatus.SCHEDULED
    assert booking.start_at == new_start


def test_a_paid_booking_rescheduled_before_its_event_exists_gets_the_new_time(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    [booking_id] = env.book()
    new_start = env.reschedule(booking_id)
    env.drain()
    [event] = env.events_of(booking_id)
    assert datetime.fromisoformat(event["start"]["dateTime"]) == new_start
    assert [call["action"] for call in event["_sandbox"]["calls"]] == ["insert"]


def test_cancelling_while_the_event_is_being_created_leaves_no_live_event(
    bookings_env: BookingsEnv,
) -> None:
    """The lead cancels while the create job runs: whatever the interleaving, no live event.

    Usually the insert is already on its way to Google (2 s of latency) and the
    event it makes is taken away again; if the handler reads the booking after
    the cancel, it creates nothing. Both must end with no live event.
    """
    env = bookings_env
    [booking_id] = env.book()
    env.sandbox.control("POST", "latency", {"seconds": 2.0})
    with env.worker(concurrency=2):
        env.wait_for_jobs(lambda jobs: jobs[0].status is JobStatus.RUNNING)
        time.sleep(0.5)  # let the handler get its read done and the insert under way
        env.cancel(booking_id, CancelledBy.LEAD)
        env.wait_drained()
        time.sleep(2.5)  # an insert still in flight lands now ...
        env.wait_drained()  # ... and its removal is queued and done
    events = env.events_of(booking_id)
    assert len(events) <= 1
    assert all(event["status"] == "cancelled" for event in events)
    assert [job.status for job in env.jobs(CREATE_EVENT)] == [JobStatus.SUCCEEDED]
    if events:
        assert {job.status for job in env.jobs(DELETE_EVENT)} == {JobStatus.SUCCEEDED}
    booking = env.booking(booking_id)
    assert booking.status is BookingStatus.CANCELLED
