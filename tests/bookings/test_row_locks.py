"""The bookings' row locks against foreign-key checks (PostgreSQL: SQLite has one writer).

A paid webhook holds the host's lock and waits for the booking; the worker,
holding that booking, inserts a job naming the host. With ``FOR UPDATE`` the
worker's foreign-key check (``KEY SHARE`` on the host) waited for the webhook:
a deadlock, seen as a 503 to the payment provider in the webhook storm test.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts.models import Host
from leadscalendar.bookings import repository
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import enqueue


def _host(session_factory: sessionmaker[Session]) -> uuid.UUID:
    with unit_of_work(session_factory) as session:
        host = Host(email="coach@example.com", name="Coach", slug="coach", password_hash="x")
        session.add(host)
        session.flush()
        return host.id


@pytest.mark.postgres
def test_a_held_host_lock_lets_other_transactions_insert_rows_naming_the_host(
    session_factory: sessionmaker[Session],
) -> None:
    host_id = _host(session_factory)
    with session_factory() as holder, session_factory() as other:
        repository.lock_host(holder, host_id)
        # Fails at once instead of waiting if the insert needs what the holder holds.
        other.execute(text("SET LOCAL lock_timeout = '2s'"))
        enqueue(other, "test_kind", {}, subject_key="s", host_id=host_id, run_after=utcnow())
        other.flush()
        other.commit()
        # And the lock still excludes the next locker.
        other.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            repository.lock_host(other, host_id)
        other.rollback()
        holder.rollback()
