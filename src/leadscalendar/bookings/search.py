"""Finding a host's bookings page by page (keyset pagination on start time, then id)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from leadscalendar.bookings.lead_source import SOURCE_FIELDS
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.errors import LeadsCalendarError


class InvalidCursorError(LeadsCalendarError):
    def __init__(self) -> None:
        super().__init__("The cursor is not one this API returned; start again without it.")


@dataclass(frozen=True)
class BookingFilter:
    statuses: Collection[BookingStatus] = ()
    booking_type_id: uuid.UUID | None = None
    start_from: datetime | None = None
    start_before: datetime | None = None
    lead_email: str | None = None
    # A part of any lead source value (utm_*, ref, referrer), case-insensitive.
    source: str | None = None


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape ``\\``) finding ``text`` anywhere, its wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def source_contains(text: str) -> ColumnElement[bool]:
    """Bookings whose source has ``text`` in one of its values (SQLite and PostgreSQL alike)."""
    pattern = contains_pattern(text)
    return or_(
        *(
            func.lower(Booking.source[name].as_string()).like(pattern, escape="\\")
            for name in SOURCE_FIELDS
        )
    )


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last booking's start and id."""

    start_at: datetime
    booking_id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.start_at.isoformat(), str(self.booking_id)])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            start, booking_id = json.loads(raw)
            start_at = datetime.fromisoformat(start).astimezone(UTC)
            return cls(start_at, uuid.UUID(booking_id))
        except (binascii.Error, ValueError, TypeError, OverflowError):
            raise InvalidCursorError() from None


def filter_conditions(host_id: uuid.UUID, where: BookingFilter) -> list[ColumnElement[bool]]:
    """The WHERE of the host API's list: shared by its pages and its CSV export."""
    conditions = [Booking.host_id == host_id]
    if where.statuses:
        conditions.append(Booking.status.in_(list(where.statuses)))
    if where.booking_type_id is not None:
        conditions.append(Booking.booking_type_id == where.booking_type_id)
    if where.start_from is not None:
        conditions.append(Booking.start_at >= where.start_from)
    if where.start_before is not None:
        conditions.append(Booking.start_at < where.start_before)
    if where.lead_email:
        conditions.append(func.lower(Booking.lead_email) == where.lead_email.lower())
    if where.source:
        conditions.append(source_contains(where.source))
    return conditions


def find_bookings(
    session: Session,
    host_id: uuid.UUID,
    where: BookingFilter,
    *,
    limit: int,
    after: Position | None = None,
) -> tuple[Sequence[Booking], Position | None]:
    """Up to ``limit`` of the host's bookings by start time, and where the next page starts."""
    statement = select(Booking).where(*filter_conditions(host_id, where))
    if after is not None:
        statement = statement.where(
            or_(
                Booking.start_at > after.start_at,
                and_(Booking.start_at == after.start_at, Booking.id > after.booking_id),
            )
        )
    rows = session.scalars(statement.order_by(Booking.start_at, Booking.id).limit(limit + 1)).all()
    page = rows[:limit]
    more = len(rows) > limit
    return page, Position(page[-1].start_at, page[-1].id) if more else None
