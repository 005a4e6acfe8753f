"""The host's JSON API, part 3: outbound webhook endpoints, their secrets and delivery logs.

A secret is in the answer of the call that makes it (creation, rotation) and
nowhere else: the database keeps it encrypted and no other route returns it.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from leadscalendar.web.api_auth import ApiHost
from leadscalendar.web.api_schemas import error_responses
from leadscalendar.web.deps import DbSession, ServicesDep
from leadscalendar.webhooks_out import service
from leadscalendar.webhooks_out.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from leadscalendar.webhooks_out.models import WebhookMessage as Message
from leadscalendar.webhooks_out.schemas import (
    AttemptOut,
    DeliveryList,
    DeliveryOut,
    EndpointCreated,
    EndpointIn,
    EndpointList,
    EndpointOut,
    EndpointPatch,
    SecretRotated,
)

# A tag of its own within the host API: these routes resolve the URLs they are given
# (the SSRF guard), so generated-input tests of the "host" tag leave them to their tests.
router = APIRouter(
    prefix="/api/v1/webhook-endpoints",
    tags=["host webhooks"],
    responses=error_responses(400, 401),
)
NO_STORE = {"Cache-Control": "no-store"}


def endpoint_out(endpoint: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(
        id=str(endpoint.id),
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types),
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        disabled_at=endpoint.disabled_at,
        failing_since=endpoint.failing_since,
        last_success_at=endpoint.last_success_at,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        created_at=endpoint.created_at,
    )


def delivery_out(
    delivery: WebhookDelivery, message: Message, attempts: list[WebhookAttempt]
) -> DeliveryOut:
    return DeliveryOut(
        id=str(delivery.id),
        message_id=service.message_header_id(message.id),
        event_type=message.event_type,
        booking_id=str(delivery.booking_id),
        status=delivery.status.value,
        created_at=delivery.created_at,
        finished_at=delivery.finished_at,
        attempt_count=delivery.attempt_count,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        attempts=[
            AttemptOut(
                started_at=attempt.started_at,
                duration_ms=attempt.duration_ms,
                status_code=attempt.status_code,
                response_excerpt=attempt.response_excerpt,
                error=attempt.error,
            )
            for attempt in attempts
        ],
    )


@router.get("")
def list_endpoints(session: DbSession, host: ApiHost) -> EndpointList:
    return EndpointList(data=[endpoint_out(e) for e in service.list_endpoints(session, host.id)])


@router.post("", status_code=201, response_model=EndpointCreated)
def create_endpoint(
    session: DbSession, services: ServicesDep, host: ApiHost, body: EndpointIn
) -> JSONResponse:
    """Subscribe a URL to booking events; the answer holds its signing secret, shown once."""
    created = service.create_endpoint(session, services.cipher, services.settings, host.id, body)
    out = EndpointCreated(**endpoint_out(created.endpoint).model_dump(), secret=created.secret)
    return JSONResponse(out.model_dump(mode="json"), status_code=201, headers=NO_STORE)


@router.get("/{endpoint_id}", responses=error_responses(404))
def get_endpoint(session: DbSession, host: ApiHost, endpoint_id: uuid.UUID) -> EndpointOut:
    return endpoint_out(service.get_endpoint(session, host.id, endpoint_id))


@router.patch("/{endpoint_id}", responses=error_responses(404))
def update_endpoint(
    session: DbSession,
    services: ServicesDep,
    host: ApiHost,
    endpoint_id: uuid.UUID,
    body: EndpointPatch,
) -> EndpointOut:
    """Change the URL, description, events or enabled state; enabling forgets past failures."""
    endpoint = service.get_endpoint(session, host.id, endpoint_id)
    return endpoint_out(service.update_endpoint(session, services.settings, endpoint, body))


@router.delete("/{endpoint_id}", status_code=204, responses=error_responses(404))
def delete_endpoint(session: DbSession, host: ApiHost, endpoint_id: uuid.UUID) -> Response:
    service.delete_endpoint(session, service.get_endpoint(session, host.id, endpoint_id))
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret", responses=error_responses(404))
def rotate_secret(
    session: DbSession, services: ServicesDep, host: ApiHost, endpoint_id: uuid.UUID
) -> JSONResponse:
    """A new secret, shown once; the old one keeps signing too until the overlap ends."""
    endpoint = service.get_endpoint(session, host.id, endpoint_id)
    secret, expires = service.rotate_secret(session, services.cipher, services.settings, endpoint)
    out = SecretRotated(secret=secret, previous_secret_expires_at=expires)
    return JSONResponse(out.model_dump(mode="json"), headers=NO_STORE)


@router.get("/{endpoint_id}/deliveries", responses=error_responses(404))
def list_deliveries(
    session: DbSession,
    host: ApiHost,
    endpoint_id: uuid.UUID,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryList:
    """The endpoint's latest deliveries, newest first, each with every attempt."""
    endpoint = service.get_endpoint(session, host.id, endpoint_id)
    rows = service.list_deliveries(session, endpoint, limit)
    return DeliveryList(data=[delivery_out(*row) for row in rows])


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/resend",
    status_code=202,
    responses=error_responses(404),
)
def resend(
    session: DbSession, host: ApiHost, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryOut:
    """Send a delivery's message again (same ``webhook-id``), after the booking's others."""
    endpoint = service.get_endpoint(session, host.id, endpoint_id)
    delivery = service.resend(session, host.id, delivery_id, endpoint=endpoint)
    message = session.get(Message, delivery.message_id)
    assert message is not None
    return delivery_out(delivery, message, [])
