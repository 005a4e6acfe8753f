"""Host accounts: creation, password login and password change."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from leadscalendar.accounts import repository
from leadscalendar.accounts.errors import (
    HostAlreadyExistsError,
    InvalidCredentialsError,
    WrongPasswordError,
)
from leadscalendar.accounts.models import Host
from leadscalendar.accounts.passwords import DUMMY_HASH, hash_password, verify_password
from leadscalendar.db.base import utcnow
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.inputs import iana_time_zone, single_line

MIN_PASSWORD_LENGTH = 10
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def normalise_email(email: str) -> str:
    """Validate an e-mail address and return its normalised form, or raise a 400."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise LeadsCalendarError(f"Invalid e-mail address: {exc}") from None


@dataclass(frozen=True)
class NewHostFields:
    """A host's sign-up fields, checked and normalised."""

    email: str
    name: str
    slug: str
    timezone: str


def check_new_host(
    *, email: str, name: str, slug: str, password: str, timezone: str
) -> NewHostFields:
    """Check every field of a new host, so the CLI and the web say the same thing."""
    email = normalise_email(email)
    if not name.strip() or len(name) > 200:
        raise LeadsCalendarError("A name of 1 to 200 characters is required.")
    try:
        single_line(name)
    except ValueError:
        raise LeadsCalendarError("The name must be one line without control characters.") from None
    if not SLUG_PATTERN.fullmatch(slug):
        raise LeadsCalendarError(
            "The slug must be 1 to 64 lowercase letters, digits or dashes, "
            "not starting or ending with a dash."
        )
    check_new_password(password)
    try:
        timezone = iana_time_zone(timezone)
    except ValueError:
        raise LeadsCalendarError(f"Unknown time zone {timezone!r}; use an IANA name.") from None
    return NewHostFields(email=email, name=name.strip(), slug=slug, timezone=timezone)


def create_host(
    session: Session,
    *,
    email: str,
    name: str,
    slug: str,
    password: str,
    timezone: str = "UTC",
    verified: bool = True,
) -> Host:
    """Create a host; ``verified`` is for hosts an operator creates (the CLI, the demo).

    A host signing up on the web is created unverified and mailed a link.
    """
    fields = check_new_host(email=email, name=name, slug=slug, password=password, timezone=timezone)
    if repository.get_host_by_email(session, fields.email) is not None:
        raise HostAlreadyExistsError(f"A host with e-mail {fields.email} already exists.")
    if repository.get_host_by_slug(session, slug) is not None:
        raise HostAlreadyExistsError(f"The slug {slug!r} is taken.")
    host = Host(
        email=fields.email,
        name=fields.name,
        slug=fields.slug,
        password_hash=hash_password(password),
        timezone=fields.timezone,
        email_verified_at=utcnow() if verified else None,
        # An operator sets a host up by other means: no setup checklist on first login.
        timezone_confirmed_at=utcnow() if verified else None,
        onboarding_dismissed_at=utcnow() if verified else None,
    )
    session.add(host)
    session.flush()
    return host


def authenticate(session: Session, *, email: str, password: str) -> Host:
    """Return the host whose credentials these are, or raise ``InvalidCredentialsError``."""
    host = repository.get_host_by_email(session, email.strip())
    if host is None:
        verify_password(DUMMY_HASH, password)
        raise InvalidCredentialsError()
    if not verify_password(host.password_hash, password):
        raise InvalidCredentialsError()
    return host


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise LeadsCalendarError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        )


def change_password(
    session: Session,
    host: Host,
    *,
    current_password: str,
    new_password: str,
    keep_session_id: uuid.UUID | None,
) -> int:
    """Set a new password and log out every other session; the number of sessions ended.

    Whoever knew the old password may be logged in somewhere: changing it must
    end that too, while the browser making the change stays logged in.
    """
    if not verify_password(host.password_hash, current_password):
        raise WrongPasswordError()
    check_new_password(new_password)
    host.password_hash = hash_password(new_password)
    return repository.delete_sessions(session, host.id, except_id=keep_session_id)
