from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import Job, JobStatus, Retry, RetryPolicy, claim_due, enqueue
from leadscalendar.jobs.cli import jobs_app
from leadscalendar.jobs.runner import run_claimed
from tests.jobs.support import always_park, make_registry

runner = CliRunner()


def test_list_show_retry_cancel(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        parked = enqueue(session, "calendar", {}, subject_key="booking-7", host_id=None)
        waiting = enqueue(
            session, "other", {}, subject_key="b8", host_id=None, run_after=utcnow() + timedelta(1)
        )
    (claim,) = claim_due(session_factory, "w", 1, 60)
    run_claimed(
        claim,
        make_registry(calendar=always_park),
        session_factory,
        policy=RetryPolicy(),
        lease_seconds=60,
    )

    listed = runner.invoke(jobs_app, ["list", "--status", "parked"], obj=session_factory)
    assert listed.exit_code == 0, listed.output
    assert str(parked.id) in listed.output
    assert "park=needs_reauth" in listed.output
    assert str(waiting.id) not in listed.output

    shown = runner.invoke(jobs_app, ["show", str(parked.id)], obj=session_factory)
    assert shown.exit_code == 0, shown.output
    assert "park reason: Reconnect Google" in shown.output
    assert "#1" in shown.output and "parked" in shown.output

    retried = runner.invoke(jobs_app, ["retry", str(parked.id)], obj=session_factory)
    assert retried.exit_code == 0, retried.output
    cancelled = runner.invoke(jobs_app, ["cancel", str(waiting.id)], obj=session_factory)
    assert cancelled.exit_code == 0, cancelled.output
    with session_factory() as session:
        assert session.get_one(Job, parked.id).status is JobStatus.QUEUED
        assert session.get_one(Job, waiting.id).status is JobStatus.CANCELLED

    again = runner.invoke(jobs_app, ["cancel", str(waiting.id)], obj=session_factory)
    assert again.exit_code == 1
    assert "only queued or parked" in again.output
    missing = runner.invoke(
        jobs_app, ["show", "00000000-0000-0000-0000-000000000000"], obj=session_factory
    )
    assert missing.exit_code == 1
    empty = runner.invoke(jobs_app, ["list", "--kind", "nothing"], obj=session_factory)
    assert "No jobs." in empty.output


def test_list_says_why_a_job_waits_and_when_it_retries_slowly(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        slow = enqueue(session, "calendar", {}, subject_key="b1", host_id=None, max_attempts=1)
    (claim,) = claim_due(session_factory, "w", 1, 60)
    run_claimed(
        claim,
        make_registry(calendar=lambda ctx: Retry(reason="Google is not answering", transient=True)),
        session_factory,
        policy=RetryPolicy(),
        lease_seconds=60,
    )
    listed = runner.invoke(jobs_app, ["list"], obj=session_factory)
    assert listed.exit_code == 0, listed.output
    [line] = [line for line in listed.output.splitlines() if str(slow.id) in line]
    assert "queued" in line and "1/1 slow" in line
    assert "why='Google is not answering'" in line
