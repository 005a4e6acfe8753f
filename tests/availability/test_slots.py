"""One test per rule, on plain UTC days so the expected instants are easy to read."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from leadscalendar.availability import (
    BusyInterval,
    ExistingBooking,
    SlotRejection,
    WorkingHours,
    check_slot,
    compute_slots,
)
from tests.availability.helpers import NOW, day_window, every_day, local, rules, span, utc

MONDAY = date(2026, 1, 5)


def starts(hours: WorkingHours, **kwargs: object) -> list[str]:
    """Slot starts on MONDAY as ``HH:MM`` in the host's zone."""
    window_start, window_end = day_window(hours.time_zone, MONDAY)
    kwargs.setdefault("now", NOW)
    rule = kwargs.pop("rule", rules())
    slots = compute_slots(
        hours,
        rule,  # type: ignore[arg-type]
        window_start=window_start,
        window_end=window_end,
        **kwargs,  # type: ignore[arg-type]
    )
    return [f"{slot.start.astimezone(hours.zone):%H:%M}" for slot in slots]


def test_slots_fill_working_hours_and_are_utc() -> None:
    hours = every_day("UTC", "09:00-12:00")
    window_start, window_end = day_window("UTC", MONDAY)
    slots = compute_slots(hours, rules(), now=NOW, window_start=window_start, window_end=window_end)
    assert [slot.start for slot in slots] == [
        utc(f"2026-01-05 {hour:02}:{minute:02}") for hour in (9, 10, 11) for minute in (0, 30)
    ]
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in slots)
    assert all(slot.start.tzinfo is UTC and slot.end.tzinfo is UTC for slot in slots)


def test_whole_slot_must_fit_in_working_hours() -> None:
    hours = every_day("UTC", "09:00-12:00")
    assert starts(hours, rule=rules(60, 15)) == [
        "09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00",
    ]  # fmt: skip


def test_steps_align_to_the_local_hour_not_to_the_interval_start() -> None:
    hours = every_day("UTC", "09:10-10:00")
    assert starts(hours, rule=rules(15, 15)) == ["09:15", "09:30", "09:45"]


def test_steps_align_to_local_not_utc_hours() -> None:
    # Kolkata is UTC+05:30: local :00 is UTC :30.
    hours = every_day("Asia/Kolkata", "09:00-10:00")
    window_start, window_end = day_window("Asia/Kolkata", MONDAY)
    slots = compute_slots(hours, rules(), now=NOW, window_start=window_start, window_end=window_end)
    assert [slot.start for slot in slots] == [utc("2026-01-05 03:30"), utc("2026-01-05 04:00")]


def test_steps_that_do_not_divide_an_hour_align_to_local_midnight() -> None:
    hours = every_day("UTC", "09:00-12:00")
    assert starts(hours, rule=rules(45, 45)) == ["09:00", "09:45", "10:30", "11:15"]


def test_split_days_and_overlapping_intervals() -> None:
    hours = every_day("UTC", "09:00-10:00", "09:30-11:00", "14:00-15:00")
    assert starts(hours, rule=rules(60, 30)) == ["09:00", "09:30", "10:00", "14:00"]


def test_interval_may_end_at_midnight() -> None:
    hours = every_day("UTC", "22:00-00:00")
    assert starts(hours, rule=rules(60, 60)) == ["22:00", "23:00"]


def test_busy_time_blocks_overlapping_slots_but_not_touching_ones() -> None:
    hours = every_day("UTC", "09:00-12:00")
    busy = [BusyInterval(utc("2026-01-05 10:00"), utc("2026-01-05 10:45"))]
    assert starts(hours, busy=busy) == ["09:00", "09:30", "11:00", "11:30"]


def test_empty_busy_intervals_block_nothing() -> None:
    hours = every_day("UTC", "09:00-10:00")
    at = utc("2026-01-05 09:15")
    assert starts(hours, busy=[BusyInterval(at, at)]) == ["09:00", "09:30"]


def test_new_slot_buffers_keep_distance_from_busy_time() -> None:
    hours = every_day("UTC", "09:00-12:00")
    busy = [BusyInterval(utc("2026-01-05 10:00"), utc("2026-01-05 10:30"))]
    # Touching is fine: a 15-minute buffer only pushes out the slot right next to the event.
    assert starts(hours, busy=busy, rule=rules(after=15)) == ["09:00", "10:30", "11:00", "11:30"]
    assert starts(hours, busy=busy, rule=rules(before=15)) == ["09:00", "09:30", "11:00", "11:30"]


def test_buffers_may_fall_outside_working_hours() -> None:
    hours = every_day("UTC", "09:00-10:00")
    assert starts(hours, rule=rules(before=30, after=30)) == ["09:00", "09:30"]


def test_existing_bookings_block_with_their_own_buffers_plus_ours() -> None:
    hours = every_day("UTC", "09:00-13:00")
    booking = ExistingBooking(
        utc("2026-01-05 10:00"),
        utc("2026-01-05 11:00"),
        buffer_before=timedelta(minutes=15),
        buffer_after=timedelta(minutes=15),
    )
    # Booking plus its buffers: 09:45-11:15. Our 15-minute buffers widen the gap.
    assert starts(hours, bookings=[booking]) == ["09:00", "11:30", "12:00", "12:30"]
    assert starts(hours, bookings=[booking], rule=rules(before=30, after=30)) == [
        "12:00",
        "12:30",
    ]


