"""Every query of the payments domain. Payment events are only ever inserted and read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadscalendar.payments.models import PaymentEvent


def find_event(session: Session, provider: str, external_id: str) -> PaymentEvent | None:
    return session.scalars(
        select(PaymentEvent).where(
            PaymentEvent.provider == provider, PaymentEvent.external_id == external_id
        )
    ).one_or_none()


def insert_event_once(session: Session, row: PaymentEvent) -> bool:
    """Insert ``row`` unless (provider, external_id) is already recorded; True if inserted.

    The unique constraint is the arbiter, not a prior SELECT: two deliveries of
    one event racing on two workers both try to insert, one wins, and the
    loser's failure is confined to a savepoint so its transaction lives on.
    """
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Rolling back the savepoint already discarded ``row`` from the session.
        if find_event(session, row.provider, row.external_id) is None:
            raise  # some other constraint failed: a bug, not a duplicate
        return False
    return True


def events_for_booking(session: Session, booking_id: uuid.UUID) -> Sequence[PaymentEvent]:
    """The booking's payment history in the order we received it."""
    return session.scalars(
        select(PaymentEvent)
        .where(PaymentEvent.booking_id == booking_id)
        .order_by(PaymentEvent.received_at, PaymentEvent.id)
    ).all()


def count_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PaymentEvent)) or 0
