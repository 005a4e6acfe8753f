"""When to try again: truncated exponential backoff with full jitter.

Full jitter (a uniform draw between zero and the exponential ceiling) spreads a
burst of failures, e.g. every host's job failing during a Google incident, over
the whole window instead of retrying in lockstep. A server's ``Retry-After`` is
a floor we never go under, even when it exceeds our cap: Google asked.

After the fast phase (the job's ``max_attempts``), a failure marked transient
is retried at a slow, capped interval for as long as it takes: a jittered
draw in ``[0.75, 1.5] x slow_seconds`` (15-30 minutes by default), so jobs
that went slow together during an outage do not come back together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadscalendar.config import Settings

# Exponents beyond this would only overflow floats; the cap applies long before.
_MAX_EXPONENT = 62
# The slow phase's jitter, as fractions of ``slow_seconds``.
SLOW_JITTER = (0.75, 1.5)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait between attempts.

    How many attempts a job gets is the job's own ``max_attempts``, chosen when
    it is enqueued; with the default 20 and these delays a job keeps trying for
    about an hour and a half (on average) before it parks.
    """

    base_seconds: float = 2.0
    cap_seconds: float = 900.0
    # The slow phase's interval for transient failures, once attempts are spent.
    slow_seconds: float = 1200.0

    def __post_init__(self) -> None:
        if self.base_seconds <= 0 or self.cap_seconds < self.base_seconds:
            raise ValueError("need 0 < base_seconds <= cap_seconds")
        if self.slow_seconds <= 0:
            raise ValueError("need 0 < slow_seconds")

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            base_seconds=settings.jobs_backoff_base_seconds,
            cap_seconds=settings.jobs_backoff_cap_seconds,
            slow_seconds=settings.jobs_slow_retry_seconds,
        )


def backoff_ceiling(policy: RetryPolicy, failures: int) -> float:
    """The upper bound of the jittered delay after ``failures`` failed attempts (>= 1)."""
    exponent = min(max(failures - 1, 0), _MAX_EXPONENT)
    return min(policy.cap_seconds, policy.base_seconds * 2.0**exponent)


def retry_delay(
    policy: RetryPolicy,
    failures: int,
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait: uniform in [0, ceiling], raised to ``retry_after`` if that is later."""
    draw = (rng or random).uniform(0.0, backoff_ceiling(policy, failures))
    if retry_after is not None and retry_after > draw:
        return float(retry_after)
    return draw


def slow_delay(
    policy: RetryPolicy, *, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds to wait in the slow phase: around ``slow_seconds``; ``retry_after`` is a floor."""
    low, high = SLOW_JITTER
    draw = (rng or random).uniform(low * policy.slow_seconds, high * policy.slow_seconds)
    if retry_after is not None and retry_after > draw:
        return float(retry_after)
    return draw


def next_run_after(
    policy: RetryPolicy,
    failures: int,
    now: datetime,
    *,
    retry_after: float | None = None,
    not_before: datetime | None = None,
    rng: random.Random | None = None,
    slow: bool = False,
) -> datetime:
    """The due time of the next attempt; ``not_before`` (e.g. a quota window reset) is a floor.

    ``slow`` asks for the slow phase's interval instead of the exponential backoff.
    """
    if slow:
        delay = slow_delay(policy, retry_after=retry_after, rng=rng)
    else:
        delay = retry_delay(policy, failures, retry_after=retry_after, rng=rng)
    due = now + timedelta(seconds=delay)
    if not_before is not None and not_before > due:
        return not_before
    return due
