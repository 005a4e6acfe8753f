"""Calendar sync's operations for the rest of the app: plan, notify, read the mirror.

None of these commit (DESIGN convention 2); jobs are enqueued in the caller's
transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadscalendar.calendar_sync import repository
from leadscalendar.calendar_sync.job_kinds import RECONCILE, SYNC
from leadscalendar.calendar_sync.models import BusyBlock, CalendarSync, ChannelState, SyncMode
from leadscalendar.jobs import Job, JobStatus, enqueue

# Google's X-Goog-Resource-State values: "sync" opens every channel, "exists"
# and "not_exists" say a resource changed.
CHANGED_STATES = frozenset({"exists", "not_exists"})


def token_digest(token: str) -> str:
    """How a channel's secret token is stored: SHA-256, compared in constant time."""
    return hashlib.sha256(token.encode()).hexdigest()


def plan_host(session: Session, host_id: uuid.UUID) -> None:
    """Bring the host's watched calendars in line with their connection, in a job.

    Called when a host connects or picks calendars: the job lists the
    calendars, starts channels (or polling) for new ones and stops the rest.
    One still waiting to run reads the connection when it runs, so a second
    is not queued beside it.
    """
    subject = f"host:{host_id}"
    waiting = session.scalar(
        select(Job.id).where(
            Job.kind == RECONCILE, Job.subject_key == subject, Job.status == JobStatus.QUEUED
        )
    )
    if waiting is None:
        enqueue(session, RECONCILE, {"host_id": str(host_id)}, subject_key=subject, host_id=host_id)


def request_sync(session: Session, sync: CalendarSync) -> None:
    """Queue one incremental sync of ``sync``'s calendar, unless one is queued already.

    The dedupe key carries the sync's round, which a sync bumps when it
    starts: notifications during a pending sync share its job, and one
    arriving while it runs queues exactly one more.
    """
    enqueue(
        session,
        SYNC,
        {"sync_id": str(sync.id)},
        subject_key=f"calendar_sync:{sync.id}",
        host_id=sync.host_id,
        dedupe_key=f"{SYNC}:{sync.id}:{sync.sync_round}",
    )


@dataclass(frozen=True)
class Notification:
    """The X-Goog-* headers of one push notification, as received (unverified)."""

    channel_id: str | None
    token: str | None
    resource_state: str | None
    resource_id: str | None
    message_number: str | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Notification:
        return cls(
            channel_id=headers.get("x-goog-channel-id"),
            token=headers.get("x-goog-channel-token"),
            resource_state=headers.get("x-goog-resource-state"),
            resource_id=headers.get("x-goog-resource-id"),
            message_number=headers.get("x-goog-message-number"),
        )


# Compared against when the channel is unknown, so both paths do the same work.
_NO_DIGEST = token_digest("")


def receive_notification(session: Session, notification: Notification, now: datetime) -> str:
    """Act on one push notification; returns what was done (for the log and the answer).

    Unknown, stopped or expired channels, a wrong token or resource id and
    replayed message numbers change nothing: Google (or whoever sent it) gets
    a 2xx either way, so a forger learns nothing and Google stops retrying.
    """
    channel = (
        repository.channel_by_channel_id(session, notification.channel_id)
        if notification.channel_id
        else None
    )
    expected = channel.token_hash if channel is not None else _NO_DIGEST
    token_ok = hmac.compare_digest(expected, token_digest(notification.token or ""))
    if channel is None or not token_ok or not notification.token:
        return "ignored"
    if channel.state is not ChannelState.ACTIVE or channel.expiration <= now:
        return "stale"
    if channel.resource_id and notification.resource_id != channel.resource_id:
        return "ignored"
    number = _message_number(notification.message_number)
    if number is None or not repository.claim_message_number(session, channel.id, number):
        return "replayed"
    if notification.resource_state not in CHANGED_STATES:
        return "acknowledged"
    sync = repository.get_sync(session, channel.sync_id)
    if sync is None:
        return "stale"
    request_sync(session, sync)
    return "sync queued"


