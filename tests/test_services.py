"""The composition root sizes the connection pool when asked (the worker: one per thread)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.pool import QueuePool

from leadscalendar.config import Settings
from leadscalendar.google.tokens import generate_key
from leadscalendar.services import build_services


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{(tmp_path / 'db.sqlite3').as_posix()}",
        token_keys=[generate_key()],
    )


def test_pool_size_gives_one_connection_per_thread(tmp_path: Path) -> None:
    services = build_services(_settings(tmp_path), pool_size=33)
    try:
        pool = services.engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == 33
        assert pool._max_overflow == 0
    finally:
        services.engine.dispose()


def test_default_pool_is_sqlalchemys(tmp_path: Path) -> None:
    services = build_services(_settings(tmp_path))
    try:
        pool = services.engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == 5
    finally:
        services.engine.dispose()
