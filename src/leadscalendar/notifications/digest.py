"""The host's daily digest of parked work: one mail a morning while anything waits for them.

Parking already mails the host once per cause; a cause that stays unfixed
would otherwise go quiet. So the first park plans a ``host_digest`` job for
the host's next morning (08:00 in their zone); that job mails a list of
what is still parked and plans the next morning's, and stops when nothing
is parked any more. One job per host and day (``dedupe_key``), however many
jobs park.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.db.base import utcnow
from leadscalendar.jobs import JobContext, JobRegistry, JobStatus, Outcome, Park, Succeeded
from leadscalendar.jobs import list_jobs as list_host_jobs
from leadscalendar.jobs.service import enqueue
from leadscalendar.notifications.messages import MailTemplate
from leadscalendar.notifications.park_codes import MailParkCode
from leadscalendar.notifications.service import enqueue_mail

HOST_DIGEST = "host_digest"
DIGEST_AT = time(8, 0)
MAX_LISTED = 20


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_morning(now: datetime, time_zone: str) -> datetime:
    """The first 08:00 in the host's zone strictly after ``now``."""
    zone = _zone(time_zone)
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), DIGEST_AT, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), DIGEST_AT, tzinfo=zone)
    return candidate


def plan_digest(session: Session, host_id: uuid.UUID | None, now: datetime) -> None:
    """Make sure the host's next morning has a digest job (at most one per day)."""
    if host_id is None:
        return
    host = accounts_repository.get_host(session, host_id)
    if host is None:
        return
    at = next_morning(now, host.timezone)
    enqueue(
        session,
        HOST_DIGEST,
        {"host_id": str(host_id), "day": at.date().isoformat()},
        subject_key=f"host:{host_id}",
        host_id=host_id,
        dedupe_key=f"{HOST_DIGEST}:{host_id}:{at.date().isoformat()}",
        run_after=at,
    )


def _mail_digest(session: Session, host_id: uuid.UUID, day: str) -> None:
    host = accounts_repository.get_host(session, host_id)
    parked = list_host_jobs(session, status=JobStatus.PARKED, host_id=host_id, limit=MAX_LISTED)
    if host is None or not parked:
        return
    items = [
        {
            "what": job.kind.replace("_", " ").capitalize(),
            "since": f"{job.updated_at:%d %b %H:%M} UTC" if job.updated_at else "",
            "reason": job.park_reason or "",
        }
        for job in parked
    ]
    enqueue_mail(
        session,
        template=MailTemplate.HOST_DIGEST,
        to=host.email,
        context={"host_name": host.name, "count": len(items), "items": items},
        dedupe_key=f"mail:digest:{host_id}:{day}",
        subject_key=f"host:{host_id}",
        host_id=host_id,
    )
    # From this digest's own morning, so a digest run late still plans the day after it.
    morning = datetime.combine(date.fromisoformat(day), DIGEST_AT, tzinfo=_zone(host.timezone))
    plan_digest(session, host_id, max(utcnow(), morning))


def send_digest(ctx: JobContext) -> Outcome:
    """Mail what is parked right now, and plan tomorrow's; nothing parked: nothing sent."""
    try:
        host_id = uuid.UUID(str(ctx.job.payload["host_id"]))
        day = date.fromisoformat(str(ctx.job.payload["day"])).isoformat()
    except (KeyError, ValueError):
        return Park(MailParkCode.DIGEST_INVALID, "This digest job does not name a host.")
    return Succeeded("digest checked", effects=(MailDigest(host_id, day),))


@dataclass(frozen=True)
class MailDigest:
    """Mail the host what is parked at commit time, and plan the next digest."""

    name: ClassVar[str] = "mail.digest"
    host_id: uuid.UUID
    day: str

    def apply(self, session: Session) -> None:
        _mail_digest(session, self.host_id, self.day)


@dataclass(frozen=True)
class PlanDigest:
    """Whatever parked, the host's next morning summary lists it while it waits."""

    name: ClassVar[str] = "mail.plan_digest"
    host_id: uuid.UUID | None

    def apply(self, session: Session) -> None:
        plan_digest(session, self.host_id, utcnow())


def register_digest_tasks(registry: JobRegistry) -> JobRegistry:
    registry.register(HOST_DIGEST, send_digest)
    return registry
