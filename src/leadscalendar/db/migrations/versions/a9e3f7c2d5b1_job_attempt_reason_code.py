"""job attempts: ``google_reason`` becomes ``reason_code``

The generic jobs package keeps the remote side's short word for a failure
(an API's error reason) without naming Google: the column is renamed, its
values kept (they are the same words).

Revision ID: a9e3f7c2d5b1
Revises: c4d8e2a7f1b3
Create Date: 2026-11-30 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9e3f7c2d5b1"
down_revision: str | None = "c4d8e2a7f1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job_attempts", schema=None) as batch_op:
        batch_op.alter_column(
            "google_reason", new_column_name="reason_code", existing_type=sa.String(length=100)
        )


def downgrade() -> None:
    with op.batch_alter_table("job_attempts", schema=None) as batch_op:
        batch_op.alter_column(
            "reason_code", new_column_name="google_reason", existing_type=sa.String(length=100)
        )
