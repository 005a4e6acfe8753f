"""A German lead books and pays on the German booking page in a real browser."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from leadscalendar.bookings.models import Booking
from tests.e2e.conftest import DESKTOP, EXPECT_TIMEOUT_MS, PHONE, Screenshot
from tests.support.booking_env import BookingEnv

GERMAN_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August")
GERMAN_MONTHS += ("September", "Oktober", "November", "Dezember")


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def german_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A browser in Berlin whose language is German (``Accept-Language: de-DE``)."""
    viewport: dict[str, int] = request.param
    options: dict[str, Any] = {
        "viewport": viewport,
        "timezone_id": "Europe/Berlin",
        "locale": "de-DE",
        "is_mobile": viewport["width"] < 600,
        "has_touch": viewport["width"] < 600,
    }
    context = browser.new_context(**options)
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def test_a_lead_books_and_pays_on_the_german_booking_page(
    booking_env: BookingEnv, german_page: Page, screenshot: Screenshot
) -> None:
    page = german_page
    page.goto(f"{booking_env.url}/coach/session")
    expect(page).to_have_url(re.compile(r"tz=Europe%2FBerlin"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Termin wählen")).to_be_visible()
    expect(page.locator("#price")).to_contain_text("90,00\xa0€")
    expect(page.locator("#month-title")).to_have_text(
        re.compile(rf"^({'|'.join(GERMAN_MONTHS)}) \d{{4}}$")
    )
    screenshot(page, "1-buchungsseite")

    page.locator("a.slot").first.click()
    page.get_by_label("Name").fill("Lena Lead")
    page.get_by_label("E-Mail", exact=True).fill("lena@example.com")
    page.get_by_label("Anmerkungen").fill("Ich freue mich.")
    page.get_by_role("button", name="Weiter").click()

    summary = page.locator("#summary")
    expect(summary).to_contain_text("Sie buchen Coaching session bei Coach am")
    expect(summary).to_contain_text("(Europe/Berlin) für 90,00\xa0€")
    booking_id = uuid.UUID(urlsplit(page.url).path.split("/")[2])
    screenshot(page, "2-pruefen")
    page.get_by_role("button", name="Bestätigen und 90,00\xa0€ bezahlen").click()

    expect(page).to_have_url(re.compile(re.escape(f"{booking_env.payments_url}/checkout/")))
    page.locator("#pay").click()

    expect(page).to_have_url(re.compile(rf"/bookings/{booking_id}\?token=.*&paid=1"))
    expect(page.locator("#status-title")).to_have_text("Im Kalender von Coach eingetragen")
    expect(page.get_by_role("link", name=".ics-Datei herunterladen")).to_be_visible()
    screenshot(page, "3-eingetragen")

    # The switcher turns the same page into English, and the choice sticks.
    page.locator("#lang-en").click()
    expect(page.locator("#status-title")).to_have_text("Added to Coach's calendar")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    with booking_env.services.session_factory() as session:
        booking = session.scalars(select(Booking).where(Booking.id == booking_id)).one()
        assert booking.lead_language == "de"
