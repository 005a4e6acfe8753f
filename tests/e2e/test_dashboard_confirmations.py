"""Every action a host cannot take back asks first, in a dialog, and says what it will do."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from leadscalendar.bookings.booking_types import BookingTypeIn, create_booking_type
from leadscalendar.db.session import unit_of_work
from tests.e2e.conftest import DESKTOP, PHONE, Screenshot
from tests.e2e.test_host_browser import log_in_through_the_form
from tests.support.api_env import create_key
from tests.support.app_env import HOST_EMAIL
from tests.support.booking_env import BookingEnv
from tests.support.dashboard import host_by_slug

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


def lead_status(env: BookingEnv, booking_id: str, token: str) -> str:
    page = env.lead.get(f"/bookings/{booking_id}", params={"token": token})
    assert page.status_code == 200, page.text
    return page.text


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_cancel_and_refund_asks_first_and_sends_the_message(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    env = booking_env
    booking_id, token, checkout_url = env.confirmed_booking("session")
    env.pay(checkout_url)
    env.wait_status(booking_id, token, "scheduled")
    log_in_through_the_form(page, env.url)
    page.goto(f"{env.url}/dashboard/bookings/{booking_id}")

    page.get_by_role("link", name="Cancel and refund in full…").click()
    dialog = page.get_by_role("dialog", name="Cancel the booking of Lena Lead?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("90.00 EUR is refunded in full to Lena Lead.")
    expect(dialog).to_contain_text("The event is removed from your Google Calendar.")
    screenshot(page, "1-dialog")
    dialog.get_by_role("link", name="Keep the booking").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#booking-status")).to_contain_text("scheduled")

    page.get_by_role("link", name="Cancel and refund in full…").click()
    dialog.get_by_label("Message to Lena Lead (optional)").fill("I am ill; sorry for this.")
    dialog.get_by_role("button", name="Cancel and refund").click()
    expect(page.get_by_role("status")).to_have_text(
        "Booking cancelled; any payment is refunded in full."
    )
    expect(page.locator("#booking-status")).to_contain_text("cancelled")
    screenshot(page, "2-cancelled")
    assert "Message from the host: I am ill; sorry for this." in lead_status(env, booking_id, token)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_decline_asks_first_and_sends_the_message(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    env = booking_env
    with unit_of_work(env.services.session_factory) as session:
        create_booking_type(
            session,
            host_by_slug(env.services).id,
            BookingTypeIn(
                slug="vetted", title="Vetted call", duration_minutes=30, requires_approval=True
            ),
        )
    held = env.hold("vetted", env.first_slot("vetted")).json()
    confirmed = env.lead.post(
        f"/api/v1/public/bookings/{held['id']}/confirm", params={"token": held["token"]}
    )
    assert confirmed.json()["status"] == "awaiting_approval"
    log_in_through_the_form(page, env.url)
    page.goto(f"{env.url}/dashboard/bookings/{held['id']}")

    page.get_by_role("link", name="Decline and refund…").click()
    dialog = page.get_by_role("dialog", name="Decline the booking of Lena Lead?")
    expect(dialog).to_contain_text("Nothing has been paid, so there is nothing to refund.")
    screenshot(page, "1-dialog")
    dialog.get_by_label("Message to Lena Lead (optional)").fill("Fully booked that week.")
    dialog.get_by_role("button", name="Decline the booking").click()
    expect(page.get_by_role("status")).to_have_text(
        "Booking declined; any payment is refunded in full."
    )
    screenshot(page, "2-declined")
    status = lead_status(env, held["id"], held["token"])
    assert "Message from the host: Fully booked that week." in status


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_disconnecting_google_asks_first_naming_the_bookings(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    env = booking_env
    assert env.hold("intro", env.first_slot("intro")).status_code == 201
    log_in_through_the_form(page, env.url)

    page.get_by_role("link", name="Disconnect…").click()
    dialog = page.get_by_role("dialog", name="Disconnect Google Calendar?")
    expect(dialog).to_contain_text("1 upcoming booking is affected")
    expect(dialog).to_contain_text("Leads cannot book you until you connect a calendar again.")
    screenshot(page, "1-dialog")
    dialog.get_by_role("link", name="Stay connected").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#connection-status")).to_contain_text("Connected")

    page.get_by_role("link", name="Disconnect…").click()
    dialog.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_role("status")).to_contain_text("Google Calendar disconnected")
    expect(page.locator("#connection-status")).to_contain_text("Not connected")
    screenshot(page, "2-disconnected")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_revoking_an_api_key_asks_first(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    secret = create_key(booking_env.services, HOST_EMAIL, "crm")
    log_in_through_the_form(page, booking_env.url)

    page.get_by_role("link", name="Revoke…").click()
    dialog = page.get_by_role("dialog", name="Revoke the API key “crm”?")
    expect(dialog).to_contain_text(f"Every program using the key {secret[:8]}…")
    screenshot(page, "1-dialog")
    dialog.get_by_role("button", name="Revoke the key").click()
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"API key “crm” revoked; requests with it are now refused\.")
    )
    expect(page.locator("tr.api-key.revoked")).to_have_count(1)
    screenshot(page, "2-revoked")
