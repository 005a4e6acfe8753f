"""Property tests: random hosts, calendars and rules, around DST changes.

Each property from the brief gets its own test; the last two tie
``is_slot_available`` to the list, and the list to a brute-force reference.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from leadscalendar.availability import (
    BookingRules,
    BusyInterval,
    ExistingBooking,
    Slot,
    WorkingHours,
    WorkingInterval,
    check_slot,
    compute_slots,
    is_slot_available,
)
from tests.availability.reference import Scenario, blocked, boundary, merged_intervals, offered

ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Havana",  # DST at midnight
    "Asia/Kolkata",  # +05:30, no DST
]
# DST changes of 2026 in those zones, and one ordinary Monday.
AROUND = [
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 1, 5),
]
FIVE = timedelta(minutes=5)
MINUTES = st.integers
PROPERTY = settings(max_examples=150, deadline=None)


def minutes(choices: list[int]) -> st.SearchStrategy[timedelta]:
    return st.sampled_from(choices).map(lambda value: timedelta(minutes=value))


@st.composite
def working_intervals(draw: st.DrawFn) -> WorkingInterval:
    start = draw(st.integers(0, 95))
    end = min(96, start + draw(st.sampled_from([1, 2, 3, 4, 8, 16, 24, 32, 96])))
    return WorkingInterval(time(start // 4, start % 4 * 15), time(end // 4 % 24, end % 4 * 15))


# Every weekday works, so that most examples have slots to check; overrides add days off.
DAY_SPANS = st.lists(working_intervals(), min_size=1, max_size=3)

RULES = st.builds(
    BookingRules,
    duration=minutes([5, 15, 20, 30, 45, 60, 90, 120, 180]),
    step=minutes([5, 10, 15, 20, 30, 45, 60, 90]),
    buffer_before=minutes([0, 5, 10, 15, 30]),
    buffer_after=minutes([0, 5, 10, 15, 30]),
    minimum_notice=minutes([0, 0, 15, 60, 360, 1440]),
    max_days_ahead=st.none() | st.none() | st.integers(0, 4),
    daily_limit=st.none() | st.none() | st.integers(0, 3),
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    first_day = draw(st.sampled_from(AROUND)) + timedelta(days=draw(st.integers(-2, 1)))
    days = draw(st.integers(1, 4))
    dates = [first_day + timedelta(days=offset) for offset in range(-1, days + 1)]
    hours = WorkingHours(
        zone_name,
        draw(st.fixed_dictionaries({weekday: DAY_SPANS for weekday in range(7)})),
        overrides=draw(
            st.dictionaries(st.sampled_from(dates), DAY_SPANS | st.just([]), max_size=2)
        ),
    )
    midnight = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
    window_start = midnight + timedelta(minutes=draw(st.integers(-120, 1439) | st.just(0)))
    length = draw(st.integers(0, days * 1440) | st.just(days * 1440))
    window_end = window_start + timedelta(minutes=length)
    now = window_start + timedelta(
        minutes=draw(st.integers(-3000, 0) | st.integers(0, 1500)),
        seconds=draw(st.integers(0, 59)),
    )

    def span() -> tuple[datetime, datetime]:
        start = midnight + timedelta(
            minutes=draw(st.integers(-1440, (days + 1) * 1440)),
            seconds=draw(st.sampled_from([0, 0, 0, 17])),
        )
        return start, start + timedelta(minutes=draw(st.integers(0, 180)))

    busy = tuple(BusyInterval(*span()) for _ in range(draw(st.integers(0, 6))))
    bookings = tuple(
        ExistingBooking(
            *span(),
            buffer_before=draw(minutes([0, 10, 30])),
            buffer_after=draw(minutes([0, 5, 15])),
        )
        for _ in range(draw(st.integers(0, 6)))
    )
    return Scenario(
        hours=hours,
        rules=draw(RULES),
        now=now,
        window_start=window_start,
        window_end=window_end,
        busy=busy,
        bookings=bookings,
        per_day=draw(st.dictionaries(st.sampled_from(dates), st.integers(0, 4))),
    )


def compute(scenario: Scenario) -> list[Slot]:
    return compute_slots(
        scenario.hours,
        scenario.rules,
        now=scenario.now,
        window_start=scenario.window_start,
        window_end=scenario.window_end,
        busy=scenario.busy,
        bookings=scenario.bookings,
        bookings_per_day=scenario.per_day,
    )


def grid(scenario: Scenario) -> list[datetime]:
    """Every 5-minute UTC instant of the window: all possible slot starts and then some."""
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    instant = epoch + (scenario.window_start - epoch) // FIVE * FIVE
    points = []
    while instant < scenario.window_end:
        points.append(instant)
        instant += FIVE
    return points


@PROPERTY
@given(scenarios())
def test_slots_are_sorted_distinct_aligned_and_in_the_window(scenario: Scenario) -> None:
    slots = compute(scenario)
    starts = [slot.start for slot in slots]
    assert starts == sorted(set(starts))
    step = int(scenario.rules.step.total_seconds())
    for slot in slots:
        assert slot.start.tzinfo is UTC
        assert slot.end - slot.start == scenario.rules.duration
        assert scenario.window_start <= slot.start < scenario.window_end
        local = slot.start.astimezone(scenario.zone)
        assert (local.hour * 3600 + local.minute * 60 + local.second) % step == 0
        assert local.microsecond == 0


@PROPERTY
@given(scenarios())
def test_slots_lie_inside_working_hours(scenario: Scenario) -> None:
    zone_name = scenario.hours.time_zone
    for slot in compute(scenario):
        local = slot.start.astimezone(scenario.zone)
        day, wall = local.date(), local.hour * 60 + local.minute
        assert any(
            low <= wall < high
            and boundary(zone_name, day, low) <= slot.start
            and slot.end <= boundary(zone_name, day, high)
            for low, high in merged_intervals(scenario.hours, day)
        ), f"{local} is outside working hours"


@PROPERTY
@given(scenarios())
def test_slots_avoid_busy_time_and_bookings_with_buffers(scenario: Scenario) -> None:
    for slot in compute(scenario):
        assert not blocked(scenario, slot.start, slot.end)


@PROPERTY
@given(scenarios())
def test_notice_horizon_and_daily_limit(scenario: Scenario) -> None:
    rules = scenario.rules
    today = scenario.now.astimezone(scenario.zone).date()
    for slot in compute(scenario):
        assert slot.start >= scenario.now + rules.minimum_notice
        day = slot.start.astimezone(scenario.zone).date()
        if rules.max_days_ahead is not None:
            assert (day - today).days <= rules.max_days_ahead
        if rules.daily_limit is not None:
            assert scenario.per_day.get(day, 0) < rules.daily_limit


@PROPERTY
@given(scenarios(), st.lists(st.integers(0, 10**6), max_size=20))
def test_check_slot_agrees_with_the_list(scenario: Scenario, jitters: list[int]) -> None:
    slots = set(compute(scenario))
    starts = {slot.start for slot in slots}
    # The grid, plus instants off the grid that must all be refused.
    candidates = grid(scenario)
    candidates += [
        point + timedelta(microseconds=jitter)
        for point, jitter in zip(candidates, jitters, strict=False)
    ]
    for start in candidates:
        if not scenario.window_start <= start < scenario.window_end:
            continue
        arguments = {
            "now": scenario.now,
            "busy": scenario.busy,
            "bookings": scenario.bookings,
            "bookings_per_day": scenario.per_day,
        }
        available = is_slot_available(scenario.hours, scenario.rules, start, **arguments)  # type: ignore[arg-type]
        reason = check_slot(scenario.hours, scenario.rules, start, **arguments)  # type: ignore[arg-type]
        assert available == (start in starts), (start, reason)
        assert (reason is None) == available


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_the_list_matches_a_brute_force_reference(scenario: Scenario) -> None:
    expected = [start for start in grid(scenario) if offered(scenario, start)]
    assert [slot.start for slot in compute(scenario)] == expected
