"""Every query of the payments domain. Payment events are only ever inserted and read."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadscalendar.db.inserts import insert_unless_exists
from leadscalendar.payments.models import PaymentEvent


def find_event(session: Session, provider: str, external_id: str) -> PaymentEvent | None:
    return session.scalars(
        select(PaymentEvent).where(
            PaymentEvent.provider == provider, PaymentEvent.external_id == external_id
        )
    ).one_or_none()


def insert_event_once(session: Session, values: Mapping[str, Any]) -> bool:
    """Record an event unless (provider, external_id) is already recorded; True if inserted.

    The unique constraint is the arbiter, not a prior SELECT: two deliveries of
    one event racing on two workers both try to insert and one wins.
    """
    return insert_unless_exists(session, PaymentEvent, values, ("provider", "external_id"))


def events_for_booking(session: Session, booking_id: uuid.UUID) -> Sequence[PaymentEvent]:
    """The booking's payment history in the order we received it."""
    return session.scalars(
        select(PaymentEvent)
        .where(PaymentEvent.booking_id == booking_id)
        .order_by(PaymentEvent.received_at, PaymentEvent.id)
    ).all()


def count_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PaymentEvent)) or 0
