"""Free/busy failures remembered per host, so page views during a rate limit spare Google."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest

from leadscalendar.bookings.busy import UNREADABLE, BusyTimes
from leadscalendar.bookings.errors import NotTakingBookingsError
from leadscalendar.bookings.slot_cache import REFRESH_AHEAD, SlotKey
from leadscalendar.db.base import utcnow
from leadscalendar.web import booking_flow
from tests.support.bookings_env import BookingsEnv, google_error, wait_until

RATE_LIMITED = google_error(429, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits")


def fetch(busy: BusyTimes, env: BookingsEnv, days_ahead: int = 2) -> object:
    start = utcnow() + timedelta(days=days_ahead)
    return busy.fetch(env.host_id, ["primary"], start, start + timedelta(days=1))


def free_busy_calls(env: BookingsEnv) -> int:
    return int(env.stats()["calls"].get("freebusy.query", 0))


def test_page_views_during_a_rate_limit_ask_google_once_then_back_off(
    bookings_env: BookingsEnv,
) -> None:
    env = bookings_env
    busy = BusyTimes(env.services.calendars, failure_base_seconds=0.5)
    before = free_busy_calls(env)
    env.script("freebusy.query", RATE_LIMITED, RATE_LIMITED)
    for days_ahead in (2, 2, 3, 9):  # other windows of the same host wait too
        with pytest.raises(NotTakingBookingsError) as refused:
            fetch(busy, env, days_ahead)
        assert refused.value.message == UNREADABLE
    assert free_busy_calls(env) == before + 1

    time.sleep(0.6)
    with pytest.raises(NotTakingBookingsError):
        fetch(busy, env)  # the second failure in a row: now a 1 s wait
    time.sleep(0.6)
    with pytest.raises(NotTakingBookingsError):
        fetch(busy, env)
    assert free_busy_calls(env) == before + 2

    time.sleep(0.5)
    assert fetch(busy, env) == ()
    assert free_busy_calls(env) == before + 3


def test_retry_after_from_google_outlasts_the_backoff(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    busy = BusyTimes(env.services.calendars, failure_base_seconds=0.1)
    before = free_busy_calls(env)
    env.script("freebusy.query", RATE_LIMITED | {"headers": {"Retry-After": "2"}})
    with pytest.raises(NotTakingBookingsError):
        fetch(busy, env)
    time.sleep(0.5)
    with pytest.raises(NotTakingBookingsError):
        fetch(busy, env)
    assert free_busy_calls(env) == before + 1


def test_a_read_lasts_as_long_as_its_free_busy_answer_is_kept(bookings_env: BookingsEnv) -> None:
    """What bounds a cached slot answer: the free/busy entry it was computed from."""
    env = bookings_env
    busy = BusyTimes(env.services.calendars, ttl_seconds=30)
    before = free_busy_calls(env)
    start = utcnow() + timedelta(days=2)
    first = busy.read(env.host_id, ["primary"], start, start + timedelta(days=1))
    assert utcnow() + timedelta(seconds=29) < first.valid_until <= utcnow() + timedelta(seconds=30)
    time.sleep(0.3)

    again = busy.read(env.host_id, ["primary"], start, start + timedelta(days=1))
    assert abs(again.valid_until - first.valid_until) < timedelta(milliseconds=50)
    assert free_busy_calls(env) == before + 1


def test_an_answer_with_too_little_life_left_is_asked_again(bookings_env: BookingsEnv) -> None:
    env = bookings_env
    busy = BusyTimes(env.services.calendars, ttl_seconds=30)
    before = free_busy_calls(env)
    start = utcnow() + timedelta(days=2)
    busy.read(env.host_id, ["primary"], start, start + timedelta(days=1))
    busy.read(env.host_id, ["primary"], start, start + timedelta(days=1), min_life=5)
    assert free_busy_calls(env) == before + 1

    busy.read(env.host_id, ["primary"], start, start + timedelta(days=1), min_life=30)
    assert free_busy_calls(env) == before + 2


def test_a_slot_answer_is_computed_again_before_its_free_busy_answer_ends(
    bookings_env: BookingsEnv,
) -> None:
    """The request that finds the answer near its end is served it; Google is asked aside."""
    env = bookings_env
    # Free/busy kept 6 s: answers are refreshed from 1 s after their free/busy read.
    services = replace(env.services, busy=BusyTimes(env.services.calendars, ttl_seconds=6))
    key = SlotKey("coach", "intro", (utcnow() + timedelta(days=2)).date(), 1, "UTC")
    first = booking_flow.slot_answer(services, key)
    assert first.refresh_at is not None
    assert first.refresh_at <= first.valid_until - REFRESH_AHEAD
    before = free_busy_calls(env)
    time.sleep(max(0.0, (first.refresh_at - utcnow()).total_seconds()) + 0.1)

    assert booking_flow.slot_answer(services, key) is first  # served at once, still valid
    wait_until(
        lambda: booking_flow.slot_answer(services, key) is not first, what="the refreshed answer"
    )
    assert utcnow() < first.valid_until, "refreshed while the first answer still served"
    refreshed = booking_flow.slot_answer(services, key)
    assert free_busy_calls(env) == before + 1
    assert refreshed.valid_until > first.valid_until
