"""The error renderer when the database cannot be reached: a 503 to retry, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadscalendar.config import Settings
from leadscalendar.google.tokens import generate_key
from leadscalendar.web.app import create_app
from tests.support.live_server import free_port, live_server


def _closed_port() -> int:
    # free_port() binds and releases: nothing listens there afterwards.
    return free_port()


@pytest.fixture(params=["postgresql", "sqlite"])
def down_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return f"postgresql+psycopg://root@127.0.0.1:{_closed_port()}/postgres"
    # Where the database file should be there is a directory: SQLite cannot open it.
    blocked = tmp_path / "leadscalendar.db"
    blocked.mkdir()
    return f"sqlite:///{blocked}"


@pytest.fixture
def down_app_url(down_url: str, tmp_path: Path) -> Iterator[str]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=down_url,
        token_keys=[generate_key()],
        secret_key="test-secret-key-0123456789abcdef",
    )
    app = create_app(settings)
    with live_server(app) as url:
        yield url
    app.state.services.engine.dispose()


def test_leads_get_a_friendly_page_to_retry_while_the_database_is_down(down_app_url: str) -> None:
    with httpx.Client(base_url=down_app_url, timeout=30) as client:
        page = client.get("/coach/session")
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["retry-after"] == "30"
    assert "try again in a minute" in page.text
    assert "content-security-policy" in page.headers
    for leak in ("OperationalError", "psycopg", "sqlite", "Traceback", "127.0.0.1"):
        assert leak not in page.text


def test_api_clients_get_a_json_503_while_the_database_is_down(down_app_url: str) -> None:
    with httpx.Client(base_url=down_app_url, timeout=30) as client:
        response = client.get("/api/v1/public/hosts/coach/types/session/slots")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert response.json()["error"]["code"] == "service_unavailable"
    with httpx.Client(base_url=down_app_url, timeout=30) as client:
        # Load balancers see "unavailable", not "broken".
        assert client.get("/healthz").status_code == 503
