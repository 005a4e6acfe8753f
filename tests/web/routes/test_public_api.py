"""The lead's JSON API and its ``Idempotency-Key``: a retry gets its own first answer, no more.

A key is only ever matched within the public API's own key space for the
host, and only by a request with the same body: a stranger who knows or
guesses a lead's key gets a refusal, never the lead's booking or its token.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from leadscalendar.bookings.models import Booking
from leadscalendar.config import Settings
from leadscalendar.idempotency.models import IdempotencyKey
from tests.support.api_env import api_client, create_key
from tests.support.app_env import HOST_EMAIL
from tests.support.booking_env import LEAD, BookingEnv
from tests.support.booking_flow import API, days_ahead, slot_starts

HOLD = f"{API}/hosts/coach/types/intro/bookings"
STRANGER = {"name": "Eve Stranger", "email": "eve@example.com", "time_zone": "UTC"}


@pytest.fixture
def booking_settings(booking_settings: Settings) -> Settings:
    """Every request here comes from one address; the per-address hold limit is not under test."""
    return booking_settings.model_copy(update={"holds_per_ip_per_hour": 0})


def _body(start: str, lead: dict[str, Any] = LEAD) -> dict[str, Any]:
    return {"start": start, "lead": lead}


def _hold(env: BookingEnv, body: dict[str, Any], key: str) -> httpx.Response:
    return env.lead.post(HOLD, json=body, headers={"Idempotency-Key": key})


def _bookings(env: BookingEnv) -> int:
    with env.services.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Booking)) or 0


def _intro_id(api: httpx.Client) -> str:
    return str(
        next(t["id"] for t in api.get("/booking-types").json()["data"] if t["slug"] == "intro")
    )


def _slots(env: BookingEnv) -> list[str]:
    return slot_starts(env, "intro", days_ahead(1), days=14)


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer(booking_env: BookingEnv) -> None:
    start = _slots(booking_env)[0]
    first = _hold(booking_env, _body(start), "lead-click-1")
    again = _hold(booking_env, _body(start), "lead-click-1")
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and first.json()["token"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _bookings(booking_env) == 1


def test_stored_answers_carry_no_booking_token(booking_env: BookingEnv) -> None:
    """A read of the idempotency table gives no access to anyone's booking."""
    first, second = _slots(booking_env)[:2]
    tokens = [_hold(booking_env, _body(first), "lead-1").json()["token"]]
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        intro = _intro_id(api)
        body = {"booking_type_id": intro, "start": second, "lead": LEAD}
        created = api.post("/bookings", json=body, headers={"Idempotency-Key": "crm-1"})
        replayed = api.post("/bookings", json=body, headers={"Idempotency-Key": "crm-1"})
        assert replayed.json() == created.json() and created.json()["token"]
        tokens.append(created.json()["token"])
    with booking_env.services.session_factory() as session:
        stored = [json.dumps(row.response_body) for row in session.scalars(select(IdempotencyKey))]
    assert len(stored) == 2
    assert not any(token in row for token in tokens for row in stored)


def test_a_stranger_reusing_a_leads_key_is_refused_and_learns_nothing(
    booking_env: BookingEnv,
) -> None:
    first, second = _slots(booking_env)[:2]
    lead_a = _hold(booking_env, _body(first), "K")
    assert lead_a.status_code == 201, lead_a.text
    booking = lead_a.json()

    for attempt in (_body(first, STRANGER), _body(second, STRANGER), _body(second)):
        stranger = _hold(booking_env, attempt, "K")
        assert stranger.status_code == 422, stranger.text
        assert stranger.json()["error"]["code"] == "idempotency_key_reused"
        assert "already used for a different request" in stranger.json()["error"]["message"]
        for secret in (booking["id"], booking["token"], LEAD["email"], LEAD["name"]):
            assert secret not in stranger.text
    assert _bookings(booking_env) == 1


def test_a_replay_shows_the_booking_as_first_answered_not_as_it_is_now(
    booking_env: BookingEnv,
) -> None:
    start = _slots(booking_env)[0]
    held = _hold(booking_env, _body(start), "click-1").json()
    confirmed = booking_env.lead.post(
        f"{API}/bookings/{held['id']}/confirm", params={"token": held["token"]}
    )
    assert confirmed.status_code == 200, confirmed.text
    booking_env.wait_status(held["id"], held["token"], "scheduled")

    replay = _hold(booking_env, _body(start), "click-1")
    assert replay.status_code == 201
    assert replay.json() == held
    assert replay.json()["status"] == "held" and replay.json()["google_event_link"] is None


def test_host_api_keys_cannot_be_named_from_the_public_api(booking_env: BookingEnv) -> None:
    slots = _slots(booking_env)[:5]
    with api_client(booking_env.url, create_key(booking_env.services, HOST_EMAIL)) as api:
        intro = next(
            t["id"] for t in api.get("/booking-types").json()["data"] if t["slug"] == "intro"
        )

        def host_hold(start: str, key: str) -> httpx.Response:
            body = {"booking_type_id": intro, "start": start, "lead": LEAD}
            return api.post("/bookings", json=body, headers={"Idempotency-Key": key})

        by_host = host_hold(slots[0], "crm-7")
        assert by_host.status_code == 201, by_host.text
        # The host's key, bare or spelled the way the host API once stored it, is new here.
        for key, start in (("crm-7", slots[1]), ("host-api:crm-7", slots[2])):
            public = _hold(booking_env, _body(start, STRANGER), key)
            assert public.status_code == 201, public.text
            assert public.json()["id"] != by_host.json()["id"]
            assert by_host.json()["token"] not in public.text

        # And a key the public API saw first is new to the host API.
        by_lead = _hold(booking_env, _body(slots[3]), "shared-key")
        assert by_lead.status_code == 201, by_lead.text
        host_same_key = host_hold(slots[4], "shared-key")
        assert host_same_key.status_code == 201, host_same_key.text
        assert host_same_key.json()["id"] != by_lead.json()["id"]
    assert _bookings(booking_env) == 5


def test_concurrent_first_attempts_with_one_key_make_one_booking(
    booking_env: BookingEnv,
) -> None:
    first, second = _slots(booking_env)[:2]
    bodies = [_body(first)] * 4 + [_body(second, STRANGER)] * 4
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(pool.map(lambda body: _hold(booking_env, body, "race"), bodies))

    created = [answer for answer in answers if answer.status_code == 201]
    assert {answer.status_code for answer in answers} <= {201, 422}, [a.text for a in answers]
    assert len({answer.json()["id"] for answer in created}) == 1
    winner = created[0].json()
    assert all(answer.json() == winner for answer in created)
    assert _bookings(booking_env) == 1
