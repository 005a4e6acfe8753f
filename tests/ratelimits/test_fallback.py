"""With Redis away, the limits keep counting in the database and nothing fails."""

from __future__ import annotations

import logging
import socket
import uuid

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.config import Settings
from leadscalendar.ratelimits import DatabaseWindowStore, FallbackWindowStore, RedisWindowStore
from leadscalendar.ratelimits.models import RateLimitHit
from leadscalendar.services import build_window_store

REDIS_URL = "redis://127.0.0.1:6379/0"


def _closed_port() -> int:
    """A loopback port nothing listens on: Redis 'restarting', as the client sees it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _hits(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(RateLimitHit)) or 0


def test_an_unreachable_redis_hands_the_counting_to_the_database(
    session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    away = RedisWindowStore.from_url(f"redis://127.0.0.1:{_closed_port()}/0")
    store = FallbackWindowStore(away, DatabaseWindowStore(session_factory))
    key = f"test:{uuid.uuid4().hex}"

    with caplog.at_level(logging.WARNING, logger="leadscalendar.ratelimits.fallback"):
        decisions = [store.hit(key, 3, 60.0) for _ in range(5)]

    # Still a limit, not an error and not a free pass: three fit, two are refused.
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert _hits(session_factory) == 3
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1, "one warning, not one per request"
    first = decisions[0]
    assert first.ticket is not None
    store.release(key, first.ticket)  # a login that succeeded gives its place back
    assert _hits(session_factory) == 2
    store.reset(key)
    assert _hits(session_factory) == 0


def test_a_reachable_redis_keeps_the_database_out_of_it(
    session_factory: sessionmaker[Session],
) -> None:
    store = FallbackWindowStore(
        RedisWindowStore.from_url(REDIS_URL), DatabaseWindowStore(session_factory)
    )
    key = f"test:{uuid.uuid4().hex}"

    assert [store.hit(key, 2, 60.0).allowed for _ in range(3)] == [True, True, False]

    assert _hits(session_factory) == 0
    store.reset(key)


def test_the_services_fall_back_when_redis_is_configured(
    session_factory: sessionmaker[Session],
) -> None:
    with_redis = Settings(redis_url=SecretStr(REDIS_URL))
    assert isinstance(build_window_store(with_redis, session_factory), FallbackWindowStore)
    assert isinstance(build_window_store(Settings(), session_factory), DatabaseWindowStore)
