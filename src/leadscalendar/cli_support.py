"""What the CLI's sub-apps share: the session factory a command works with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.config import get_settings
from leadscalendar.db.engine import build_engine
from leadscalendar.db.session import build_session_factory


@contextmanager
def session_factory_for(ctx: typer.Context) -> Iterator[sessionmaker[Session]]:
    """The caller's factory from ``ctx.obj`` (tests), else one built from the settings."""
    if isinstance(ctx.obj, sessionmaker):
        yield ctx.obj
        return
    engine = build_engine(get_settings().resolved_database_url)
    try:
        yield build_session_factory(engine)
    finally:
        engine.dispose()
