"""Per-calendar sync state, the push channels watching a calendar, and the busy mirror.

Every row hangs off the host's ``google_connections`` row with ``ON DELETE
CASCADE``: disconnecting (or the account deletion's revocation job) deletes
the connection, and with it every channel, token and mirrored interval, so a
sync still running for that host finds nothing left to write to and stops.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadscalendar.db.base import Base, IdMixin, str_enum


class SyncMode(enum.StrEnum):
    # Google pushes "something changed" to /webhooks/google/calendar.
    PUSH = "push"
    # No public HTTPS address: a periodic incremental sync keeps the mirror fresh.
    POLL = "poll"


class ChannelState(enum.StrEnum):
    ACTIVE = "active"
    # Replaced by a renewal or stopped: notifications on it change nothing.
    STOPPED = "stopped"


class CalendarSync(IdMixin, Base):
    """One synced calendar of one host: where its incremental sync stands."""

    __tablename__ = "calendar_syncs"
    __table_args__ = (UniqueConstraint("connection_id", "calendar_id"),)

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("google_connections.id", ondelete="CASCADE"), index=True
    )
    host_id: Mapped[uuid.UUID] = mapped_column(index=True)
    calendar_id: Mapped[str] = mapped_column(String(1024))
    mode: Mapped[SyncMode] = mapped_column(str_enum(SyncMode))
    # Google's nextSyncToken: None until a full sync finished (the mirror is not usable).
    sync_token: Mapped[str | None] = mapped_column(Text)
    # The nextPageToken of a sync in progress: a crashed sync resumes from here.
    page_token: Mapped[str | None] = mapped_column(Text)
    # The sync token the pages in progress started from (None: a full sync).
    page_base_token: Mapped[str | None] = mapped_column(Text)
    # The full sync's window end: the sync token only covers events until then.
    window_end: Mapped[datetime | None]
    # The calendar's own zone (events.list answers it): all-day events block its days.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    last_synced_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Bumped when a sync starts, so notifications arriving during it queue the next one.
    sync_round: Mapped[int] = mapped_column(Integer, default=0)
    # The job syncing now, and until when it may (one sync at a time per calendar).
    running_job_id: Mapped[uuid.UUID | None]
    running_until: Mapped[datetime | None]


class WatchChannel(IdMixin, Base):
    """One ``events.watch`` channel; the token is kept only as its SHA-256."""

    __tablename__ = "calendar_watch_channels"

    sync_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("calendar_syncs.id", ondelete="CASCADE"), index=True
    )
    host_id: Mapped[uuid.UUID] = mapped_column(index=True)
    calendar_id: Mapped[str] = mapped_column(String(1024))
    # The X-Goog-Channel-ID we chose (a UUID string), unique across all hosts.
    channel_id: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    # Google's id of the watched resource; channels.stop needs it.
    resource_id: Mapped[str | None] = mapped_column(String(1024))
    expiration: Mapped[datetime]
    state: Mapped[ChannelState] = mapped_column(str_enum(ChannelState))
    # The highest X-Goog-Message-Number seen: lower or equal ones are replays.
    last_message_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class BusyBlock(Base):
    """One event of a synced calendar that makes the host busy (free ones are not kept)."""

    __tablename__ = "calendar_busy_blocks"

    sync_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("calendar_syncs.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    start_at: Mapped[datetime] = mapped_column(index=True)
    end_at: Mapped[datetime]
