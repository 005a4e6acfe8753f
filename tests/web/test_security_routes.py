"""Checks over every route the app has, so forms and pages added later are covered too.

* CSRF: every state-changing route outside ``/api/`` and ``/webhooks/`` refuses a
  request without the session's token (or with another session's) with 403,
  and changes nothing.
* Host isolation: host B, logged in, cannot see or change host A's objects
  through any ``/dashboard`` route. Path parameters are filled with A's ids by
  name (``host_a``'s ``values``); a route with a parameter nobody knows how to fill
  fails the test until it is added there or to ``NOT_CHECKED`` with a reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts import service as accounts
from leadscalendar.accounts.api_keys import create_api_key
from leadscalendar.bookings.booking_types import (
    BookingTypeIn,
    ScheduleIn,
    create_booking_type,
    set_schedule,
)
from leadscalendar.bookings.models import Booking, BookingEvent
from leadscalendar.bookings.questions import QuestionIn, QuestionType
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from leadscalendar.google.tokens import StoredTokens
from leadscalendar.jobs import enqueue
from leadscalendar.webhooks_out import service as webhooks
from leadscalendar.webhooks_out.models import EventType, WebhookDelivery
from leadscalendar.webhooks_out.schemas import EndpointIn
from tests.support.db_snapshot import snapshot
from tests.web.conftest import csrf_from, log_in

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_EXEMPT_PREFIXES = ("/api/", "/webhooks/")

# Routes whose parameters cannot be filled with host A's objects, and why. Keep it short.
NOT_CHECKED: dict[tuple[str, str], str] = {}

# Host A's data that must never appear on host B's pages.
A_MARKERS = (
    "alice-lead@example.com",
    "Alice Secret Session",
    "alice-google@example.com",
    "alice-hook",
)


@dataclass(frozen=True)
class HostA:
    host_id: uuid.UUID
    values: dict[str, str]


@pytest.fixture
def host_a(session_factory: sessionmaker[Session], app: FastAPI) -> HostA:
    """Host A with one of everything a dashboard route might address."""
    cipher = app.state.services.cipher
    with unit_of_work(session_factory) as session:
        host = accounts.create_host(
            session, email="alice@example.com", name="Alice", slug="alice", password="a" * 12
        )
        set_schedule(
            session, host.id, ScheduleIn.model_validate({"weekly": {0: [("09:00", "17:00")]}})
        )
        booking_type = create_booking_type(
            session,
            host.id,
            BookingTypeIn(
                slug="alice-secret",
                title="Alice Secret Session",
                duration_minutes=60,
                questions=[
                    QuestionIn(id="alice-q", label="Alice's question", type=QuestionType.PHONE)
                ],
            ),
        )
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        booking = Booking(
            host_id=host.id,
            booking_type_id=booking_type.id,
            status=BookingStatus.SCHEDULED,
            start_at=start,
            end_at=start + timedelta(hours=1),
            lead_time_zone="UTC",
            lead_name="Alice's Lead",
            lead_email="alice-lead@example.com",
            google_event_id="aliceevent0",
        )
        session.add(booking)
        session.flush()
        session.add(BookingEvent(booking_id=booking.id, kind="status_scheduled"))
        session.add(
            GoogleConnection(
                host_id=host.id,
                status=ConnectionStatus.ACTIVE,
                google_email="alice-google@example.com",
                token_ciphertext=cipher.encrypt_tokens(StoredTokens("ya29.alice", "1//alice")),
                token_version=1,
            )
        )
        job = enqueue(
            session,
            "noop",
            {"booking_id": str(booking.id)},
            subject_key=f"booking:{booking.id}",
            host_id=host.id,
        )
        api_key = create_api_key(session, host, "Alice's CRM")
        hook = webhooks.create_endpoint(
            session,
            cipher,
            app.state.services.settings,
            host.id,
            EndpointIn(url="http://127.0.0.1:9/alice-hook", event_types=list(EventType)),
        ).endpoint
        message = webhooks.emit(
            session,
            host_id=host.id,
            booking_id=booking.id,
            event_type=EventType.BOOKING_SCHEDULED,
            data={"id": str(booking.id)},
        )
        assert message is not None
        delivery = session.scalars(select(WebhookDelivery)).one()
        session.flush()
        values = {
            "key_id": str(api_key.key.id),
            "booking_id": str(booking.id),
            "booking_type_id": str(booking_type.id),
            "type_id": str(booking_type.id),
            "question_id": "alice-q",
            "type_slug": booking_type.slug,
            "slug": booking_type.slug,
            "job_id": str(job.id),
            "endpoint_id": str(hook.id),
            "delivery_id": str(delivery.id),
            "event_id": "aliceevent0",
            "day": (datetime.now(UTC).date() + timedelta(days=3)).isoformat(),
            "date": (datetime.now(UTC).date() + timedelta(days=3)).isoformat(),
        }
        return HostA(host.id, values)


@dataclass(frozen=True)
class Endpoint:
    path: str
    method: str
    dependant: Dependant

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(app: FastAPI) -> Iterator[Endpoint]:
    """Every (path, method) the app answers, routers included, as FastAPI resolves them."""
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        if not isinstance(dependant, Dependant):
            continue  # mounts (static files) and FastAPI's own /openapi.json
        for method in sorted(context.methods or ()):
            yield Endpoint(str(context.path_format), method, dependant)


def dummy_path(endpoint: Endpoint) -> str:
    """The path with placeholder values of the right type (CSRF is checked before lookups)."""
    path = endpoint.path
    for field in endpoint.dependant.path_params:
        annotation = field.field_info.annotation
        if annotation is uuid.UUID:
            value = str(uuid.uuid4())
        elif annotation is int:
            value = "1"
        elif annotation is date:
            value = datetime.now(UTC).date().isoformat()
        else:
            value = "x"
        path = path.replace("{" + field.name + "}", value)
    return path


def send(client: httpx.Client, method: str, path: str, data: dict[str, str]) -> httpx.Response:
    return client.request(method, path, data=data, follow_redirects=False)


def assert_still_logged_in(client: httpx.Client) -> None:
    assert client.get("/dashboard", follow_redirects=False).status_code == 200


def test_every_form_route_refuses_a_request_without_the_csrf_token(
    app: FastAPI,
    logged_in: httpx.Client,
    app_url: str,
    session_factory: sessionmaker[Session],
) -> None:
    checked = []
    with httpx.Client(base_url=app_url) as stranger:
        foreign_token = csrf_from(stranger.get("/login").text)
    for endpoint in endpoints(app):
        method = endpoint.method
        if method not in UNSAFE_METHODS or endpoint.path.startswith(CSRF_EXEMPT_PREFIXES):
            continue
        path = dummy_path(endpoint)
        for token in (None, foreign_token, ""):
            before = snapshot(session_factory)
            data = {} if token is None else {"csrf_token": token}
            response = send(logged_in, method, path, data)
            assert response.status_code == 403, (
                f"{endpoint} with csrf_token={token!r} answered "
                f"{response.status_code}: add dependencies=[Depends(require_csrf)]"
            )
            assert snapshot(session_factory) == before, f"{endpoint} changed data"
            assert_still_logged_in(logged_in)
        checked.append(str(endpoint))
    # Sanity: the enumeration sees the forms we know exist.
    assert {"POST /login", "POST /logout", "POST /dashboard/google/connect"} <= set(checked)


def fill_path(endpoint: Endpoint, values: dict[str, str]) -> str | None:
    path = endpoint.path
    for field in endpoint.dependant.path_params:
        if field.name not in values:
            return None
        path = path.replace("{" + field.name + "}", values[field.name])
    return path


def form_fields(endpoint: Endpoint) -> dict[str, str]:
    """Plausible values for the route's form fields, so it gets past validation."""
    data: dict[str, str] = {}
    for field in endpoint.dependant.body_params:
        annotation: Any = field.field_info.annotation
        if annotation is int:
            data[field.name] = "1"
        elif annotation is bool:
            data[field.name] = "true"
        else:
            data[field.name] = "x"
    return data


