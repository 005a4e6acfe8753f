"""Request sessions: read paths (lead pages, dashboard pages) never wait for the write lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from leadscalendar.accounts.models import Host, HostSession
from tests.support.booking_env import BookingEnv


def test_lead_pages_answer_while_another_transaction_holds_the_write_lock(
    booking_env: BookingEnv,
) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    slots_path = "/api/v1/public/hosts/coach/types/session/slots"
    booking_env.first_slot("session")  # the host is connected and bookable
    with booking_env.services.session_factory() as writer:
        host = writer.scalars(select(Host).where(Host.slug == "coach")).one()
        host.name = "Coach, being edited"
        # On SQLite this transaction now holds the write lock (BEGIN IMMEDIATE); a
        # read path taking it too would wait out the 30 s busy timeout, past the
        # client's 25 s below.
        writer.flush()
        slots = booking_env.lead.get(
            slots_path, params={"start": tomorrow, "days": 7, "tz": "UTC"}, timeout=25
        )
        page = booking_env.lead.get("/coach/session", timeout=25)
        host_page = booking_env.lead.get("/coach", timeout=25)
        writer.rollback()
    assert slots.status_code == 200 and slots.json()["days"]
    assert page.status_code == 200 and "Coaching session" in page.text
    # Each read sees the last committed state, not the open transaction's change.
    assert host_page.status_code == 200 and "being edited" not in host_page.text


DASHBOARD_PAGES = ("/dashboard", "/dashboard/bookings", "/dashboard/types", "/dashboard/account")


def test_dashboard_pages_answer_while_another_transaction_holds_the_write_lock(
    booking_env: BookingEnv,
) -> None:
    host_client = booking_env.host.client
    with booking_env.services.session_factory() as writer:
        host = writer.scalars(select(Host).where(Host.slug == "coach")).one()
        host.name = "Coach, being edited"
        # On SQLite this holds the write lock; a page view taking it (or writing the
        # visit down inside its own transaction) would wait out the busy timeout.
        writer.flush()
        pages = [host_client.get(path, timeout=25) for path in DASHBOARD_PAGES]
        writer.rollback()
    assert [page.status_code for page in pages] == [200] * len(DASHBOARD_PAGES)
    assert all("being edited" not in page.text for page in pages)


def _last_seen(booking_env: BookingEnv) -> datetime:
    with booking_env.services.session_factory() as session:
        return session.scalars(select(HostSession.last_seen_at)).one()


def test_a_visit_is_written_down_at_most_once_per_interval(booking_env: BookingEnv) -> None:
    interval = timedelta(seconds=booking_env.services.settings.session_seen_interval_seconds)
    long_ago = datetime.now(UTC) - interval - timedelta(minutes=1)
    with booking_env.services.session_factory() as session:
        session.execute(update(HostSession).values(last_seen_at=long_ago))
        session.commit()
    assert booking_env.host.client.get("/dashboard").status_code == 200
    seen = _last_seen(booking_env)
    assert seen > long_ago + interval, "a visit after the interval is recorded"
    assert booking_env.host.client.get("/dashboard/bookings").status_code == 200
    assert _last_seen(booking_env) == seen, "the next visit, within the interval, is not"
