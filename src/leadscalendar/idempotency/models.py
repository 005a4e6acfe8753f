"""One stored response per (host, surface, Idempotency-Key)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadscalendar.db.base import Base, IdMixin, str_enum, utcnow


class Surface(enum.StrEnum):
    """Who chose the key: each surface has its own key space, so none can name another's.

    A lead's public API client, a host's API integration and the booking
    pages' form nonces are different callers with different trust; a key is
    only ever looked up in the space of the surface that received it.
    """

    PUBLIC_API = "public_api"
    HOST_API = "host_api"
    PAGES = "pages"


class IdempotencyKey(IdMixin, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("host_id", "surface", "key"),)

    host_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    surface: Mapped[Surface] = mapped_column(str_enum(Surface))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of method, path and body: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int]
    response_body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
