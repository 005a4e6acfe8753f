"""Settings of the payments sandbox (plain values: the sandbox reads no environment)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_API_KEY = "sk_test_leadscalendar_sandbox"
DEFAULT_WEBHOOK_SECRET = "whsec_leadscalendar_sandbox"  # noqa: S105 - a known dev value
# The API version stamped on events; the SDK's own version at the time of writing.
DEFAULT_API_VERSION = "2026-10-28.endive"


@dataclass(frozen=True)
class PaymentsSandboxConfig:
    """How the sandbox authenticates callers and where it sends signed webhooks.

    ``public_url`` is the base of hosted checkout links; when None it is taken
    from each API request's own base URL, which is right on loopback.
    """

    api_key: str = DEFAULT_API_KEY
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    webhook_url: str | None = None
    public_url: str | None = None
    api_version: str = DEFAULT_API_VERSION
    # Delivery retries: exponential backoff from the initial delay, capped.
    delivery_max_attempts: int = 6
    delivery_initial_backoff_seconds: float = 0.5
    delivery_max_backoff_seconds: float = 30.0
    delivery_timeout_seconds: float = 10.0
    # How often the background worker looks for sessions past expires_at.
    expiry_sweep_seconds: float = 1.0
