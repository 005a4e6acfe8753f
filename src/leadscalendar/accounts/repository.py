"""Every query of the accounts domain."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host


def get_host(session: Session, host_id: uuid.UUID) -> Host | None:
    return session.get(Host, host_id)


def get_host_by_email(session: Session, email: str) -> Host | None:
    return session.scalar(select(Host).where(func.lower(Host.email) == email.lower()))


def get_host_by_slug(session: Session, slug: str) -> Host | None:
    return session.scalar(select(Host).where(Host.slug == slug))


def list_hosts(session: Session) -> list[Host]:
    return list(session.scalars(select(Host).order_by(Host.created_at)))
