from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.jobs import (
    ATTEMPTS_EXHAUSTED,
    Job,
    JobStatus,
    NewJob,
    cancel_job,
    cancel_pending_for_subject,
    enqueue,
    enqueue_all,
    get_job_with_attempts,
    list_jobs,
    resume_parked,
    retry_job,
)
from leadscalendar.jobs.errors import JobNotFoundError, JobStateError
from tests.jobs.support import make_host


def job_count(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Job)) or 0


def test_a_rolled_back_transaction_leaves_no_job(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), unit_of_work(session_factory) as session:
        enqueue(session, "create_calendar_event", {"b": 1}, subject_key="b1", host_id=None)
        raise RuntimeError("the booking write failed")
    assert job_count(session_factory) == 0
    with unit_of_work(session_factory) as session:
        enqueue(session, "create_calendar_event", {"b": 1}, subject_key="b1", host_id=None)
    assert job_count(session_factory) == 1


def test_enqueue_does_not_commit(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        job = enqueue(session, "k", {}, subject_key="s", host_id=None)
        assert job.status is JobStatus.QUEUED
        assert job.run_after <= utcnow()
        session.rollback()
    assert job_count(session_factory) == 0


def test_dedupe_key_makes_one_job_across_transactions(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        first = enqueue(session, "k", {"n": 1}, subject_key="s", host_id=None, dedupe_key="evt_1")
        again = enqueue(session, "k", {"n": 2}, subject_key="s", host_id=None, dedupe_key="evt_1")
        assert again.id == first.id
    with unit_of_work(session_factory) as session:
        later = enqueue(session, "k", {"n": 3}, subject_key="s", host_id=None, dedupe_key="evt_1")
        assert later.id == first.id
        assert later.payload == {"n": 1}
    assert job_count(session_factory) == 1


def test_enqueue_all_adds_every_job_in_one_go_and_skips_known_dedupe_keys(
    session_factory: sessionmaker[Session],
) -> None:
    due = utcnow() + timedelta(hours=1)
    with unit_of_work(session_factory) as session:
        first = enqueue(session, "k", {"n": 1}, subject_key="s", host_id=None, dedupe_key="d1")
        enqueue_all(
            session,
            [
                NewJob("k", {"n": 2}, subject_key="s", host_id=None, dedupe_key="d1"),
                NewJob("k", {"n": 3}, subject_key="s", host_id=None, dedupe_key="d2"),
                NewJob("later", {"n": 4}, subject_key="s", host_id=None, run_after=due),
            ],
        )
    with unit_of_work(session_factory) as session:  # a redelivery adds nothing
        again = NewJob("k", {"n": 5}, subject_key="s", host_id=None, dedupe_key="d2")
        enqueue_all(session, [again])
    with session_factory() as session:
        jobs = sorted(session.scalars(select(Job)).all(), key=lambda job: job.dedupe_key or "")
    assert [(job.dedupe_key, job.payload) for job in jobs] == [
        (None, {"n": 4}),
        ("d1", {"n": 1}),
        ("d2", {"n": 3}),
    ]
    assert jobs[1].id == first.id
    assert all(job.status is JobStatus.QUEUED and job.attempts == 0 for job in jobs)
    assert jobs[0].run_after == due
    assert all(job.created_at is not None and job.max_attempts == 20 for job in jobs)


def test_concurrent_enqueues_with_one_dedupe_key_make_one_job(
    session_factory: sessionmaker[Session],
) -> None:
    barrier = threading.Barrier(4)
    ids: list[uuid.UUID] = []
    lock = threading.Lock()

    def enqueue_once() -> None:
        barrier.wait()
        with unit_of_work(session_factory) as session:
            job = enqueue(session, "k", {}, subject_key="s", host_id=None, dedupe_key="evt_race")
            # The caller's own work continues in the same transaction after a lost race.
            enqueue(session, "other", {}, subject_key="s", host_id=None)
            job_id = job.id
        with lock:
            ids.append(job_id)

    threads = [threading.Thread(target=enqueue_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    assert job_count(session_factory) == 5


def test_naive_run_after_and_bad_payloads_are_refused(session: Session) -> None:
    with pytest.raises(LeadsCalendarError, match="timezone-aware"):
        enqueue(
            session,
            "k",
            {},
            subject_key="s",
            host_id=None,
            run_after=datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
        )
    with pytest.raises(TypeError):
        enqueue(session, "k", {"when": utcnow()}, subject_key="s", host_id=None)


def park(session: Session, job: Job, code: str) -> None:
    job.status = JobStatus.PARKED
    job.park_code = code
    job.park_reason = "Reconnect Google Calendar"
    job.attempts = 3
    session.flush()


def test_resume_parked_requeues_only_that_hosts_jobs_with_those_codes(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        alice, bob = make_host(session, "alice"), make_host(session, "bob")
        reauth = enqueue(session, "k", {}, subject_key="b1", host_id=alice)
        gone = enqueue(session, "k", {}, subject_key="b2", host_id=alice)
        permission = enqueue(session, "k", {}, subject_key="b3", host_id=alice)
        other_host = enqueue(session, "k", {}, subject_key="b4", host_id=bob)
        park(session, reauth, "needs_reauth")
        park(session, gone, "calendar_gone")
        park(session, permission, "permission")
        park(session, other_host, "needs_reauth")
    before = utcnow()
    with unit_of_work(session_factory) as session:
        resumed = resume_parked(
            session, host_id=alice, park_codes=["needs_reauth", "calendar_gone"]
        )
    assert resumed == 2
    with session_factory() as session:
        for job_id in (reauth.id, gone.id):
            job = session.get_one(Job, job_id)
            assert job.status is JobStatus.QUEUED
            assert job.attempts == 0
            assert job.park_code is None
            assert before - timedelta(seconds=1) <= job.run_after <= utcnow()
        assert session.get_one(Job, permission.id).status is JobStatus.PARKED
        assert session.get_one(Job, other_host.id).status is JobStatus.PARKED


def test_operator_retry_and_cancel(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        parked = enqueue(session, "k", {}, subject_key="b1", host_id=None)
        park(session, parked, ATTEMPTS_EXHAUSTED)
        later = enqueue(
            session, "k", {}, subject_key="b2", host_id=None, run_after=utcnow() + timedelta(days=1)
        )
    with unit_of_work(session_factory) as session:
        assert retry_job(session, parked.id).status is JobStatus.QUEUED
        assert retry_job(session, later.id).run_after <= utcnow()
        cancelled = cancel_job(session, later.id)
        assert cancelled.status is JobStatus.CANCELLED
        assert cancelled.finished_at is not None
    with unit_of_work(session_factory) as session:
        with pytest.raises(JobStateError) as refused:
            retry_job(session, later.id)
        assert refused.value.status_code == 409
        with pytest.raises(JobNotFoundError):
            retry_job(session, uuid.uuid4())
        with pytest.raises(JobNotFoundError):
            cancel_job(session, uuid.uuid4())


def test_cancel_pending_for_subject(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        enqueue(session, "create", {}, subject_key="b1", host_id=None)
        enqueue(session, "remind", {}, subject_key="b1", host_id=None)
        enqueue(session, "create", {}, subject_key="b2", host_id=None)
    with unit_of_work(session_factory) as session:
        assert cancel_pending_for_subject(session, "b1", kinds=["create"]) == 1
        assert cancel_pending_for_subject(session, "b1") == 1
    with session_factory() as session:
        statuses = {(j.subject_key, j.kind): j.status for j in list_jobs(session)}
    assert statuses == {
        ("b1", "create"): JobStatus.CANCELLED,
        ("b1", "remind"): JobStatus.CANCELLED,
        ("b2", "create"): JobStatus.QUEUED,
    }


def test_list_jobs_filters_and_pages(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        alice = make_host(session, "alice")
        for index in range(5):
            enqueue(session, "k", {}, subject_key=f"a{index}", host_id=alice)
        enqueue(session, "other", {}, subject_key="x", host_id=None)
    with session_factory() as session:
        assert len(list_jobs(session)) == 6
        assert len(list_jobs(session, host_id=alice)) == 5
        assert len(list_jobs(session, kind="other")) == 1
        assert [j.subject_key for j in list_jobs(session, subject_key="a3")] == ["a3"]
        assert len(list_jobs(session, status=JobStatus.QUEUED, limit=4)) == 4
        assert len(list_jobs(session, status=JobStatus.QUEUED, limit=4, offset=4)) == 2
        assert list_jobs(session, status=JobStatus.PARKED) == []
        with pytest.raises(JobNotFoundError):
            get_job_with_attempts(session, uuid.uuid4())
