"""Calendar sync runs the real worker against the sandbox: fast backoff, polling and pushes."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscalendar.config import Settings
from tests.support.bookings_env import engine_settings
from tests.support.google_sandbox import GoogleSandbox

# Poll fast, so a change made "as the host" reaches the mirror within a second.
SYNC_OVERRIDES: dict[str, object] = {"calendar_push": "off", "calendar_poll_seconds": 0.2}


@pytest.fixture
def sync_overrides() -> dict[str, object]:
    return dict(SYNC_OVERRIDES)


@pytest.fixture
def app_settings(
    google_sandbox: GoogleSandbox,
    database_url: str,
    tmp_path: Path,
    app_port: int,
    sync_overrides: dict[str, object],
) -> Settings:
    return engine_settings(
        google_sandbox,
        database_url=database_url,
        data_dir=tmp_path,
        app_port=app_port,
        **sync_overrides,
    )


@pytest.fixture(autouse=True)
def _cheap_password_hashing(cheap_password_hashing: None) -> None:
    """Every test here logs a host in."""
