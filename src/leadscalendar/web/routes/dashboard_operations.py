"""Jobs of this host that need a look: parked ones, and ones retrying after failures."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from leadscalendar.bookings import host_views
from leadscalendar.bookings.park_codes import ParkCode
from leadscalendar.calendar_sync.park_codes import SyncParkCode
from leadscalendar.db.base import utcnow
from leadscalendar.jobs import ATTEMPTS_EXHAUSTED, JobStatus, retry_job
from leadscalendar.jobs.errors import JobNotFoundError, JobStateError
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.dashboard.common import parse_uuid, render
from leadscalendar.web.deps import CurrentHost, DbSession, ReadDbSession, ReadHost
from leadscalendar.web.routes.dashboard import flash

router = APIRouter(prefix="/dashboard/operations", tags=["dashboard"])

# What the host can do about each park code; unknown codes show only the reason.
# (StrEnum members: a job row's plain-string code finds its entry.)
ADVICE: dict[str, str] = {
    ParkCode.NEEDS_REAUTH: "Reconnect Google Calendar on the dashboard home; "
    "waiting jobs resume by themselves.",
    ParkCode.CALENDAR_GONE: "The calendar is gone or not writable: choose another "
    "calendar for the booking type or your connection, then retry.",
    ParkCode.PERMISSION: "Google refused the change: check that the calendar is "
    "yours to write to, then retry.",
    ParkCode.INVALID: "Google refused the event as invalid: check the booking type "
    "(location, reminders), then retry.",
    ATTEMPTS_EXHAUSTED: "Google kept failing for a long time; retry when Google is healthy again.",
    ParkCode.NOT_CONNECTED: "Connect Google Calendar on the dashboard home.",
    ParkCode.MISCONFIGURED: "LeadsCalendar's Google set-up is being looked at by its operator; "
    "nothing is needed from you.",
    SyncParkCode.RECONCILE_REFUSED: "Google would not list your calendars: reconnect Google "
    "Calendar on the dashboard home; they are read again when you do.",
}


@router.get("")
def operations(request: Request, session: ReadDbSession, host: ReadHost) -> Response:
    jobs = host_views.jobs_needing_attention(session, host.id)
    booking_ids = [bid for job in jobs if (bid := parse_uuid(job.subject_key)) is not None]
    bookings = host_views.bookings_by_id(session, host.id, booking_ids)
    rows = [
        {
            "job": job,
            "booking": bookings.get(parse_uuid(job.subject_key) or uuid.UUID(int=0)),
            "label": host_views.job_label(job.kind),
            "advice": ADVICE.get(job.park_code or ""),
            # Past its attempts and still queued: a transient failure's slow phase.
            "slow": job.status is JobStatus.QUEUED and job.attempts >= job.max_attempts,
        }
        for job in jobs
    ]
    return render(
        request,
        "dashboard/operations.html",
        host,
        {"rows": rows, "parked": JobStatus.PARKED, "now": utcnow()},
    )


@router.post("/jobs/{job_id}/retry", dependencies=[Depends(require_csrf)])
def retry(request: Request, session: DbSession, host: CurrentHost, job_id: uuid.UUID) -> Response:
    if host_views.get_job(session, host.id, job_id) is None:
        raise JobNotFoundError("There is no such job.")
    try:
        job = retry_job(session, job_id)
    except JobStateError:
        session.rollback()
        flash(request, "That job is already running or finished; nothing to retry.", "warning")
    else:
        flash(request, f"{host_views.job_label(job.kind)} will be tried again now.")
    return RedirectResponse("/dashboard/operations", status_code=303)
