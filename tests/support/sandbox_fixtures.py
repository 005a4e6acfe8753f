"""Fixtures that run the sandboxes for real on a loopback port.

``google_sandbox`` yields a ``GoogleSandbox`` handle on a running Google
sandbox: its URLs, its ``SandboxConfig``, and helpers that play the user on the
consent screen. One server per distinct config is started for the whole session
and reset to a fresh state before each test (starting one costs ~0.3 s).
Override ``google_sandbox_config`` in a test module to change the client,
redirect URIs, account or token lifetime.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from leadscalendar.accounts import service as accounts
from leadscalendar.config import Settings
from leadscalendar.db.session import unit_of_work
from leadscalendar.sandbox.google import SandboxConfig, running_sandbox
from leadscalendar.services import build_services
from leadscalendar.web.app import create_app
from tests.support.app_env import (
    HOST_EMAIL,
    HOST_PASSWORD,
    ConnectedApp,
    log_in,
    sandbox_settings,
)
from tests.support.google_sandbox import GoogleSandbox
from tests.support.live_server import free_port, live_server


class _Servers:
    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._urls: dict[SandboxConfig, str] = {}

    def url_for(self, config: SandboxConfig) -> str:
        if config not in self._urls:
            self._urls[config] = self._stack.enter_context(running_sandbox(config))
        return self._urls[config]


@pytest.fixture(scope="session")
def google_sandbox_servers() -> Iterator[_Servers]:
    with ExitStack() as stack:
        yield _Servers(stack)


@pytest.fixture(scope="session")
def app_port() -> int:
    """One loopback port for the app under test, so the sandbox can register its callback."""
    return free_port()


@pytest.fixture
def google_sandbox_config(app_port: int) -> SandboxConfig:
    default = SandboxConfig()
    app_callback = f"http://127.0.0.1:{app_port}/oauth/google/callback"
    return SandboxConfig(redirect_uris=(*default.redirect_uris, app_callback))


@pytest.fixture
def google_sandbox(
    google_sandbox_servers: _Servers,
    google_sandbox_config: SandboxConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[GoogleSandbox]:
    # oauthlib refuses http:// redirect URIs otherwise; the sandbox is loopback only.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    base_url = google_sandbox_servers.url_for(google_sandbox_config)
    sandbox = GoogleSandbox(base_url=base_url, config=google_sandbox_config)
    try:
        sandbox.control("POST", "reset")
        yield sandbox
    finally:
        sandbox.close()


@pytest.fixture
def app_settings(
    google_sandbox: GoogleSandbox, database_url: str, tmp_path: Path, app_port: int
) -> Settings:
    return sandbox_settings(
        google_sandbox, database_url=database_url, data_dir=tmp_path, app_port=app_port
    )


@pytest.fixture
def google_app(
    app_settings: Settings, app_port: int, google_sandbox: GoogleSandbox
) -> Iterator[ConnectedApp]:
    """The app on loopback, a host logged in, Google not connected yet."""
    services = build_services(app_settings)
    with unit_of_work(services.session_factory) as session:
        accounts.create_host(
            session, email=HOST_EMAIL, name="Coach", slug="coach", password=HOST_PASSWORD
        )
    with (
        live_server(create_app(app_settings, services), port=app_port) as url,
        httpx.Client(base_url=url, follow_redirects=True, timeout=15) as client,
    ):
        log_in(client)
        yield ConnectedApp(url=url, client=client, sandbox=google_sandbox, services=services)
    services.webhook_sender.close()
    services.engine.dispose()
