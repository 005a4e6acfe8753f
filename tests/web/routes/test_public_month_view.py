"""The booking and reschedule pages' month view over real HTTP, as a browser without JavaScript.

Days with free times are links, the picked day lists its times, the clock
follows the lead, the hold's end and the checkout line are in the lead's zone,
approval types say what happens before the lead pays, and the reschedule page
offers exactly the times the reschedule API accepts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from leadscalendar.accounts.models import Host
from leadscalendar.bookings import repository as bookings_repository
from leadscalendar.bookings.booking_types import BookingTypeIn, create_booking_type
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from tests.support.booking_env import BookingEnv
from tests.support.lead_pages import (
    confirm,
    form_fields,
    held_from,
    hidden_fields,
    slot_links,
    submit_details,
)

DAY_LINK = re.compile(r'<a class="day-link[^"]*" href="([^"]+)" data-day="([\d-]+)"')
DAY_OFF = re.compile(r'<span class="day-off">(\d+)<span class="visually-hidden"> ([^,<]+),')
SLOT_LABEL = re.compile(r'<a class="slot" href="[^"]+">([^<]+)<span')
RESCHEDULE_FORM = re.compile(
    r'<form method="post" action="/bookings/[^"]+/reschedule">.*?</form>', re.S
)
PARIS = ZoneInfo("Europe/Paris")


def next_month_of(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def paris_today() -> date:
    return utcnow().astimezone(PARIS).date()


def host_id(env: BookingEnv) -> Any:
    with env.services.session_factory() as session:
        host = session.scalar(select(Host))
        assert host is not None
        return host.id


def add_type(env: BookingEnv, **fields: Any) -> None:
    with unit_of_work(env.services.session_factory) as session:
        create_booking_type(session, host_id(env), BookingTypeIn(**fields))


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[object]:
    calls: list[object] = []
    original: Callable[..., Any] = getattr(owner, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def test_month_view_links_only_days_with_free_times_and_reads_the_calendar_once(
    booking_env: BookingEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    month = next_month_of(paris_today())
    closed = month + timedelta(days=9)
    with unit_of_work(booking_env.services.session_factory) as session:
        schedule = bookings_repository.get_schedule(session, host_id(booking_env))
        assert schedule is not None
        schedule.overrides = {closed.isoformat(): []}
    fetches = count_calls(monkeypatch, booking_env.services.busy, "read")

    page = booking_env.lead.get(
        "/coach/session", params={"tz": "Europe/Paris", "month": f"{month:%Y-%m}", "clock": "24"}
    )
    assert page.status_code == 200
    assert len(fetches) == 1, "one free/busy read for the whole month"
    linked = {date.fromisoformat(day) for _, day in DAY_LINK.findall(page.text)}
    days_in_month = (next_month_of(month) - month).days
    expected = {month + timedelta(days=n) for n in range(days_in_month)} - {closed}
    assert linked == expected
    off = [(int(number), label) for number, label in DAY_OFF.findall(page.text)]
    assert off == [(closed.day, f"{closed:%A} {closed.day} {closed:%B %Y}")]
    assert f'<h3 id="month-title" class="month-title">{month:%B %Y}</h3>' in page.text
    # No day asked for: the month's first free day is open, with its times.
    assert re.search(rf'data-day="{month.isoformat()}" aria-current="true"', page.text)
    assert SLOT_LABEL.findall(page.text)[0] == "08:00\u201309:00"
    assert 'id="earlier"' in page.text and 'id="later"' in page.text


def test_picking_a_day_shows_that_days_times_for_the_booking_form(
    booking_env: BookingEnv,
) -> None:
    month = next_month_of(paris_today())
    page = booking_env.lead.get(
        "/coach/intro", params={"tz": "Europe/Paris", "month": f"{month:%Y-%m}", "clock": "24"}
    )
    links = dict((day, html.unescape(url)) for url, day in DAY_LINK.findall(page.text))
    third = (month + timedelta(days=2)).isoformat()
    assert links[third].endswith("#times")
    picked = booking_env.lead.get(links[third].removesuffix("#times"))
    label = f"{month + timedelta(days=2):%A} {(month + timedelta(days=2)).day} {month:%B %Y}"
    assert f'<h3 id="times-heading">{label}</h3>' in picked.text
    slots = slot_links(picked.text)
    assert len(slots) == 24  # 08:00-20:00 Paris in 30-minute calls
    start = datetime.fromisoformat(parse_qs(urlsplit(slots[0]).query)["start"][0])
    assert start.astimezone(PARIS) == datetime.combine(
        date.fromisoformat(third), datetime.min.time().replace(hour=8), tzinfo=PARIS
    )
    assert all("clock=24" in slot for slot in slots)


@pytest.mark.parametrize(
    ("query", "accept_language", "first_label"),
    [
        ({"clock": "12"}, "de-DE", "8:00 AM\u20138:30 AM"),
        ({"clock": "24"}, "en-US", "08:00\u201308:30"),
        ({}, "en-US,en;q=0.9", "8:00 AM\u20138:30 AM"),
        ({}, "en-GB,en;q=0.9", "08:00\u201308:30"),
        ({}, "fr", "08:00\u201308:30"),
    ],
)
def test_times_follow_the_leads_clock_and_the_toggle(
    booking_env: BookingEnv, query: dict[str, str], accept_language: str, first_label: str
) -> None:
    month = next_month_of(paris_today())
    params = {"tz": "Europe/Paris", "month": f"{month:%Y-%m}", **query}
    page = booking_env.lead.get(
        "/coach/intro", params=params, headers={"Accept-Language": accept_language}
    )
    assert SLOT_LABEL.findall(page.text)[0] == first_label
    toggle = re.search(r'<p class="clock-toggle".*?</p>', page.text, re.S)
    assert toggle is not None
    current = "12-hour" if "AM" in first_label else "24-hour"
    if accept_language.startswith("de"):  # a German browser reads the German page
        current = current.replace("-hour", " Stunden")
    assert re.search(rf'aria-current="true">{current}</a>', toggle[0])
    twelve = html.unescape(re.search(r'href="([^"]+)" id="clock-12"', toggle[0])[1])  # type: ignore[index]
    assert "clock=12" in twelve and f"month={month:%Y-%m}" in twelve
    toggled = booking_env.lead.get(twelve.removesuffix("#clock"))
    assert SLOT_LABEL.findall(toggled.text)[0] == "8:00 AM\u20138:30 AM"


def test_the_zone_picker_names_places_readably(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get("/coach/session", params={"tz": "Asia/Kolkata"})
    assert '<option value="Asia/Kolkata" selected>Asia/Kolkata \u2014 Kolkata (GMT+5:30)' in (
        page.text
    )
    assert re.search(
        r'<option value="America/New_York">America/New_York \u2014 New York \(GMT-[45]\)',
        page.text,
    )
    assert '<option value="UTC">UTC \u2014 UTC (GMT)</option>' in page.text
    assert 'id="tz-search"' in page.text  # revealed by the page's script


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "soon", "9999-01", "1999-12"])
def test_a_month_that_is_not_one_gets_a_400_page(booking_env: BookingEnv, month: str) -> None:
    page = booking_env.lead.get("/coach/session", params={"month": month})
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "Traceback" not in page.text


def test_past_months_show_this_month(booking_env: BookingEnv) -> None:
    page = booking_env.lead.get("/coach/session", params={"tz": "Europe/Paris", "month": "2001-01"})
    assert page.status_code == 200
    today = paris_today()
    assert f'class="month-title">{today:%B %Y}</h3>' in page.text
    assert 'id="earlier"' not in page.text
    assert all(date.fromisoformat(day) >= today for _, day in DAY_LINK.findall(page.text))


def test_review_says_until_when_the_time_is_held_with_date_and_zone(
    booking_env: BookingEnv,
) -> None:
    client = booking_env.lead
    page = client.get("/coach/session", params={"tz": "America/New_York", "clock": "12"})
    form = client.get(slot_links(page.text)[0])
    held = held_from(submit_details(client, "session", form_fields(form.text)))
    booking = booking_env.booking(str(held.booking_id), held.token)
    until = datetime.fromisoformat(booking["hold_expires_at"]).astimezone(
        ZoneInfo("America/New_York")
    )
    hour = until.hour % 12 or 12
    expected = (
        f"{hour}:{until:%M} {'AM' if until.hour < 12 else 'PM'} {until.tzname()}, "
        f"{until:%a} {until.day} {until:%b %Y}"
    )
    assert f"held for you until <strong>{expected}</strong>" in held.review.text
    assert re.search(r"at <strong>\d{1,2}:\d\d [AP]M\u2013", held.review.text)


def test_checkout_shows_the_time_in_the_leads_zone(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    page = client.get("/coach/session", params={"tz": "America/New_York"})
    form = client.get(slot_links(page.text)[0])
    start = datetime.fromisoformat(hidden_fields(form.text)["start"])
    held = held_from(submit_details(client, "session", form_fields(form.text)))
    checkout_url = confirm(client, held, follow_redirects=False).headers["location"]
    checkout = client.get(checkout_url)
    local = start.astimezone(ZoneInfo("America/New_York"))
    line = (
        f"Coaching session, {local:%H:%M} {local.tzname()}, {local:%a} {local.day} "
        f"{local:%b %Y} (America/New_York)"
    )
    assert line in html.unescape(checkout.text)
    assert " UTC" not in html.unescape(checkout.text)


def test_approval_types_say_before_payment_that_the_host_decides(
    booking_env: BookingEnv,
) -> None:
    add_type(
        booking_env,
        slug="review",
        title="Portfolio review",
        duration_minutes=60,
        price_minor=5000,
        currency="eur",
        requires_approval=True,
        min_notice_minutes=60,
    )
    client = booking_env.lead
    sentence = (
        "Coach approves each booking of this kind before it is confirmed.\n  "
        "You pay 50.00 EUR now to request the time; if Coach declines, "
        "your payment is refunded in full."
    )
    page = client.get("/coach/review", params={"tz": "Europe/Paris"})
    assert sentence in page.text
    form = client.get(slot_links(page.text)[0])
    assert sentence in form.text
    held = held_from(submit_details(client, "review", form_fields(form.text)))
    review = held.review.text
    assert sentence in review
    assert review.index(sentence) < review.index('id="confirm"')
    plain = client.get("/coach/session", params={"tz": "Europe/Paris"})
    assert 'id="approval-note"' not in plain.text


def test_reschedule_offers_exactly_the_times_the_api_accepts(booking_env: BookingEnv) -> None:
    # An approval type: no Google event yet, so only the booking itself occupies its time.
    add_type(
        booking_env,
        slug="review",
        title="Portfolio review",
        duration_minutes=60,
        requires_approval=True,
        min_notice_minutes=60,
    )
    client = booking_env.lead
    day = paris_today() + timedelta(days=3)
    page = client.get(
        "/coach/review", params={"tz": "Europe/Paris", "month": f"{day:%Y-%m}", "day": str(day)}
    )
    links = slot_links(page.text)
    form = client.get(links[len(links) // 2])
    held = held_from(submit_details(client, "review", form_fields(form.text)))
    confirm(client, held)
    booking = booking_env.booking(str(held.booking_id), held.token)
    assert booking["status"] == "awaiting_approval"
    original = datetime.fromisoformat(booking["start"])

    page = client.get(
        f"/bookings/{held.booking_id}/reschedule",
        params={
            "token": held.token,
            "tz": "Europe/Paris",
            "day": str(day),
            "month": f"{day:%Y-%m}",
        },
    )
    assert page.status_code == 200
    offered = {
        datetime.fromisoformat(hidden_fields(form)["start"])
        for form in RESCHEDULE_FORM.findall(page.text)
    }
    # Times overlapping the booking's own hour are free for it to move into.
    assert {original - timedelta(minutes=30), original, original + timedelta(minutes=30)} <= offered

    midnight = datetime.combine(day, datetime.min.time(), tzinfo=PARIS)
    accepted = set()
    api = f"/api/v1/public/bookings/{held.booking_id}/reschedule"
    for step in range(48):
        candidate = midnight + timedelta(minutes=30 * step)
        moved = client.post(
            api, params={"token": held.token}, json={"start": candidate.isoformat()}
        )
        assert moved.status_code in (200, 409), moved.text
        if moved.status_code == 200:
            accepted.add(candidate)
            back = client.post(
                api, params={"token": held.token}, json={"start": original.isoformat()}
            )
            assert back.status_code == 200, back.text
    assert offered == accepted
