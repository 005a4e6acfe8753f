"""Server-side sessions over real HTTP: logging out ends every copy, other sessions can be
ended, and a password change ends them too."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from leadscalendar.accounts.models import Host, HostSession
from leadscalendar.accounts.sessions import hash_token
from leadscalendar.web.deps import SESSION_TOKEN_KEY
from tests.support.app_env import log_in
from tests.support.dashboard import submit
from tests.web.conftest import HOST_EMAIL, HOST_PASSWORD, csrf_from

ACCOUNT = "/dashboard/account"
FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def second_browser(app_url: str, host_account: None) -> Iterator[httpx.Client]:
    """The same host logged in on another device."""
    with httpx.Client(
        base_url=app_url,
        follow_redirects=True,
        timeout=10,
        headers={"user-agent": FIREFOX_ON_LINUX},
    ) as client:
        log_in(client)
        yield client


def is_logged_in(client: httpx.Client) -> bool:
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code in (200, 303), response.text
    return response.status_code == 200


def stored_sessions(app: FastAPI) -> list[HostSession]:
    with app.state.services.session_factory() as session:
        return list(session.scalars(select(HostSession)))


def test_logging_out_ends_the_session_for_every_copy_of_the_cookie(
    logged_in: httpx.Client, app_url: str
) -> None:
    with httpx.Client(base_url=app_url, cookies=dict(logged_in.cookies), timeout=10) as copy:
        assert is_logged_in(copy)
        page = logged_in.get("/dashboard")
        logged_in.post("/logout", data={"csrf_token": csrf_from(page.text)})
        assert not is_logged_in(logged_in)
        assert not is_logged_in(copy), "a copied cookie must die with the session"


def test_the_cookie_carries_a_session_token_not_the_host(
    logged_in: httpx.Client, app: FastAPI
) -> None:
    cookie = logged_in.cookies["leadscalendar_session"]
    payload = cookie.split(".")[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    with app.state.services.session_factory() as session:
        host = session.scalar(select(Host))
    assert host is not None
    assert str(host.id) not in json.dumps(data)
    (row,) = stored_sessions(app)
    assert row.host_id == host.id
    # Only the token's digest is stored: the database cannot be replayed as cookies.
    token = data[SESSION_TOKEN_KEY]
    assert hash_token(token) == row.token_hash != token


def test_the_account_page_lists_the_sessions_and_marks_this_one(
    logged_in: httpx.Client, second_browser: httpx.Client
) -> None:
    page = second_browser.get(ACCOUNT)
    assert page.status_code == 200
    assert "Firefox on Linux" in page.text
    assert "(this browser)" in page.text
    assert page.text.count("<tr") == 3  # the header and two sessions
    assert 'id="end-other-sessions"' in page.text


def test_log_out_other_sessions_keeps_only_this_browser(
    logged_in: httpx.Client, second_browser: httpx.Client, app: FastAPI
) -> None:
    response = submit(second_browser, ACCOUNT, f"{ACCOUNT}/sessions/end-others", follow=True)
    assert response.status_code == 200
    assert "Logged out 1 other session." in response.text
    assert is_logged_in(second_browser)
    assert not is_logged_in(logged_in)
    assert len(stored_sessions(app)) == 1


def test_changing_the_password_logs_out_the_other_sessions(
    logged_in: httpx.Client, second_browser: httpx.Client, app_url: str
) -> None:
    form = {
        "current_password": HOST_PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    }
    response = submit(second_browser, ACCOUNT, f"{ACCOUNT}/password", form, follow=True)
    assert "Password changed. Logged out 1 other session." in response.text
    assert is_logged_in(second_browser)
    assert not is_logged_in(logged_in)
    with httpx.Client(base_url=app_url, follow_redirects=True, timeout=10) as fresh:
        log_in(fresh, HOST_EMAIL, NEW_PASSWORD)
        page = fresh.get("/login")
        old = fresh.post(
            "/login",
            data={
                "email": HOST_EMAIL,
                "password": HOST_PASSWORD,
                "csrf_token": csrf_from(page.text),
            },
            follow_redirects=False,
        )
        assert old.status_code == 401


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("wrong password!", NEW_PASSWORD, NEW_PASSWORD, "current password is not right"),
        (HOST_PASSWORD, NEW_PASSWORD, "something else entirely", "are not the same"),
        (HOST_PASSWORD, "short", "short", "at least 10 characters"),
    ],
)
def test_a_refused_password_change_changes_nothing(
    logged_in: httpx.Client,
    second_browser: httpx.Client,
    current: str,
    new: str,
    again: str,
    message: str,
) -> None:
    form = {"current_password": current, "new_password": new, "new_password_again": again}
    response = submit(second_browser, ACCOUNT, f"{ACCOUNT}/password", form, follow=True)
    assert message in response.text
    assert is_logged_in(logged_in), "a refused change ends no session"


def test_the_account_forms_need_a_csrf_token(
    logged_in: httpx.Client, second_browser: httpx.Client
) -> None:
    response = second_browser.post(f"{ACCOUNT}/sessions/end-others", data={"csrf_token": "x"})
    assert response.status_code == 403
    assert is_logged_in(logged_in)
