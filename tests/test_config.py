from __future__ import annotations

import pytest

from leadscalendar.config import Settings, load_settings
from leadscalendar.errors import ConfigurationError

# 32 random bytes as secrets.token_urlsafe(32) writes them (fixed here for repeatability).
STRONG_SECRET_KEY = "q3Zr8Xw-LpT0vN6yHc2JmB9sKd4fGa1eUi7oWtRxYzE"
PRODUCTION = {
    "LEADSCALENDAR_ENVIRONMENT": "production",
    "LEADSCALENDAR_SECRET_KEY": STRONG_SECRET_KEY,
    "LEADSCALENDAR_PUBLIC_URL": "https://book.example.com",
    "LEADSCALENDAR_GOOGLE_CLIENT_ID": "123-abc.apps.googleusercontent.com",
    "LEADSCALENDAR_GOOGLE_CLIENT_SECRET": "GOCSPX-real-looking-secret",
    "LEADSCALENDAR_TOKEN_KEYS": "k" * 43 + "=",
    "LEADSCALENDAR_PAYMENT_PROVIDER": "stripe",
    "LEADSCALENDAR_STRIPE_API_KEY": "sk_live_real-looking-key",
    "LEADSCALENDAR_STRIPE_WEBHOOK_SECRET": "whsec_real-looking-secret",
}


def test_defaults_point_at_googles_real_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GOOGLE_AUTH_URI", "GOOGLE_TOKEN_URI", "GOOGLE_REVOKE_URI"):
        monkeypatch.delenv(f"LEADSCALENDAR_{name}", raising=False)
    settings = Settings()
    assert settings.google_auth_uri == "https://accounts.google.com/o/oauth2/v2/auth"
    assert settings.google_token_uri == "https://oauth2.googleapis.com/token"
    assert settings.google_revoke_uri == "https://oauth2.googleapis.com/revoke"


def test_a_bad_variable_is_named_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADSCALENDAR_OAUTH_STATE_TTL_SECONDS", "ten minutes")
    with pytest.raises(ConfigurationError, match="LEADSCALENDAR_OAUTH_STATE_TTL_SECONDS"):
        load_settings()


