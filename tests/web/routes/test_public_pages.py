"""The lead's HTML booking pages over real HTTP: the happy paths and every failure message."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from leadscalendar.accounts.models import Host
from leadscalendar.bookings import repository as bookings_repository
from leadscalendar.bookings.models import Booking
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google import repository as google_repository
from leadscalendar.google.credentials import mark_needs_reauth
from leadscalendar.google.events import event_id_for
from tests.support.app_env import csrf_from
from tests.support.booking_env import BookingEnv
from tests.support.booking_flow import row_counts
from tests.support.lead_pages import (
    confirm,
    details_form,
    form_fields,
    held_from,
    hidden_fields,
    hold_through_pages,
    slot_links,
    submit_details,
)


def test_booking_page_shows_the_type_and_slots_in_the_leads_zone(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get("/coach/session", params={"tz": "America/New_York"})
    assert page.status_code == 200
    assert "Coaching session" in page.text
    assert "1 hour" in page.text and "90.00 EUR" in page.text
    assert '<option value="America/New_York" selected>' in page.text
    links = slot_links(page.text)
    assert links and all("tz=America/New_York" in link for link in links)
    # The host works 08:00-20:00 Paris time: 02:00-14:00 in New York (winter).
    labels = re.findall(r'class="slot" href="[^"]+">(\d\d:\d\d)', page.text)
    assert labels and all("02:00" <= label <= "13:00" for label in labels)
    assert 'id="later"' in page.text


def test_without_a_zone_the_page_uses_the_hosts(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get("/coach/session", params={"tz": "Not/AZone"})
    assert page.status_code == 200
    assert '<option value="Europe/Paris" selected>' in page.text


def test_unknown_booking_page_is_a_404_page(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get("/coach/nope")
    assert page.status_code == 404
    assert "no such booking page" in page.text and "Traceback" not in page.text


def test_booking_pages_never_shadow_the_apps_own_paths(booking_env: BookingEnv) -> None:
    # POST-only routes still answer 405 to a GET, not "no such booking page".
    for path in ("/dashboard/google/connect", "/webhooks/stripe"):
        assert booking_env.lead.get(path).status_code == 405, path


def test_free_booking_through_the_pages_reaches_the_calendar(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    form = details_form(client, "intro")
    fields = form_fields(form.text)
    first = held_from(submit_details(client, "intro", fields))
    # A double-submit of the same form (same nonce) is the same booking.
    again = held_from(submit_details(client, "intro", fields))
    assert again.booking_id == first.booking_id
    assert "You are booking" in first.review.text and "Free" in first.review.text

    status = confirm(client, first)
    assert status.status_code == 200
    assert f"/bookings/{first.booking_id}" in str(status.url)
    booking_env.wait_status(str(first.booking_id), first.token, "scheduled")
    page = client.get(f"/bookings/{first.booking_id}", params={"token": first.token})
    assert "Added to Coach's calendar" in page.text
    assert "calendar.google.com/calendar/render?action=TEMPLATE" in page.text
    assert len(booking_env.calendar_events()) == 1


def test_paid_confirmation_redirects_to_checkout_and_back(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    held = hold_through_pages(client, "session")
    assert "90.00 EUR" in held.review.text
    response = confirm(client, held, follow_redirects=False)
    assert response.status_code == 303
    checkout_url = response.headers["location"]
    assert checkout_url.startswith(booking_env.payments_url)

    # The lead presses "Back" on the checkout page: not paid, offered to pay again.
    abandoned = client.post(f"{checkout_url}/abandon")
    assert "cancelled_checkout=1" in str(abandoned.url)
    assert "Payment was not completed" in abandoned.text
    assert f'href="{checkout_url}" id="pay-again"' in abandoned.text
    assert "data-poll-url" not in abandoned.text

    booking_env.pay(checkout_url)
    booking_env.wait_status(str(held.booking_id), held.token, "scheduled")
    page = client.get(f"/bookings/{held.booking_id}", params={"token": held.token})
    assert "Added to Coach's calendar" in page.text


def test_status_page_polls_while_payment_is_pending(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    held = hold_through_pages(client, "session")
    confirm(client, held, follow_redirects=False)
    page = client.get(f"/bookings/{held.booking_id}", params={"token": held.token, "paid": 1})
    assert "Waiting for payment confirmation" in page.text
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert f'data-poll-url="/api/v1/public/bookings/{held.booking_id}' in page.text


def test_form_post_without_csrf_token_is_refused(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    form = details_form(client, "session")
    fields = form_fields(form.text, csrf_token="forged")
    response = submit_details(client, "session", fields)
    assert response.status_code == 403
    assert "did not come from LeadsCalendar" in response.text
    assert "Traceback" not in response.text
    held = hold_through_pages(client, "session")
    refused = client.post(f"/bookings/{held.booking_id}/confirm", data={"token": held.token})
    assert refused.status_code == 403


def test_invalid_details_show_the_form_again(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    form = details_form(client, "session")
    response = submit_details(
        client, "session", form_fields(form.text, email="not-an-email", guests="a@b.c, nope")
    )
    assert response.status_code == 400
    assert 'id="form-errors"' in response.text
    assert "nope is not a valid e-mail address" in response.text
    assert 'value="Lena Lead"' in response.text


def test_a_taken_slot_offers_the_next_free_times(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    form = details_form(client, "session")
    fields = form_fields(form.text)
    assert booking_env.hold("session", fields["start"]).status_code == 201

    taken = submit_details(client, "session", fields)
    assert taken.status_code == 409
    assert "That time was just taken" in taken.text
    alternatives = re.findall(
        r'<form method="post" action="/coach/session/book">.*?</form>', taken.text, re.S
    )
    assert len(alternatives) >= 2
    alternative = hidden_fields(alternatives[0])
    assert alternative["start"] != fields["start"] and alternative["email"] == "lena@example.com"
    held = held_from(submit_details(client, "session", alternative))
    assert "You are booking" in held.review.text


def test_an_expired_hold_cannot_be_confirmed(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    held = hold_through_pages(client, "session")
    with unit_of_work(booking_env.services.session_factory) as session:
        booking = bookings_repository.get_booking(session, held.booking_id)
        assert booking is not None
        booking.hold_expires_at = utcnow() - timedelta(minutes=1)

    review = client.get(f"/bookings/{held.booking_id}/review", params={"token": held.token})
    assert review.status_code == 409
    assert "Your hold on this time has expired" in review.text
    assert 'id="confirm"' not in review.text
    refused = confirm(client, held)
    assert refused.status_code == 409 and "has expired" in refused.text
    status = client.get(f"/bookings/{held.booking_id}", params={"token": held.token})
    assert "Your hold has expired" in status.text


def test_a_wrong_token_is_refused(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    held = hold_through_pages(client, "session")
    other = hold_through_pages(client, "intro")
    for path in ("", "/review", "/event.ics", "/cancel", "/reschedule"):
        response = client.get(f"/bookings/{held.booking_id}{path}", params={"token": other.token})
        assert response.status_code == 403, path
        assert "not valid" in response.text


def test_ics_file_of_a_scheduled_booking(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    held = hold_through_pages(client, "intro")
    assert (
        client.get(
            f"/bookings/{held.booking_id}/event.ics", params={"token": held.token}
        ).status_code
        == 404
    )
    confirm(client, held)
    booking_env.wait_status(str(held.booking_id), held.token, "scheduled")

    response = client.get(f"/bookings/{held.booking_id}/event.ics", params={"token": held.token})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    body = response.content.decode("utf-8")
    lines = body.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert f"UID:{event_id_for(held.booking_id)}@leadscalendar" in lines
    assert any(re.fullmatch(r"DTSTART:\d{8}T\d{6}Z", line) for line in lines)
    assert "SUMMARY:Intro call with Coach" in lines


def test_host_not_taking_bookings(booking_env: BookingEnv) -> None:
    services = booking_env.services
    with unit_of_work(services.session_factory) as session:
        host = session.scalar(select(Host))
        assert host is not None
        connection = google_repository.get_connection(session, host.id)
        assert connection is not None
        mark_needs_reauth(connection, "invalid_grant")
    page = booking_env.lead.get("/coach/session")
    assert page.status_code == 503
    assert "temporarily not taking bookings" in page.text
    assert slot_links(page.text) == []
    assert "Traceback" not in page.text


def test_lead_cancels_through_the_pages(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    held = hold_through_pages(client, "intro")
    confirm(client, held)
    page = client.get(f"/bookings/{held.booking_id}/cancel", params={"token": held.token})
    assert page.status_code == 200 and "Cancel this booking?" in page.text
    refused = client.post(
        f"/bookings/{held.booking_id}/cancel", data={"token": held.token, "csrf_token": "x"}
    )
    assert refused.status_code == 403
    done = client.post(
        f"/bookings/{held.booking_id}/cancel",
        data={"token": held.token, "csrf_token": csrf_from(page.text)},
    )
    assert done.status_code == 200 and "This booking is cancelled" in done.text
    assert "Cancelled by the lead." in done.text


def test_lead_reschedules_through_the_pages(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    held = hold_through_pages(client, "intro")
    confirm(client, held)
    booking_env.wait_status(str(held.booking_id), held.token, "scheduled")
    page = client.get(f"/bookings/{held.booking_id}/reschedule", params={"token": held.token})
    assert page.status_code == 200
    forms = re.findall(
        r'<form method="post" action="/bookings/[^"]+/reschedule">.*?</form>', page.text, re.S
    )
    assert forms
    chosen = hidden_fields(forms[-1])
    moved = client.post(f"/bookings/{held.booking_id}/reschedule", data=chosen)
    assert moved.status_code == 200
    assert "moved to the new time" in moved.text
    booking = booking_env.booking(str(held.booking_id), held.token)
    assert datetime.fromisoformat(booking["start"]) == datetime.fromisoformat(chosen["start"])


def test_a_refused_move_shows_the_reschedule_page_again_with_the_reason(
    booking_env: BookingEnv,
) -> None:
    client = booking_env.lead
    held = hold_through_pages(client, "intro")
    confirm(client, held)
    booking_env.wait_status(str(held.booking_id), held.token, "scheduled")
    page = client.get(f"/bookings/{held.booking_id}/reschedule", params={"token": held.token})
    forms = re.findall(
        r'<form method="post" action="/bookings/[^"]+/reschedule">.*?</form>', page.text, re.S
    )
    chosen = hidden_fields(forms[-1])
    path = f"/bookings/{held.booking_id}/reschedule"

    invalid = client.post(path, data={**chosen, "start": "not a time"})
    assert invalid.status_code == 400
    assert "That time is not valid" in invalid.text and "Traceback" not in invalid.text

    # Another lead takes the time between the page and the click.
    assert booking_env.hold("intro", chosen["start"]).status_code == 201
    taken = client.post(path, data=chosen)
    assert taken.status_code == 409
    assert "That time was just taken" in taken.text
    assert re.search(r'<form method="post" action="/bookings/[^"]+/reschedule">', taken.text)
    booking = booking_env.booking(str(held.booking_id), held.token)
    assert booking["status"] == "scheduled"
    assert datetime.fromisoformat(booking["start"]) != datetime.fromisoformat(chosen["start"])


def test_a_form_sent_again_with_other_details_is_refused_not_given_the_first_booking(
    booking_env: BookingEnv,
) -> None:
    client = booking_env.lead
    fields = form_fields(details_form(client, "intro").text)
    first = held_from(submit_details(client, "intro", fields))

    changed = {**fields, "name": "Someone Else", "email": "else@example.com", "notes": ""}
    again = submit_details(client, "intro", changed)
    assert again.status_code == 422
    assert "already sent with other details" in again.text
    assert str(first.booking_id) not in again.text and first.token not in again.text
    assert "Lena Lead" not in again.text and 'value="Someone Else"' in again.text
    # A fresh form: sending it again is a new request, not the refused one.
    assert hidden_fields(again.text)["nonce"] != fields["nonce"]
    with booking_env.services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Booking)) == 1


def test_control_characters_and_far_dates_on_the_pages_get_a_400_page(
    booking_env: BookingEnv,
) -> None:
    client = booking_env.lead
    form = details_form(client, "session")
    before = row_counts(booking_env)
    for name, notes in [("Lena\x00Lead", "fine"), ("Lena\r\nLead", "fine"), ("Lena", "bad\x00")]:
        response = submit_details(client, "session", form_fields(form.text, name=name, notes=notes))
        assert response.status_code == 400, (name, notes, response.text)
        assert 'id="form-errors"' in response.text
        assert "control characters" in response.text
    far_start = "9999-12-31T23:00:00-12:00"
    far_hold = submit_details(client, "session", form_fields(form.text, start=far_start))
    assert far_hold.status_code == 400 and "That time is not valid" in far_hold.text
    assert row_counts(booking_env) == before

    for url, params in [
        ("/coach/session", {"start": "9999-12-31"}),
        ("/coach/session", {"start": "0001-01-01"}),
        ("/coach/session/book", {"start": far_start}),
        ("/coach/session/book", {"start": "0001-01-01T00:00:00+14:00"}),
    ]:
        page = client.get(url, params=params)
        assert page.status_code == 400, (url, params, page.status_code)
        assert page.headers["content-type"].startswith("text/html")


def test_the_zone_picker_lists_places_not_machine_files(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get("/coach/session", params={"tz": "localtime"})
    assert page.status_code == 200
    assert '"Europe/Paris"' in page.text
    for artefact in ("localtime", "posixrules", "Factory", "US/Eastern"):
        assert f'"{artefact}"' not in page.text
    linked = booking_env.lead.get("/coach/session", params={"tz": "US/Eastern"})
    assert "America/New_York" in linked.text
