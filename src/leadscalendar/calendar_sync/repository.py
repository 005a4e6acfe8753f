"""Every query of the calendar_sync domain."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from leadscalendar.calendar_sync.models import BusyBlock, CalendarSync, ChannelState, WatchChannel


def get_sync(
    session: Session, sync_id: uuid.UUID, *, for_update: bool = False
) -> CalendarSync | None:
    statement = select(CalendarSync).where(CalendarSync.id == sync_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalar(statement)


def syncs_of_host(session: Session, host_id: uuid.UUID) -> list[CalendarSync]:
    return list(
        session.scalars(
            select(CalendarSync)
            .where(CalendarSync.host_id == host_id)
            .order_by(CalendarSync.calendar_id)
        )
    )


def all_syncs(session: Session) -> list[CalendarSync]:
    return list(session.scalars(select(CalendarSync)))


def channel_by_channel_id(session: Session, channel_id: str) -> WatchChannel | None:
    return session.scalar(select(WatchChannel).where(WatchChannel.channel_id == channel_id))


def get_channel(session: Session, row_id: uuid.UUID) -> WatchChannel | None:
    return session.get(WatchChannel, row_id)


def channels_of_host(session: Session, host_id: uuid.UUID) -> list[WatchChannel]:
    return list(session.scalars(select(WatchChannel).where(WatchChannel.host_id == host_id)))


def live_channels(
    session: Session, sync_ids: Collection[uuid.UUID], now: datetime
) -> list[WatchChannel]:
    if not sync_ids:
        return []
    return list(
        session.scalars(
            select(WatchChannel).where(
                WatchChannel.sync_id.in_(sync_ids),
                WatchChannel.state == ChannelState.ACTIVE,
                WatchChannel.expiration > now,
            )
        )
    )


def claim_message_number(session: Session, channel_row_id: uuid.UUID, number: int) -> bool:
    """Record ``number`` as the channel's newest message; False if it is not newer (a replay).

    One conditional UPDATE, so two deliveries racing with the same number
    cannot both win.
    """
    result = session.execute(
        update(WatchChannel)
        .where(WatchChannel.id == channel_row_id, WatchChannel.last_message_number < number)
        .values(last_message_number=number)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def blocks_between(
    session: Session, sync_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> list[BusyBlock]:
    if not sync_ids:
        return []
    return list(
        session.scalars(
            select(BusyBlock).where(
                BusyBlock.sync_id.in_(sync_ids),
                BusyBlock.start_at < end,
                BusyBlock.end_at > start,
            )
        )
    )


def delete_blocks(session: Session, sync_id: uuid.UUID, event_ids: Collection[str] | None) -> None:
    """Forget some of a calendar's busy blocks, or all of them (``event_ids`` None)."""
    statement = delete(BusyBlock).where(BusyBlock.sync_id == sync_id)
    if event_ids is not None:
        if not event_ids:
            return
        statement = statement.where(BusyBlock.event_id.in_(list(event_ids)))
    session.execute(statement.execution_options(synchronize_session=False))
