"""Stripe's wire format as seen by a plain HTTP client."""

from __future__ import annotations

import base64
import time

import httpx
import pytest

from leadscalendar.sandbox.payments.forms import parse_stripe_form
from tests.sandbox.payments.conftest import create_session, root
from tests.support.payments import TEST_API_KEY


def test_requests_without_the_secret_key_get_a_stripe_401(api: httpx.Client) -> None:
    response = httpx.post(f"{root(api)}/v1/checkout/sessions", data={"mode": "payment"})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    wrong = httpx.get(
        f"{root(api)}/v1/checkout/sessions/cs_x", headers={"Authorization": "Bearer sk_no"}
    )
    assert wrong.status_code == 401


def test_basic_auth_with_the_key_as_user_works_like_curl_u(api: httpx.Client) -> None:
    session = create_session(api)
    token = base64.b64encode(f"{TEST_API_KEY}:".encode()).decode()
    response = httpx.get(
        f"{root(api)}/v1/checkout/sessions/{session['id']}",
        headers={"Authorization": f"Basic {token}"},
    )
    assert response.status_code == 200
    assert response.json()["id"] == session["id"]


def test_a_new_session_is_open_and_unpaid_with_a_hosted_url(api: httpx.Client) -> None:
    session = create_session(api)
    assert session["object"] == "checkout.session"
    assert (session["status"], session["payment_status"], session["mode"]) == (
        "open",
        "unpaid",
        "payment",
    )
    assert session["amount_total"] == 5000 and session["currency"] == "eur"
    assert session["url"] == f"{root(api)}/checkout/{session['id']}"
    assert session["metadata"] == {"booking_id": "booking-1"}
    assert session["payment_intent"] is None
    assert session["livemode"] is False
    # Stripe's default lifetime is 24 hours.
    assert abs(int(str(session["expires_at"])) - (int(time.time()) + 24 * 3600)) <= 2


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"mode": "subscription"}, "mode"),
        ({"success_url": ""}, "success_url"),
        ({"line_items[0][price_data][currency]": "EUR"}, "line_items[0][price_data][currency]"),
        (
            {"line_items[0][price_data][unit_amount]": "ten"},
            "line_items[0][price_data][unit_amount]",
        ),
        ({"expires_at": str(int(time.time()) + 60)}, "expires_at"),
        ({"expires_at": str(int(time.time()) + 25 * 3600)}, "expires_at"),
        ({"surprise": "1"}, "surprise"),
    ],
)
def test_invalid_parameters_get_stripe_shaped_400s(
    api: httpx.Client, extra: dict[str, str], param: str
) -> None:
    form = {
        "mode": "payment",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "5000",
        "line_items[0][price_data][product_data][name]": "Coaching",
        "success_url": "https://app.example/paid",
        **extra,
    }
    response = api.post("/v1/checkout/sessions", data=form)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["message"]


def test_idempotency_key_replays_and_refuses_changed_parameters(api: httpx.Client) -> None:
    form = {
        "mode": "payment",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "5000",
        "line_items[0][price_data][product_data][name]": "Coaching",
        "success_url": "https://app.example/paid",
    }
    headers = {"Idempotency-Key": "key-1"}
    first = api.post("/v1/checkout/sessions", data=form, headers=headers)
    replay = api.post("/v1/checkout/sessions", data=form, headers=headers)
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    changed = api.post(
        "/v1/checkout/sessions",
        data={**form, "line_items[0][price_data][unit_amount]": "1"},
        headers=headers,
    )
    assert changed.status_code == 400
    assert changed.json()["error"]["type"] == "idempotency_error"
    assert len(api.get("/_sandbox/sessions").json()) == 1


