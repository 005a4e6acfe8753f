"""Booking types from the dashboard over real HTTP: every field, validation, calendars, CSRF."""

from __future__ import annotations

import html
import re

from leadscalendar.bookings.models import SendUpdates
from tests.support.app_env import ConnectedApp
from tests.support.booking_env import BookingEnv
from tests.support.dashboard import booking_type, submit, type_form

NEW = "/dashboard/types/new"


def field_error(html: str, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="{name}-error">([^<]*)</p>', html)
    assert match, f"no error shown for {name}"
    return match.group(1)


def test_create_stores_every_field_and_shows_the_public_url(google_app: ConnectedApp) -> None:
    google_app.connect()
    created = submit(google_app.client, NEW, "/dashboard/types", type_form(), follow=True)
    assert created.status_code == 200, created.text
    assert "created" in created.text
    assert 'href="/coach/deep-dive"' in created.text
    assert 'value="90.00"' in created.text

    stored = booking_type(google_app.services, "deep-dive")
    assert stored.title == "Deep dive"
    assert stored.price_minor == 9000 and stored.currency == "eur"
    assert stored.google_meet and stored.location is None
    assert (stored.buffer_before_minutes, stored.buffer_after_minutes) == (10, 15)
    assert (stored.min_notice_minutes, stored.max_days_ahead) == (240, 30)
    assert (stored.slot_step_minutes, stored.daily_limit) == (30, 3)
    assert stored.send_updates is SendUpdates.EXTERNAL_ONLY
    assert stored.reminders == [["email", 1440], ["popup", 10]]
    assert (stored.hold_minutes, stored.refund_cutoff_hours) == (20, 48)
    assert stored.requires_approval and stored.active
    assert stored.calendar_id is None

    listing = google_app.client.get("/dashboard/types")
    assert "90.00 EUR" in listing.text
    assert "/coach/deep-dive" in listing.text


def test_edit_changes_fields_and_clears_optional_ones(google_app: ConnectedApp) -> None:
    google_app.connect()
    submit(google_app.client, NEW, "/dashboard/types", type_form())
    stored = booking_type(google_app.services, "deep-dive")
    url = f"/dashboard/types/{stored.id}"
    bookings_calendar = "bookings.host-sandbox-test@group.calendar.google.com"
    page = google_app.client.get(url)
    assert "Bookings</option>" in page.text
    calendar_options = re.findall(
        r'<option value="([^"]*)"', page.text.split('id="calendar_id"')[1]
    )
    assert bookings_calendar in calendar_options or any(
        "bookings." in option for option in calendar_options
    )
    assert not any("holidays." in option for option in calendar_options), "read-only offered"
    bookings_id = next(option for option in calendar_options if option.startswith("bookings."))

    changed = type_form(
        title="Deep dive (long)",
        price="120,5",
        location_kind="place",
        location="Main street 1, Berlin",
        daily_limit="",
        calendar_id=bookings_id,
        reminder_method_0="",
        reminder_minutes_0="",
        reminder_method_1="",
        reminder_minutes_1="",
        requires_approval="<absent>",
        active="<absent>",
    )
    saved = submit(google_app.client, url, url, changed, follow=True)
    assert saved.status_code == 200 and "saved" in saved.text
    stored = booking_type(google_app.services, "deep-dive")
    assert stored.title == "Deep dive (long)"
    assert stored.price_minor == 12050
    assert stored.location == "Main street 1, Berlin" and not stored.google_meet
    assert stored.daily_limit is None and stored.reminders is None
    assert stored.calendar_id == bookings_id
    assert not stored.requires_approval and not stored.active


def test_validation_errors_rerender_the_form_with_a_message_per_field(
    google_app: ConnectedApp,
) -> None:
    google_app.connect()
    bad = type_form(
        title="",
        slug="Not A Slug",
        duration_minutes="ninety",
        price="12.345",
        location_kind="place",
        location="",
        reminder_method_2="",
        reminder_minutes_2="30",
        slot_step_minutes="1",
        calendar_id="holidays.host-sandbox-test@group.v.calendar.google.com",
    )
    response = submit(google_app.client, NEW, "/dashboard/types", bad)
    assert response.status_code == 400
    html = response.text
    assert 'id="form-errors"' in html
    assert "least 1 character" in field_error(html, "title")
    assert "lowercase" in field_error(html, "slug")
    assert "whole number" in field_error(html, "duration_minutes")
    assert "2 decimal places" in field_error(html, "price")
    assert "address" in field_error(html, "location")
    assert "e-mail or pop-up" in field_error(html, "reminder_method_2")
    assert "greater than or equal to 5" in field_error(html, "slot_step_minutes")
    # The host's input is kept, not lost.
    assert 'value="Not A Slug"' in html
    assert 'value="ninety"' in html

    # The model's own rule (Stripe's minimum charge) lands on the price field too.
    too_cheap = submit(google_app.client, NEW, "/dashboard/types", type_form(price="0.20"))
    assert too_cheap.status_code == 400
    assert "smallest charge in EUR is 0.50 EUR" in field_error(too_cheap.text, "price")

    holidays_only = submit(
        google_app.client,
        NEW,
        "/dashboard/types",
        type_form(calendar_id="holidays.host-sandbox-test@group.v.calendar.google.com"),
    )
    assert holidays_only.status_code == 400
    assert "write to" in field_error(holidays_only.text, "calendar_id")


def test_a_taken_slug_is_refused_on_the_slug_field(google_app: ConnectedApp) -> None:
    google_app.connect()
    submit(google_app.client, NEW, "/dashboard/types", type_form())
    again = submit(google_app.client, NEW, "/dashboard/types", type_form(title="Another"))
    assert again.status_code == 400
    assert "/deep-dive" in field_error(again.text, "slug")


def test_without_google_the_calendar_is_a_text_field_with_a_notice(
    google_app: ConnectedApp,
) -> None:
    page = google_app.client.get(NEW)
    assert page.status_code == 200
    assert 'id="calendar-notice"' in page.text
    assert "not connected" in page.text
    assert '<input id="calendar_id" name="calendar_id" type="text"' in page.text
    created = submit(
        google_app.client, NEW, "/dashboard/types", type_form(calendar_id="team@example.com")
    )
    assert created.status_code == 303, created.text
    assert booking_type(google_app.services, "deep-dive").calendar_id == "team@example.com"


def test_type_forms_refuse_a_missing_csrf_token(google_app: ConnectedApp) -> None:
    refused = google_app.client.post("/dashboard/types", data=type_form())
    assert refused.status_code == 403
    submit(google_app.client, NEW, "/dashboard/types", type_form())
    stored = booking_type(google_app.services, "deep-dive")
    edit = google_app.client.post(
        f"/dashboard/types/{stored.id}", data={**type_form(title="Hijacked"), "csrf_token": "x"}
    )
    assert edit.status_code == 403
    assert booking_type(google_app.services, "deep-dive").title == "Deep dive"


def test_control_characters_in_type_fields_are_refused_beside_the_field(
    google_app: ConnectedApp,
) -> None:
    google_app.connect()
    for field, value in [
        ("title", "Deep\x00dive"),
        ("title", "Deep\r\ndive"),
        ("description", "Ninety\x00minutes"),
        ("location", "Room 1\x0bRoom 2"),
    ]:
        extra = {"location_kind": "place"} if field == "location" else {}
        response = submit(
            google_app.client, NEW, "/dashboard/types", type_form(**{field: value, **extra})
        )
        assert response.status_code == 400, (field, value)
        assert "control characters" in field_error(response.text, field), (field, value)
    multi_line = submit(
        google_app.client,
        NEW,
        "/dashboard/types",
        type_form(description="Ninety minutes.\r\nOn one problem."),
    )
    assert multi_line.status_code in (200, 303), multi_line.text
    assert booking_type(google_app.services, "deep-dive").description == (
        "Ninety minutes.\r\nOn one problem."
    )


def test_a_three_decimal_price_is_stored_in_thousandths_and_shown_back(
    google_app: ConnectedApp,
) -> None:
    google_app.connect()
    created = submit(
        google_app.client, NEW, "/dashboard/types", type_form(price="12.340", currency="KWD")
    )
    assert created.status_code == 303, created.text
    stored = booking_type(google_app.services, "deep-dive")
    # 12.340 KWD is 12340 fils at Stripe; read as two-decimal it was 1234, ten times too low.
    assert (stored.price_minor, stored.currency) == (12340, "kwd")
    assert "12.340 KWD" in google_app.client.get("/dashboard/types").text
    assert 'value="12.340"' in google_app.client.get(f"/dashboard/types/{stored.id}").text

    off_step = submit(
        google_app.client,
        NEW,
        "/dashboard/types",
        type_form(slug="x", price="1.005", currency="kwd"),
    )
    assert off_step.status_code == 400
    assert "multiples of 0.010" in field_error(off_step.text, "price")


def test_a_currency_stripe_cannot_charge_in_is_refused_on_the_currency_field(
    google_app: ConnectedApp,
) -> None:
    google_app.connect()
    for code in ("XYZ", "BGN", "12a"):
        refused = submit(google_app.client, NEW, "/dashboard/types", type_form(currency=code))
        assert refused.status_code == 400
        assert "not a currency we can charge in" in field_error(refused.text, "currency")
    assert "deep-dive" not in google_app.client.get("/dashboard/types").text


def test_reminder_emails_are_set_on_the_form_and_survive_an_edit(google_app: ConnectedApp) -> None:
    google_app.connect()
    fresh = google_app.client.get(NEW)
    assert 'value="24h, 1h"' in fresh.text, "a new type offers the default reminders"

    submit(
        google_app.client,
        NEW,
        "/dashboard/types",
        type_form(mail_reminders="2d, 90m; 15", remind_host="on"),
    )
    stored = booking_type(google_app.services, "deep-dive")
    assert stored.mail_reminder_minutes == [2880, 90, 15]
    assert stored.remind_host
    url = f"/dashboard/types/{stored.id}"
    assert 'value="2d, 90m, 15m"' in google_app.client.get(url).text

    # Saving another field keeps the reminders the form showed; blank turns them off.
    submit(
        google_app.client,
        url,
        url,
        type_form(title="Deep dive II", mail_reminders="2d, 90m, 15m", remind_host="on"),
    )
    assert booking_type(google_app.services, "deep-dive").mail_reminder_minutes == [2880, 90, 15]
    submit(google_app.client, url, url, type_form(mail_reminders="", remind_host="<absent>"))
    cleared = booking_type(google_app.services, "deep-dive")
    assert cleared.mail_reminder_minutes == [] and not cleared.remind_host


def test_reminder_times_that_cannot_be_read_are_refused_beside_the_field(
    google_app: ConnectedApp,
) -> None:
    google_app.connect()
    for text, message in [("tomorrow", "24h, 1h"), ("1w", "24h, 1h"), ("0m", "1 to")]:
        refused = submit(google_app.client, NEW, "/dashboard/types", type_form(mail_reminders=text))
        assert refused.status_code == 400, text
        assert message in field_error(refused.text, "mail_reminders"), text


def test_the_types_page_gives_links_and_embed_snippets_to_copy(booking_env: BookingEnv) -> None:
    page = booking_env.host.client.get("/dashboard/types")
    assert page.status_code == 200
    base = booking_env.url
    assert f'id="host-link" value="{base}/coach"' in page.text
    assert f'id="type-intro-link" value="{base}/coach/intro"' in page.text
    assert 'data-copy="type-intro-link"' in page.text
    inline = re.search(r'<textarea id="type-intro-inline"[^>]*>([^<]*)</textarea>', page.text)
    assert inline is not None
    assert html.unescape(inline.group(1)) == (
        f'<div data-leadscalendar-inline="{base}/embed/coach/intro"></div>\n'
        f'<script src="{base}/static/embed.js" async></script>'
    )
    popup = re.search(r'<textarea id="type-session-popup"[^>]*>([^<]*)</textarea>', page.text)
    assert popup is not None
    assert html.unescape(popup.group(1)).startswith(
        f'<button type="button" data-leadscalendar-popup="{base}/embed/coach/session">'
        "Book Coaching session</button>"
    )
    # What the snippet frames is there.
    assert booking_env.lead.get(f"{base}/embed/coach/intro").status_code == 200
