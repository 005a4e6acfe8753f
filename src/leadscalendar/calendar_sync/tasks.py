"""The incremental sync job: events.list page by page into the busy mirror.

Why each page commits on its own (rather than in the outcome's effects):
a sync of a large calendar is many pages, and a crash halfway must resume
from the last stored page, neither losing nor doubling a change. So each
page's writes - its busy blocks, the bookings that follow its events, and
the next page token (or, on the last page, the next sync token) - commit in
one transaction: a crash before it re-reads the same page, after it the next.

One sync at a time per calendar: a sync marks the calendar row with its job
id (and a deadline, in case it dies); another sync job finding it marked
comes back a moment later. A host who disconnects deletes the row (cascade),
and the running sync, finding nothing to write to, stops.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from leadscalendar.calendar_sync import repository
from leadscalendar.calendar_sync.busy_rules import busy_block
from leadscalendar.calendar_sync.job_policy import SyncJobPolicy
from leadscalendar.calendar_sync.models import BusyBlock, CalendarSync
from leadscalendar.calendar_sync.park_codes import SyncParkCode
from leadscalendar.config import Settings
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google.clients import CalendarClients
from leadscalendar.google.errors import Action, Operation
from leadscalendar.google.events import booking_id_of
from leadscalendar.google.feed import EventsPage, PageQuery
from leadscalendar.google.job_calls import GoogleCall, calling_google
from leadscalendar.jobs.outcomes import Outcome, Retry, Succeeded
from leadscalendar.jobs.registry import JobContext

logger = logging.getLogger(__name__)

# A sync that finds another one running comes back after about this long.
BUSY_RETRY_SECONDS = 1.0
# Google's sync window starts a day back, so today's events are always covered.
WINDOW_BACK = timedelta(days=1)


class FollowEvent(Protocol):
    """``bookings.calendar_follow.follow_calendar_event``, injected by the composition root."""

    def __call__(
        self, session: Session, *, booking_id: uuid.UUID, event: Mapping[str, Any], now: datetime
    ) -> None: ...


@dataclass(frozen=True)
class SyncDependencies:
    settings: Settings
    calendars: CalendarClients
    follow: FollowEvent


@dataclass(frozen=True)
class _Start:
    host_id: uuid.UUID
    calendar_id: str
    query: PageQuery
    full: bool


class _StopError(Exception):
    """The calendar is no longer synced (host gone, calendar dropped) or another sync has it."""


SYNC_POLICY = SyncJobPolicy("host not connected; nothing to sync", SyncParkCode.SYNC_REFUSED)


def sync_calendar(ctx: JobContext, deps: SyncDependencies) -> Outcome:
    """Run one incremental (or full, if need be) sync of the payload's calendar."""
    sync_id = uuid.UUID(str(ctx.job.payload["sync_id"]))
    try:
        start = _begin(ctx, deps.settings, sync_id)
    except _StopError as stop:
        return Succeeded(str(stop) or "calendar no longer synced")
    if isinstance(start, Retry):
        return start
    with calling_google(Operation.TOKEN_REFRESH, SYNC_POLICY) as call:
        client = deps.calendars.for_host(start.host_id)
    if call.failed:
        _release(ctx, sync_id, _failure_text(call))
        return call.answer()
    try:
        return _pages(ctx, deps, sync_id, start, client)
    except _StopError as stop:
        return Succeeded(str(stop) or "calendar no longer synced")


def _failure_text(call: GoogleCall[Outcome]) -> str:
    """What the calendar row shows as its last error."""
    if call.failure is not None:
        return call.failure.message
    return "Google Calendar is not connected."


def _pages(
    ctx: JobContext, deps: SyncDependencies, sync_id: uuid.UUID, start: _Start, client: Any
) -> Outcome:
    query, full, resynced = start.query, start.full, False
    pages = 0
    while True:
        if not ctx.extend_lease():
            return Retry("lease lost; the next claim resumes from the stored page")
        sized = dataclasses.replace(query, max_results=deps.settings.calendar_sync_page_size)
        with calling_google(Operation.EVENT_LIST, SYNC_POLICY) as call:
            page: EventsPage = client.list_events_page(start.calendar_id, sized)
        if call.failed_with(Action.RESYNC) and not resynced:
            logger.info("calendar sync %s: token expired, full resync", sync_id)
            query, full, resynced = _reset(ctx, deps.settings, sync_id), True, True
            continue
        if call.failed:
            _release(ctx, sync_id, _failure_text(call))
            return call.answer()
        pages += 1
        next_query = _store_page(ctx, deps, sync_id, query, page, first_full=full and pages == 1)
        if next_query is None:
            return Succeeded(f"{pages} page(s) synced", operation=Operation.EVENT_LIST.value)
        query, full = next_query, False


