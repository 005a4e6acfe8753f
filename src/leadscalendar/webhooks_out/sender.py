"""One webhook POST: short timeouts, a bounded read, and the SSRF guard at connect time.

httpx has no hook between "resolve" and "connect", so the check lives in the
connection pool's network backend (``GuardedBackend``): it resolves, checks
every address (``addresses.checked_addresses``) and connects to a checked
one. TLS still verifies the certificate against the URL's host name, which
httpcore passes to the TLS layer, not the address.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpcore
import httpx

from leadscalendar.db.base import utcnow
from leadscalendar.webhooks_out.addresses import EndpointAddressError, Resolver, checked_addresses
from leadscalendar.webhooks_out.addresses import system_resolver as _system_resolver

USER_AGENT = "LeadsCalendar-Webhooks/1"


class GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses the guard allowed, resolved once per connection."""

    def __init__(self, *, allow_private: bool, resolve: Resolver = _system_resolver) -> None:
        self._allow_private = allow_private
        self._resolve = resolve

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = checked_addresses(
            host, port, allow_private=self._allow_private, resolve=self._resolve
        )
        last_error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    address, port, timeout, local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error
        assert last_error is not None
        raise last_error


class GuardedTransport(httpx.HTTPTransport):
    def __init__(self, *, allow_private: bool, resolve: Resolver = _system_resolver) -> None:
        super().__init__(retries=0)
        # httpx builds its pool without a way to pass a network backend; this is the
        # same pool with ours (httpx's own settings for the rest).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(allow_private=allow_private, resolve=resolve),
        )


@dataclass(frozen=True)
class SendResult:
    duration_ms: int
    status_code: int | None = None
    excerpt: str = ""
    # Why there is no answer (timeout, refused connection, refused address).
    error: str | None = None
    # The receiver's Retry-After, in seconds.
    retry_after: float | None = None
    # The address was refused by the guard: retrying cannot help.
    refused_address: bool = False


class WebhookSender:
    """A kept client (connections reused across deliveries), safe to share between threads."""

    def __init__(
        self,
        *,
        allow_private: bool,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        max_response_bytes: int = 4096,
        resolve: Resolver = _system_resolver,
    ) -> None:
        self._max_bytes = max_response_bytes
        self._client = httpx.Client(
            transport=GuardedTransport(allow_private=allow_private, resolve=resolve),
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
        )

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        started = time.perf_counter()

        def took() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            with self._client.stream(
                "POST", url, content=body, headers={"content-type": "application/json", **headers}
            ) as response:
                excerpt = self._read_excerpt(response)
                return SendResult(
                    duration_ms=took(),
                    status_code=response.status_code,
                    excerpt=excerpt,
                    retry_after=retry_after_seconds(response.headers.get("retry-after")),
                )
        except EndpointAddressError as error:
            return SendResult(duration_ms=took(), error=error.message, refused_address=True)
        except httpx.TimeoutException:
            return SendResult(duration_ms=took(), error="The receiver did not answer in time.")
        except httpx.HTTPError as error:
            return SendResult(
                duration_ms=took(), error=f"Could not reach the receiver: {error or type(error)}"
            )

    def _read_excerpt(self, response: httpx.Response) -> str:
        """At most ``max_response_bytes`` of the body: a receiver cannot make us read more."""
        data = b""
        for chunk in response.iter_raw():
            data += chunk
            if len(data) >= self._max_bytes:
                break
        return data[: self._max_bytes].decode("utf-8", errors="replace")

    def close(self) -> None:
        self._client.close()


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - utcnow()).total_seconds(), 0.0)
