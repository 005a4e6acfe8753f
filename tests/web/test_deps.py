"""Request sessions: the lead's read paths never wait for the database's write lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from leadscalendar.accounts.models import Host
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
