"""The audit log of erasures: who erased which bookings' lead data, and when.

It names the bookings, never the lead: the e-mail address that was erased is
exactly what must not be kept.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadscalendar.db.base import Base, IdMixin, utcnow


class LeadErasure(IdMixin, Base):
    __tablename__ = "lead_erasures"

    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), index=True
    )
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who asked: "dashboard" or "api key <name> (<prefix>...)".
    actor: Mapped[str] = mapped_column(String(200))
    booking_ids: Mapped[list[str]] = mapped_column(JSON)
    # Rows changed per kind ({"bookings": 2, "mails_cancelled": 1, ...}).
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
