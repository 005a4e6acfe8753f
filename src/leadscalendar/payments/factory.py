"""Choose the payment provider from settings, never from "are we testing?".

The sandbox is not a second implementation: it is ``StripePaymentProvider``
with the API base pointed at the local payments sandbox, so the demo and the
integration tests exercise exactly the production code path.
"""

from __future__ import annotations

from leadscalendar.config import Settings
from leadscalendar.payments.provider import PaymentProvider
from leadscalendar.payments.stripe import StripePaymentProvider


def build_payment_provider(settings: Settings) -> PaymentProvider:
    """The configured provider: Stripe itself, or Stripe's wire format served by the sandbox."""
    api_base = (
        settings.stripe_api_base
        if settings.payment_provider == "stripe"
        else settings.payments_sandbox_url
    )
    return StripePaymentProvider(
        settings.stripe_api_key,
        api_base=api_base,
        timeout_seconds=settings.stripe_http_timeout_seconds,
        max_network_retries=settings.stripe_max_network_retries,
    )
