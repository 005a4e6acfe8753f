"""Every row of the database, comparable before and after a request: "it changed nothing"."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.base import Base

Snapshot = dict[str, list[tuple[object, ...]]]


def snapshot(session_factory: sessionmaker[Session], host_id: uuid.UUID | None = None) -> Snapshot:
    """All rows of every table; with ``host_id``, only rows of that host and its bookings.

    Tables with no link to a host (jobs without one, payment events) are
    taken whole: a request by another host must not touch them either.
    """
    rows: Snapshot = {}
    with session_factory() as session:
        booking_ids: set[object] | None = None
        if host_id is not None:
            bookings = Base.metadata.tables["bookings"]
            booking_ids = set(
                session.scalars(select(bookings.c.id).where(bookings.c.host_id == host_id))
            )
        for table in Base.metadata.sorted_tables:
            statement = select(table)
            if host_id is not None and booking_ids is not None:
                if table.name == "hosts":
                    statement = statement.where(table.c.id == host_id)
                elif "host_id" in table.c:
                    statement = statement.where(table.c.host_id == host_id)
                elif "booking_id" in table.c:
                    statement = statement.where(table.c.booking_id.in_(booking_ids))
            result = session.execute(statement)
            rows[table.name] = sorted((tuple(row) for row in result), key=repr)
    return rows
