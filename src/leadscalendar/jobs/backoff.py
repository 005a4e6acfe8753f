"""When to try again: truncated exponential backoff with full jitter.

Full jitter (a uniform draw between zero and the exponential ceiling) spreads a
burst of failures, e.g. every host's job failing during a Google incident, over
the whole window instead of retrying in lockstep. A server's ``Retry-After`` is
a floor we never go under, even when it exceeds our cap: Google asked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadscalendar.config import Settings

# Exponents beyond this would only overflow floats; the cap applies long before.
_MAX_EXPONENT = 62


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait between attempts.

    How many attempts a job gets is the job's own ``max_attempts``, chosen when
    it is enqueued; with the default 20 and these delays a job keeps trying for
    about an hour and a half (on average) before it parks.
    """

    base_seconds: float = 2.0
    cap_seconds: float = 900.0

    def __post_init__(self) -> None:
        if self.base_seconds <= 0 or self.cap_seconds < self.base_seconds:
            raise ValueError("need 0 < base_seconds <= cap_seconds")

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            base_seconds=settings.jobs_backoff_base_seconds,
            cap_seconds=settings.jobs_backoff_cap_seconds,
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


def next_run_after(
    policy: RetryPolicy,
    failures: int,
    now: datetime,
    *,
    retry_after: float | None = None,
    not_before: datetime | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """The due time of the next attempt; ``not_before`` (e.g. a quota window reset) is a floor."""
    due = now + timedelta(seconds=retry_delay(policy, failures, retry_after=retry_after, rng=rng))
    if not_before is not None and not_before > due:
        return not_before
    return due
