"""A local stand-in for Stripe: Checkout Sessions, refunds and signed webhooks.

It speaks Stripe's wire format (form-encoded requests, Stripe-shaped JSON and
errors, ``Idempotency-Key``, ``Stripe-Signature``), so the application's
production Stripe provider runs against it unchanged. It imports nothing of
the application.
"""

from leadscalendar.sandbox.payments.app import create_payments_sandbox_app, run_payments_sandbox
from leadscalendar.sandbox.payments.config import PaymentsSandboxConfig
from leadscalendar.sandbox.payments.delivery import sign_payload

__all__ = [
    "PaymentsSandboxConfig",
    "create_payments_sandbox_app",
    "run_payments_sandbox",
    "sign_payload",
]
