"""Old finished deliveries go with their attempts and messages; unsent ones stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.retention import RetentionPolicy
from leadscalendar.webhooks_out.models import (
    DeliveryStatus,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookMessage,
)
from tests.support.bookings_env import BookingsEnv
from tests.webhooks_out.conftest import Receiver


def test_old_finished_deliveries_go_and_unsent_or_recent_ones_stay(
    bookings_env: BookingsEnv, receiver: Receiver
) -> None:
    receiver.subscribe(bookings_env, EventType.BOOKING_SCHEDULED)
    old_done, old_unsent, recent = bookings_env.book(3)
    bookings_env.drain()
    long_ago = utcnow() - timedelta(days=31)
    factory = bookings_env.services.session_factory
    with unit_of_work(factory) as session:
        deliveries = {d.booking_id: d.id for d in session.scalars(select(WebhookDelivery))}
        assert set(deliveries) == {old_done, old_unsent, recent}
        old = [deliveries[old_done], deliveries[old_unsent]]
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(old))
            .values(finished_at=long_ago, created_at=long_ago)
        )
        session.execute(
            update(WebhookMessage)
            .where(WebhookMessage.booking_id.in_([old_done, old_unsent]))
            .values(created_at=long_ago)
        )
        # Still on its way (a receiver down for a month): never pruned.
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == deliveries[old_unsent])
            .values(status=DeliveryStatus.PENDING, finished_at=None)
        )

    with unit_of_work(factory) as session:
        assert RetentionPolicy(0, 0, webhooks_days=30).prune(session, utcnow()) == (0, 0, 1)
    with factory() as session:
        left = {d.booking_id for d in session.scalars(select(WebhookDelivery))}
        messages = {m.booking_id for m in session.scalars(select(WebhookMessage))}
        attempted = set(session.scalars(select(WebhookAttempt.delivery_id)))
    assert left == messages == {old_unsent, recent}
    assert deliveries[old_done] not in attempted
    assert {deliveries[old_unsent], deliveries[recent]} <= attempted

    with unit_of_work(factory) as session:
        assert RetentionPolicy(0, 0, webhooks_days=0).prune(
            session, utcnow() + timedelta(days=99)
        ) == (0, 0, 0)
