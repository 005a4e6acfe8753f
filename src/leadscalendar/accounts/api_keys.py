"""Per-host API keys: created once, shown once, stored as a SHA-256 digest.

Why SHA-256 and not Argon2 like passwords: a key is 256 bits from
``secrets``, so nobody can guess it and a slow hash would add no protection
against a stolen database; a fast, unsalted digest lets every request find
its key with one indexed lookup instead of trying a slow hash per stored key.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadscalendar.accounts import repository
from leadscalendar.accounts.models import ApiKey, Host
from leadscalendar.errors import LeadsCalendarError, NotFoundError

KEY_PREFIX = "lc_"
SHOWN_PREFIX_LENGTH = 8
MAX_NAME_LENGTH = 100
# Recording every use would turn each API read into a write; once a minute is enough to show.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class InvalidApiKeyError(LeadsCalendarError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__("Send a valid API key: 'Authorization: Bearer lc_...'.")


class ApiKeyNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("There is no such API key.")


@dataclass(frozen=True)
class NewApiKey:
    """A key just created: ``secret`` exists only here and is never stored."""

    key: ApiKey
    secret: str


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(session: Session, host: Host, name: str) -> NewApiKey:
    """Create a key for ``host``; the returned secret must be shown to the host once."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise LeadsCalendarError(f"Give the key a name of 1 to {MAX_NAME_LENGTH} characters.")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        host_id=host.id,
        name=name,
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        key_hash=hash_key(secret),
    )
    session.add(key)
    session.flush()
    return NewApiKey(key=key, secret=secret)


def list_api_keys(session: Session, host: Host) -> list[ApiKey]:
    """The host's keys, oldest first, revoked ones included."""
    return repository.list_api_keys(session, host.id)


def revoke_api_key(session: Session, host: Host, key_id: uuid.UUID, now: datetime) -> ApiKey:
    """Revoke one of the host's keys; revoking twice keeps the first time."""
    key = repository.get_api_key(session, host.id, key_id)
    if key is None:
        raise ApiKeyNotFoundError()
    if key.revoked_at is None:
        key.revoked_at = now
    return key


def authenticate(session: Session, secret: str, now: datetime) -> Host:
    """The host a bearer key belongs to, or ``InvalidApiKeyError`` (missing, wrong, revoked)."""
    key = find_key(session, secret)
    host = repository.get_host(session, key.host_id)
    if host is None:
        raise InvalidApiKeyError()
    if use_is_due(key, now):
        key.last_used_at = now
    return host


def find_key(session: Session, secret: str) -> ApiKey:
    """The live key ``secret`` names, or ``InvalidApiKeyError``; reads only."""
    if not secret.startswith(KEY_PREFIX):
        raise InvalidApiKeyError()
    key = repository.get_api_key_by_hash(session, hash_key(secret))
    if key is None or key.revoked_at is not None:
        raise InvalidApiKeyError()
    return key


def use_is_due(key: ApiKey, now: datetime) -> bool:
    """Whether this use should be written down (at most once per ``LAST_USED_RESOLUTION``)."""
    return key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION


def record_use(session: Session, key_id: uuid.UUID, now: datetime) -> None:
    """Write down a use of the key, in the caller's transaction."""
    repository.touch_api_key(session, key_id, now)
