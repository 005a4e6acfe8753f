"""checkout expiry chosen once; delayed payments pending

Revision ID: c4f1a9e07d21
Revises: 1381dedcde0a
Create Date: 2026-11-29 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadscalendar.db.base

revision: str = "c4f1a9e07d21"
down_revision: str | None = "1381dedcde0a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("checkout_started_at", "checkout_expires_at", "payment_pending_since")


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch_op:
        for name in COLUMNS:
            batch_op.add_column(
                sa.Column(name, leadscalendar.db.base.UTCDateTime(timezone=True), nullable=True)
            )


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
