"""Per-thread plumbing of the Calendar client: discovery resources and kept connections.

Both are per thread because neither google-api-python-client's resources
(it mutates the parsed discovery document while creating methods) nor
httplib2's ``Http`` may be shared between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httplib2
from googleapiclient.discovery import build

_per_thread = threading.local()


@dataclass(frozen=True)
class CalendarResources:
    """The discovery-built Calendar collections, for one thread.

    ``build`` reads and parses the 135 kB discovery document, and every
    ``service.events()`` builds a fresh resource with all its methods and
    their docstrings: together most of a worker's CPU per event when done per
    job. None of these hold credentials or send anything (each request is
    executed with an ``AuthorizedHttp`` around the thread's ``Http``), so
    reusing them is safe; they are kept per thread because the library
    mutates the parsed document while creating methods, which is not safe to
    race on.
    """

    events: Any
    calendar_list: Any
    freebusy: Any
    channels: Any


def calendar_resources(api_endpoint: str, timeout: float) -> CalendarResources:
    """This thread's Calendar service for ``api_endpoint``, built on first use."""
    cache: dict[tuple[str, float], CalendarResources] | None = getattr(
        _per_thread, "resources", None
    )
    if cache is None:
        cache = _per_thread.resources = {}
    resources = cache.get((api_endpoint, timeout))
    if resources is None:
        service = build(
            "calendar",
            "v3",
            # Never used to send: every request is executed with an AuthorizedHttp.
            http=httplib2.Http(timeout=timeout),
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": api_endpoint},
        )
        resources = CalendarResources(
            events=service.events(),
            calendar_list=service.calendarList(),
            freebusy=service.freebusy(),
            channels=service.channels(),
        )
        cache[(api_endpoint, timeout)] = resources
    return resources


@contextmanager
def kept_connections() -> Iterator[None]:
    """Within the block, this thread's calls to Google reuse their connections.

    httplib2 keeps one connection per origin in an ``Http``; outside such a
    block every call gets a fresh ``Http`` and closes it (a TCP, and at
    Google a TLS, handshake per call). Long-lived threads that make many
    calls (the worker's job threads) run inside one, and the connections are
    closed when it ends. A call that finds its kept-alive connection closed
    by the server meanwhile is sent once more on a new one.
    """
    pool: dict[tuple[str, float], httplib2.Http] = {}
    _per_thread.http_pool = pool
    try:
        yield
    finally:
        del _per_thread.http_pool
        for http in pool.values():
            http.close()


def kept_http(api_endpoint: str, timeout: float) -> httplib2.Http | None:
    """This thread's kept ``Http`` inside ``kept_connections()``, else None."""
    pool: dict[tuple[str, float], httplib2.Http] | None = getattr(_per_thread, "http_pool", None)
    if pool is None:
        return None
    http = pool.get((api_endpoint, timeout))
    if http is None:
        http = pool[(api_endpoint, timeout)] = httplib2.Http(timeout=timeout)
    return http


# What sending on a kept-alive connection the server has closed raises; httplib2
# reconnects on some of these but not on a broken pipe.
STALE_CONNECTION_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)
