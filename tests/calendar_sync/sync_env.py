"""Helpers for the calendar sync tests: play the host in Google, read the mirror."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select

from leadscalendar.calendar_sync.models import BusyBlock, CalendarSync, WatchChannel
from tests.support.bookings_env import BookingsEnv, wait_until


@contextmanager
def host_calendar(env: BookingsEnv) -> Iterator[Any]:
    """The host's own Google client (a second grant of the same account) on the sandbox."""
    credentials = env.sandbox.connect()
    with env.sandbox.calendar(credentials) as service:
        yield service.events()


def event_body(start: datetime, end: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "summary": "Dentist",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()},
        **extra,
    }


def blocks(env: BookingsEnv) -> dict[str, tuple[datetime, datetime]]:
    with env.services.session_factory() as session:
        return {
            block.event_id: (block.start_at, block.end_at)
            for block in session.scalars(select(BusyBlock))
        }


def syncs(env: BookingsEnv) -> list[CalendarSync]:
    with env.services.session_factory() as session:
        return list(session.scalars(select(CalendarSync).order_by(CalendarSync.calendar_id)))


def channels(env: BookingsEnv) -> list[WatchChannel]:
    with env.services.session_factory() as session:
        return list(session.scalars(select(WatchChannel).order_by(WatchChannel.created_at)))


def primary_sync_id(env: BookingsEnv) -> uuid.UUID:
    found = [sync for sync in syncs(env) if sync.calendar_id == "primary"]
    assert found, "the primary calendar is not synced"
    return found[0].id


def wait_for_block(env: BookingsEnv, event_id: str, expected: Any, timeout: float = 10.0) -> None:
    """Until the mirror holds ``expected`` for the event (None: no busy block)."""
    wait_until(
        lambda: blocks(env).get(event_id) == expected,
        timeout=timeout,
        what=f"the mirror to show {expected} for {event_id} (has {blocks(env)})",
    )
