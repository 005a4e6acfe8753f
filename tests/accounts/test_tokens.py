"""Account links: signed, bound to the account's state, short-lived, one purpose each."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.orm import Session

from leadscalendar.accounts import registration
from leadscalendar.accounts import service as accounts
from leadscalendar.accounts.errors import AccountLinkError
from leadscalendar.accounts.models import Host
from leadscalendar.accounts.passwords import hash_password
from leadscalendar.accounts.tokens import AccountLinks, LinkPurpose, link_claims

LINKS = AccountLinks("test-secret-key-0123456789abcdef")


@pytest.fixture
def host(session: Session) -> Host:
    return registration.sign_up(
        session,
        email="lena@example.com",
        name="Lena",
        slug="lena",
        password="a long enough passphrase",
        timezone="Europe/Berlin",
    ).host


def token(host: Host, purpose: LinkPurpose, **extra: str) -> str:
    return LINKS.sign(link_claims(host, purpose, **extra))


def test_a_sign_up_creates_an_unverified_host_and_an_operator_a_verified_one(
    session: Session, host: Host
) -> None:
    assert host.email_verified_at is None
    made = accounts.create_host(
        session, email="op@example.com", name="Op", slug="op", password="a long enough one"
    )
    assert made.email_verified_at is not None


def test_a_verification_link_works_once(session: Session, host: Host) -> None:
    link = token(host, LinkPurpose.VERIFY_EMAIL)
    assert registration.confirm_email(session, LINKS, link).host is host
    assert host.email_verified_at is not None
    with pytest.raises(AccountLinkError):
        registration.confirm_email(session, LINKS, link)


def test_a_link_signed_with_another_key_or_altered_is_refused(session: Session, host: Host) -> None:
    forged = AccountLinks("another-secret-key-0123456789abcdef").sign(
        link_claims(host, LinkPurpose.VERIFY_EMAIL)
    )
    for bad in (forged, token(host, LinkPurpose.VERIFY_EMAIL)[:-2] + "xx", "", "garbage"):
        with pytest.raises(AccountLinkError):
            registration.confirm_email(session, LINKS, bad)


def test_a_reset_link_cannot_verify_and_a_verification_link_cannot_reset(
    session: Session, host: Host
) -> None:
    with pytest.raises(AccountLinkError):
        registration.confirm_email(session, LINKS, token(host, LinkPurpose.RESET_PASSWORD))
    with pytest.raises(AccountLinkError):
        registration.check_reset_link(session, LINKS, token(host, LinkPurpose.VERIFY_EMAIL))


def test_a_reset_link_expires_after_an_hour(
    session: Session, host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = token(host, LinkPurpose.RESET_PASSWORD)
    assert registration.check_reset_link(session, LINKS, link) is host
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(AccountLinkError, match="expired"):
        registration.check_reset_link(session, LINKS, link)


def test_a_verification_link_lives_two_days(
    session: Session, host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = token(host, LinkPurpose.VERIFY_EMAIL)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 47 * 3600)
    registration.confirm_email(session, LINKS, link)
    other = token(host, LinkPurpose.VERIFY_EMAIL)
    monkeypatch.setattr(time, "time", lambda: now + 96 * 3600)
    with pytest.raises(AccountLinkError, match="expired"):
        registration.confirm_email(session, LINKS, other)


def test_a_password_change_kills_every_link(session: Session, host: Host) -> None:
    links = [
        token(host, purpose) for purpose in (LinkPurpose.VERIFY_EMAIL, LinkPurpose.RESET_PASSWORD)
    ]
    change = token(host, LinkPurpose.CHANGE_EMAIL, new_email="new@example.com")
    host.password_hash = hash_password("a different passphrase")
    with pytest.raises(AccountLinkError):
        registration.confirm_email(session, LINKS, links[0])
    with pytest.raises(AccountLinkError):
        registration.check_reset_link(session, LINKS, links[1])
    with pytest.raises(AccountLinkError):
        registration.confirm_email(session, LINKS, change)


def test_an_email_change_link_moves_the_address_once(session: Session, host: Host) -> None:
    change = token(host, LinkPurpose.CHANGE_EMAIL, new_email="new@example.com")
    confirmed = registration.confirm_email(session, LINKS, change)
    assert (confirmed.previous_email, host.email) == ("lena@example.com", "new@example.com")
    with pytest.raises(AccountLinkError):
        registration.confirm_email(session, LINKS, change)
