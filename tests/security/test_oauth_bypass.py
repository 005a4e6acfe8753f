"""The OAuth callback's state and PKCE cannot be bypassed.

Complements tests/web/routes/test_google_connect.py (wrong, missing, reused and
expired state; another browser session of the same host; a tampered verifier).
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from sqlalchemy import select

from leadscalendar.accounts import service as accounts
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.models import GoogleConnection
from tests.support.app_env import ConnectedApp, log_in, query_of


def connections(app: ConnectedApp) -> list[GoogleConnection]:
    with app.services.session_factory() as session:
        return list(session.scalars(select(GoogleConnection)))


def callback_url(state: str, code: str) -> str:
    return "/oauth/google/callback?" + urlencode({"state": state, "code": code})


def test_the_callback_without_a_session_connects_nothing(google_app: ConnectedApp) -> None:
    callback = google_app.sandbox.consent(google_app.start_connect())
    with httpx.Client(base_url=google_app.url) as anonymous:
        response = anonymous.get(callback)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert connections(google_app) == []


def test_another_hosts_state_is_refused_and_does_not_burn_it(google_app: ConnectedApp) -> None:
    with unit_of_work(google_app.services.session_factory) as session:
        accounts.create_host(
            session, email="other@example.com", name="Other", slug="other", password="o" * 12
        )
    callback = google_app.sandbox.consent(google_app.start_connect())
    with httpx.Client(base_url=google_app.url, follow_redirects=True) as other_host:
        log_in(other_host, "other@example.com", "o" * 12)
        response = other_host.get(callback)
    assert response.status_code == 400
    assert "does not belong to your session" in response.text
    assert connections(google_app) == []
    # The rightful host can still finish: the intruder spent neither the state nor the code.
    assert "Google Calendar connected" in google_app.client.get(callback).text


def test_a_replayed_code_with_a_fresh_state_is_refused(google_app: ConnectedApp) -> None:
    callback = google_app.sandbox.consent(google_app.start_connect())
    assert google_app.client.get(callback).status_code == 200
    (before,) = connections(google_app)
    fresh_state = query_of(google_app.start_connect())["state"][0]
    replay = google_app.client.get(callback_url(fresh_state, query_of(callback)["code"][0]))
    assert replay.status_code == 400
    assert "invalid_grant" in replay.text
    (after,) = connections(google_app)
    assert after.token_version == before.token_version
    assert after.token_ciphertext == before.token_ciphertext


def test_a_code_minted_for_another_verifier_is_refused(google_app: ConnectedApp) -> None:
    first, second = google_app.start_connect(), google_app.start_connect()
    code_for_first = query_of(google_app.sandbox.consent(first))["code"][0]
    second_state = query_of(second)["state"][0]
    response = google_app.client.get(callback_url(second_state, code_for_first))
    assert response.status_code == 400
    assert "invalid_grant" in response.text
    assert connections(google_app) == []


def test_an_error_answer_with_a_forged_state_is_refused(google_app: ConnectedApp) -> None:
    google_app.start_connect()
    response = google_app.client.get(
        "/oauth/google/callback?" + urlencode({"state": "forged", "error": "access_denied"})
    )
    assert response.status_code == 400
    assert "You chose not to" not in response.text
