"""Every query of the outbound webhooks domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadscalendar.webhooks_out.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)

UNFINISHED = (DeliveryStatus.WAITING, DeliveryStatus.PENDING)


def list_endpoints(session: Session, host_id: uuid.UUID) -> Sequence[WebhookEndpoint]:
    return session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.host_id == host_id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    ).all()


def get_endpoint(
    session: Session, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def next_sequence(session: Session, booking_id: uuid.UUID) -> int:
    """The booking's next event number; callers hold the booking's row lock (its change)."""
    current = session.scalar(
        select(func.max(WebhookMessage.sequence)).where(WebhookMessage.booking_id == booking_id)
    )
    return int(current or 0) + 1


def lock_unfinished(
    session: Session, endpoint_ids: Sequence[uuid.UUID], booking_id: uuid.UUID
) -> Sequence[WebhookDelivery]:
    """Unfinished deliveries of a booking to these endpoints, row-locked.

    The lock meets the finishing delivery's UPDATE: whichever commits second
    sees the other's work (PostgreSQL re-checks a locked row's status after the
    wait), so a new delivery is never left waiting behind one that finished.
    """
    return session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id.in_(endpoint_ids),
            WebhookDelivery.booking_id == booking_id,
            WebhookDelivery.status.in_(UNFINISHED),
        )
        .with_for_update()
    ).all()


def next_waiting(
    session: Session, endpoint_id: uuid.UUID, booking_id: uuid.UUID
) -> WebhookDelivery | None:
    return session.scalar(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.booking_id == booking_id,
            WebhookDelivery.status == DeliveryStatus.WAITING,
        )
        .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        .limit(1)
        .with_for_update()
    )


def lock_delivery(session: Session, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    return session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def deliveries_of_endpoint(
    session: Session, endpoint_id: uuid.UUID, limit: int
) -> Sequence[tuple[WebhookDelivery, WebhookMessage]]:
    rows = session.execute(
        select(WebhookDelivery, WebhookMessage)
        .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        .limit(limit)
    ).all()
    return [(row[0], row[1]) for row in rows]


def attempts_of(
    session: Session, delivery_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookAttempt]]:
    found: dict[uuid.UUID, list[WebhookAttempt]] = {delivery_id: [] for delivery_id in delivery_ids}
    if not delivery_ids:
        return found
    for attempt in session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.started_at, WebhookAttempt.id)
    ):
        found[attempt.delivery_id].append(attempt)
    return found


def messages_of_booking(session: Session, booking_id: uuid.UUID) -> Sequence[WebhookMessage]:
    return session.scalars(
        select(WebhookMessage).where(WebhookMessage.booking_id == booking_id).with_for_update()
    ).all()


def attempts_of_booking(session: Session, booking_id: uuid.UUID) -> Sequence[WebhookAttempt]:
    return session.scalars(
        select(WebhookAttempt)
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .where(WebhookDelivery.booking_id == booking_id)
    ).all()
