from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from leadscalendar.accounts import service
from leadscalendar.accounts.errors import HostAlreadyExistsError, InvalidCredentialsError
from leadscalendar.errors import LeadsCalendarError


def make_host(session: Session, **overrides: str) -> None:
    fields = {
        "email": "coach@example.com",
        "name": "Coach",
        "slug": "coach",
        "password": "correct horse battery",
        "timezone": "Europe/Paris",
    }
    fields.update(overrides)
    service.create_host(session, **fields)


def test_created_host_can_log_in_and_password_is_hashed(session: Session) -> None:
    make_host(session)
    session.commit()
    host = service.authenticate(
        session, email="Coach@Example.com", password="correct horse battery"
    )
    assert host.slug == "coach"
    assert "correct horse battery" not in host.password_hash
    assert host.password_hash.startswith("$argon2id$")


def test_wrong_password_and_unknown_email_are_refused_alike(session: Session) -> None:
    make_host(session)
    with pytest.raises(InvalidCredentialsError) as wrong_password:
        service.authenticate(session, email="coach@example.com", password="nope nope nope")
    with pytest.raises(InvalidCredentialsError) as unknown:
        service.authenticate(session, email="who@example.com", password="correct horse battery")
    assert wrong_password.value.message == unknown.value.message
    assert wrong_password.value.status_code == 401


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("email", "not-an-email", "Invalid e-mail"),
        ("slug", "Bad Slug", "slug"),
        ("password", "short", "at least"),
        ("timezone", "Mars/Olympus", "Unknown time zone"),
        ("name", "  ", "name"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    session: Session, field: str, value: str, fragment: str
) -> None:
    with pytest.raises(LeadsCalendarError) as error:
        make_host(session, **{field: value})
    assert fragment in error.value.message
    assert error.value.status_code == 400


def test_duplicate_email_and_slug_are_conflicts(session: Session) -> None:
    make_host(session)
    with pytest.raises(HostAlreadyExistsError) as by_email:
        make_host(session, slug="other")
    with pytest.raises(HostAlreadyExistsError) as by_slug:
        make_host(session, email="other@example.com")
    assert by_email.value.status_code == by_slug.value.status_code == 409
