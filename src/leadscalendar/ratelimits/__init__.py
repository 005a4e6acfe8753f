"""Abuse limits shared by every web process: sliding windows in the database or in Redis."""

from leadscalendar.ratelimits.fallback import FallbackWindowStore
from leadscalendar.ratelimits.stores import (
    DatabaseWindowStore,
    Decision,
    RedisWindowStore,
    WindowStore,
)

__all__ = [
    "DatabaseWindowStore",
    "Decision",
    "FallbackWindowStore",
    "RedisWindowStore",
    "WindowStore",
]
