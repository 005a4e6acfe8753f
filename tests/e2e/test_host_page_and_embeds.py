"""A lead books from the host page and from the embeds on a plain page of another site."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.e2e.conftest import DESKTOP, PHONE, Screenshot
from tests.support.booking_env import BookingEnv
from tests.support.live_server import live_server

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


def plain_site(snippet: str) -> Starlette:
    """Someone's website: one static page with a snippet pasted in, nothing else."""
    body = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Coach's site</title></head><body>"
        f"<h1>Welcome to my site</h1>{snippet}<footer id='footer'>Footer</footer></body></html>"
    )

    async def home(_request: Request) -> HTMLResponse:
        return HTMLResponse(body)

    return Starlette(routes=[Route("/", home)])


@pytest.fixture
def site_with(booking_env: BookingEnv) -> Iterator[dict[str, str]]:
    """Base URLs of two plain sites on another origin: one inline widget, one popup button."""
    base = booking_env.url
    script = f'<script src="{base}/static/embed.js" async></script>'
    inline = f'<div data-leadscalendar-inline="{base}/embed/coach/session"></div>{script}'
    popup = (
        f'<button type="button" data-leadscalendar-popup="{base}/embed/coach">'
        f"Book a time</button>{script}"
    )
    with live_server(plain_site(inline)) as inline_url, live_server(plain_site(popup)) as popup_url:
        # "localhost", not 127.0.0.1: another site than the app's, as on the web.
        yield {
            "inline": inline_url.replace("127.0.0.1", "localhost"),
            "popup": popup_url.replace("127.0.0.1", "localhost"),
        }


def finish_booking(page: Page, env: BookingEnv, screenshot: Screenshot, step: str) -> None:
    """From the details form, at the top window: details, review, pay, booked."""
    expect(page).to_have_url(re.compile(re.escape(f"{env.url}/coach/session/book?")))
    page.get_by_label("Name").fill("Lena Lead")
    page.get_by_label("E-mail", exact=True).fill("lena@example.com")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#summary")).to_contain_text("You are booking Coaching session")
    page.get_by_role("button", name="Confirm and pay 90.00 EUR").click()
    # Checkout opens in the top window, never in a frame (Stripe refuses to be framed).
    expect(page).to_have_url(re.compile(re.escape(f"{env.payments_url}/checkout/")))
    page.locator("#pay").click()
    expect(page.locator("#status-title")).to_have_text("Added to Coach's calendar")
    screenshot(page, step)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_lead_books_from_the_host_page(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    page.goto(f"{booking_env.url}/coach")
    expect(page.get_by_role("heading", name="Coach")).to_be_visible()
    types = page.locator("#booking-types a.type-link")
    expect(types).to_have_count(2)
    assert sorted(types.all_inner_texts()) == ["Coaching session", "Intro call"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "1-host-page")
    page.get_by_role("link", name="Coaching session").click()
    expect(page.get_by_role("heading", name="Coaching session")).to_be_visible()
    page.locator("a.slot").first.click()
    finish_booking(page, booking_env, screenshot, "2-booked")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_lead_books_from_an_inline_embed_on_another_site(
    booking_env: BookingEnv, site_with: dict[str, str], page: Page, screenshot: Screenshot
) -> None:
    page.goto(site_with["inline"])
    iframe = page.locator("iframe[data-leadscalendar-frame]")
    frame = page.frame_locator("iframe[data-leadscalendar-frame]")
    expect(frame.get_by_role("heading", name="Coaching session")).to_be_visible()
    expect(frame.locator("a.slot").first).to_be_visible()
    # The frame grows to its content: no scroll bar inside, the site's footer below it.
    page.wait_for_function(
        "() => document.querySelector('iframe[data-leadscalendar-frame]').offsetHeight > 400"
    )
    height = iframe.evaluate("f => f.offsetHeight")
    content = iframe.evaluate("f => f.contentDocument ? 0 : -1")
    assert content == -1, "another origin's document is out of the site's reach"
    assert height > 400
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "1-inline-widget")

    # Another week stays in the frame; picking a slot continues at the top.
    frame.locator("#later").click()
    expect(frame.locator("a.slot").first).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(site_with["inline"])))
    frame.locator("a.slot").first.click()
    finish_booking(page, booking_env, screenshot, "2-booked")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_lead_books_from_a_popup_button_on_another_site(
    booking_env: BookingEnv, site_with: dict[str, str], page: Page, screenshot: Screenshot
) -> None:
    page.goto(site_with["popup"])
    button = page.get_by_role("button", name="Book a time")
    button.click()
    dialog = page.get_by_role("dialog", name="Book a time")
    expect(dialog).to_be_visible()
    frame = page.frame_locator("[data-leadscalendar-popup-overlay] iframe")
    expect(frame.get_by_role("heading", name="Coach")).to_be_visible()
    screenshot(page, "1-popup")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    button.click()
    frame.get_by_role("link", name="Coaching session").click()
    # A booking type opens at the top, on the app's own (unframable) page.
    expect(page).to_have_url(re.compile(re.escape(f"{booking_env.url}/coach/session") + r"(\?|$)"))
    page.locator("a.slot").first.click()
    finish_booking(page, booking_env, screenshot, "2-booked")


def test_a_framed_booking_page_refuses_a_forged_height(
    booking_env: BookingEnv, site_with: dict[str, str], page: Page
) -> None:
    page.goto(site_with["inline"])
    iframe = page.locator("iframe[data-leadscalendar-frame]")
    page.wait_for_function(
        "() => document.querySelector('iframe[data-leadscalendar-frame]').offsetHeight > 400"
    )
    before = iframe.evaluate("f => f.offsetHeight")
    # A message from the site itself (not the app's origin) is ignored.
    page.evaluate("window.postMessage({type: 'leadscalendar:height', height: 5}, '*')")
    page.wait_for_timeout(300)
    assert iframe.evaluate("f => f.offsetHeight") == before
