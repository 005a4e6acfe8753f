"""A host's bookings as CSV, streamed batch by batch from a server-side cursor.

A host with 100,000 bookings exports them in constant memory: the query runs
with ``yield_per`` (a named cursor on PostgreSQL, the driver's lazy cursor on
SQLite), and each batch becomes one chunk of the HTTP response before the next
is fetched. The export reads in its own session, whose transaction on SQLite
begins deferred (``db.engine.READ_ONLY``): a long download reads a snapshot and
never holds the write lock the bookings it lists need.

Cells are safe to open in a spreadsheet: text starting with ``= + - @`` (or a
tab or carriage return) is prefixed with ``'`` (OWASP's advice on CSV
injection), so a lead named ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.availability.zones import load_zone
from leadscalendar.bookings.lead_fields import lead_cells, lead_headers
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.db.engine import READ_ONLY
from leadscalendar.payments.money import to_decimal

# Rows fetched per round trip, and per chunk of the response.
BATCH_SIZE = 500
# Excel reads a file as UTF-8 only when it starts with the byte order mark.
BOM = "\ufeff"
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """The cell as a spreadsheet will show it as text, never run it as a formula."""
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def utc_iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_iso(moment: datetime | None, zone: str) -> str:
    return "" if moment is None else moment.astimezone(load_zone(zone)).isoformat()


@dataclass(frozen=True)
class ExportRow:
    booking: Booking
    type_title: str
    host_zone: str


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[ExportRow], str]


def _amount(row: ExportRow) -> str:
    booking = row.booking
    return str(to_decimal(booking.amount_minor, booking.currency)) if booking.amount_minor else "0"


BOOKING_COLUMNS: tuple[Column, ...] = (
    Column("booking_id", lambda r: str(r.booking.id)),
    Column("status", lambda r: r.booking.status.value),
    Column("booking_type", lambda r: r.type_title),
    Column("start_utc", lambda r: utc_iso(r.booking.start_at)),
    Column("end_utc", lambda r: utc_iso(r.booking.end_at)),
    Column("start_local", lambda r: local_iso(r.booking.start_at, r.host_zone)),
    Column("end_local", lambda r: local_iso(r.booking.end_at, r.host_zone)),
    Column("host_time_zone", lambda r: r.host_zone),
    Column("lead_time_zone", lambda r: r.booking.lead_time_zone),
    Column("lead_language", lambda r: r.booking.lead_language),
)
MONEY_COLUMNS: tuple[Column, ...] = (
    Column("amount", _amount),
    Column("currency", lambda r: r.booking.currency.upper()),
    Column("paid_at_utc", lambda r: utc_iso(r.booking.paid_at)),
    Column("created_at_utc", lambda r: utc_iso(r.booking.created_at)),
)


def headers() -> list[str]:
    """The header row: the booking, then the lead's data (``LEAD_FIELDS``), then the money."""
    return [
        *(column.header for column in BOOKING_COLUMNS),
        *lead_headers(),
        *(column.header for column in MONEY_COLUMNS),
    ]


def cells(row: ExportRow) -> list[str]:
    values = [
        *(column.value(row) for column in BOOKING_COLUMNS),
        *lead_cells(row.booking),
        *(column.value(row) for column in MONEY_COLUMNS),
    ]
    return [safe_cell(value) for value in values]


def export_statement(
    conditions: Sequence[ColumnElement[bool]], order: Sequence[ColumnElement[Any]]
) -> Select[Booking, str]:
    """The bookings a list shows (its own WHERE and ORDER BY), each with its type's title."""
    return (
        select(Booking, BookingType.title)
        .join(BookingType, BookingType.id == Booking.booking_type_id)
        .where(*conditions)
        .order_by(*order)
    )


def _chunk(rows: Sequence[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def stream_csv(
    session_factory: sessionmaker[Session],
    statement: Select[Booking, str],
    *,
    host_zone: str,
    batch_size: int = BATCH_SIZE,
) -> Iterator[str]:
    """The CSV text, one chunk per batch of ``batch_size`` bookings (the header first).

    Runs in a session of its own: the request's unit of work has ended by the
    time a streamed body is sent. Closing the iterator (a client that goes
    away) closes the cursor and the session.
    """
    yield BOM + _chunk([headers()])
    with session_factory() as session:
        session.connection(execution_options={READ_ONLY: True})
        result = session.execute(statement.execution_options(yield_per=batch_size))
        for partition in result.partitions():
            rows = [cells(ExportRow(booking, title, host_zone)) for booking, title in partition]
            # Unchanged objects leave the session's (weak) identity map once a batch is done.
            yield _chunk(rows)


def filename(now: datetime) -> str:
    return f"bookings-{now.astimezone(UTC):%Y-%m-%d}.csv"
