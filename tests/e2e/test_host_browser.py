"""A host in a real browser: connect Google on the sandbox's consent page, set up, reconnect."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.google.events import event_id_for
from tests.e2e.conftest import Screenshot
from tests.support.app_env import HOST_EMAIL, HOST_PASSWORD, ConnectedApp
from tests.support.booking_env import BookingEnv, wait_for

# What the sandbox calls the writable secondary calendar each account gets.
BOOKINGS_CALENDAR = "Bookings"


def log_in_through_the_form(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(HOST_EMAIL)
    page.get_by_label("Password").fill(HOST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base_url}/dashboard")


def approve_on_consent_page(
    page: Page, sandbox_url: str, screenshot: Screenshot, step: str
) -> None:
    """The sandbox's consent page: every requested scope stays ticked; press Allow."""
    expect(page).to_have_url(re.compile(re.escape(f"{sandbox_url}o/oauth2/v2/auth")))
    checkboxes = page.locator('#requested-scopes input[type="checkbox"]')
    expect(checkboxes.first).to_be_visible()
    for index in range(checkboxes.count()):
        expect(checkboxes.nth(index)).to_be_checked()
    screenshot(page, step)
    page.locator("#allow").click()


def test_host_connects_google_picks_a_calendar_and_creates_a_booking_type(
    google_app: ConnectedApp, page: Page, screenshot: Screenshot
) -> None:
    base_url, sandbox = google_app.url, google_app.sandbox
    log_in_through_the_form(page, base_url)
    expect(page.locator("#connection-status")).to_contain_text("Not connected")
    screenshot(page, "1-not-connected")

    page.get_by_role("button", name="Connect Google Calendar").click()
    approve_on_consent_page(page, sandbox.base_url, screenshot, "2-consent")

    expect(page).to_have_url(f"{base_url}/dashboard")
    account = sandbox.config.account_email
    expect(page.get_by_role("status")).to_have_text(f"Google Calendar connected as {account}.")
    status = page.locator("#connection-status")
    expect(status).to_contain_text(f"Connected as {account}")
    expect(status.locator("code")).to_have_text("primary")
    screenshot(page, "3-connected")

    page.locator("#change-calendar").click()
    expect(page).to_have_url(f"{base_url}/dashboard/google/calendar")
    # Only writable calendars: the read-only holidays calendar is not offered.
    expect(page.get_by_role("radio")).to_have_count(2)
    expect(page.get_by_role("radio", name=f"{account} (primary)")).to_be_checked()
    page.get_by_role("radio", name=BOOKINGS_CALENDAR, exact=True).check()
    screenshot(page, "4-calendar-picker")
    page.locator("#choose-calendar").click()

    expect(page).to_have_url(f"{base_url}/dashboard")
    expect(page.get_by_role("status")).to_have_text(
        f"New bookings go to the calendar {BOOKINGS_CALENDAR}."
    )
    expect(status.locator("code")).to_have_text(re.compile(r"^bookings\..*@group\.calendar"))

    page.get_by_role("navigation", name="Dashboard").get_by_role(
        "link", name="Booking types"
    ).click()
    page.locator("#new-type").click()
    expect(page).to_have_url(f"{base_url}/dashboard/types/new")
    page.get_by_label("Title").fill("Strategy call")
    page.get_by_label("Address (slug)").fill("strategy")
    page.get_by_label("Length (minutes)").fill("45")
    page.get_by_label("Price", exact=True).fill("120.00")
    page.get_by_label("Google Meet").check()
    screenshot(page, "5-type-form")
    page.locator("#save-type").click()

    expect(page).to_have_url(re.compile(rf"{re.escape(base_url)}/dashboard/types/[0-9a-f-]{{36}}$"))
    expect(page.get_by_role("status")).to_have_text("Booking type “Strategy call” created.")
    expect(page.locator("#public-url")).to_contain_text("/coach/strategy")

    page.get_by_role("navigation", name="Dashboard").get_by_role(
        "link", name="Booking types"
    ).click()
    row = page.locator("#types tbody tr", has_text="Strategy call")
    expect(row).to_contain_text("45 min")
    expect(row).to_contain_text("/coach/strategy")
    expect(row).to_contain_text("Active")
    screenshot(page, "6-types")

    response = page.goto(f"{base_url}/coach/strategy")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", name="Strategy call")).to_be_visible()
    expect(page.locator("a.slot").first).to_be_visible()
    screenshot(page, "7-public-page")


def test_host_reconnects_from_the_banner_and_the_parked_booking_lands(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    env = booking_env
    booking_id, token, checkout_url = env.confirmed_booking("session")
    env.google.control("POST", "grants/revoke-all")
    env.google.control("POST", "tokens/expire")
    env.pay(checkout_url)
    job = wait_for(lambda: env.parked_job(booking_id, CREATE_EVENT), what="the calendar job parked")
    assert job.park_code == "needs_reauth"
    assert env.booking(booking_id, token)["status"] == "paid"
    assert env.calendar_events() == []

    log_in_through_the_form(page, env.url)
    banner = page.locator("#reauth-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Google Calendar needs to be reconnected.")
    expect(page.locator("#connection-status")).to_contain_text("Needs re-authorization")
    expect(page.locator("#parked-banner")).to_contain_text("1 job waiting for you.")
    screenshot(page, "1-reauth-banner")

    banner.get_by_role("button", name="Reconnect Google Calendar").click()
    approve_on_consent_page(page, env.google.base_url, screenshot, "2-consent")

    expect(page).to_have_url(f"{env.url}/dashboard")
    account = env.google.config.account_email
    expect(page.get_by_role("status")).to_have_text(f"Google Calendar connected as {account}.")
    expect(page.locator("#reauth-banner")).to_have_count(0)
    expect(page.locator("#connection-status")).to_contain_text(f"Connected as {account}")

    expected_id = event_id_for(uuid.UUID(booking_id))
    events = wait_for(
        lambda: [e for e in env.calendar_events() if e["id"] == expected_id],
        what="the parked booking's event on the sandbox calendar",
    )
    assert [event["summary"] for event in events] == ["Coaching session with Lena Lead"]
    env.wait_status(booking_id, token, "scheduled")
    # Once the job has run, nothing is waiting for the host any more.
    wait_for(lambda: env.parked_job(booking_id, CREATE_EVENT) is None, what="no parked job left")
    page.reload()
    expect(page.locator("#reauth-banner")).to_have_count(0)
    expect(page.locator("#parked-banner")).to_have_count(0)
    screenshot(page, "3-reconnected")
