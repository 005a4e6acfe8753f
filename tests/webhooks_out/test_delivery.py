"""Booking events to a real receiver on loopback: once each, in order, signed, retried."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from leadscalendar.bookings.changes import Actor
from leadscalendar.sandbox.receiver import Received, ScriptedAnswer
from leadscalendar.webhooks_out.models import DeliveryStatus, EventType, WebhookDelivery
from tests.support.bookings_env import BookingsEnv, wait_until
from tests.webhooks_out.conftest import Receiver


def _by_booking(received: list[Received]) -> dict[str, list[str]]:
    events: dict[str, list[str]] = defaultdict(list)
    for item in received:
        if 200 <= item.answered < 300:
            body = item.json()
            events[body["data"]["id"]].append(body["type"])
    return events


def _deliveries(env: BookingsEnv) -> list[WebhookDelivery]:
    with env.services.session_factory() as session:
        return list(session.scalars(select(WebhookDelivery)))


def test_every_event_arrives_once_in_order_and_verifies(
    bookings_env: BookingsEnv, receiver: Receiver
) -> None:
    receiver.subscribe(bookings_env)
    moved, cancelled, kept = bookings_env.book(3)
    bookings_env.drain()
    bookings_env.reschedule(moved)
    bookings_env.cancel(cancelled, Actor.HOST)
    bookings_env.drain()

    received = receiver.store.all()
    assert all(item.verified for item in received), [item.problem for item in received]
    for item in received:  # the library's own check, independently of the receiver's
        Webhook(str(receiver.store.secret)).verify(item.body, item.headers)
    ids = [item.message_id for item in received]
    assert len(ids) == len(set(ids)), "a message arrived twice"
    assert _by_booking(received) == {
        str(moved): ["booking.paid", "booking.scheduled", "booking.rescheduled"],
        str(cancelled): ["booking.paid", "booking.scheduled", "booking.cancelled"],
        str(kept): ["booking.paid", "booking.scheduled"],
    }
    rescheduled = next(i.json() for i in received if i.json()["type"] == "booking.rescheduled")
    assert rescheduled["data"]["previous_start"] is not None
    assert rescheduled["data"]["lead"]["notes"] == "Looking forward to it."
    assert {d.status for d in _deliveries(bookings_env)} == {DeliveryStatus.DELIVERED}


def test_a_receiver_down_for_a_while_gets_everything_afterwards(
    bookings_env: BookingsEnv, receiver: Receiver
) -> None:
    receiver.subscribe(bookings_env, EventType.BOOKING_PAID, EventType.BOOKING_SCHEDULED)
    down = ScriptedAnswer(503, "down for maintenance")
    receiver.store.answer_always(down)
    booking_ids = bookings_env.book(2)
    with bookings_env.worker():
        wait_until(lambda: len(receiver.store.all()) >= 6, what="retries while it is down")
        receiver.store.answer_next(ScriptedAnswer(429, "slow down", {"retry-after": "0"}))
        receiver.store.answer_always(ScriptedAnswer())
        bookings_env.wait_drained()
    events = _by_booking(receiver.store.all())
    assert events == {
        str(booking_id): ["booking.paid", "booking.scheduled"] for booking_id in booking_ids
    }
    answered = [item.answered for item in receiver.store.all()]
    assert 503 in answered and 429 in answered
    deliveries = _deliveries(bookings_env)
    assert {d.status for d in deliveries} == {DeliveryStatus.DELIVERED}
    assert max(d.attempt_count for d in deliveries) > 1


def test_gone_or_unauthorised_stops_the_retries_and_the_next_event_still_goes(
    bookings_env: BookingsEnv, receiver: Receiver
) -> None:
    receiver.subscribe(bookings_env, EventType.BOOKING_PAID, EventType.BOOKING_SCHEDULED)
    receiver.store.answer_next(ScriptedAnswer(410, "gone"), ScriptedAnswer(401, "who are you"))
    first, second = bookings_env.book(2)
    bookings_env.drain()

    deliveries = _deliveries(bookings_env)
    failed = [d for d in deliveries if d.status is DeliveryStatus.FAILED]
    assert sorted(d.last_status_code or 0 for d in failed) == [401, 410]
    assert all(d.attempt_count == 1 for d in failed)
    # The paid events were refused; each booking's scheduled event came after them.
    events = _by_booking(receiver.store.all())
    assert events == {str(first): ["booking.scheduled"], str(second): ["booking.scheduled"]}
    assert len(receiver.store.all()) == 4
