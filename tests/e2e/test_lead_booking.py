"""A lead books and pays for a session in a real browser; the event lands on the host's calendar."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from leadscalendar.google.events import event_id_for
from tests.e2e.conftest import PHONE, Screenshot
from tests.support.booking_env import BookingEnv


def test_lead_books_pays_and_sees_the_event_added(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    page.goto(f"{booking_env.url}/coach/session")
    # A few lines of JavaScript reload the page in the browser's zone.
    expect(page).to_have_url(re.compile(r"tz=America%2FNew_York"))
    expect(page.locator("#tz")).to_have_value("America/New_York")
    expect(page.get_by_role("heading", name="Coaching session")).to_be_visible()
    screenshot(page, "1-booking-page")

    page.locator("a.slot").first.click()
    page.get_by_label("Name").fill("Lena Lead")
    page.get_by_label("E-mail", exact=True).fill("lena@example.com")
    page.get_by_label("Notes").fill("First session; looking forward to it.")
    page.get_by_label("Guests").fill("guest@example.com")
    screenshot(page, "2-details")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("#summary")).to_contain_text("You are booking Coaching session")
    expect(page.locator("#summary")).to_contain_text("(America/New_York) for 90.00 EUR")
    booking_id = uuid.UUID(urlsplit(page.url).path.split("/")[2])
    screenshot(page, "3-review")
    page.get_by_role("button", name="Confirm and pay 90.00 EUR").click()

    expect(page).to_have_url(re.compile(re.escape(f"{booking_env.payments_url}/checkout/")))
    screenshot(page, "4-checkout")
    page.locator("#pay").click()

    expect(page).to_have_url(re.compile(rf"/bookings/{booking_id}\?token=.*&paid=1"))
    expect(page.locator("#status-title")).to_have_text("Added to Coach's calendar")
    expect(page.locator("#ics")).to_be_visible()
    expect(page.locator("#google-calendar")).to_have_attribute(
        "href", re.compile(r"^https://calendar\.google\.com/calendar/render\?action=TEMPLATE&")
    )
    screenshot(page, "5-added")

    calendar = booking_env.google.config.account_email
    events = booking_env.google.control("GET", f"calendars/{calendar}/events")["events"]
    assert [event["id"] for event in events] == [event_id_for(booking_id)]
    assert events[0]["summary"] == "Coaching session with Lena Lead"


@pytest.mark.parametrize("viewport", [PHONE])
def test_booking_page_fits_a_phone(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    page.goto(f"{booking_env.url}/coach/session?tz=Europe/Paris")
    first_slot = page.locator("a.slot").first
    expect(first_slot).to_be_visible()
    # Nothing sticks out sideways: no horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Keyboard users reach the slots and see where they are.
    first_slot.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    screenshot(page, "phone-booking-page")
