"""The host's JSON API over real HTTP: booking types, holds for leads, changes, pagination."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from leadscalendar.accounts.models import Host
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.db.session import unit_of_work
from tests.support.api_env import LEAD, api_client, create_key
from tests.support.app_env import HOST_EMAIL
from tests.support.booking_env import BookingEnv

APPROVAL_TYPE = {
    "slug": "vip",
    "title": "VIP session",
    "duration_minutes": 30,
    "min_notice_minutes": 60,
    "requires_approval": True,
}


def _type_id(api: httpx.Client, slug: str) -> str:
    types = api.get("/booking-types").json()["data"]
    return str(next(t["id"] for t in types if t["slug"] == slug))


def _hold(api: httpx.Client, type_id: str, start: str, **headers: str) -> httpx.Response:
    return api.post(
        "/bookings",
        json={"booking_type_id": type_id, "start": start, "lead": LEAD},
        headers=headers,
    )


def _free_slots(api: httpx.Client, type_id: str) -> list[str]:
    response = api.get(f"/booking-types/{type_id}/slots", params={"days": 14, "tz": "UTC"})
    assert response.status_code == 200, response.text
    return [slot["start"] for day in response.json()["days"] for slot in day["slots"]]


def test_booking_types_can_be_created_read_and_updated(booking_env: BookingEnv) -> None:
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        assert {t["slug"] for t in api.get("/booking-types").json()["data"]} == {
            "intro",
            "session",
        }
        created = api.post("/booking-types", json=APPROVAL_TYPE)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["slug"] == "vip" and body["requires_approval"] is True
        assert api.get(f"/booking-types/{body['id']}").json() == body

        updated = api.put(f"/booking-types/{body['id']}", json={**APPROVAL_TYPE, "title": "VIP"})
        assert updated.status_code == 200 and updated.json()["title"] == "VIP"

        clash = api.post("/booking-types", json={**APPROVAL_TYPE, "title": "again"})
        assert clash.status_code == 409 and clash.json()["error"]["code"] == "conflict"
        invalid = api.post("/booking-types", json={**APPROVAL_TYPE, "duration_minutes": 1})
        assert invalid.status_code == 400
        assert invalid.json()["error"]["code"] == "invalid_input"


def test_host_holds_confirms_reschedules_and_cancels_for_a_lead(booking_env: BookingEnv) -> None:
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        intro = _type_id(api, "intro")
        first, second = _free_slots(api, intro)[:2]
        held = _hold(api, intro, first)
        assert held.status_code == 201, held.text
        booking: dict[str, Any] = held.json()
        assert booking["status"] == "held" and booking["booking_type_id"] == intro
        assert booking["token"], "the host can hand the lead their manage link"

        confirmed = api.post(f"/bookings/{booking['id']}/confirm")
        assert confirmed.status_code == 200 and confirmed.json()["status"] in ("paid", "scheduled")

        moved = api.post(f"/bookings/{booking['id']}/reschedule", json={"start": second})
        assert moved.status_code == 200, moved.text
        assert moved.json()["start"].replace("Z", "+00:00") == second.replace("Z", "+00:00")

        cancelled = api.post(f"/bookings/{booking['id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert "host" in cancelled.json()["status_reason"]


def test_paid_hold_confirmed_by_the_host_returns_a_checkout(booking_env: BookingEnv) -> None:
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        paid = _type_id(api, "session")
        held = _hold(api, paid, _free_slots(api, paid)[0]).json()
        confirmed = api.post(f"/bookings/{held['id']}/confirm").json()
        assert confirmed["status"] == "awaiting_payment"
        assert confirmed["checkout_url"].startswith(booking_env.payments_url)


def test_approval_flow(booking_env: BookingEnv) -> None:
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        vip = api.post("/booking-types", json=APPROVAL_TYPE).json()["id"]
        first, second = _free_slots(api, vip)[:2]
        one = _hold(api, vip, first).json()
        early = api.post(f"/bookings/{one['id']}/approve")
        assert early.status_code == 409, "a held booking must not skip confirmation"
        assert api.post(f"/bookings/{one['id']}/confirm").json()["status"] == "awaiting_approval"
        approved = api.post(f"/bookings/{one['id']}/approve")
        assert approved.status_code == 200 and approved.json()["status"] in ("paid", "scheduled")

        two = _hold(api, vip, second).json()
        api.post(f"/bookings/{two['id']}/confirm")
        declined = api.post(f"/bookings/{two['id']}/decline")
        assert declined.status_code == 200 and declined.json()["status"] == "declined"
        assert api.post(f"/bookings/{two['id']}/approve").status_code == 409


def test_bookings_are_listed_with_filters_and_cursor_pagination(booking_env: BookingEnv) -> None:
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        intro = _type_id(api, "intro")
        slots = _free_slots(api, intro)[:3]
        ids = [_hold(api, intro, start).json()["id"] for start in slots]
        api.post(f"/bookings/{ids[2]}/cancel")

        seen: list[str] = []
        cursor: str | None = None
        for _ in range(5):
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = api.get("/bookings", params=params).json()
            seen += [b["id"] for b in page["data"]]
            cursor = page["next"]
            if cursor is None:
                break
        assert seen == ids

        held = api.get("/bookings", params={"status": "held"}).json()
        assert [b["id"] for b in held["data"]] == ids[:2] and held["next"] is None
        later = api.get("/bookings", params={"start_from": slots[1]}).json()["data"]
        assert [b["id"] for b in later] == ids[1:]
        by_lead = api.get("/bookings", params={"lead_email": "LENA@example.com"}).json()["data"]
        assert len(by_lead) == 3
        assert api.get("/bookings", params={"cursor": "not-a-cursor"}).status_code == 400
        naive = api.get("/bookings", params={"start_from": "2026-01-01T00:00:00"})
        assert naive.status_code == 400


def test_idempotency_key_returns_the_first_booking(booking_env: BookingEnv) -> None:
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        intro = _type_id(api, "intro")
        first, second = _free_slots(api, intro)[:2]
        one = _hold(api, intro, first, **{"Idempotency-Key": "crm-42"})
        again = _hold(api, intro, first, **{"Idempotency-Key": "crm-42"})
        assert one.status_code == again.status_code == 201
        assert again.json() == one.json()
        assert again.headers.get("Idempotent-Replayed") == "true"

        other_body = _hold(api, intro, second, **{"Idempotency-Key": "crm-42"})
        assert other_body.status_code == 422
        assert other_body.json()["error"]["code"] == "idempotency_key_reused"

        created = api.post("/booking-types", json=APPROVAL_TYPE, headers={"Idempotency-Key": "t1"})
        replay = api.post("/booking-types", json=APPROVAL_TYPE, headers={"Idempotency-Key": "t1"})
        assert created.status_code == replay.status_code == 201
        assert replay.json()["id"] == created.json()["id"]

    with booking_env.services.session_factory() as session:
        count = session.scalar(select(func.count()).select_from(Booking))
    assert count == 1, "the retried hold must not create a second booking"


def test_a_hold_keeps_the_price_it_was_held_at(booking_env: BookingEnv) -> None:
    """Found by schemathesis: confirming a free hold after the type became paid was a 500."""
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        intro = _type_id(api, "intro")
        held = _hold(api, intro, _free_slots(api, intro)[0]).json()
        current = api.get(f"/booking-types/{intro}").json()
        fields = {k: v for k, v in current.items() if k not in ("id", "created_at", "updated_at")}
        repriced = api.put(f"/booking-types/{intro}", json={**fields, "price_minor": 5000})
        assert repriced.status_code == 200, repriced.text
        confirmed = api.post(f"/bookings/{held['id']}/confirm")
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["status"] in ("paid", "scheduled")
        assert confirmed.json()["amount_minor"] == 0


def test_control_characters_far_dates_and_non_zones_get_a_400(booking_env: BookingEnv) -> None:
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        intro = _type_id(api, "intro")
        for name, fields in {
            "NUL in the title": {"title": "VIP\x00"},
            "a line break in the title": {"title": "VIP\r\nsession"},
            "NUL in the description": {"description": "Bring\x00notes"},
            "a line break in the location": {"location": "Room 1\nRoom 2"},
        }.items():
            created = api.post("/booking-types", json={**APPROVAL_TYPE, **fields})
            assert created.status_code == 400, (name, created.text)
            assert "control characters" in created.json()["error"]["message"], name
        assert (
            api.post(
                "/booking-types", json={**APPROVAL_TYPE, "description": "Line one\nLine two"}
            ).status_code
            == 201
        )

        for params in ({"tz": "posixrules"}, {"tz": "localtime"}, {"start": "9999-12-31"}):
            listed = api.get(f"/booking-types/{intro}/slots", params=params)
            assert listed.status_code == 400, (params, listed.text)
        linked = api.get(f"/booking-types/{intro}/slots", params={"tz": "US/Eastern"})
        assert linked.status_code == 200 and linked.json()["time_zone"] == "America/New_York"

        for start in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-12:00"):
            held = _hold(api, intro, start)
            assert held.status_code == 400, (start, held.text)
            assert "between the years" in held.json()["error"]["message"]
        odd_lead = api.post(
            "/bookings",
            json={
                "booking_type_id": intro,
                "start": _free_slots(api, intro)[0],
                "lead": {**LEAD, "name": "Lena\x00", "time_zone": "Factory"},
            },
        )
        assert odd_lead.status_code == 400, odd_lead.text
        listed_far = api.get("/bookings", params={"start_from": "0001-01-01T00:00:00+14:00"})
        assert listed_far.status_code == 400
        assert "between the years" in listed_far.json()["error"]["message"]


def test_booking_type_prices_follow_the_currencys_rules(booking_env: BookingEnv) -> None:
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        refused = {
            "xyz": ({"currency": "xyz", "price_minor": 9000}, "not a currency we can charge in"),
            "fils": ({"currency": "kwd", "price_minor": 5125}, "multiples of 0.010"),
            "minimum": ({"currency": "gbp", "price_minor": 29}, "0.30 GBP"),
            "isk": ({"currency": "isk", "price_minor": 500050}, "whole amounts"),
        }
        for slug, (price, message) in refused.items():
            response = api.post("/booking-types", json={**APPROVAL_TYPE, "slug": slug, **price})
            assert response.status_code == 400, response.text
            assert message in response.text
        kwd = api.post(
            "/booking-types",
            json={**APPROVAL_TYPE, "slug": "kwd", "currency": "KWD", "price_minor": 5120},
        )
        assert kwd.status_code == 201, kwd.text
        assert (kwd.json()["currency"], kwd.json()["price_minor"]) == ("kwd", 5120)
        slugs = {t["slug"] for t in api.get("/booking-types").json()["data"]}
        assert slugs == {"intro", "session", "kwd"}


def test_a_type_saved_under_older_money_rules_is_still_listed(booking_env: BookingEnv) -> None:
    with unit_of_work(booking_env.services.session_factory) as session:
        host = session.scalar(select(Host).where(Host.email == HOST_EMAIL))
        assert host is not None
        # Bulgaria's lev left ISO 4217 when Bulgaria joined the euro.
        session.add(
            BookingType(
                host_id=host.id,
                slug="lev",
                title="Old",
                duration_minutes=30,
                price_minor=1000,
                currency="bgn",
            )
        )
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        listed = api.get("/booking-types")
        assert listed.status_code == 200, listed.text
        (old,) = [t for t in listed.json()["data"] if t["slug"] == "lev"]
        assert (old["currency"], old["price_minor"]) == ("bgn", 1000)
        resaved = api.put(
            f"/booking-types/{old['id']}", json={**APPROVAL_TYPE, "slug": "lev", "currency": "bgn"}
        )
        assert resaved.status_code == 400 and "not a currency we can charge in" in resaved.text
