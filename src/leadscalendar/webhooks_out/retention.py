"""Finished deliveries age out, so the webhook tables grow with the work in flight.

Only what no longer matters goes: delivered, failed and skipped deliveries
(with their attempts) finished before the cut-off, then the messages no
delivery refers to any more. A waiting or pending delivery stays whatever its
age, and so does its message: an event is never dropped before it was sent
or given up on. A host's delivery log then shows the retention period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from leadscalendar.webhooks_out.models import (
    FINISHED_STATUSES,
    WebhookAttempt,
    WebhookDelivery,
    WebhookMessage,
)


def prune_finished(session: Session, *, finished_before: datetime, limit: int) -> int:
    """Delete up to ``limit`` old finished deliveries and orphaned old messages; the count.

    The count is of deliveries and messages together, so a full batch of
    either tells the caller there may be more.
    """
    ids = list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status.in_(FINISHED_STATUSES),
                WebhookDelivery.finished_at < finished_before,
            )
            .order_by(WebhookDelivery.finished_at)
            .limit(limit)
        )
    )
    if ids:
        session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
    referred = exists().where(WebhookDelivery.message_id == WebhookMessage.id)
    messages = list(
        session.scalars(
            select(WebhookMessage.id)
            .where(WebhookMessage.created_at < finished_before, ~referred)
            .limit(limit)
        )
    )
    if messages:
        session.execute(delete(WebhookMessage).where(WebhookMessage.id.in_(messages)))
    return max(len(ids), len(messages))
