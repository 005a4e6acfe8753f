"""Identity endpoints: who the token belongs to, and what it may do.

The sandbox never issues an ``id_token``: google-auth would verify its signature
against Google's published keys, which a local server cannot sign for. Clients
learn the account from ``/oauth2/v3/userinfo`` (or ``tokeninfo``) instead.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadscalendar.sandbox.google.errors import AUTH_CHALLENGE
from leadscalendar.sandbox.google.state import get_state
from leadscalendar.sandbox.google.tokens import TokenView, subject_id

router = APIRouter()

EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _view_from_bearer(request: Request) -> TokenView | None:
    token = bearer_token(request) or request.query_params.get("access_token")
    return get_state(request).grants.lookup_access(token) if token else None


def _invalid_credentials() -> Response:
    return JSONResponse(
        {"error": "invalid_request", "error_description": "Invalid Credentials"},
        status_code=401,
        headers={"WWW-Authenticate": AUTH_CHALLENGE},
    )


@router.get("/oauth2/v3/userinfo", include_in_schema=False)
async def userinfo_v3(request: Request) -> Response:
    view = _view_from_bearer(request)
    if view is None:
        return _invalid_credentials()
    body: dict[str, Any] = {"sub": subject_id(view.account_email)}
    if EMAIL_SCOPE in view.scopes:
        body.update(email=view.account_email, email_verified=True)
    return JSONResponse(body)


@router.get("/oauth2/v2/userinfo", include_in_schema=False)
async def userinfo_v2(request: Request) -> Response:
    view = _view_from_bearer(request)
    if view is None:
        return _invalid_credentials()
    body: dict[str, Any] = {"id": subject_id(view.account_email)}
    if EMAIL_SCOPE in view.scopes:
        body.update(email=view.account_email, verified_email=True)
    return JSONResponse(body)


async def _token_param(request: Request) -> str | None:
    token = request.query_params.get("access_token")
    if token is None and request.method == "POST":
        token = str((await request.form()).get("access_token") or "") or None
    return token


async def tokeninfo_v1(request: Request) -> Response:
    """Google's v1 shape: ``issued_to``, ``scope``, ``expires_in`` (int), ``email``."""
    token = await _token_param(request)
    view = get_state(request).grants.lookup_access(token) if token else None
    if view is None:
        return JSONResponse(
            {"error": "invalid_token", "error_description": "Invalid Value"}, status_code=400
        )
    body: dict[str, Any] = {
        "issued_to": view.client_id,
        "audience": view.client_id,
        "user_id": subject_id(view.account_email),
        "scope": " ".join(sorted(view.scopes)),
        "expires_in": view.expires_in,
    }
    if EMAIL_SCOPE in view.scopes:
        body.update(email=view.account_email, verified_email=True)
    body["access_type"] = "offline" if view.offline else "online"
    return JSONResponse(body)


async def tokeninfo_v3(request: Request) -> Response:
    """Google's v3 shape, where numbers and booleans come back as strings."""
    token = await _token_param(request)
    view = get_state(request).grants.lookup_access(token) if token else None
    if view is None:
        return JSONResponse({"error_description": "Invalid Value"}, status_code=400)
    body: dict[str, Any] = {
        "azp": view.client_id,
        "aud": view.client_id,
        "sub": subject_id(view.account_email),
        "scope": " ".join(sorted(view.scopes)),
        "exp": str(int(time.time()) + view.expires_in),
        "expires_in": str(view.expires_in),
    }
    if EMAIL_SCOPE in view.scopes:
        body.update(email=view.account_email, email_verified="true")
    body["access_type"] = "offline" if view.offline else "online"
    return JSONResponse(body)


router.add_api_route(
    "/oauth2/v1/tokeninfo", tokeninfo_v1, methods=["GET", "POST"], include_in_schema=False
)
router.add_api_route(
    "/oauth2/v3/tokeninfo", tokeninfo_v3, methods=["GET", "POST"], include_in_schema=False
)
