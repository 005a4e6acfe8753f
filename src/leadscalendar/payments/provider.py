"""The payment provider protocol and the frozen values that cross it.

Bookings talk to ``PaymentProvider`` only; whether Stripe or the local sandbox
answers is a setting (see ``factory.build_payment_provider``), never a branch
in domain code.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Protocol

from leadscalendar.payments import money

# Stripe's documented bounds for Checkout Session ``expires_at``.
MIN_CHECKOUT_LIFETIME = timedelta(minutes=30)
MAX_CHECKOUT_LIFETIME = timedelta(hours=24)
# Stripe metadata limits: 50 keys, 40-character keys, 500-character values.
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500
MAX_IDEMPOTENCY_KEY_LENGTH = 255
# Keys the provider sets itself so a webhook can always be tied back to a booking.
RESERVED_METADATA_KEYS = frozenset({"booking_id", "host_id"})

_CURRENCY = re.compile(r"[a-z]{3}")


@dataclass(frozen=True)
class CheckoutRequest:
    """Everything needed to start a hosted checkout for one booking.

    Validated on construction so a bad request fails in our process, with a
    clear message, instead of as a 400 from the provider.
    """

    booking_id: uuid.UUID
    host_id: uuid.UUID
    amount_minor: int
    currency: str
    description: str
    customer_email: str | None
    success_url: str
    cancel_url: str
    expires_at: datetime
    idempotency_key: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    # When ``expires_at`` was chosen. A retry sends the very same request (Stripe
    # refuses a reused idempotency key with other parameters), so Stripe's
    # minimum lifetime is measured from the first attempt, not from the retry.
    first_attempt_at: datetime | None = None

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise ValueError("amount_minor must be an integer number of minor units")
        if self.amount_minor <= 0:
            raise ValueError("amount_minor must be positive; free bookings skip checkout")
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError("currency must be a lowercase ISO 4217 code such as 'eur'")
        # Never send an amount the provider reads differently from us (KWD in tens).
        money.check_charge(self.amount_minor, self.currency)
        if not self.description.strip():
            raise ValueError("description must not be empty (it is the line item's name)")
        if self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        if self.first_attempt_at is not None and self.first_attempt_at.tzinfo is None:
            raise ValueError("first_attempt_at must be timezone-aware")
        if not 0 < len(self.idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
            raise ValueError("idempotency_key must be 1 to 255 characters")
        for url_name in ("success_url", "cancel_url"):
            if not getattr(self, url_name).startswith(("https://", "http://")):
                raise ValueError(f"{url_name} must be an absolute http(s) URL")
        _check_metadata(self.metadata)
        # Freeze the mapping too, so the dataclass is immutable all the way down.
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def check_lifetime(self, now: datetime) -> None:
        """Refuse an expiry Stripe would refuse, measured from the first attempt (or ``now``).

        On a retry only the provider knows whether the first attempt arrived: if it
        did, it answers with that session whatever the time left; if not, it says
        the expiry is too close, which the caller handles (see ``web.booking_flow``).
        """
        lifetime = self.expires_at - (self.first_attempt_at or now)
        if lifetime < MIN_CHECKOUT_LIFETIME or lifetime > MAX_CHECKOUT_LIFETIME:
            raise ValueError("expires_at must be between 30 minutes and 24 hours from now")
        if self.expires_at <= now:
            raise ValueError("expires_at has passed")

    def provider_metadata(self) -> dict[str, str]:
        """Caller metadata plus the reserved keys, which always win."""
        return {
            **self.metadata,
            "booking_id": str(self.booking_id),
            "host_id": str(self.host_id),
        }


def _check_metadata(metadata: Mapping[str, str]) -> None:
    if len(metadata) + len(RESERVED_METADATA_KEYS) > MAX_METADATA_KEYS:
        raise ValueError(f"metadata allows at most {MAX_METADATA_KEYS - 2} caller keys")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError("metadata keys and values must be strings")
        if key in RESERVED_METADATA_KEYS:
            raise ValueError(f"metadata key {key!r} is reserved")
        if not 0 < len(key) <= MAX_METADATA_KEY_LENGTH:
            raise ValueError("metadata keys must be 1 to 40 characters")
        if len(value) > MAX_METADATA_VALUE_LENGTH:
            raise ValueError("metadata values must be at most 500 characters")


@dataclass(frozen=True)
class CheckoutSession:
    """The provider's view of a checkout; ``url`` is None once it is no longer open."""

    id: str
    url: str | None
    expires_at: datetime
    status: str
    payment_status: str
    payment_intent_id: str | None
    client_reference_id: str | None
    amount_total: int | None
    currency: str | None
    # Live or test mode: a paid event for this session must be in the same mode.
    livemode: bool = False


@dataclass(frozen=True)
class Refund:
    id: str
    status: str
    amount_minor: int
    currency: str
    payment_intent_id: str | None


class PaymentProvider(Protocol):
    """What bookings need from a payment provider; every write takes an idempotency key."""

    @property
    def name(self) -> str:
        """The provider's name as stored in ``payment_events.provider``."""
        ...

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...

    def retrieve_checkout(self, session_id: str) -> CheckoutSession: ...

    def expire_checkout(self, session_id: str) -> CheckoutSession:
        """Close an open checkout (the hold ended); fails if the lead has already paid."""
        ...

    def refund(
        self,
        payment_intent_id: str,
        amount_minor: int | None,
        idempotency_key: str,
        *,
        metadata: Mapping[str, str] | None = None,
    ) -> Refund: ...
