"""booking lead language

``bookings.lead_language``: the language of the booking page the lead held the
slot on (``en``, ``de``), so every later e-mail to the lead speaks it too.
Bookings made before languages existed were English.

Revision ID: f3b9d2a6c481
Revises: d7a3c5e91f20
Create Date: 2026-11-29 21:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3b9d2a6c481"
down_revision: str | None = "d7a3c5e91f20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lead_language", sa.String(length=8), nullable=False, server_default="en")
        )


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("lead_language")