def test_minimum_notice() -> None:
    hours = every_day("UTC", "09:00-12:00")
    now = utc("2026-01-05 09:10")
    assert starts(hours, now=now, rule=rules(notice=timedelta(hours=1))) == [
        "10:30",
        "11:00",
        "11:30",
    ]
    # A start exactly at now + notice is still offered.
    assert starts(hours, now=utc("2026-01-05 09:30"), rule=rules(notice=timedelta(hours=1))) == [
        "10:30",
        "11:00",
        "11:30",
    ]


def test_no_slots_in_the_past() -> None:
    hours = every_day("UTC", "09:00-12:00")
    assert starts(hours, now=utc("2026-01-05 10:45")) == ["11:00", "11:30"]


def test_max_days_ahead_counts_host_local_calendar_days() -> None:
    hours = every_day("Pacific/Auckland", "09:00-10:00")
    # 2026-01-05 20:00 UTC is already 2026-01-06 09:00 in Auckland (UTC+13).
    now = utc("2026-01-05 20:00")
    window_end = now + timedelta(days=10)
    dates = {
        slot.start.astimezone(hours.zone).date()
        for slot in compute_slots(
            hours, rules(days_ahead=2), now=now, window_start=now, window_end=window_end
        )
    }
    assert dates == {date(2026, 1, 6), date(2026, 1, 7), date(2026, 1, 8)}
    today_only = compute_slots(
        hours, rules(days_ahead=0), now=now, window_start=now, window_end=window_end
    )
    assert [slot.start for slot in today_only] == [now, now + timedelta(minutes=30)]


def test_daily_limit_uses_counts_per_host_local_date() -> None:
    hours = every_day("Europe/Paris", "09:00-10:00")
    window_start = local("Europe/Paris", "2026-01-05 00:00")
    window_end = window_start + timedelta(days=3)
    counts = {date(2026, 1, 5): 2, date(2026, 1, 6): 1}
    slots = compute_slots(
        hours,
        rules(daily_limit=2),
        now=NOW,
        window_start=window_start,
        window_end=window_end,
        bookings_per_day=counts,
    )
    assert {slot.start.astimezone(hours.zone).date() for slot in slots} == {
        date(2026, 1, 6),
        date(2026, 1, 7),
    }
    nothing = compute_slots(
        hours, rules(daily_limit=0), now=NOW, window_start=window_start, window_end=window_end
    )
    assert nothing == []


def test_date_overrides_replace_the_weekly_pattern() -> None:
    hours = WorkingHours(
        "UTC",
        {day: [span("09:00-10:00")] for day in range(7)},
        overrides={MONDAY: [span("14:00-15:00")], MONDAY + timedelta(days=1): []},
    )
    assert starts(hours) == ["14:00", "14:30"]
    window_start, window_end = day_window("UTC", MONDAY + timedelta(days=1))
    assert (
        compute_slots(hours, rules(), now=NOW, window_start=window_start, window_end=window_end)
        == []
    )


def test_missing_weekdays_are_days_off() -> None:
    hours = WorkingHours("UTC", {1: [span("09:00-10:00")]})  # Tuesdays only
    assert starts(hours) == []


def test_window_selects_by_start() -> None:
    hours = every_day("UTC", "09:00-12:00")
    slots = compute_slots(
        hours,
        rules(60, 30),
        now=NOW,
        window_start=utc("2026-01-05 09:15"),
        window_end=utc("2026-01-05 10:30"),
    )
    # 10:00-11:00 starts inside the window, so it is listed though it ends after it.
    assert [slot.start for slot in slots] == [utc("2026-01-05 09:30"), utc("2026-01-05 10:00")]
    assert compute_slots(hours, rules(), now=NOW, window_start=NOW, window_end=NOW) == []


def test_check_slot_gives_the_first_failing_reason() -> None:
    hours = every_day("UTC", "09:00-12:00")
    rule = rules(days_ahead=30, daily_limit=3, notice=timedelta(hours=1))
    now = utc("2026-01-05 08:45")
    busy = [BusyInterval(utc("2026-01-06 10:00"), utc("2026-01-06 10:30"))]
    bookings = [ExistingBooking(utc("2026-01-06 11:00"), utc("2026-01-06 11:30"))]
    counts = {date(2026, 1, 7): 3}

    def reason(text: str) -> SlotRejection | None:
        return check_slot(
            hours, rule, utc(text), now=now, busy=busy, bookings=bookings, bookings_per_day=counts
        )

    assert reason("2026-01-06 09:30") is None
    assert reason("2026-01-06 09:10") is SlotRejection.NOT_A_SLOT_START
    assert reason("2026-01-06 09:30") is None
    assert (
        check_slot(hours, rule, utc("2026-01-06 09:30") + timedelta(microseconds=1), now=now)
        is SlotRejection.NOT_A_SLOT_START
    )
    assert reason("2026-01-06 12:00") is SlotRejection.OUTSIDE_WORKING_HOURS
    assert reason("2026-01-06 11:45") is SlotRejection.NOT_A_SLOT_START
    assert reason("2026-01-05 08:30") is SlotRejection.OUTSIDE_WORKING_HOURS
    assert reason("2026-01-05 09:30") is SlotRejection.TOO_SOON
    assert reason("2026-02-05 09:30") is SlotRejection.TOO_FAR_AHEAD
    assert reason("2026-01-07 09:30") is SlotRejection.DAILY_LIMIT_REACHED
    assert reason("2026-01-06 10:00") is SlotRejection.CALENDAR_BUSY
    assert reason("2026-01-06 11:00") is SlotRejection.ALREADY_BOOKED
