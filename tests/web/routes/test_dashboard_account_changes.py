"""Changing the e-mail address from the Account page (real HTTP, real SMTP): the new address
gets a link that works once, the old address is told, and nothing changes before the link."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts import service as accounts
from leadscalendar.accounts.models import Host
from leadscalendar.db.session import unit_of_work
from tests.support.account_mail import deliver, link_path, mails_to, settings
from tests.support.app_env import HOST_EMAIL, HOST_PASSWORD, csrf_from
from tests.support.mail_server import MailServer, text_of

__all__ = ["settings"]

ACCOUNT = "/dashboard/account"
NEW_ADDRESS = "coach.new@example.com"


def change_email(client: httpx.Client, new: str, password: str = HOST_PASSWORD) -> httpx.Response:
    page = client.get(ACCOUNT)
    return client.post(
        f"{ACCOUNT}/email",
        data={"new_email": new, "current_password": password, "csrf_token": csrf_from(page.text)},
    )


def login_email(factory: sessionmaker[Session]) -> str:
    with factory() as session:
        host = session.scalar(select(Host))
        assert host is not None
        return host.email


def test_a_new_address_is_used_only_after_its_link_is_followed_and_the_old_one_is_told(
    logged_in: httpx.Client,
    app: FastAPI,
    mail_server: MailServer,
    session_factory: sessionmaker[Session],
) -> None:
    page = change_email(logged_in, NEW_ADDRESS)
    assert f"We sent a confirmation link to {NEW_ADDRESS}" in page.text
    assert login_email(session_factory) == HOST_EMAIL
    deliver(app)
    (notice,) = mails_to(mail_server, HOST_EMAIL)
    assert NEW_ADDRESS in text_of(notice)
    assert "?token=" not in text_of(notice)
    (confirm,) = mails_to(mail_server, NEW_ADDRESS)
    link = link_path(confirm)

    assert logged_in.get(link).status_code == 200
    assert login_email(session_factory) == NEW_ADDRESS
    assert logged_in.get(link).status_code == 400


def test_a_wrong_password_changes_nothing_and_sends_nothing(
    logged_in: httpx.Client,
    app: FastAPI,
    mail_server: MailServer,
    session_factory: sessionmaker[Session],
) -> None:
    page = change_email(logged_in, NEW_ADDRESS, password="not my password")
    assert "current password is not right" in page.text
    assert deliver(app) == 0
    assert login_email(session_factory) == HOST_EMAIL


def test_an_address_that_has_an_account_is_told_so_instead_of_getting_a_link(
    logged_in: httpx.Client,
    app: FastAPI,
    mail_server: MailServer,
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        accounts.create_host(
            session, email=NEW_ADDRESS, name="Other", slug="other", password=HOST_PASSWORD
        )
    page = change_email(logged_in, NEW_ADDRESS)
    assert f"We sent a confirmation link to {NEW_ADDRESS}" in page.text
    deliver(app)
    (mail,) = mails_to(mail_server, NEW_ADDRESS)
    assert "already have" in str(mail["Subject"])
    assert "?token=" not in text_of(mail)
