"""Google's OAuth 2.0 endpoints: authorization + consent, token, revoke.

Validation mirrors Google: problems with the client or the redirect URI are
shown on an error page and never redirected (the redirect target is not
trusted yet); everything else goes back to the redirect URI as ``error=...``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from leadscalendar.sandbox.google.errors import oauth_error
from leadscalendar.sandbox.google.rendering import render
from leadscalendar.sandbox.google.scopes import scope_label
from leadscalendar.sandbox.google.state import SandboxState, get_state
from leadscalendar.sandbox.google.tokens import (
    ALWAYS_GRANTED,
    AuthCode,
    PendingConsent,
    TokenFailure,
    TokenView,
    normalise_scopes,
)

router = APIRouter()

AUTH_PATHS = ("/o/oauth2/v2/auth", "/o/oauth2/auth")
DECISION_PATH = "/o/oauth2/v2/auth/decision"
VERIFIER_PATTERN = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
NO_STORE = {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"}


def _error_page(error: str, message: str, code: int = 400, status: int = 400) -> HTMLResponse:
    return HTMLResponse(
        render("error.html", error=error, message=message, code=code),
        status_code=status,
        headers=NO_STORE,
    )


def _redirect(redirect_uri: str, params: dict[str, str | None]) -> RedirectResponse:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{query}", status_code=302, headers=NO_STORE)


def _scope_id(scope: str) -> str:
    """A stable, CSS-safe element id per scope, so browser tests can untick one."""
    short = scope.removeprefix("https://www.googleapis.com/auth/")
    return "scope-" + re.sub(r"[^A-Za-z0-9]+", "-", short).strip("-")


async def authorize(request: Request) -> Response:
    state = get_state(request)
    config = state.config
    params = request.query_params
    client_id = params.get("client_id")
    if not client_id:
        return _error_page("invalid_request", "Missing required parameter: client_id")
    if client_id != config.client_id:
        return _error_page("invalid_client", "The OAuth client was not found.", code=401)
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        return _error_page("invalid_request", "Missing required parameter: redirect_uri")
    if redirect_uri not in config.redirect_uris:
        return _error_page(
            "redirect_uri_mismatch",
            "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
            f"policy. If you're the app developer, register the redirect URI {redirect_uri} "
            "in the Google Cloud Console.",
        )
    client_state = params.get("state")
    if params.get("response_type") != "code":
        return _redirect(
            redirect_uri, {"error": "unsupported_response_type", "state": client_state}
        )
    scopes = tuple(dict.fromkeys(params.get("scope", "").split()))
    if not scopes:
        return _error_page("invalid_request", "Missing required parameter: scope")
    access_type = params.get("access_type", "online")
    if access_type not in ("online", "offline"):
        return _error_page("invalid_request", f"Invalid access_type: {access_type}")
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is not None:
        method = method or "plain"
        if method not in ("S256", "plain"):
            return _error_page("invalid_request", "Invalid code_challenge_method value.")
    elif method is not None:
        return _error_page("invalid_request", "Missing required parameter: code_challenge")
    pending = PendingConsent(
        id=state.grants.new_pending_id(),
        client_id=client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=client_state,
        access_type=access_type,
        prompt=params.get("prompt"),
        include_granted_scopes=params.get("include_granted_scopes") == "true",
        login_hint=params.get("login_hint"),
        code_challenge=challenge,
        code_challenge_method=method if challenge is not None else None,
        expires_at=state.grants.pending_expiry(),
    )
    prompts = set((pending.prompt or "").split())
    if "none" in prompts:
        return _silent_authorization(state, pending)
    state.grants.add_pending(pending)
    return HTMLResponse(_consent_page(state, pending), headers=NO_STORE)


for _path in AUTH_PATHS:
    router.add_api_route(_path, authorize, methods=["GET"], include_in_schema=False)


def _consent_page(state: SandboxState, pending: PendingConsent) -> str:
    always = [scope for scope in pending.scopes if scope in ALWAYS_GRANTED]
    choosable = [scope for scope in pending.scopes if scope not in ALWAYS_GRANTED]
    return render(
        "consent.html",
        action=DECISION_PATH,
        request_id=pending.id,
        client_id=pending.client_id,
        account_email=pending.login_hint or state.config.account_email,
        always=[{"value": scope, "label": scope_label(scope)} for scope in always],
        choosable=[
            {"value": scope, "label": scope_label(scope), "id": _scope_id(scope)}
            for scope in choosable
        ],
    )


def _silent_authorization(state: SandboxState, pending: PendingConsent) -> Response:
    """``prompt=none``: succeed only if the account already granted every scope."""
    account = pending.login_hint or state.config.account_email
    previous = state.grants.previous_scopes(pending.client_id, account)
    wanted = normalise_scopes(pending.scopes)
    if not wanted <= previous:
        return _redirect(
            pending.redirect_uri, {"error": "consent_required", "state": pending.state}
        )
    return _issue_code(
        state, pending, account, previous if pending.include_granted_scopes else wanted
    )


def _issue_code(
    state: SandboxState, pending: PendingConsent, account: str, scopes: frozenset[str]
) -> Response:
    code = state.grants.create_grant(pending, account, scopes)
    return _redirect(
        pending.redirect_uri,
        {
            "state": pending.state,
            "code": code.code,
            "scope": " ".join(sorted(scopes)),
            "authuser": "0",
            "prompt": "consent",
        },
    )


@router.post(DECISION_PATH, include_in_schema=False)
async def decide(request: Request) -> Response:
    """The consent form's answer: grant what stayed ticked, or deny."""
    state = get_state(request)
    form = await request.form()
    pending = state.grants.take_pending(str(form.get("request_id", "")))
    if pending is None:
        return _error_page("invalid_request", "This authorization request has expired.")
    if form.get("decision") != "allow":
        return _redirect(pending.redirect_uri, {"error": "access_denied", "state": pending.state})
    account = str(form.get("account_email") or state.config.account_email).strip().lower()
    if "@" not in account:
        return _error_page("invalid_request", "Enter a valid e-mail address for the account.")
    ticked = {str(value) for value in form.getlist("scope")}
    granted = {scope for scope in pending.scopes if scope in ALWAYS_GRANTED or scope in ticked}
    scopes = normalise_scopes(tuple(granted))
    if pending.include_granted_scopes:
        scopes |= state.grants.previous_scopes(pending.client_id, account)
    return _issue_code(state, pending, account, scopes)


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (ValueError, UnicodeDecodeError):
            return "", None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret")


