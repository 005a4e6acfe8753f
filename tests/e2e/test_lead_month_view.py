"""A lead books through the month view in Chromium, by keyboard and by mouse, desktop and phone.

Screenshots of every step land in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DESKTOP, EXPECT_TIMEOUT_MS, PHONE, Screenshot
from tests.support.booking_env import BookingEnv

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
RGB = re.compile(r"rgba?\((\d+), (\d+), (\d+)")
FOCUS_COLOURS = """() => {
  const el = document.activeElement;
  let node = el.parentElement, background = "rgb(255, 255, 255)";
  while (node) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && colour !== "rgba(0, 0, 0, 0)" && colour !== "transparent") {
      background = colour; break;
    }
    node = node.parentElement;
  }
  const style = getComputedStyle(el);
  return [style.outlineStyle, parseFloat(style.outlineWidth), style.outlineColor, background];
}"""


def luminance(colour: str) -> float:
    match = RGB.match(colour)
    assert match is not None, colour
    channels = []
    for value in (int(part) / 255 for part in match.groups()):
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def assert_visible_focus_ring(page: Page) -> None:
    """The focused element has a solid ring of 3:1 contrast or more against what is around it."""
    style, width, ring, background = page.evaluate(FOCUS_COLOURS)
    assert style == "solid" and width >= 2, (style, width)
    light, dark = sorted((luminance(ring), luminance(background)), reverse=True)
    ratio = (light + 0.05) / (dark + 0.05)
    assert ratio >= 3, (ring, background, ratio)


def tab_to(page: Page, selector: str, limit: int = 300) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def settled(page: Page) -> None:
    """The page shows the browser's zone (its script reloaded it) and its 12-hour clock."""
    expect(page).to_have_url(re.compile(r"tz=America%2FNew_York"))
    expect(page.locator("#clock-12")).to_have_attribute("aria-current", "true")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_lead_books_through_the_month_view_by_keyboard(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    page.goto(f"{booking_env.url}/coach/intro")
    settled(page)
    tab_to(page, "#later")
    assert_visible_focus_ring(page)
    page.keyboard.press("Enter")
    expect(page.locator("#earlier")).to_be_visible()
    tab_to(page, "a.day-link:not(.selected)")
    assert_visible_focus_ring(page)
    day = date.fromisoformat(page.evaluate("document.activeElement.dataset.day"))
    screenshot(page, "1-day-focused")
    page.keyboard.press("Enter")

    heading = f"{day:%A} {day.day} {day:%B %Y}"
    expect(page.locator("#times-heading")).to_have_text(heading)
    expect(page.locator(f'a.day-link[data-day="{day.isoformat()}"]')).to_have_attribute(
        "aria-current", "true"
    )
    tab_to(page, "a.slot")
    assert_visible_focus_ring(page)
    expect(page.locator(":focus")).to_have_text(re.compile(r"^\d{1,2}:\d\d [AP]M"))
    screenshot(page, "2-time-focused")
    page.keyboard.press("Enter")

    expect(page.locator("#picked")).to_contain_text(f"{day:%A} {day.day} {day:%B %Y}")
    tab_to(page, "#name")
    page.keyboard.type("Kim Keyboard")
    tab_to(page, "#email")
    page.keyboard.type("kim@example.com")
    tab_to(page, "#continue")
    assert_visible_focus_ring(page)
    screenshot(page, "3-details")
    page.keyboard.press("Enter")

    expect(page.locator("#summary")).to_contain_text("You are booking Intro call")
    expect(page.locator("#hold-until")).to_contain_text(re.compile(r"[AP]M E[SD]T, \w{3} \d"))
    tab_to(page, "#confirm")
    assert_visible_focus_ring(page)
    screenshot(page, "4-review")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/bookings/[0-9a-f-]+\?token="))
    expect(page.locator("#status-title")).to_have_text(
        "Added to Coach's calendar", timeout=EXPECT_TIMEOUT_MS
    )
    screenshot(page, "5-booked")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_lead_books_and_pays_through_the_month_view_by_mouse(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    page.goto(f"{booking_env.url}/coach/session")
    settled(page)
    screenshot(page, "1-this-month")
    page.locator("#later").click()
    expect(page.locator("#earlier")).to_be_visible()
    first = date.fromisoformat(page.locator("a.day-link").first.get_attribute("data-day") or "")
    day = first + timedelta(days=2)
    page.locator(f'a.day-link[data-day="{day.isoformat()}"]').click()
    expect(page.locator("#times-heading")).to_have_text(f"{day:%A} {day.day} {day:%B %Y}")
    # 08:00-20:00 in Paris is 02:00-14:00 in New York (winter) or 02:00-14:00 (summer).
    expect(page.locator("a.slot").first).to_contain_text("2:00 AM")
    # Nothing sticks out sideways, on a phone included.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "2-day-picked")
    page.locator("a.slot").nth(6).click()

    page.get_by_label("Name").fill("Mo Mouse")
    page.get_by_label("E-mail", exact=True).fill("mo@example.com")
    screenshot(page, "3-details")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("#summary")).to_contain_text("5:00 AM\u20136:00 AM")
    expect(page.locator("#summary")).to_contain_text(f"{day:%A} {day.day} {day:%B %Y}")
    screenshot(page, "4-review")
    page.get_by_role("button", name="Confirm and pay 90.00 EUR").click()

    expect(page).to_have_url(re.compile(re.escape(f"{booking_env.payments_url}/checkout/")))
    expect(page.locator("body")).to_contain_text(
        "Coaching session, 05:00 E"  # the checkout line, in the lead's zone
    )
    expect(page.locator("body")).to_contain_text("(America/New_York)")
    screenshot(page, "5-checkout")
    page.locator("#pay").click()
    expect(page.locator("#status-title")).to_have_text("Added to Coach's calendar")
    screenshot(page, "6-booked")


def test_the_zone_search_finds_a_city_by_name(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    page.goto(f"{booking_env.url}/coach/session")
    settled(page)
    search = page.get_by_label("Find your time zone")
    search.fill("tokyo")
    screenshot(page, "1-typed")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"tz=Asia%2FTokyo|tz=Asia/Tokyo"))
    expect(page.locator("#tz")).to_have_value("Asia/Tokyo")
    expect(page.locator("#tz option:checked")).to_have_text("Asia/Tokyo \u2014 Tokyo (GMT+9)")

    search = page.get_by_label("Find your time zone")
    search.fill("Atlantis")
    search.press("Enter")
    expect(page.locator("#tz-search-help")).to_contain_text("No time zone matches")
    expect(search).to_have_attribute("aria-invalid", "true")


def test_a_24_hour_locale_gets_a_24_hour_clock(booking_env: BookingEnv, browser: Browser) -> None:
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin", viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(f"{booking_env.url}/coach/intro", timeout=EXPECT_TIMEOUT_MS)
        expect(page).to_have_url(re.compile(r"tz=Europe%2FBerlin"), timeout=EXPECT_TIMEOUT_MS)
        expect(page.locator("#clock-24")).to_have_attribute("aria-current", "true")
        expect(page.locator("a.slot").first).to_have_text(re.compile(r"^\d\d:\d\d\u2013\d\d:\d\d"))
        page.locator("#clock-12").click()
        expect(page.locator("a.slot").first).to_have_text(re.compile(r"^\d{1,2}:\d\d [AP]M"))
    finally:
        context.close()
