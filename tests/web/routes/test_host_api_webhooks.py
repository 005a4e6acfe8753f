"""Webhook endpoints through the host API and the dashboard, against a real receiver."""

from __future__ import annotations

import re

import pytest
from standardwebhooks.webhooks import Webhook

from leadscalendar.config import Settings
from leadscalendar.sandbox.receiver import ScriptedAnswer
from tests.support.api_env import api_client, create_key
from tests.support.app_env import HOST_EMAIL, csrf_from
from tests.support.bookings_env import BookingsEnv, wait_until
from tests.support.webhook_receiver import RunningReceiver

ALL_EVENTS = ["booking.paid", "booking.scheduled"]


@pytest.fixture
def app_settings(receiver_app_settings: Settings) -> Settings:
    return receiver_app_settings


@pytest.fixture(autouse=True)
def _cheap_password_hashing(cheap_password_hashing: None) -> None:
    """The app fixture logs a host in."""


def test_endpoints_crud_rotation_log_and_resend_over_the_api(
    bookings_env: BookingsEnv, webhook_receiver: RunningReceiver
) -> None:
    store, receiver_url = webhook_receiver.store, webhook_receiver.url
    with api_client(bookings_env.app.url, create_key(bookings_env.services, HOST_EMAIL)) as api:
        created = api.post(
            "/webhook-endpoints",
            json={"url": f"{receiver_url}/hooks/crm", "event_types": ALL_EVENTS},
        )
        assert created.status_code == 201, created.text
        assert created.headers["cache-control"] == "no-store"
        endpoint = created.json()
        secret = endpoint.pop("secret")
        assert secret.startswith("whsec_")
        assert api.get(f"/webhook-endpoints/{endpoint['id']}").json() == endpoint
        assert "secret" not in api.get("/webhook-endpoints").json()["data"][0]
        store.secret = secret

        (booking_id,) = bookings_env.book(1)
        bookings_env.drain()
        log = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["data"]
        assert [d["event_type"] for d in log] == ["booking.scheduled", "booking.paid"]
        assert all(d["status"] == "delivered" and d["attempts"] for d in log)
        assert log[0]["attempts"][0]["status_code"] == 200
        assert log[0]["attempts"][0]["response_excerpt"] == "ok"

        rotated = api.post(f"/webhook-endpoints/{endpoint['id']}/rotate-secret").json()
        assert rotated["secret"] != secret and rotated["previous_secret_expires_at"]
        resent = api.post(f"/webhook-endpoints/{endpoint['id']}/deliveries/{log[1]['id']}/resend")
        assert resent.status_code == 202, resent.text
        bookings_env.drain()
        again = store.all()[-1]
        assert again.message_id == log[1]["message_id"]
        # Signed with both secrets during the overlap: either verifies.
        assert len(again.headers["webhook-signature"].split(" ")) == 2
        Webhook(secret).verify(again.body, again.headers)
        Webhook(rotated["secret"]).verify(again.body, again.headers)
        assert again.json()["data"]["id"] == str(booking_id)

        patched = api.patch(
            f"/webhook-endpoints/{endpoint['id']}",
            json={"enabled": False, "description": "CRM"},
        )
        assert patched.json()["enabled"] is False
        assert patched.json()["disabled_reason"] == "Disabled by you."
        assert api.delete(f"/webhook-endpoints/{endpoint['id']}").status_code == 204
        assert api.get(f"/webhook-endpoints/{endpoint['id']}").status_code == 404


def test_bad_endpoints_are_refused_with_a_sentence(bookings_env: BookingsEnv) -> None:
    with api_client(bookings_env.app.url, create_key(bookings_env.services, HOST_EMAIL)) as api:
        no_events = api.post(
            "/webhook-endpoints", json={"url": "http://127.0.0.1:9/x", "event_types": []}
        )
        assert no_events.status_code == 400
        wrong_scheme = api.post(
            "/webhook-endpoints", json={"url": "ftp://127.0.0.1/x", "event_types": ALL_EVENTS}
        )
        assert wrong_scheme.status_code == 400
        assert "https://" in wrong_scheme.json()["error"]["message"]
        assert api.get("/webhook-endpoints/00000000-0000-0000-0000-000000000000").status_code == 404


def test_the_dashboard_adds_an_endpoint_shows_its_secret_once_and_sends_again(
    bookings_env: BookingsEnv, webhook_receiver: RunningReceiver
) -> None:
    store, receiver_url = webhook_receiver.store, webhook_receiver.url
    client = bookings_env.app.client
    page = client.get("/dashboard/webhooks")
    assert page.status_code == 200 and "No endpoint yet" in page.text
    created = client.post(
        "/dashboard/webhooks",
        data={
            "csrf_token": csrf_from(page.text),
            "url": f"{receiver_url}/hooks/dash",
            "description": "Spreadsheet",
            "event:booking.paid": "on",
        },
    )
    assert created.status_code == 201, created.text
    secret = re.search(r'id="webhook-secret">(whsec_[^<]+)<', created.text)
    assert secret is not None
    store.secret = secret.group(1)
    bookings_env.book(1)
    bookings_env.drain()
    assert [item.verified for item in store.all()] == [True]

    listing = client.get("/dashboard/webhooks")
    assert secret.group(1) not in listing.text
    detail_url = re.search(r'href="(/dashboard/webhooks/[0-9a-f-]{36})"', listing.text)
    assert detail_url is not None
    detail = client.get(detail_url.group(1))
    assert "booking.paid" in detail.text and "delivered" in detail.text
    assert secret.group(1) not in detail.text
    resend = re.search(r'action="([^"]+/resend)"', detail.text)
    assert resend is not None
    store.answer_always(ScriptedAnswer(500, "boom"))
    client.post(resend.group(1), data={"csrf_token": csrf_from(detail.text)})
    with bookings_env.worker():
        wait_until(lambda: len(store.all()) >= 2, what="the resend")
    store.answer_always(ScriptedAnswer())
    detail = client.get(detail_url.group(1))
    assert "500" in detail.text and "boom" in detail.text

    refused = client.post(
        "/dashboard/webhooks",
        data={"csrf_token": csrf_from(detail.text), "url": "not a url"},
    )
    assert refused.status_code == 400
    assert "Choose at least one event." in refused.text or "URL" in refused.text

    # Deleting asks first, on a page of its own, and says what goes with it.
    ask = client.get(f"{detail_url.group(1)}/delete")
    assert ask.status_code == 200
    assert f"Delete the webhook endpoint {receiver_url}/hooks/dash?" in ask.text
    assert "This cannot be undone" in ask.text
    assert client.get(detail_url.group(1)).status_code == 200, "asking deleted it"
    deleted = client.post(f"{detail_url.group(1)}/delete", data={"csrf_token": csrf_from(ask.text)})
    assert deleted.status_code == 200 and "No endpoint yet" in deleted.text
    assert client.get(detail_url.group(1)).status_code == 404


def test_the_served_schema_documents_every_event_payload(bookings_env: BookingsEnv) -> None:
    document = bookings_env.app.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert set(document["webhooks"]) == {
        "booking.paid",
        "booking.scheduled",
        "booking.awaiting_approval",
        "booking.rescheduled",
        "booking.cancelled",
        "booking.refunded",
        "booking.declined",
    }
    body = document["webhooks"]["booking.paid"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/WebhookEvent")
    schemas = document["components"]["schemas"]
    assert {"WebhookEvent", "WebhookBooking", "WebhookLead"} <= set(schemas)
