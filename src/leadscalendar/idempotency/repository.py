"""Every query of the idempotency domain."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadscalendar.idempotency.models import IdempotencyKey, Surface


def get(session: Session, host_id: uuid.UUID, surface: Surface, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.host_id == host_id,
            IdempotencyKey.surface == surface,
            IdempotencyKey.key == key,
        )
    )
