from __future__ import annotations

import pytest

from leadscalendar.config import (
    DEV_STRIPE_API_KEY,
    DEV_STRIPE_WEBHOOK_SECRET,
    Settings,
    load_settings,
)
from leadscalendar.errors import ConfigurationError
from leadscalendar.sandbox.payments import PaymentsSandboxConfig

REAL = {
    "LEADSCALENDAR_ENVIRONMENT": "production",
    # Production also wants an https public URL and 32 random bytes of secret key.
    "LEADSCALENDAR_SECRET_KEY": "q3Zr8Xw-LpT0vN6yHc2JmB9sKd4fGa1eUi7oWtRxYzE",
    "LEADSCALENDAR_PUBLIC_URL": "https://book.example.com",
    "LEADSCALENDAR_GOOGLE_CLIENT_ID": "123-abc.apps.googleusercontent.com",
    "LEADSCALENDAR_GOOGLE_CLIENT_SECRET": "GOCSPX-real-looking-secret",
    "LEADSCALENDAR_TOKEN_KEYS": "k" * 43 + "=",
    "LEADSCALENDAR_PAYMENT_PROVIDER": "stripe",
    "LEADSCALENDAR_STRIPE_API_KEY": "sk_live_real-looking-key",
    "LEADSCALENDAR_STRIPE_WEBHOOK_SECRET": "whsec_real-looking-secret",
}


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in REAL.items():
        monkeypatch.setenv(name, value)
    assert load_settings().payment_provider == "stripe"
    return monkeypatch


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STRIPE_API_KEY", DEV_STRIPE_API_KEY),
        ("STRIPE_API_KEY", ""),
        ("STRIPE_WEBHOOK_SECRET", DEV_STRIPE_WEBHOOK_SECRET),
        ("STRIPE_WEBHOOK_SECRET", "change-me"),
        ("PAYMENT_PROVIDER", "sandbox"),
    ],
)
def test_production_refuses_placeholder_payment_settings(
    production: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    production.setenv(f"LEADSCALENDAR_{variable}", value)
    with pytest.raises(ConfigurationError, match=f"LEADSCALENDAR_{variable}"):
        load_settings()


def test_development_defaults_match_the_sandbox_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh clone talks to a default sandbox without configuring any secret."""
    for name in ("PAYMENT_PROVIDER", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(f"LEADSCALENDAR_{name}", raising=False)
    settings, sandbox = Settings(), PaymentsSandboxConfig()
    assert settings.payment_provider == "sandbox"
    assert (settings.stripe_api_key, settings.stripe_webhook_secret) == (
        sandbox.api_key,
        sandbox.webhook_secret,
    )
    assert settings.stripe_api_base == "https://api.stripe.com"


def test_base_urls_lose_their_trailing_slash() -> None:
    settings = Settings(
        stripe_api_base="https://api.stripe.com/", payments_sandbox_url="http://127.0.0.1:8002/"
    )
    assert settings.stripe_api_base == "https://api.stripe.com"
    assert settings.payments_sandbox_url == "http://127.0.0.1:8002"
