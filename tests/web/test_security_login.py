"""Password guessing is throttled per client address and e-mail."""

from __future__ import annotations

import httpx

from tests.web.conftest import HOST_EMAIL, HOST_PASSWORD, csrf_from

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
