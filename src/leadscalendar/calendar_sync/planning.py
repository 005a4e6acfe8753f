"""Deciding what is synced and when: reconcile a host, and the polling clock.

``reconcile`` runs when a host connects or picks calendars (and for hosts
found without any synced calendar): it makes the synced calendars match the
connection, starting channels for new ones when Google can push to us and
stopping the channels of calendars no longer wanted.

The polling clock is one job at a time (a dedupe key per run time, so every
worker may plan it at start): each run queues an incremental sync for every
calendar without a live channel - all of them in polling mode - and plans
the next run ``calendar_poll_seconds`` later.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadscalendar.calendar_sync import channels, repository, service
from leadscalendar.calendar_sync.job_kinds import POLL, RECONCILE, RENEW_CHANNEL, SYNC
from leadscalendar.calendar_sync.job_policy import SyncJobPolicy
from leadscalendar.calendar_sync.models import CalendarSync, ChannelState, SyncMode
from leadscalendar.calendar_sync.park_codes import SyncParkCode
from leadscalendar.calendar_sync.tasks import SyncDependencies, sync_calendar
from leadscalendar.db.base import utcnow
from leadscalendar.google import repository as google_repository
from leadscalendar.google.calendar import CalendarClient, CalendarInfo
from leadscalendar.google.errors import Operation
from leadscalendar.google.job_calls import QUIETLY, calling_google
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from leadscalendar.jobs import Job, JobRegistry, JobStatus, enqueue
from leadscalendar.jobs.outcomes import Outcome, Succeeded
from leadscalendar.jobs.registry import JobContext

logger = logging.getLogger(__name__)

RECONCILE_POLICY = SyncJobPolicy("host not connected", SyncParkCode.RECONCILE_REFUSED)


@dataclass(frozen=True)
class _Plan:
    """What a reconcile found and will do; the Google calls happen between read and apply."""

    connection_id: uuid.UUID
    added: dict[str, uuid.UUID]
    removed: list[uuid.UUID]
    doomed: list[tuple[str, str | None]]
    unwatched: dict[str, uuid.UUID]


def reconcile(ctx: JobContext, deps: SyncDependencies) -> Outcome:
    """Make the host's synced calendars and channels match their connection."""
    host_id = uuid.UUID(str(ctx.job.payload["host_id"]))
    with calling_google(Operation.CALENDAR_LIST, RECONCILE_POLICY) as call:
        client = deps.calendars.for_host(host_id)
        listed = client.list_calendars()
    if call.failed:
        # A person's problem parks: until they act (reconnect, fix the OAuth client) the
        # host's pages keep using free/busy; reconnecting resumes or plans a reconcile.
        return call.answer()
    push = deps.settings.calendar_push_enabled
    with ctx.read() as session:
        plan = _plan(session, host_id, listed, push)
    if plan is None:
        return Succeeded("host not connected")
    targets = plan.added | plan.unwatched
    started = [s for c, i in targets.items() if (s := _watch(client, deps, i, c))] if push else []
    channels.stop_quietly(client, plan.doomed)
    detail = f"{len(plan.added)} calendar(s) added, {len(plan.removed)} removed"
    return Succeeded(
        detail,
        effects=(ApplyReconcile(host_id, plan, tuple(started), push, deps),),
        operation=Operation.EVENT_WATCH.value,
    )


@dataclass(frozen=True)
class ApplyReconcile:
    """Write what a reconcile decided: new sync rows, dropped ones, modes and channels."""

    name: ClassVar[str] = "calendar_sync.apply_reconcile"
    host_id: uuid.UUID
    plan: _Plan
    started: tuple[channels.StartedChannel, ...]
    push: bool
    deps: SyncDependencies = field(repr=False, compare=False)

    def apply(self, session: Session) -> None:
        if google_repository.get_connection(session, self.host_id) is not None:
            _apply(session, self.deps, self.host_id, self.plan, list(self.started), self.push)


def _plan(
    session: Session, host_id: uuid.UUID, listed: Sequence[CalendarInfo], push: bool
) -> _Plan | None:
    """Compare the wanted calendars (owned ones; "primary" by that name) with the synced ones."""
    connection = google_repository.get_connection(session, host_id)
    if connection is None:
        return None
    primary_ids = {c.id for c in listed if c.primary}

    def named(calendar_id: str) -> str:
        return channels.PRIMARY if calendar_id in primary_ids else calendar_id

    owned = frozenset(c.id for c in listed if c.access_role == "owner") | primary_ids
    wanted = {named(c) for c in channels.watched_calendar_ids(session, host_id, owned)}
    existing = {s.calendar_id: s for s in repository.syncs_of_host(session, host_id)}
    live = {
        c.sync_id
        for c in repository.live_channels(session, [s.id for s in existing.values()], utcnow())
    }
    removed = [s.id for c, s in existing.items() if c not in wanted]
    return _Plan(
        connection_id=connection.id,
        added={c: uuid.uuid4() for c in sorted(wanted - set(existing))},
        removed=removed,
        doomed=[
            (ch.channel_id, ch.resource_id)
            for ch in repository.channels_of_host(session, host_id)
            if ch.state is ChannelState.ACTIVE and (ch.sync_id in removed or not push)
        ],
        unwatched={c: s.id for c, s in existing.items() if c in wanted and s.id not in live},
    )


