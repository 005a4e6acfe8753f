"""Injected trouble: scripted answers, random faults, latency, quotas, and the stats."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from googleapiclient.errors import HttpError

from tests.support.google_sandbox import GoogleSandbox

HOST = "host@sandbox.test"
EVENT = {
    "id": "lostdata0001",
    "start": {"dateTime": "2030-06-01T10:00:00Z"},
    "end": {"dateTime": "2030-06-01T11:00:00Z"},
}


@pytest.fixture
def api(google_sandbox: GoogleSandbox) -> Iterator[httpx.Client]:
    token = google_sandbox.connect().token
    with httpx.Client(
        base_url=f"{google_sandbox.base_url}calendar/v3/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ) as client:
        yield client


def test_scripted_error_then_normal_service(
    google_sandbox: GoogleSandbox, api: httpx.Client
) -> None:
    google_sandbox.control(
        "POST",
        "script",
        {
            "method": "events.insert",
            "responses": [{"status": 503}, {"status": 429, "headers": {"Retry-After": "7"}}],
        },
    )

    first = api.post("calendars/primary/events", json=EVENT)
    second = api.post("calendars/primary/events", json=EVENT)
    third = api.post("calendars/primary/events", json=EVENT)

    assert first.status_code == 503
    assert first.json()["error"]["errors"][0]["reason"] == "backendError"
    assert second.status_code == 429 and second.headers["retry-after"] == "7"
    assert second.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    assert third.status_code == 200  # the scripted calls were not applied


def test_after_apply_stores_the_event_but_reports_failure(
    google_sandbox: GoogleSandbox, api: httpx.Client
) -> None:
    google_sandbox.control(
        "POST",
        "script",
        {"method": "events.insert", "responses": [{"status": 500}], "after_apply": True},
    )

    lost = api.post("calendars/primary/events", json=EVENT)
    retry = api.post("calendars/primary/events", json=EVENT)

    assert lost.status_code == 500
    assert retry.status_code == 409  # the first attempt had really been stored
    stored = google_sandbox.control("GET", f"calendars/{HOST}/events")["events"]
    assert [event["id"] for event in stored] == ["lostdata0001"]


def test_script_with_custom_body(google_sandbox: GoogleSandbox, api: httpx.Client) -> None:
    body = {
        "error": {
            "code": 403,
            "message": "Calendar usage limits exceeded.",
            "errors": [
                {
                    "domain": "usageLimits",
                    "reason": "quotaExceeded",
                    "message": "Calendar usage limits exceeded.",
                }
            ],
        }
    }
    google_sandbox.control(
        "POST", "script", {"method": "freebusy.query", "responses": [{"status": 403, "body": body}]}
    )

    response = api.post("freeBusy", json={})

    assert response.status_code == 403 and response.json() == body
    stats = google_sandbox.control("GET", "stats")
    assert stats["errors"]["by_reason"] == {"quotaExceeded": 1}


def test_unknown_script_method_is_refused(google_sandbox: GoogleSandbox) -> None:
    response = google_sandbox.http.post(
        "_sandbox/script", json={"method": "events.nope", "responses": [{"status": 500}]}
    )

    assert response.status_code == 400


def test_seeded_faults_fail_a_reproducible_fraction(
    google_sandbox: GoogleSandbox, api: httpx.Client
) -> None:
    def run() -> list[int]:
        google_sandbox.control("POST", "faults", {"rate": 0.3, "statuses": [429, 500], "seed": 7})
        return [api.get("users/me/calendarList").status_code for _ in range(40)]

    first, second = run(), run()

    assert first == second
    assert set(first) == {200, 429, 500}
    assert 4 <= sum(status != 200 for status in first) <= 20
    google_sandbox.control("POST", "faults", {"rate": 0})
    assert api.get("users/me/calendarList").status_code == 200


def test_latency_applies_to_concurrent_calls_in_parallel(
    google_sandbox: GoogleSandbox, api: httpx.Client
) -> None:
    google_sandbox.control("POST", "latency", {"seconds": 0.3})

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = list(pool.map(lambda _: api.get("users/me/calendarList").status_code, range(5)))
    elapsed = time.monotonic() - started

    assert statuses == [200] * 5
    assert 0.3 <= elapsed < 1.2  # overlapping, not 5 x 0.3 s


def test_per_user_quota_is_403_and_per_project_is_429(
    google_sandbox: GoogleSandbox, api: httpx.Client
) -> None:
    other_token = google_sandbox.connect(account_email="other@sandbox.test").token
    other = {"Authorization": f"Bearer {other_token}"}
    google_sandbox.control(
        "POST", "quotas", {"per_user_per_minute": 2, "per_project_per_minute": 3}
    )

    mine = [api.get("users/me/calendarList") for _ in range(3)]
    theirs = [api.get("users/me/calendarList", headers=other) for _ in range(2)]

    assert [response.status_code for response in mine] == [200, 200, 403]
    assert mine[2].json() == {
        "error": {
            "errors": [
                {
                    "domain": "usageLimits",
                    "reason": "userRateLimitExceeded",
                    "message": "User Rate Limit Exceeded",
                }
            ],
            "code": 403,
            "message": "User Rate Limit Exceeded",
        }
    }
    assert [response.status_code for response in theirs] == [200, 429]
    assert theirs[1].json()["error"]["errors"][0] == {
        "domain": "usageLimits",
        "reason": "rateLimitExceeded",
        "message": "Rate Limit Exceeded",
    }
    stats = google_sandbox.control("GET", "stats")
    assert stats["rate_limit_errors"] == 2
    assert stats["errors"]["by_status"] == {"403": 1, "429": 1}
    assert stats["calls"]["calendarList.list"] == 5


def test_client_sees_rate_limit_reason(google_sandbox: GoogleSandbox) -> None:
    credentials = google_sandbox.connect()
    google_sandbox.control("POST", "quotas", {"per_user_per_minute": 0})

    with google_sandbox.calendar(credentials) as service, pytest.raises(HttpError) as caught:
        service.events().list(calendarId="primary").execute()

    assert caught.value.status_code == 403
    assert caught.value.error_details[0]["reason"] == "userRateLimitExceeded"


def test_reset_clears_events_and_chaos(google_sandbox: GoogleSandbox, api: httpx.Client) -> None:
    api.post("calendars/primary/events", json=EVENT)
    google_sandbox.control("POST", "latency", {"seconds": 1})

    google_sandbox.control("POST", "reset")
    stats: dict[str, Any] = google_sandbox.control("GET", "stats")

    assert google_sandbox.control("GET", f"calendars/{HOST}/events")["events"] == []
    assert stats["latency_seconds"] == 0
    assert stats["total_calls"] == 0
