"""bookings follow the calendar

``hosts.calendar_move_policy``: what a booking does when the host moves its
event in Google Calendar (``ask``, the default, or ``follow``).

``bookings.google_event_etag`` and ``google_event_updated_at``: the etag and
Google's ``updated`` time of our own last write of the event, so calendar sync
does not take our changes (or a late copy older than them) for the host's.
``bookings.calendar_change`` (``moved`` | ``deleted``) with
``calendar_change_start``/``_end``/``_at``: a change the host made in Google
that waits for their decision.

Revision ID: a8c4e2f6b193
Revises: e5a7c3b1d9f2
Create Date: 2026-11-29 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadscalendar.db.base

revision: str = "a8c4e2f6b193"
down_revision: str | None = "e5a7c3b1d9f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _moment(name: str) -> sa.Column[object]:
    return sa.Column(name, leadscalendar.db.base.UTCDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "calendar_move_policy",
                sa.Enum("ask", "follow", name="calendarmovepolicy", native_enum=False, length=32),
                server_default="ask",
                nullable=False,
            )
        )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("google_event_etag", sa.String(length=255), nullable=True))
        batch_op.add_column(_moment("google_event_updated_at"))
        batch_op.add_column(
            sa.Column(
                "calendar_change",
                sa.Enum("moved", "deleted", name="calendarchange", native_enum=False, length=32),
                nullable=True,
            )
        )
        batch_op.add_column(_moment("calendar_change_start"))
        batch_op.add_column(_moment("calendar_change_end"))
        batch_op.add_column(_moment("calendar_change_at"))


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("calendar_change_at")
        batch_op.drop_column("calendar_change_end")
        batch_op.drop_column("calendar_change_start")
        batch_op.drop_column("calendar_change")
        batch_op.drop_column("google_event_updated_at")
        batch_op.drop_column("google_event_etag")
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_column("calendar_move_policy")
