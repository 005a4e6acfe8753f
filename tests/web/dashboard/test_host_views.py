"""Which jobs the operations page lists, and that its queries never cross hosts."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from leadscalendar.accounts import service as accounts
from leadscalendar.bookings import host_views
from leadscalendar.jobs import JobStatus, enqueue


def make_host(session: Session, slug: str) -> uuid.UUID:
    host = accounts.create_host(
        session,
        email=f"{slug}@example.com",
        name=slug.title(),
        slug=slug,
        password="long enough password",
    )
    return host.id


def test_parked_and_retrying_jobs_need_attention_and_nothing_else(session: Session) -> None:
    mine, theirs = make_host(session, "mine"), make_host(session, "theirs")

    def job(host_id: uuid.UUID, status: JobStatus, attempts: int) -> uuid.UUID:
        created = enqueue(session, "create_calendar_event", {}, subject_key="x", host_id=host_id)
        created.status, created.attempts = status, attempts
        session.flush()
        return created.id

    fresh = job(mine, JobStatus.QUEUED, 0)
    retrying = job(mine, JobStatus.QUEUED, 2)
    parked = job(mine, JobStatus.PARKED, 5)
    done = job(mine, JobStatus.SUCCEEDED, 1)
    other_parked = job(theirs, JobStatus.PARKED, 1)

    listed = [found.id for found in host_views.jobs_needing_attention(session, mine)]
    assert listed == [parked, retrying]
    assert fresh not in listed and done not in listed and other_parked not in listed
    assert host_views.count_parked(session, mine) == 1
    assert host_views.get_job(session, mine, other_parked) is None
    assert host_views.get_job(session, theirs, other_parked) is not None
