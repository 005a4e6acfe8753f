"""host onboarding: confirmed time zone and dismissed checklist

``hosts.timezone_confirmed_at`` (the zone step of the setup checklist; the
default "UTC" cannot tell a choice from an untouched account) and
``hosts.onboarding_dismissed_at`` ("skip for now"). Hosts that existed before
this revision are set up already, so both are filled from ``created_at``.

Revision ID: e5a7c3b1d9f2
Revises: d7a3c5e91f20
Create Date: 2026-11-29 21:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadscalendar.db.base

revision: str = "e5a7c3b1d9f2"
down_revision: str | None = "d7a3c5e91f20"
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


def downgrade() -> None:
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_column("onboarding_dismissed_at")
        batch_op.drop_column("timezone_confirmed_at")
