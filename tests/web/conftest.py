"""An app wired to the test database, and a logged-in browser-like client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts import service as accounts
from leadscalendar.config import Settings
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.tokens import generate_key
from leadscalendar.web.app import create_app
from tests.support.app_env import HOST_EMAIL, HOST_PASSWORD, csrf_from, log_in
from tests.support.live_server import live_server

__all__ = ["HOST_EMAIL", "HOST_PASSWORD", "csrf_from", "log_in"]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        token_keys=[generate_key()],
        secret_key="test-secret-key-0123456789abcdef",
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    # Served with lifespan="off", so the app never disposes its engine itself; an
    # undisposed pool leaks PostgreSQL connections into later tests' warnings.
    app.state.services.engine.dispose()


@pytest.fixture
def host_account(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        accounts.create_host(
            session, email=HOST_EMAIL, name="Coach", slug="coach", password=HOST_PASSWORD
        )


@pytest.fixture
def app_url(app: FastAPI) -> Iterator[str]:
    with live_server(app) as url:
        yield url


@pytest.fixture
def client(app_url: str) -> Iterator[httpx.Client]:
    """A browser-like client: keeps cookies, follows redirects, talks real HTTP."""
    with httpx.Client(base_url=app_url, follow_redirects=True, timeout=10) as client:
        yield client


@pytest.fixture
def logged_in(client: httpx.Client, host_account: None) -> httpx.Client:
    log_in(client)
    return client
