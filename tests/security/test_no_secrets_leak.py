"""No secret in any log line or page during a full run (DESIGN.md invariant 4).

One run does everything that touches a secret: log in (and fail to), connect
Google, book, pay, receive the webhook (and a forged one), refresh the access
token, lose the grant, disconnect while Google is unreachable. Every log
record at DEBUG (ours, the libraries', the servers') and every response body
the browser and the lead saw are then searched for every secret in play.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from leadscalendar.accounts.models import Host
from leadscalendar.google.models import GoogleConnection, OAuthState
from leadscalendar.logging import CHATTY_LOGGERS
from tests.support.app_env import HOST_EMAIL, HOST_PASSWORD, csrf_from
from tests.support.booking_env import BookingEnv

WRONG_PASSWORD = "hunter2-but-longer"  # the guess must not be logged either
LOGGERS = ("", *CHATTY_LOGGERS, "uvicorn", "uvicorn.access", "uvicorn.error", "stripe")


class Recorder:
    """Keeps the body of every response a client receives."""

    def __init__(self) -> None:
        self.pages: list[str] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.pages.append(f"{response.request.method} {response.url}\n{response.text}")

    def attach(self, client: httpx.Client) -> None:
        client.event_hooks = {"request": [], "response": [self]}


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    # uvicorn's loggers do not propagate to the root logger: listen to them directly.
    detached = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.access")]
    for logger in detached:
        logger.addHandler(caplog.handler)
    yield caplog
    for logger in detached:
        logger.removeHandler(caplog.handler)


class Secrets:
    def __init__(self, env: BookingEnv) -> None:
        self.env = env
        settings = env.services.settings
        self.values: set[str] = {
            HOST_PASSWORD,
            WRONG_PASSWORD,
            settings.secret_key,
            settings.google_client_secret,
            settings.stripe_api_key,
            settings.stripe_webhook_secret,
            *settings.token_keys,
        }

    def collect(self) -> None:
        """Add whatever secrets the database holds right now (decrypted)."""
        cipher = self.env.services.cipher
        with self.env.services.session_factory() as session:
            for connection in session.scalars(select(GoogleConnection)):
                tokens = cipher.decrypt_tokens(connection.token_ciphertext)
                self.values |= {tokens.access_token, tokens.refresh_token or ""}
            for state in session.scalars(select(OAuthState)):
                self.values.add(cipher.decrypt(state.code_verifier_ciphertext).decode())
            for host in session.scalars(select(Host)):
                self.values.add(host.password_hash)

    def token_version(self) -> int:
        with self.env.services.session_factory() as session:
            connection = session.scalar(select(GoogleConnection))
            assert connection is not None
            return int(connection.token_version)

    def found_in(self, text: str) -> list[str]:
        return sorted(secret for secret in self.values if len(secret) >= 8 and secret in text)


def test_a_full_run_leaks_no_secret(
    booking_env: BookingEnv,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env, host = booking_env, booking_env.host
    secrets = Secrets(env)
    secrets.collect()
    recorder = Recorder()
    recorder.attach(env.lead)
    recorder.attach(host.client)

    # Log in, once wrong and once right, from a fresh browser.
    with httpx.Client(base_url=env.url, follow_redirects=True, timeout=15) as browser:
        recorder.attach(browser)
        for password in (WRONG_PASSWORD, HOST_PASSWORD):
            page = browser.get("/login")
            browser.post(
                "/login",
                data={
                    "email": HOST_EMAIL,
                    "password": password,
                    "csrf_token": csrf_from(page.text),
                },
            )
        browser.post("/dashboard/google/connect")  # no CSRF token: the 403 page

    # Reconnect Google: authorization code, PKCE verifier, fresh tokens.
    callback = host.sandbox.consent(host.start_connect())
    secrets.collect()
    secrets.values |= set(parse_qs(urlsplit(callback).query)["code"])
    host.client.get(callback)
    secrets.collect()

    # Book and pay; the access token has expired, so the worker refreshes it first.
    env.google.control("POST", "tokens/expire")
    version_before_refresh = secrets.token_version()
    start = env.first_slot("session")
    booking = env.hold("session", start).json()
    confirmed = env.lead.post(
        f"/api/v1/public/bookings/{booking['id']}/confirm", params={"token": booking["token"]}
    ).json()
    env.pay(confirmed["checkout_url"])
    env.wait_status(booking["id"], booking["token"], "scheduled")
    assert secrets.token_version() > version_before_refresh, "the access token was refreshed"
    secrets.collect()

    # A forged webhook, a missing page, an API error.
    env.lead.post(
        "/webhooks/stripe",
        content=b'{"id": "evt_forged"}',
        headers={"Stripe-Signature": "t=1,v1=00"},
    )
    env.lead.get("/no/such/page")
    env.lead.get("/api/v1/public/bookings/not-a-uuid", params={"token": "x"})

    # The grant is revoked at Google: the next refresh fails with invalid_grant.
    env.google.control("POST", "grants/revoke-all")
    env.google.control("POST", "tokens/expire")
    env.lead.get(
        "/api/v1/public/hosts/coach/types/session/slots", params={"days": 3, "tz": "Europe/Paris"}
    )
    host.client.get("/dashboard")

    # Disconnect while Google's revocation endpoint cannot be reached.
    monkeypatch.setattr(env.services.settings, "google_revoke_uri", "http://127.0.0.1:9/revoke")
    dashboard = host.client.get("/dashboard")
    host.client.post("/dashboard/google/disconnect", data={"csrf_token": csrf_from(dashboard.text)})

    records = debug_logs.records
    assert len(records) > 20, "the run should have produced logs to inspect"
    assert any(record.levelno == logging.DEBUG for record in records)
    assert len(recorder.pages) > 15
    logged = debug_logs.text + "\n".join(record.getMessage() for record in records)
    # The secrets really passed by the logs, masked: the access log of the OAuth callback.
    assert "/oauth/google/callback?state=" in logged and "code=[redacted]" in logged
    leaks_in_logs = secrets.found_in(logged)
    assert not leaks_in_logs, f"{len(leaks_in_logs)} secret(s) in the logs"
    for body in recorder.pages:
        leaks = secrets.found_in(body)
        assert not leaks, f"a secret in the response to {body.splitlines()[0]}"
