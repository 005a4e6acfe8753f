"""The host's Google connection: connect (with state and PKCE), disconnect, key rotation."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from requests import RequestException
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.google import oauth, repository
from leadscalendar.google.exceptions import (
    ConnectFailedError,
    NotConnectedError,
    OAuthStateError,
)
from leadscalendar.google.models import (
    ConnectionStatus,
    GoogleConnection,
    OAuthState,
    RetiredGrant,
)
from leadscalendar.google.tokens import StoredTokens, TokenCipher

logger = logging.getLogger(__name__)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class DisconnectResult:
    revoked_at_google: bool


def start_connect(
    session: Session, settings: Settings, cipher: TokenCipher, *, host: Host, session_nonce: str
) -> str:
    """Record a single-use state bound to this browser session; return Google's consent URL."""
    now = utcnow()
    repository.delete_expired_states(session, now)
    state = secrets.token_urlsafe(32)
    request = oauth.authorization_request(settings, state, login_hint=None)
    session.add(
        OAuthState(
            state_hash=_digest(state),
            host_id=host.id,
            session_nonce_hash=_digest(session_nonce),
            code_verifier_ciphertext=cipher.encrypt(request.code_verifier.encode()),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.oauth_state_ttl_seconds),
        )
    )
    return request.url


def consume_state(
    session: Session, cipher: TokenCipher, *, host: Host, session_nonce: str, state: str | None
) -> str:
    """Mark the callback's state used and return its PKCE verifier, or refuse it.

    The caller's unit of work ends right after, so a state is spent even when
    the code exchange that follows fails: every state works at most once.
    """
    if not state:
        raise OAuthStateError(
            "The answer from Google carried no state. Start the connection again."
        )
    row = repository.get_state_for_update(session, _digest(state))
    if (
        row is None
        or row.host_id != host.id
        or not hmac.compare_digest(row.session_nonce_hash, _digest(session_nonce))
    ):
        raise OAuthStateError(
            "This connection link does not belong to your session. Start the connection again."
        )
    if row.consumed_at is not None:
        raise OAuthStateError("This connection link was already used. Start the connection again.")
    now = utcnow()
    if row.expires_at <= now:
        raise OAuthStateError("This connection link has expired. Start the connection again.")
    row.consumed_at = now
    return cipher.decrypt(row.code_verifier_ciphertext).decode()


@dataclass(frozen=True)
class Identity:
    """Which Google account a connection is, read before a reconnect overwrites it."""

    google_email: str | None
    token_ciphertext: bytes


def identity_of(session: Session, *, host_id: uuid.UUID) -> Identity | None:
    """The connected account and its grant as they are now (None: not connected)."""
    connection = repository.get_connection(session, host_id)
    if connection is None:
        return None
    return Identity(connection.google_email, connection.token_ciphertext)


def is_other_account(before: Identity | None, connection: GoogleConnection) -> bool:
    """A reconnect as a different Google account (an unknown address never counts)."""
    if before is None or not before.google_email or not connection.google_email:
        return False
    return before.google_email.strip().lower() != connection.google_email.strip().lower()


def retire_grant(
    session: Session, *, connection: GoogleConnection, before: Identity
) -> RetiredGrant:
    """Keep the old account's grant for moving its events off; start on the new primary.

    The calendar chosen before belongs to the old account, so new bookings go to
    the new account's primary calendar until the host picks another.
    """
    retired = RetiredGrant(
        host_id=connection.host_id,
        google_email=before.google_email,
        token_ciphertext=before.token_ciphertext,
        retired_at=utcnow(),
    )
    session.add(retired)
    connection.calendar_id = "primary"
    session.flush()
    return retired


@dataclass(frozen=True)
class Grant:
    """What Google gave for a consent: the tokens and the account's address (not stored yet)."""

    tokens: oauth.ExchangedTokens
    email: str | None


def exchange_code(settings: Settings, *, code: str, code_verifier: str) -> Grant:
    """Exchange the callback's code at Google; call it with no transaction open."""
    try:
        tokens = oauth.exchange_code(settings, code, code_verifier)
    except OAuth2Error as error:
        logger.info("google code exchange refused: %s", error.error)
        raise ConnectFailedError(
            f"Google refused the connection ({error.error}). Please try connecting again."
        ) from None
    except RequestException:
        raise ConnectFailedError(
            "Google could not be reached to finish the connection. Please try again.",
            status_code=502,
        ) from None
    return Grant(tokens, oauth.fetch_account_email(settings, tokens.access_token))


