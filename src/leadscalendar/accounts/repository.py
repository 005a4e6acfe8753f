"""Every query of the accounts domain."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import ApiKey, Host


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
