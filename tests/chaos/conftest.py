"""Chaos fixtures: a fast worker, the ``--chaos-scale`` knob, and a secrets scan of every run.

Every chaos test records every log line at DEBUG (ours, the libraries', the
servers') and the output of every worker subprocess, and fails if a secret in
play during the run shows up in any of them: the client secret, the Stripe
keys, the app's keys, and every Google token the app stored (recorded as the
cipher encrypts them, plus whatever the database holds at the end).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from leadscalendar.config import Settings
from leadscalendar.google.models import GoogleConnection
from leadscalendar.google.tokens import StoredTokens, TokenCipher
from leadscalendar.logging import CHATTY_LOGGERS
from leadscalendar.services import Services
from tests.support.booking_env import BookingEnv
from tests.support.bookings_env import BookingsEnv, engine_settings
from tests.support.google_sandbox import GoogleSandbox
from tests.support.payments import TEST_API_KEY, TEST_WEBHOOK_SECRET

LOGGERS = ("", *CHATTY_LOGGERS, "uvicorn", "uvicorn.access", "uvicorn.error", "stripe")
MIN_SECRET_LENGTH = 8


@pytest.fixture
def chaos_scale(request: pytest.FixtureRequest) -> int:
    scale = int(request.config.getoption("--chaos-scale"))
    if scale < 1:
        raise pytest.UsageError("--chaos-scale must be at least 1")
    return scale


@pytest.fixture
def app_settings(
    google_sandbox: GoogleSandbox, database_url: str, tmp_path: Path, app_port: int
) -> Settings:
    """``bookings_env``'s settings: fast backoff and polling (as in tests/bookings)."""
    return engine_settings(
        google_sandbox,
        database_url=database_url,
        data_dir=tmp_path,
        app_port=app_port,
        stripe_api_key=TEST_API_KEY,
        stripe_webhook_secret=TEST_WEBHOOK_SECRET,
    )


@pytest.fixture
def booking_settings(booking_settings: Settings) -> Settings:
    """The stripe env's settings, without the abuse limits: one test client books them all."""
    return booking_settings.model_copy(
        update={"holds_per_ip_per_hour": 0, "active_holds_per_email": 0}
    )


@pytest.fixture(autouse=True)
def _cheap_password_hashing(cheap_password_hashing: None) -> None:
    """Every scenario logs a host in; see ``bookings_env.cheap_password_hashing``."""


class SecretLedger:
    """Every secret seen during the run; tokens are added as the app encrypts them."""

    def __init__(self) -> None:
        self.values: set[str] = {TEST_API_KEY, TEST_WEBHOOK_SECRET}

    def add_settings(self, settings: Settings) -> None:
        self.values |= {
            settings.secret_key,
            settings.google_client_secret,
            settings.stripe_api_key,
            settings.stripe_webhook_secret,
            *settings.token_keys,
        }

    def add_tokens(self, tokens: StoredTokens) -> None:
        self.values |= {tokens.access_token, tokens.refresh_token or ""}

    def found_in(self, text: str) -> list[str]:
        return sorted(
            secret for secret in self.values if len(secret) >= MIN_SECRET_LENGTH and secret in text
        )


@pytest.fixture(autouse=True)
def secrets_scan(
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[SecretLedger]:
    ledger = SecretLedger()
    original = TokenCipher.encrypt_tokens

    def recording(self: TokenCipher, tokens: StoredTokens) -> bytes:
        ledger.add_tokens(tokens)
        return original(self, tokens)

    monkeypatch.setattr(TokenCipher, "encrypt_tokens", recording)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    # uvicorn's loggers do not propagate to the root logger: listen to them directly.
    detached = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.access")]
    for logger in detached:
        logger.addHandler(caplog.handler)
    try:
        yield ledger
    finally:
        for logger in detached:
            logger.removeHandler(caplog.handler)
    records = [
        *caplog.get_records("setup"),
        *caplog.get_records("call"),
        *caplog.get_records("teardown"),
    ]
    assert records, "a chaos run should have logged something to scan"
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    # format() adds tracebacks: an exception message is where a token would slip out.
    logged = "\n".join(formatter.format(record) for record in records)
    for path in sorted(tmp_path.glob("worker-*.log")):
        logged += path.read_text(errors="replace")
    leaks = ledger.found_in(logged)
    if leaks:
        # Not an assert: pytest would print the secrets it found into the CI log.
        pytest.fail(f"{len(leaks)} secret(s) in the logs of this chaos run", pytrace=False)


def _collect(services: Services, ledger: SecretLedger) -> None:
    """Settings and the tokens the database holds now (a worker subprocess may have refreshed)."""
    ledger.add_settings(services.settings)
    with services.session_factory() as session:
        for connection in session.scalars(select(GoogleConnection)):
            ledger.add_tokens(services.cipher.decrypt_tokens(connection.token_ciphertext))


@pytest.fixture
def chaos_env(bookings_env: BookingsEnv, secrets_scan: SecretLedger) -> Iterator[BookingsEnv]:
    """``bookings_env`` whose final secrets join the scan (torn down before the database)."""
    yield bookings_env
    _collect(bookings_env.services, secrets_scan)


@pytest.fixture
def chaos_stripe_env(
    stripe_booking_env: BookingEnv, secrets_scan: SecretLedger
) -> Iterator[BookingEnv]:
    yield stripe_booking_env
    _collect(stripe_booking_env.services, secrets_scan)
