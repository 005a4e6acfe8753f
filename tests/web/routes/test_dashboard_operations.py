"""The operations page and host isolation over real HTTP, with a job parked by Google for real."""

from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from leadscalendar.bookings.google_outcomes import SLOW_PHASE_REASON
from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.jobs.models import AttemptOutcome, Job, JobStatus
from tests.support.booking_env import BookingEnv, wait_for
from tests.support.bookings_env import BookingsEnv, engine_settings, google_error
from tests.support.dashboard import (
    attempts_of,
    booking_type,
    jobs_of,
    other_host,
    submit,
    type_form,
)
from tests.support.google_sandbox import GoogleSandbox

OPERATIONS = "/dashboard/operations"


def parked_booking(env: BookingEnv) -> tuple[dict[str, Any], Job]:
    """A paid booking whose event cannot be written: the host's calendar became read-only."""
    env.google.control("POST", f"calendars/{env.google.config.account_email}/read-only")
    start = env.first_slot("session")
    held = env.hold("session", start).json()
    confirmed = env.lead.post(
        f"/api/v1/public/bookings/{held['id']}/confirm", params={"token": held["token"]}
    ).json()
    env.pay(confirmed["checkout_url"])

    def parked() -> Job | None:
        return next(
            (job for job in jobs_of(env.services, held["id"]) if job.status is JobStatus.PARKED),
            None,
        )

    return held, wait_for(parked, what="job parked")


def test_a_parked_job_is_shown_with_its_reason_and_retry_requeues_it(
    booking_env: BookingEnv,
) -> None:
    held, job = parked_booking(booking_env)
    client = booking_env.host.client
    home = client.get("/dashboard")
    assert 'id="parked-banner"' in home.text
    assert "1 job waiting for you" in home.text

    page = client.get(OPERATIONS)
    assert page.status_code == 200
    card = page.text.split(f'id="job-{job.id}"')[1]
    assert "Create calendar event" in card
    assert "parked" in card
    assert job.park_reason and job.park_reason[:40] in card
    assert f'href="/dashboard/bookings/{held["id"]}"' in card

    before = len(attempts_of(booking_env.services, job.id))
    retried = submit(client, OPERATIONS, f"{OPERATIONS}/jobs/{job.id}/retry", follow=True)
    assert "will be tried again now" in retried.text
    # The worker takes it again at once; the calendar is still read-only, so it parks again.
    attempts = wait_for(
        lambda: (
            (found := attempts_of(booking_env.services, job.id)) and len(found) > before and found
        ),
        what="a new attempt",
    )
    assert attempts[-1].outcome is AttemptOutcome.PARKED
    assert attempts[-1].http_status == 403

    timeline = client.get(f"/dashboard/bookings/{held['id']}").text.split('id="timeline"')[1]
    assert "attempt 1 parked" in timeline and "HTTP 403" in timeline


def test_retry_refuses_a_missing_csrf_token(booking_env: BookingEnv) -> None:
    _, job = parked_booking(booking_env)
    refused = booking_env.host.client.post(f"{OPERATIONS}/jobs/{job.id}/retry")
    assert refused.status_code == 403
    assert len(attempts_of(booking_env.services, job.id)) == 1


def test_nothing_stuck_says_so(booking_env: BookingEnv) -> None:
    page = booking_env.host.client.get(OPERATIONS)
    assert 'id="all-clear"' in page.text
    assert 'id="parked-banner"' not in booking_env.host.client.get("/dashboard").text


def test_another_host_cannot_see_or_change_this_hosts_things(booking_env: BookingEnv) -> None:
    held, job = parked_booking(booking_env)
    intro = booking_type(booking_env.services, "intro")
    booking_url = f"/dashboard/bookings/{held['id']}"
    type_url = f"/dashboard/types/{intro.id}"
    with other_host(booking_env.services, booking_env.url) as other:
        assert other.get(booking_url).status_code == 404
        assert other.get(type_url).status_code == 404
        for action in ("approve", "decline", "cancel"):
            response = submit(other, "/dashboard/bookings", f"{booking_url}/{action}")
            assert response.status_code == 404, action
        moved = submit(
            other, "/dashboard/bookings", f"{booking_url}/reschedule", {"start": "2030-01-01T10:00"}
        )
        assert moved.status_code == 404
        edited = submit(other, "/dashboard/types", type_url, type_form(slug="intro"))
        assert edited.status_code == 404
        retried = submit(other, OPERATIONS, f"{OPERATIONS}/jobs/{job.id}/retry")
        assert retried.status_code == 404

        assert held["id"] not in other.get("/dashboard/bookings", params={"when": "all"}).text
        assert "Intro call" not in other.get("/dashboard/types").text
        assert str(job.id) not in other.get(OPERATIONS).text
        assert 'id="parked-banner"' not in other.get("/dashboard").text

    assert booking_type(booking_env.services, "intro").title == "Intro call"
    assert len(attempts_of(booking_env.services, job.id)) == 1


@pytest.fixture
def app_settings(
    google_sandbox: GoogleSandbox, database_url: str, tmp_path: Path, app_port: int
) -> Settings:
    """For ``bookings_env``: a worker with a fast first phase (``booking_env`` has its own)."""
    return engine_settings(
        google_sandbox, database_url=database_url, data_dir=tmp_path, app_port=app_port
    )


@pytest.mark.usefixtures("cheap_password_hashing")
def test_a_booking_waiting_out_a_long_outage_says_why_to_the_lead_and_the_host(
    bookings_env: BookingsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = bookings_env
    monkeypatch.setattr(env.settings, "jobs_slow_retry_seconds", 3600.0)
    outage = google_error(503, "backendError", "Backend Error")
    env.script("events.insert", *[outage] * 25)
    [booking_id] = env.book()

    def slow(jobs: list[Job]) -> bool:
        return bool(jobs) and jobs[0].status is JobStatus.QUEUED and jobs[0].attempts == 20

    with env.worker():
        env.wait_for_jobs(slow, timeout=40)
    [job] = env.jobs(CREATE_EVENT)
    assert job.run_after > utcnow() + timedelta(minutes=40)

    token = env.services.links.token_for(booking_id)
    status_page = env.app.client.get(f"/bookings/{booking_id}", params={"token": token})
    assert status_page.status_code == 200
    assert SLOW_PHASE_REASON in html.unescape(status_page.text)

    operations = env.app.client.get(OPERATIONS)
    row = operations.text.split(f'id="job-{job.id}"')[1].split("</li>")[0]
    assert "waiting for Google" in row
    assert "every 15 to 30 minutes" in row
    assert "Backend Error" in row
