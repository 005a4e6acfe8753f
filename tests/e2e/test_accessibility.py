"""axe-core finds no violation on any page a lead or a host sees; focus rings stand out.

Each test walks one audience's pages in Chromium, in the states people meet
(errors and confirmations included), and runs axe-core on each. The demo
mailbox and the sandboxes' pages are not the product and are left out.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from leadscalendar.bookings.booking_types import BookingTypeIn, create_booking_type
from leadscalendar.bookings.models import Booking, CalendarChange
from leadscalendar.db.session import unit_of_work
from leadscalendar.webhooks_out import service as webhooks
from leadscalendar.webhooks_out.models import EventType
from leadscalendar.webhooks_out.schemas import EndpointIn
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_host_browser import log_in_through_the_form
from tests.e2e.test_lead_month_view import assert_visible_focus_ring, tab_to
from tests.support.api_env import create_key
from tests.support.app_env import HOST_EMAIL
from tests.support.booking_env import BookingEnv
from tests.support.dashboard import host_by_slug

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


def _moved_in_google(env: BookingEnv, booking_id: uuid.UUID) -> None:
    """The host moved the booking's event in Google and has not decided yet."""
    with unit_of_work(env.services.session_factory) as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        booking.calendar_change = CalendarChange.MOVED
        booking.calendar_change_start = booking.start_at + timedelta(hours=1)
        booking.calendar_change_end = booking.end_at + timedelta(hours=1)


def visit(page: Page, url: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, (url, response)
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_lead_page_passes_axe(booking_env: BookingEnv, page: Page) -> None:
    env = booking_env
    visit(page, f"{env.url}/coach")
    visit(page, f"{env.url}/embed/coach")
    visit(page, f"{env.url}/embed/coach/session?tz=America/New_York")
    visit(page, f"{env.url}/coach/no-such-type", 404)
    visit(page, f"{env.url}/nobody-here", 404)

    page.goto(f"{env.url}/coach/session")
    expect(page).to_have_url(re.compile(r"tz=America%2FNew_York"))
    assert_accessible(page)
    page.locator("#later").click()
    expect(page.locator("#earlier")).to_be_visible()
    assert_accessible(page)

    # Someone else takes the time while this lead types: the "slot taken" page.
    page.locator("a.slot").first.click()
    expect(page.get_by_label("Name")).to_be_visible()
    assert_accessible(page)
    start = page.locator('input[name="start"]').get_attribute("value") or ""
    assert env.hold("session", start).status_code == 201
    page.get_by_label("Name").fill("Lena Lead")
    page.get_by_label("E-mail", exact=True).fill("lena@example.com")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="That time was just taken")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{env.url}/coach/session")
    page.locator("a.slot").nth(2).click()
    page.get_by_label("Name").fill("Lena Lead")
    page.get_by_label("E-mail", exact=True).fill("lena@example.com")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Review and confirm")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Confirm and pay")).click()
    page.locator("#pay").click()  # the payments sandbox's page (not ours: not checked)
    expect(page.locator("#status-title")).to_have_text("Added to Coach's calendar")
    assert_accessible(page)

    booking_id = page.url.split("/bookings/")[1].split("?")[0]
    token = re.search(r"token=([^&]+)", page.url)
    assert token is not None
    visit(page, f"{env.url}/bookings/{booking_id}/reschedule?token={token[1]}")
    visit(page, f"{env.url}/bookings/{booking_id}/cancel?token={token[1]}")
    visit(page, f"{env.url}/bookings/{booking_id}?token=forged", 403)


def test_every_signed_out_host_page_passes_axe(booking_env: BookingEnv, page: Page) -> None:
    env = booking_env
    visit(page, f"{env.url}/login")
    page.get_by_label("E-mail").fill(HOST_EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)
    visit(page, f"{env.url}/signup")
    page.get_by_label("Your name").fill("Nia Newcomer")
    page.get_by_label("E-mail").fill("nia@example.com")
    page.get_by_label("Password (at least 10 characters)").fill("a long enough passphrase")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    assert_accessible(page)
    visit(page, f"{env.url}/forgot-password")
    page.get_by_label("E-mail").fill("nobody@example.com")
    page.locator("main").get_by_role("button").click()
    assert_accessible(page)
    visit(page, f"{env.url}/reset-password?token=forged", 400)
    visit(page, f"{env.url}/verify-email?token=forged", 400)


def test_every_dashboard_page_passes_axe(booking_env: BookingEnv, page: Page) -> None:
    env = booking_env
    host_id = host_by_slug(env.services).id
    with unit_of_work(env.services.session_factory) as session:
        create_booking_type(
            session,
            host_id,
            BookingTypeIn(
                slug="vetted", title="Vetted call", duration_minutes=30, requires_approval=True
            ),
        )
        # The app answers 404 there: the delivery log gets a refused attempt to show.
        hook = webhooks.create_endpoint(
            session,
            env.services.cipher,
            env.services.settings,
            host_id,
            EndpointIn(url=f"{env.url}/no-receiver-here", event_types=list(EventType)),
        ).endpoint
    booking_id, token, checkout_url = env.confirmed_booking("session")
    env.pay(checkout_url)
    env.wait_status(booking_id, token, "scheduled")
    held = env.hold("vetted", env.first_slot("vetted")).json()
    env.lead.post(f"/api/v1/public/bookings/{held['id']}/confirm", params={"token": held["token"]})
    create_key(env.services, HOST_EMAIL, "crm")
    _moved_in_google(env, uuid.UUID(booking_id))  # the dashboard's and the booking's banners

    log_in_through_the_form(page, env.url)
    expect(page.locator("#calendar-changes-banner")).to_be_visible()
    assert_accessible(page)
    tab_to(page, "#main-content a, main a, main button")
    assert_visible_focus_ring(page)
    base = f"{env.url}/dashboard"
    for path in (
        "/bookings",
        f"/bookings/{booking_id}",
        f"/bookings/{booking_id}/cancel",
        f"/bookings/{held['id']}",
        f"/bookings/{held['id']}/decline",
        "/types",
        "/types/new",
        "/hours",
        "/operations",
        "/account",
        "/account/delete",
        "/google/calendar",
        "/google/disconnect",
        "/webhooks",
        f"/webhooks/{hook.id}",
    ):
        visit(page, base + path)
    page.goto(f"{base}/types")
    page.locator("#types tbody a").first.click()
    expect(page.get_by_label("Title")).to_be_visible()
    assert_accessible(page)
    page.goto(base)
    page.get_by_role("link", name="Revoke…").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_accessible(page)
    # A confirmation after an action: the notice and the page around it.
    page.get_by_role("dialog").get_by_role("button", name="Revoke the key").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base}/hours")
    page.locator("main").get_by_role("button", name=re.compile("^Save")).first.click()
    assert_accessible(page)