def dashboard_endpoints(app: FastAPI) -> Iterator[Endpoint]:
    for endpoint in endpoints(app):
        if endpoint.path.startswith("/dashboard") and endpoint.method in {"GET", *UNSAFE_METHODS}:
            yield endpoint


def test_host_b_can_neither_see_nor_change_host_a_objects(
    app: FastAPI,
    app_url: str,
    host_a: HostA,
    session_factory: sessionmaker[Session],
    host_account: None,
) -> None:
    unfillable = []
    checked = []
    with (
        httpx.Client(base_url=app_url) as host_b,
        httpx.Client(base_url=app_url) as alice,
    ):
        log_in(host_b)
        alice_login = alice.get("/login")
        alice.post(
            "/login",
            data={
                "email": "alice@example.com",
                "password": "a" * 12,
                "csrf_token": csrf_from(alice_login.text),
            },
        )
        for endpoint in dashboard_endpoints(app):
            method = endpoint.method
            if (method, endpoint.path) in NOT_CHECKED:
                continue
            path = fill_path(endpoint, host_a.values)
            if path is None:
                unfillable.append(str(endpoint))
                continue
            before = snapshot(session_factory, host_a.host_id)
            if method == "GET":
                if endpoint.dependant.path_params:
                    # Positive control: the filled-in ids really are A's objects.
                    own = alice.get(path, follow_redirects=False)
                    assert own.status_code < 400, f"A cannot open {path}: {own.status_code}"
                response = host_b.get(path)
                if endpoint.dependant.path_params:
                    assert response.status_code in (403, 404), f"B opened A's {path}"
            else:
                token = csrf_from(host_b.get("/dashboard").text)
                data = {**form_fields(endpoint), "csrf_token": token}
                response = send(host_b, method, path, data)
                location = response.headers.get("location", "")
                if response.is_redirect and location.startswith("/"):
                    response = host_b.get(location)
            for marker in A_MARKERS:
                assert marker not in response.text, f"{endpoint} shows A's {marker}"
            after = snapshot(session_factory, host_a.host_id)
            assert after == before, f"{endpoint} by host B changed host A's data"
            checked.append(str(endpoint))
    assert not unfillable, (
        f"cannot fill the path parameters of {unfillable}: add their names to the "
        "host_a fixture's values, or to NOT_CHECKED with the reason"
    )
    assert "GET /dashboard" in checked
