"""calendar sync: synced calendars, push channels, the busy mirror

``calendar_syncs``: one row per synced calendar of a host (sync token, the
page token of a sync in progress, mode push/poll, last sync, the running
sync's job). ``calendar_watch_channels``: events.watch channels, their token
kept as a SHA-256 only. ``calendar_busy_blocks``: the events that make a
synced calendar busy. Everything cascades from ``google_connections``.

Revision ID: a9c4e2f7b1d3
Revises: a9c2e4f6b8d1
Create Date: 2026-11-29 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadscalendar.db.base

revision: str = "a9c4e2f7b1d3"
down_revision: str | None = "a9c2e4f6b8d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = leadscalendar.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "calendar_syncs",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("calendar_id", sa.String(length=1024), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("push", "poll", name="syncmode", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("page_token", sa.Text(), nullable=True),
        sa.Column("page_base_token", sa.Text(), nullable=True),
        sa.Column("window_end", UTC(timezone=True), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("last_synced_at", UTC(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sync_round", sa.Integer(), nullable=False),
        sa.Column("running_job_id", sa.Uuid(), nullable=True),
        sa.Column("running_until", UTC(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["google_connections.id"],
            name=op.f("fk_calendar_syncs_connection_id_google_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_syncs")),
        sa.UniqueConstraint(
            "connection_id", "calendar_id", name=op.f("uq_calendar_syncs_connection_id")
        ),
    )
    with op.batch_alter_table("calendar_syncs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_syncs_connection_id"), ["connection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_calendar_syncs_host_id"), ["host_id"], unique=False)
    op.create_table(
        "calendar_watch_channels",
        sa.Column("sync_id", sa.Uuid(), nullable=False),
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("calendar_id", sa.String(length=1024), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=1024), nullable=True),
        sa.Column("expiration", UTC(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum("active", "stopped", name="channelstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("last_message_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sync_id"],
            ["calendar_syncs.id"],
            name=op.f("fk_calendar_watch_channels_sync_id_calendar_syncs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_watch_channels")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_calendar_watch_channels_channel_id")),
    )
    with op.batch_alter_table("calendar_watch_channels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_watch_channels_host_id"), ["host_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_calendar_watch_channels_sync_id"), ["sync_id"], unique=False
        )
    op.create_table(
        "calendar_busy_blocks",
        sa.Column("sync_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=1024), nullable=False),
        sa.Column("start_at", UTC(timezone=True), nullable=False),
        sa.Column("end_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sync_id"],
            ["calendar_syncs.id"],
            name=op.f("fk_calendar_busy_blocks_sync_id_calendar_syncs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sync_id", "event_id", name=op.f("pk_calendar_busy_blocks")),
    )
    with op.batch_alter_table("calendar_busy_blocks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_busy_blocks_start_at"), ["start_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("calendar_busy_blocks")
    op.drop_table("calendar_watch_channels")
    op.drop_table("calendar_syncs")
