"""From stored schedules, booking types and bookings to the availability module's inputs."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.availability import (
    BookingRules,
    BusyInterval,
    ExistingBooking,
    Slot,
    SlotRejection,
    WorkingHours,
    WorkingInterval,
    check_slot,
    compute_slots,
)
from leadscalendar.bookings import repository
from leadscalendar.bookings.models import Booking, BookingType, Schedule
from leadscalendar.bookings.states import HOLDING_STATUSES

DEFAULT_WEEKLY: dict[str, list[list[str]]] = {str(day): [["09:00", "17:00"]] for day in range(5)}


def _interval(pair: Sequence[str]) -> WorkingInterval:
    return WorkingInterval(time.fromisoformat(pair[0]), time.fromisoformat(pair[1]))


def working_hours(schedule: Schedule | None, time_zone: str) -> WorkingHours:
    weekly = schedule.weekly if schedule else DEFAULT_WEEKLY
    overrides = schedule.overrides if schedule else {}
    return WorkingHours(
        time_zone=time_zone,
        weekly={int(day): [_interval(pair) for pair in pairs] for day, pairs in weekly.items()},
        overrides={
            date.fromisoformat(day): [_interval(pair) for pair in pairs]
            for day, pairs in overrides.items()
        },
    )


def rules(booking_type: BookingType) -> BookingRules:
    return BookingRules(
        duration=timedelta(minutes=booking_type.duration_minutes),
        step=timedelta(minutes=booking_type.slot_step_minutes),
        buffer_before=timedelta(minutes=booking_type.buffer_before_minutes),
        buffer_after=timedelta(minutes=booking_type.buffer_after_minutes),
        minimum_notice=timedelta(minutes=booking_type.min_notice_minutes),
        max_days_ahead=booking_type.max_days_ahead,
        daily_limit=booking_type.daily_limit,
    )


class SlotContext:
    """Everything a slot decision needs for one host and type, read in one go."""

    def __init__(
        self,
        session: Session,
        host: Host,
        booking_type: BookingType,
        *,
        busy: Sequence[BusyInterval],
        now: datetime,
        window_start: datetime,
        window_end: datetime,
        exclude: uuid.UUID | None = None,
    ) -> None:
        self.hours = working_hours(repository.get_schedule(session, host.id), host.timezone)
        self.rules = rules(booking_type)
        self.busy = busy
        self.now = now
        # Padding by a day covers every buffer a booking type may have.
        pad = timedelta(days=1)
        bookings = repository.active_bookings_between(
            session, host.id, window_start - pad, window_end + pad, now=now, exclude=exclude
        )
        types = {type_.id: type_ for type_ in repository.list_booking_types(session, host.id)}
        self.existing = [
            _existing(booking, types.get(booking.booking_type_id)) for booking in bookings
        ]
        # A hold stops taking its slot when it expires, with no write to say so.
        self.hold_ends = [
            booking.hold_expires_at
            for booking in bookings
            if booking.status in HOLDING_STATUSES and booking.hold_expires_at is not None
        ]
        zone = ZoneInfo(host.timezone)
        self.per_day = Counter(
            booking.start_at.astimezone(zone).date()
            for booking in bookings
            if booking.booking_type_id == booking_type.id
        )

    def slots(self, window_start: datetime, window_end: datetime) -> list[Slot]:
        return compute_slots(
            self.hours,
            self.rules,
            now=self.now,
            window_start=window_start,
            window_end=window_end,
            busy=self.busy,
            bookings=self.existing,
            bookings_per_day=self.per_day,
        )

    def stable_until(self, found: Sequence[Slot]) -> datetime:
        """Until when time alone leaves ``found`` (this context's slots) as it is.

        Writes bump the host's availability version instead (``slot_cache``);
        this is what changes with no write: the first hold expiring, the first
        offered slot coming inside the minimum notice, and with a horizon, the
        host's next day (one more day comes within ``max_days_ahead``).
        """
        moments = [end for end in self.hold_ends if end > self.now]
        if found:
            moments.append(found[0].start - self.rules.minimum_notice)
        if self.rules.max_days_ahead is not None:
            zone = self.hours.zone
            tomorrow = self.now.astimezone(zone).date() + timedelta(days=1)
            moments.append(datetime.combine(tomorrow, time(), tzinfo=zone))
        return min(moments, default=datetime.max.replace(tzinfo=self.now.tzinfo))

    def rejection(self, start: datetime) -> SlotRejection | None:
        return check_slot(
            self.hours,
            self.rules,
            start,
            now=self.now,
            busy=self.busy,
            bookings=self.existing,
            bookings_per_day=self.per_day,
        )


def _existing(booking: Booking, booking_type: BookingType | None) -> ExistingBooking:
    before = booking_type.buffer_before_minutes if booking_type else 0
    after = booking_type.buffer_after_minutes if booking_type else 0
    return ExistingBooking(
        booking.start_at,
        booking.end_at,
        buffer_before=timedelta(minutes=before),
        buffer_after=timedelta(minutes=after),
    )
