"""A host asks intake questions and subscribes a webhook; a lead from a campaign link books.

The lead's answers and where they came from must then reach everything the
host uses: the dashboard's booking page, the Google Calendar event, the
signed webhook delivered to a real receiver on loopback, and the CSV export.
"""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from standardwebhooks.webhooks import Webhook

from leadscalendar.google.events import event_id_for
from tests.e2e.conftest import Screenshot
from tests.e2e.test_host_browser import log_in_through_the_form
from tests.support.booking_env import BookingEnv, wait_for
from tests.support.webhook_receiver import RunningReceiver

# (label, kind, choices, required) as the host types them on the question form.
QUESTIONS: list[tuple[str, str, str, bool]] = [
    ("What do you want to work on?", "Short text", "", True),
    ("How did you find us?", "Single choice", "Podcast\nA friend\nSearch", True),
    ("Recording the session is fine", "Checkbox", "", False),
    ("Mobile number", "Phone number", "", True),
]
ANSWERS = {
    "What do you want to work on?": "Pricing <b>& positioning</b>",
    "How did you find us?": "A friend",
    "Recording the session is fine": "Yes",
    "Mobile number": "+442079460958",
}
SOURCE = {"utm_source": "newsletter", "utm_campaign": "spring-launch", "ref": "partner-42"}
REFERRER = "https://blog.example.org"


def _add_question(page: Page, label: str, kind: str, choices: str, required: bool) -> None:
    page.get_by_role("link", name="Add a question").click()
    page.get_by_label("Question", exact=True).fill(label)
    page.get_by_label("Kind of answer").select_option(label=kind)
    if choices:
        page.get_by_label("Choices").fill(choices)
    if required:
        page.get_by_label("Required: the lead must answer").check()
    page.get_by_role("button", name="Add question").click()
    expect(page.get_by_role("status")).to_have_text(f"Question “{label}” added.")


def _host_sets_up(page: Page, env: BookingEnv, receiver: RunningReceiver) -> None:
    """Questions and the answers-in-event option on the paid type; one webhook endpoint."""
    log_in_through_the_form(page, env.url)
    page.goto(f"{env.url}/dashboard/types")
    page.locator("#types tbody a", has_text="Coaching session").click()
    for question in QUESTIONS:
        _add_question(page, *question)
    expect(page.locator("#question-list .question-label")).to_have_text(
        [label for label, *_ in QUESTIONS]
    )
    page.get_by_label("Put the lead's answers in the Google Calendar event's description").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Booking type “Coaching session” saved.")

    page.goto(f"{env.url}/dashboard/webhooks")
    page.get_by_label("URL").fill(f"{receiver.url}/hooks/crm")
    page.get_by_label("Description (optional)").fill("Our CRM")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("heading", name="Endpoint added")).to_be_visible()
    receiver.store.secret = page.locator("#webhook-secret").inner_text().strip()
    assert receiver.store.secret.startswith("whsec_")


def _lead_books_and_pays(page: Page, env: BookingEnv, screenshot: Screenshot) -> uuid.UUID:
    page.goto(
        f"{env.url}/coach/session?" + "&".join(f"{k}={v}" for k, v in SOURCE.items()),
        referer=f"{REFERRER}/2026/11/my-favourite-coaches?q=private",
    )
    expect(page).to_have_url(re.compile(r"tz=America%2FNew_York"))
    page.locator("a.slot").first.click()
    page.get_by_label("Name").fill("Lena Lead")
    page.get_by_label("E-mail", exact=True).fill("lena@example.com")
    page.get_by_label("What do you want to work on?").fill(ANSWERS["What do you want to work on?"])
    page.get_by_role("group", name="How did you find us?").get_by_label("A friend").check()
    page.get_by_label("Recording the session is fine").check()
    page.get_by_label("Mobile number").fill("+44 20 7946 0958")
    screenshot(page, "1-questions")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("#summary")).to_contain_text("You are booking Coaching session")
    booking_id = uuid.UUID(urlsplit(page.url).path.split("/")[2])
    page.get_by_role("button", name=re.compile("^Confirm and pay")).click()
    expect(page).to_have_url(re.compile(re.escape(f"{env.payments_url}/checkout/")))
    page.locator("#pay").click()
    expect(page.locator("#status-title")).to_have_text("Added to Coach's calendar")
    return booking_id


def _assert_answers(text: str) -> None:
    for label, answer in ANSWERS.items():
        assert f"{label}: {answer}" in text, (label, text)


def _received_events(receiver: RunningReceiver, booking_id: uuid.UUID) -> list[dict[str, Any]]:
    def both() -> list[dict[str, Any]] | None:
        events = [item.json() for item in receiver.store.all()]
        mine = [event for event in events if event["data"]["id"] == str(booking_id)]
        return mine if len(mine) >= 2 else None

    return wait_for(both, what="booking.paid and booking.scheduled at the receiver")


# Before booking_env seeds the host: logging in is not what this test is about.
@pytest.mark.usefixtures("cheap_password_hashing")
def test_intake_answers_and_source_reach_dashboard_event_webhook_and_csv(
    booking_env: BookingEnv,
    webhook_receiver: RunningReceiver,
    page: Page,
    screenshot: Screenshot,
) -> None:
    env = booking_env
    _host_sets_up(page, env, webhook_receiver)
    booking_id = _lead_books_and_pays(page, env, screenshot)

    # The dashboard's booking page.
    page.goto(f"{env.url}/dashboard/bookings/{booking_id}")
    answers = page.locator("#booking-answers")
    for label, answer in ANSWERS.items():
        expect(answers).to_contain_text(f"{label}{answer}")
    source = page.locator("#booking-source")
    for name, value in {**SOURCE, "referrer": REFERRER}.items():
        expect(source).to_contain_text(f"{name} {value}")
    screenshot(page, "2-dashboard-booking")

    # The Google event: answers in the description, escaped for Google's HTML rendering.
    (event,) = env.calendar_events()
    assert event["id"] == event_id_for(booking_id)
    description = event["description"]
    assert "Answers:" in description
    _assert_answers(html.unescape(description))
    assert "<b>" not in description, "the lead's markup must be escaped"

    # The webhook: signed (the library's own check), in order, with answers and source.
    events = _received_events(webhook_receiver, booking_id)
    assert [event["type"] for event in events] == ["booking.paid", "booking.scheduled"]
    secret = str(webhook_receiver.store.secret)
    for item in webhook_receiver.store.all():
        assert item.verified, item.problem
        Webhook(secret).verify(item.body, item.headers)
    data = events[-1]["data"]
    assert {a["label"]: a["value"] for a in data["answers"]} == {
        **ANSWERS,
        "Recording the session is fine": True,
    }
    assert data["source"] == {**SOURCE, "referrer": REFERRER}

    # The CSV, downloaded from the dashboard's bookings list.
    page.goto(f"{env.url}/dashboard/bookings")
    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    text = download_info.value.path().read_text(encoding="utf-8-sig")
    (row,) = [r for r in csv.DictReader(io.StringIO(text)) if r["booking_id"] == str(booking_id)]
    _assert_answers(row["answers"])
    assert {name: row[name] for name in SOURCE} == SOURCE
    assert row["referrer"] == REFERRER
