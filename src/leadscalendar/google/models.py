"""A host's connection to Google, and the pending OAuth authorisations."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadscalendar.db.base import Base, IdMixin, TimestampMixin, str_enum
from leadscalendar.google.scopes import missing_scopes, parse_scope


class ConnectionStatus(enum.StrEnum):
    ACTIVE = "active"
    # Google refused our refresh token (revoked, expired, password change...):
    # nothing works until the host goes through consent again.
    NEEDS_REAUTH = "needs_reauth"


class GoogleConnection(IdMixin, TimestampMixin, Base):
    __tablename__ = "google_connections"

    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[ConnectionStatus] = mapped_column(str_enum(ConnectionStatus))
    status_reason: Mapped[str | None] = mapped_column(Text)
    google_email: Mapped[str | None] = mapped_column(String(320))
    # Where bookings are written; "primary" until the host picks another.
    calendar_id: Mapped[str] = mapped_column(String(1024), default="primary")
    # Further calendars whose events make the host busy (the primary and the
    # bookings calendar always do); None until the host ticks any.
    busy_calendar_ids: Mapped[list[str] | None] = mapped_column(JSON)
    granted_scopes: Mapped[str] = mapped_column(Text, default="")
    # Access and refresh token, encrypted together (see google.tokens).
    token_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    access_token_expires_at: Mapped[datetime | None]
    # Bumped on every token change so concurrent refreshes can tell who won.
    token_version: Mapped[int] = mapped_column(default=0)

    @property
    def granted_scope_set(self) -> frozenset[str]:
        return parse_scope(self.granted_scopes)

    @property
    def missing_scopes(self) -> tuple[str, ...]:
        return missing_scopes(self.granted_scope_set)


class OAuthState(Base):
    """One pending "Connect Google Calendar": single use, short-lived, session-bound."""

    __tablename__ = "oauth_states"

    # SHA-256 of the state we sent; the state itself is never stored.
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    host_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    session_nonce_hash: Mapped[str] = mapped_column(String(64))
    code_verifier_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


class RetiredGrant(IdMixin, Base):
    """The grant of a Google account the host switched away from.

    Kept (encrypted, like a connection's) only while the upcoming bookings'
    events are moved off that account's calendar: deleting them needs the old
    account's permission. The tokens are forgotten once every move finished;
    the row stays so the host can see what was moved or left behind.
    """

    __tablename__ = "google_retired_grants"

    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), index=True
    )
    google_email: Mapped[str | None] = mapped_column(String(320))
    token_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    retired_at: Mapped[datetime]
