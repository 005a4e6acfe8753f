"""Password reset by e-mail over real HTTP and SMTP: the same answer for every address, a
link that works once, and a new password that kills older links and every session."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.support.account_mail import deliver, link_path, mails_to, settings
from tests.support.app_env import HOST_EMAIL, HOST_PASSWORD, csrf_from, log_in
from tests.support.mail_server import MailServer

__all__ = ["settings"]

NEW_PASSWORD = "a brand new passphrase"


def ask_reset(client: httpx.Client, email: str) -> httpx.Response:
    page = client.get("/forgot-password")
    return client.post(
        "/forgot-password", data={"email": email, "csrf_token": csrf_from(page.text)}
    )


def set_password(client: httpx.Client, link: str, password: str = NEW_PASSWORD) -> httpx.Response:
    page = client.get(link)
    if page.status_code != 200:
        return page
    token = link.split("token=", 1)[1]
    return client.post(
        "/reset-password",
        data={
            "token": httpx.QueryParams(f"token={token}")["token"],
            "password": password,
            "password_again": password,
            "csrf_token": csrf_from(page.text),
        },
    )


def can_log_in(app_url: str, password: str) -> bool:
    with httpx.Client(base_url=app_url, timeout=10) as browser:
        page = browser.get("/login")
        answer = browser.post(
            "/login",
            data={"email": HOST_EMAIL, "password": password, "csrf_token": csrf_from(page.text)},
        )
        return answer.status_code == 303


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(
    client: httpx.Client, app: FastAPI, mail_server: MailServer, host_account: None
) -> None:
    known = ask_reset(client, HOST_EMAIL)
    unknown = ask_reset(client, "stranger@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(HOST_EMAIL, "X") == unknown.text.replace("stranger@example.com", "X")
    deliver(app)
    assert mails_to(mail_server, "stranger@example.com") == []
    (mail,) = mails_to(mail_server, HOST_EMAIL)
    assert link_path(mail).startswith("/reset-password?token=")


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(
    client: httpx.Client,
    app: FastAPI,
    app_url: str,
    mail_server: MailServer,
    host_account: None,
) -> None:
    with httpx.Client(base_url=app_url, follow_redirects=True, timeout=10) as elsewhere:
        log_in(elsewhere)
        ask_reset(client, HOST_EMAIL)
        deliver(app)
        link = link_path(mails_to(mail_server, HOST_EMAIL)[0])
        done = set_password(client, link)
        assert done.status_code == 200
        assert "Password changed" in done.text
        assert elsewhere.get("/dashboard", follow_redirects=False).status_code == 303
    assert can_log_in(app_url, NEW_PASSWORD)
    assert not can_log_in(app_url, HOST_PASSWORD)
    again = set_password(client, link, "yet another passphrase")
    assert again.status_code == 400
    assert can_log_in(app_url, NEW_PASSWORD)


def test_a_new_password_kills_the_reset_links_sent_before(
    client: httpx.Client, app: FastAPI, app_url: str, mail_server: MailServer, host_account: None
) -> None:
    ask_reset(client, HOST_EMAIL)
    ask_reset(client, HOST_EMAIL)
    deliver(app)
    older, newer = (link_path(mail) for mail in mails_to(mail_server, HOST_EMAIL))
    assert set_password(client, newer).status_code == 200
    stale = client.get(older)
    assert stale.status_code == 400
    assert "not valid any more" in stale.text


def test_reset_mails_are_limited_per_address(
    client: httpx.Client, app: FastAPI, mail_server: MailServer, host_account: None
) -> None:
    answers = [ask_reset(client, HOST_EMAIL).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    deliver(app)
    assert len(mails_to(mail_server, HOST_EMAIL)) == 5
