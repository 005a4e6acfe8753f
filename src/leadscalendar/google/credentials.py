"""Valid Google credentials for a host: the one place tokens are read and refreshed.

The ``Credentials`` handed out hold the access token only. When google-auth
needs a new one (expired, or a 401 from Google) it calls back into
``CredentialProvider.refresh``, which locks the connection row, lets one
worker refresh while the others reuse its result, persists the new token
encrypted, and marks the connection ``needs_reauth`` on ``invalid_grant``.
The refresh token never leaves this module.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import google.auth.transport.requests
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import read_only, unit_of_work
from leadscalendar.google import repository
from leadscalendar.google.exceptions import NotConnectedError, ReauthorizationRequiredError
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from leadscalendar.google.tokens import StoredTokens, TokenCipher

logger = logging.getLogger(__name__)

# Token endpoint errors that mean the grant itself is gone: only re-consent helps.
REAUTH_ERRORS = frozenset({"invalid_grant", "invalid_scope"})
# ... and those that mean our OAuth client is wrong (RFC 6749 section 5.2): an operator's.
CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client"})

# Called in the transaction that marks a connection needs_reauth (the host's
# e-mail is queued there); a hook so this layer imports nothing above it.
NeedsReauthHook = Callable[[Session, GoogleConnection], None]


def refresh_error_code(error: RefreshError) -> str | None:
    """The OAuth ``error`` code google-auth attached to a failed refresh, if any."""
    for arg in error.args[1:]:
        if isinstance(arg, dict) and isinstance(arg.get("error"), str):
            return str(arg["error"])
    message = str(error.args[0]) if error.args else ""
    return message.split(":", 1)[0].strip() or None


def _naive_utc(moment: datetime | None) -> datetime | None:
    # google-auth compares expiries with naive UTC; the conversion stays at its boundary.
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


@dataclass(frozen=True)
class AccessGrant:
    """A connection's access token as read from its row; never the refresh token."""

    host_id: uuid.UUID
    access_token: str = field(repr=False)
    expires_at: datetime | None
    scopes: tuple[str, ...]


