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

import pytest

from leadscalendar.sandbox.google import SandboxConfig, running_sandbox
from tests.sandbox.google_sandbox import GoogleSandbox


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


@pytest.fixture
def google_sandbox_config() -> SandboxConfig:
    return SandboxConfig()


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
