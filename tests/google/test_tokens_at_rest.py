"""Tokens never sit in the database or the logs in the clear, and key rotation keeps them usable."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.engine import make_url

from leadscalendar.db.base import Base
from leadscalendar.google import service as google_service
from leadscalendar.google.calendar import GoogleCalendarClient
from leadscalendar.google.credentials import CredentialProvider
from leadscalendar.google.exceptions import ReauthorizationRequiredError
from leadscalendar.google.models import GoogleConnection, OAuthState
from leadscalendar.google.tokens import StoredTokens, TokenCipher, generate_key
from tests.support.app_env import ConnectedApp


def stored_tokens(app: ConnectedApp) -> StoredTokens:
    with app.services.session_factory() as session:
        connection = session.scalar(select(GoogleConnection))
        assert connection is not None
        return app.services.cipher.decrypt_tokens(connection.token_ciphertext)


def all_database_bytes(database_url: str) -> bytes:
    """Everything the database holds: the raw file for SQLite, every value of every row otherwise.

    Binary columns are taken as their raw bytes: PostgreSQL would render a
    ``bytea`` as hex text, where a plaintext token would go unnoticed.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        path = Path(url.database)
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    engine = create_engine(database_url)
    chunks = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    raw = bytes(value) if isinstance(value, bytes | memoryview) else None
                    chunks.append(raw if raw is not None else str(value).encode())
    engine.dispose()
    return b"\n".join(chunks)


def test_the_database_scan_would_see_a_plaintext_secret(
    google_app: ConnectedApp, database_url: str
) -> None:
    """The scan itself is checked on each backend: a canary in a binary column is found."""
    google_app.start_connect()
    canary = b"canary-plaintext-verifier-0123456789"
    with google_app.services.session_factory() as session:
        session.execute(update(OAuthState).values(code_verifier_ciphertext=canary))
        session.commit()
    assert canary in all_database_bytes(database_url)


def test_no_pkce_verifier_in_the_database(google_app: ConnectedApp, database_url: str) -> None:
    google_app.start_connect()
    with google_app.services.session_factory() as session:
        state = session.scalar(select(OAuthState))
        assert state is not None
        verifier = google_app.services.cipher.decrypt(state.code_verifier_ciphertext)
    assert len(verifier) >= 43
    assert verifier not in all_database_bytes(database_url)


def test_no_token_in_the_database(google_app: ConnectedApp, database_url: str) -> None:
    google_app.connect()
    google_app.sandbox.control("POST", "tokens/expire")
    tokens = stored_tokens(google_app)
    assert tokens.refresh_token
    raw = all_database_bytes(database_url)
    assert b"GoogleConnection" not in raw  # sanity: we read data, not code
    assert tokens.access_token.encode() not in raw
    assert tokens.refresh_token.encode() not in raw
    assert len(raw) > 0


def test_no_token_or_client_secret_in_the_logs(
    google_app: ConnectedApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("requests_oauthlib", "oauthlib", "urllib3", "httpx", "googleapiclient"):
        caplog.set_level(logging.DEBUG, logger=name)
    google_app.connect()
    tokens = stored_tokens(google_app)
    with google_app.services.session_factory() as session:
        connection = session.scalar(select(GoogleConnection))
        assert connection is not None
        host_id = connection.host_id
    google_app.sandbox.control("POST", "tokens/expire")
    client = GoogleCalendarClient(
        google_app.services.credentials.for_host(host_id),
        api_base=google_app.services.settings.google_api_base,
        timeout=10,
    )
    client.list_calendars()
    refreshed = stored_tokens(google_app)
    google_app.sandbox.control("POST", "grants/revoke-all")
    google_app.sandbox.control("POST", "tokens/expire")
    with pytest.raises(ReauthorizationRequiredError):
        client.list_calendars()

    logged = caplog.text
    assert len(caplog.records) > 5, "the run should have produced logs to inspect"
    secrets = {
        tokens.access_token,
        refreshed.access_token,
        tokens.refresh_token,
        google_app.services.settings.google_client_secret,
    }
    for secret in secrets:
        assert secret and secret not in logged


def test_rotation_keeps_every_connection_working(google_app: ConnectedApp) -> None:
    google_app.connect()
    services = google_app.services
    old_key_cipher = services.cipher
    new_key = generate_key()
    with services.session_factory() as session:
        before = session.scalar(select(GoogleConnection))
        assert before is not None
        host_id, old_ciphertext = before.host_id, before.token_ciphertext
    rotating = TokenCipher([new_key, *services.settings.token_keys])
    with services.session_factory() as session:
        assert google_service.rotate_keys(session, rotating) == 1
        session.commit()
    only_new = TokenCipher([new_key])
    with services.session_factory() as session:
        after = session.scalar(select(GoogleConnection))
        assert after is not None
        assert after.token_ciphertext != old_ciphertext
        assert only_new.decrypt_tokens(after.token_ciphertext) == old_key_cipher.decrypt_tokens(
            old_ciphertext
        )
    provider = CredentialProvider(services.settings, only_new, services.session_factory)
    google_app.sandbox.control("POST", "tokens/expire")
    client = GoogleCalendarClient(
        provider.for_host(host_id), api_base=services.settings.google_api_base, timeout=10
    )
    assert client.list_calendars()
