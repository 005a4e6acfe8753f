"""Quota pacing: moving windows in memory or in Redis, shared, degrading when Redis goes."""

from __future__ import annotations

import logging
import threading
import types
import uuid
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

import leadscalendar.jobs.pacing as pacing_module
from leadscalendar.config import Settings
from leadscalendar.jobs import FallbackPacer, Pacer, QuotaPacer, Quotas
from leadscalendar.services import build_pacer
from tests.support.redis_server import RedisServer, free_port

SHARED_REDIS_URL = "redis://127.0.0.1:6379/0"
GOOGLE = Quotas(per_user_per_minute=600, per_project_per_minute=10_000)


class FakeTime:
    """Wall-clock time for ``limits``' memory storage and the pacer, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    import limits.storage.memory

    clock = FakeTime()
    stand_in = types.SimpleNamespace(time=clock.time, monotonic=clock.monotonic)
    monkeypatch.setattr(limits.storage.memory, "time", stand_in)
    monkeypatch.setattr(pacing_module, "time", stand_in)
    return clock


def grants(pacer: Pacer, key: uuid.UUID | None, tries: int) -> int:
    return sum(pacer.acquire(key) == 0 for _ in range(tries))


def redis_pacer(url: str, quotas: Quotas, prefix: str) -> QuotaPacer:
    return QuotaPacer.on_redis(url, quotas, key_prefix=prefix)


@pytest.fixture
def prefix() -> Iterator[str]:
    """Keys of this test's own in the machine's Redis, deleted afterwards."""
    import redis

    name = f"test-pacing-{uuid.uuid4().hex}"
    yield name
    client = redis.Redis.from_url(SHARED_REDIS_URL)
    keys = list(client.scan_iter(f"{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


# -- in memory ----------------------------------------------------------------------


def test_a_host_gets_a_tenth_of_its_minute_per_second(fake_time: FakeTime) -> None:
    pacer = QuotaPacer.in_memory(GOOGLE)
    host = uuid.uuid4()
    assert grants(pacer, host, 50) == 10
    wait = pacer.acquire(host)
    assert 0 < wait <= 1.0 + 2 * pacing_module.MIN_WAIT_SECONDS
    fake_time.now += wait
    assert grants(pacer, host, 50) == 10


def test_no_minute_ever_holds_more_than_the_quota(fake_time: FakeTime) -> None:
    """600 a minute means 600 in any 60 s window, counted over 61 s: never 601 at the server."""
    pacer = QuotaPacer.in_memory(GOOGLE)
    host = uuid.uuid4()
    granted_at: list[float] = []
    while fake_time.now < 1_000_000.0 + 180:
        if (wait := pacer.acquire(host)) == 0:
            granted_at.append(fake_time.now)
        else:
            fake_time.now += wait  # as the worker's job thread does
    # Every 60 s window of grant times holds at most 600, and the rate stays within 95 % of
    # 600 per 61 s.
    for index, start in enumerate(granted_at):
        in_window = sum(1 for at in granted_at[index:] if at < start + 60)
        assert in_window <= 600
    assert len(granted_at) >= 0.95 * 600 * 180 / 61


def test_hosts_have_their_own_windows_but_share_the_project(fake_time: FakeTime) -> None:
    pacer = QuotaPacer.in_memory(Quotas(per_user_per_minute=600, per_project_per_minute=1500))
    hosts = [uuid.uuid4() for _ in range(5)]
    # The project: 25 a second; each host: 10. Five hosts together get 25, not 50.
    assert sum(grants(pacer, host, 20) for host in hosts) == 25
    assert pacer.acquire(None) > 0


def test_a_process_share_divides_the_quotas(fake_time: FakeTime) -> None:
    pacer = QuotaPacer.in_memory(GOOGLE.share(2))
    assert grants(pacer, uuid.uuid4(), 50) == 5
    with pytest.raises(ValueError, match="process_count"):
        GOOGLE.share(0)
    with pytest.raises(ValueError, match="positive"):
        Quotas(per_user_per_minute=0)


def test_concurrent_acquirers_never_exceed_the_window(fake_time: FakeTime) -> None:
    pacer = QuotaPacer.in_memory(Quotas(per_user_per_minute=6000))  # 100 a second
    host = uuid.uuid4()
    granted: list[int] = []
    barrier = threading.Barrier(8)

    def hammer() -> None:
        barrier.wait()
        granted.append(grants(pacer, host, 200))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 100


# -- through Redis --------------------------------------------------------------------


def test_tokens_in_use_counts_the_project_window_shared_or_not(prefix: str) -> None:
    """What the quota gauge shows: calls in the project's minute, across pacers on one Redis."""
    alone = QuotaPacer.in_memory(GOOGLE)
    assert alone.tokens_in_use() == 0
    assert grants(alone, uuid.uuid4(), 3) + grants(alone, uuid.uuid4(), 4) == 7
    assert alone.tokens_in_use() == 7
    first = redis_pacer(SHARED_REDIS_URL, GOOGLE, prefix)
    second = redis_pacer(SHARED_REDIS_URL, GOOGLE, prefix)
    assert grants(first, uuid.uuid4(), 2) + grants(second, uuid.uuid4(), 3) == 5
    assert first.tokens_in_use() == second.tokens_in_use() == 5