def _pkce_matches(code: AuthCode, verifier: str) -> bool:
    if code.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        expected = verifier
    return hmac.compare_digest(expected, code.code_challenge or "")


def _token_body(view: TokenView, refresh_token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": view.token,
        "expires_in": view.expires_in,
        "scope": " ".join(sorted(view.scopes)),
        "token_type": "Bearer",
    }
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    return body


def _failure(failure: TokenFailure) -> Response:
    return oauth_error(failure.status, failure.error, failure.description)


@router.post("/token", include_in_schema=False)
@router.post("/o/oauth2/token", include_in_schema=False)
async def token(request: Request) -> Response:
    """The token endpoint; ``id_token`` is never issued (see ``userinfo`` instead)."""
    state = get_state(request)
    config = state.config
    form = {key: str(value) for key, value in (await request.form()).items()}
    client_id, secret = _client_credentials(request, form)
    if not client_id:
        return oauth_error(400, "invalid_request", "Could not determine client ID from request.")
    if client_id != config.client_id:
        return oauth_error(401, "invalid_client", "The OAuth client was not found.")
    if not secret:
        return oauth_error(400, "invalid_request", "client_secret is missing.")
    if not hmac.compare_digest(secret, config.client_secret):
        return oauth_error(401, "invalid_client", "Unauthorized")
    grant_type = form.get("grant_type", "")
    lifetime = config.access_token_lifetime_seconds
    if grant_type == "authorization_code":
        return _exchange_code(state, form, lifetime)
    if grant_type == "refresh_token":
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            return oauth_error(400, "invalid_request", "Missing required parameter: refresh_token")
        view = state.grants.refresh(refresh_token, lifetime)
        if view is None:
            return oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        return Response(
            content=_json(_token_body(view, None)),
            media_type="application/json; charset=utf-8",
            headers=NO_STORE,
        )
    return oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")


def _exchange_code(state: SandboxState, form: dict[str, str], lifetime: int) -> Response:
    code = form.get("code")
    if not code:
        return oauth_error(400, "invalid_request", "Missing required parameter: code")
    redirect_uri = form.get("redirect_uri", "")
    verifier = form.get("code_verifier")

    def check(found: AuthCode) -> TokenFailure | None:
        if redirect_uri != found.redirect_uri:
            return TokenFailure(400, "redirect_uri_mismatch", "Bad Request")
        if found.code_challenge is None:
            return None
        if not verifier:
            return TokenFailure(400, "invalid_grant", "Missing code verifier.")
        if not VERIFIER_PATTERN.match(verifier) or not _pkce_matches(found, verifier):
            return TokenFailure(400, "invalid_grant", "Invalid code verifier.")
        return None

    outcome = state.grants.redeem_code(code, check)
    if isinstance(outcome, TokenFailure):
        return _failure(outcome)
    _, grant = outcome
    view, refresh_token = state.grants.issue_tokens(grant.id, lifetime)
    return Response(
        content=_json(_token_body(view, refresh_token)),
        media_type="application/json; charset=utf-8",
        headers=NO_STORE,
    )


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=2)


async def revoke(request: Request) -> Response:
    """Revoke the whole grant behind an access or refresh token."""
    state = get_state(request)
    token_value = request.query_params.get("token")
    if token_value is None and request.method == "POST":
        token_value = str((await request.form()).get("token") or "") or None
    if not token_value or not state.grants.revoke_token(token_value):
        return oauth_error(400, "invalid_token", "Token expired or revoked")
    return Response("{}", media_type="application/json; charset=utf-8", headers=NO_STORE)


for _path in ("/revoke", "/o/oauth2/revoke"):
    router.add_api_route(_path, revoke, methods=["GET", "POST"], include_in_schema=False)
