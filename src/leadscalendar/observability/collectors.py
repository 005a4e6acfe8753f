"""Gauges read from the database when Prometheus scrapes: queue depth, bookings by state.

Read at scrape time instead of counted as they change: the database is the
truth shared by every process on every machine, and a count kept in one
process would drift from it after a restart. Both queries are grouped counts
over indexed columns (``jobs.status``, ``bookings.status``), run in one short
transaction. Jobs that finished (succeeded, cancelled) are not counted: that
history only grows until the retention job prunes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.bookings.models import Booking
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.session import read_only
from leadscalendar.jobs.models import Job, JobStatus
from leadscalendar.observability.metrics import PREFIX

OPEN_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PARKED)


class DatabaseCollector(Collector):
    """Yields the database-backed gauges; registered on the scraping process's registry only."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with read_only(self._session_factory) as session:
            jobs = _jobs_by_kind_and_status(session)
            oldest_due = _oldest_due_run_after(session)
            bookings = _bookings_by_status(session)
        queue = GaugeMetricFamily(
            f"{PREFIX}_jobs",
            "Jobs waiting, running or parked, by kind and state (read at scrape).",
            labels=["kind", "state"],
        )
        for (kind, status), count in sorted(jobs.items()):
            queue.add_metric([kind, status], count)
        yield queue
        age = GaugeMetricFamily(
            f"{PREFIX}_jobs_oldest_due_age_seconds",
            "How long the oldest due queued job has been waiting past its run time (0: none).",
        )
        age.add_metric([], _age_seconds(oldest_due))
        yield age
        states = GaugeMetricFamily(
            f"{PREFIX}_bookings",
            "Bookings by state (read at scrape).",
            labels=["state"],
        )
        for status in BookingStatus:
            states.add_metric([status.value], bookings.get(status.value, 0))
        yield states


def _jobs_by_kind_and_status(session: Session) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(Job.kind, Job.status, func.count())
        .where(Job.status.in_(OPEN_JOB_STATUSES))
        .group_by(Job.kind, Job.status)
    )
    return {(kind, JobStatus(status).value): count for kind, status, count in rows}


def _oldest_due_run_after(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(Job.run_after)).where(
            Job.status == JobStatus.QUEUED, Job.run_after <= datetime.now(UTC)
        )
    )


def _bookings_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Booking.status, func.count()).group_by(Booking.status))
    return {BookingStatus(status).value: count for status, count in rows}


def _age_seconds(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - moment).total_seconds())