def _begin(ctx: JobContext, settings: Settings, sync_id: uuid.UUID) -> _Start | Retry:
    """Take the calendar for this job, or say to come back: one sync at a time."""
    now = utcnow()
    with unit_of_work(ctx.session_factory) as session:
        sync = repository.get_sync(session, sync_id, for_update=True)
        if sync is None:
            raise _StopError("calendar no longer synced")
        if (
            sync.running_job_id not in (None, ctx.job.id)
            and sync.running_until is not None
            and sync.running_until > now
        ):
            return Retry(
                "another sync of this calendar is running",
                retry_after=BUSY_RETRY_SECONDS,
                transient=True,
            )
        sync.running_job_id = ctx.job.id
        sync.running_until = now + timedelta(seconds=ctx.lease_seconds)
        # From now on a notification queues a new job rather than joining this one.
        sync.sync_round += 1
        horizon = timedelta(days=settings.calendar_sync_horizon_days)
        if (
            sync.page_token is None
            and sync.sync_token is not None
            and (sync.window_end is None or sync.window_end - now < horizon / 2)
        ):
            # The token only covers the old window; list the calendar again.
            sync.sync_token = None
        return _start_of(sync, now, horizon)


def _start_of(sync: CalendarSync, now: datetime, horizon: timedelta) -> _Start:
    if sync.page_token is not None:
        base = sync.page_base_token
        return _Start(
            sync.host_id,
            sync.calendar_id,
            _query(base, sync.page_token, sync.window_end, horizon),
            base is None,
        )
    if sync.sync_token is not None:
        return _Start(sync.host_id, sync.calendar_id, PageQuery(sync_token=sync.sync_token), False)
    sync.window_end = now + horizon
    return _Start(
        sync.host_id, sync.calendar_id, _query(None, None, sync.window_end, horizon), True
    )


def _query(
    base: str | None, page_token: str | None, window_end: datetime | None, horizon: timedelta
) -> PageQuery:
    if base is not None or window_end is None:
        return PageQuery(sync_token=base, page_token=page_token)
    return PageQuery(
        page_token=page_token, time_min=window_end - horizon - WINDOW_BACK, time_max=window_end
    )


def _reset(ctx: JobContext, settings: Settings, sync_id: uuid.UUID) -> PageQuery:
    """410: forget both tokens and start a full sync of a fresh window."""
    now = utcnow()
    horizon = timedelta(days=settings.calendar_sync_horizon_days)
    with unit_of_work(ctx.session_factory) as session:
        sync = _owned(session, sync_id, ctx.job.id)
        sync.sync_token = sync.page_token = sync.page_base_token = None
        sync.window_end = now + horizon
        return _query(None, None, sync.window_end, horizon)


def _owned(session: Session, sync_id: uuid.UUID, job_id: uuid.UUID) -> CalendarSync:
    sync = repository.get_sync(session, sync_id, for_update=True)
    if sync is None:
        raise _StopError("calendar no longer synced (disconnected during the sync)")
    if sync.running_job_id != job_id:
        raise _StopError("another sync took this calendar over")
    return sync


def _store_page(
    ctx: JobContext,
    deps: SyncDependencies,
    sync_id: uuid.UUID,
    query: PageQuery,
    page: EventsPage,
    *,
    first_full: bool,
) -> PageQuery | None:
    """Commit one page and where to go next; None when the sync is complete."""
    now = utcnow()
    with unit_of_work(ctx.session_factory) as session:
        sync = _owned(session, sync_id, ctx.job.id)
        if first_full:
            repository.delete_blocks(session, sync.id, None)
        if page.time_zone:
            sync.time_zone = page.time_zone
        apply_events(session, deps.follow, sync, page.events, now)
        sync.running_until = now + timedelta(seconds=ctx.lease_seconds)
        if page.next_page_token:
            sync.page_base_token = query.sync_token
            sync.page_token = page.next_page_token
            return PageQuery(
                sync_token=query.sync_token,
                page_token=page.next_page_token,
                time_min=query.time_min,
                time_max=query.time_max,
            )
        sync.sync_token = page.next_sync_token or sync.sync_token
        sync.page_token = sync.page_base_token = None
        sync.last_synced_at = now
        sync.last_error = None
        sync.running_job_id = sync.running_until = None
        return None


def apply_events(
    session: Session,
    follow: FollowEvent,
    sync: CalendarSync,
    events: tuple[Mapping[str, Any], ...],
    now: datetime,
) -> None:
    """Mirror each changed event (busy or not) and hand ours to the bookings."""
    # Should a page list an event twice, its last state is the one that counts.
    latest = {str(event["id"]): event for event in events if event.get("id")}
    repository.delete_blocks(session, sync.id, list(latest))
    for event_id, event in latest.items():
        block = busy_block(event, sync.time_zone)
        if block is not None:
            session.add(
                BusyBlock(
                    sync_id=sync.id, event_id=event_id, start_at=block.start, end_at=block.end
                )
            )
        booking_id = booking_id_of(event)
        if booking_id is not None:
            follow(session, booking_id=booking_id, event=event, now=now)
    session.flush()


def _release(ctx: JobContext, sync_id: uuid.UUID, error: str | None) -> None:
    with unit_of_work(ctx.session_factory) as session:
        sync = repository.get_sync(session, sync_id, for_update=True)
        if sync is not None and sync.running_job_id == ctx.job.id:
            sync.running_job_id = sync.running_until = None
            sync.last_error = error
