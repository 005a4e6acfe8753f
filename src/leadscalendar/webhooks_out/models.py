"""Endpoints a host subscribed, the events sent to them, and every try at sending.

A message is one booking event with the payload it had at that moment; a
delivery is that message on its way to one endpoint; an attempt is one HTTP
request of a delivery. Deliveries of the same booking to the same endpoint go
one at a time, in order: ``waiting`` ones have no job until the one before
them has finished (``service.start_next``).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

# Endpoints point at hosts: the Host table must be in the metadata whenever they are. The
# bookings table is there too in every process that emits events (bookings imports this
# domain, not the other way round).
from leadscalendar.accounts.models import Host as _Host  # noqa: F401
from leadscalendar.db.base import Base, IdMixin, TimestampMixin, str_enum, utcnow


class EventType(enum.StrEnum):
    BOOKING_PAID = "booking.paid"
    BOOKING_SCHEDULED = "booking.scheduled"
    BOOKING_AWAITING_APPROVAL = "booking.awaiting_approval"
    BOOKING_RESCHEDULED = "booking.rescheduled"
    BOOKING_CANCELLED = "booking.cancelled"
    BOOKING_REFUNDED = "booking.refunded"
    BOOKING_DECLINED = "booking.declined"


class DeliveryStatus(enum.StrEnum):
    # Behind an unfinished delivery of the same booking to the same endpoint.
    WAITING = "waiting"
    # Its job is queued, running or retrying.
    PENDING = "pending"
    DELIVERED = "delivered"
    # The receiver refused it for good, or kept failing past the retry window.
    FAILED = "failed"
    # Not sent: the endpoint was disabled or unsubscribed before its turn.
    SKIPPED = "skipped"


FINISHED_STATUSES = frozenset(
    {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED}
)


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    __tablename__ = "webhook_endpoints"

    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Event type values; an empty list would receive nothing, so it is refused on input.
    event_types: Mapped[list[str]] = mapped_column(JSON)
    # {"current": "whsec_...", "previous": "whsec_..." | null}, encrypted like Google tokens.
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    # Until then the previous secret signs too (rotation overlap); None: no previous one.
    previous_secret_expires_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    # Why it is disabled, in words for the host (by them, or after failing for days).
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None]
    # The first failure since the last success; None while it answers.
    failing_since: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]


class WebhookMessage(IdMixin, Base):
    """One booking event, with the booking as it was then (the payload's ``data``)."""

    __tablename__ = "webhook_messages"
    __table_args__ = (UniqueConstraint("booking_id", "sequence"),)

    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), index=True
    )
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    # 1, 2, ... per booking: the order a receiver sees the booking's events in.
    sequence: Mapped[int]
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(IdMixin, Base):
    __tablename__ = "webhook_deliveries"
    # "Is an earlier delivery of this booking to this endpoint unfinished?" and the log.
    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint_booking", "endpoint_id", "booking_id", "status"),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_messages.id", ondelete="CASCADE"), index=True
    )
    booking_id: Mapped[uuid.UUID]
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_attempt_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    attempt_count: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None]
    # The last failure, or why it was skipped, in words for the host.
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookAttempt(IdMixin, Base):
    """One HTTP request of a delivery, for the host's delivery log."""

    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime]
    duration_ms: Mapped[int]
    status_code: Mapped[int | None]
    # The first bytes of the receiver's answer (never more than the sender reads).
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