class CredentialProvider:
    def __init__(
        self,
        settings: Settings,
        cipher: TokenCipher,
        session_factory: sessionmaker[Session],
        *,
        on_needs_reauth: NeedsReauthHook | None = None,
        read_session_factory: sessionmaker[Session] | None = None,
    ) -> None:
        self._settings = settings
        self._on_needs_reauth = on_needs_reauth
        self._cipher = cipher
        self._session_factory = session_factory
        # Reading a grant takes no write lock (a lead's slot page asks free/busy);
        # only a refresh, which stores the new token, writes.
        self._read_session_factory = read_session_factory or session_factory
        self._margin = timedelta(seconds=settings.token_refresh_margin_seconds)

    def for_host(self, host_id: uuid.UUID) -> Credentials:
        """Credentials that are valid now (refreshed first if they are about to expire)."""
        with read_only(self._read_session_factory) as session:
            grant = self.grant_of(repository.get_connection(session, host_id))
        return self.for_grant(grant)

    def grant_of(self, connection: GoogleConnection | None) -> AccessGrant:
        """The access token of a connection row the caller has just read.

        For callers that read the connection in their own transaction anyway
        (a job planning its call): one transaction instead of two. Raises like
        ``for_host`` when the host is not connected or must re-authorize.
        """
        if connection is None:
            raise NotConnectedError()
        if connection.status is ConnectionStatus.NEEDS_REAUTH:
            raise ReauthorizationRequiredError(connection.status_reason)
        return AccessGrant(
            host_id=connection.host_id,
            access_token=self._cipher.decrypt_tokens(connection.token_ciphertext).access_token,
            expires_at=connection.access_token_expires_at,
            scopes=tuple(sorted(connection.granted_scope_set)),
        )

    def for_grant(self, grant: AccessGrant) -> Credentials:
        """Credentials for ``grant``, refreshed first if its token is about to expire.

        Call it after the transaction that read the grant has ended: a refresh
        takes the connection row's lock in a transaction of its own.
        """
        expires_at = grant.expires_at
        if expires_at is None or expires_at - self._margin <= utcnow():
            token, naive_expiry = self.refresh(grant.host_id)
            return self._handle(grant.host_id, token, naive_expiry, grant.scopes)
        return self._handle(grant.host_id, grant.access_token, _naive_utc(expires_at), grant.scopes)

    def for_retired(self, token_ciphertext: bytes) -> Credentials:
        """Fresh credentials of a retired grant (an account the host switched away from).

        Refreshed now, outside any transaction and without writing back: the
        grant only serves the few moves of its events, and a refresh that fails
        (``RefreshError``) tells the caller the old account no longer lets us in.
        """
        tokens = self._cipher.decrypt_tokens(token_ciphertext)
        if not tokens.refresh_token:
            raise RefreshError("invalid_grant: no refresh token stored", {"error": "invalid_grant"})
        credentials = Credentials(
            token=None,
            refresh_token=tokens.refresh_token,
            token_uri=self._settings.google_token_uri,
            client_id=self._settings.google_client_id,
            client_secret=self._settings.google_client_secret,
        )
        credentials.refresh(google.auth.transport.requests.Request())
        return credentials

    def _handle(
        self, host_id: uuid.UUID, token: str, expiry: datetime | None, scopes: Sequence[str]
    ) -> Credentials:
        credentials = Credentials(token=token, expiry=expiry, scopes=list(scopes))

        def refresh_handler(
            _request: object, scopes: Sequence[str] | None = None
        ) -> tuple[str, datetime | None]:
            # The token google-auth holds now is the one Google just refused.
            return self.refresh(host_id, stale_token=credentials.token)

        credentials.refresh_handler = refresh_handler
        return credentials

    def refresh(
        self, host_id: uuid.UUID, *, stale_token: str | None = None
    ) -> tuple[str, datetime | None]:
        """Get a fresh access token; safe when several workers call it at once.

        The row lock (PostgreSQL ``FOR UPDATE``; SQLite serialises writers) makes
        the second caller wait, then see the first caller's token and reuse it.
        Returns the token and its expiry as naive UTC, as google-auth expects.
        """
        reauth_reason: str | None = None
        with unit_of_work(self._session_factory) as session:
            connection = self._usable_connection(session, host_id, for_update=True)
            tokens = self._cipher.decrypt_tokens(connection.token_ciphertext)
            expires_at = connection.access_token_expires_at
            fresh = expires_at is not None and expires_at - self._margin > utcnow()
            if fresh and tokens.access_token != stale_token:
                return tokens.access_token, _naive_utc(expires_at)
            try:
                refreshed = self._refresh_at_google(connection, tokens)
            except RefreshError as error:
                code = refresh_error_code(error)
                if code in CLIENT_ERRORS:
                    # Every refresh path comes through here: one alert for the operator.
                    logger.error(
                        "google token endpoint refused our oauth client (%s); check "
                        "LEADSCALENDAR_GOOGLE_CLIENT_ID and LEADSCALENDAR_GOOGLE_CLIENT_SECRET",
                        code,
                    )
                if code not in REAUTH_ERRORS:
                    raise
                reauth_reason = f"Google answered {code} when refreshing the access token"
                mark_needs_reauth(connection, reauth_reason)
                if self._on_needs_reauth is not None:
                    self._on_needs_reauth(session, connection)
                logger.warning(
                    "google connection needs re-authorization", extra={"host_id": str(host_id)}
                )
            else:
                return refreshed
        raise ReauthorizationRequiredError(reauth_reason)

    def _refresh_at_google(
        self, connection: GoogleConnection, tokens: StoredTokens
    ) -> tuple[str, datetime | None]:
        if not tokens.refresh_token:
            raise RefreshError("invalid_grant: no refresh token stored", {"error": "invalid_grant"})
        credentials = Credentials(
            token=None,
            refresh_token=tokens.refresh_token,
            token_uri=self._settings.google_token_uri,
            client_id=self._settings.google_client_id,
            client_secret=self._settings.google_client_secret,
        )
        try:
            credentials.refresh(google.auth.transport.requests.Request())
        except TransportError:
            logger.warning("token endpoint unreachable during refresh")
            raise
        expires_at = credentials.expiry.replace(tzinfo=UTC) if credentials.expiry else None
        new_tokens = StoredTokens(
            access_token=str(credentials.token),
            refresh_token=credentials.refresh_token or tokens.refresh_token,
        )
        connection.token_ciphertext = self._cipher.encrypt_tokens(new_tokens)
        connection.access_token_expires_at = expires_at
        connection.token_version += 1
        return new_tokens.access_token, _naive_utc(expires_at)

    @staticmethod
    def _usable_connection(
        session: Session, host_id: uuid.UUID, *, for_update: bool = False
    ) -> GoogleConnection:
        connection = repository.get_connection(session, host_id, for_update=for_update)
        if connection is None:
            raise NotConnectedError()
        if connection.status is ConnectionStatus.NEEDS_REAUTH:
            raise ReauthorizationRequiredError(connection.status_reason)
        return connection


def mark_needs_reauth(connection: GoogleConnection, reason: str) -> None:
    connection.status = ConnectionStatus.NEEDS_REAUTH
    connection.status_reason = reason
