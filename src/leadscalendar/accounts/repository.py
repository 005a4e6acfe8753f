"""Every query of the accounts domain."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import ApiKey, Host, HostSession


def get_host(session: Session, host_id: uuid.UUID) -> Host | None:
    return session.get(Host, host_id)


def get_host_by_email(session: Session, email: str) -> Host | None:
    return session.scalar(select(Host).where(func.lower(Host.email) == email.lower()))


def get_host_by_slug(session: Session, slug: str) -> Host | None:
    return session.scalar(select(Host).where(Host.slug == slug))


def list_hosts(session: Session) -> list[Host]:
    return list(session.scalars(select(Host).order_by(Host.created_at)))


def get_api_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))


def get_api_key(session: Session, host_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.host_id == host_id, ApiKey.id == key_id))


def list_api_keys(session: Session, host_id: uuid.UUID) -> list[ApiKey]:
    return list(
        session.scalars(select(ApiKey).where(ApiKey.host_id == host_id).order_by(ApiKey.created_at))
    )


def get_session_by_hash(session: Session, token_hash: str) -> HostSession | None:
    return session.scalar(select(HostSession).where(HostSession.token_hash == token_hash))


def list_sessions(session: Session, host_id: uuid.UUID) -> list[HostSession]:
    return list(
        session.scalars(
            select(HostSession)
            .where(HostSession.host_id == host_id)
            .order_by(HostSession.last_seen_at.desc())
        )
    )


def delete_sessions(
    session: Session,
    host_id: uuid.UUID,
    *,
    except_id: uuid.UUID | None = None,
    idle_since: datetime | None = None,
) -> int:
    """Delete the host's sessions (all, all but one, or those idle since a time); the count."""
    statement = delete(HostSession).where(HostSession.host_id == host_id)
    if except_id is not None:
        statement = statement.where(HostSession.id != except_id)
    if idle_since is not None:
        statement = statement.where(HostSession.last_seen_at < idle_since)
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def touch_session(session: Session, session_id: uuid.UUID, now: datetime) -> None:
    """Move ``last_seen_at`` forward to ``now`` (never backwards, whoever wrote last)."""
    session.execute(
        update(HostSession)
        .where(HostSession.id == session_id, HostSession.last_seen_at < now)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def delete_idle_session(session: Session, session_id: uuid.UUID, idle_since: datetime) -> None:
    """Delete one session if it is still idle (a concurrent request may just have used it)."""
    session.execute(
        delete(HostSession)
        .where(HostSession.id == session_id, HostSession.last_seen_at < idle_since)
        .execution_options(synchronize_session=False)
    )


def touch_api_key(session: Session, key_id: uuid.UUID, now: datetime) -> None:
    """Set the key's ``last_used_at`` to ``now`` unless a later use already did."""
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def delete_session_by_hash(session: Session, token_hash: str) -> None:
    session.execute(delete(HostSession).where(HostSession.token_hash == token_hash))
