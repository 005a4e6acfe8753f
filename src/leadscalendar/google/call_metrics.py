"""Count and time every Calendar API call, labelled by method and classified outcome.

The outcome of a failed call is what ``errors.classify`` decides (backoff,
permission, needs_reauth...), and the reason is Google's own word when it is
one we know; any other text becomes ``other``, so a server can never invent
new series.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from googleapiclient.http import BatchHttpRequest, HttpRequest

from leadscalendar.google.errors import Operation, classify
from leadscalendar.observability.metrics import GOOGLE_CALL_SECONDS, GOOGLE_CALLS

BATCH = "batch"
# Google's documented reasons (Calendar "Handle API errors") and the token endpoint's errors.
KNOWN_REASONS = frozenset(
    {
        "badRequest",
        "invalid",
        "required",
        "timeRangeEmpty",
        "authError",
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "quotaExceeded",
        "dailyLimitExceeded",
        "forbiddenForNonOrganizer",
        "requiredAccessLevel",
        "forbidden",
        "insufficientPermissions",
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        "notFound",
        "duplicate",
        "deleted",
        "fullSyncRequired",
        "updatedMinTooLongAgo",
        "conditionNotMet",
        "backendError",
        "invalid_grant",
        "invalid_scope",
        "invalid_client",
        "unauthorized_client",
        "server_error",
        "temporarily_unavailable",
    }
)
_OPERATIONS = {operation.value: operation for operation in Operation}


def method_of(request: HttpRequest | BatchHttpRequest) -> str:
    """``events.insert`` for what google-api-python-client calls ``calendar.events.insert``."""
    if isinstance(request, BatchHttpRequest):
        return BATCH
    method = str(getattr(request, "methodId", "") or "").removeprefix("calendar.")
    return method if method in _OPERATIONS else "other"


@contextmanager
def observed_call(method: str) -> Iterator[None]:
    """Time the block; count it as ``ok`` or as the action its exception classifies to."""
    started = time.perf_counter()
    try:
        yield
    except Exception as exc:
        outcome = classify(exc, operation=_OPERATIONS.get(method, Operation.EVENT_INSERT))
        reason = outcome.reason or "none"
        GOOGLE_CALLS.labels(
            method, outcome.kind.value, reason if reason in KNOWN_REASONS | {"none"} else "other"
        ).inc()
        raise
    else:
        GOOGLE_CALLS.labels(method, "ok", "none").inc()
    finally:
        GOOGLE_CALL_SECONDS.labels(method).observe(time.perf_counter() - started)
