"""The shared window stores, on SQLite, PostgreSQL and Redis: the same behaviour from each."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.ratelimits import DatabaseWindowStore, RedisWindowStore, WindowStore
from leadscalendar.ratelimits.models import RateLimitHit

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    """Seconds since a fixed start, handed to each store in its own unit."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def as_datetime(self) -> datetime:
        return datetime(2026, 11, 29, 12, tzinfo=UTC) + timedelta(seconds=self.seconds)

    def as_epoch(self) -> float:
        return 1_800_000_000.0 + self.seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture(params=["database", "redis"])
def make_store(
    request: pytest.FixtureRequest,
    clock: Clock,
    session_factory: sessionmaker[Session],
    redis_client: redis.Redis,
) -> Callable[[bool], WindowStore]:
    """A store factory; ``fake_clock`` False gives the store its real clock."""

    def make(fake_clock: bool) -> WindowStore:
        if request.param == "database":
            if fake_clock:
                return DatabaseWindowStore(session_factory, clock=clock.as_datetime)
            return DatabaseWindowStore(session_factory)
        if fake_clock:
            return RedisWindowStore(redis_client, clock=clock.as_epoch)
        return RedisWindowStore(redis_client)

    return make


@pytest.fixture
def key() -> str:
    """A key no earlier run used: Redis outlives the test."""
    return f"test:{uuid.uuid4().hex}"


def test_the_window_slides(
    make_store: Callable[[bool], WindowStore], clock: Clock, key: str
) -> None:
    store = make_store(True)
    for _ in range(3):
        assert store.hit(key, 3, 10.0).allowed
        clock.seconds += 1
    refused = store.hit(key, 3, 10.0)
    assert not refused.allowed and refused.retry_after_seconds == 7
    assert refused.ticket is None
    assert store.hit(key + ":other", 3, 10.0).allowed, "keys are independent"
    clock.seconds += 7
    assert store.hit(key, 3, 10.0).allowed, "the first event left the window"
    assert not store.hit(key, 3, 10.0).allowed
    store.reset(key)
    store.reset(key + ":other")


def test_release_takes_back_one_event_and_reset_all(
    make_store: Callable[[bool], WindowStore], key: str
) -> None:
    store = make_store(True)
    first = store.hit(key, 2, 60.0)
    assert first.ticket is not None
    assert store.hit(key, 2, 60.0).allowed
    assert not store.hit(key, 2, 60.0).allowed
    store.release(key, first.ticket)
    assert store.hit(key, 2, 60.0).allowed
    assert not store.hit(key, 2, 60.0).allowed
    store.reset(key)
    assert store.hit(key, 2, 60.0).allowed
    store.reset(key)


def test_concurrent_hits_from_many_store_instances_never_exceed_the_limit(
    make_store: Callable[[bool], WindowStore], key: str
) -> None:
    """Each thread has its own store object, as each web process would."""
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        store = make_store(False)
        start.wait()
        for _ in range(5):
            outcome = store.hit(key, 12, 3600.0).allowed
            with lock:
                allowed.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    make_store(False).reset(key)
    assert len(allowed) == 40
    assert allowed.count(True) == 12


def test_the_database_keeps_digests_of_keys_and_sweeps_expired_rows(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    store = DatabaseWindowStore(session_factory, clock=clock.as_datetime)
    for index in range(300):
        store.hit(f"login:203.0.113.{index} someone@example.com", 5, 60.0)
        clock.seconds += 1
    with session_factory() as session:
        stored = session.scalar(select(func.count()).select_from(RateLimitHit))
        keys = set(session.scalars(select(RateLimitHit.key_hash)))
    assert stored is not None and stored < 300, "rows older than every window were swept"
    assert not any("@" in key for key in keys)


def test_peek_says_whether_one_more_fits_and_counts_nothing(
    make_store: Callable[[bool], WindowStore], clock: Clock, key: str
) -> None:
    store = make_store(True)
    for _ in range(5):
        assert store.peek(key, 2, 10.0).allowed, "peeking never fills the window"
    store.hit(key, 2, 10.0)
    clock.seconds += 4
    store.hit(key, 2, 10.0)
    full = store.peek(key, 2, 10.0)
    assert not full.allowed and full.retry_after_seconds == 6
    clock.seconds += 6
    assert store.peek(key, 2, 10.0).allowed, "the first hit left the window"
