"""booking payment expectations: the checkout's mode and the start the refund policy uses

Revision ID: c4d1e2f3a5b6
Revises: c4f1a9e07d21
Create Date: 2026-11-29 20:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadscalendar.db.base

revision: str = "c4d1e2f3a5b6"
down_revision: str | None = "c4f1a9e07d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        # Whether the checkout the booking created was live (True) or test (False).
        batch_op.add_column(sa.Column("checkout_livemode", sa.Boolean(), nullable=True))
        # The start the refund cut-off is measured against; NULL means start_at.
        batch_op.add_column(
            sa.Column(
                "refund_policy_start_at",
                leadscalendar.db.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("refund_policy_start_at")
        batch_op.drop_column("checkout_livemode")
