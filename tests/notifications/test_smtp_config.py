"""LEADSCALENDAR_SMTP_URL parsing: every form we document, and the mistakes we refuse."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from leadscalendar.config import Settings
from leadscalendar.errors import ConfigurationError
from leadscalendar.notifications import LogOnlyTransport, SmtpConfig, SmtpTransport, build_mailer


def test_starttls_with_percent_encoded_credentials() -> None:
    config = SmtpConfig.from_url(
        "smtp://mailer%40corp:p%40ss%3Aw%2Frd@mail.example.com:587?starttls=1"
    )
    assert (config.host, config.port) == ("mail.example.com", 587)
    assert config.starttls and not config.implicit_tls
    assert config.username == "mailer@corp"
    assert config.password == "p@ss:w/rd"


def test_smtps_defaults_to_port_465_and_implicit_tls() -> None:
    config = SmtpConfig.from_url("SMTPS://user:secret@mail.example.com")
    assert config.port == 465 and config.implicit_tls and not config.starttls


def test_plain_smtp_without_credentials() -> None:
    config = SmtpConfig.from_url("smtp://127.0.0.1:2525?timeout=3&helo=app.example.com")
    assert config.port == 2525 and config.username is None and config.password is None
    assert config.timeout_seconds == 3.0 and config.local_hostname == "app.example.com"


def test_the_password_never_shows_in_repr_or_address() -> None:
    config = SmtpConfig.from_url("smtp://user:hunter2-very-secret@mail.example.com:587")
    assert "hunter2" not in repr(config)
    assert "hunter2" not in config.address
    assert "hunter2" not in SmtpTransport(config).description


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.com",
        "smtp://",
        "smtp://mail.example.com:notaport",
        "smtps://mail.example.com?starttls=1",
        "smtp://mail.example.com?tls=1",
        "smtp://mail.example.com?timeout=soon",
    ],
)
def test_malformed_urls_are_refused_at_start(url: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        SmtpConfig.from_url(url)
    assert "LEADSCALENDAR_SMTP_URL" in raised.value.message or "smtps" in raised.value.message


def test_the_mailer_follows_the_setting() -> None:
    assert isinstance(build_mailer(Settings()).transport, LogOnlyTransport)
    settings = Settings(smtp_url=SecretStr("smtp://127.0.0.1:2525"))
    mailer = build_mailer(settings)
    assert isinstance(mailer.transport, SmtpTransport) and mailer.sends
    assert "2525" not in repr(settings.smtp_url)


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADSCALENDAR_SMTP_URL", "smtps://u:topsecret@mail.example.com")
    monkeypatch.setenv("LEADSCALENDAR_MAIL_FROM", "Coach <coach@example.com>")
    settings = Settings()
    assert settings.smtp_url.get_secret_value().startswith("smtps://")
    assert settings.mail_from == "Coach <coach@example.com>"
    assert "topsecret" not in repr(settings)
