"""The OAuth server, driven by google-auth-oauthlib, google-auth and plain httpx."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode

import google.auth.transport.requests
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials

from tests.support.google_sandbox import CALENDAR_SCOPES, GoogleSandbox, query_of

EVENTS_OWNED = "https://www.googleapis.com/auth/calendar.events.owned"
FREEBUSY = "https://www.googleapis.com/auth/calendar.freebusy"
USERINFO_EMAIL = "https://www.googleapis.com/auth/userinfo.email"
VERIFIER = "v" * 43


def _refresh(credentials: Credentials) -> None:
    with requests.Session() as session:
        credentials.refresh(google.auth.transport.requests.Request(session=session))


def _auth_url(sandbox: GoogleSandbox, **overrides: str) -> str:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest())
    params = {
        "client_id": sandbox.config.client_id,
        "redirect_uri": sandbox.redirect_uri,
        "response_type": "code",
        "scope": " ".join(CALENDAR_SCOPES),
        "state": "xyz",
        "access_type": "offline",
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return f"{sandbox.auth_uri}?{urlencode(params)}"


def _code(sandbox: GoogleSandbox, **overrides: str) -> str:
    return query_of(sandbox.consent(_auth_url(sandbox, **overrides)))["code"]


def _exchange(sandbox: GoogleSandbox, code: str, **overrides: str) -> dict[str, object]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": sandbox.redirect_uri,
        "client_id": sandbox.config.client_id,
        "client_secret": sandbox.config.client_secret,
        "code_verifier": VERIFIER,
    }
    form.update(overrides)
    response = sandbox.http.post("token", data=form)
    body: dict[str, object] = response.json()
    body["_status"] = response.status_code
    return body


def test_flow_with_pkce_yields_working_offline_credentials(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()

    assert credentials.token and credentials.token.startswith("ya29.")
    assert credentials.refresh_token
    assert set(credentials.granted_scopes or ()) == set(CALENDAR_SCOPES)
    info = google_sandbox.http.get(
        "oauth2/v3/userinfo", headers={"Authorization": f"Bearer {credentials.token}"}
    ).json()
    assert info["email"] == "host@sandbox.test"
    assert info["email_verified"] is True
    assert info["sub"].isdigit()
    grants = google_sandbox.control("GET", "grants")["grants"]
    assert [grant["account_email"] for grant in grants] == ["host@sandbox.test"]
    assert grants[0]["revoked"] is False


def test_consent_page_lists_each_scope_and_always_grants_identity(
    google_sandbox: GoogleSandbox,
) -> None:
    page = google_sandbox.http.get(_auth_url(google_sandbox)).text

    assert 'id="scope-calendar-events-owned"' in page
    assert 'id="scope-calendar-freebusy"' in page
    assert 'id="scope-calendar-calendarlist-readonly"' in page
    assert 'id="scope-openid"' not in page  # identity scopes carry no checkbox
    assert 'id="allow"' in page and 'id="deny"' in page


def test_unticked_scope_is_missing_from_the_grant(
    google_sandbox: GoogleSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Google reports what was granted; oauthlib raises on a narrower scope unless relaxed.
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    credentials = google_sandbox.connect(untick=[FREEBUSY])

    assert FREEBUSY not in (credentials.granted_scopes or [])
    assert EVENTS_OWNED in (credentials.granted_scopes or [])
    assert USERINFO_EMAIL in (credentials.granted_scopes or [])


def test_redirect_carries_state_and_space_separated_scope(google_sandbox: GoogleSandbox) -> None:
    redirect = google_sandbox.consent(_auth_url(google_sandbox))

    assert redirect.startswith(google_sandbox.redirect_uri + "?")
    params = query_of(redirect)
    assert params["state"] == "xyz"
    assert set(params["scope"].split(" ")) == set(CALENDAR_SCOPES)


def test_deny_redirects_with_access_denied(google_sandbox: GoogleSandbox) -> None:
    params = query_of(google_sandbox.consent(_auth_url(google_sandbox), deny=True))

    assert params == {"error": "access_denied", "state": "xyz"}
    assert google_sandbox.control("GET", "grants")["grants"] == []


def test_unknown_client_and_foreign_redirect_uri_get_an_error_page_not_a_redirect(
    google_sandbox: GoogleSandbox,
) -> None:
    unknown = google_sandbox.http.get(_auth_url(google_sandbox, client_id="nope"))
    foreign = google_sandbox.http.get(_auth_url(google_sandbox, redirect_uri="https://evil.test/"))

    assert unknown.status_code == 400
    assert "Error 401: invalid_client" in unknown.text
    assert foreign.status_code == 400
    assert "redirect_uri_mismatch" in foreign.text
    assert "location" not in foreign.headers


def test_wrong_response_type_is_redirected_back(google_sandbox: GoogleSandbox) -> None:
    response = google_sandbox.http.get(_auth_url(google_sandbox, response_type="token"))

    assert response.status_code == 302
    assert query_of(response.headers["location"]) == {
        "error": "unsupported_response_type",
        "state": "xyz",
    }


def test_bad_challenge_method_is_rejected(google_sandbox: GoogleSandbox) -> None:
    response = google_sandbox.http.get(_auth_url(google_sandbox, code_challenge_method="S512"))

    assert response.status_code == 400
    assert "invalid_request" in response.text


def test_plain_pkce_is_accepted(google_sandbox: GoogleSandbox) -> None:
    code = _code(google_sandbox, code_challenge=VERIFIER, code_challenge_method="plain")

    assert _exchange(google_sandbox, code)["_status"] == 200


def test_wrong_or_missing_verifier_is_invalid_grant_and_leaves_the_code_usable(
    google_sandbox: GoogleSandbox,
) -> None:
    code = _code(google_sandbox)

    wrong = _exchange(google_sandbox, code, code_verifier="w" * 43)
    missing = _exchange(google_sandbox, code, code_verifier="")
    right = _exchange(google_sandbox, code)

    assert wrong == {
        "error": "invalid_grant",
        "error_description": "Invalid code verifier.",
        "_status": 400,
    }
    assert missing["error_description"] == "Missing code verifier."
    assert right["_status"] == 200


def test_redirect_uri_must_match_the_authorization_request(google_sandbox: GoogleSandbox) -> None:
    body = _exchange(google_sandbox, _code(google_sandbox), redirect_uri="http://127.0.0.1/x")

    assert body["_status"] == 400
    assert body["error"] == "redirect_uri_mismatch"


def test_reused_code_fails_and_revokes_what_it_issued(google_sandbox: GoogleSandbox) -> None:
    code = _code(google_sandbox)
    first = _exchange(google_sandbox, code)

    second = _exchange(google_sandbox, code)

    assert second["_status"] == 400 and second["error"] == "invalid_grant"
    refreshed = google_sandbox.http.post(
        "token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": google_sandbox.config.client_id,
            "client_secret": google_sandbox.config.client_secret,
        },
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error_description"] == "Token has been expired or revoked."


def test_online_access_gets_no_refresh_token(google_sandbox: GoogleSandbox) -> None:
    body = _exchange(google_sandbox, _code(google_sandbox, access_type="online"))

    assert body["_status"] == 200
    assert "refresh_token" not in body
    assert body["token_type"] == "Bearer"
    assert 3590 <= int(str(body["expires_in"])) <= 3600  # Google says 3599


def test_client_authentication_errors_match_google(google_sandbox: GoogleSandbox) -> None:
    code = _code(google_sandbox)

    wrong_secret = _exchange(google_sandbox, code, client_secret="nope")
    unknown = _exchange(google_sandbox, code, client_id="nope")
    basic = google_sandbox.http.post(
        "token",
        data={"grant_type": "password"},
        auth=(google_sandbox.config.client_id, google_sandbox.config.client_secret),
    )

    assert wrong_secret == {
        "error": "invalid_client",
        "error_description": "Unauthorized",
        "_status": 401,
    }
    assert unknown["_status"] == 401
    assert unknown["error_description"] == "The OAuth client was not found."
    assert basic.status_code == 400
    assert basic.json()["error"] == "unsupported_grant_type"


def test_refresh_with_google_auth_then_user_removes_access(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()
    first_token = credentials.token

    _refresh(credentials)

    assert credentials.token != first_token
    assert credentials.valid
    assert google_sandbox.control("POST", "grants/revoke-all") == {"revoked": 1}
    with pytest.raises(RefreshError, match="invalid_grant"):
        _refresh(credentials)
    status = google_sandbox.http.get(
        "oauth2/v1/tokeninfo", params={"access_token": credentials.token}
    )
    assert status.status_code == 400


def test_revoke_endpoint_kills_every_token_of_the_grant(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()
    other = google_sandbox.connect()

    revoked = google_sandbox.http.post("revoke", data={"token": credentials.refresh_token})
    again = google_sandbox.http.post(f"revoke?token={credentials.token}")

    assert revoked.status_code == 200 and revoked.json() == {}
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_token",
        "error_description": "Token expired or revoked",
    }
    with pytest.raises(RefreshError):
        _refresh(credentials)
    _refresh(other)  # a separate grant is untouched
    grants = google_sandbox.control("GET", "grants")["grants"]
    assert sorted(grant["revoked"] for grant in grants) == [False, True]


def test_tokeninfo_reports_scope_and_expiry_until_tokens_are_expired(
    google_sandbox: GoogleSandbox,
) -> None:
    credentials = google_sandbox.connect()

    info = google_sandbox.http.get(
        "oauth2/v1/tokeninfo", params={"access_token": credentials.token}
    ).json()
    expired = google_sandbox.control("POST", "tokens/expire")
    after = google_sandbox.http.get(
        "oauth2/v1/tokeninfo", params={"access_token": credentials.token}
    )

    assert set(info["scope"].split()) == set(CALENDAR_SCOPES)
    assert 3590 <= info["expires_in"] <= 3600
    assert info["email"] == "host@sandbox.test"
    assert info["issued_to"] == google_sandbox.config.client_id
    assert expired == {"expired": 1}
    assert after.status_code == 400
    _refresh(credentials)  # the refresh token still works after expiry
    assert credentials.valid


def test_prompt_none_needs_a_previous_grant(google_sandbox: GoogleSandbox) -> None:
    before = google_sandbox.http.get(_auth_url(google_sandbox, prompt="none"))
    google_sandbox.connect()
    after = google_sandbox.http.get(_auth_url(google_sandbox, prompt="none"))

    assert query_of(before.headers["location"])["error"] == "consent_required"
    assert "code" in query_of(after.headers["location"])


def test_include_granted_scopes_adds_earlier_grants(
    google_sandbox: GoogleSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    google_sandbox.connect(scopes=["openid", FREEBUSY])
    code = _code(google_sandbox, scope=f"openid {EVENTS_OWNED}", include_granted_scopes="true")

    body = _exchange(google_sandbox, code)

    assert set(str(body["scope"]).split()) == {"openid", FREEBUSY, EVENTS_OWNED}


def test_reset_forgets_grants(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()

    google_sandbox.control("POST", "reset")

    assert google_sandbox.control("GET", "grants") == {"grants": []}
    with pytest.raises(RefreshError):
        _refresh(credentials)
