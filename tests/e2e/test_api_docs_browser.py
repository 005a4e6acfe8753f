"""The API reference at /docs works in Chromium with nothing but the app's own files."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e.conftest import Screenshot
from tests.support.booking_env import BookingEnv


def test_the_api_reference_renders_the_api_from_the_apps_own_files(
    booking_env: BookingEnv, page: Page, screenshot: Screenshot
) -> None:
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", console)
    page.goto(f"{booking_env.url}/docs")

    expect(page.get_by_role("heading", name="LeadsCalendar API")).to_be_visible()
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/bookings").first
    expect(operation).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/dashboard")).to_have_count(0)
    screenshot(page, "api-reference")
    # Opening an operation shows its schema: the document loaded and the UI runs.
    operation.click()
    expect(page.locator(".opblock-body").first).to_be_visible()

    assert requested and all(url.startswith(booking_env.url) for url in requested), requested
    assert errors == []
