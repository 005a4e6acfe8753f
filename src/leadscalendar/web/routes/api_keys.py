"""The dashboard's API keys section: create (the key is shown once), revoke."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.accounts import api_keys
from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.db.base import utcnow
from leadscalendar.inputs import SingleLineText
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard import confirmations
from leadscalendar.web.dashboard.common import render
from leadscalendar.web.deps import CurrentHost, DbSession, ReadDbSession, ReadHost
from leadscalendar.web.routes.dashboard import flash
from leadscalendar.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.post("/dashboard/api-keys", dependencies=[Depends(require_csrf)])
def create(
    request: Request,
    session: DbSession,
    host: CurrentHost,
    name: Annotated[SingleLineText, Form(max_length=api_keys.MAX_NAME_LENGTH)] = "",
) -> Response:
    # Rendered, not redirected: the key must not travel through the session cookie.
    created = api_keys.create_api_key(session, host, name)
    response = templates.TemplateResponse(
        request,
        "api_key_created.html",
        {"host": host, "key": created.key, "secret": created.secret},
        status_code=201,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/dashboard/api-keys/{key_id}/revoke")
def confirm_revoke(
    request: Request, session: ReadDbSession, host: ReadHost, key_id: uuid.UUID
) -> Response:
    """Ask first: programs using the key are refused from now on."""
    key = accounts_repository.get_api_key(session, host.id, key_id)
    if key is None:
        raise api_keys.ApiKeyNotFoundError()
    if key.revoked_at is not None:
        return RedirectResponse("/dashboard", status_code=303)
    return render(
        request, "dashboard/confirm.html", host, {"confirmation": confirmations.revoke(key)}
    )


@router.post("/dashboard/api-keys/{key_id}/revoke", dependencies=[Depends(require_csrf)])
def revoke(request: Request, session: DbSession, host: CurrentHost, key_id: uuid.UUID) -> Response:
    key = api_keys.revoke_api_key(session, host, key_id, utcnow())
    flash(request, f"API key “{key.name}” revoked; requests with it are now refused.")
    return RedirectResponse("/dashboard", status_code=303)
