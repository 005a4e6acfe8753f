"""The ``/_sandbox`` control API: what tests, the demo and benchmarks pull on.

These are the things a real user or Google would do behind the application's
back (remove access, let tokens lapse), made callable over JSON.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadscalendar.sandbox.google.state import get_state

router = APIRouter(prefix="/_sandbox")


@router.get("/grants", include_in_schema=False)
async def list_grants(request: Request) -> Response:
    grants = get_state(request).grants.grants()
    return JSONResponse({"grants": [grant.describe() for grant in grants]})


@router.post("/grants/revoke-all", include_in_schema=False)
async def revoke_all(request: Request) -> Response:
    """As if the user removed the app in their Google account: every token dies."""
    return JSONResponse({"revoked": get_state(request).grants.revoke_all()})


@router.post("/grants/{grant_id}/revoke", include_in_schema=False)
async def revoke_grant(request: Request, grant_id: str) -> Response:
    grant = get_state(request).grants.revoke_grant(grant_id)
    if grant is None:
        return JSONResponse({"error": f"no grant {grant_id}"}, status_code=404)
    return JSONResponse({"grant": grant.describe()})


@router.post("/tokens/expire", include_in_schema=False)
async def expire_tokens(request: Request) -> Response:
    """Every access token expires now; refresh tokens keep working."""
    return JSONResponse({"expired": get_state(request).grants.expire_access_tokens()})


@router.post("/reset", include_in_schema=False)
async def reset(request: Request) -> Response:
    get_state(request).reset()
    return JSONResponse({"reset": True})
