"""A lead books and pays, reads the confirmation in the demo mailbox, follows its link and moves
the booking; the update mail carries the same event one ``SEQUENCE`` higher."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import icalendar
import pytest
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from leadscalendar.config import Settings
from leadscalendar.sandbox.mail import Mailbox, MailSink, create_mailbox_app
from tests.e2e.conftest import Screenshot
from tests.support.booking_env import BookingEnv, wait_for
from tests.support.live_server import free_port, live_server


@pytest.fixture
def mail_sink() -> Iterator[MailSink]:
    sink = MailSink(Mailbox(), "127.0.0.1", free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def mailbox_url(mail_sink: MailSink) -> Iterator[str]:
    with live_server(create_mailbox_app(mail_sink.mailbox)) as url:
        yield url


@pytest.fixture
def booking_settings(booking_settings: Settings, mail_sink: MailSink) -> Settings:
    return booking_settings.model_copy(update={"smtp_url": SecretStr(mail_sink.url)})


def open_mail(page: Page, mailbox_url: str, subject_start: str) -> None:
    wait_for(
        lambda: subject_start in httpx.get(mailbox_url, timeout=10).text,
        what=f"a mail '{subject_start}…' in the mailbox",
    )
    page.goto(mailbox_url)
    page.get_by_role("link", name=re.compile("^" + re.escape(subject_start))).click()


def invitation_sequence(page: Page) -> tuple[str, int]:
    href = page.locator("#attachments a").first.get_attribute("href")
    assert href
    data = page.request.get(page.url.split("/mail/")[0] + href).body()
    [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    return str(event["UID"]), int(event["SEQUENCE"])


def test_lead_follows_the_mailed_link_reschedules_and_gets_the_update(
    booking_env: BookingEnv, mailbox_url: str, page: Page, screenshot: Screenshot
) -> None:
    page.goto(f"{booking_env.url}/coach/session")
    expect(page.locator("#tz")).to_have_value("America/New_York")
    page.locator("a.slot").first.click()
    page.get_by_label("Name").fill("Lena Lead")
    page.get_by_label("E-mail", exact=True).fill("lena@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm and pay 90.00 EUR").click()
    page.locator("#pay").click()
    expect(page.locator("#status-title")).to_have_text("Added to Coach's calendar")

    open_mail(page, mailbox_url, "Confirmed:")
    expect(page.locator("pre")).to_contain_text("(America/New_York)")
    screenshot(page, "mail-1-confirmation")
    uid, first = invitation_sequence(page)
    manage = page.locator("#links a", has_text="/bookings/").first.get_attribute("href")
    assert manage and manage.startswith(booking_env.url)
    page.goto(manage)
    expect(page.locator("#status-title")).to_have_text("Added to Coach's calendar")

    page.locator("#reschedule").click()
    page.locator("button.slot").nth(3).click()
    expect(page.get_by_text("Your booking has been moved to the new time.")).to_be_visible()

    open_mail(page, mailbox_url, "Moved:")
    screenshot(page, "mail-2-update")
    assert invitation_sequence(page) == (uid, first + 1)
