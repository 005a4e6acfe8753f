"""A module can override ``google_sandbox_config``; the sandbox honours every field."""

from __future__ import annotations

import time

import pytest

from leadscalendar.sandbox.google import SandboxConfig
from tests.support.google_sandbox import GoogleSandbox


@pytest.fixture
def google_sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        client_id="other-client.apps.googleusercontent.com",
        client_secret="other-secret",
        redirect_uris=("http://127.0.0.1:9999/cb", "http://localhost:9999/cb"),
        account_email="coach@sandbox.test",
        access_token_lifetime_seconds=1,
    )


def test_custom_account_client_and_short_lived_tokens(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()

    with google_sandbox.calendar(credentials) as service:
        primary = service.calendarList().get(calendarId="primary").execute()
        first_token = credentials.token
        time.sleep(1.1)  # the access token lives one second
        service.calendarList().list().execute()  # 401, refresh, replay

    assert primary["id"] == "coach@sandbox.test"
    assert credentials.token != first_token
    default_client = google_sandbox.http.get(
        "o/oauth2/v2/auth",
        params={
            "client_id": SandboxConfig().client_id,
            "redirect_uri": "http://127.0.0.1:9999/cb",
            "response_type": "code",
            "scope": "openid",
        },
    )
    assert default_client.status_code == 400
    assert "invalid_client" in default_client.text
