"""Bad rules and bad inputs fail loudly, with our error classes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from leadscalendar.availability import (
    BookingRules,
    BusyInterval,
    ExistingBooking,
    InvalidRulesError,
    NaiveDatetimeError,
    SlotRejection,
    SlotUnavailableError,
    UnknownTimeZoneError,
    WorkingHours,
    WorkingInterval,
    compute_slots,
    group_by_day,
)
from leadscalendar.errors import ConflictError, LeadsCalendarError
from tests.availability.helpers import NOW, every_day, rules, span


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration", timedelta(0), "Duration must be positive"),
        ("duration", timedelta(minutes=-5), "Duration must be positive"),
        ("step", timedelta(0), "step must be positive"),
        ("step", timedelta(minutes=-15), "step must be positive"),
        ("step", timedelta(seconds=90), "whole minutes"),
        ("buffer_before", timedelta(minutes=-1), "Buffer before cannot be negative"),
        ("buffer_after", timedelta(minutes=-1), "Buffer after cannot be negative"),
        ("minimum_notice", timedelta(minutes=-1), "Minimum notice cannot be negative"),
        ("max_days_ahead", -1, "Days ahead cannot be negative"),
        ("daily_limit", -1, "Daily limit cannot be negative"),
    ],
)
def test_bad_rules_are_refused(field: str, value: object, message: str) -> None:
    values: dict[str, object] = {"duration": timedelta(minutes=30), "step": timedelta(minutes=15)}
    values[field] = value
    with pytest.raises(InvalidRulesError, match=message) as caught:
        BookingRules(**values)  # type: ignore[arg-type]
    assert isinstance(caught.value, LeadsCalendarError)
    assert caught.value.status_code == 422


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../etc/passwd", "Europe/"])
def test_unknown_zone_is_refused(name: str) -> None:
    with pytest.raises(UnknownTimeZoneError, match="Unknown time zone") as caught:
        every_day(name, "09:00-17:00")
    assert isinstance(caught.value, InvalidRulesError)


def test_unknown_lead_zone_is_refused() -> None:
    with pytest.raises(UnknownTimeZoneError):
        group_by_day([], "Nowhere/Town")


@pytest.mark.parametrize("text", ["17:00-09:00", "09:00-09:00"])
def test_working_interval_must_not_be_empty_or_reversed(text: str) -> None:
    with pytest.raises(InvalidRulesError, match="end before they start"):
        span(text)


def test_working_interval_refuses_zoned_or_sub_second_times() -> None:
    with pytest.raises(InvalidRulesError, match="wall-clock"):
        WorkingInterval(time(9, tzinfo=UTC), time(17))
    with pytest.raises(InvalidRulesError, match="wall-clock"):
        WorkingInterval(time(9, 0, 0, 5), time(17))


def test_weekday_keys_are_checked() -> None:
    with pytest.raises(InvalidRulesError, match="Weekdays"):
        WorkingHours("UTC", {7: [span("09:00-17:00")]})


def test_working_hours_are_frozen_against_later_mutation() -> None:
    weekly = {0: [span("09:00-17:00")]}
    hours = WorkingHours("UTC", weekly)
    weekly[0].append(span("18:00-20:00"))
    assert hours.weekly[0] == (span("09:00-17:00"),)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 1, 5, 9)  # noqa: DTZ001 - the point of the test
    with pytest.raises(NaiveDatetimeError):
        BusyInterval(naive, naive)
    with pytest.raises(NaiveDatetimeError):
        ExistingBooking(naive, naive)
    hours = every_day("UTC", "09:00-17:00")
    with pytest.raises(NaiveDatetimeError, match="window_start"):
        compute_slots(hours, rules(), now=NOW, window_start=naive, window_end=NOW)


def test_slot_unavailable_is_a_conflict_that_hides_the_calendar() -> None:
    busy = SlotUnavailableError(SlotRejection.CALENDAR_BUSY)
    booked = SlotUnavailableError(SlotRejection.ALREADY_BOOKED)
    assert isinstance(busy, ConflictError)
    assert busy.status_code == 409
    assert busy.message == booked.message
    assert busy.reason is SlotRejection.CALENDAR_BUSY
