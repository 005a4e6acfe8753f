"""idempotency keys per surface

Every surface (public API, host API, booking pages) now records its keys in
``idempotency_keys`` with the request's fingerprint, each in its own key
space; the bookings' own key column, which any surface could name, goes.
Rows already stored came from the host API, the only surface that used the
table.

Revision ID: 1381dedcde0a
Revises: b27444743280
Create Date: 2026-11-29 20:05:07.716214
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1381dedcde0a"
down_revision: str | None = "b27444743280"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SURFACE = sa.Enum("public_api", "host_api", "pages", name="surface", native_enum=False, length=32)


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_bookings_host_id"), type_="unique")
        batch_op.drop_column("idempotency_key")

    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("surface", SURFACE, nullable=False, server_default="host_api")
        )
        batch_op.drop_constraint(batch_op.f("uq_idempotency_keys_host_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_idempotency_keys_host_id"), ["host_id", "surface", "key"]
        )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column("surface", server_default=None)


def downgrade() -> None:
    # Before this revision only the host API stored keys here, in one space per host.
    op.execute("DELETE FROM idempotency_keys WHERE surface <> 'host_api'")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_idempotency_keys_host_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_idempotency_keys_host_id"), ["host_id", "key"]
        )
        batch_op.drop_column("surface")

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_bookings_host_id"), ["host_id", "idempotency_key"]
        )
