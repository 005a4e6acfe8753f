"""Signed, short-lived, single-use links for e-mail verification, password reset and
e-mail change.

A link carries the host's id, what it is for, and a fingerprint of the account's
current state (e-mail, password hash, verification time), signed with the
secret key and timestamped (itsdangerous). Nothing is stored: a link dies when
it is older than its lifetime, or as soon as the state it was made for moves
on — verifying the e-mail spends every verification link, a new password
spends every reset link (and every other link), a changed e-mail spends every
link sent before. So each link works once, and an old one cannot be replayed.

The mail job stores only the claims (id, purpose, fingerprint, new e-mail);
the signature is made when the mail is rendered, so the jobs table holds no
working link, in the same way lead mails are signed at send time.
"""

from __future__ import annotations

import enum
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from leadscalendar.accounts.errors import AccountLinkError
from leadscalendar.accounts.models import Host

SALT = "leadscalendar.account-link"


class LinkPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify"
    RESET_PASSWORD = "reset"  # noqa: S105 - a link purpose
    CHANGE_EMAIL = "change-email"


LIFETIMES = {
    LinkPurpose.VERIFY_EMAIL: timedelta(hours=48),
    LinkPurpose.RESET_PASSWORD: timedelta(hours=1),
    LinkPurpose.CHANGE_EMAIL: timedelta(hours=48),
}
# The page each link opens (the mail renderer joins it to the public URL).
PATHS = {
    LinkPurpose.VERIFY_EMAIL: "/verify-email",
    LinkPurpose.RESET_PASSWORD: "/reset-password",
    LinkPurpose.CHANGE_EMAIL: "/verify-email",
}


def fingerprint(host: Host, purpose: LinkPurpose) -> str:
    """A digest of what a link must find unchanged; any change kills the link."""
    verified = host.email_verified_at.isoformat() if host.email_verified_at else ""
    state = "|".join(
        (purpose.value, str(host.id), host.email.lower(), host.password_hash, verified)
    )
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def link_claims(host: Host, purpose: LinkPurpose, *, new_email: str = "") -> dict[str, str]:
    """What a queued mail keeps to sign its link at send time (no secret in it)."""
    claims = {
        "path": PATHS[purpose],
        "purpose": purpose.value,
        "host_id": str(host.id),
        "fingerprint": fingerprint(host, purpose),
    }
    if new_email:
        claims["new_email"] = new_email
    return claims


@dataclass(frozen=True)
class LinkClaims:
    purpose: LinkPurpose
    host_id: uuid.UUID
    fingerprint: str
    new_email: str


class AccountLinks:
    """Signs and checks account links with the app's secret key."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)

    def sign(self, claims: Mapping[str, Any]) -> str:
        """The token for a link; ``claims`` as ``link_claims`` made them."""
        data = {key: str(claims[key]) for key in ("purpose", "host_id", "fingerprint")}
        if claims.get("new_email"):
            data["new_email"] = str(claims["new_email"])
        return str(self._serializer.dumps(data))

    def read(self, token: str, purposes: tuple[LinkPurpose, ...]) -> LinkClaims:
        """The claims of a valid, unexpired token for one of ``purposes``, or a 400."""
        try:
            _, unsigned = self._serializer.loads_unsafe(token)
            purpose = LinkPurpose(unsigned["purpose"]) if isinstance(unsigned, dict) else None
        except (ValueError, KeyError, TypeError):
            purpose = None
        if purpose is None or purpose not in purposes:
            raise AccountLinkError()
        try:
            data = self._serializer.loads(token, max_age=int(LIFETIMES[purpose].total_seconds()))
            return LinkClaims(
                purpose=purpose,
                host_id=uuid.UUID(data["host_id"]),
                fingerprint=str(data["fingerprint"]),
                new_email=str(data.get("new_email") or ""),
            )
        except SignatureExpired:
            raise AccountLinkError(expired=True) from None
        except (BadSignature, ValueError, KeyError, TypeError):
            raise AccountLinkError() from None