def _message_number(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


@dataclass(frozen=True)
class MirrorAnswer:
    """Busy time of the calendars the mirror could answer for, and the ones it could not.

    ``fresh_until``: when the first calendar answered for stops being fresh by
    time alone (its channel expires, or its last sync grows too old); None
    when none was answered.
    """

    busy: tuple[tuple[datetime, datetime], ...]
    unanswered: tuple[str, ...]
    fresh_until: datetime | None = None


def is_fresh(sync: CalendarSync, live: bool, now: datetime, fresh_seconds: float) -> bool:
    """Whether the mirror of this calendar may stand in for free/busy."""
    if sync.sync_token is None or sync.last_synced_at is None:
        return False
    if live:
        return True
    return now - sync.last_synced_at <= timedelta(seconds=fresh_seconds)


def _fresh_until(sync: CalendarSync, live_until: datetime | None, fresh_seconds: float) -> datetime:
    """Until when ``is_fresh`` keeps saying yes for a calendar it says yes for now."""
    assert sync.last_synced_at is not None  # is_fresh said yes
    polled = sync.last_synced_at + timedelta(seconds=fresh_seconds)
    return polled if live_until is None else max(live_until, polled)


def mirror_busy(
    session: Session,
    *,
    host_id: uuid.UUID,
    calendar_ids: Sequence[str],
    start: datetime,
    end: datetime,
    now: datetime,
    fresh_seconds: float,
) -> MirrorAnswer:
    """Busy intervals in [start, end) from the mirror, for the calendars it holds fresh."""
    syncs = {sync.calendar_id: sync for sync in repository.syncs_of_host(session, host_id)}
    live: dict[uuid.UUID, datetime] = {}
    for channel in repository.live_channels(session, [s.id for s in syncs.values()], now):
        live[channel.sync_id] = max(channel.expiration, live.get(channel.sync_id, now))
    fresh: list[uuid.UUID] = []
    unanswered: list[str] = []
    ends: list[datetime] = []
    for calendar_id in calendar_ids:
        sync = syncs.get(calendar_id)
        usable = sync is not None and is_fresh(sync, sync.id in live, now, fresh_seconds)
        if sync is None or not usable or (sync.window_end is not None and sync.window_end < end):
            unanswered.append(calendar_id)
        else:
            fresh.append(sync.id)
            ends.append(_fresh_until(sync, live.get(sync.id), fresh_seconds))
    blocks: list[BusyBlock] = repository.blocks_between(session, fresh, start, end)
    return MirrorAnswer(
        busy=tuple(sorted((block.start_at, block.end_at) for block in blocks)),
        unanswered=tuple(unanswered),
        fresh_until=min(ends, default=None),
    )


def forget_host(session: Session, host_id: uuid.UUID) -> int:
    """Drop every synced calendar of a host (a switch to another Google account).

    The tokens and the mirror described the old account's calendars; the old
    account's channels, unknown from now on, are answered and ignored until
    Google lets them expire.
    """
    syncs = repository.syncs_of_host(session, host_id)
    for sync in syncs:
        session.delete(sync)
    session.flush()
    return len(syncs)


@dataclass(frozen=True)
class CalendarStatus:
    """One synced calendar as the dashboard shows it."""

    calendar_id: str
    mode: str  # how it is kept fresh, in words
    last_synced_at: datetime | None
    last_error: str | None


def host_status(session: Session, host_id: uuid.UUID, now: datetime) -> list[CalendarStatus]:
    """Which mode each of the host's calendars is in, and when it last synced."""
    syncs = repository.syncs_of_host(session, host_id)
    live = {c.sync_id for c in repository.live_channels(session, [s.id for s in syncs], now)}
    statuses = []
    for sync in syncs:
        if sync.mode is SyncMode.POLL:
            mode = "polling"
        elif sync.id in live:
            mode = "push notifications"
        else:
            mode = "polling until Google's push channel is set up"
        statuses.append(
            CalendarStatus(sync.calendar_id, mode, sync.last_synced_at, sync.last_error)
        )
    return statuses
