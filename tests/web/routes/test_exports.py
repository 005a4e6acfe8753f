"""Bookings as CSV: streamed in batches, safe in a spreadsheet, honouring the lists' filters."""

from __future__ import annotations

import csv
import gc
import io
import threading
import tracemalloc
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts import service as accounts
from leadscalendar.accounts.models import Host
from leadscalendar.bookings import export
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.session import unit_of_work
from leadscalendar.services import Services
from tests.support.api_env import api_client, create_key
from tests.support.app_env import HOST_EMAIL

NOW = datetime.now(UTC).replace(microsecond=0)
BERLIN = "Europe/Berlin"


def _host(session: Session, slug: str = "coach") -> Host:
    host = session.scalar(select(Host).where(Host.slug == slug))
    assert host is not None
    return host


def _type(session: Session, host: Host, slug: str, title: str) -> BookingType:
    booking_type = BookingType(host_id=host.id, slug=slug, title=title, duration_minutes=30)
    session.add(booking_type)
    session.flush()
    return booking_type


def _row(host: Host, booking_type: BookingType, number: int, **fields: Any) -> dict[str, Any]:
    start = NOW + timedelta(days=2, hours=number)
    return {
        "id": uuid.uuid4(),
        "host_id": host.id,
        "booking_type_id": booking_type.id,
        "status": BookingStatus.SCHEDULED,
        "start_at": start,
        "end_at": start + timedelta(minutes=30),
        "lead_time_zone": "UTC",
        "lead_name": f"Lead {number}",
        "lead_email": f"lead{number}@example.com",
        "notes": "Looking forward to it.",
        "guests": [{"email": f"guest{number}@example.com", "name": "Gus"}],
        "amount_minor": 9000,
        "currency": "eur",
    } | fields


@pytest.fixture
def seeded(session_factory: sessionmaker[Session], host_account: None) -> dict[str, uuid.UUID]:
    """The host (in Berlin) with two types and bookings across statuses, times and leads."""
    with unit_of_work(session_factory) as session:
        host = _host(session)
        host.timezone = BERLIN
        intro = _type(session, host, "intro", "Intro call")
        deep = _type(session, host, "deep", "Deep dive")
        rows = {
            "scheduled": _row(
                host,
                intro,
                1,
                answers=[
                    {
                        "question_id": "q1",
                        "label": "Company",
                        "type": "short_text",
                        "value": "Acme",
                    },
                    {"question_id": "q2", "label": "Phone", "type": "phone", "value": "+4930123"},
                ],
                source={"utm_source": "newsletter", "ref": "partner-7"},
            ),
            "cancelled": _row(host, intro, 2, status=BookingStatus.CANCELLED),
            "past": _row(
                host, deep, 3, start_at=NOW - timedelta(days=3), end_at=NOW - timedelta(days=3)
            ),
            "zoe": _row(host, deep, 4, lead_name="Zoë Łukasiewicz", lead_email="zoe@example.com"),
            "formula": _row(
                host,
                intro,
                5,
                lead_name='=HYPERLINK("http://evil.example","x")',
                notes="+1 555 0100",
                guests=[{"email": "g@example.com", "name": "@SUM(A1)"}],
            ),
        }
        session.execute(insert(Booking), list(rows.values()))
        other = accounts.create_host(
            session, email="other@example.com", name="Other", slug="other", password="x" * 20
        )
        other_type = _type(session, other, "intro", "Other intro")
        session.execute(insert(Booking), [_row(other, other_type, 9, lead_name="Not yours")])
    return {name: row["id"] for name, row in rows.items()}


def _read(text: str) -> list[dict[str, str]]:
    assert text.startswith(export.BOM), "Excel needs the byte order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(text.removeprefix(export.BOM))))


def _download(client: httpx.Client, url: str, **params: str) -> list[dict[str, str]]:
    response = client.get(url, params=params) if params else client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    return _read(response.content.decode("utf-8"))


def test_dashboard_export_has_the_lists_filters_and_the_lists_rows(
    logged_in: httpx.Client, seeded: dict[str, uuid.UUID]
) -> None:
    everything = _download(logged_in, "/dashboard/bookings/export.csv", when="all")
    assert {row["booking_id"] for row in everything} == {str(i) for i in seeded.values()}
    assert "Not yours" not in {row["lead_name"] for row in everything}

    # The default list (upcoming) leaves the past booking out, as the page does.
    upcoming = _download(logged_in, "/dashboard/bookings/export.csv")
    assert str(seeded["past"]) not in {row["booking_id"] for row in upcoming}
    assert len(upcoming) == len(seeded) - 1

    page = logged_in.get("/dashboard/bookings", params={"status": "cancelled", "when": "all"})
    assert "1 booking" in page.text
    link = page.text.split('id="export-csv" href="')[1].split('"')[0].replace("&amp;", "&")
    cancelled = _download(logged_in, link)
    assert [row["booking_id"] for row in cancelled] == [str(seeded["cancelled"])]

    by_email = _download(logged_in, "/dashboard/bookings/export.csv", when="all", q="ZOE@")
    assert [row["lead_name"] for row in by_email] == ["Zoë Łukasiewicz"]
    by_source = _download(logged_in, "/dashboard/bookings/export.csv", when="all", source="partner")
    assert [row["booking_id"] for row in by_source] == [str(seeded["scheduled"])]


