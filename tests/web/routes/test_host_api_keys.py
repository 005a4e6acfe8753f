"""API keys: the key works until revoked, only its hash is stored, and hosts are isolated."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, text

from leadscalendar.accounts.models import ApiKey
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.bookings.states import BookingStatus
from tests.support.api_env import LEAD, api_client, create_key, seed_other_host
from tests.support.app_env import HOST_EMAIL, csrf_from
from tests.support.booking_env import BookingEnv


def test_key_lifecycle_and_storage(booking_env: BookingEnv) -> None:
    secret = create_key(booking_env.services, HOST_EMAIL, "crm")
    assert secret.startswith("lc_") and len(secret) > 40
    with api_client(booking_env.url, secret) as api:
        assert api.get("/booking-types").status_code == 200

    with booking_env.services.session_factory() as session:
        key = session.scalars(select(ApiKey)).one()
        raw_row = session.execute(text("SELECT * FROM api_keys")).one()
    assert not any(secret in str(value) for value in raw_row), "the key must never be stored"
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.prefix == secret[:8] and key.last_used_at is not None

    for wrong in ("lc_" + "x" * 43, secret[:-1], "not-even-prefixed"):
        with api_client(booking_env.url, wrong) as api:
            response = api.get("/booking-types")
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "invalid_api_key"
    with api_client(booking_env.url, None) as anonymous:
        assert anonymous.get("/bookings").status_code == 401
        basic = anonymous.get("/bookings", headers={"Authorization": f"Basic {secret}"})
        assert basic.status_code == 401

    # Revoke on the dashboard, with its CSRF-protected form.
    dashboard = booking_env.host.client.get("/dashboard")
    assert secret[:8] in dashboard.text and "crm" in dashboard.text
    revoked = booking_env.host.client.post(
        f"/dashboard/api-keys/{key.id}/revoke", data={"csrf_token": csrf_from(dashboard.text)}
    )
    assert revoked.status_code == 200 and "revoked" in revoked.text
    with api_client(booking_env.url, secret) as api:
        assert api.get("/booking-types").status_code == 401


def test_dashboard_creates_a_key_shown_once(booking_env: BookingEnv) -> None:
    client = booking_env.host.client
    dashboard = client.get("/dashboard")
    refused = client.post("/dashboard/api-keys", data={"name": "zapier", "csrf_token": "forged"})
    assert refused.status_code == 403
    created = client.post(
        "/dashboard/api-keys", data={"name": "zapier", "csrf_token": csrf_from(dashboard.text)}
    )
    assert created.status_code == 201
    secret = created.text.split('<code id="new-api-key">', 1)[1].split("</code>", 1)[0]
    assert secret.startswith("lc_")
    assert secret not in client.get("/dashboard").text, "a key is shown once only"
    with api_client(booking_env.url, secret) as api:
        assert api.get("/bookings").status_code == 200


@pytest.fixture
def two_hosts(booking_env: BookingEnv) -> tuple[httpx.Client, httpx.Client, dict[str, str]]:
    other = seed_other_host(booking_env.services)
    own_key = create_key(booking_env.services, HOST_EMAIL)
    other_key = create_key(booking_env.services, other.email)
    ids = {"type": other.booking_type_id, "booking": other.booking_id}
    return (
        httpx.Client(
            base_url=f"{booking_env.url}/api/v1", headers={"Authorization": f"Bearer {own_key}"}
        ),
        httpx.Client(
            base_url=f"{booking_env.url}/api/v1", headers={"Authorization": f"Bearer {other_key}"}
        ),
        ids,
    )


def test_a_key_reaches_nothing_of_another_host(
    booking_env: BookingEnv, two_hosts: tuple[httpx.Client, httpx.Client, dict[str, str]]
) -> None:
    mine, theirs, ids = two_hosts
    with mine, theirs:
        # Positive control: the other host's own key sees them.
        assert theirs.get(f"/bookings/{ids['booking']}").status_code == 200
        assert theirs.get(f"/booking-types/{ids['type']}").status_code == 200

        tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=10, minute=0).isoformat()
        type_body = {"slug": "stolen", "title": "Stolen", "duration_minutes": 30}
        attempts = [
            mine.get(f"/booking-types/{ids['type']}"),
            mine.put(f"/booking-types/{ids['type']}", json=type_body),
            mine.get(f"/booking-types/{ids['type']}/slots"),
            mine.post(
                "/bookings",
                json={"booking_type_id": ids["type"], "start": tomorrow, "lead": LEAD},
            ),
            mine.get(f"/bookings/{ids['booking']}"),
            mine.post(f"/bookings/{ids['booking']}/confirm"),
            mine.post(f"/bookings/{ids['booking']}/cancel"),
            mine.post(f"/bookings/{ids['booking']}/reschedule", json={"start": tomorrow}),
            mine.post(f"/bookings/{ids['booking']}/approve"),
            mine.post(f"/bookings/{ids['booking']}/decline"),
        ]
        for response in attempts:
            assert response.status_code == 404, (response.request.url, response.text)
            assert set(response.json()["error"]) >= {"code", "message"}

        assert ids["type"] not in {t["id"] for t in mine.get("/booking-types").json()["data"]}
        assert mine.get("/bookings").json()["data"] == []
        filtered = mine.get("/bookings", params={"booking_type_id": ids["type"]}).json()
        assert filtered["data"] == []

        # Idempotency keys are per host: the same key is new for the other host.
        body = {"slug": "same-key", "title": "Same key", "duration_minutes": 30}
        assert mine.post("/booking-types", json=body, headers={"Idempotency-Key": "k"}).is_success
        other = {**body, "title": "Different body"}
        reply = theirs.post("/booking-types", json=other, headers={"Idempotency-Key": "k"})
        assert reply.status_code == 201 and reply.json()["title"] == "Different body"

    with booking_env.services.session_factory() as session:
        booking = session.get(Booking, uuid.UUID(ids["booking"]))
        booking_type = session.get(BookingType, uuid.UUID(ids["type"]))
        assert booking is not None and booking_type is not None
        assert booking.status is BookingStatus.AWAITING_APPROVAL
        assert booking_type.slug == "intro"


def test_a_key_name_must_be_one_line(booking_env: BookingEnv) -> None:
    client = booking_env.host.client
    for name in ("zap\r\nier", "zap\x00ier"):
        dashboard = client.get("/dashboard")
        refused = client.post(
            "/dashboard/api-keys", data={"name": name, "csrf_token": csrf_from(dashboard.text)}
        )
        assert refused.status_code == 400, (name, refused.text)
        assert "control characters" in refused.text


def test_revoking_a_key_asks_first(booking_env: BookingEnv) -> None:
    secret = create_key(booking_env.services, HOST_EMAIL, "crm")
    with booking_env.services.session_factory() as session:
        key = session.scalars(select(ApiKey)).one()
    client = booking_env.host.client
    dashboard = client.get("/dashboard")
    assert f'href="/dashboard/api-keys/{key.id}/revoke"' in dashboard.text
    question = client.get(f"/dashboard/api-keys/{key.id}/revoke")
    assert question.status_code == 200
    assert f"Every program using the key {secret[:8]}… is refused from now on." in question.text
    with api_client(booking_env.url, secret) as api:
        assert api.get("/booking-types").status_code == 200, "asking changes nothing"
    client.post(
        f"/dashboard/api-keys/{key.id}/revoke", data={"csrf_token": csrf_from(question.text)}
    )
    with api_client(booking_env.url, secret) as api:
        assert api.get("/booking-types").status_code == 401
    assert client.get(f"/dashboard/api-keys/{uuid.uuid4()}/revoke").status_code == 404
