"""A bot cannot hold every slot: holds per client address and active holds per lead e-mail."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update

from leadscalendar.bookings.models import Booking
from tests.support.booking_env import BookingEnv
from tests.support.lead_pages import details_form, form_fields, held_from, submit_details


def free_slots(env: BookingEnv, type_slug: str, count: int) -> list[str]:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    response = env.lead.get(
        f"/api/v1/public/hosts/coach/types/{type_slug}/slots",
        params={"start": tomorrow.isoformat(), "days": 14, "tz": "Europe/Paris"},
    )
    assert response.status_code == 200, response.text
    starts = [str(slot["start"]) for day in response.json()["days"] for slot in day["slots"]]
    # Every other slot, so 30-minute holds of one type never overlap.
    chosen = starts[::2][:count]
    assert len(chosen) == count
    return chosen


def hold(env: BookingEnv, type_slug: str, start: str, email: str) -> httpx.Response:
    return env.lead.post(
        f"/api/v1/public/hosts/coach/types/{type_slug}/bookings",
        json={"start": start, "lead": {"name": "Lead", "email": email, "time_zone": "UTC"}},
    )


def assert_rate_limited(response: httpx.Response, at_most: int) -> None:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= at_most
    error = response.json()["error"]
    assert error["retry_after_seconds"] == retry_after
    assert error["message"]


def test_the_eleventh_hold_from_one_address_is_refused(booking_env: BookingEnv) -> None:
    slots = free_slots(booking_env, "intro", 11)
    for index, start in enumerate(slots[:10]):
        response = hold(booking_env, "intro", start, f"lead{index}@example.com")
        assert response.status_code == 201, response.text
    eleventh = hold(booking_env, "intro", slots[10], "lead10@example.com")
    assert_rate_limited(eleventh, at_most=3600)
    assert int(eleventh.headers["retry-after"]) > 3000
    with booking_env.services.session_factory() as session:
        assert len(session.scalars(select(Booking)).all()) == 10


def test_a_fourth_active_hold_for_one_email_is_refused(booking_env: BookingEnv) -> None:
    slots = free_slots(booking_env, "intro", 5)
    paid_slot = free_slots(booking_env, "session", 20)[-1]
    first = hold(booking_env, "session", paid_slot, "lena@example.com").json()
    confirmed = booking_env.lead.post(
        f"/api/v1/public/bookings/{first['id']}/confirm", params={"token": first["token"]}
    )
    assert confirmed.json()["status"] == "awaiting_payment", "an unpaid checkout counts too"
    for start in slots[:2]:
        assert hold(booking_env, "intro", start, "lena@example.com").status_code == 201
    fourth = hold(booking_env, "intro", slots[2], "Lena@Example.com")
    assert_rate_limited(fourth, at_most=3600)
    assert fourth.json()["error"]["code"] == "too_many_active_holds"
    assert hold(booking_env, "intro", slots[2], "other@example.com").status_code == 201


def test_an_expired_hold_no_longer_counts(booking_env: BookingEnv) -> None:
    slots = free_slots(booking_env, "intro", 4)
    held = [hold(booking_env, "intro", start, "lena@example.com").json() for start in slots[:3]]
    assert hold(booking_env, "intro", slots[3], "lena@example.com").status_code == 429
    with booking_env.services.session_factory() as session:
        session.execute(
            update(Booking)
            .where(Booking.id == uuid.UUID(held[0]["id"]))
            .values(hold_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
    assert hold(booking_env, "intro", slots[3], "lena@example.com").status_code == 201


def test_an_idempotent_retry_is_answered_even_at_the_limit(booking_env: BookingEnv) -> None:
    slots = free_slots(booking_env, "intro", 3)
    headers = {"Idempotency-Key": "click-1"}
    first = booking_env.lead.post(
        "/api/v1/public/hosts/coach/types/intro/bookings",
        json={"start": slots[0], "lead": {"name": "L", "email": "lena@example.com"}},
        headers=headers,
    )
    for start in slots[1:]:
        assert hold(booking_env, "intro", start, "lena@example.com").status_code == 201
    retry = booking_env.lead.post(
        "/api/v1/public/hosts/coach/types/intro/bookings",
        json={"start": slots[0], "lead": {"name": "L", "email": "lena@example.com"}},
        headers=headers,
    )
    assert retry.status_code == 201 and retry.json()["id"] == first.json()["id"]


def test_form_typos_do_not_count_against_the_hold_limit(booking_env: BookingEnv) -> None:
    client = booking_env.lead
    form = details_form(client, "intro")
    for _ in range(12):
        typo = submit_details(client, "intro", form_fields(form.text, email="lena@example"))
        assert typo.status_code == 400, typo.text
    fixed = submit_details(client, "intro", form_fields(form.text))
    assert "You are booking" in held_from(fixed).review.text


def test_invalid_api_bodies_do_not_count_against_the_hold_limit(booking_env: BookingEnv) -> None:
    slots = free_slots(booking_env, "intro", 1)
    for _ in range(12):
        assert hold(booking_env, "intro", slots[0], "not-an-address").status_code == 400
    assert hold(booking_env, "intro", slots[0], "lena@example.com").status_code == 201


def test_the_limit_page_says_when_to_try_again_and_leads_back(booking_env: BookingEnv) -> None:
    slots = free_slots(booking_env, "intro", 10)
    for index, start in enumerate(slots):
        assert hold(booking_env, "intro", start, f"lead{index}@example.com").status_code == 201
    client = booking_env.lead
    form = details_form(client, "intro")
    page = submit_details(client, "intro", form_fields(form.text, email="late@example.com"))
    assert page.status_code == 429
    assert page.headers["content-type"].startswith("text/html")
    message = re.search(r'id="error-message">([^<]+)<', page.text)
    assert message is not None
    assert re.fullmatch(
        r"Too many booking attempts from your network\. "
        r"Please try again in about (5\d|60) minutes\.",
        message.group(1),
    )
    assert '<a href="/coach/intro" id="back">Back to the booking page</a>' in page.text
    assert "/dashboard" not in page.text
