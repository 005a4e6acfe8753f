"""Shared fixtures: a real database per test, on SQLite always and PostgreSQL when configured.

Set ``LEADSCALENDAR_TEST_DATABASE_URL`` to a PostgreSQL server URL (its database
is only used to create and drop a scratch database for this run) and every test
that uses ``database_url`` runs once on each backend.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db import migrate
from leadscalendar.db.base import Base
from leadscalendar.db.engine import build_engine
from leadscalendar.db.session import build_session_factory

pytest_plugins = [
    "tests.support.sandbox_fixtures",
    "tests.support.booking_env",
    "tests.support.bookings_env",
    "tests.support.mail_server",
    "tests.support.redis_server",
    "tests.support.slot_host",
    "tests.support.webhook_receiver",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    # Here, not in tests/chaos/conftest.py: options must be known before collection starts.
    parser.addoption(
        "--chaos-scale",
        type=int,
        default=1,
        help="multiply the chaos suite's loads and rounds (tests/chaos); default 1",
    )


POSTGRES_SERVER_URL = os.environ.get("LEADSCALENDAR_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_SERVER_URL else ["sqlite"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres`` scenarios do not exist on SQLite: deselect those runs."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        postgres_only = item.get_closest_marker("postgres") is not None
        (dropped if postgres_only and params.get("database_url") == "sqlite" else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test: migrating once keeps the suite fast."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path.as_posix()}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A scratch PostgreSQL database for this test run, migrated, dropped at the end."""
    if not POSTGRES_SERVER_URL:
        pytest.fail("LEADSCALENDAR_TEST_DATABASE_URL is not set")
    server = make_url(POSTGRES_SERVER_URL)
    name = f"leadscalendar_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        # A scratch database need not survive a power cut: commits skip the WAL flush.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "leadscalendar.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path.as_posix()}"
        return
    url: str = request.getfixturevalue("postgres_database")
    yield url
    _truncate_all(url)


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} CASCADE"))
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = build_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return build_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session
