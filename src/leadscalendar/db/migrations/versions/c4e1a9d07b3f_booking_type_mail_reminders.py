"""booking type mail reminders: offsets before the start, and whether the host gets them too

Revision ID: c4e1a9d07b3f
Revises: c4d1e2f3a5b6
Create Date: 2026-11-29 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e1a9d07b3f"
down_revision: str | None = "c4d1e2f3a5b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("booking_types", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mail_reminder_minutes",
                sa.JSON(),
                server_default=sa.text("'[1440, 60]'"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("remind_host", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("booking_types", schema=None) as batch_op:
        batch_op.drop_column("remind_host")
        batch_op.drop_column("mail_reminder_minutes")
