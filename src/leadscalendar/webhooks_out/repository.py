"""Every query of the outbound webhooks domain."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, Row, SQLColumnExpression, exists, func, insert, select, update
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


def any_enabled_endpoint(host_id: SQLColumnExpression[uuid.UUID]) -> Exists:
    """Whether the host in ``host_id`` has an enabled endpoint: a column for another query."""
    return exists().where(WebhookEndpoint.host_id == host_id, WebhookEndpoint.enabled.is_(True))


def listening_endpoint_ids(
    session: Session, host_id: uuid.UUID, event_type: str
) -> list[uuid.UUID]:
    """The host's enabled endpoints subscribed to ``event_type``, oldest first.

    Asked on every booking change (most hosts have none): two columns, no ORM
    objects, rather than whole endpoints whose secrets nobody reads here.
    """
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types)
        .where(WebhookEndpoint.host_id == host_id, WebhookEndpoint.enabled.is_(True))
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    ).all()
    return [endpoint_id for endpoint_id, event_types in rows if event_type in event_types]


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


def delivery_plan(session: Session, delivery_id: uuid.UUID) -> Row[*tuple[Any, ...]] | None:
    """What sending a delivery needs (its state, endpoint and message), in one statement.

    Columns rather than three ORM loads: a delivery's read is on the hot path
    of every webhook sent, and nothing in it is changed through the ORM.
    """
    row: Row[*tuple[Any, ...]] | None = session.execute(
        select(
            WebhookDelivery.status,
            WebhookDelivery.first_attempt_at,
            WebhookDelivery.endpoint_id,
            WebhookDelivery.booking_id,
            WebhookEndpoint.url,
            WebhookEndpoint.enabled,
            WebhookEndpoint.event_types,
            WebhookEndpoint.secret_ciphertext,
            WebhookEndpoint.previous_secret_expires_at,
            WebhookEndpoint.failing_since,
            WebhookEndpoint.last_success_at,
            WebhookMessage.id.label("message_id"),
            WebhookMessage.event_type,
            WebhookMessage.payload,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
        .where(WebhookDelivery.id == delivery_id)
    ).one_or_none()
    return row


def update_delivery(session: Session, delivery_id: uuid.UUID, values: Mapping[str, Any]) -> bool:
    """One UPDATE (which also row-locks it until commit); False if the delivery is gone."""
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(dict(values))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def counted_attempt(started: datetime) -> dict[str, Any]:
    """The delivery's columns an attempt moves, as UPDATE values computed by the database."""
    return {
        "attempt_count": WebhookDelivery.attempt_count + 1,
        "first_attempt_at": func.coalesce(WebhookDelivery.first_attempt_at, started),
    }


def add_attempt(session: Session, **values: Any) -> None:
    session.execute(insert(WebhookAttempt).values(id=uuid.uuid4(), **values))


def next_waiting_id(
    session: Session, endpoint_id: uuid.UUID, booking_id: uuid.UUID
) -> uuid.UUID | None:
    """The oldest delivery waiting behind a finished one, row-locked, or None."""
    return session.scalar(
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.booking_id == booking_id,
            WebhookDelivery.status == DeliveryStatus.WAITING,
        )
        .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        .limit(1)
        .with_for_update()
    )


def mark_endpoint(
    session: Session, endpoint_id: uuid.UUID, *, succeeded: bool, now: datetime
) -> None:
    """Record a success (clears ``failing_since``) or the first failure since the last one.

    Guarded UPDATEs: a failure only writes when the endpoint was not failing yet,
    so busy endpoints' rows are not rewritten (and locked) by every delivery.
    """
    query = update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if succeeded:
        query = query.values(last_success_at=now, failing_since=None)
    else:
        query = query.where(WebhookEndpoint.failing_since.is_(None)).values(failing_since=now)
    session.execute(query.execution_options(synchronize_session=False))


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
