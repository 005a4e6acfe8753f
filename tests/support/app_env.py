"""The application wired to a running Google sandbox, served for real on loopback.

``ConnectedApp`` is what integration tests drive: a browser-like client logged
in as a host, the sandbox handle, the services (database, cipher, credential
provider) and a helper that walks through "Connect Google Calendar".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from leadscalendar.config import Settings
from leadscalendar.google.tokens import generate_key
from leadscalendar.services import Services
from tests.support.google_sandbox import GoogleSandbox

HOST_EMAIL = "coach@example.com"
HOST_PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def sandbox_settings(
    sandbox: GoogleSandbox, *, database_url: str, data_dir: Path, app_port: int, **overrides: object
) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "public_url": f"http://127.0.0.1:{app_port}",
        "secret_key": "test-secret-key-0123456789abcdef",
        "token_keys": [generate_key()],
        "google_client_id": sandbox.config.client_id,
        "google_client_secret": sandbox.config.client_secret,
        "google_auth_uri": sandbox.auth_uri,
        "google_token_uri": sandbox.token_uri,
        "google_revoke_uri": sandbox.revoke_uri,
        "google_userinfo_uri": f"{sandbox.base_url}oauth2/v3/userinfo",
        "google_api_base": sandbox.base_url,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def log_in(client: httpx.Client, email: str = HOST_EMAIL, password: str = HOST_PASSWORD) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@dataclass
class ConnectedApp:
    url: str
    client: httpx.Client
    sandbox: GoogleSandbox
    services: Services

    def start_connect(self) -> str:
        """Press "Connect Google Calendar"; returns the URL the app sends the browser to."""
        dashboard = self.client.get("/dashboard")
        response = self.client.post(
            "/dashboard/google/connect",
            data={"csrf_token": csrf_from(dashboard.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return response.headers["location"]

    def connect(self, *, untick: tuple[str, ...] = (), deny: bool = False) -> httpx.Response:
        """The whole dance: app -> consent page -> callback -> dashboard."""
        callback = self.sandbox.consent(self.start_connect(), untick=untick, deny=deny)
        return self.client.get(callback)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)
