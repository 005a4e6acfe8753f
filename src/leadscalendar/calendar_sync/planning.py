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
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadscalendar.calendar_sync import channels, repository, service
from leadscalendar.calendar_sync.job_kinds import POLL, RECONCILE, RENEW_CHANNEL, SYNC
from leadscalendar.calendar_sync.models import CalendarSync, ChannelState, SyncMode
from leadscalendar.calendar_sync.tasks import SyncDependencies, sync_calendar
from leadscalendar.db.base import utcnow
from leadscalendar.google import repository as google_repository
from leadscalendar.google.calendar import CalendarClient
from leadscalendar.google.errors import Operation, classify
from leadscalendar.google.exceptions import NotConnectedError, ReauthorizationRequiredError
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from leadscalendar.jobs import JobRegistry, enqueue
from leadscalendar.jobs.outcomes import Outcome, Retry, Succeeded
from leadscalendar.jobs.registry import JobContext

logger = logging.getLogger(__name__)


def reconcile(ctx: JobContext, deps: SyncDependencies) -> Outcome:
    """Make the host's synced calendars and channels match their connection."""
    host_id = uuid.UUID(str(ctx.job.payload["host_id"]))
    try:
        client = deps.calendars.for_host(host_id)
        listed = client.list_calendars()
    except (NotConnectedError, ReauthorizationRequiredError):
        return Succeeded("host not connected")
    except Exception as error:
        outcome = classify(error, operation=Operation.CALENDAR_LIST)
        return Retry(
            outcome.message,
            retry_after=outcome.retry_after,
            http_status=outcome.status,
            operation=Operation.CALENDAR_LIST.value,
            transient=True,
        )
    primary_ids = {c.id for c in listed if c.primary}
    owned = frozenset(
        channels.PRIMARY if c.id in primary_ids else c.id
        for c in listed
        if c.access_role == "owner"
    )
    push = deps.settings.calendar_push_enabled
    with ctx.read() as session:
        connection = google_repository.get_connection(session, host_id)
        if connection is None:
            return Succeeded("host not connected")
        connection_id = connection.id
        wanted = {
            channels.PRIMARY if c in primary_ids else c
            for c in channels.watched_calendar_ids(session, host_id, owned | primary_ids)
        }
        existing = {s.calendar_id: s for s in repository.syncs_of_host(session, host_id)}
        live = {
            c.sync_id
            for c in repository.live_channels(session, [s.id for s in existing.values()], utcnow())
        }
        removed = [s.id for c, s in existing.items() if c not in wanted]
        doomed = [
            (ch.channel_id, ch.resource_id)
            for ch in repository.channels_of_host(session, host_id)
            if ch.sync_id in removed or not push
        ]
        keep = {c: (s.id, s.id in live) for c, s in existing.items() if c in wanted}
    added = {c: uuid.uuid4() for c in sorted(wanted - set(existing))}
    started = _watch(client, deps, added, keep) if push else []
    channels.stop_quietly(client, doomed)

    def apply(session: Session) -> None:
        if google_repository.get_connection(session, host_id) is None:
            return
        for calendar_id, sync_id in added.items():
            mode = SyncMode.PUSH if push else SyncMode.POLL
            session.add(new_sync_row(connection_id, host_id, calendar_id, mode, sync_id=sync_id))
        session.flush()
        for sync in repository.syncs_of_host(session, host_id):
            if sync.id in removed:
                session.delete(sync)
                continue
            sync.mode = SyncMode.PUSH if push else SyncMode.POLL
            if sync.id in added.values():
                service.request_sync(session, sync)
        for channel in repository.channels_of_host(session, host_id):
            if not push:
                channel.state = ChannelState.STOPPED
        session.flush()
        for item in started:
            channels.record_channel(session, deps, item, host_id)

    detail = (
        f"{len(added)} calendar(s) added, {len(removed)} removed, {len(started)} channel(s) started"
    )
    return Succeeded(detail, apply=apply, operation=Operation.EVENT_WATCH.value)


def _watch(
    client: CalendarClient,
    deps: SyncDependencies,
    added: dict[str, uuid.UUID],
    keep: dict[str, tuple[uuid.UUID, bool]],
) -> list[channels._Started]:
    """Start a channel on each new calendar and each kept one without a live channel."""
    targets = [(c, s) for c, s in added.items()] + [
        (c, s) for c, (s, live) in keep.items() if not live
    ]
    started = []
    for calendar_id, sync_id in targets:
        try:
            started.append(channels.start_channel(client, deps, sync_id, calendar_id))
        except Exception as error:
            # Without a channel the polling clock keeps this calendar fresh.
            outcome = classify(error, operation=Operation.EVENT_WATCH)
            logger.warning("events.watch on a calendar failed: %s", outcome.message)
    return started


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

    def apply(session: Session) -> None:
        now = utcnow()
        syncs = repository.all_syncs(session)
        live = {c.sync_id for c in repository.live_channels(session, [s.id for s in syncs], now)}
        planned: set[uuid.UUID] = set()
        for sync in syncs:
            if sync.id not in live:
                service.request_sync(session, sync)
            if _needs_reconcile(sync, deps) and sync.host_id not in planned:
                planned.add(sync.host_id)
                service.plan_host(session, sync.host_id)
        for connection in _unsynced_connections(session):
            service.plan_host(session, connection.host_id)
        plan_poll(session, now, deps.settings.calendar_poll_seconds)

    return Succeeded("calendars polled", apply=apply)


def _needs_reconcile(sync: CalendarSync, deps: SyncDependencies) -> bool:
    return (sync.mode is SyncMode.PUSH) != deps.settings.calendar_push_enabled


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
