"""Recording webhook events in the append-only log, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.bookings.links import BookingLinks
from leadscalendar.db.session import unit_of_work
from leadscalendar.payments import repository
from leadscalendar.payments.models import AppendOnlyViolationError, PaymentEventKind
from leadscalendar.payments.service import RecordOutcome, record_webhook_event
from leadscalendar.payments.webhooks import (
    NoopPaymentEventHandler,
    VerifiedPaymentEvent,
    verify_stripe_webhook,
)
from tests.support.payments import TEST_WEBHOOK_SECRET, session_event, signed


def verified(**kwargs: object) -> VerifiedPaymentEvent:
    body, headers = signed(session_event(**kwargs))  # type: ignore[arg-type]
    return verify_stripe_webhook(body, headers["Stripe-Signature"], TEST_WEBHOOK_SECRET)


class Recorder:
    def __init__(self) -> None:
        self.events: list[VerifiedPaymentEvent] = []

    def __call__(self, session: Session, event: VerifiedPaymentEvent) -> None:
        self.events.append(event)


def test_an_event_is_recorded_once_and_handled_once(
    session_factory: sessionmaker[Session],
) -> None:
    booking = uuid.uuid4()
    event = verified(booking_id=booking, event_id="evt_once")
    handler = Recorder()
    outcomes = []
    for _ in range(3):
        with unit_of_work(session_factory) as session:
            outcomes.append(record_webhook_event(session, event, handler))
    assert outcomes == [RecordOutcome.NEW, RecordOutcome.DUPLICATE, RecordOutcome.DUPLICATE]
    assert [e.event_id for e in handler.events] == ["evt_once"]
    with session_factory() as session:
        (row,) = repository.events_for_booking(session, booking)
        assert repository.count_events(session) == 1
    assert (row.provider, row.external_id, row.kind) == (
        "stripe",
        "evt_once",
        PaymentEventKind.CHECKOUT_PAID,
    )
    assert (row.amount_minor, row.currency, row.payment_intent_id) == (5000, "eur", "pi_fixture")
    assert row.raw == event.raw
    assert row.received_at.tzinfo is not None


def test_a_duplicate_in_the_same_transaction_keeps_the_transaction_usable(
    session_factory: sessionmaker[Session],
) -> None:
    first, other = verified(event_id="evt_a"), verified(event_id="evt_b")
    with unit_of_work(session_factory) as session:
        assert record_webhook_event(session, first, NoopPaymentEventHandler()) is RecordOutcome.NEW
        duplicate = record_webhook_event(session, first, NoopPaymentEventHandler())
        assert duplicate is RecordOutcome.DUPLICATE
        assert record_webhook_event(session, other, NoopPaymentEventHandler()) is RecordOutcome.NEW
    with session_factory() as session:
        assert repository.count_events(session) == 2


def test_a_failing_handler_rolls_the_record_back_so_a_redelivery_is_new(
    session_factory: sessionmaker[Session],
) -> None:
    event = verified(event_id="evt_retry")

    def failing(session: Session, event: VerifiedPaymentEvent) -> None:
        raise RuntimeError("bookings is down")

    with pytest.raises(RuntimeError), unit_of_work(session_factory) as session:
        record_webhook_event(session, event, failing)
    with session_factory() as session:
        assert repository.count_events(session) == 0
    with unit_of_work(session_factory) as session:
        assert record_webhook_event(session, event, Recorder()) is RecordOutcome.NEW


def test_recorded_events_cannot_be_changed_or_deleted(
    session_factory: sessionmaker[Session],
) -> None:
    booking = uuid.uuid4()
    with unit_of_work(session_factory) as session:
        record_webhook_event(session, verified(booking_id=booking), NoopPaymentEventHandler())
    with pytest.raises(AppendOnlyViolationError), unit_of_work(session_factory) as session:
        (row,) = repository.events_for_booking(session, booking)
        row.amount_minor = 1
    with pytest.raises(AppendOnlyViolationError), unit_of_work(session_factory) as session:
        (row,) = repository.events_for_booking(session, booking)
        session.delete(row)
    with session_factory() as session:
        (row,) = repository.events_for_booking(session, booking)
        assert row.amount_minor == 5000


def test_two_concurrent_deliveries_of_one_event_record_one_row(
    session_factory: sessionmaker[Session],
) -> None:
    """Both transactions insert; the unique key makes one wait and then see a duplicate."""
    event = verified(event_id="evt_race")
    handler = Recorder()
    barrier = threading.Barrier(2)
    outcomes: list[RecordOutcome] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            with unit_of_work(session_factory) as session:
                barrier.wait(timeout=5)
                outcomes.append(record_webhook_event(session, event, handler))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(outcomes) == [RecordOutcome.DUPLICATE, RecordOutcome.NEW]
    assert len(handler.events) == 1
    with session_factory() as session:
        assert repository.count_events(session) == 1


def test_the_stored_payload_keeps_no_working_booking_link(
    session_factory: sessionmaker[Session],
) -> None:
    booking = uuid.uuid4()
    links = BookingLinks("test-secret-key-0123456789abcdef")
    token = links.token_for(booking)
    document = session_event(booking_id=booking, event_id="evt_links")
    document["data"]["object"]["success_url"] = (
        f"https://book.example.com/bookings/{booking}?token={token}&paid=1"
    )
    document["data"]["object"]["cancel_url"] = (
        f"https://book.example.com/bookings/{booking}?token={token}"
    )
    body, headers = signed(document)
    event = verify_stripe_webhook(body, headers["Stripe-Signature"], TEST_WEBHOOK_SECRET)
    assert token in event.raw
    with unit_of_work(session_factory) as session:
        record_webhook_event(session, event, NoopPaymentEventHandler())
    with session_factory() as session:
        (row,) = repository.events_for_booking(session, booking)
    assert token not in row.raw
    stored = json.loads(row.raw)["data"]["object"]
    assert (
        stored["success_url"]
        == f"https://book.example.com/bookings/{booking}?token=[redacted]&paid=1"
    )
    assert stored["cancel_url"] == f"https://book.example.com/bookings/{booking}?token=[redacted]"
    assert stored["metadata"]["booking_id"] == str(booking), "the rest is kept for audits"