def _apply(
    session: Session,
    deps: SyncDependencies,
    host_id: uuid.UUID,
    plan: _Plan,
    started: list[channels.StartedChannel],
    push: bool,
) -> None:
    mode = SyncMode.PUSH if push else SyncMode.POLL
    for calendar_id, sync_id in plan.added.items():
        session.add(new_sync_row(plan.connection_id, host_id, calendar_id, mode, sync_id=sync_id))
    session.flush()
    for sync in repository.syncs_of_host(session, host_id):
        if sync.id in plan.removed:
            session.delete(sync)
            continue
        sync.mode = mode
        if sync.id in plan.added.values():
            service.request_sync(session, sync)
    if not push:
        for channel in repository.channels_of_host(session, host_id):
            channel.state = ChannelState.STOPPED
    session.flush()
    for item in started:
        channels.record_channel(session, deps, item, host_id)


def _watch(
    client: CalendarClient, deps: SyncDependencies, sync_id: uuid.UUID, calendar_id: str
) -> channels.StartedChannel | None:
    """events.watch on one calendar; without a channel the polling clock keeps it fresh."""
    with calling_google(Operation.EVENT_WATCH, QUIETLY) as call:
        return channels.start_channel(client, deps, sync_id, calendar_id)
    if call.failure is not None:
        logger.warning("events.watch on a calendar failed: %s", call.failure.message)
    return None


def new_sync_row(
    connection_id: uuid.UUID,
    host_id: uuid.UUID,
    calendar_id: str,
    mode: SyncMode,
    *,
    sync_id: uuid.UUID | None = None,
) -> CalendarSync:
    """A calendar not synced yet: no token, so the mirror answers nothing until a full sync."""
    return CalendarSync(
        id=sync_id or uuid.uuid4(),
        connection_id=connection_id,
        host_id=host_id,
        calendar_id=calendar_id,
        mode=mode,
        sync_round=0,
    )


def plan_poll(session: Session, at: datetime, interval: float) -> None:
    """Make sure the polling clock runs at ``at`` (one job per run time)."""
    seconds = max(interval, 0.001)
    bucket = datetime.fromtimestamp((at.timestamp() // seconds + 1) * seconds, tz=UTC)
    enqueue(
        session,
        POLL,
        {},
        subject_key="maintenance:calendar_poll",
        host_id=None,
        dedupe_key=f"{POLL}:{bucket.isoformat()}",
        run_after=bucket,
    )


def poll(ctx: JobContext, deps: SyncDependencies) -> Outcome:
    """Queue a sync of every calendar without a live channel; plan the next run."""
    settings = deps.settings
    return Succeeded(
        "calendars polled",
        effects=(PollCalendars(settings.calendar_push_enabled, settings.calendar_poll_seconds),),
    )


@dataclass(frozen=True)
class PollCalendars:
    """The polling clock's work, decided at commit time from what is synced then."""

    name: ClassVar[str] = "calendar_sync.poll"
    push_enabled: bool
    poll_seconds: float

    def apply(self, session: Session) -> None:
        now = utcnow()
        syncs = repository.all_syncs(session)
        live = {c.sync_id for c in repository.live_channels(session, [s.id for s in syncs], now)}
        planned: set[uuid.UUID] = set()
        for sync in syncs:
            if sync.id not in live:
                service.request_sync(session, sync)
            reconcile_due = (sync.mode is SyncMode.PUSH) != self.push_enabled
            if reconcile_due and sync.host_id not in planned:
                planned.add(sync.host_id)
                service.plan_host(session, sync.host_id)
        for connection in _unsynced_connections(session):
            if not _reconcile_parked(session, connection.host_id):
                service.plan_host(session, connection.host_id)
        plan_poll(session, now, self.poll_seconds)


def _reconcile_parked(session: Session, host_id: uuid.UUID) -> bool:
    """A reconcile waits for the host (or an operator): the clock does not queue more."""
    parked = session.scalar(
        select(Job.id).where(
            Job.kind == RECONCILE,
            Job.subject_key == f"host:{host_id}",
            Job.status == JobStatus.PARKED,
        )
    )
    return parked is not None


def _unsynced_connections(session: Session) -> list[GoogleConnection]:
    synced = select(CalendarSync.connection_id)
    return list(
        session.scalars(
            select(GoogleConnection).where(
                GoogleConnection.status == ConnectionStatus.ACTIVE,
                GoogleConnection.id.not_in(synced),
            )
        )
    )


def register_calendar_sync_tasks(registry: JobRegistry, deps: SyncDependencies) -> JobRegistry:
    registry.register(SYNC, lambda ctx: sync_calendar(ctx, deps))
    registry.register(RECONCILE, lambda ctx: reconcile(ctx, deps))
    registry.register(RENEW_CHANNEL, lambda ctx: channels.renew_channel(ctx, deps))
    registry.register(POLL, lambda ctx: poll(ctx, deps))
    return registry
