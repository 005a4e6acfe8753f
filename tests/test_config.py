from __future__ import annotations

import pytest

from leadscalendar.config import Settings, load_settings
from leadscalendar.errors import ConfigurationError


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
    monkeypatch.setenv("LEADSCALENDAR_SECRET_KEY", "s3cr3t-value-from-a-vault-0123456789")
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
