"""intake questions and lead source

``booking_types.questions`` (the type's intake questions, in the host's order)
and ``booking_types.answers_in_event`` (answers copied into the Google event's
description); ``bookings.answers`` (each answer with its question as asked)
and ``bookings.source`` (utm_*, ref and the referring site of the booking link).

Revision ID: a9c2e4f6b8d1
Revises: a8c4e2f6b193
Create Date: 2026-11-29 23:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9c2e4f6b8d1"
down_revision: str | None = "a8c4e2f6b193"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("booking_types", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("questions", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("answers_in_event", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("answers", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("source", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("source")
        batch_op.drop_column("answers")
    with op.batch_alter_table("booking_types", schema=None) as batch_op:
        batch_op.drop_column("answers_in_event")
        batch_op.drop_column("questions")
