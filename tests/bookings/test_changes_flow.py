"""Cancelling, rescheduling and host approval through real HTTP (``bookings.changes``)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from leadscalendar.bookings import changes
from leadscalendar.bookings.booking_types import BookingTypeIn
from leadscalendar.bookings.payment_events import CANCELLED_BEFORE_PAYMENT_REASON
from leadscalendar.bookings.service import get_booking
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.events import event_id_for
from leadscalendar.jobs import Job, JobStatus
from tests.support.booking_env import BookingEnv, wait_for
from tests.support.booking_flow import (
    API,
    Held,
    add_booking_type,
    checkout,
    days_ahead,
    db_booking,
    jobs_of,
    refunds,
    row_counts,
    sandbox,
    slot_starts,
    wait_jobs_idle,
)


def _paid(env: BookingEnv, type_slug: str, start: str, status: str = "scheduled") -> Held:
    booking, session_id = checkout(env, type_slug, start)
    env.pay(f"{env.payments_url}/checkout/{session_id}")
    env.wait_status(booking.id, booking.token, status)
    # Settled: its mails job runs after the event job and writes rows of its own.
    wait_jobs_idle(env)
    return booking


def _events_by_id(env: BookingEnv) -> dict[str, dict[str, Any]]:
    return {event["id"]: event for event in env.calendar_events()}


def _post(
    env: BookingEnv, booking: Held, action: str, token: str | None = None, **body: Any
) -> httpx.Response:
    return env.lead.post(
        f"{API}/bookings/{booking.id}/{action}",
        params={"token": token or booking.token},
        json=body or None,
    )


def test_lead_cancels_before_and_after_the_refund_cutoff(booking_env: BookingEnv) -> None:
    env = booking_env
    soon_start = slot_starts(env, "session", datetime.now(UTC).date(), days=2)[0]
    assert datetime.fromisoformat(soon_start) < datetime.now(UTC) + timedelta(hours=24)
    later_start = slot_starts(env, "session", days_ahead(3))[0]
    soon, later = _paid(env, "session", soon_start), _paid(env, "session", later_start)
    assert len(env.calendar_events()) == 2

    before = row_counts(env)
    wrong = _post(env, later, "cancel", token="not-the-token")
    assert wrong.status_code == 403 and wrong.json()["error"]["code"]
    other_token = _post(env, later, "cancel", token=soon.token)
    assert other_token.status_code == 403
    assert row_counts(env) == before

    for booking in (later, soon):
        response = _post(env, booking, "cancel")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "cancelled"
    wait_jobs_idle(env)

    events = _events_by_id(env)
    for booking in (soon, later):
        assert events[event_id_for(booking.uuid)]["status"] == "cancelled"
        assert ("delete_calendar_event", JobStatus.SUCCEEDED) in jobs_of(env, booking.id)
    (refund,) = refunds(env)  # only the cancellation before the cut-off is refunded
    assert refund["amount"] == 9000
    assert db_booking(env, later.id).payment_intent_id == refund["payment_intent"]
    assert ("refund_payment", JobStatus.SUCCEEDED) not in jobs_of(env, soon.id)


def test_cancelling_a_paid_booking_whose_event_was_never_created(booking_env: BookingEnv) -> None:
    env = booking_env
    calendar_id = env.google.config.account_email
    env.google.control("POST", f"calendars/{calendar_id}/read-only")
    booking = _paid(env, "session", slot_starts(env, "session", days_ahead(3))[0], "paid")
    wait_for(
        lambda: ("create_calendar_event", JobStatus.PARKED) in jobs_of(env, booking.id),
        what="create job parked",
    )
    assert env.booking(booking.id, booking.token)["status_reason"]

    response = _post(env, booking, "cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    wait_jobs_idle(env)

    jobs = dict(jobs_of(env, booking.id))
    assert jobs["create_calendar_event"] is JobStatus.CANCELLED
    assert jobs["refund_payment"] is JobStatus.SUCCEEDED
    assert jobs["delete_calendar_event"] is JobStatus.SUCCEEDED
    assert env.calendar_events() == []
    assert len(refunds(env)) == 1


def test_reschedule_moves_the_same_google_event(booking_env: BookingEnv) -> None:
    env = booking_env
    offered = slot_starts(env, "session", days_ahead(3))
    booking = _paid(env, "session", offered[0])
    taken = _paid(env, "session", offered[4])
    new_start = offered[8]

    before = row_counts(env)
    wrong = _post(env, booking, "reschedule", token=taken.token, start=new_start)
    assert wrong.status_code == 403
    clash = _post(env, booking, "reschedule", start=taken.start)
    assert clash.status_code == 409 and clash.json()["error"]["message"]
    assert row_counts(env) == before

    moved = _post(env, booking, "reschedule", start=new_start)
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["start"]) == datetime.fromisoformat(new_start)
    wait_jobs_idle(env)
    assert ("update_calendar_event", JobStatus.SUCCEEDED) in jobs_of(env, booking.id)

    events = _events_by_id(env)
    assert len(events) == 2
    event = events[event_id_for(booking.uuid)]
    assert datetime.fromisoformat(event["start"]["dateTime"]) == datetime.fromisoformat(new_start)
    assert db_booking(env, booking.id).status.value == "scheduled"
    assert offered[0] in slot_starts(env, "session", days_ahead(3))  # the old time is free


def test_host_approval_schedules_or_declines_with_a_refund(booking_env: BookingEnv) -> None:
    env = booking_env
    add_booking_type(
        env,
        BookingTypeIn(
            slug="vip",
            title="VIP session",
            duration_minutes=60,
            price_minor=9000,
            min_notice_minutes=60,
            requires_approval=True,
        ),
    )
    offered = slot_starts(env, "vip", days_ahead(3))
    approved = _paid(env, "vip", offered[0], "awaiting_approval")
    declined = _paid(env, "vip", offered[4], "awaiting_approval")
    wait_jobs_idle(env)
    assert env.calendar_events() == []
    assert jobs_of(env, approved.id) == []

    with unit_of_work(env.services.session_factory) as session:
        changes.approve(session, get_booking(session, approved.uuid, for_update=True))
        changes.decline(session, get_booking(session, declined.uuid, for_update=True))

    env.wait_status(approved.id, approved.token, "scheduled")
    wait_jobs_idle(env)
    assert list(_events_by_id(env)) == [event_id_for(approved.uuid)]
    gone = env.booking(declined.id, declined.token)
    assert gone["status"] == "declined" and "refunded" in gone["status_reason"]
    (refund,) = refunds(env)
    assert refund["payment_intent"] == db_booking(env, declined.id).payment_intent_id
    assert refund["amount"] == 9000
    assert uuid.UUID(approved.id) != uuid.UUID(declined.id)


def test_a_lead_who_cancels_before_paying_can_no_longer_pay(booking_env: BookingEnv) -> None:
    env = booking_env
    booking, session_id = checkout(env, "session", slot_starts(env, "session", days_ahead(2))[0])

    response = _post(env, booking, "cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"

    def closed() -> bool:
        return bool(sandbox(env, "GET", f"sessions/{session_id}")["status"] == "expired")

    wait_for(closed, what="the checkout expired at the provider")
    page = httpx.get(f"{env.payments_url}/checkout/{session_id}", timeout=10)
    assert page.status_code == 410
    paying = httpx.post(f"{env.payments_url}/checkout/{session_id}/pay", timeout=10)
    assert paying.status_code == 409
    wait_jobs_idle(env)
    assert ("expire_checkout", JobStatus.SUCCEEDED) in jobs_of(env, booking.id)
    assert env.booking(booking.id, booking.token)["status"] == "cancelled"
    assert refunds(env) == []


def test_a_payment_that_arrives_after_cancelling_is_refunded_saying_why(
    booking_env: BookingEnv,
) -> None:
    env = booking_env
    booking, session_id = checkout(env, "session", slot_starts(env, "session", days_ahead(2))[0])
    # The lead pays in one tab while cancelling in another; the webhook is slower.
    sandbox(env, "POST", "delivery/pause")
    sandbox(env, "POST", f"sessions/{session_id}/pay")
    assert _post(env, booking, "cancel").json()["status"] == "cancelled"
    sandbox(env, "POST", "delivery/resume")

    (refund,) = wait_for(lambda: refunds(env), what="the late payment refunded")
    assert refund["amount"] == 9000
    wait_jobs_idle(env)
    cancelled = env.booking(booking.id, booking.token)
    assert cancelled["status"] == "cancelled"
    assert cancelled["status_reason"] == CANCELLED_BEFORE_PAYMENT_REASON
    with unit_of_work(env.services.session_factory) as session:
        mail = session.scalar(select(Job).where(Job.dedupe_key == f"mail:refund:{booking.id}"))
        assert mail is not None
        assert "You cancelled the booking." in json.dumps(mail.payload)
        assert "someone else" not in json.dumps(mail.payload)
