"""The operations page and host isolation over real HTTP, with a job parked by Google for real."""

from __future__ import annotations

from typing import Any

from leadscalendar.jobs.models import AttemptOutcome, Job, JobStatus
from tests.support.booking_env import BookingEnv, wait_for
from tests.support.dashboard import (
    attempts_of,
    booking_type,
    jobs_of,
    other_host,
    submit,
    type_form,
)

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
