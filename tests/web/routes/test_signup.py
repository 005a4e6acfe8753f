"""Sign-up over real HTTP with a real SMTP server: the mailed link confirms the address once,
an existing address is answered the same, attempts are limited, and an unconfirmed host
cannot be booked."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts.models import Host
from leadscalendar.config import Settings
from leadscalendar.db.session import unit_of_work
from leadscalendar.demo import seed_sample_host
from tests.support.account_mail import deliver, link_path, mails_to, settings
from tests.support.app_env import csrf_from, log_in
from tests.support.mail_server import MailServer, text_of

__all__ = ["settings"]

NEW_EMAIL = "lena@example.com"
NEW_PASSWORD = "a long enough passphrase"


def sign_up(client: httpx.Client, **fields: str) -> httpx.Response:
    page = client.get("/signup")
    assert page.status_code == 200
    data = {
        "name": "Lena Müller",
        "email": NEW_EMAIL,
        "password": NEW_PASSWORD,
        "slug": "",
        "timezone": "Europe/Berlin",
        "csrf_token": csrf_from(page.text),
        **fields,
    }
    return client.post("/signup", data=data)


def hosts(factory: sessionmaker[Session]) -> list[Host]:
    with factory() as session:
        return list(session.scalars(select(Host).order_by(Host.created_at)))


def test_signing_up_mails_a_link_that_confirms_the_address_once(
    client: httpx.Client,
    app: FastAPI,
    mail_server: MailServer,
    session_factory: sessionmaker[Session],
) -> None:
    answer = sign_up(client)
    assert answer.status_code == 200
    assert "Check your inbox" in answer.text
    (host,) = hosts(session_factory)
    assert (host.email, host.slug, host.timezone) == (NEW_EMAIL, "lena-muller", "Europe/Berlin")
    assert host.email_verified_at is None

    assert deliver(app) == 1
    (mail,) = mails_to(mail_server, NEW_EMAIL)
    assert "Confirm your e-mail" in str(mail["Subject"])
    link = link_path(mail)
    assert link.startswith("/verify-email?token=")

    first = client.get(link)
    assert first.status_code == 200
    assert "E-mail confirmed" in first.text
    assert hosts(session_factory)[0].email_verified_at is not None
    again = client.get(link)
    assert again.status_code == 400
    assert "not valid any more" in again.text


def test_an_existing_address_gets_the_same_answer_and_a_mail_instead_of_a_second_account(
    client: httpx.Client,
    app: FastAPI,
    mail_server: MailServer,
    host_account: None,
    session_factory: sessionmaker[Session],
) -> None:
    fresh = sign_up(client, email="new@example.com", slug="new-host")
    taken = sign_up(client, email="coach@example.com", slug="other-host")
    assert fresh.status_code == taken.status_code == 200
    assert fresh.text.replace("new@example.com", "X") == taken.text.replace(
        "coach@example.com", "X"
    )
    assert [h.email for h in hosts(session_factory)] == ["coach@example.com", "new@example.com"]
    deliver(app)
    (mail,) = mails_to(mail_server, "coach@example.com")
    assert "already have" in str(mail["Subject"])
    assert "?token=" not in text_of(mail)


def test_a_taken_page_address_is_refused_alike_for_known_and_unknown_addresses(
    client: httpx.Client, host_account: None, session_factory: sessionmaker[Session]
) -> None:
    known = sign_up(client, email="coach@example.com", slug="coach")
    unknown = sign_up(client, email="new@example.com", slug="coach")
    assert known.status_code == unknown.status_code == 409
    assert "is taken" in known.text
    assert known.text.replace("coach@example.com", "X") == unknown.text.replace(
        "new@example.com", "X"
    )
    assert len(hosts(session_factory)) == 1


def test_sign_up_mails_are_limited_per_address_whether_or_not_it_has_an_account(
    settings: Settings, host_account: None, app: FastAPI, client: httpx.Client
) -> None:
    limit = settings.account_mails_per_email_per_hour
    for email in ("coach@example.com", "nobody-yet@example.com"):
        answers = [sign_up(client, email=email, slug=f"s{i}").status_code for i in range(limit + 1)]
        assert answers[-1] == 429, (email, answers)
        assert all(code != 429 for code in answers[:-1]), (email, answers)


def test_the_page_address_is_proposed_from_the_name_and_reserved_words_are_refused(
    client: httpx.Client, session_factory: sessionmaker[Session]
) -> None:
    reserved = sign_up(client, slug="signup")
    assert reserved.status_code == 400
    assert "reserved" in reserved.text
    short = sign_up(client, password="short")
    assert short.status_code == 400
    assert "at least 10 characters" in short.text
    assert hosts(session_factory) == []
    assert sign_up(client, name="Dr. Élodie O'Neil", slug="").status_code == 200
    assert hosts(session_factory)[0].slug == "dr-elodie-o-neil"


def test_login_and_signup_pages_link_to_each_other(client: httpx.Client) -> None:
    assert 'href="/signup"' in client.get("/login").text
    assert 'href="/forgot-password"' in client.get("/login").text
    assert 'href="/login"' in client.get("/signup").text


@pytest.fixture
def unverified_host(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        host = seed_sample_host(
            session,
            email="coach@example.com",
            name="Coach",
            slug="coach",
            password="correct horse battery",
            timezone="Europe/Paris",
            min_notice_minutes=60,
        )
        host.email_verified_at = None


def test_an_unconfirmed_host_can_log_in_but_cannot_be_booked_until_confirmed(
    client: httpx.Client,
    app: FastAPI,
    mail_server: MailServer,
    unverified_host: None,
    session_factory: sessionmaker[Session],
) -> None:
    assert client.get("/coach/intro").status_code == 404
    log_in(client)
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert 'id="verify-banner"' in dashboard.text
    client.post("/verify-email/resend", data={"csrf_token": csrf_from(dashboard.text)})
    deliver(app)
    (mail,) = mails_to(mail_server, "coach@example.com")
    assert client.get(link_path(mail)).status_code == 200
    assert 'id="verify-banner"' not in client.get("/dashboard").text
    # The page exists now (it says the calendar is not connected yet: a 503 until then).
    page = client.get("/coach/intro")
    assert page.status_code != 404
    assert 'id="type-title">Intro call' in page.text


def test_hosts_created_by_an_operator_are_confirmed(
    host_account: None, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        assert session.scalar(select(func.count()).where(Host.email_verified_at.is_(None))) == 0
