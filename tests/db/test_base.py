from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host


def test_datetimes_come_back_aware_and_in_utc(session: Session) -> None:
    paris_noon = datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    host = Host(email="a@example.com", name="A", slug="a", password_hash="x", created_at=paris_noon)
    session.add(host)
    session.commit()
    session.expire_all()
    stored = session.get(Host, host.id)
    assert stored is not None
    assert stored.created_at == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    assert stored.created_at.tzinfo is not None


def test_naive_datetimes_are_refused(session: Session) -> None:
    host = Host(
        email="b@example.com",
        name="B",
        slug="b",
        password_hash="x",
        created_at=datetime(2026, 6, 1, 12, 0),  # noqa: DTZ001 - the point of the test
    )
    session.add(host)
    with pytest.raises(StatementError, match="naive datetimes"):
        session.flush()
