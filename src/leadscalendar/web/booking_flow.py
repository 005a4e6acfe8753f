"""The lead's journey, shared by the public pages and the public JSON API.

This is a boundary: it decides where transactions end, so that no network
call (Google free/busy, the payment provider) runs while a transaction (and,
on SQLite, the database's write lock) is held. Every journey step that calls
out runs in phases, each its own unit (read, call out, write), and never
commits a caller's session: ``list_slots`` (read, call out, read, on read-only
sessions; its answers are kept in ``services.slot_cache`` and served again
while the host's availability version stands, ``bookings.slot_cache``),
``plan_hold`` then ``hold`` (the write phase, in the caller's unit),
``confirm`` and ``reschedule``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.accounts.models import Host
from leadscalendar.availability import BusyInterval, Slot, group_by_day
from leadscalendar.availability.display import Clock
from leadscalendar.bookings import changes, repository, service
from leadscalendar.bookings.checkout import start_checkout
from leadscalendar.bookings.errors import BookingTypeNotFoundError
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.bookings.schemas import BookingOut, DayOut, HoldRequest, SlotOut, SlotsOut
from leadscalendar.bookings.slot_cache import (
    MAX_AGE,
    REFRESH_AHEAD,
    CachedSlots,
    HostVersion,
    SlotKey,
)
from leadscalendar.bookings.slots import SlotContext
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import read_only, unit_of_work
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.idempotency.service import IdempotentRequest
from leadscalendar.payments.errors import PaymentRejectedError
from leadscalendar.payments.provider import CheckoutSession
from leadscalendar.services import Services
from leadscalendar.web.idempotency import Answer, answer_once

logger = logging.getLogger(__name__)

MAX_DAYS_PER_REQUEST = 31
T = TypeVar("T")


def find_booking_type(session: Session, host_slug: str, type_slug: str) -> tuple[Host, BookingType]:
    host = accounts_repository.get_host_by_slug(session, host_slug)
    if host is not None and not host.is_verified:
        # Signed up, address not confirmed yet: nobody books a page its owner cannot prove.
        host = None
    booking_type = repository.get_booking_type(session, host.id, type_slug) if host else None
    if host is None or booking_type is None or not booking_type.active:
        raise BookingTypeNotFoundError()
    return host, booking_type


def _calendars(
    services: Services, session: Session, host: Host, booking_type: BookingType
) -> list[str]:
    extra = [booking_type.calendar_id] if booking_type.calendar_id else []
    return services.busy.calendars_to_check(session, host.id, extra)


def list_slots(
    services: Services,
    *,
    host_slug: str,
    type_slug: str,
    first_day: date,
    days: int,
    time_zone: str,
    clock: Clock = "24h",
    exclude: uuid.UUID | None = None,
) -> SlotsOut:
    """Free slots of ``days`` days from ``first_day`` in the lead's zone (see ``slot_answer``).

    ``exclude`` leaves one booking out of the taken times, as ``reschedule``
    does for the booking it moves, so its page offers what it would accept;
    such an answer is computed every time, never cached.
    """
    key = SlotKey(host_slug, type_slug, first_day, days, time_zone, clock)
    if exclude is not None:
        _check_days(days)
        return _compute_slots(services, key, utcnow(), None, exclude=exclude).answer
    return slot_answer(services, key).answer


def slot_answer(services: Services, key: SlotKey, now: datetime | None = None) -> CachedSlots:
    """The answer to ``key``: from this process's cache while the host's availability is unchanged.

    One statement (the host's availability version) on a hit; on a miss, the
    version is read first (``slot_cache`` says why), then the answer computed.
    """
    _check_days(key.days)
    now = now or utcnow()
    cache = services.slot_cache
    version = cache.version(key.host_slug)
    if version is not None:
        hit = cache.get(key, version, now)
        if hit is not None:
            if hit.refresh_at is not None and now >= hit.refresh_at and cache.start_refresh(key):
                threading.Thread(
                    target=_refresh, args=(services, key), name="slot-refresh", daemon=True
                ).start()
            return hit
    computed = _compute_slots(services, key, now, version)
    cache.put(key, computed)
    return computed


def _refresh(services: Services, key: SlotKey) -> None:
    """Compute ``key`` again with a new free/busy answer, off every request's path.

    Started by a request served an answer whose free/busy part ends within
    ``REFRESH_AHEAD``: without it, the first request after the end would wait
    for Google (and, past capacity, every request queued behind it). Until
    the new answer is in, the old one serves, as it may: it is still valid. A
    refusal (Google unreadable) changes nothing here; the request arriving
    after the old answer ends computes it again and meets the refusal itself.
    """
    cache = services.slot_cache
    try:
        version = cache.version(key.host_slug)
        ahead = REFRESH_AHEAD.total_seconds()
        cache.put(key, _compute_slots(services, key, utcnow(), version, min_life=ahead))
    except LeadsCalendarError:
        pass
    except Exception:
        logger.exception("Refreshing a slot answer failed")
    finally:
        cache.end_refresh(key)


def _check_days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS_PER_REQUEST:
        raise LeadsCalendarError(f"Ask for 1 to {MAX_DAYS_PER_REQUEST} days at a time.")


def _compute_slots(
    services: Services,
    key: SlotKey,
    now: datetime,
    version: HostVersion | None,
    *,
    exclude: uuid.UUID | None = None,
    min_life: float = 0.0,
) -> CachedSlots:
    """One free/busy read; three phases, none holding a transaction across the next.

    Read the host and type, ask Google (no transaction open), read the taken times.
    """
    start = datetime.combine(key.first_day, datetime.min.time(), tzinfo=now.tzinfo)
    start -= timedelta(days=1)
    end = start + timedelta(days=key.days + 2)
    with read_only(services.read_session_factory) as session:
        host, booking_type = find_booking_type(session, key.host_slug, key.type_slug)
        calendars = _calendars(services, session, host, booking_type)
    busy = services.busy.read(host.id, calendars, start, end, min_life=min_life)
    with read_only(services.read_session_factory) as session:
        context = SlotContext(
            session,
            host,
            booking_type,
            busy=busy.busy,
            now=now,
            window_start=start,
            window_end=end,
            exclude=exclude,
        )
        found = context.slots(start, end)
    valid_until = min(busy.valid_until, context.stable_until(found), now + MAX_AGE)
    refresh_at = None
    if busy.free_busy_until is not None and busy.free_busy_until <= valid_until:
        refresh_at = busy.free_busy_until - REFRESH_AHEAD
    if version is not None and version.host_id != host.id:
        version = None  # the slug changed hands meanwhile: keep nothing
    return CachedSlots(_slots_out(key, found), version, valid_until, refresh_at)


def _slots_out(key: SlotKey, found: list[Slot]) -> SlotsOut:
    grouped = group_by_day(found, key.time_zone, key.clock)
    last_day = key.first_day + timedelta(days=key.days)
    return SlotsOut(
        time_zone=key.time_zone,
        days=[
            DayOut(
                date=day.day.isoformat(),
                slots=[
                    SlotOut(start=s.slot.start, end=s.slot.end, label=s.label) for s in day.slots
                ],
            )
            for day in grouped
            if key.first_day <= day.day < last_day
        ],
    )


@dataclass(frozen=True)
class HoldPlan:
    """What a hold's write phase needs: the request and Google's busy times, fetched before."""

    host_slug: str
    type_slug: str
    request: HoldRequest
    busy: tuple[BusyInterval, ...]


def host_id_of(services: Services, host_slug: str, type_slug: str) -> uuid.UUID:
    """The id of the host whose bookable type this is (404 otherwise), on a read of its own."""
    with read_only(services.read_session_factory) as session:
        host, _booking_type = find_booking_type(session, host_slug, type_slug)
        return host.id


def _fetch_busy(
    services: Services, host_id: uuid.UUID, calendars: list[str], start: datetime, end: datetime
) -> tuple[BusyInterval, ...]:
    """Google's busy times a day either side of ``start``..``end``: no transaction is open."""
    return services.busy.fetch(
        host_id, calendars, start - timedelta(days=1), end + timedelta(days=1)
    )


def plan_hold(
    services: Services, *, host_slug: str, type_slug: str, request: HoldRequest
) -> HoldPlan:
    """A hold's first phases: read the type (a read-only session), then ask Google (none)."""
    with read_only(services.read_session_factory) as session:
        host, booking_type = find_booking_type(session, host_slug, type_slug)
        calendars = _calendars(services, session, host, booking_type)
    end = request.start + timedelta(minutes=booking_type.duration_minutes)
    busy = _fetch_busy(services, host.id, calendars, request.start, end)
    return HoldPlan(host_slug, type_slug, request, busy)


def hold(services: Services, session: Session, plan: HoldPlan) -> Booking:
    """A hold's write phase, in the caller's unit of work: the slot is checked under the lock."""
    host, booking_type = find_booking_type(session, plan.host_slug, plan.type_slug)
    return service.create_hold(
        session,
        host=host,
        booking_type=booking_type,
        request=plan.request,
        busy=plan.busy,
        now=utcnow(),
        max_active_holds_per_email=services.settings.active_holds_per_email,
    )


def confirm(
    services: Services, booking_id: uuid.UUID, present: Callable[[Session, Booking], T]
) -> T:
    """Free: paid at once. Paid: a checkout session, created between two units of work.

    ``present`` turns the booking into the answer inside the last unit, so the
    answer is read from the state that unit committed.
    """
    with unit_of_work(services.session_factory) as session:
        booking = service.get_booking(session, booking_id, for_update=True)
        booking_type = repository.get_booking_type_by_id(session, booking.booking_type_id)
        assert booking_type is not None
        now = utcnow()
        if booking.status is not BookingStatus.HELD:
            return present(session, booking)
        if booking.hold_expires_at is not None and booking.hold_expires_at <= now:
            raise LeadsCalendarError(
                "Your hold on this time has expired. Please pick a time again.", 409
            )
        # The price was fixed when the slot was held; the type's price may have changed since.
        if booking.amount_minor == 0:
            return present(session, service.confirm_free(session, booking, booking_type, now))
        # Stored (this unit commits) before the call: a retry after a lost answer must
        # send the same request.
        service.choose_checkout_expiry(booking, now)
    checkout = _start_checkout(services, booking, booking_type)
    with unit_of_work(services.session_factory) as session:
        booking = service.get_booking(session, booking_id, for_update=True)
        return present(session, service.record_checkout(session, booking, checkout, now))


def _start_checkout(
    services: Services, booking: Booking, booking_type: BookingType
) -> CheckoutSession:
    """The provider call, holding no transaction; once more if the stored expiry is too close.

    That refusal means the first attempt never reached the provider (it would
    have answered with that session), so nothing exists under the key yet.
    ``booking`` and ``booking_type`` are detached copies (their unit has ended).
    """
    base = services.settings.public_url.rstrip("/")
    token = services.links.token_for(booking.id)
    urls = {
        "success_url": f"{base}/bookings/{booking.id}?token={token}&paid=1",
        "cancel_url": f"{base}/bookings/{booking.id}?token={token}&cancelled_checkout=1",
    }
    try:
        return start_checkout(services.payment_provider, booking, booking_type, **urls)
    except PaymentRejectedError as error:
        if error.param != "expires_at":
            raise
    with unit_of_work(services.session_factory) as session:
        booking = service.get_booking(session, booking.id, for_update=True)
        service.choose_checkout_expiry(booking, utcnow(), again=True)
    return start_checkout(services.payment_provider, booking, booking_type, **urls)


def cancel(session: Session, booking_id: uuid.UUID, by: changes.CancelledBy) -> Booking:
    booking = service.get_booking(session, booking_id, for_update=True)
    return changes.cancel(session, booking, by=by, now=utcnow())


def reschedule(
    services: Services,
    booking_id: uuid.UUID,
    new_start: datetime,
    by: changes.Actor,
    present: Callable[[Session, Booking], T],
) -> T:
    """Move a booking: read it, ask Google (no transaction open), move it in a unit of work."""
    with read_only(services.read_session_factory) as session:
        booking = service.get_booking(session, booking_id)
        host, booking_type = repository.host_and_type_of(session, booking)
        calendars = _calendars(services, session, host, booking_type)
    end = new_start + timedelta(minutes=booking_type.duration_minutes)
    busy = _fetch_busy(services, host.id, calendars, new_start, end)
    with unit_of_work(services.session_factory) as session:
        booking = service.get_booking(session, booking_id, for_update=True)
        host, _booking_type = repository.host_and_type_of(session, booking)
        moved = changes.reschedule(
            session, booking, host=host, new_start=new_start, busy=busy, now=utcnow(), by=by
        )
        return present(session, moved)


def booking_out(
    services: Services, session: Session, booking: Booking, *, with_token: bool
) -> BookingOut:
    host, booking_type = repository.host_and_type_of(session, booking)
    return BookingOut(
        id=str(booking.id),
        status=booking.status.value,
        status_reason=booking.status_reason,
        start=booking.start_at,
        end=booking.end_at,
        lead_time_zone=booking.lead_time_zone,
        lead_name=booking.lead_name,
        lead_email=booking.lead_email,
        host_name=host.name,
        booking_type=booking_type.title,
        amount_minor=booking.amount_minor,
        currency=booking.currency,
        hold_expires_at=booking.hold_expires_at,
        checkout_url=booking.checkout_url
        if booking.status is BookingStatus.AWAITING_PAYMENT
        else None,
        # A cancelled booking's event is deleted: never hand out a link to it.
        google_event_link=booking.google_event_link
        if booking.status in changes.EVENT_STATUSES
        else None,
        meet_link=booking.meet_link,
        token=services.links.token_for(booking.id) if with_token else None,
    )


def hold_once(
    services: Services,
    host_id: uuid.UUID,
    keyed: IdempotentRequest | None,
    *,
    host_slug: str,
    type_slug: str,
    request: HoldRequest,
    status_code: int,
) -> Answer:
    """A lead's hold, once per key (the public API's and the pages'), answered as the lead sees it.

    Phases: the key's look-up, the type and Google's busy times (``plan_hold``),
    then one unit of work holding the slot and storing the answer.
    """
    return answer_once(
        services,
        host_id,
        keyed,
        status_code=status_code,
        prepare=partial(
            plan_hold, services, host_slug=host_slug, type_slug=type_slug, request=request
        ),
        write=lambda session, plan: booking_out(
            services, session, hold(services, session, plan), with_token=False
        ),
    )
