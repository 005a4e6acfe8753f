"""Long-running processes: the job worker (``leadscalendar worker``)."""

from __future__ import annotations

import logging
import threading

from leadscalendar.bookings.job_kinds import CALENDAR_KINDS
from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.threadlocal import kept_connections
from leadscalendar.jobs import RetryPolicy, WorkerStats, run_worker
from leadscalendar.retention import plan_prune
from leadscalendar.services import Services, build_pacer

logger = logging.getLogger(__name__)


def run_worker_process(
    services: Services,
    *,
    concurrency: int,
    stop_event: threading.Event,
    worker_id: str | None = None,
) -> WorkerStats:
    """Run the bookings' jobs until ``stop_event`` is set; the caller owns signals."""
    settings: Settings = services.settings
    # The daily clean-up plans its next run itself; this plants the first one.
    with unit_of_work(services.session_factory) as session:
        plan_prune(session, utcnow())
    return run_worker(
        services.session_factory,
        services.job_registry(),
        concurrency=concurrency,
        poll_interval=settings.jobs_poll_interval_seconds,
        stop_event=stop_event,
        worker_id=worker_id,
        lease_seconds=settings.jobs_lease_seconds,
        policy=RetryPolicy.from_settings(settings),
        pacer=build_pacer(settings),
        # Mails, refunds and clean-ups do not call Google Calendar: they wait for no quota.
        paced_kinds=CALENDAR_KINDS,
        thread_context=kept_connections,
    )
