"""Every query of the idempotency domain."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadscalendar.idempotency.models import IdempotencyKey


def get(session: Session, host_id: uuid.UUID, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.host_id == host_id, IdempotencyKey.key == key)
    )
