"""One row per counted event of a sliding window (the database store)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadscalendar.db.base import Base, IdMixin


class RateLimitHit(IdMixin, Base):
    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_key_at", "key_hash", "at"),)

    # SHA-256 of the limit's key: the keys hold client addresses and typed e-mails,
    # which the table has no reason to keep readable.
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    # When the row stops counting in any window: the sweep deletes by it.
    expires_at: Mapped[datetime] = mapped_column(index=True)
