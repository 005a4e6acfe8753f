"""A newcomer signs up in Chromium, reads the confirmation in the demo mailbox, follows its
link, logs in and lands on the dashboard without the "confirm your address" banner; on a
desktop and on a phone screen."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from leadscalendar.config import Settings
from leadscalendar.google.tokens import generate_key
from leadscalendar.runtime import run_worker_process
from leadscalendar.sandbox.mail import Mailbox, MailSink, create_mailbox_app
from leadscalendar.services import build_services
from leadscalendar.web.app import create_app
from tests.e2e.conftest import DESKTOP, PHONE, Screenshot
from tests.support.booking_env import wait_for
from tests.support.live_server import free_port, live_server

PASSWORD = "a long enough passphrase"


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
def app_url(database_url: str, tmp_path: Path, mail_sink: MailSink) -> Iterator[str]:
    """The app and its worker, mailing to the demo mailbox, at its public URL."""
    port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url=f"http://127.0.0.1:{port}",
        token_keys=[generate_key()],
        secret_key="test-secret-key-0123456789abcdef",
        smtp_url=SecretStr(mail_sink.url),
        jobs_poll_interval_seconds=0.1,
    )
    services = build_services(settings)
    stop = threading.Event()
    worker = threading.Thread(
        target=run_worker_process,
        args=(services,),
        kwargs={"concurrency": 1, "stop_event": stop},
        daemon=True,
    )
    worker.start()
    try:
        with live_server(create_app(settings, services), port=port) as url:
            yield url
    finally:
        stop.set()
        worker.join(timeout=15)
        services.engine.dispose()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_newcomer_signs_up_confirms_the_address_from_the_mailbox_and_reaches_the_dashboard(
    app_url: str, mailbox_url: str, page: Page, screenshot: Screenshot, viewport: dict[str, int]
) -> None:
    page.goto(f"{app_url}/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_role("link", name="Sign up").click()
    page.wait_for_load_state()
    page.get_by_label("Your name").fill("Lena Müller")
    expect(page.get_by_label("Your page address")).to_have_value("lena-muller")
    # The browser's zone (the page fixture runs Chromium in New York) is preselected.
    expect(page.get_by_label("Your time zone")).to_have_value("America/New_York")
    page.get_by_label("E-mail").fill("lena@example.com")
    page.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    screenshot(page, "1-signup")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    screenshot(page, "2-check-inbox")

    wait_for(
        lambda: "Confirm your e-mail" in httpx.get(mailbox_url, timeout=10).text,
        what="the confirmation mail in the mailbox",
    )
    page.goto(mailbox_url)
    page.get_by_role("link", name=re.compile("^Confirm your e-mail")).click()
    screenshot(page, "3-mail")
    link = page.locator("#links a", has_text="/verify-email").first.get_attribute("href")
    assert link and link.startswith(f"{app_url}/verify-email?token=")
    page.goto(link)
    expect(page.get_by_role("heading", name="E-mail confirmed")).to_be_visible()
    page.get_by_role("link", name="Set up your booking page").click()

    page.get_by_label("E-mail").fill("lena@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # A new host lands on the setup checklist, and can leave it for the dashboard.
    expect(page).to_have_url(f"{app_url}/dashboard/setup")
    expect(page.locator("#setup-progress")).to_have_text("0 of 6 steps done")
    screenshot(page, "4-setup")
    page.locator("#setup-to-dashboard").click()
    expect(page).to_have_url(f"{app_url}/dashboard")
    expect(page.locator("#verify-banner")).to_have_count(0)
    expect(page.get_by_text("lena@example.com")).to_be_visible()
    screenshot(page, "4-dashboard")

    page.get_by_role("link", name="Account").click()
    expect(page.locator("#email-form")).to_be_visible()
    screenshot(page, "5-account")
    page.locator("#delete-account-link").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    expect(page.locator("#delete-confirm")).to_be_visible()
    screenshot(page, "6-delete")
