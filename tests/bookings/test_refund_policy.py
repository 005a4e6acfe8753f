"""The refund policy cannot be walked around (``bookings.changes``), through real HTTP.

The cut-off is measured from the start the lead booked and paid for; a lead's
reschedule can bring it earlier, never later. Once the appointment's time has
come, the lead can neither move, cancel nor get a refund; the host still can,
after confirming.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from leadscalendar.bookings.models import Booking
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import JobStatus
from tests.support.api_env import api_client, create_key
from tests.support.app_env import HOST_EMAIL
from tests.support.booking_env import BookingEnv
from tests.support.booking_flow import (
    API,
    Held,
    checkout,
    days_ahead,
    db_booking,
    jobs_of,
    refunds,
    row_counts,
    slot_starts,
    wait_jobs_idle,
)
from tests.support.dashboard import submit


def _paid(env: BookingEnv, start: str) -> Held:
    booking, session_id = checkout(env, "session", start)
    env.pay(f"{env.payments_url}/checkout/{session_id}")
    env.wait_status(booking.id, booking.token, "scheduled")
    # Settled: its mails job runs after the event job and writes rows of its own.
    wait_jobs_idle(env)
    return booking


def _post(env: BookingEnv, booking: Held, action: str, **body: Any) -> httpx.Response:
    return env.lead.post(
        f"{API}/bookings/{booking.id}/{action}", params={"token": booking.token}, json=body or None
    )


def _soon(env: BookingEnv) -> str:
    start = slot_starts(env, "session", datetime.now(UTC).date(), days=2)[0]
    assert datetime.fromisoformat(start) < datetime.now(UTC) + timedelta(hours=24)
    return start


def test_moving_a_booking_past_its_refund_deadline_and_cancelling_refunds_nothing(
    booking_env: BookingEnv,
) -> None:
    env = booking_env
    booking = _paid(env, _soon(env))  # inside the 24-hour cut-off: not refundable
    later = slot_starts(env, "session", days_ahead(5))[0]
    before = env.lead.get(f"/bookings/{booking.id}", params={"token": booking.token})
    assert "has passed: cancelling now refunds nothing" in before.text

    moved = _post(env, booking, "reschedule", start=later)
    assert moved.status_code == 200, moved.text
    status = env.lead.get(f"/bookings/{booking.id}", params={"token": booking.token})
    assert "has passed: cancelling now refunds nothing" in status.text
    assert "never later" in status.text and 'id="refund-policy"' in status.text
    cancel_page = env.lead.get(f"/bookings/{booking.id}/cancel", params={"token": booking.token})
    assert "not refunded" in cancel_page.text

    cancelled = _post(env, booking, "cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    wait_jobs_idle(env)
    assert refunds(env) == []
    assert ("refund_payment", JobStatus.SUCCEEDED) not in jobs_of(env, booking.id)


def test_a_lead_moving_earlier_brings_the_deadline_earlier_and_a_host_move_resets_it(
    booking_env: BookingEnv,
) -> None:
    env = booking_env
    far = slot_starts(env, "session", days_ahead(5))
    by_lead, by_host = _paid(env, far[0]), _paid(env, far[4])

    # The lead moves into the cut-off: the earlier start now counts.
    soon = _soon(env)
    assert _post(env, by_lead, "reschedule", start=soon).status_code == 200
    moved = db_booking(env, by_lead.id)
    assert moved.refund_policy_start_at == moved.start_at == datetime.fromisoformat(soon)
    # The host moves a booking: the lead's deadline follows the host's new time.
    assert _host_api_reschedule(env, by_host, far[8]).status_code == 200
    assert db_booking(env, by_host.id).refund_policy_start_at is None

    for booking in (by_lead, by_host):
        assert _post(env, booking, "cancel").json()["status"] == "cancelled"
    wait_jobs_idle(env)
    (refund,) = refunds(env)
    assert refund["payment_intent"] == db_booking(env, by_host.id).payment_intent_id


def _host_api_reschedule(env: BookingEnv, booking: Held, start: str) -> httpx.Response:
    with api_client(env.url, create_key(env.services, HOST_EMAIL)) as api:
        return api.post(f"/bookings/{booking.id}/reschedule", json={"start": start})


def _make_started(env: BookingEnv, booking: Held) -> None:
    """As if the appointment began a few minutes ago."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    with unit_of_work(env.services.session_factory) as session:
        session.execute(
            update(Booking)
            .where(Booking.id == uuid.UUID(booking.id))
            .values(start_at=start, end_at=start + timedelta(minutes=60))
        )


def test_a_lead_cannot_move_cancel_or_refund_a_started_booking_but_the_host_can(
    booking_env: BookingEnv,
) -> None:
    env = booking_env
    offered = slot_starts(env, "session", days_ahead(3))
    booking = _paid(env, offered[0])
    _make_started(env, booking)

    before = row_counts(env)
    for action, body in (("cancel", {}), ("reschedule", {"start": offered[6]})):
        refused = _post(env, booking, action, **body)
        assert refused.status_code == 409, refused.text
        assert "time has already come" in refused.json()["error"]["message"]
    page = env.lead.get(f"/bookings/{booking.id}/reschedule", params={"token": booking.token})
    assert page.status_code == 409
    status = env.lead.get(f"/bookings/{booking.id}", params={"token": booking.token})
    assert 'id="started"' in status.text and 'id="cancel"' not in status.text
    assert row_counts(env) == before
    assert db_booking(env, booking.id).status.value == "scheduled"

    detail = f"/dashboard/bookings/{booking.id}"
    assert 'id="confirm-started"' in env.host.client.get(f"{detail}/cancel").text
    unconfirmed = submit(env.host.client, detail, f"{detail}/cancel", follow=True)
    assert "time has already come" in unconfirmed.text
    assert db_booking(env, booking.id).status.value == "scheduled"
    confirmed = submit(
        env.host.client, detail, f"{detail}/cancel", {"confirm_started": "yes"}, follow=True
    )
    assert confirmed.status_code == 200
    assert db_booking(env, booking.id).status.value == "cancelled"
    wait_jobs_idle(env)
    (refund,) = refunds(env)
    assert refund["payment_intent"] == db_booking(env, booking.id).payment_intent_id
