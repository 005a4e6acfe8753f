"""The Google event's description: answers if the host chose so, escaped, within Google's limit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.event_content import CUT_MARK, description_for, event_spec_for
from leadscalendar.bookings.models import Booking, BookingType, SendUpdates
from leadscalendar.google.events import MAX_DESCRIPTION, build_event_body

START = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _type(answers_in_event: bool = True) -> BookingType:
    return BookingType(
        id=uuid.uuid4(),
        title="Intro",
        slug="intro",
        duration_minutes=30,
        answers_in_event=answers_in_event,
        location=None,
        google_meet=False,
        reminders=None,
        send_updates=SendUpdates.ALL,
    )


def _booking(answers: list[dict[str, Any]], notes: str = "") -> Booking:
    return Booking(
        id=uuid.uuid4(),
        lead_name="Lena <b>Lead</b>",
        lead_email="lena@example.com",
        notes=notes,
        guests=[],
        answers=answers,
        start_at=START,
        end_at=START + timedelta(minutes=30),
    )


def _answer(label: str, value: Any) -> dict[str, Any]:
    return {"question_id": "q", "label": label, "type": "short_text", "value": value}


def test_answers_go_in_only_when_the_host_ticked_the_option() -> None:
    booking = _booking([_answer("Company", "Acme & Sons"), _answer("Terms", True)])
    described = description_for(booking, _type())
    assert "Answers:\nCompany: Acme &amp; Sons\nTerms: Yes" in described
    assert "Company" not in description_for(booking, _type(answers_in_event=False))


def test_everything_is_escaped_so_no_markup_reaches_the_calendar() -> None:
    booking = _booking(
        [_answer('<a href="https://evil.example">Click</a>', "<script>alert(1)</script>")],
        notes="<img src=x onerror=alert(1)>",
    )
    described = description_for(booking, _type())
    assert "<" not in described and ">" not in described
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in described
    assert "Lena &lt;b&gt;Lead&lt;/b&gt; &lt;lena@example.com&gt;" in described


def test_long_answers_are_cut_to_googles_limit_without_breaking_an_entity() -> None:
    # Escaping makes "&" five characters: the limit is applied after escaping.
    answers = [_answer(f"Question {n}", "&" * 3999) for n in range(5)]
    booking = _booking(answers, notes="n" * 4000)
    described = description_for(booking, _type())
    assert len(described) <= MAX_DESCRIPTION
    assert described.endswith(CUT_MARK)
    assert described[: -len(CUT_MARK)].endswith("&amp;")
    host = Host(timezone="Europe/Paris", name="Coach")
    body = build_event_body(event_spec_for(booking, _type(), host))  # validates the limit too
    assert body["description"] == described


def test_a_short_description_is_left_whole() -> None:
    described = description_for(_booking([_answer("Company", "Acme")]), _type())
    assert not described.endswith(CUT_MARK)
    assert described.startswith("Booked by")
