"""Insert-unless-exists in one statement, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import CursorResult, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadscalendar.db.base import Base


def insert_unless_exists(
    session: Session,
    model: type[Base],
    values: Mapping[str, Any],
    unique_columns: Sequence[str],
) -> bool:
    """Insert one row unless a row with the same ``unique_columns`` exists; True if inserted.

    ``INSERT … ON CONFLICT DO NOTHING`` lets the unique index arbitrate, as a
    savepoint around an ORM flush would, but in one round trip instead of
    three (SAVEPOINT, INSERT, RELEASE) and without the flush machinery: it is
    on the webhook's hot path. A concurrent insert of the same key makes
    PostgreSQL wait for that transaction, then skip if it committed.
    Column defaults declared on the model (ids, timestamps) still apply.
    """
    columns = list(unique_columns)
    dialect = session.get_bind().dialect.name
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(model).values(dict(values))
        statement = statement.on_conflict_do_nothing(index_elements=columns)
    elif dialect == "sqlite":
        statement = sqlite.insert(model).values(dict(values))
        statement = statement.on_conflict_do_nothing(index_elements=columns)
    else:
        raise NotImplementedError(f"no insert-unless-exists for {dialect}")
    # RETURNING tells whether a row went in; rowcount does not on every driver
    # (psycopg reports -1 here). On the Core connection of the session's
    # transaction, so the ORM's bulk-insert path does not reinterpret it.
    inserted: CursorResult[Any] = session.connection().execute(
        statement.returning(literal_column("1"))
    )
    return inserted.first() is not None
