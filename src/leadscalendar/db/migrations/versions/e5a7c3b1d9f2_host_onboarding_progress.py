"""host onboarding and Google account switches

Onboarding:
``hosts.timezone_confirmed_at`` (the zone step of the setup checklist; the
default "UTC" cannot tell a choice from an untouched account) and
``hosts.onboarding_dismissed_at`` ("skip for now"). Hosts that existed before
this revision are set up already, so both are filled from ``created_at``.

Account switches: ``google_retired_grants`` (the grant of the Google account a
host switched away from, kept encrypted while its events are moved off) and
``calendar_moves`` (one booking's event on its way from that account to the
new one: moving, moved or left behind).

Busy calendars: ``google_connections.busy_calendar_ids``, further calendars
whose events make the host busy (chosen at the calendar step).

Revision ID: e5a7c3b1d9f2
Revises: f3b9d2a6c481
Create Date: 2026-11-29 21:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadscalendar.db.base

revision: str = "e5a7c3b1d9f2"
down_revision: str | None = "f3b9d2a6c481"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "timezone_confirmed_at",
                leadscalendar.db.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "onboarding_dismissed_at",
                leadscalendar.db.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
    op.execute(
        sa.text(
            "UPDATE hosts SET timezone_confirmed_at = created_at, onboarding_dismissed_at = created_at"
        )
    )

    with op.batch_alter_table("google_connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("busy_calendar_ids", sa.JSON(), nullable=True))
    op.create_table(
        "google_retired_grants",
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("google_email", sa.String(length=320), nullable=True),
        sa.Column("token_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("retired_at", leadscalendar.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_google_retired_grants_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_google_retired_grants")),
    )
    with op.batch_alter_table("google_retired_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_google_retired_grants_host_id"), ["host_id"], unique=False
        )
    op.create_table(
        "calendar_moves",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("retired_grant_id", sa.Uuid(), nullable=False),
        sa.Column("from_calendar_id", sa.String(length=1024), nullable=False),
        sa.Column("from_event_id", sa.String(length=1024), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "moving", "moved", "left_behind", name="movestatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", leadscalendar.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", leadscalendar.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_calendar_moves_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["retired_grant_id"],
            ["google_retired_grants.id"],
            name=op.f("fk_calendar_moves_retired_grant_id_google_retired_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_moves")),
    )
    with op.batch_alter_table("calendar_moves", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_moves_booking_id"), ["booking_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_calendar_moves_retired_grant_id"), ["retired_grant_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("calendar_moves")
    op.drop_table("google_retired_grants")
    with op.batch_alter_table("google_connections", schema=None) as batch_op:
        batch_op.drop_column("busy_calendar_ids")
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_column("onboarding_dismissed_at")
        batch_op.drop_column("timezone_confirmed_at")
