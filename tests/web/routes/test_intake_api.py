"""Intake questions and lead source through the APIs, a payment and the Google event."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api_env import api_client, create_key
from tests.support.app_env import HOST_EMAIL
from tests.support.booking_env import LEAD, BookingEnv, wait_for
from tests.support.booking_flow import API

QUESTIONS = [
    {"id": "company", "label": "Company", "type": "short_text", "required": True},
    {"label": "Phone", "type": "phone", "required": True},
    {
        "id": "topics",
        "label": "Topics",
        "type": "multiple_choice",
        "options": ["Sales", "Hiring"],
    },
    {"id": "terms", "label": "I accept the terms", "type": "checkbox", "required": True},
]
SOURCE = {
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "spring-2026",
    "ref": "partner-7",
    "referrer": "https://blog.example.org/posts/42?user=ann",
}


def _set_questions(api: httpx.Client, slug: str) -> dict[str, Any]:
    types = api.get("/booking-types").json()["data"]
    current = next(t for t in types if t["slug"] == slug)
    body = {**current, "questions": QUESTIONS, "answers_in_event": True}
    updated = api.put(f"/booking-types/{current['id']}", json=body)
    assert updated.status_code == 200, updated.text
    stored: dict[str, Any] = updated.json()
    return stored


def _hold(env: BookingEnv, start: str, answers: dict[str, Any], **extra: Any) -> httpx.Response:
    body = {"start": start, "lead": LEAD, "answers": answers, **extra}
    return env.lead.post(f"{API}/hosts/coach/types/session/bookings", json=body)


def test_answers_and_source_go_through_hold_payment_and_the_calendar(
    booking_env: BookingEnv,
) -> None:
    env = booking_env
    with api_client(env.url, create_key(env.services, HOST_EMAIL)) as api:
        stored_type = _set_questions(api, "session")
        phone_id = stored_type["questions"][1]["id"]
        labels = [q["label"] for q in stored_type["questions"]]
        assert phone_id and labels == ["Company", "Phone", "Topics", "I accept the terms"]
        # A PUT without questions (a client that never heard of them) keeps them.
        unaware = {k: v for k, v in stored_type.items() if k != "questions"}
        again = api.put(f"/booking-types/{stored_type['id']}", json=unaware)
        assert again.json()["questions"] == stored_type["questions"]

        start = env.first_slot("session")
        refused = _hold(env, start, {"company": "", "topics": ["Cooking"], phone_id: "12"})
        assert refused.status_code == 400, refused.text
        fields = refused.json()["error"]["fields"]
        assert set(fields) == {"company", "topics", phone_id, "terms"}
        bad_source = _hold(env, start, {}, source={"utm_source": "a\u0000b"})
        assert bad_source.status_code == 400

        answers = {"company": "Acme <GmbH>", phone_id: "030 1234567", "terms": True}
        held = _hold(env, start, {**answers, "topics": ["Hiring"]}, source=SOURCE)
        assert held.status_code == 201, held.text
        booking_id, token = held.json()["id"], held.json()["token"]
        confirmed = env.lead.post(
            f"{API}/bookings/{booking_id}/confirm", params={"token": token}
        ).json()
        env.pay(confirmed["checkout_url"])
        env.wait_status(booking_id, token, "scheduled")

        seen = api.get(f"/bookings/{booking_id}").json()
        # The lead's zone is Europe/Paris: a number without "+" is read as a French one.
        assert [a["value"] for a in seen["answers"]] == [
            "Acme <GmbH>",
            "+33301234567",
            ["Hiring"],
            True,
        ]
        assert seen["answers"][1] == {
            "question_id": phone_id,
            "label": "Phone",
            "type": "phone",
            "value": "+33301234567",
        }
        # Every source field is in the answer; the referring page is kept as its origin.
        assert seen["source"] == {
            **SOURCE,
            "referrer": "https://blog.example.org",
            "utm_term": None,
            "utm_content": None,
        }

        found = api.get("/bookings", params={"source": "SPRING-2026"}).json()["data"]
        assert [b["id"] for b in found] == [booking_id]
        assert api.get("/bookings", params={"source": "autumn"}).json()["data"] == []

    def event() -> dict[str, Any] | None:
        return next((e for e in env.calendar_events() if "Acme" in e.get("description", "")), None)

    description = wait_for(event, what="the event with the answers")["description"]
    assert "Company: Acme &lt;GmbH&gt;" in description
    assert "Phone: +33301234567" in description and "Topics: Hiring" in description


def test_the_host_api_holds_with_answers_and_source(booking_env: BookingEnv) -> None:
    schemas = booking_env.lead.get("/openapi.json").json()["components"]["schemas"]
    assert {"answers", "source"} <= set(schemas["HostBookingOut"]["properties"])
    assert {"answers", "source"} <= set(schemas["HoldRequest"]["properties"])
    assert "utm_campaign" in schemas["LeadSource"]["properties"]
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        stored_type = _set_questions(api, "session")
        phone_id = stored_type["questions"][1]["id"]
        slots = api.get(f"/booking-types/{stored_type['id']}/slots", params={"days": 14})
        start = next(s["start"] for d in slots.json()["days"] for s in d["slots"])
        body = {
            "booking_type_id": stored_type["id"],
            "start": start,
            "lead": {**LEAD, "time_zone": "UTC"},
            "answers": {"company": "Acme", phone_id: "+49 30 1234567", "terms": True},
            "source": {"utm_source": "crm"},
        }
        held = api.post("/bookings", json=body)
        assert held.status_code == 201, held.text
        assert held.json()["answers"][1]["value"] == "+49301234567"
        assert held.json()["source"]["utm_source"] == "crm"
        missing = api.post("/bookings", json={**body, "answers": {}})
        assert missing.status_code == 400
        assert set(missing.json()["error"]["fields"]) == {"company", phone_id, "terms"}
