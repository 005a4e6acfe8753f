"""Where the limits count: an atomic "count the window, add one if it fits" per key.

Every web process (on every machine) asks the same store, so a limit of ten
failed logins is ten in total, not ten per process, and thirty guesses sent at
once are ten tries: the count and the insert are one atomic step, and an
attempt takes its place in the window before its password is checked.

The database store needs nothing more than the application's database (rows
counted under a per-key advisory lock on PostgreSQL; SQLite serialises
writers). The Redis store (``LEADSCALENDAR_REDIS_URL``) does the same with a
sorted set per key in one Lua script, which Redis runs atomically.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import redis
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.ratelimits.models import RateLimitHit

# Delete every expired row once per so many hits of this process, so keys seen once
# (a scan of many addresses) do not stay in the table forever.
SWEEP_EVERY_HITS = 256
REDIS_PREFIX = "leadscalendar:window:"
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # Seconds until one more event fits in the window (0 when allowed).
    retry_after_seconds: int
    # The event this decision added, so it can be taken back (a login that succeeded).
    ticket: str | None = None


class WindowStore(Protocol):
    """At most ``limit`` events per key within any ``window_seconds``, across processes."""

    def hit(self, key: str, limit: int, window_seconds: float) -> Decision:
        """Add one event if it fits the window, atomically; the decision says whether it did."""
        ...

    def peek(self, key: str, limit: int, window_seconds: float) -> Decision:
        """Would one more event fit? Adds nothing (a cheap early refusal)."""
        ...

    def release(self, key: str, ticket: str) -> None:
        """Take back the event a ``hit`` added."""
        ...

    def reset(self, key: str) -> None:
        """Forget every event of ``key``."""
        ...


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class DatabaseWindowStore:
    """Rows in ``rate_limit_hits``, each hit in its own short transaction.

    Its own transaction, not the request's: the count must be visible to the
    other processes at once, and must stay when the request fails later.
    """

    def __init__(
        self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._factory = session_factory
        self._clock = clock
        self._hits = 0
        self._hits_lock = threading.Lock()

    def hit(self, key: str, limit: int, window_seconds: float) -> Decision:
        key_hash = _digest(key)
        now = self._clock()
        window = timedelta(seconds=window_seconds)
        with unit_of_work(self._factory) as session:
            _lock_key(session, key_hash)
            if self._sweep_due():
                session.execute(delete(RateLimitHit).where(RateLimitHit.expires_at <= now))
            in_window = (RateLimitHit.key_hash == key_hash, RateLimitHit.at > now - window)
            count, oldest = session.execute(
                select(func.count(), func.min(RateLimitHit.at)).where(*in_window)
            ).one()
            if count >= limit:
                oldest_at = oldest if isinstance(oldest, datetime) else now
                retry = (oldest_at + window - now).total_seconds()
                return Decision(False, max(1, math.ceil(retry)))
            ticket = uuid.uuid4()
            session.add(RateLimitHit(id=ticket, key_hash=key_hash, at=now, expires_at=now + window))
        return Decision(True, 0, str(ticket))

    def peek(self, key: str, limit: int, window_seconds: float) -> Decision:
        now = self._clock()
        window = timedelta(seconds=window_seconds)
        with unit_of_work(self._factory) as session:
            count, oldest = session.execute(
                select(func.count(), func.min(RateLimitHit.at)).where(
                    RateLimitHit.key_hash == _digest(key), RateLimitHit.at > now - window
                )
            ).one()
        if count < limit:
            return Decision(True, 0)
        oldest_at = oldest if isinstance(oldest, datetime) else now
        return Decision(False, max(1, math.ceil((oldest_at + window - now).total_seconds())))

    def release(self, key: str, ticket: str) -> None:
        with unit_of_work(self._factory) as session:
            session.execute(
                delete(RateLimitHit).where(
                    RateLimitHit.id == uuid.UUID(ticket), RateLimitHit.key_hash == _digest(key)
                )
            )

    def reset(self, key: str) -> None:
        with unit_of_work(self._factory) as session:
            session.execute(delete(RateLimitHit).where(RateLimitHit.key_hash == _digest(key)))

    def _sweep_due(self) -> bool:
        with self._hits_lock:
            self._hits += 1
            return self._hits % SWEEP_EVERY_HITS == 1


def _lock_key(session: Session, key_hash: str) -> None:
    """Serialise hits of one key until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock on the key, so two processes
    cannot both count nine and both insert the tenth. SQLite needs none: every
    transaction starts with BEGIN IMMEDIATE (db.engine), one writer at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key_hash}
        )


# KEYS[1]: the sorted set; ARGV: now, horizon, limit, member, expiry in ms.
_HIT_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, oldest[2]}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, '0'}
"""


class RedisWindowStore:
    """A sorted set per key (scores are times); one script per hit, atomic in Redis."""

    def __init__(self, client: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._clock = clock
        self._script = client.register_script(_HIT_SCRIPT)

    @classmethod
    def from_url(cls, url: str) -> RedisWindowStore:
        # Short timeouts: a Redis that is away must cost a login milliseconds, not seconds.
        return cls(
            redis.Redis.from_url(
                url,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
        )

    def hit(self, key: str, limit: int, window_seconds: float) -> Decision:
        now = self._clock()
        ticket = uuid.uuid4().hex
        allowed, oldest = self._script(
            keys=[REDIS_PREFIX + _digest(key)],
            args=[
                repr(now),
                repr(now - window_seconds),
                limit,
                ticket,
                math.ceil(window_seconds * 1000),
            ],
        )
        if int(allowed):
            return Decision(True, 0, ticket)
        retry = float(oldest) + window_seconds - now
        return Decision(False, max(1, math.ceil(retry)))

    def peek(self, key: str, limit: int, window_seconds: float) -> Decision:
        now = self._clock()
        in_window = self._client.zrangebyscore(
            REDIS_PREFIX + _digest(key), f"({now - window_seconds!r}", "+inf", withscores=True
        )
        if len(in_window) < limit:
            return Decision(True, 0)
        oldest = float(in_window[0][1])
        return Decision(False, max(1, math.ceil(oldest + window_seconds - now)))

    def release(self, key: str, ticket: str) -> None:
        self._client.zrem(REDIS_PREFIX + _digest(key), ticket)

    def reset(self, key: str) -> None:
        self._client.delete(REDIS_PREFIX + _digest(key))
