from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.jobs import (
    ATTEMPTS_EXHAUSTED,
    AttemptOutcome,
    ClaimedJob,
    JobContext,
    JobRegistry,
    JobStatus,
    Outcome,
    Park,
    Retry,
    RetryPolicy,
    Succeeded,
    claim_due,
    enqueue,
    get_job_with_attempts,
    resume_parked,
)
from leadscalendar.jobs.runner import run_claimed
from tests.jobs.support import (
    EFFECT,
    CallEffect,
    InsertEffectRow,
    TestParkCode,
    always_park,
    always_retry,
    effects,
    make_host,
    make_registry,
)
from tests.support.log_capture import captured_log, json_lines

pytestmark = pytest.mark.usefixtures("with_effects")
POLICY = RetryPolicy(base_seconds=1, cap_seconds=60)


def run_next(
    session_factory: sessionmaker[Session], registry: JobRegistry, *, hours_later: int = 0
) -> tuple[ClaimedJob, JobStatus | None]:
    """Claim the one due job (travelling in time past any backoff) and run it."""
    now = utcnow() + timedelta(hours=hours_later)
    (claim,) = claim_due(session_factory, "w", 1, lease_seconds=60, now=now)
    return claim, run_claimed(claim, registry, session_factory, policy=POLICY, lease_seconds=60)


def effect_rows(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(effects)) or 0


def enqueue_one(
    session_factory: sessionmaker[Session], kind: str, max_attempts: int = 5, **payload: object
) -> uuid.UUID:
    with unit_of_work(session_factory) as session:
        job = enqueue(
            session, kind, payload, subject_key="booking-1", host_id=None, max_attempts=max_attempts
        )
        return job.id