def test_rows_carry_utc_and_host_times_lead_details_and_money(
    logged_in: httpx.Client, seeded: dict[str, uuid.UUID]
) -> None:
    rows = _download(logged_in, "/dashboard/bookings/export.csv", when="all")
    row = next(r for r in rows if r["booking_id"] == str(seeded["scheduled"]))
    start = datetime.fromisoformat(row["start_utc"])
    assert row["start_utc"].endswith("Z") and start.utcoffset() == timedelta(0)
    local = datetime.fromisoformat(row["start_local"])
    assert local == start and local.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    assert row["host_time_zone"] == BERLIN
    assert row["booking_type"] == "Intro call" and row["status"] == "scheduled"
    assert row["lead_email"] == "lead1@example.com" and row["notes"] == "Looking forward to it."
    assert row["guests"] == "Gus <guest1@example.com>"
    assert (row["amount"], row["currency"]) == ("90.00", "EUR")
    # Intake answers in one cell, one per line; the source one column per field.
    assert row["answers"] == "Company: Acme\nPhone: +4930123"
    assert (row["utm_source"], row["ref"], row["utm_medium"]) == ("newsletter", "partner-7", "")


def test_cells_that_a_spreadsheet_would_run_are_text(
    logged_in: httpx.Client, seeded: dict[str, uuid.UUID]
) -> None:
    rows = _download(logged_in, "/dashboard/bookings/export.csv", when="all")
    row = next(r for r in rows if r["booking_id"] == str(seeded["formula"]))
    assert row["lead_name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["notes"] == "'+1 555 0100"
    assert row["guests"] == "'@SUM(A1) <g@example.com>"
    for lead in ("-2", "\tcmd", "\rcmd"):
        assert export.safe_cell(lead) == "'" + lead
    assert export.safe_cell("Lena") == "Lena" and export.safe_cell("") == ""


def test_host_api_export_filters_and_needs_a_key(
    app_url: str, seeded: dict[str, uuid.UUID], app: Any
) -> None:
    services: Services = app.state.services
    with api_client(app_url, create_key(services, HOST_EMAIL)) as api:
        rows = _download(api, "/bookings/export")
        assert {row["booking_id"] for row in rows} == {str(i) for i in seeded.values()}
        cancelled = api.get("/bookings/export", params={"status": "cancelled"})
        assert [row["booking_id"] for row in _read(cancelled.text)] == [str(seeded["cancelled"])]
        zoe = _download(api, "/bookings/export", lead_email="ZOE@example.com")
        assert [row["booking_id"] for row in zoe] == [str(seeded["zoe"])]
        newsletter = _download(api, "/bookings/export", source="NEWSLETTER")
        assert [row["booking_id"] for row in newsletter] == [str(seeded["scheduled"])]
        assert api.get("/bookings/export", params={"status": "nonsense"}).status_code == 400
    with api_client(app_url, None) as anonymous:
        refused = anonymous.get("/bookings/export")
        assert refused.status_code == 401 and "booking_id" not in refused.text
    schema = httpx.get(f"{app_url}/openapi.json").json()
    assert (
        "text/csv; charset=utf-8"
        in (schema["paths"]["/api/v1/bookings/export"]["get"]["responses"]["200"]["content"])
    )


def _bulk(session_factory: sessionmaker[Session], count: int) -> Any:
    with unit_of_work(session_factory) as session:
        host = _host(session)
        booking_type = _type(session, host, "bulk", "Bulk")
        rows = [_row(host, booking_type, number) for number in range(count)]
        session.execute(insert(Booking), rows)
    conditions = [Booking.host_id == host.id]
    return export.export_statement(conditions, (Booking.start_at.asc(), Booking.id.asc()))


def _peak(work: Callable[[], Iterable[Any]]) -> int:
    """Peak memory (bytes) allocated while running ``work`` to its end."""
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _item in work():
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return int(peak - base)


def test_export_fetches_batch_by_batch_in_bounded_memory(
    session_factory: sessionmaker[Session], host_account: None
) -> None:
    count, batch = 2000, 100
    statement = _bulk(session_factory, count)
    chunks = list(export.stream_csv(session_factory, statement, host_zone="UTC", batch_size=batch))
    # The header, then one chunk per batch fetched, each at most ``batch`` rows.
    assert len(chunks) == 1 + count // batch
    assert all(chunk.count("\r\n") <= batch for chunk in chunks[1:])
    assert _read(chunks[0]) == [] and chunks[0].startswith(export.BOM + "booking_id,")
    assert len(_read("".join(chunks))) == count

    def load_all() -> Iterator[Any]:
        with session_factory() as session:
            yield session.execute(statement).all()

    def stream() -> Iterator[str]:
        return export.stream_csv(session_factory, statement, host_zone="UTC", batch_size=batch)

    everything, streamed = _peak(load_all), _peak(stream)
    # Streaming holds one batch at a time; loading holds all 2,000 bookings at once.
    assert streamed * 4 < everything, (streamed, everything)


def test_a_long_export_does_not_keep_writers_waiting(
    session_factory: sessionmaker[Session], host_account: None
) -> None:
    """SQLite begins every transaction IMMEDIATE (the write lock); the export's reads do not."""
    statement = _bulk(session_factory, 300)
    stream = export.stream_csv(session_factory, statement, host_zone="UTC", batch_size=100)
    written = threading.Event()

    def write() -> None:
        with unit_of_work(session_factory) as session:
            host = _host(session)
            host.name = "Coach, renamed mid-export"
        written.set()

    try:
        next(stream), next(stream)  # the header and the first batch: the cursor is open
        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        assert written.wait(timeout=5), "a writer waited for the export to finish"
        rest = list(stream)
    finally:
        stream.close()
    assert len(rest) == 2  # the two batches left, read from the snapshot the export began with
