"""``PaymentProvider`` on the official Stripe SDK, against Stripe or the local sandbox.

One ``stripe.StripeClient`` per provider instance (never the SDK's global
module state), so the API base URL is a per-instance setting: production
points it at api.stripe.com, the demo and the tests at the sandbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import stripe

from leadscalendar.payments.errors import (
    PROVIDER_REFUSED_MESSAGE,
    PROVIDER_UNAVAILABLE_MESSAGE,
    PaymentError,
    PaymentProviderUnavailableError,
    PaymentRejectedError,
)
from leadscalendar.payments.provider import CheckoutRequest, CheckoutSession, Refund

if TYPE_CHECKING:
    from stripe.params import RefundCreateParams
    from stripe.params.checkout import SessionCreateParams

T = TypeVar("T")

PROVIDER_NAME = "stripe"

logger = logging.getLogger(__name__)


class StripePaymentProvider:
    """Checkout Sessions and refunds through the Stripe API at ``api_base``."""

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str = "https://api.stripe.com",
        timeout_seconds: float = 20.0,
        max_network_retries: int = 2,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")},
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout_seconds),
        )
        self._clock = clock or (lambda: datetime.now(UTC))

    @property
    def name(self) -> str:
        return PROVIDER_NAME

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """Create a hosted Checkout Session for one booking.

        The booking id travels three ways (client_reference_id, session metadata
        and PaymentIntent metadata) so every later webhook about this money can
        be tied back to the booking without another API call.
        """
        request.check_lifetime(self._clock())
        metadata = request.provider_metadata()
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency,
                        "unit_amount": request.amount_minor,
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "client_reference_id": str(request.booking_id),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "expires_at": int(request.expires_at.timestamp()),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        session = _call(
            lambda: self._client.v1.checkout.sessions.create(
                params, {"idempotency_key": request.idempotency_key}
            )
        )
        return _checkout_session(session)

    def retrieve_checkout(self, session_id: str) -> CheckoutSession:
        """The session as the provider sees it now (reconciliation when a webhook is late)."""
        return _checkout_session(
            _call(lambda: self._client.v1.checkout.sessions.retrieve(session_id))
        )

    def expire_checkout(self, session_id: str) -> CheckoutSession:
        """Stop the lead from paying for a booking whose hold is gone.

        Stripe refuses with ``PaymentRejectedError`` when the session is no longer
        open; the caller must then read the payment outcome, not assume none.
        """
        return _checkout_session(
            _call(lambda: self._client.v1.checkout.sessions.expire(session_id))
        )

    def refund(
        self,
        payment_intent_id: str,
        amount_minor: int | None,
        idempotency_key: str,
        *,
        metadata: Mapping[str, str] | None = None,
    ) -> Refund:
        """Refund all (``amount_minor=None``) or part of a payment, at most once per key."""
        if amount_minor is not None and amount_minor <= 0:
            raise ValueError("a partial refund must be positive")
        params: RefundCreateParams = {"payment_intent": payment_intent_id}
        if amount_minor is not None:
            params["amount"] = amount_minor
        if metadata:
            params["metadata"] = dict(metadata)
        refund = _call(
            lambda: self._client.v1.refunds.create(params, {"idempotency_key": idempotency_key})
        )
        return Refund(
            id=refund.id,
            status=refund.status or "pending",
            amount_minor=refund.amount,
            currency=refund.currency,
            payment_intent_id=_expandable_id(refund.payment_intent),
        )


def _call(operation: Callable[[], T]) -> T:
    try:
        return operation()
    except stripe.StripeError as exc:
        raise translate_stripe_error(exc) from exc


def translate_stripe_error(exc: stripe.StripeError) -> PaymentError:
    """Sort SDK errors into retryable and permanent, with a message fit for a lead.

    Stripe's own text is for developers and can quote a masked API key ("Invalid
    API Key provided: sk_live_****1234"), so it goes to the log (which redacts
    secrets) and never into the error's message, which pages and JSON show.
    """
    status = exc.http_status
    param: Any = getattr(exc, "param", None)
    logger.warning(
        "payment provider error %s (status %s, code %s, param %s, request %s): %s",
        type(exc).__name__,
        status,
        exc.code,
        param,
        exc.request_id,
        exc.user_message,
    )
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
        status is None or status >= 500 or status == 409
    ):
        return PaymentProviderUnavailableError(PROVIDER_UNAVAILABLE_MESSAGE)
    return PaymentRejectedError(
        PROVIDER_REFUSED_MESSAGE,
        code=exc.code,
        param=param if isinstance(param, str) else None,
        provider_status=status,
    )


def _checkout_session(session: stripe.checkout.Session) -> CheckoutSession:
    return CheckoutSession(
        id=session.id,
        url=session.url,
        expires_at=datetime.fromtimestamp(session.expires_at, UTC),
        status=session.status or "open",
        payment_status=session.payment_status,
        payment_intent_id=_expandable_id(session.payment_intent),
        client_reference_id=session.client_reference_id,
        amount_total=session.amount_total,
        currency=session.currency,
        livemode=session.livemode,
    )


def _expandable_id(value: str | stripe.PaymentIntent | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.id
