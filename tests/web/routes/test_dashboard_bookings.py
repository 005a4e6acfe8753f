"""Bookings on the dashboard over real HTTP: list filters, the timeline, the host's actions."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from leadscalendar.bookings.booking_types import BookingTypeIn, create_booking_type
from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.session import unit_of_work
from tests.support.booking_env import BookingEnv, wait_for
from tests.support.dashboard import booking, booking_type, host_by_slug, submit

PARIS = ZoneInfo("Europe/Paris")


def book(env: BookingEnv, type_slug: str, email: str = "lena@example.com") -> dict[str, Any]:
    """Hold the first free slot as a lead with ``email`` and confirm it."""
    start = env.first_slot(type_slug)
    held = env.lead.post(
        f"/api/v1/public/hosts/coach/types/{type_slug}/bookings",
        json={
            "start": start,
            "lead": {"name": email.split("@")[0].title(), "email": email, "time_zone": "UTC"},
        },
    )
    assert held.status_code == 201, held.text
    body: dict[str, Any] = held.json()
    confirmed = env.lead.post(
        f"/api/v1/public/bookings/{body['id']}/confirm", params={"token": body["token"]}
    )
    assert confirmed.status_code == 200, confirmed.text
    return {**confirmed.json(), "token": body["token"]}


def paid_and_scheduled(env: BookingEnv) -> dict[str, Any]:
    booked = book(env, "session")
    env.pay(booked["checkout_url"])
    env.wait_status(booked["id"], booked["token"], "scheduled")
    return booked


def detail(env: BookingEnv, booking_id: str) -> str:
    page = env.host.client.get(f"/dashboard/bookings/{booking_id}")
    assert page.status_code == 200, page.text
    return page.text


def add_approval_type(env: BookingEnv) -> None:
    host = host_by_slug(env.services)
    with unit_of_work(env.services.session_factory) as session:
        create_booking_type(
            session,
            host.id,
            BookingTypeIn(
                slug="vetted", title="Vetted call", duration_minutes=30, requires_approval=True
            ),
        )


def test_the_timeline_shows_payment_and_google_attempts_in_order(
    booking_env: BookingEnv,
) -> None:
    booked = paid_and_scheduled(booking_env)
    html = detail(booking_env, booked["id"])
    assert "Coaching session with Lena" in html
    assert "90.00 EUR" in html
    timeline = html.split('id="timeline"')[1]
    for expected in (
        "Status: held",
        "Status: awaiting payment",
        "Payment succeeded",
        "Status: paid",
        "Queued: Create calendar event",
        "Create calendar event: attempt 1 succeeded",
        "events.insert",
        "HTTP 200",
        "Calendar event created",
    ):
        assert expected in timeline, expected
    assert timeline.index("Payment succeeded") < timeline.index("events.insert")
    assert timeline.index("Status: held") < timeline.index("Payment succeeded")
    assert "Open the event in Google Calendar" in html


def test_the_list_filters_by_type_status_email_and_time(booking_env: BookingEnv) -> None:
    paid = paid_and_scheduled(booking_env)
    free = book(booking_env, "intro", email="bob@example.org")
    client = booking_env.host.client
    intro = booking_type(booking_env.services, "intro")
    past_start = datetime.now(UTC) - timedelta(days=3)
    with unit_of_work(booking_env.services.session_factory) as session:
        for number in range(27):
            session.add(
                Booking(
                    host_id=intro.host_id,
                    booking_type_id=intro.id,
                    status=BookingStatus.SCHEDULED,
                    start_at=past_start - timedelta(hours=number),
                    end_at=past_start - timedelta(hours=number) + timedelta(minutes=30),
                    lead_time_zone="UTC",
                    lead_name=f"Old lead {number}",
                    lead_email=f"old{number}@example.net",
                )
            )

    upcoming = client.get("/dashboard/bookings")
    assert paid["id"] in upcoming.text and free["id"] in upcoming.text
    assert "Old lead" not in upcoming.text
    by_type = client.get("/dashboard/bookings", params={"type": str(intro.id)})
    assert free["id"] in by_type.text and paid["id"] not in by_type.text
    by_email = client.get("/dashboard/bookings", params={"q": "BOB@"})
    assert free["id"] in by_email.text and paid["id"] not in by_email.text
    no_wildcards = client.get("/dashboard/bookings", params={"q": "%"})
    assert "0 bookings" in no_wildcards.text
    by_status = client.get("/dashboard/bookings", params={"status": "scheduled"})
    assert paid["id"] in by_status.text
    wait_for(lambda: booking(booking_env.services, free["id"]).status is BookingStatus.SCHEDULED)

    past = client.get("/dashboard/bookings", params={"when": "past"})
    assert "27 bookings" in past.text
    assert "Old lead 0<" in past.text and "Old lead 26<" not in past.text
    assert "Page 1 of 2" in past.text
    second = client.get("/dashboard/bookings", params={"when": "past", "page": 2})
    assert "Old lead 26<" in second.text and "Old lead 0<" not in second.text
    everything = client.get("/dashboard/bookings", params={"when": "all", "status": "bogus"})
    assert "29 bookings" in everything.text


def test_approve_and_decline_from_the_dashboard(booking_env: BookingEnv) -> None:
    add_approval_type(booking_env)
    first = book(booking_env, "vetted")
    assert first["status"] == "awaiting_approval"
    url = f"/dashboard/bookings/{first['id']}"
    approved = submit(booking_env.host.client, url, f"{url}/approve", follow=True)
    assert approved.status_code == 200 and "Booking approved" in approved.text
    booking_env.wait_status(first["id"], first["token"], "scheduled")
    again = submit(booking_env.host.client, url, f"{url}/approve", follow=True)
    assert "cannot become paid" in again.text

    second = book(booking_env, "vetted", email="second@example.com")
    url = f"/dashboard/bookings/{second['id']}"
    declined = submit(booking_env.host.client, url, f"{url}/decline", follow=True)
    assert "Booking declined" in declined.text
    assert booking(booking_env.services, second["id"]).status is BookingStatus.DECLINED
    assert 'id="approve"' not in declined.text


def test_host_cancel_refunds_in_full_and_removes_the_event(booking_env: BookingEnv) -> None:
    booked = paid_and_scheduled(booking_env)
    url = f"/dashboard/bookings/{booked['id']}"
    cancelled = submit(booking_env.host.client, url, f"{url}/cancel", follow=True)
    assert "Booking cancelled" in cancelled.text
    assert booking(booking_env.services, booked["id"]).status is BookingStatus.CANCELLED
    wait_for(lambda: "Refunded" in detail(booking_env, booked["id"]), what="refund")
    wait_for(
        lambda: all(e["status"] == "cancelled" for e in booking_env.calendar_events()),
        what="event removed",
    )
    html = detail(booking_env, booked["id"])
    assert "Refund requested" in html and "cancelled by the host" in html
    assert 'id="cancel"' not in html


def test_reschedule_moves_the_booking_and_its_event(booking_env: BookingEnv) -> None:
    booked = book(booking_env, "intro")
    booking_env.wait_status(booked["id"], booked["token"], "scheduled")
    old_start = booking(booking_env.services, booked["id"]).start_at
    new_local = (old_start.astimezone(PARIS) + timedelta(days=1)).replace(tzinfo=None)
    url = f"/dashboard/bookings/{booked['id']}"
    moved = submit(
        booking_env.host.client,
        url,
        f"{url}/reschedule",
        {"start": new_local.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "moved to the new time" in moved.text
    new_start = booking(booking_env.services, booked["id"]).start_at
    assert new_start == old_start + timedelta(days=1)

    def event_moved() -> bool:
        events = booking_env.calendar_events()
        return bool(events) and datetime.fromisoformat(events[0]["start"]["dateTime"]) == new_start

    wait_for(event_moved, what="event moved")
    outside_hours = new_local.replace(hour=3, minute=0)
    refused = submit(
        booking_env.host.client,
        url,
        f"{url}/reschedule",
        {"start": outside_hours.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "not available" in refused.text
    garbage = submit(
        booking_env.host.client, url, f"{url}/reschedule", {"start": "soon"}, follow=True
    )
    assert "New time: enter a date and time" in garbage.text


def test_booking_actions_refuse_a_missing_csrf_token(booking_env: BookingEnv) -> None:
    add_approval_type(booking_env)
    booked = book(booking_env, "vetted")
    url = f"/dashboard/bookings/{booked['id']}"
    for action, data in (
        ("approve", {}),
        ("decline", {}),
        ("cancel", {}),
        ("reschedule", {"start": "2030-01-01T10:00"}),
    ):
        refused = booking_env.host.client.post(f"{url}/{action}", data=data)
        assert refused.status_code == 403, action
    assert booking(booking_env.services, booked["id"]).status is BookingStatus.AWAITING_APPROVAL


def test_an_unknown_booking_is_not_found(booking_env: BookingEnv) -> None:
    missing = booking_env.host.client.get(f"/dashboard/bookings/{uuid.uuid4()}")
    assert missing.status_code == 404


def test_far_dates_and_page_numbers_get_a_clear_refusal(booking_env: BookingEnv) -> None:
    client = booking_env.host.client
    for page in ("100000000000000000000", "0", "-1"):
        listed = client.get("/dashboard/bookings", params={"page": page})
        assert listed.status_code == 400, (page, listed.status_code)
        assert "page" in listed.text
    booked = book(booking_env, "intro")
    url = f"/dashboard/bookings/{booked['id']}"
    for far in ("0001-01-01T00:00", "9999-12-31T23:00"):
        refused = submit(client, url, f"{url}/reschedule", {"start": far}, follow=True)
        assert refused.status_code == 200, (far, refused.text)
        assert "between the years 2000 and 2200" in refused.text


def confirmation_form(page: str) -> str:
    found = re.search(r'<form method="post" action="([^"]+)" class="confirm-form">', page)
    assert found, page
    return found.group(1)


def lead_page(env: BookingEnv, booked: dict[str, Any]) -> str:
    page = env.lead.get(f"/bookings/{booked['id']}", params={"token": booked["token"]})
    assert page.status_code == 200, page.text
    return page.text


def test_cancelling_asks_first_and_the_lead_sees_the_message_and_the_refund(
    booking_env: BookingEnv,
) -> None:
    booked = paid_and_scheduled(booking_env)
    client, url = booking_env.host.client, f"/dashboard/bookings/{booked['id']}"
    # The booking page only links to the question; one click changes nothing.
    assert f'href="{url}/cancel"' in detail(booking_env, booked["id"])
    question = client.get(f"{url}/cancel")
    assert question.status_code == 200
    assert "90.00 EUR is refunded in full to Lena." in question.text
    assert "The event is removed from your Google Calendar." in question.text
    assert 'name="reason"' in question.text and confirmation_form(question.text) == f"{url}/cancel"
    assert booking(booking_env.services, booked["id"]).status is BookingStatus.SCHEDULED

    done = submit(
        client, f"{url}/cancel", f"{url}/cancel", {"reason": "I am ill, sorry."}, follow=True
    )
    assert "Booking cancelled" in done.text
    assert "Message from the host: I am ill, sorry." in lead_page(booking_env, booked)
    wait_for(lambda: "Refunded" in detail(booking_env, booked["id"]), what="refund")
    lead = lead_page(booking_env, booked)
    assert re.search(r'<dd id="refund">90\.00 EUR, refunded to you</dd>', lead), lead
    # The deleted event is no longer linked, neither on the dashboard nor in the API.
    assert "Open the event in Google Calendar" not in detail(booking_env, booked["id"])
    assert booking_env.booking(booked["id"], booked["token"])["google_event_link"] is None
    # The "Refunded" filter finds it although its status is "cancelled".
    refunded = client.get("/dashboard/bookings", params={"status": "refunded", "when": "all"})
    assert booked["id"] in refunded.text
    other = client.get("/dashboard/bookings", params={"status": "declined", "when": "all"})
    assert booked["id"] not in other.text


def test_declining_asks_first_and_the_message_reaches_the_lead(booking_env: BookingEnv) -> None:
    add_approval_type(booking_env)
    booked = book(booking_env, "vetted")
    client, url = booking_env.host.client, f"/dashboard/bookings/{booked['id']}"
    assert f'href="{url}/decline"' in detail(booking_env, booked["id"])
    question = client.get(f"{url}/decline")
    assert "Nothing has been paid, so there is nothing to refund." in question.text
    assert confirmation_form(question.text) == f"{url}/decline"
    assert booking(booking_env.services, booked["id"]).status is BookingStatus.AWAITING_APPROVAL
    submit(client, f"{url}/decline", f"{url}/decline", {"reason": "Fully booked that week."})
    assert booking(booking_env.services, booked["id"]).status is BookingStatus.DECLINED
    assert "Message from the host: Fully booked that week." in lead_page(booking_env, booked)
    # Nothing to decline any more: the question is not asked again.
    assert client.get(f"{url}/decline", follow_redirects=False).status_code == 303


def test_a_lead_never_sees_the_hosts_technical_reason(booking_env: BookingEnv) -> None:
    booked = book(booking_env, "session")
    booking_env.pay(booked["checkout_url"])
    booking_env.wait_status(booked["id"], booked["token"], "scheduled")
    with unit_of_work(booking_env.services.session_factory) as session:
        row = session.get(Booking, uuid.UUID(booked["id"]))
        assert row is not None
        row.status = BookingStatus.PAID
        row.status_reason = "Waiting for the host to reconnect (invalid_grant: Token revoked)."
    page = lead_page(booking_env, booked)
    assert "taking longer than usual" in page
    assert "invalid_grant" not in page
