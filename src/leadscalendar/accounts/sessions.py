"""Server-side login sessions: started at login, looked up per request, ended at will.

The browser's cookie carries a random token; the database keeps its SHA-256
(the same reasoning as for API keys: 256 random bits need no slow hash). A
session ends when its row is deleted: logging out, "log out other sessions",
a password change, or idling longer than the session lifetime.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from leadscalendar.accounts import repository
from leadscalendar.accounts.models import Host, HostSession

TOKEN_BYTES = 32
MAX_USER_AGENT_SUMMARY = 100

# Checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Macintosh|Mac OS X")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
)


@dataclass(frozen=True)
class StartedSession:
    """A session just started: ``token`` goes into the cookie and is never stored."""

    row: HostSession
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def summarise_user_agent(user_agent: str) -> str:
    """ "Firefox on Linux": a label the host recognises, not a fingerprint to keep."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    return (user_agent.strip()[:MAX_USER_AGENT_SUMMARY] or "Unknown browser").strip()


def start_session(
    session: Session, host: Host, *, user_agent: str, now: datetime, max_idle: timedelta
) -> StartedSession:
    """Open a session for ``host``; the host's long-idle sessions are cleared on the way."""
    repository.delete_sessions(session, host.id, idle_since=now - max_idle)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = HostSession(
        host_id=host.id,
        token_hash=hash_token(token),
        created_at=now,
        last_seen_at=now,
        user_agent=summarise_user_agent(user_agent),
    )
    session.add(row)
    session.flush()
    return StartedSession(row=row, token=token)


def resolve_session(
    session: Session, token: str, *, now: datetime, max_idle: timedelta
) -> HostSession | None:
    """The live session a cookie's token names, or None (unknown, ended or idle too long).

    Only reads, so a page view can resolve its login on a read-only session;
    recording the visit is ``record_seen``'s job, in a transaction of its own.
    """
    row = repository.get_session_by_hash(session, hash_token(token))
    if row is None or is_idle(row, now=now, max_idle=max_idle):
        return None
    return row


def is_idle(row: HostSession, *, now: datetime, max_idle: timedelta) -> bool:
    """Unused for longer than the lifetime: logged out, whether or not its row is gone yet."""
    return row.last_seen_at < now - max_idle


def seen_is_due(row: HostSession, *, now: datetime, every: timedelta) -> bool:
    """Whether this visit should be written down: at most once per ``every``.

    Recording every request would make each page view a write; the lifetime is
    days, so minutes of imprecision in ``last_seen_at`` change nothing.
    """
    return now - row.last_seen_at >= every


def record_seen(session: Session, session_id: uuid.UUID, *, now: datetime) -> None:
    """Keep a session alive (see ``seen_is_due`` for how often)."""
    repository.touch_session(session, session_id, now)


def end_idle_session(session: Session, session_id: uuid.UUID, *, idle_since: datetime) -> None:
    """Delete a session found idle, unless a concurrent request has just kept it alive."""
    repository.delete_idle_session(session, session_id, idle_since)


def end_session(session: Session, token: str) -> None:
    """Log one session out, wherever its cookie was copied to."""
    repository.delete_session_by_hash(session, hash_token(token))


def end_other_sessions(session: Session, host_id: uuid.UUID, keep: uuid.UUID) -> int:
    """Log out every session of the host but ``keep``; the number ended."""
    return repository.delete_sessions(session, host_id, except_id=keep)


def list_sessions(session: Session, host: Host) -> list[HostSession]:
    """The host's sessions, most recently seen first."""
    return repository.list_sessions(session, host.id)
