"""Sign-up, e-mail verification, password reset and e-mail change.

These operations change accounts only; the mails they call for are queued by
the caller (``notifications.account_mails``), in the same transaction. None
of them tells a caller more than the page may show: sign-up and "forgot
password" answer the same whether or not an address has an account.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy.orm import Session

from leadscalendar.accounts import repository
from leadscalendar.accounts.errors import (
    AccountLinkError,
    HostAlreadyExistsError,
    WrongPasswordError,
)
from leadscalendar.accounts.models import Host
from leadscalendar.accounts.passwords import hash_password, verify_password
from leadscalendar.accounts.service import (
    check_new_host,
    check_new_password,
    create_host,
    normalise_email,
)
from leadscalendar.accounts.tokens import AccountLinks, LinkClaims, LinkPurpose, fingerprint
from leadscalendar.db.base import utcnow
from leadscalendar.errors import LeadsCalendarError


@dataclass(frozen=True)
class SignUp:
    """The host the sign-up concerns; ``created`` is False when the address had an account."""

    host: Host
    created: bool


def sign_up(
    session: Session, *, email: str, name: str, slug: str, password: str, timezone: str
) -> SignUp:
    """Create an unverified host, or find the one that owns the address.

    An existing address is not an error: the page must say the same thing
    (check your inbox) and the owner gets a mail instead of a second account.
    A taken slug is an error: slugs are public anyway.
    """
    fields = check_new_host(email=email, name=name, slug=slug, password=password, timezone=timezone)
    # The slug first, whoever owns the address: checked after it, a taken slug would
    # be refused for new addresses only, and the refusal would tell which are new.
    if repository.get_host_by_slug(session, fields.slug) is not None:
        raise HostAlreadyExistsError(
            f"The page address {fields.slug!r} is taken. Please choose another."
        )
    existing = repository.get_host_by_email(session, fields.email)
    if existing is not None:
        # As slow as a real sign-up: the answer's timing must not tell either.
        hash_password(password)
        return SignUp(host=existing, created=False)
    host = create_host(
        session,
        email=fields.email,
        name=fields.name,
        slug=fields.slug,
        password=password,
        timezone=fields.timezone,
        verified=False,
    )
    return SignUp(host=host, created=True)


def _host_for(session: Session, claims: LinkClaims) -> Host:
    host = repository.get_host(session, claims.host_id)
    if (
        host is None
        or host.deleted_at is not None
        or not hmac.compare_digest(fingerprint(host, claims.purpose), claims.fingerprint)
    ):
        raise AccountLinkError()
    return host


@dataclass(frozen=True)
class Confirmed:
    """A followed verification link: the host, and the address it replaced (e-mail change)."""

    host: Host
    previous_email: str = ""


def confirm_email(session: Session, links: AccountLinks, token: str) -> Confirmed:
    """Mark the address proven: the sign-up address, or the new one of an e-mail change."""
    claims = links.read(token, (LinkPurpose.VERIFY_EMAIL, LinkPurpose.CHANGE_EMAIL))
    host = _host_for(session, claims)
    now = utcnow()
    if claims.purpose is LinkPurpose.VERIFY_EMAIL:
        host.email_verified_at = now
        return Confirmed(host)
    other = repository.get_host_by_email(session, claims.new_email)
    if other is not None and other.id != host.id:
        raise HostAlreadyExistsError(
            "That address belongs to another account now, so your e-mail was not changed."
        )
    previous = host.email
    host.email = claims.new_email
    host.email_verified_at = now
    session.flush()
    return Confirmed(host, previous_email=previous)


def find_for_reset(session: Session, email: str) -> Host | None:
    """The live host an address belongs to, if any (the caller answers the same either way)."""
    try:
        normalised = normalise_email(email)
    except LeadsCalendarError:
        return None
    host = repository.get_host_by_email(session, normalised)
    return host if host is not None and host.deleted_at is None else None


def check_reset_link(session: Session, links: AccountLinks, token: str) -> Host:
    """The host a reset link is for, while it is still valid."""
    return _host_for(session, links.read(token, (LinkPurpose.RESET_PASSWORD,)))


def reset_password(session: Session, links: AccountLinks, token: str, new_password: str) -> Host:
    """Set a new password from a reset link; every session ends, every older link dies.

    Following the link proved the mailbox is theirs, so an unverified address
    counts as verified from here.
    """
    host = check_reset_link(session, links, token)
    check_new_password(new_password)
    host.password_hash = hash_password(new_password)
    if host.email_verified_at is None:
        host.email_verified_at = utcnow()
    repository.delete_sessions(session, host.id)
    return host


@dataclass(frozen=True)
class EmailChange:
    """A requested change: mail ``new_email`` a link, unless ``taken`` (then tell it so)."""

    new_email: str
    taken: bool


def request_email_change(
    session: Session, host: Host, *, password: str, new_email: str
) -> EmailChange:
    """Check the request; nothing changes until the link sent to the new address is followed."""
    if not verify_password(host.password_hash, password):
        raise WrongPasswordError()
    normalised = normalise_email(new_email)
    if normalised.lower() == host.email.lower():
        raise LeadsCalendarError("That is already your e-mail address.")
    taken = repository.get_host_by_email(session, normalised) is not None
    return EmailChange(new_email=normalised, taken=taken)