def test_success_commits_the_handlers_writes_with_the_jobs_state(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = enqueue_one(session_factory, EFFECT)
    _, status = run_next(session_factory, make_registry())
    assert status is JobStatus.SUCCEEDED
    assert effect_rows(session_factory) == 1
    with session_factory() as session:
        history = get_job_with_attempts(session, job_id)
    assert history.job.status is JobStatus.SUCCEEDED
    (attempt,) = history.attempts
    assert attempt.outcome is AttemptOutcome.SUCCEEDED
    assert attempt.operation == "test.effect"
    assert attempt.message == "effect written"
    assert attempt.latency_ms >= 0
    assert attempt.started_at <= attempt.finished_at


def test_retry_reschedules_with_backoff_and_records_googles_answer(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = enqueue_one(session_factory, "flaky")
    before = utcnow()
    _, status = run_next(session_factory, make_registry(flaky=always_retry))
    assert status is JobStatus.QUEUED
    with session_factory() as session:
        history = get_job_with_attempts(session, job_id)
    assert before <= history.job.run_after <= utcnow() + timedelta(seconds=POLICY.base_seconds)
    assert history.job.last_error == "Google said 503"
    assert history.job.lease_owner is None
    (attempt,) = history.attempts
    assert (attempt.outcome, attempt.http_status, attempt.operation) == (
        AttemptOutcome.RETRY,
        503,
        "events.insert",
    )


def test_retry_after_and_not_before_are_honoured(session_factory: sessionmaker[Session]) -> None:
    window_reset = utcnow() + timedelta(hours=2)

    def quota(ctx: JobContext) -> Outcome:
        if ctx.job.attempt == 1:
            return Retry("rateLimitExceeded", retry_after=600, reason_code="rateLimitExceeded")
        return Retry("dailyLimitExceeded", not_before=window_reset)

    job_id = enqueue_one(session_factory, "quota")
    registry = make_registry(quota=quota)
    run_next(session_factory, registry)
    with session_factory() as session:
        first = get_job_with_attempts(session, job_id)
    assert first.job.run_after >= utcnow() + timedelta(seconds=590)
    assert first.attempts[0].reason_code == "rateLimitExceeded"
    run_next(session_factory, registry, hours_later=1)
    with session_factory() as session:
        assert get_job_with_attempts(session, job_id).job.run_after >= window_reset


def test_exhausted_attempts_park_the_job_and_keep_it(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = enqueue_one(session_factory, "flaky", max_attempts=3)
    registry = make_registry(flaky=always_retry)
    statuses = [run_next(session_factory, registry, hours_later=n)[1] for n in range(3)]
    assert statuses == [JobStatus.QUEUED, JobStatus.QUEUED, JobStatus.PARKED]
    assert claim_due(session_factory, "w", 1, 60, now=utcnow() + timedelta(days=30)) == []
    with session_factory() as session:
        history = get_job_with_attempts(session, job_id)
    assert history.job.status is JobStatus.PARKED
    assert history.job.park_code == ATTEMPTS_EXHAUSTED
    assert history.job.park_reason is not None and "503" in history.job.park_reason
    assert [a.outcome for a in history.attempts] == [
        AttemptOutcome.RETRY,
        AttemptOutcome.RETRY,
        AttemptOutcome.PARKED,
    ]
    assert [a.number for a in history.attempts] == [1, 2, 3]


def test_a_raising_handler_has_its_writes_rolled_back_and_is_retried(
    session_factory: sessionmaker[Session],
) -> None:
    def writes_then_raises(ctx: JobContext) -> Outcome:
        with ctx.read() as session:
            session.execute(insert(effects).values(job_id="read-phase", worker="x"))
            session.flush()

        def apply(session: Session) -> None:
            session.execute(insert(effects).values(job_id="apply-phase", worker="x"))
            session.flush()
            raise ValueError("booking vanished mid-apply")

        return Park(
            code=TestParkCode.NEVER, reason="never", effects=(CallEffect("test.raises", apply),)
        )

    def just_raises(ctx: JobContext) -> Outcome:
        raise ConnectionError("network unreachable")

    registry = make_registry(apply_raises=writes_then_raises, raises=just_raises)
    first = enqueue_one(session_factory, "apply_raises", max_attempts=2)
    assert run_next(session_factory, registry)[1] is JobStatus.QUEUED
    assert effect_rows(session_factory) == 0
    second = enqueue_one(session_factory, "raises", max_attempts=1)
    _, status = run_next(session_factory, registry, hours_later=1)
    # The first job is due again too; whichever ran, nothing was written.
    assert status in (JobStatus.QUEUED, JobStatus.PARKED)
    run_next(session_factory, registry, hours_later=2)
    assert effect_rows(session_factory) == 0
    with session_factory() as session:
        one = get_job_with_attempts(session, first)
        two = get_job_with_attempts(session, second)
    assert one.attempts[0].outcome is AttemptOutcome.ERROR
    assert one.attempts[0].message == "ValueError: booking vanished mid-apply"
    assert one.job.status is JobStatus.PARKED
    assert two.job.status is JobStatus.PARKED
    assert two.job.park_code == ATTEMPTS_EXHAUSTED
    assert two.attempts[0].message == "ConnectionError: network unreachable"


def test_a_handler_returning_garbage_is_an_error(session_factory: sessionmaker[Session]) -> None:
    job_id = enqueue_one(session_factory, "garbage")
    registry = make_registry(garbage=lambda ctx: "done")
    run_next(session_factory, registry)
    with session_factory() as session:
        (attempt,) = get_job_with_attempts(session, job_id).attempts
    assert attempt.outcome is AttemptOutcome.ERROR
    assert attempt.message is not None and "TypeError" in attempt.message


def test_parked_jobs_resume_when_the_host_fixes_the_cause(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        host_id = make_host(session, "coach")
        job = enqueue(
            session, "needs_host", {"code": "needs_reauth"}, subject_key="b", host_id=host_id
        )
    registry = make_registry(needs_host=always_park)
    assert run_next(session_factory, registry)[1] is JobStatus.PARKED
    with session_factory() as session:
        parked = get_job_with_attempts(session, job.id).job
    assert (parked.park_code, parked.park_reason) == ("needs_reauth", "Reconnect Google")
    with unit_of_work(session_factory) as session:
        assert resume_parked(session, host_id=host_id, park_codes=["needs_reauth"]) == 1
    # The host reconnected: this time the handler succeeds.
    registry = JobRegistry()
    registry.register("needs_host", make_registry().get(EFFECT))
    claim, status = run_next(session_factory, registry)
    assert claim.attempt == 1
    assert status is JobStatus.SUCCEEDED
    with session_factory() as session:
        history = get_job_with_attempts(session, job.id)
    assert [a.outcome for a in history.attempts] == [
        AttemptOutcome.PARKED,
        AttemptOutcome.SUCCEEDED,
    ]


def test_registry_refuses_two_handlers_for_one_kind() -> None:
    registry = make_registry()
    with pytest.raises(ValueError, match="already registered"):
        registry.register(EFFECT, always_retry)

    @registry.handler("decorated")
    def decorated(ctx: JobContext) -> Outcome:
        return always_retry(ctx)

    assert "decorated" in registry
    assert registry.kinds == {EFFECT, "decorated"}


def test_a_long_handler_can_extend_its_lease_until_it_is_taken(
    session_factory: sessionmaker[Session],
) -> None:
    seen: list[bool] = []

    def long_job(ctx: JobContext) -> Outcome:
        seen.append(ctx.extend_lease(3600))
        # Another worker believes this one died and takes the job.
        claim_due(session_factory, "thief", 1, 60, now=utcnow() + timedelta(hours=2))
        seen.append(ctx.extend_lease())
        return Succeeded("too late")

    job_id = enqueue_one(session_factory, "long")
    _, status = run_next(session_factory, make_registry(long=long_job))
    assert seen == [True, False]
    assert status is None
    with session_factory() as session:
        job = get_job_with_attempts(session, job_id).job
    assert job.status is JobStatus.RUNNING
    assert job.lease_owner is not None and job.lease_owner.startswith("thief/")


def test_policy_from_settings() -> None:
    settings = Settings(jobs_backoff_base_seconds=3, jobs_backoff_cap_seconds=30)
    assert RetryPolicy.from_settings(settings) == RetryPolicy(base_seconds=3, cap_seconds=30)


def transient_failure(ctx: JobContext) -> Outcome:
    """Google is down; the first time the job goes slow, a row says "told the host"."""
    return Retry(
        reason="Google said 503",
        http_status=503,
        operation="events.insert",
        transient=True,
        on_slow=(InsertEffectRow(str(ctx.job.id), worker="told"),),
    )


def test_a_transient_failure_outlasting_its_attempts_retries_slowly_and_never_parks(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = enqueue_one(session_factory, "outage", max_attempts=3)
    registry = make_registry(outage=transient_failure)
    statuses = []
    for day in range(6):
        claim, status = run_next(session_factory, registry, hours_later=24 * day)
        statuses.append(status)
        if claim.attempt == 3:
            with session_factory() as session:
                job = get_job_with_attempts(session, job_id).job
            wait = job.run_after - utcnow()  # recorded at the real time, not the claim's
            # The slow phase: 0.75-1.5x the slow interval, not the fast backoff's seconds.
            assert timedelta(seconds=0.75 * 1200 - 5) <= wait <= timedelta(seconds=1.5 * 1200)
    assert statuses == [JobStatus.QUEUED] * 6
    with session_factory() as session:
        history = get_job_with_attempts(session, job_id)
    assert history.job.park_code is None
    assert [a.outcome for a in history.attempts] == [AttemptOutcome.RETRY] * 6
    assert [a.number for a in history.attempts] == [1, 2, 3, 4, 5, 6]
    # Told once: in the attempt that moved the job into the slow phase, not after.
    assert effect_rows(session_factory) == 1


def test_a_job_abandoned_in_its_slow_phase_runs_again_instead_of_parking(
    session_factory: sessionmaker[Session],
) -> None:
    job_id = enqueue_one(session_factory, "outage", max_attempts=1)
    registry = make_registry(outage=transient_failure)
    assert run_next(session_factory, registry)[1] is JobStatus.QUEUED
    later = utcnow() + timedelta(days=1)
    (crashed,) = claim_due(session_factory, "dies", 1, lease_seconds=1, now=later)
    assert crashed.attempt == 2
    (again,) = claim_due(session_factory, "w", 1, lease_seconds=60, now=later + timedelta(hours=1))
    assert again.attempt == 3
    assert run_claimed(again, registry, session_factory, policy=POLICY, lease_seconds=60) is (
        JobStatus.QUEUED
    )
    with session_factory() as session:
        history = get_job_with_attempts(session, job_id)
    # (Sorted by number: the claims travelled in time, the runner did not.)
    assert [a.outcome for a in sorted(history.attempts, key=lambda a: a.number)] == [
        AttemptOutcome.RETRY,
        AttemptOutcome.ABANDONED,
        AttemptOutcome.RETRY,
    ]
    assert history.job.park_code is None


def test_every_line_of_a_job_carries_its_id_and_its_subject(
    session_factory: sessionmaker[Session],
) -> None:
    booking_id = str(uuid.uuid4())

    def chatty(ctx: JobContext) -> Outcome:
        logging.getLogger("leadscalendar.test").info("handler working")
        return Succeeded("done")

    registry = JobRegistry(bare_subject="booking_id")
    registry.register("chatty", chatty)
    with unit_of_work(session_factory) as session:
        job_id = enqueue(session, "chatty", {}, subject_key=booking_id, host_id=None).id
    with captured_log("json") as stream:
        run_next(session_factory, registry)
    lines = [line for line in json_lines(stream) if line.get("job_id") == str(job_id)]
    events = [line["event"] for line in lines]
    assert "handler working" in events
    assert any(event.startswith("job.finished") for event in events)
    assert all(line["booking_id"] == booking_id for line in lines)
    assert all(line["job_kind"] == "chatty" for line in lines)
    assert JobRegistry().subject_fields("host:42") == {"host_id": "42"}


def test_the_finished_line_names_the_effects_and_a_failing_effect_is_named(
    session_factory: sessionmaker[Session],
) -> None:
    def vanished(session: Session) -> None:
        raise LookupError("the booking vanished")

    def breaks(ctx: JobContext) -> Outcome:
        return Succeeded(
            "done",
            effects=(
                InsertEffectRow(str(ctx.job.id), "w"),
                CallEffect("test.vanished", vanished),
            ),
        )

    registry = make_registry(breaks=breaks)
    effect_job = enqueue_one(session_factory, EFFECT)
    broken_job = enqueue_one(session_factory, "breaks", max_attempts=3)
    with captured_log("json") as stream:
        for _ in range(2):
            run_next(session_factory, registry)
    finished = {
        line["job_id"]: line["event"]
        for line in json_lines(stream)
        if str(line.get("event", "")).startswith("job.finished")
    }
    assert "effects=test.insert_effect_row " in finished[str(effect_job)]
    assert "effects=- " in finished[str(broken_job)], "a failed apply committed no effect"
    [failed] = [
        line
        for line in json_lines(stream)
        if str(line.get("event", "")).startswith("job.apply_failed")
    ]
    assert "while applying the job effect test.vanished" in failed["exception"]
    with session_factory() as session:
        [attempt] = get_job_with_attempts(session, broken_job).attempts
    assert attempt.outcome is AttemptOutcome.ERROR
    assert effect_rows(session_factory) == 1, "the broken job's first effect was rolled back"
    assert attempt.message == "LookupError: the booking vanished"


def test_a_handlers_read_neither_waits_for_nor_sees_a_writer_in_progress(
    session_factory: sessionmaker[Session],
) -> None:
    """On SQLite a writer holds the one write lock; ctx.read() must not queue behind it."""
    enqueue_one(session_factory, EFFECT)
    (claim,) = claim_due(session_factory, "w", 1, lease_seconds=60)
    ctx = JobContext(job=claim, session_factory=session_factory, lease_seconds=60)
    with session_factory() as writer:
        writer.execute(insert(effects).values(job_id="in-progress", worker="x"))
        started = time.monotonic()
        with ctx.read() as session:
            seen = session.scalar(select(func.count()).select_from(effects))
        waited = time.monotonic() - started
        writer.rollback()
    assert seen == 0
    assert waited < 1.0
