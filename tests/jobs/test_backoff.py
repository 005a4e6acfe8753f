from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadscalendar.jobs.backoff import (
    RetryPolicy,
    backoff_ceiling,
    next_run_after,
    retry_delay,
    slow_delay,
)

policies = st.builds(
    lambda base, factor: RetryPolicy(base_seconds=base, cap_seconds=base * factor),
    st.floats(min_value=0.01, max_value=60),
    st.floats(min_value=1, max_value=10_000),
)
failures = st.integers(min_value=1, max_value=10_000)
seeds = st.integers(min_value=0, max_value=2**32)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@given(policies, failures, seeds)
def test_full_jitter_stays_between_zero_and_the_capped_exponential(
    policy: RetryPolicy, n: int, seed: int
) -> None:
    delay = retry_delay(policy, n, rng=random.Random(seed))
    ceiling = min(policy.cap_seconds, policy.base_seconds * 2.0 ** min(n - 1, 62))
    assert backoff_ceiling(policy, n) == pytest.approx(ceiling)
    assert 0.0 <= delay <= ceiling <= policy.cap_seconds


@given(policies, failures, seeds, st.floats(min_value=0, max_value=100_000))
def test_retry_after_is_a_floor_even_above_the_cap(
    policy: RetryPolicy, n: int, seed: int, retry_after: float
) -> None:
    delay = retry_delay(policy, n, retry_after=retry_after, rng=random.Random(seed))
    assert delay >= retry_after
    assert delay <= max(retry_after, policy.cap_seconds)


@given(policies, failures, seeds, st.integers(min_value=-3600, max_value=86_400))
def test_not_before_is_a_floor_for_the_due_time(
    policy: RetryPolicy, n: int, seed: int, offset: int
) -> None:
    not_before = NOW + timedelta(seconds=offset)
    due = next_run_after(policy, n, NOW, not_before=not_before, rng=random.Random(seed))
    assert due >= not_before
    assert due >= NOW
    assert due <= max(not_before, NOW + timedelta(seconds=policy.cap_seconds))


def test_the_ceiling_doubles_from_base_until_the_cap() -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=60)
    assert [backoff_ceiling(policy, n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_jitter_actually_spreads_retries() -> None:
    policy = RetryPolicy(base_seconds=1, cap_seconds=1000)
    rng = random.Random(7)
    delays = [retry_delay(policy, 10, rng=rng) for _ in range(1000)]
    # Uniform on [0, 512]: both halves are well populated.
    assert sum(d < 256 for d in delays) > 400
    assert sum(d >= 256 for d in delays) > 400


def test_nonsense_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="base_seconds"):
        RetryPolicy(base_seconds=0)
    with pytest.raises(ValueError, match="base_seconds"):
        RetryPolicy(base_seconds=10, cap_seconds=5)


@given(st.floats(min_value=0.01, max_value=100_000), seeds)
def test_the_slow_phase_waits_between_three_quarters_and_one_and_a_half_intervals(
    slow: float, seed: int
) -> None:
    policy = RetryPolicy(slow_seconds=slow)
    delay = slow_delay(policy, rng=random.Random(seed))
    assert 0.75 * slow <= delay <= 1.5 * slow
    due = next_run_after(policy, 10_000, NOW, slow=True, rng=random.Random(seed))
    assert due == NOW + timedelta(seconds=delay)


def test_the_slow_phase_honours_retry_after_and_not_before() -> None:
    policy = RetryPolicy(slow_seconds=60)
    assert slow_delay(policy, retry_after=3600) == 3600
    reset = NOW + timedelta(hours=9)
    assert next_run_after(policy, 30, NOW, not_before=reset, slow=True) == reset
