"""Every query of the bookings domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.models import (
    AvailabilityVersion,
    Booking,
    BookingEvent,
    BookingType,
    Schedule,
)
from leadscalendar.bookings.states import ACTIVE_STATUSES, BookingStatus
from leadscalendar.google.models import GoogleConnection
from leadscalendar.webhooks_out.repository import any_enabled_endpoint

# Core statements built once (the scheduled mark runs for every event created): the
# ORM-enabled forms cost more CPU to build and compile than the statements to run.
_BOOKINGS = cast(Table, Booking.__table__)
_SCHEDULE_IF_PAID = update(_BOOKINGS).where(
    _BOOKINGS.c.id == bindparam("paid_booking_id"),
    _BOOKINGS.c.status == BookingStatus.PAID,
)
_INSERT_EVENT = insert(cast(Table, BookingEvent.__table__))


def lock_host(session: Session, host_id: uuid.UUID) -> None:
    """Serialise slot decisions for one host (row lock on PostgreSQL).

    SQLite needs nothing more: every transaction there begins IMMEDIATE, so
    writers already run one at a time.
    """
    session.execute(select(Host.id).where(Host.id == host_id).with_for_update())


# A host's id and availability version by slug: two unique-index lookups. The one
# statement a cached slot answer costs (``bookings.slot_cache`` runs it compiled).
AVAILABILITY_VERSION = (
    select(AvailabilityVersion.host_id, AvailabilityVersion.version)
    .join(Host, Host.id == AvailabilityVersion.host_id)
    .where(Host.slug == bindparam("slug"))
)


def get_booking(
    session: Session, booking_id: uuid.UUID, *, for_update: bool = False
) -> Booking | None:
    statement = select(Booking).where(Booking.id == booking_id)
    if for_update:
        # Locked means current: overwrite what an earlier read left in the session.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return session.scalar(statement)


def lock_for_payment(
    session: Session, booking_id: uuid.UUID | None, checkout_session_id: str | None
) -> tuple[Booking, BookingType, bool] | None:
    """The booking a payment event names (by id, else by checkout), locked, with its type.

    One round trip for what took three (read the booking, lock its host, re-read
    the booking locked): ``FOR UPDATE OF hosts, bookings`` takes the per-host
    lock (invariant 3) and the booking's row lock in that order, the order every
    other path takes them, and returns the locked, current rows. SQLite ignores
    the clause; its ``BEGIN IMMEDIATE`` already made this transaction the only writer.
    The third value says whether the host has an enabled outbound-webhook
    endpoint, which the state change's event would otherwise ask in a query of its own.
    """
    lookups = ((_LOCK_BY_ID, booking_id), (_LOCK_BY_CHECKOUT, checkout_session_id or None))
    for statement, key in lookups:
        if key is None:
            continue
        row = session.execute(statement, {"key": key}).first()
        if row is not None:
            return row[0], row[1], bool(row[2])
    return None


# Built once (the webhook's hot path): SQLAlchemy memoises a statement's cache key.
_LOCKED_WITH_TYPE = (
    select(Booking, BookingType, any_enabled_endpoint(Booking.host_id))
    .join(BookingType, BookingType.id == Booking.booking_type_id)
    .join(Host, Host.id == Booking.host_id)
    .with_for_update(of=[Host, Booking])
    .execution_options(populate_existing=True)
)
_LOCK_BY_ID = _LOCKED_WITH_TYPE.where(Booking.id == bindparam("key"))
_LOCK_BY_CHECKOUT = _LOCKED_WITH_TYPE.where(Booking.checkout_session_id == bindparam("key"))


def schedule_if_paid(
    session: Session, booking_id: uuid.UUID, values: dict[str, Any], kind: str, detail: str
) -> bool:
    """``paid`` -> ``scheduled`` with ``values`` and a timeline line; False if not ``paid``.

    Two statements and no ORM load: the status check and the change are one
    UPDATE, which also locks the row on PostgreSQL (what a SELECT … FOR UPDATE
    did before, at the cost of a round trip and loading the whole booking).
    """
    changed = session.execute(
        _SCHEDULE_IF_PAID,
        {
            **values,
            "paid_booking_id": booking_id,
            "status": BookingStatus.SCHEDULED,
            "status_reason": None,
        },
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.execute(_INSERT_EVENT, {"booking_id": booking_id, "kind": kind, "detail": detail})
    return True


def host_and_type_of(session: Session, booking: Booking) -> tuple[Host, BookingType]:
    """The host and booking type a booking belongs to; its foreign keys guarantee both."""
    host = session.get(Host, booking.host_id)
    booking_type = session.get(BookingType, booking.booking_type_id)
    assert host is not None and booking_type is not None
    return host, booking_type


def get_booking_with_context(
    session: Session, booking_id: uuid.UUID
) -> tuple[Booking, BookingType, Host, GoogleConnection | None] | None:
    """A booking with its type, host and Google connection, in one round trip (event jobs)."""
    row = session.execute(
        select(Booking, BookingType, Host, GoogleConnection)
        .join(BookingType, BookingType.id == Booking.booking_type_id)
        .join(Host, Host.id == Booking.host_id)
        .outerjoin(GoogleConnection, GoogleConnection.host_id == Booking.host_id)
        .where(Booking.id == booking_id)
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2], row[3])


def get_booking_by_checkout_session(session: Session, checkout_session_id: str) -> Booking | None:
    return session.scalar(select(Booking).where(Booking.checkout_session_id == checkout_session_id))


def active_bookings_between(
    session: Session,
    host_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    exclude: uuid.UUID | None = None,
) -> Sequence[Booking]:
    """Bookings of a host that occupy time in [start, end) (callers pad for buffers).

    A hold or an unpaid checkout stops occupying its slot the moment it
    expires, whether or not anything has marked it ``expired`` yet.
    """
    holding = (BookingStatus.HELD, BookingStatus.AWAITING_PAYMENT)
    statement = select(Booking).where(
        Booking.host_id == host_id,
        Booking.status.in_(ACTIVE_STATUSES),
        or_(Booking.status.not_in(holding), Booking.hold_expires_at > now),
        Booking.start_at < end,
        Booking.end_at > start,
    )
    if exclude is not None:
        statement = statement.where(Booking.id != exclude)
    return session.scalars(statement.order_by(Booking.start_at)).all()


def active_hold_expiries_for_email(
    session: Session, host_id: uuid.UUID, email: str, now: datetime
) -> Sequence[datetime]:
    """When each unexpired hold (or unpaid checkout) of this lead e-mail with this host ends."""
    expiries = session.scalars(
        select(Booking.hold_expires_at)
        .where(
            Booking.host_id == host_id,
            func.lower(Booking.lead_email) == email.lower(),
            Booking.status.in_((BookingStatus.HELD, BookingStatus.AWAITING_PAYMENT)),
            Booking.hold_expires_at > now,
        )
        .order_by(Booking.hold_expires_at)
    ).all()
    return [expiry for expiry in expiries if expiry is not None]


def expired_holds(session: Session, now: datetime, limit: int = 500) -> Sequence[Booking]:
    return session.scalars(
        select(Booking)
        .where(
            Booking.status.in_((BookingStatus.HELD, BookingStatus.AWAITING_PAYMENT)),
            Booking.hold_expires_at < now,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def get_booking_type(session: Session, host_id: uuid.UUID, slug: str) -> BookingType | None:
    return session.scalar(
        select(BookingType).where(BookingType.host_id == host_id, BookingType.slug == slug)
    )


def get_booking_type_by_id(session: Session, booking_type_id: uuid.UUID) -> BookingType | None:
    return session.get(BookingType, booking_type_id)


def list_booking_types(session: Session, host_id: uuid.UUID) -> Sequence[BookingType]:
    return session.scalars(
        select(BookingType).where(BookingType.host_id == host_id).order_by(BookingType.title)
    ).all()


def get_schedule(session: Session, host_id: uuid.UUID) -> Schedule | None:
    return session.scalar(select(Schedule).where(Schedule.host_id == host_id))


def timeline(session: Session, booking_id: uuid.UUID) -> Sequence[BookingEvent]:
    return session.scalars(
        select(BookingEvent).where(BookingEvent.booking_id == booking_id).order_by(BookingEvent.at)
    ).all()
