"""The append-only log of payment events received from the provider.

A row is written once per provider event and never changed: booking state is
derived from this log or changed only alongside a new row (DESIGN.md,
convention 6). The unique (provider, external_id) pair is what makes
redelivered webhooks harmless.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from leadscalendar.db.base import Base, IdMixin, str_enum, utcnow


class PaymentEventKind(enum.StrEnum):
    """What an event means for a booking, independent of the provider's event names."""

    CHECKOUT_PAID = "checkout_paid"
    # Completed with a delayed payment method: money is not there yet.
    CHECKOUT_AWAITING_ASYNC = "checkout_awaiting_async"
    ASYNC_SUCCEEDED = "async_succeeded"
    ASYNC_FAILED = "async_failed"
    CHECKOUT_EXPIRED = "checkout_expired"
    REFUND_UPDATED = "refund_updated"
    OTHER = "other"


class PaymentEvent(IdMixin, Base):
    __tablename__ = "payment_events"
    __table_args__ = (
        UniqueConstraint("provider", "external_id", name="uq_payment_events_provider_external_id"),
    )

    provider: Mapped[str] = mapped_column(String(32))
    # The provider's event id (Stripe: evt_...).
    external_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[PaymentEventKind] = mapped_column(str_enum(PaymentEventKind))
    # No foreign key: bookings are another domain, and an event for an unknown
    # booking must still be recorded rather than rejected.
    booking_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payment_status: Mapped[str | None] = mapped_column(String(32))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    provider_created_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The body that was signed, kept for audits, with booking-link tokens masked
    # (payments.service.without_booking_tokens): not re-verifiable, never a working link.
    raw: Mapped[str] = mapped_column(Text)


class AppendOnlyViolationError(RuntimeError):
    """Raised when code tries to change or delete a recorded payment event."""


@event.listens_for(PaymentEvent, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: PaymentEvent) -> None:
    raise AppendOnlyViolationError(f"payment event {target.external_id} is append-only")


@event.listens_for(PaymentEvent, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, target: PaymentEvent) -> None:
    raise AppendOnlyViolationError(f"payment event {target.external_id} is append-only")
