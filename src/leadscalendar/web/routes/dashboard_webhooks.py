"""The dashboard's webhooks section: endpoints (add, change, rotate, delete), delivery logs.

A secret is rendered in the answer to the request that made it, never
redirected through the session cookie, and never shown again.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard import confirmations
from leadscalendar.web.dashboard.common import form_values, render
from leadscalendar.web.dashboard.forms import FormValues
from leadscalendar.web.deps import CurrentHost, DbSession, ReadDbSession, ReadHost, ServicesDep
from leadscalendar.web.routes.dashboard import flash
from leadscalendar.webhooks_out import service
from leadscalendar.webhooks_out.models import EventType, WebhookEndpoint
from leadscalendar.webhooks_out.schemas import EndpointIn, EndpointPatch

router = APIRouter(prefix="/dashboard/webhooks", tags=["dashboard"])
Form = Annotated[FormValues, Depends(form_values)]
EVENT_FIELD = "event:"


def _events(form: FormValues) -> list[str]:
    return [event.value for event in EventType if form.get(EVENT_FIELD + event.value)]


def _problem(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "form"
        if field == "event_types":
            return "Choose at least one event."
        return f"{field.replace('_', ' ').capitalize()}: {first['msg']}."
    assert isinstance(error, LeadsCalendarError)
    return error.message


def _secret_page(
    request: Request, host: Host, endpoint: WebhookEndpoint, secret: str, what: str
) -> Response:
    response = render(
        request,
        "dashboard/webhook_secret.html",
        host,
        {"section": "webhooks", "endpoint": endpoint, "secret": secret, "what": what},
        status_code=201 if what == "created" else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _list_page(
    request: Request,
    session: Session,
    host: Host,
    *,
    form: FormValues | None = None,
    problem: str | None = None,
) -> Response:
    return render(
        request,
        "dashboard/webhooks.html",
        host,
        {
            "section": "webhooks",
            "endpoints": service.list_endpoints(session, host.id),
            "event_types": list(EventType),
            "form": form or {},
            "problem": problem,
            "event_field": EVENT_FIELD,
        },
        status_code=400 if problem else 200,
    )


@router.get("")
def endpoints(request: Request, session: ReadDbSession, host: ReadHost) -> Response:
    return _list_page(request, session, host)


@router.post("", dependencies=[Depends(require_csrf)])
def create(
    request: Request, session: DbSession, services: ServicesDep, host: CurrentHost, form: Form
) -> Response:
    try:
        body = EndpointIn(
            url=form.get("url", ""),
            description=form.get("description", ""),
            event_types=_events(form),
        )
        created = service.create_endpoint(
            session, services.cipher, services.settings, host.id, body
        )
    except (ValidationError, LeadsCalendarError) as error:
        return _list_page(request, session, host, form=form, problem=_problem(error))
    return _secret_page(request, host, created.endpoint, created.secret, "created")


def _detail(
    request: Request,
    session: Session,
    host: Host,
    endpoint: WebhookEndpoint,
    problem: str | None = None,
) -> Response:
    context: dict[str, Any] = {
        "section": "webhooks",
        "endpoint": endpoint,
        "deliveries": service.list_deliveries(session, endpoint, 50),
        "event_types": list(EventType),
        "event_field": EVENT_FIELD,
        "problem": problem,
        "message_header_id": service.message_header_id,
    }
    return render(
        request, "dashboard/webhook.html", host, context, status_code=400 if problem else 200
    )


@router.get("/{endpoint_id}")
def endpoint(
    request: Request, session: ReadDbSession, host: ReadHost, endpoint_id: uuid.UUID
) -> Response:
    return _detail(request, session, host, service.get_endpoint(session, host.id, endpoint_id))


@router.post("/{endpoint_id}", dependencies=[Depends(require_csrf)])
def update(
    request: Request,
    session: DbSession,
    services: ServicesDep,
    host: CurrentHost,
    endpoint_id: uuid.UUID,
    form: Form,
) -> Response:
    found = service.get_endpoint(session, host.id, endpoint_id)
    try:
        patch = EndpointPatch(
            url=form.get("url", found.url),
            description=form.get("description", ""),
            event_types=_events(form),
            enabled=bool(form.get("enabled")),
        )
        service.update_endpoint(session, services.settings, found, patch)
    except (ValidationError, LeadsCalendarError) as error:
        session.rollback()
        found = service.get_endpoint(session, host.id, endpoint_id)
        return _detail(request, session, host, found, _problem(error))
    flash(request, "Webhook endpoint saved.")
    return RedirectResponse(f"/dashboard/webhooks/{endpoint_id}", status_code=303)


@router.post("/{endpoint_id}/rotate", dependencies=[Depends(require_csrf)])
def rotate(
    request: Request,
    session: DbSession,
    services: ServicesDep,
    host: CurrentHost,
    endpoint_id: uuid.UUID,
) -> Response:
    found = service.get_endpoint(session, host.id, endpoint_id)
    secret, _ = service.rotate_secret(session, services.cipher, services.settings, found)
    return _secret_page(request, host, found, secret, "rotated")


@router.get("/{endpoint_id}/delete")
def confirm_delete(
    request: Request, session: ReadDbSession, host: ReadHost, endpoint_id: uuid.UUID
) -> Response:
    """Ask first: the endpoint, its log and its secret go for good."""
    found = service.get_endpoint(session, host.id, endpoint_id)
    confirmation = confirmations.delete_webhook_endpoint(found)
    return render(request, "dashboard/confirm.html", host, {"confirmation": confirmation})


@router.post("/{endpoint_id}/delete", dependencies=[Depends(require_csrf)])
def delete(
    request: Request, session: DbSession, host: CurrentHost, endpoint_id: uuid.UUID
) -> Response:
    found = service.get_endpoint(session, host.id, endpoint_id)
    url = found.url
    service.delete_endpoint(session, found)
    flash(request, f"Webhook endpoint {url} deleted; it receives nothing more.")
    return RedirectResponse("/dashboard/webhooks", status_code=303)


@router.post("/{endpoint_id}/deliveries/{delivery_id}/resend", dependencies=[Depends(require_csrf)])
def resend(
    request: Request,
    session: DbSession,
    host: CurrentHost,
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
) -> Response:
    found = service.get_endpoint(session, host.id, endpoint_id)
    service.resend(session, host.id, delivery_id, endpoint=found)
    flash(request, "The event will be sent again, after any earlier one of its booking.")
    return RedirectResponse(f"/dashboard/webhooks/{endpoint_id}", status_code=303)
