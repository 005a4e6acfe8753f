"""The bookings tests run the worker for real: fast backoff and polling."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from leadscalendar.accounts import passwords
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
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2's defaults cost ~1 s a hash on CI machines; logging in is not what these test."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
