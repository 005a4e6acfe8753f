"""host e-mail verification and account deletion

``hosts.email_verified_at`` (hosts created before sign-up existed were made
by an operator, so they count as verified from their creation) and
``hosts.deleted_at`` (a deleted account's row stays, scrubbed, for its
bookings' money flows).

Revision ID: d7a3c5e91f20
Revises: b86fa7fd1f06
Create Date: 2026-11-29 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadscalendar.db.base

revision: str = "d7a3c5e91f20"
down_revision: str | None = "b86fa7fd1f06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "email_verified_at",
                leadscalendar.db.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("deleted_at", leadscalendar.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(sa.text("UPDATE hosts SET email_verified_at = created_at"))


def downgrade() -> None:
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("email_verified_at")
