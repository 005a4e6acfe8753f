"""/metrics: absent unless configured, the token enforced, and the private listener."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from leadscalendar.config import Settings
from leadscalendar.services import build_services
from leadscalendar.web.app import create_app
from leadscalendar.web.routes.metrics import create_metrics_app
from tests.support.live_server import live_server
from tests.support.metrics import parse, scrape, value

TOKEN = "metrics-token-0123456789abcdef"


def test_metrics_are_not_served_without_a_token(client: httpx.Client) -> None:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    assert "leadscalendar_" not in response.text


def test_the_token_is_enforced(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}))
    try:
        with live_server(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            assert client.get("/metrics").status_code == 401
            wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            assert wrong.headers["www-authenticate"] == "Bearer"
            assert "leadscalendar_" not in wrong.text
            basic = client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
            assert basic.status_code == 401
            samples = scrape(client, TOKEN)
    finally:
        app.state.services.engine.dispose()
    # Database gauges are there on a fresh database: every booking state, at zero.
    assert value(samples, "leadscalendar_bookings", state="scheduled") == 0
    assert value(samples, "leadscalendar_jobs_oldest_due_age_seconds") == 0


def test_the_private_listener_serves_without_a_token_unless_one_is_set(settings: Settings) -> None:
    services = build_services(settings)
    try:
        with (
            live_server(create_metrics_app(services)) as url,
            httpx.Client(base_url=url, timeout=10) as client,
        ):
            response = client.get("/metrics")
            assert response.status_code == 200
            assert ("leadscalendar_bookings", frozenset({("state", "held")})) in parse(
                response.text
            )
            assert client.get("/").status_code == 404
        guarded = build_services(settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}))
        with (
            live_server(create_metrics_app(guarded)) as url,
            httpx.Client(base_url=url, timeout=10) as client,
        ):
            assert client.get("/metrics").status_code == 401
            assert scrape(client, TOKEN)
        guarded.engine.dispose()
    finally:
        services.engine.dispose()