@pytest.mark.parametrize("variable", ["SECRET_KEY", "GOOGLE_CLIENT_SECRET", "GOOGLE_CLIENT_ID"])
def test_production_refuses_placeholder_secrets(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv("LEADSCALENDAR_ENVIRONMENT", "production")
    monkeypatch.setenv("LEADSCALENDAR_SECRET_KEY", STRONG_SECRET_KEY)
    monkeypatch.setenv("LEADSCALENDAR_PUBLIC_URL", "https://book.example.com")
    monkeypatch.setenv("LEADSCALENDAR_GOOGLE_CLIENT_ID", "123-abc.apps.googleusercontent.com")
    monkeypatch.setenv("LEADSCALENDAR_GOOGLE_CLIENT_SECRET", "GOCSPX-real-looking-secret")
    monkeypatch.setenv("LEADSCALENDAR_TOKEN_KEYS", "k" * 43 + "=")
    monkeypatch.setenv("LEADSCALENDAR_PAYMENT_PROVIDER", "stripe")
    monkeypatch.setenv("LEADSCALENDAR_STRIPE_API_KEY", "sk_live_real-looking-key")
    monkeypatch.setenv("LEADSCALENDAR_STRIPE_WEBHOOK_SECRET", "whsec_real-looking-secret")
    assert load_settings().environment == "production"
    monkeypatch.setenv(f"LEADSCALENDAR_{variable}", "change-me")
    with pytest.raises(ConfigurationError, match=f"LEADSCALENDAR_{variable}"):
        load_settings()


def test_production_requires_token_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADSCALENDAR_ENVIRONMENT", "production")
    monkeypatch.setenv("LEADSCALENDAR_SECRET_KEY", "s3cr3t-value-from-a-vault-0123456789")
    monkeypatch.setenv("LEADSCALENDAR_GOOGLE_CLIENT_ID", "123-abc.apps.googleusercontent.com")
    monkeypatch.setenv("LEADSCALENDAR_GOOGLE_CLIENT_SECRET", "GOCSPX-real-looking-secret")
    monkeypatch.delenv("LEADSCALENDAR_TOKEN_KEYS", raising=False)
    with pytest.raises(ConfigurationError, match="LEADSCALENDAR_TOKEN_KEYS"):
        load_settings()


def test_token_keys_are_split_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADSCALENDAR_TOKEN_KEYS", " first , second ")
    assert Settings().token_keys == ["first", "second"]


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    assert load_settings().environment == "production"
    return monkeypatch


@pytest.mark.parametrize(
    "secret_key",
    [
        "s3cr3t-value-from-a-vault-0123456789",  # 36 characters, far from 32 random bytes
        "nVDmEljcDvVNVlP1y2KeLVv2wy4p90tmuNNA4EPfnw",  # token_urlsafe(31): 31 bytes
        "a1" * 40,  # long, but two characters repeated
        "correct horse battery staple and more words",
    ],
)
def test_production_refuses_a_secret_key_weaker_than_32_random_bytes(
    production: pytest.MonkeyPatch, secret_key: str
) -> None:
    production.setenv("LEADSCALENDAR_SECRET_KEY", secret_key)
    with pytest.raises(ConfigurationError, match=r"LEADSCALENDAR_SECRET_KEY.*32 random bytes"):
        load_settings()


@pytest.mark.parametrize(
    "secret_key",
    [
        STRONG_SECRET_KEY,  # secrets.token_urlsafe(32)
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",  # token_hex(32)
        "kQ0vUMe3Jmm5s4M0Yb1gQmR8ZK4dOQ5m8x8Jb6l0Tn0=",  # openssl rand -base64 32
    ],
)
def test_production_accepts_generated_secret_keys(
    production: pytest.MonkeyPatch, secret_key: str
) -> None:
    production.setenv("LEADSCALENDAR_SECRET_KEY", secret_key)
    assert load_settings().secret_key == secret_key


def test_production_refuses_a_public_url_without_https(production: pytest.MonkeyPatch) -> None:
    production.setenv("LEADSCALENDAR_PUBLIC_URL", "http://book.example.com")
    with pytest.raises(ConfigurationError, match="LEADSCALENDAR_PUBLIC_URL must be an https"):
        load_settings()


@pytest.mark.parametrize(
    "api_base",
    ["http://127.0.0.1:8002", "https://api.stripe.com.evil.example", "http://api.stripe.com"],
)
def test_production_refuses_a_payment_api_that_is_not_stripes(
    production: pytest.MonkeyPatch, api_base: str
) -> None:
    production.setenv("LEADSCALENDAR_STRIPE_API_BASE", api_base)
    with pytest.raises(ConfigurationError, match="LEADSCALENDAR_STRIPE_API_BASE"):
        load_settings()


@pytest.mark.parametrize("key", ["sk_test_51Habcdefghijklmnop", "rk_test_51Habcdefghijklmnop"])
def test_production_refuses_stripe_test_keys_unless_explicitly_allowed(
    production: pytest.MonkeyPatch, key: str
) -> None:
    production.setenv("LEADSCALENDAR_STRIPE_API_KEY", key)
    with pytest.raises(ConfigurationError, match="LEADSCALENDAR_ALLOW_STRIPE_TEST_MODE"):
        load_settings()
    production.setenv("LEADSCALENDAR_ALLOW_STRIPE_TEST_MODE", "true")
    assert load_settings().stripe_api_key == key


def test_development_allows_what_production_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEADSCALENDAR_ENVIRONMENT", raising=False)
    settings = Settings(
        secret_key="short", public_url="http://127.0.0.1:8000", stripe_api_key="sk_test_x"
    )
    assert settings.public_url == "http://127.0.0.1:8000"


def test_the_log_format_defaults_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    assert Settings().resolved_log_format == "json"
    monkeypatch.setenv("LEADSCALENDAR_ENVIRONMENT", "development")
    assert Settings().resolved_log_format == "console"
    monkeypatch.setenv("LEADSCALENDAR_LOG_FORMAT", "json")
    assert Settings().resolved_log_format == "json"


def test_the_metrics_address_is_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().metrics_bind is None
    monkeypatch.setenv("LEADSCALENDAR_METRICS_ADDRESS", "127.0.0.1:9100")
    assert Settings().metrics_bind == ("127.0.0.1", 9100)
    monkeypatch.setenv("LEADSCALENDAR_METRICS_ADDRESS", "[::1]:9100")
    assert Settings().metrics_bind == ("::1", 9100)
    for wrong in ("9100", "localhost", "host:99999", ":9100"):
        monkeypatch.setenv("LEADSCALENDAR_METRICS_ADDRESS", wrong)
        with pytest.raises(ConfigurationError, match="LEADSCALENDAR_METRICS_ADDRESS"):
            load_settings()