def test_two_pacers_on_one_redis_share_one_budget(prefix: str) -> None:
    """Two worker processes (two pacers) get a host's 10 calls a second between them, not 20."""
    first = redis_pacer(SHARED_REDIS_URL, GOOGLE, prefix)
    second = redis_pacer(SHARED_REDIS_URL, GOOGLE, prefix)
    host = uuid.uuid4()
    results = [pacer.acquire(host) for _ in range(15) for pacer in (first, second)]
    assert sum(wait == 0 for wait in results) == 10
    assert all(0 < wait <= 1.1 for wait in results if wait)
    # Another host has its own windows, on either pacer.
    assert grants(second, uuid.uuid4(), 12) == 10


def test_pacers_of_other_deployments_do_not_share(prefix: str) -> None:
    host = uuid.uuid4()
    assert grants(redis_pacer(SHARED_REDIS_URL, GOOGLE, prefix), host, 12) == 10
    assert grants(redis_pacer(SHARED_REDIS_URL, GOOGLE, prefix + "-other"), host, 12) == 10


# -- Redis away -----------------------------------------------------------------------


def test_an_unreachable_redis_falls_back_to_the_process_share(
    caplog: pytest.LogCaptureFixture,
) -> None:
    away = redis_pacer(f"redis://127.0.0.1:{free_port()}/0", GOOGLE, "unused")
    clock = FakeTime()
    pacer = FallbackPacer(
        away, QuotaPacer.in_memory(GOOGLE.share(2)), retry_seconds=30, clock=clock.monotonic
    )
    with caplog.at_level(logging.WARNING, logger="leadscalendar.jobs.pacing"):
        # Still paced, not an error and not a free pass: this process's half of 10 a second.
        assert grants(pacer, uuid.uuid4(), 20) == 5
    assert pacer.degraded
    warnings = [r for r in caplog.records if "pacing.degraded" in r.getMessage()]
    assert len(warnings) == 1, "one warning per outage, not one per call"


def test_redis_coming_back_takes_over_again(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeTime()
    pacer = FallbackPacer(
        redis_pacer(own_redis.url, GOOGLE, "lc"),
        QuotaPacer.in_memory(GOOGLE.share(2)),
        retry_seconds=5,
        clock=clock.monotonic,
    )
    host = uuid.uuid4()
    assert pacer.acquire(host) == 0
    own_redis.stop()
    assert pacer.acquire(host) == 0  # the call that finds Redis gone is paced locally
    assert pacer.degraded
    own_redis.start()
    assert pacer.acquire(host) == 0
    assert pacer.degraded, "Redis is not asked again before retry_seconds"
    clock.now += 5
    with caplog.at_level(logging.INFO, logger="leadscalendar.jobs.pacing"):
        assert pacer.acquire(host) == 0
    assert not pacer.degraded
    assert any("pacing.restored" in r.getMessage() for r in caplog.records)
    # Counted in Redis again: the restarted server holds this host's windows.
    assert any(str(host) in key.decode() for key in own_redis.client().scan_iter("lc*"))


# -- chosen by the composition root -----------------------------------------------------


def test_the_services_pace_through_redis_only_when_it_is_configured() -> None:
    alone = build_pacer(Settings(jobs_process_count=2))
    assert isinstance(alone, QuotaPacer)
    assert alone.quotas == GOOGLE.share(2)
    shared = build_pacer(Settings(redis_url=SecretStr(SHARED_REDIS_URL), jobs_process_count=2))
    assert isinstance(shared, FallbackPacer)
    assert not shared.degraded


def test_waiters_on_a_full_window_do_not_all_ask_the_store(fake_time: FakeTime) -> None:
    """32 job threads on one host's full window: one asks the store per freed slot, not 32."""
    from limits.storage import MemoryStorage

    class CountingStorage(MemoryStorage):
        asked = 0

        def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
            CountingStorage.asked += 1
            return super().acquire_entry(key, limit, expiry, amount)

    pacer = QuotaPacer(CountingStorage(), GOOGLE)
    host = uuid.uuid4()
    assert grants(pacer, host, 10) == 10
    asked_for_ten = CountingStorage.asked
    waits = [pacer.acquire(host) for _ in range(32)]
    assert all(0 < wait <= 1.1 for wait in waits)
    assert CountingStorage.asked == asked_for_ten + 1
    fake_time.now += max(waits)
    assert pacer.acquire(host) == 0
