"""Long-running processes: the job worker (``leadscalendar worker``)."""

from __future__ import annotations

import logging
import threading

from leadscalendar.bookings.job_kinds import (
    BOOKING_MAILS,
    EXPIRE_CHECKOUT,
    REFUND_PAYMENT,
    REFUND_UNMATCHED_PAYMENT,
    SEND_REMINDER,
)
from leadscalendar.calendar_sync.planning import plan_poll
from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.threadlocal import kept_connections
from leadscalendar.jobs import RetryPolicy, WorkerStats, run_worker
from leadscalendar.notifications import SEND_EMAIL
from leadscalendar.observability.metrics import quota_readings
from leadscalendar.retention import PRUNE_HISTORY, plan_prune
from leadscalendar.services import Services, build_pacer
from leadscalendar.webhooks_out.service import DELIVER_WEBHOOK

logger = logging.getLogger(__name__)

# Kinds that never call Google (mail, Stripe, clean-ups, outbound webhooks): they wait
# for no Google quota.
# Every other kind, including any added later, is paced.
NO_GOOGLE_CALLS = frozenset(
    {
        SEND_EMAIL,
        SEND_REMINDER,
        BOOKING_MAILS,
        PRUNE_HISTORY,
        REFUND_PAYMENT,
        REFUND_UNMATCHED_PAYMENT,
        EXPIRE_CHECKOUT,
        DELIVER_WEBHOOK,
    }
)


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
        # So is the calendar polling clock (it also finds hosts not synced yet).
        plan_poll(session, utcnow(), settings.calendar_poll_seconds)
    registry = services.job_registry()
    pacer = build_pacer(settings)
    with quota_readings(pacer.tokens_in_use, stop_event):
        return run_worker(
            services.session_factory,
            registry,
            concurrency=concurrency,
            poll_interval=settings.jobs_poll_interval_seconds,
            stop_event=stop_event,
            worker_id=worker_id,
            lease_seconds=settings.jobs_lease_seconds,
            policy=RetryPolicy.from_settings(settings),
            pacer=pacer,
            paced_kinds=registry.kinds - NO_GOOGLE_CALLS,
            thread_context=kept_connections,
        )
