"""The host account and its API keys."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadscalendar.db.base import Base, IdMixin, TimestampMixin, str_enum, utcnow


class CalendarMovePolicy(enum.StrEnum):
    """What a booking does when the host moves its event in Google Calendar."""

    # The booking keeps its time until the host accepts the new one (or puts the event back).
    ASK = "ask"
    # The booking takes the new time at once and the lead is told.
    FOLLOW = "follow"


class Host(IdMixin, TimestampMixin, Base):
    __tablename__ = "hosts"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The host's part of public URLs: /{slug}/{booking type}.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # None until the host follows the link mailed at sign-up; an unverified host can
    # log in and set up, but leads cannot book until the address is proven theirs.
    # Hosts created from the command line are verified at creation.
    email_verified_at: Mapped[datetime | None]
    # Set when the host deleted the account: the row stays (scrubbed of the person's
    # data) so paid bookings and their payment events keep their host.
    deleted_at: Mapped[datetime | None]
    # Onboarding progress is derived from facts (see web/dashboard/onboarding.py);
    # the zone is the one fact a default cannot show ("UTC" may be a real choice),
    # and a dismissed checklist is a choice the host made, so both are stored.
    timezone_confirmed_at: Mapped[datetime | None]
    onboarding_dismissed_at: Mapped[datetime | None]
    # A booking's event moved in Google Calendar: ask first (the default, see README) or follow.
    calendar_move_policy: Mapped[CalendarMovePolicy] = mapped_column(
        str_enum(CalendarMovePolicy),
        default=CalendarMovePolicy.ASK,
        server_default=CalendarMovePolicy.ASK.value,
    )

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None


class ApiKey(IdMixin, Base):
    """A host's key for the JSON API; only a SHA-256 of the key is stored."""

    __tablename__ = "api_keys"

    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the key, shown so a host can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class HostSession(IdMixin, Base):
    """A logged-in browser. Its cookie holds a random id; only the id's SHA-256 is here.

    The row is the session: deleting it logs that browser out, and every copy
    of its cookie with it, which a self-contained signed cookie cannot do.
    """

    __tablename__ = "host_sessions"

    host_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "Firefox on Linux": enough for a host to recognise a session, nothing more.
    user_agent: Mapped[str] = mapped_column(String(100))
