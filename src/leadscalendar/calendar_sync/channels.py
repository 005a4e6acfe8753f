"""Which calendars are watched, and their push channels: start, renew, stop.

A host's synced calendars are the primary, the calendar receiving bookings
and the calendars they ticked as busy - of those, the ones they own: the
least-privilege scope ``calendar.events.owned`` lets events.list and
events.watch read only calendars the host owns, so a calendar merely shared
with them stays on free/busy, as before.

Google has no "renew": a new channel replaces the old one before it expires,
and the old one is stopped. Every Google call runs with no transaction open;
the rows change in the outcome's effects (or, for stops that must happen
before the grant is revoked, in the caller's unit of work right after).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.calendar_sync import repository, service
from leadscalendar.calendar_sync.job_kinds import RENEW_CHANNEL
from leadscalendar.calendar_sync.job_policy import SyncJobPolicy
from leadscalendar.calendar_sync.models import ChannelState, SyncMode, WatchChannel
from leadscalendar.calendar_sync.tasks import SyncDependencies
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.google import repository as google_repository
from leadscalendar.google.calendar import CalendarClient
from leadscalendar.google.clients import CalendarClients
from leadscalendar.google.errors import Operation
from leadscalendar.google.exceptions import NotConnectedError, ReauthorizationRequiredError
from leadscalendar.google.job_calls import QUIETLY, calling_google
from leadscalendar.jobs import enqueue
from leadscalendar.jobs.outcomes import Outcome, Succeeded
from leadscalendar.jobs.registry import JobContext

logger = logging.getLogger(__name__)

PRIMARY = "primary"
# A renewal Google refuses for good lets the channel lapse: the polling clock covers it.
RENEW_POLICY = SyncJobPolicy("host not connected; channel left to expire", None)


@dataclass(frozen=True)
class StartedChannel:
    """A channel Google accepted, before its row exists."""

    sync_id: uuid.UUID
    calendar_id: str
    channel_id: str
    token_hash: str
    resource_id: str
    expiration: datetime


def start_channel(
    client: CalendarClient, deps: SyncDependencies, sync_id: uuid.UUID, calendar_id: str
) -> StartedChannel:
    """events.watch with a fresh id and secret; only the secret's digest is kept."""
    settings = deps.settings
    channel_id = str(uuid.uuid4())
    token = secrets.token_urlsafe(32)
    answer = client.watch_events(
        calendar_id,
        channel_id=channel_id,
        token=token,
        address=settings.calendar_webhook_url,
        ttl_seconds=settings.calendar_channel_ttl_seconds,
    )
    expiration = answer.expiration or utcnow() + timedelta(
        seconds=settings.calendar_channel_ttl_seconds
    )
    return StartedChannel(
        sync_id,
        calendar_id,
        channel_id,
        service.token_digest(token),
        answer.resource_id,
        expiration,
    )