def test_unknown_session_is_a_404_resource_missing(api: httpx.Client) -> None:
    response = api.get("/v1/checkout/sessions/cs_test_nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"


def test_expire_endpoint_closes_an_open_session(api: httpx.Client) -> None:
    session = create_session(api)
    expired = api.post(f"/v1/checkout/sessions/{session['id']}/expire").json()
    assert (expired["status"], expired["url"]) == ("expired", None)
    again = api.post(f"/v1/checkout/sessions/{session['id']}/expire")
    assert again.status_code == 400


def test_refund_needs_a_payment_intent(api: httpx.Client) -> None:
    missing = api.post("/v1/refunds", data={})
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "payment_intent"
    unknown = api.post("/v1/refunds", data={"payment_intent": "pi_nope"})
    assert unknown.status_code == 404


def test_refund_larger_than_the_payment_is_refused(api: httpx.Client) -> None:
    session = create_session(api)
    intent = api.post(f"/_sandbox/sessions/{session['id']}/pay").json()["payment_intent"]
    response = api.post("/v1/refunds", data={"payment_intent": intent, "amount": "5001"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "amount_too_large"


def test_control_actions_refuse_impossible_transitions(api: httpx.Client) -> None:
    session = create_session(api)
    assert api.post(f"/_sandbox/sessions/{session['id']}/async-succeed").status_code == 409
    assert api.post(f"/_sandbox/sessions/{session['id']}/pay").status_code == 200
    assert api.post(f"/_sandbox/sessions/{session['id']}/pay").status_code == 409
    assert api.post(f"/_sandbox/sessions/{session['id']}/expire").status_code == 409
    assert api.post("/_sandbox/sessions/cs_test_nope/pay").status_code == 404
    assert api.post(f"/_sandbox/sessions/{session['id']}/teleport").status_code == 422


def test_reset_forgets_everything(api: httpx.Client) -> None:
    create_session(api)
    api.post("/_sandbox/reset").raise_for_status()
    assert api.get("/_sandbox/sessions").json() == []
    assert api.get("/_sandbox/events").json() == []


def test_form_decoding_nests_like_stripe() -> None:
    body = b"a[b][0][c]=1&a[b][1][c]=2&expand[]=x&expand[]=y&metadata[k]=v&empty="
    assert parse_stripe_form(body) == {
        "a": {"b": [{"c": "1"}, {"c": "2"}]},
        "expand": ["x", "y"],
        "metadata": {"k": "v"},
        "empty": "",
    }


def test_a_body_that_is_not_utf8_is_a_400_not_a_crash(api: httpx.Client) -> None:
    response = api.post(
        "/v1/checkout/sessions",
        content=b"mode=\xff",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_a_wrong_api_key_is_quoted_back_masked_as_stripe_does(api: httpx.Client) -> None:
    wrong = "sk_test_wrongkey0123456789abcd"
    response = api.get(
        "/v1/checkout/sessions/cs_test_any", headers={"Authorization": f"Bearer {wrong}"}
    )
    assert response.status_code == 401
    message = response.json()["error"]["message"]
    assert message.startswith("Invalid API Key provided: sk_test_****")
    assert message.endswith("abcd")
    assert wrong not in message


def test_only_an_open_session_can_be_expired_in_stripes_words(api: httpx.Client) -> None:
    session = create_session(api)
    api.post(f"/_sandbox/sessions/{session['id']}/pay").raise_for_status()
    refused = api.post(f"/v1/checkout/sessions/{session['id']}/expire")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"] == (
        'Only Checkout Sessions with a status in ["open"] can be expired. '
        "This Checkout Session has a status of `complete`."
    )
    assert api.get(f"/v1/checkout/sessions/{session['id']}").json()["status"] == "complete"


def test_a_lost_answer_fault_does_the_work_and_a_retry_gets_it_back(api: httpx.Client) -> None:
    api.post("/_sandbox/faults", json={"status": 500, "count": 1, "after_work": True})
    form = {
        "mode": "payment",
        "success_url": "https://app.example/paid",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "5000",
        "line_items[0][price_data][product_data][name]": "Coaching",
    }
    headers = {"Idempotency-Key": "lost-answer-1"}
    lost = api.post("/v1/checkout/sessions", data=form, headers=headers)
    assert lost.status_code == 500
    (created,) = api.get("/_sandbox/sessions").json()
    retried = api.post("/v1/checkout/sessions", data=form, headers=headers)
    assert retried.status_code == 200
    assert retried.json()["id"] == created["id"]
