"""A new host in a real browser: the setup checklist from the first login to a shared link,
and switching Google accounts with the upcoming booking moved (desktop and phone)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from leadscalendar.accounts import service as accounts
from leadscalendar.bookings.models import CalendarMove, MoveStatus
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from tests.e2e.conftest import DESKTOP, PHONE, Screenshot
from tests.e2e.test_host_browser import log_in_through_the_form
from tests.support.app_env import ConnectedApp
from tests.support.booking_env import BookingEnv, wait_for

NEW_EMAIL = "lena@example.com"
NEW_PASSWORD = "a long enough passphrase"
NEW_ACCOUNT = "lena.work@sandbox.test"
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def progress(page: Page, done: int) -> None:
    expect(page.locator("#setup-progress")).to_have_text(f"{done} of 6 steps done")


@VIEWPORTS
def test_a_new_host_walks_the_setup_checklist_to_a_link_leads_can_book(
    google_app: ConnectedApp, page: Page, screenshot: Screenshot, viewport: dict[str, int]
) -> None:
    base_url = google_app.url
    with unit_of_work(google_app.services.session_factory) as session:
        host = accounts.create_host(
            session,
            email=NEW_EMAIL,
            name="Lena",
            slug="lena",
            password=NEW_PASSWORD,
            timezone="Europe/Berlin",
            verified=False,
        )
        host.email_verified_at = utcnow()
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(NEW_EMAIL)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base_url}/dashboard/setup")
    progress(page, 0)
    # The browser runs in New York: its zone is offered, not the one saved at sign-up.
    expect(page.get_by_label("Your time zone")).to_have_value("America/New_York")
    screenshot(page, "1-checklist")

    page.locator("#confirm-timezone").click()
    progress(page, 1)
    page.locator("#setup-connect").click()
    expect(page).to_have_url(
        re.compile(re.escape(f"{google_app.sandbox.base_url}o/oauth2/v2/auth"))
    )
    page.locator("#allow").click()
    expect(page).to_have_url(f"{base_url}/dashboard/setup")
    progress(page, 2)

    page.locator("#setup-calendar").click()
    page.get_by_role("radio", name="Bookings", exact=True).check()
    page.get_by_role("checkbox", name="Holidays").check()
    page.locator("#choose-calendar").click()
    expect(page).to_have_url(f"{base_url}/dashboard/setup")
    progress(page, 3)
    screenshot(page, "2-calendar-chosen")

    page.locator("#setup-hours").click()
    page.locator("#save-hours").click()
    expect(page).to_have_url(f"{base_url}/dashboard/setup")
    progress(page, 4)

    page.locator("#setup-type").click()
    page.get_by_label("Title").fill("Intro call")
    page.get_by_label("Address (slug)").fill("intro")
    page.get_by_label("Length (minutes)").fill("30")
    page.get_by_label("Price", exact=True).fill("0")
    page.locator("#save-type").click()
    expect(page).to_have_url(f"{base_url}/dashboard/setup")
    progress(page, 6)
    expect(page.locator("#setup-complete")).to_be_visible()
    link = page.get_by_label("Your booking link")
    expect(link).to_have_value(re.compile(r"/lena$"))
    screenshot(page, "3-link-to-share")

    shared = link.input_value()
    response = page.goto(
        shared.replace(google_app.services.settings.public_url.rstrip("/"), base_url)
    )
    assert response is not None and response.status == 200
    expect(page.get_by_text("Intro call").first).to_be_visible()
    screenshot(page, "4-shared-page")


@VIEWPORTS
def test_a_host_switching_google_accounts_is_told_first_and_sees_the_booking_moved(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot, viewport: dict[str, int]
) -> None:
    env = booking_env
    booking_id, token, checkout_url = env.confirmed_booking("session")
    env.pay(checkout_url)
    env.wait_status(booking_id, token, "scheduled")
    old_account = env.google.config.account_email

    log_in_through_the_form(page, env.url)
    page.locator("#switch-account").click()
    consequences = page.locator("#consequences")
    expect(consequences).to_contain_text(f"You are connected as {old_account}")
    expect(consequences).to_contain_text(
        "your 1 upcoming booking's event moves to that account's calendar and is removed"
    )
    screenshot(page, "1-announced")

    page.get_by_role("button", name="Continue to Google").click()
    page.get_by_label("Google account").fill(NEW_ACCOUNT)
    screenshot(page, "2-consent-other-account")
    page.locator("#allow").click()
    expect(page).to_have_url(f"{env.url}/dashboard/google/moves")
    expect(page.get_by_role("status")).to_contain_text(
        f"now connected as {NEW_ACCOUNT} instead of {old_account}"
    )

    def moved() -> bool:
        with env.services.session_factory() as session:
            moves = session.scalars(select(CalendarMove)).all()
            return [move.status for move in moves] == [MoveStatus.MOVED]

    wait_for(moved, what="the booking's event moved to the new account")
    page.reload()
    expect(page.locator("#moves tr.move-moved")).to_have_count(1)
    expect(page.locator("#moves")).to_contain_text("Moved")
    screenshot(page, "3-moved")
    assert [event["status"] for event in env.calendar_events()] == ["cancelled"]
    new_events = env.google.control("GET", f"calendars/{NEW_ACCOUNT}/events")["events"]
    assert [event["status"] for event in new_events] == ["confirmed"]
