"""Insert-unless-exists in one statement, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import CursorResult, Insert, literal_column
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
    statement = _on_conflict_insert(session, model, tuple(unique_columns), returning=True)
    # RETURNING tells whether a row went in; rowcount does not on every driver
    # (psycopg reports -1 here). On the Core connection of the session's
    # transaction, so the ORM's bulk-insert path does not reinterpret it.
    inserted: CursorResult[Any] = session.connection().execute(statement, dict(values))
    return inserted.first() is not None


def insert_all_unless_exist(
    session: Session,
    model: type[Base],
    rows: Sequence[Mapping[str, Any]],
    unique_columns: Sequence[str],
) -> None:
    """Insert every row whose ``unique_columns`` are not taken yet, in one executemany.

    For several rows of one table written together (the jobs of one change):
    one statement instead of a savepoint, an INSERT and a release per row. Rows
    must share their keys. A row whose unique columns are NULL always goes in
    (NULLs never conflict), as with the ORM.
    """
    if not rows:
        return
    statement = _on_conflict_insert(session, model, tuple(unique_columns), returning=False)
    session.connection().execute(statement, [dict(row) for row in rows])


def _on_conflict_insert(
    session: Session, model: type[Base], unique_columns: tuple[str, ...], *, returning: bool
) -> Insert:
    return _statement(session.get_bind().dialect.name, model, unique_columns, returning)


@functools.cache
def _statement(
    dialect: str, model: type[Base], unique_columns: tuple[str, ...], returning: bool
) -> Insert:
    """Built once per table and key: values are bound at execution, so SQLAlchemy's
    compiled cache is hit without walking a fresh ``values()`` clause every time."""
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(model)
    elif dialect == "sqlite":
        statement = sqlite.insert(model)
    else:
        raise NotImplementedError(f"no insert-unless-exists for {dialect}")
    statement = statement.on_conflict_do_nothing(index_elements=list(unique_columns))
    return statement.returning(literal_column("1")) if returning else statement
