"""Every query of the Google domain."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from leadscalendar.google.models import GoogleConnection, OAuthState, RetiredGrant


def get_connection(
    session: Session, host_id: uuid.UUID, *, for_update: bool = False
) -> GoogleConnection | None:
    """The host's connection; ``for_update`` locks the row (PostgreSQL) for a refresh."""
    statement = select(GoogleConnection).where(GoogleConnection.host_id == host_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalar(statement)


def list_connections(session: Session) -> list[GoogleConnection]:
    return list(session.scalars(select(GoogleConnection)))


def get_state_for_update(session: Session, state_hash: str) -> OAuthState | None:
    return session.scalar(
        select(OAuthState).where(OAuthState.state_hash == state_hash).with_for_update()
    )


def delete_expired_states(session: Session, now: datetime) -> None:
    session.execute(delete(OAuthState).where(OAuthState.expires_at < now))


def list_states(session: Session) -> list[OAuthState]:
    return list(session.scalars(select(OAuthState)))


def list_retired_grants(session: Session) -> list[RetiredGrant]:
    return list(session.scalars(select(RetiredGrant)))


def get_retired_grant(session: Session, retired_id: uuid.UUID) -> RetiredGrant | None:
    return session.get(RetiredGrant, retired_id)


def latest_retired_grant(session: Session, host_id: uuid.UUID) -> RetiredGrant | None:
    return session.scalar(
        select(RetiredGrant)
        .where(RetiredGrant.host_id == host_id)
        .order_by(RetiredGrant.retired_at.desc())
        .limit(1)
    )
