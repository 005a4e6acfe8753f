"""Benchmark: slots for 60 days against 500 busy intervals and 300 bookings.

Run ``.venv/bin/python bench/availability.py [--runs N]``. It prints the mean
time of ``compute_slots`` over N runs, the mean of a naive O(slots * busy)
implementation on the same input as the baseline, and their ratio; it also
checks that both return the same slots, so the speed is not bought with a bug.
The target is well under 20 ms per call for this size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time as clock
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadscalendar.availability import (
    BookingRules,
    BusyInterval,
    ExistingBooking,
    Slot,
    WorkingHours,
    WorkingInterval,
    compute_slots,
)

ZONE = "Europe/Paris"
DAYS = 60
BUSY = 500
BOOKINGS = 300
# Includes the 2026-10-25 fall-back day, so the DST paths run too.
NOW = datetime(2026, 9, 30, 6, 0, tzinfo=UTC)


def scenario(seed: int) -> dict[str, object]:
    """A host with a split working day, a crowded calendar and a busy booking page."""
    rng = random.Random(seed)
    zone = ZoneInfo(ZONE)
    weekday = [WorkingInterval(time(9), time(12, 30)), WorkingInterval(time(13, 30), time(18))]
    hours = WorkingHours(
        ZONE,
        {day: weekday for day in range(5)} | {5: [WorkingInterval(time(10), time(14))]},
        overrides={date(2026, 10, 12): []},
    )
    rules = BookingRules(
        duration=timedelta(minutes=30),
        step=timedelta(minutes=15),
        buffer_before=timedelta(minutes=10),
        buffer_after=timedelta(minutes=10),
        minimum_notice=timedelta(hours=2),
        max_days_ahead=DAYS,
        daily_limit=8,
    )
    first = NOW.astimezone(zone).date()

    def somewhere(max_minutes: int) -> tuple[datetime, datetime]:
        day = first + timedelta(days=rng.randrange(DAYS))
        start = datetime.combine(day, time(rng.randrange(7, 20), rng.choice([0, 15, 30, 45])))
        # UTC, as Google's freeBusy and our database hand them over.
        local = start.replace(tzinfo=zone).astimezone(UTC)
        return local, local + timedelta(minutes=rng.randrange(15, max_minutes, 5))

    busy = [BusyInterval(*somewhere(120)) for _ in range(BUSY)]
    bookings = [
        ExistingBooking(*somewhere(60), timedelta(minutes=10), timedelta(minutes=10))
        for _ in range(BOOKINGS)
    ]
    per_day = Counter(item.start.astimezone(zone).date() for item in bookings)
    return {
        "hours": hours,
        "rules": rules,
        "now": NOW,
        "window_start": NOW,
        "window_end": NOW + timedelta(days=DAYS),
        "busy": busy,
        "bookings": bookings,
        "bookings_per_day": dict(per_day),
    }


def naive_slots(
    hours: WorkingHours,
    rules: BookingRules,
    *,
    now: datetime,
    window_start: datetime,
    window_end: datetime,
    busy: Sequence[BusyInterval],
    bookings: Sequence[ExistingBooking],
    bookings_per_day: dict[date, int],
) -> list[Slot]:
    """The obvious version: zoneinfo per candidate, every candidate against every interval.

    Handles ordinary working-hour boundaries only (none falls in a DST gap here).
    """
    zone = ZoneInfo(hours.time_zone)
    step = int(rules.step.total_seconds())
    today = now.astimezone(zone).date()
    day, last = window_start.astimezone(zone).date(), window_end.astimezone(zone).date()
    slots = []
    while day <= last:
        if (rules.max_days_ahead is not None and (day - today).days > rules.max_days_ahead) or (
            rules.daily_limit is not None and bookings_per_day.get(day, 0) >= rules.daily_limit
        ):
            day += timedelta(days=1)
            continue
        for low, high in hours.day_seconds(day):
            span_end = datetime.combine(day, time(0), tzinfo=zone) + timedelta(seconds=high)
            span_end = span_end.astimezone(UTC)
            for second in range(-(-low // step) * step, high, step):
                wall = datetime.combine(day, time(0)) + timedelta(seconds=second)
                start = wall.replace(tzinfo=zone).astimezone(UTC)
                if start.astimezone(zone).replace(tzinfo=None) != wall:
                    continue  # in a DST gap
                end = start + rules.duration
                if end > span_end or not window_start <= start < window_end:
                    continue
                if start < now + rules.minimum_notice:
                    continue
                padded_start = start - rules.buffer_before
                padded_end = end + rules.buffer_after
                if any(item.start < padded_end and padded_start < item.end for item in busy):
                    continue
                if any(
                    item.start - item.buffer_before < padded_end
                    and padded_start < item.end + item.buffer_after
                    for item in bookings
                ):
                    continue
                slots.append(Slot(start, end))
        day += timedelta(days=1)
    return slots


def timings_ms(
    function: Callable[..., list[Slot]], inputs: dict[str, object], runs: int
) -> tuple[float, float]:
    """Mean and best of ``runs`` calls; the best shows what a quiet machine would do."""
    timings = []
    for _ in range(runs):
        started = clock.perf_counter()
        function(**inputs)
        timings.append(clock.perf_counter() - started)
    return statistics.mean(timings) * 1000, min(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per implementation")
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()

    inputs = scenario(arguments.seed)
    fast = compute_slots(**inputs)  # type: ignore[arg-type]
    slow = naive_slots(**inputs)  # type: ignore[arg-type]
    if fast != slow:
        raise SystemExit(f"implementations disagree: {len(fast)} vs {len(slow)} slots")

    naive_runs = max(1, arguments.runs // 5)
    optimised, optimised_best = timings_ms(compute_slots, inputs, arguments.runs)
    baseline, baseline_best = timings_ms(naive_slots, inputs, naive_runs)
    print(
        f"{DAYS} days, {BUSY} busy intervals, {BOOKINGS} bookings -> {len(fast)} slots "
        f"({ZONE}, 15-minute step)"
    )
    print(
        f"compute_slots: {optimised:8.2f} ms mean of {arguments.runs} runs "
        f"(best {optimised_best:.2f} ms)"
    )
    print(
        f"naive O(n*m):  {baseline:8.2f} ms mean of {naive_runs} runs (best {baseline_best:.2f} ms)"
    )
    print(f"speed-up:      {baseline / optimised:8.1f}x (means)")


if __name__ == "__main__":
    main()
