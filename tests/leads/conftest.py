"""The lead data tests run the worker for real against the Google sandbox (as tests/bookings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscalendar.config import Settings
from tests.support.bookings_env import engine_settings
from tests.support.google_sandbox import GoogleSandbox


@pytest.fixture
def app_settings(
    google_sandbox: GoogleSandbox, database_url: str, tmp_path: Path, app_port: int
) -> Settings:
    return engine_settings(
        google_sandbox, database_url=database_url, data_dir=tmp_path, app_port=app_port
    )


@pytest.fixture(autouse=True)
def _cheap_password_hashing(cheap_password_hashing: None) -> None:
    """Every test here logs a host in; see ``bookings_env.cheap_password_hashing``."""
