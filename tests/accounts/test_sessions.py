"""Server-side sessions in the database: lookup, idling out, ending, user-agent labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadscalendar.accounts import service
from leadscalendar.accounts import sessions as host_sessions
from leadscalendar.accounts.models import Host, HostSession

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
IDLE = timedelta(days=14)


@pytest.fixture
def host(session: Session) -> Host:
    return service.create_host(
        session, email="coach@example.com", name="Coach", slug="coach", password="a" * 12
    )


def test_a_session_is_found_by_its_token_and_stores_only_a_digest(
    session: Session, host: Host
) -> None:
    started = host_sessions.start_session(session, host, user_agent="", now=NOW, max_idle=IDLE)
    assert started.row.token_hash != started.token
    assert session.scalar(select(HostSession.token_hash)) == host_sessions.hash_token(started.token)
    found = host_sessions.resolve_session(session, started.token, now=NOW, max_idle=IDLE)
    assert found is not None and found.host_id == host.id
    assert (
        host_sessions.resolve_session(session, started.token + "x", now=NOW, max_idle=IDLE) is None
    )


def test_a_session_idle_for_longer_than_the_lifetime_is_ended(session: Session, host: Host) -> None:
    started = host_sessions.start_session(session, host, user_agent="", now=NOW, max_idle=IDLE)
    later = NOW + IDLE - timedelta(minutes=1)
    assert host_sessions.resolve_session(session, started.token, now=later, max_idle=IDLE)
    host_sessions.record_seen(session, started.row.id, now=later)
    session.expire_all()
    assert started.row.last_seen_at == later, "use keeps a session alive"
    much_later = later + IDLE + timedelta(seconds=1)
    assert (
        host_sessions.resolve_session(session, started.token, now=much_later, max_idle=IDLE) is None
    )
    host_sessions.end_idle_session(session, started.row.id, idle_since=much_later - IDLE)
    assert session.scalar(select(HostSession)) is None


def test_resolving_reads_only_and_a_visit_is_due_once_per_interval(
    session: Session, host: Host
) -> None:
    started = host_sessions.start_session(session, host, user_agent="", now=NOW, max_idle=IDLE)
    every = timedelta(minutes=5)
    soon = NOW + every - timedelta(seconds=1)
    row = host_sessions.resolve_session(session, started.token, now=soon, max_idle=IDLE)
    assert row is not None and not session.dirty
    assert not host_sessions.seen_is_due(row, now=soon, every=every)
    assert host_sessions.seen_is_due(row, now=NOW + every, every=every)


def test_recording_a_visit_never_moves_last_seen_backwards(session: Session, host: Host) -> None:
    started = host_sessions.start_session(session, host, user_agent="", now=NOW, max_idle=IDLE)
    host_sessions.record_seen(session, started.row.id, now=NOW + timedelta(minutes=9))
    host_sessions.record_seen(session, started.row.id, now=NOW + timedelta(minutes=6))
    session.expire_all()
    assert started.row.last_seen_at == NOW + timedelta(minutes=9)


def test_ending_other_sessions_keeps_the_one_named(session: Session, host: Host) -> None:
    kept, *_others = [
        host_sessions.start_session(session, host, user_agent="", now=NOW, max_idle=IDLE)
        for _ in range(3)
    ]
    assert host_sessions.end_other_sessions(session, host.id, keep=kept.row.id) == 2
    assert [row.id for row in host_sessions.list_sessions(session, host)] == [kept.row.id]
    host_sessions.end_session(session, kept.token)
    assert host_sessions.list_sessions(session, host) == []


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
            "Firefox on Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        ("python-httpx/0.28.1", "python-httpx/0.28.1"),
        ("", "Unknown browser"),
    ],
)
def test_user_agents_are_summarised(user_agent: str, label: str) -> None:
    assert host_sessions.summarise_user_agent(user_agent) == label
