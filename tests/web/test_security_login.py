"""Password guessing is throttled per client address and e-mail, and per address alone,
atomically and across web processes."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from leadscalendar.config import Settings
from leadscalendar.web.app import create_app
from tests.support.live_server import live_server
from tests.web.conftest import HOST_EMAIL, HOST_PASSWORD, csrf_from

REDIS_URL = "redis://127.0.0.1:6379/0"

FAILURES_ALLOWED = 10  # Settings.login_failures_per_window default


def attempt(client: httpx.Client, email: str, password: str) -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )


def test_after_ten_failures_even_the_right_password_is_refused(
    client: httpx.Client, host_account: None
) -> None:
    for _ in range(FAILURES_ALLOWED):
        assert attempt(client, HOST_EMAIL, "wrong password!").status_code == 401
    blocked = attempt(client, HOST_EMAIL, HOST_PASSWORD)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
    assert "Too many failed log-ins" in blocked.text
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    # The e-mail is compared case-insensitively: no way around the limit by capitals.
    assert attempt(client, HOST_EMAIL.upper(), HOST_PASSWORD).status_code == 429
    assert attempt(client, "someone-else@example.com", "whatever pw").status_code == 401


def test_a_successful_login_clears_the_failures(client: httpx.Client, host_account: None) -> None:
    for _ in range(FAILURES_ALLOWED - 1):
        assert attempt(client, HOST_EMAIL, "wrong password!").status_code == 401
    assert attempt(client, HOST_EMAIL, HOST_PASSWORD).status_code == 303
    for _ in range(FAILURES_ALLOWED - 1):
        assert attempt(client, HOST_EMAIL, "wrong password!").status_code == 401
    assert attempt(client, HOST_EMAIL, HOST_PASSWORD).status_code == 303


def guess_in_parallel(app_url: str, emails: list[str], password: str) -> list[int]:
    """Every guess on its own connection, sent together once all forms are loaded."""
    clients = [httpx.Client(base_url=app_url, timeout=60) for _ in emails]
    try:
        forms = [csrf_from(client.get("/login").text) for client in clients]
        start = threading.Barrier(len(clients))
        statuses: list[int] = []
        lock = threading.Lock()

        def guess(index: int) -> None:
            start.wait()
            response = clients[index].post(
                "/login",
                data={"email": emails[index], "password": password, "csrf_token": forms[index]},
                follow_redirects=False,
            )
            with lock:
                statuses.append(response.status_code)

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(clients))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return statuses
    finally:
        for client in clients:
            client.close()


def test_thirty_parallel_wrong_passwords_are_ten_tries(app_url: str, host_account: None) -> None:
    statuses = guess_in_parallel(app_url, [HOST_EMAIL] * 30, "wrong password!")
    assert sorted(statuses) == [401] * FAILURES_ALLOWED + [429] * (30 - FAILURES_ALLOWED)


@pytest.fixture
def strict_address_app(settings: Settings) -> Iterator[str]:
    app = create_app(settings.model_copy(update={"login_failures_per_address_per_window": 5}))
    with live_server(app) as url:
        yield url
    app.state.services.engine.dispose()


def test_one_address_trying_many_emails_is_limited_too(
    strict_address_app: str, host_account: None
) -> None:
    with httpx.Client(base_url=strict_address_app, timeout=10) as client:
        for index in range(5):
            assert (
                attempt(client, f"guess{index}@example.com", "wrong password!").status_code == 401
            )
        blocked = attempt(client, "guess5@example.com", "wrong password!")
        assert blocked.status_code == 429
        assert "Too many failed log-ins from your network" in blocked.text
        # Even the right password for a sixth e-mail waits: the network is what is limited.
        assert attempt(client, HOST_EMAIL, HOST_PASSWORD).status_code == 429


def test_logging_in_to_ones_own_account_does_not_reset_the_address_limit(
    strict_address_app: str, host_account: None
) -> None:
    with httpx.Client(base_url=strict_address_app, timeout=10) as client:
        for round_ in range(2):
            for index in range(2):
                email = f"guess{round_}{index}@example.com"
                assert attempt(client, email, "wrong password!").status_code == 401
            assert attempt(client, HOST_EMAIL, HOST_PASSWORD).status_code == 303
        assert attempt(client, "guess-last@example.com", "wrong password!").status_code == 401
        assert attempt(client, "guess-more@example.com", "wrong password!").status_code == 429


@pytest.fixture(params=["database", "redis"])
def shared_store_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "database":
        return settings
    return settings.model_copy(update={"redis_url": SecretStr(REDIS_URL)})


def test_failed_logins_are_counted_across_web_processes(
    shared_store_settings: Settings, host_account: None
) -> None:
    """Two app processes (two engines, or two Redis clients) share one count."""
    email = f"{uuid.uuid4().hex}@example.com"  # fresh keys, even in a long-lived Redis
    apps = [create_app(shared_store_settings), create_app(shared_store_settings)]
    limits = apps[0].state.rate_limits
    limits.failed_logins_per_address.reset("127.0.0.1")
    try:
        with live_server(apps[0]) as first, live_server(apps[1]) as second:
            clients = [httpx.Client(base_url=url, timeout=10) for url in (first, second)]
            statuses = [
                attempt(clients[index % 2], email, "wrong password!").status_code
                for index in range(FAILURES_ALLOWED + 2)
            ]
            for client in clients:
                client.close()
    finally:
        limits.failed_logins_per_address.reset("127.0.0.1")
        limits.failed_logins.reset(f"127.0.0.1 {email}")
        for app in apps:
            app.state.services.engine.dispose()
    assert statuses == [401] * FAILURES_ALLOWED + [429, 429]
