"""Erasure, disabling an endpoint that fails for days, and what each answer leads to."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from leadscalendar.bookings.changes import Actor
from leadscalendar.bookings.models import Booking
from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import Job, Park, Retry, Succeeded
from leadscalendar.sandbox.receiver import ReceiverStore, ScriptedAnswer, create_receiver_app
from leadscalendar.webhooks_out import service
from leadscalendar.webhooks_out.models import (
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from leadscalendar.webhooks_out.sender import SendResult, WebhookSender, retry_after_seconds
from leadscalendar.webhooks_out.tasks import (
    MarkEndpoint,
    WebhookParkCode,
    _decide,
    _failing,
    _Plan,
    _succeeded,
)
from tests.support.bookings_env import BookingsEnv
from tests.support.live_server import live_server
from tests.webhooks_out.conftest import Receiver


def _plan(
    *,
    first_attempt_ago: timedelta | None = None,
    failing_for: timedelta | None = None,
    succeeded_ago: timedelta | None = None,
) -> _Plan:
    now = utcnow()
    return _Plan(
        delivery_id=uuid.uuid4(),
        endpoint_id=uuid.uuid4(),
        booking_id=uuid.uuid4(),
        url="https://crm.example/hook",
        secrets=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        header_id="msg_1",
        body="{}",
        first_attempt_at=None if first_attempt_ago is None else now - first_attempt_ago,
        failing_since=None if failing_for is None else now - failing_for,
        last_success_at=None if succeeded_ago is None else now - succeeded_ago,
    )


@pytest.mark.parametrize("status", [500, 502, 503, 408, 409, 429])
def test_server_errors_and_throttling_are_retried(status: int, tmp_path: Path) -> None:
    result = SendResult(duration_ms=5, status_code=status, retry_after=120.0)
    outcome = _decide(_plan(), result, utcnow(), Settings(data_dir=tmp_path))
    assert isinstance(outcome, Retry) and outcome.transient
    assert outcome.retry_after == 120.0 and outcome.http_status == status


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_other_client_errors_stop_at_once(status: int, tmp_path: Path) -> None:
    result = SendResult(duration_ms=5, status_code=status)
    outcome = _decide(_plan(), result, utcnow(), Settings(data_dir=tmp_path))
    assert isinstance(outcome, Park) and outcome.code is WebhookParkCode.REJECTED
    assert [e.name for e in outcome.effects] == [
        "webhook.finish_delivery",
        "webhook.mark_endpoint",
    ]


def test_timeouts_retry_for_three_days_then_give_up(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    timeout = SendResult(duration_ms=10_000, error="The receiver did not answer in time.")
    young = _decide(_plan(first_attempt_ago=timedelta(hours=71)), timeout, utcnow(), settings)
    assert isinstance(young, Retry)
    old = _decide(_plan(first_attempt_ago=timedelta(hours=73)), timeout, utcnow(), settings)
    assert isinstance(old, Park) and old.code is WebhookParkCode.GAVE_UP
    ok = _decide(_plan(), SendResult(duration_ms=3, status_code=204), utcnow(), settings)
    assert isinstance(ok, Succeeded)


def test_retry_after_takes_seconds_or_a_date() -> None:
    assert retry_after_seconds("30") == 30.0
    later = (utcnow() + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    seconds = retry_after_seconds(later)
    assert seconds is not None and 80 <= seconds <= 91
    assert retry_after_seconds("soon") is None


def test_the_answer_is_read_only_up_to_the_limit() -> None:
    store = ReceiverStore()
    store.answer_always(ScriptedAnswer(200, "x" * 200_000))
    with live_server(create_receiver_app(store)) as url:
        sender = WebhookSender(allow_private=True, max_response_bytes=100)
        try:
            result = sender.post(f"{url}/hooks/big", b"{}", {})
        finally:
            sender.close()
    assert result.status_code == 200 and result.excerpt == "x" * 100


def test_an_endpoint_failing_for_days_is_disabled_and_the_host_mailed(
    bookings_env: BookingsEnv, receiver: Receiver
) -> None:
    endpoint = receiver.subscribe(bookings_env)
    with unit_of_work(bookings_env.services.session_factory) as session:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint.id)
            .values(failing_since=utcnow() - timedelta(days=4))
        )
    receiver.store.answer_always(ScriptedAnswer(503, "still down"))
    bookings_env.book(1)
    bookings_env.drain()

    with bookings_env.services.session_factory() as session:
        stored = session.get(WebhookEndpoint, endpoint.id)
        assert stored is not None and not stored.enabled
        assert "still down" not in (stored.disabled_reason or "")  # our words, with the status
        assert "503" in (stored.disabled_reason or "")
        statuses = [d.status for d in session.scalars(select(WebhookDelivery))]
        mails = session.scalars(select(Job).where(Job.kind == "send_email")).all()
    # The scheduled event, if it came before the endpoint was disabled, is skipped; after,
    # it is not even queued for it. Either way only the first one was ever sent.
    assert statuses.count(DeliveryStatus.FAILED) == 1
    assert set(statuses) <= {DeliveryStatus.FAILED, DeliveryStatus.SKIPPED}
    assert [m.payload["template"] for m in mails if "webhook" in m.payload["template"]] == [
        "webhook_endpoint_disabled"
    ]
    assert len(receiver.store.all()) == 1


def test_erasing_a_lead_reaches_sent_and_unsent_payloads(
    bookings_env: BookingsEnv, receiver: Receiver
) -> None:
    receiver.subscribe(bookings_env, EventType.BOOKING_PAID, EventType.BOOKING_CANCELLED)
    (booking_id,) = bookings_env.book(1)
    bookings_env.drain()
    answer = {"question_id": "q1", "label": "Company", "type": "short_text", "value": "ACME"}
    with unit_of_work(bookings_env.services.session_factory) as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        booking.answers = [answer]
        booking.source = {"utm_source": "newsletter", "ref": "spring"}
    receiver.store.answer_always(ScriptedAnswer(503, "down"))
    bookings_env.cancel(booking_id, by=Actor.HOST)
    with bookings_env.services.session_factory() as session:
        cancelled = session.scalars(
            select(WebhookMessage).where(WebhookMessage.event_type == "booking.cancelled")
        ).one()
        assert cancelled.payload["data"]["answers"] == [answer]
        assert cancelled.payload["data"]["source"] == {"utm_source": "newsletter", "ref": "spring"}
    with unit_of_work(bookings_env.services.session_factory) as session:
        assert service.redact_lead(session, booking_id) == 2
    receiver.store.answer_always(ScriptedAnswer())
    bookings_env.drain()

    first, *_, last = receiver.store.all()
    assert first.json()["data"]["lead"]["name"] == "Lea Lead"  # sent before the erasure
    assert last.json()["type"] == "booking.cancelled"
    assert last.json()["data"]["lead"] == service.ERASED_LEAD
    assert last.json()["data"]["answers"] == [] and last.json()["data"]["source"] == {}
    with bookings_env.services.session_factory() as session:
        payloads = [m.payload for m in session.scalars(select(WebhookMessage))]
    assert all(p["data"]["lead"] == service.ERASED_LEAD for p in payloads)
    assert all("Lea Lead" not in str(p) and "ACME" not in str(p) for p in payloads)


def test_the_endpoint_row_is_written_only_when_its_state_changes() -> None:
    """Busy endpoints are not rewritten (and row-locked) by every delivery."""
    now = utcnow()
    plan = _plan(succeeded_ago=timedelta(minutes=2))
    noted = (MarkEndpoint(plan.endpoint_id, succeeded=True, at=now),)
    assert _succeeded(_plan(succeeded_ago=timedelta(seconds=10)), now) == ()
    assert _succeeded(plan, now) == noted
    assert _succeeded(_plan(), now) != (), "the first success is noted"
    recovering = _plan(succeeded_ago=timedelta(seconds=10), failing_for=timedelta(hours=1))
    assert _succeeded(recovering, now) != (), "a failing endpoint is cleared"
    assert _failing(_plan(failing_for=timedelta(hours=1))) == ()
    [failing] = _failing(_plan())  # the first failure is noted
    assert isinstance(failing, MarkEndpoint) and failing.succeeded is False
