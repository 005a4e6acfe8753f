from __future__ import annotations

import threading
import uuid

import pytest

from leadscalendar.config import Settings
from leadscalendar.jobs import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def grants(limiter: RateLimiter, key: uuid.UUID | None, tries: int) -> int:
    return sum(limiter.acquire(key) == 0 for _ in range(tries))


def test_a_host_gets_its_burst_then_its_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_user_per_minute=600, clock=clock)  # 10/s, burst 10
    host = uuid.uuid4()
    assert grants(limiter, host, 50) == 10
    wait = limiter.acquire(host)
    assert wait == pytest.approx(0.1)
    clock.now += 0.5
    assert grants(limiter, host, 50) == 5


def test_hosts_have_separate_buckets_but_share_the_project_bucket() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_user_per_minute=600, per_project_per_minute=1500, clock=clock)
    hosts = [uuid.uuid4() for _ in range(5)]
    # Project: 25/s, burst 25; each host: burst 10. Five hosts together get 25, not 50.
    assert sum(grants(limiter, host, 20) for host in hosts) == 25
    assert limiter.acquire(None) > 0


def test_process_count_divides_the_rates() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_user_per_minute=600, process_count=2, clock=clock)
    assert grants(limiter, uuid.uuid4(), 50) == 5


def test_concurrent_acquirers_never_exceed_the_bucket() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_user_per_minute=6000, clock=clock)  # burst 100
    host = uuid.uuid4()
    granted: list[int] = []
    barrier = threading.Barrier(8)

    def hammer() -> None:
        barrier.wait()
        granted.append(grants(limiter, host, 200))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 100


def test_idle_host_buckets_are_forgotten() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_project_per_minute=10**9, clock=clock)
    for _ in range(10_000):
        assert limiter.acquire(uuid.uuid4()) == 0
    assert len(limiter._users) == 10_000
    clock.now += 60
    limiter.acquire(uuid.uuid4())
    assert len(limiter._users) == 1


def test_from_settings_and_validation() -> None:
    settings = Settings(google_rate_per_user_per_minute=60, jobs_process_count=1)
    limiter = RateLimiter.from_settings(settings)
    assert limiter.acquire(uuid.uuid4()) == 0
    assert limiter.acquire(None) == 0
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(per_user_per_minute=0)
    with pytest.raises(ValueError, match="process_count"):
        RateLimiter(process_count=0)


def test_tokens_in_use_reads_the_project_bucket_and_refills() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_project_per_minute=1200, clock=clock)  # 20/s, burst 20
    assert limiter.tokens_in_use() == 0
    assert grants(limiter, uuid.uuid4(), 3) + grants(limiter, uuid.uuid4(), 4) == 7
    assert limiter.tokens_in_use() == pytest.approx(7)
    clock.now += 0.25  # five tokens back
    assert limiter.tokens_in_use() == pytest.approx(2)
    clock.now += 10
    assert limiter.tokens_in_use() == 0
