"""Fixtures that run the sandboxes for real on a loopback port.

``google_sandbox`` starts a fresh Google sandbox per test and yields a
``GoogleSandbox`` handle: its URLs, its ``SandboxConfig``, and helpers that play
the user on the consent screen. Override ``google_sandbox_config`` in a test
module to change the client, redirect URIs or account.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadscalendar.sandbox.google import SandboxConfig, running_sandbox
from tests.sandbox.google_sandbox import GoogleSandbox


@pytest.fixture
def google_sandbox_config() -> SandboxConfig:
    return SandboxConfig()


@pytest.fixture
def google_sandbox(
    google_sandbox_config: SandboxConfig, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GoogleSandbox]:
    # oauthlib refuses http:// redirect URIs otherwise; the sandbox is loopback only.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with running_sandbox(google_sandbox_config) as base_url:
        sandbox = GoogleSandbox(base_url=base_url, config=google_sandbox_config)
        try:
            yield sandbox
        finally:
            sandbox.close()