def record_channel(
    session: Session, deps: SyncDependencies, started: StartedChannel, host_id: uuid.UUID
) -> None:
    """The channel's row, and the job that renews it before Google lets it lapse."""
    row = WatchChannel(
        sync_id=started.sync_id,
        host_id=host_id,
        calendar_id=started.calendar_id,
        channel_id=started.channel_id,
        token_hash=started.token_hash,
        resource_id=started.resource_id,
        expiration=started.expiration,
        state=ChannelState.ACTIVE,
        last_message_number=0,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    margin = timedelta(seconds=deps.settings.calendar_channel_renew_margin_seconds)
    enqueue(
        session,
        RENEW_CHANNEL,
        {"channel_row_id": str(row.id)},
        subject_key=f"calendar_sync:{started.sync_id}",
        host_id=host_id,
        dedupe_key=f"{RENEW_CHANNEL}:{row.id}",
        run_after=max(utcnow(), started.expiration - margin),
    )


def stop_quietly(client: CalendarClient, channels: Iterable[tuple[str, str | None]]) -> int:
    """channels.stop each (channel id, resource id); failures are logged, never raised.

    A channel Google keeps after all only reaches a row that is gone (or
    stopped): its notifications are answered 2xx and change nothing, and it
    expires by itself.
    """
    stopped = 0
    for channel_id, resource_id in channels:
        with calling_google(Operation.CHANNEL_STOP, QUIETLY) as call:
            client.stop_channel(channel_id=channel_id, resource_id=resource_id or "")
            stopped += 1
        if call.failure is not None:
            logger.info("channels.stop %s failed: %s", channel_id, call.failure.message)
    return stopped


def stop_host_channels(
    session_factory: sessionmaker[Session], calendars: CalendarClients, host_id: uuid.UUID
) -> int:
    """Stop every channel of a host at Google (before its grant goes) and mark them stopped."""
    with unit_of_work(session_factory) as session:
        pairs = [
            (channel.channel_id, channel.resource_id)
            for channel in repository.channels_of_host(session, host_id)
            if channel.state is ChannelState.ACTIVE
        ]
    if not pairs:
        return 0
    try:
        client = calendars.for_host(host_id)
    except (NotConnectedError, ReauthorizationRequiredError):
        return 0
    stopped = stop_quietly(client, pairs)
    with unit_of_work(session_factory) as session:
        for channel in repository.channels_of_host(session, host_id):
            channel.state = ChannelState.STOPPED
    return stopped


def renew_channel(ctx: JobContext, deps: SyncDependencies) -> Outcome:
    """Start the channel's successor, then stop it (Google has no renewal)."""
    row_id = uuid.UUID(str(ctx.job.payload["channel_row_id"]))
    with ctx.read() as session:
        channel = repository.get_channel(session, row_id)
        if channel is None or channel.state is not ChannelState.ACTIVE:
            return Succeeded("channel already gone")
        sync = repository.get_sync(session, channel.sync_id)
        if (
            sync is None
            or sync.mode is not SyncMode.PUSH
            or not deps.settings.calendar_push_enabled
        ):
            return Succeeded("calendar no longer pushed")
        host_id, calendar_id, sync_id = sync.host_id, sync.calendar_id, sync.id
        old = (channel.channel_id, channel.resource_id)
    with calling_google(Operation.EVENT_WATCH, RENEW_POLICY) as call:
        client = deps.calendars.for_host(host_id)
        started = start_channel(client, deps, sync_id, calendar_id)
    if call.failed:
        return call.answer()
    stop_quietly(client, [old])
    return Succeeded(
        "channel renewed",
        effects=(RecordRenewal(row_id, sync_id, host_id, started, deps),),
        operation=Operation.EVENT_WATCH.value,
    )


@dataclass(frozen=True)
class RecordRenewal:
    """The old channel is stopped; the new one gets its row (unless the calendar went)."""

    name: ClassVar[str] = "calendar_sync.record_renewal"
    old_row_id: uuid.UUID
    sync_id: uuid.UUID
    host_id: uuid.UUID
    started: StartedChannel
    deps: SyncDependencies = field(repr=False, compare=False)

    def apply(self, session: Session) -> None:
        previous = repository.get_channel(session, self.old_row_id)
        if previous is not None:
            previous.state = ChannelState.STOPPED
        if repository.get_sync(session, self.sync_id) is not None:
            record_channel(session, self.deps, self.started, self.host_id)


def watched_calendar_ids(
    session: Session, host_id: uuid.UUID, owned: frozenset[str] | None
) -> list[str]:
    """The calendars to sync: primary, bookings and busy ones, those the host owns."""
    connection = google_repository.get_connection(session, host_id)
    if connection is None:
        return []
    wanted = {PRIMARY, connection.calendar_id, *(connection.busy_calendar_ids or [])}
    return sorted(c for c in wanted if c == PRIMARY or (owned is not None and c in owned))
