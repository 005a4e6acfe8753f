"""Google OAuth 2.0 for web servers: authorization URL with PKCE, code exchange, revoke.

google-auth-oauthlib does the protocol; this module only configures it from
settings, so the very same code talks to Google or to the local sandbox.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow

from leadscalendar.config import Settings
from leadscalendar.google.scopes import REQUESTED_SCOPES, parse_scope

# We compare the granted scopes with the required ones ourselves (granular
# consent lets a user untick any of them), so oauthlib must not treat a
# narrower grant as an error.
os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    code_verifier: str


@dataclass(frozen=True)
class ExchangedTokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    granted_scopes: frozenset[str]


def _client_config(settings: Settings) -> dict[str, Any]:
    return {
        "web": {
            "client_id": settings.google_client_id,
            "client_secret": settings.google_client_secret,
            "auth_uri": settings.google_auth_uri,
            "token_uri": settings.google_token_uri,
            "redirect_uris": [settings.google_redirect_uri],
        }
    }


def _allow_plain_http_on_loopback(settings: Settings) -> None:
    """oauthlib refuses http:// endpoints; the sandbox on loopback is the one exception."""
    hosts = {urlsplit(settings.google_token_uri).hostname, urlsplit(settings.public_url).hostname}
    if hosts <= LOOPBACK_HOSTS:
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def _flow(settings: Settings, code_verifier: str | None) -> Flow:
    _allow_plain_http_on_loopback(settings)
    return Flow.from_client_config(
        _client_config(settings),
        scopes=list(REQUESTED_SCOPES),
        redirect_uri=settings.google_redirect_uri,
        code_verifier=code_verifier,
        autogenerate_code_verifier=code_verifier is None,
    )


def authorization_request(
    settings: Settings, state: str, login_hint: str | None
) -> AuthorizationRequest:
    """Build the consent URL: offline access, forced consent, incremental scopes, S256 PKCE.

    ``prompt=consent`` makes Google issue a refresh token on every connect, so a
    reconnect after revocation always leaves us with a working one.
    """
    flow = _flow(settings, code_verifier=None)
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _ = flow.authorization_url(
        access_type="offline",
        prompt="consent",
        include_granted_scopes="true",
        state=state,
        **extra,
    )
    return AuthorizationRequest(url=url, code_verifier=str(flow.code_verifier))


def exchange_code(settings: Settings, code: str, code_verifier: str) -> ExchangedTokens:
    """Trade the authorization code (plus our PKCE verifier) for tokens."""
    flow = _flow(settings, code_verifier=code_verifier)
    try:
        flow.fetch_token(code=code)
    finally:
        flow.oauth2session.close()
    credentials: Credentials = flow.credentials
    token: dict[str, Any] = flow.oauth2session.token
    granted = token.get("scope") or credentials.granted_scopes or []
    scopes = parse_scope(granted) if isinstance(granted, str) else frozenset(granted)
    expiry = credentials.expiry.replace(tzinfo=UTC) if credentials.expiry else None
    return ExchangedTokens(
        access_token=str(credentials.token),
        refresh_token=credentials.refresh_token,
        expires_at=expiry,
        granted_scopes=scopes,
    )


def fetch_account_email(settings: Settings, access_token: str) -> str | None:
    """The Google account's e-mail, to show the host which account is connected."""
    response = httpx.get(
        settings.google_userinfo_uri,
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=settings.google_http_timeout_seconds,
    )
    if response.status_code != httpx.codes.OK:
        return None
    email = response.json().get("email")
    return str(email) if email else None


def revoke(settings: Settings, token: str) -> bool:
    """Revoke the grant at Google; ``False`` when Google could not be reached or refused."""
    try:
        response = httpx.post(
            settings.google_revoke_uri,
            data={"token": token},
            timeout=settings.google_http_timeout_seconds,
        )
    except httpx.HTTPError:
        return False
    # 400 invalid_token means it was already revoked: the outcome we wanted.
    return response.status_code in (httpx.codes.OK, httpx.codes.BAD_REQUEST)
