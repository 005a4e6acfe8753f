"""The whole "Connect Google Calendar" flow over real HTTP: app and sandbox on loopback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from leadscalendar.google import scopes
from leadscalendar.google.calendar import GoogleCalendarClient
from leadscalendar.google.exceptions import ReauthorizationRequiredError
from leadscalendar.google.models import ConnectionStatus, GoogleConnection, OAuthState
from tests.support.app_env import ConnectedApp, csrf_from, query_of
from tests.support.booking_env import BookingEnv


def connection_of(app: ConnectedApp) -> GoogleConnection | None:
    with app.services.session_factory() as session:
        return session.scalar(select(GoogleConnection))


def host_id_of(app: ConnectedApp) -> uuid.UUID:
    connection = connection_of(app)
    assert connection is not None
    return connection.host_id


def calendar_client(app: ConnectedApp) -> GoogleCalendarClient:
    credentials = app.services.credentials.for_host(host_id_of(app))
    return GoogleCalendarClient(
        credentials, api_base=app.services.settings.google_api_base, timeout=10
    )


def test_the_consent_request_asks_for_offline_access_with_pkce_and_least_privilege(
    google_app: ConnectedApp,
) -> None:
    query = query_of(google_app.start_connect())
    assert query["response_type"] == ["code"]
    assert query["access_type"] == ["offline"]
    assert query["prompt"] == ["consent"]
    assert query["include_granted_scopes"] == ["true"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32
    requested = set(query["scope"][0].split())
    assert set(scopes.REQUIRED_SCOPES) <= requested
    assert "https://www.googleapis.com/auth/calendar" not in requested


def test_approve_connects_and_stores_tokens_encrypted(google_app: ConnectedApp) -> None:
    page = google_app.connect()
    assert page.status_code == 200
    assert "Google Calendar connected as host@sandbox.test" in page.text
    connection = connection_of(google_app)
    assert connection is not None
    assert connection.status is ConnectionStatus.ACTIVE
    assert connection.missing_scopes == ()
    tokens = google_app.services.cipher.decrypt_tokens(connection.token_ciphertext)
    assert tokens.refresh_token
    assert tokens.access_token.encode() not in connection.token_ciphertext
    calendars = calendar_client(google_app).list_calendars()
    assert any(calendar.primary for calendar in calendars)


def test_deny_connects_nothing_and_says_so_kindly(google_app: ConnectedApp) -> None:
    page = google_app.connect(deny=True)
    assert page.status_code == 200
    assert "You chose not to give LeadsCalendar access" in page.text
    assert connection_of(google_app) is None


def test_an_unticked_scope_is_stored_as_a_partial_grant_and_named(
    google_app: ConnectedApp,
) -> None:
    page = google_app.connect(untick=(scopes.FREEBUSY,))
    assert 'id="missing-scopes-banner"' in page.text
    assert scopes.SCOPE_PURPOSES[scopes.FREEBUSY] in page.text
    connection = connection_of(google_app)
    assert connection is not None
    assert connection.missing_scopes == (scopes.FREEBUSY,)
    again = google_app.connect()
    assert 'id="missing-scopes-banner"' not in again.text
    connection = connection_of(google_app)
    assert connection is not None and connection.missing_scopes == ()


def test_a_wrong_state_is_refused(google_app: ConnectedApp) -> None:
    callback = google_app.sandbox.consent(google_app.start_connect())
    forged = callback.replace("state=", "state=x")
    response = google_app.client.get(forged)
    assert response.status_code == 400
    assert "does not belong to your session" in response.text
    assert connection_of(google_app) is None


def test_a_missing_state_is_refused(google_app: ConnectedApp) -> None:
    response = google_app.client.get("/oauth/google/callback?code=abc")
    assert response.status_code == 400
    assert "no state" in response.text


def test_a_reused_state_is_refused(google_app: ConnectedApp) -> None:
    callback = google_app.sandbox.consent(google_app.start_connect())
    assert google_app.client.get(callback).status_code == 200
    replay = google_app.client.get(callback)
    assert replay.status_code == 400
    assert "already used" in replay.text


def test_an_expired_state_is_refused(google_app: ConnectedApp) -> None:
    callback = google_app.sandbox.consent(google_app.start_connect())
    with google_app.services.session_factory() as session:
        session.execute(
            update(OAuthState).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
    response = google_app.client.get(callback)
    assert response.status_code == 400
    assert "expired" in response.text
    assert connection_of(google_app) is None


def test_a_state_from_another_browser_session_is_refused(
    google_app: ConnectedApp,
) -> None:
    import httpx

    from tests.support.app_env import log_in

    callback = google_app.sandbox.consent(google_app.start_connect())
    with httpx.Client(base_url=google_app.url, follow_redirects=True) as other_browser:
        log_in(other_browser)
        response = other_browser.get(callback)
    assert response.status_code == 400
    assert connection_of(google_app) is None


def test_a_wrong_pkce_verifier_fails_the_exchange(google_app: ConnectedApp) -> None:
    callback = google_app.sandbox.consent(google_app.start_connect())
    with google_app.services.session_factory() as session:
        session.execute(
            update(OAuthState).values(
                code_verifier_ciphertext=google_app.services.cipher.encrypt(b"x" * 64)
            )
        )
        session.commit()
    response = google_app.client.get(callback)
    assert response.status_code == 400
    assert "Google refused the connection (invalid_grant)" in response.text
    assert "Traceback" not in response.text
    assert connection_of(google_app) is None


def test_an_expired_access_token_is_refreshed_transparently(google_app: ConnectedApp) -> None:
    google_app.connect()
    before = connection_of(google_app)
    assert before is not None
    google_app.sandbox.control("POST", "tokens/expire")
    calendars = calendar_client(google_app).list_calendars()
    assert calendars
    after = connection_of(google_app)
    assert after is not None
    assert after.token_version == before.token_version + 1
    old = google_app.services.cipher.decrypt_tokens(before.token_ciphertext)
    new = google_app.services.cipher.decrypt_tokens(after.token_ciphertext)
    assert new.access_token != old.access_token
    assert new.refresh_token == old.refresh_token


def test_a_token_about_to_expire_is_refreshed_before_use(google_app: ConnectedApp) -> None:
    google_app.connect()
    with google_app.services.session_factory() as session:
        session.execute(update(GoogleConnection).values(access_token_expires_at=datetime.now(UTC)))
        session.commit()
    assert calendar_client(google_app).list_calendars()
    connection = connection_of(google_app)
    assert connection is not None
    assert connection.access_token_expires_at is not None
    assert connection.access_token_expires_at > datetime.now(UTC) + timedelta(minutes=30)


def test_revoked_grant_marks_needs_reauth_shows_banner_and_reconnect_clears_it(
    google_app: ConnectedApp,
) -> None:
    google_app.connect()
    google_app.sandbox.control("POST", "grants/revoke-all")
    with pytest.raises(ReauthorizationRequiredError):
        calendar_client(google_app).list_calendars()
    connection = connection_of(google_app)
    assert connection is not None
    assert connection.status is ConnectionStatus.NEEDS_REAUTH
    assert connection.status_reason and "invalid_grant" in connection.status_reason
    dashboard = google_app.client.get("/dashboard")
    assert 'id="reauth-banner"' in dashboard.text
    with pytest.raises(ReauthorizationRequiredError):
        google_app.services.credentials.for_host(connection.host_id)

    reconnected = google_app.connect()
    assert 'id="reauth-banner"' not in reconnected.text
    connection = connection_of(google_app)
    assert connection is not None and connection.status is ConnectionStatus.ACTIVE
    assert calendar_client(google_app).list_calendars()


def test_disconnect_revokes_at_google_and_forgets_the_tokens(google_app: ConnectedApp) -> None:
    google_app.connect()
    dashboard = google_app.client.get("/dashboard")
    page = google_app.client.post(
        "/dashboard/google/disconnect", data={"csrf_token": csrf_from(dashboard.text)}
    )
    assert "access revoked" in page.text
    assert connection_of(google_app) is None
    grants = google_app.sandbox.control("GET", "grants")["grants"]
    assert grants and all(grant["revoked"] for grant in grants)


def test_disconnect_when_google_is_unreachable_still_forgets_locally(
    google_app: ConnectedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    google_app.connect()
    monkeypatch.setattr(
        google_app.services.settings, "google_revoke_uri", "http://127.0.0.1:9/revoke"
    )
    dashboard = google_app.client.get("/dashboard")
    page = google_app.client.post(
        "/dashboard/google/disconnect", data={"csrf_token": csrf_from(dashboard.text)}
    )
    assert page.status_code == 200
    assert "could not be reached" in page.text
    assert connection_of(google_app) is None


def test_connect_without_csrf_token_is_refused(google_app: ConnectedApp) -> None:
    response = google_app.client.post("/dashboard/google/connect", follow_redirects=False)
    assert response.status_code == 403


def test_disconnect_asks_first_naming_the_bookings_affected(booking_env: BookingEnv) -> None:
    booked = booking_env.hold("intro", booking_env.first_slot("intro"))
    assert booked.status_code == 201, booked.text
    client = booking_env.host.client
    dashboard = client.get("/dashboard")
    assert 'href="/dashboard/google/disconnect"' in dashboard.text
    assert 'action="/dashboard/google/disconnect"' not in dashboard.text
    question = client.get("/dashboard/google/disconnect")
    assert question.status_code == 200
    account = booking_env.google.config.account_email
    assert f"LeadsCalendar loses access to {account}" in question.text
    assert "1 upcoming booking is affected" in question.text
    assert connection_of(booking_env.host) is not None, "asking changes nothing"
    page = client.post(
        "/dashboard/google/disconnect", data={"csrf_token": csrf_from(question.text)}
    )
    assert "access revoked" in page.text
    assert connection_of(booking_env.host) is None