def store_grant(
    session: Session, cipher: TokenCipher, *, host_id: uuid.UUID, grant: Grant
) -> GoogleConnection:
    """Store the (possibly partial) grant, encrypted, as the host's connection."""
    tokens, email = grant.tokens, grant.email
    connection = repository.get_connection(session, host_id)
    previous_refresh = None
    if connection is None:
        connection = GoogleConnection(host_id=host_id, calendar_id="primary", token_version=0)
        session.add(connection)
    elif not is_other_account(Identity(email, b""), connection):
        # Google may omit the refresh token on a re-consent of the same account; another
        # account's token must never stand in for it.
        previous_refresh = cipher.decrypt_tokens(connection.token_ciphertext).refresh_token
    connection.status = ConnectionStatus.ACTIVE
    connection.status_reason = None
    connection.google_email = email
    connection.granted_scopes = " ".join(sorted(tokens.granted_scopes))
    connection.token_ciphertext = cipher.encrypt_tokens(
        StoredTokens(tokens.access_token, tokens.refresh_token or previous_refresh)
    )
    connection.access_token_expires_at = tokens.expires_at
    connection.token_version = (connection.token_version or 0) + 1
    session.flush()
    return connection


def finish_connect(
    session: Session,
    settings: Settings,
    cipher: TokenCipher,
    *,
    host: Host,
    code: str,
    code_verifier: str,
) -> GoogleConnection:
    """Exchange the code, then store the grant: for scripts (the benchmarks' seeding).

    Routes run the two phases apart (``exchange_code`` with no transaction
    open, then ``store_grant`` in a unit of work); the exchange here comes
    before ``session`` is used, but the caller's unit may already be open.
    """
    grant = exchange_code(settings, code=code, code_verifier=code_verifier)
    return store_grant(session, cipher, host_id=host.id, grant=grant)


def revocable_token(session: Session, cipher: TokenCipher, *, host_id: uuid.UUID) -> str:
    """The token to revoke at Google when disconnecting (``NotConnectedError`` if none)."""
    connection = get_connection(session, host_id=host_id)
    tokens = cipher.decrypt_tokens(connection.token_ciphertext)
    return tokens.refresh_token or tokens.access_token


def revoke_at_google(settings: Settings, token: str) -> DisconnectResult:
    """Revoke the grant; call it with no transaction open. Unreachable Google is no failure."""
    return DisconnectResult(revoked_at_google=oauth.revoke(settings, token))


def forget_connection(session: Session, *, host_id: uuid.UUID) -> None:
    """Delete the host's connection and its tokens (whatever Google answered to the revoke)."""
    connection = repository.get_connection(session, host_id)
    if connection is not None:
        session.delete(connection)
        session.flush()


def get_connection(session: Session, *, host_id: uuid.UUID) -> GoogleConnection:
    """The host's connection, or ``NotConnectedError``."""
    connection = repository.get_connection(session, host_id)
    if connection is None:
        raise NotConnectedError()
    return connection


def choose_calendar(
    session: Session,
    *,
    host_id: uuid.UUID,
    calendar_id: str,
    busy_calendar_ids: Sequence[str] | None = None,
) -> GoogleConnection:
    """Write new bookings' events to ``calendar_id`` (the caller checked it is writable).

    ``busy_calendar_ids`` (checked against the calendar list by the caller), when
    given, replaces the calendars whose events also count as busy.
    """
    connection = repository.get_connection(session, host_id)
    if connection is None:
        raise NotConnectedError()
    connection.calendar_id = calendar_id
    if busy_calendar_ids is not None:
        connection.busy_calendar_ids = sorted(set(busy_calendar_ids)) or None
    return connection


def rotate_keys(session: Session, cipher: TokenCipher) -> int:
    """Re-encrypt every stored secret under the newest key; returns how many rows changed."""
    count = 0
    for connection in repository.list_connections(session):
        connection.token_ciphertext = cipher.rotate(connection.token_ciphertext)
        count += 1
    for state in repository.list_states(session):
        state.code_verifier_ciphertext = cipher.rotate(state.code_verifier_ciphertext)
    for retired in repository.list_retired_grants(session):
        if retired.token_ciphertext is not None:
            retired.token_ciphertext = cipher.rotate(retired.token_ciphertext)
    return count
