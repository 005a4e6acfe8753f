"""lead erasure

``bookings.lead_erased_at`` (the lead's data on this booking was erased on
request: its lead fields hold tombstones) and ``lead_erasures``, the audit log
of who erased which bookings' lead data and when (it names bookings, never the
lead).

Revision ID: c4d8e2a7f1b3
Revises: d8e4614c9b0c
Create Date: 2026-11-30 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadscalendar.db.base

revision: str = "c4d8e2a7f1b3"
# Also the merge point of the intake and outbound webhook branches (one head).
down_revision: str | None = "d8e4614c9b0c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "lead_erased_at", leadscalendar.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.create_table(
        "lead_erasures",
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("erased_at", leadscalendar.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("booking_ids", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_lead_erasures_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_erasures")),
    )
    with op.batch_alter_table("lead_erasures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_erasures_host_id"), ["host_id"], unique=False)


def downgrade() -> None:
    op.drop_table("lead_erasures")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("lead_erased_at")
