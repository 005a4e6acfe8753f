"""Schemathesis against the live app: every host API response matches the published OpenAPI."""

from __future__ import annotations

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.api_env import LEAD, api_client, create_key
from tests.support.app_env import HOST_EMAIL
from tests.support.booking_env import BookingEnv

# Bounded so the run stays well under a minute per backend; derandomized so CI is repeatable.
POSITIVE_EXAMPLES = 20
NEGATIVE_EXAMPLES = 5
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_openapi_document_describes_the_host_api(booking_env: BookingEnv) -> None:
    document = httpx.get(f"{booking_env.url}/openapi.json").json()
    assert document["info"]["title"] == "LeadsCalendar API"
    assert document["info"]["version"] and document["info"]["description"]
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    hold = document["paths"]["/api/v1/bookings"]["post"]
    assert hold["security"] == [{"ApiKey": []}]
    for status in ("400", "401", "404", "409", "422"):
        schema = hold["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}


def _real_ids(booking_env: BookingEnv, secret: str) -> tuple[str, str]:
    """A booking type and a held booking of the host, so cases also reach existing rows."""
    with api_client(booking_env.url, secret) as api:
        types = api.get("/booking-types").json()["data"]
        intro = next(t for t in types if t["slug"] == "intro")
        start = booking_env.first_slot("intro")
        held = api.post(
            "/bookings", json={"booking_type_id": intro["id"], "start": start, "lead": LEAD}
        )
        assert held.status_code == 201, held.text
        return intro["id"], held.json()["id"]


# ~33 requests for each of 13 operations, plus Hypothesis's own work: more than the default 120 s
# on a loaded machine.
@pytest.mark.timeout(300)
def test_host_api_conforms_to_its_openapi(booking_env: BookingEnv) -> None:
    secret = create_key(booking_env.services, HOST_EMAIL)
    type_id, booking_id = _real_ids(booking_env, secret)
    document = httpx.get(f"{booking_env.url}/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document).include(tag="host")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {secret}"
    known = {"booking_type_id": type_id, "booking_id": booking_id}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 13
    try:
        for operation in operations:
            names = {p.name for p in operation.path_parameters}
            real = {name: value for name, value in known.items() if name in names}
            positive = operation.as_strategy()
            if real:
                positive = st.one_of(positive, operation.as_strategy(path_parameters=real))
            negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
            for strategy, examples in (
                (positive, POSITIVE_EXAMPLES),
                (negative, NEGATIVE_EXAMPLES),
            ):

                @given(case=strategy)
                @settings(
                    max_examples=examples,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    suppress_health_check=list(HealthCheck),
                )
                def check(case: schemathesis.Case) -> None:
                    case.call_and_validate(base_url=booking_env.url, session=session, checks=CHECKS)

                check()
    finally:
        session.close()


PUBLIC_HOLD = "/api/v1/public/hosts/{host_slug}/types/{type_slug}/bookings"
# The creating requests that take an Idempotency-Key.
KEYED_PATHS = ("/api/v1/bookings", "/api/v1/booking-types", PUBLIC_HOLD)


def test_invalid_input_is_documented_as_400_with_the_error_body(booking_env: BookingEnv) -> None:
    document = httpx.get(f"{booking_env.url}/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for operation in item.values():
            assert "422" not in operation["responses"] or path in KEYED_PATHS, (
                path,
                "a 422 is only the reused Idempotency-Key",
            )
    public_hold = document["paths"][PUBLIC_HOLD]["post"]["responses"]["422"]
    assert public_hold["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    listing = document["paths"]["/api/v1/bookings"]["get"]["responses"]["400"]
    assert listing["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
