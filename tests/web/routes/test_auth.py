from __future__ import annotations

import httpx

from tests.web.conftest import HOST_EMAIL, HOST_PASSWORD, csrf_from


def test_dashboard_needs_a_login(client: httpx.Client) -> None:
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboard"


def test_login_then_dashboard_then_logout(client: httpx.Client, host_account: None) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": HOST_EMAIL, "password": HOST_PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 200
    assert "Connect Google Calendar" in response.text
    logout = client.post("/logout", data={"csrf_token": csrf_from(response.text)})
    assert logout.url.path == "/login"
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_wrong_password_shows_the_form_again_with_a_401(
    client: httpx.Client, host_account: None
) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": HOST_EMAIL,
            "password": "wrong password!",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 401
    assert "do not match" in response.text


def test_login_without_csrf_token_is_refused(client: httpx.Client, host_account: None) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": HOST_EMAIL, "password": HOST_PASSWORD})
    assert response.status_code == 403
    assert "Reload the page" in response.text
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_logout_with_a_forged_token_keeps_the_session(logged_in: httpx.Client) -> None:
    response = logged_in.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert logged_in.get("/dashboard").status_code == 200


def test_login_never_redirects_off_site(client: httpx.Client, host_account: None) -> None:
    page = client.get("/login?next=//evil.example/phish")
    response = client.post(
        "/login",
        data={
            "email": HOST_EMAIL,
            "password": HOST_PASSWORD,
            "next": "//evil.example/phish",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/dashboard"


def test_unknown_page_is_a_friendly_404(client: httpx.Client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "nothing at this address" in response.text
    assert "Traceback" not in response.text


def test_missing_form_fields_are_a_400_with_a_message(client: httpx.Client) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 400
    # The fields are named as the person knows them, not as the code does.
    assert "Please fill in your e-mail address." in response.text
    assert "Please fill in your password." in response.text
