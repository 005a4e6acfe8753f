"""The hosted checkout page, driven like a browser would: GET the page, POST its forms."""

from __future__ import annotations

import httpx

from tests.sandbox.payments.conftest import Receiver, create_session, root
from tests.support.payments import wait_until


def test_the_page_offers_pay_decline_and_abandon(api: httpx.Client) -> None:
    session = create_session(api, customer_email="lead@example.com")
    page = httpx.get(str(session["url"]))
    assert page.status_code == 200
    for button in ('id="pay"', 'id="decline"', 'id="abandon"'):
        assert button in page.text
    assert "Pay 50.00 EUR" in page.text
    assert "lead@example.com" in page.text


def test_pay_redirects_to_success_with_the_session_id_and_sends_a_webhook(
    api: httpx.Client, receiver: Receiver
) -> None:
    session = create_session(api)
    response = httpx.post(f"{session['url']}/pay")
    assert response.status_code == 303
    assert response.headers["location"] == f"https://app.example/paid?session={session['id']}"
    (body,) = wait_until(receiver.bodies)
    assert b'"checkout.session.completed"' in body
    paid = api.get(f"/v1/checkout/sessions/{session['id']}").json()
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert "Already paid" in httpx.get(f"{root(api)}/checkout/{session['id']}").text


def test_decline_shows_the_error_and_lets_the_lead_try_again(
    api: httpx.Client, receiver: Receiver
) -> None:
    session = create_session(api)
    declined = httpx.post(f"{session['url']}/decline")
    assert declined.status_code == 200
    assert "card was declined" in declined.text
    assert 'id="pay"' in declined.text
    assert api.get(f"/v1/checkout/sessions/{session['id']}").json()["status"] == "open"
    assert api.get(f"/_sandbox/sessions/{session['id']}").json()["declines"] == 1
    assert api.get("/_sandbox/events").json() == []
    assert httpx.post(f"{session['url']}/pay").status_code == 303
    wait_until(receiver.bodies)


def test_abandon_returns_to_cancel_url_and_leaves_the_session_open(api: httpx.Client) -> None:
    session = create_session(api)
    response = httpx.post(f"{session['url']}/abandon")
    assert response.status_code == 303
    assert response.headers["location"] == "https://app.example/cancelled"
    assert api.get(f"/v1/checkout/sessions/{session['id']}").json()["status"] == "open"
    assert api.get("/_sandbox/events").json() == []


def test_an_expired_session_page_says_so(api: httpx.Client) -> None:
    session = create_session(api)
    api.post(f"/_sandbox/sessions/{session['id']}/expire").raise_for_status()
    page = httpx.get(f"{root(api)}/checkout/{session['id']}")
    assert page.status_code == 410
    assert "expired" in page.text
    assert httpx.post(f"{root(api)}/checkout/{session['id']}/pay").status_code == 409
