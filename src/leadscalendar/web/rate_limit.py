"""Abuse limits: hold attempts per client address, failed logins per address and e-mail
and per address alone.

The limits count in a store every web process shares (``ratelimits``: the
database by default, Redis when ``LEADSCALENDAR_REDIS_URL`` is set, chosen in
``services.py``), so a limit is the same with one process or ten, and survives
restarts; with Redis, the database stands in while Redis is away. The
per-e-mail limit on active holds needs neither: it is counted in the database
under the per-host lock, in ``bookings.service.create_hold``, so it is exact
across processes.

Clients are told apart by ``request.client.host``. Behind a reverse proxy that
is the proxy's address unless ``LEADSCALENDAR_FORWARDED_ALLOW_IPS`` names the
proxy: ``leadscalendar serve`` then lets uvicorn take the client from
``X-Forwarded-For``, from those addresses only. We never read
``X-Forwarded-For`` ourselves: any client can write it. IPv6 clients are
keyed by their /64, the block one subscriber usually gets.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from leadscalendar.errors import RateLimitedError
from leadscalendar.ratelimits import Decision, WindowStore
from leadscalendar.services import Services


@dataclass(frozen=True)
class WindowLimit:
    """``limit`` events per key within ``window_seconds``, counted in a shared store."""

    store: WindowStore
    name: str
    limit: int
    window_seconds: float

    def _key(self, key: str) -> str:
        return f"{self.name}:{key}"

    def hit(self, key: str) -> Decision:
        """Count one event if it fits (0 turns the limit off)."""
        if self.limit <= 0:
            return Decision(True, 0)
        return self.store.hit(self._key(key), self.limit, self.window_seconds)

    def check(self, key: str) -> Decision:
        """Would one more event fit? Counts nothing."""
        if self.limit <= 0:
            return Decision(True, 0)
        return self.store.peek(self._key(key), self.limit, self.window_seconds)

    def release(self, key: str, decision: Decision) -> None:
        """Take back the event ``decision`` counted."""
        if decision.ticket is not None:
            self.store.release(self._key(key), decision.ticket)

    def reset(self, key: str) -> None:
        if self.limit > 0:
            self.store.reset(self._key(key))


@dataclass(frozen=True)
class RateLimits:
    """The web process's limits; one instance per application, over the shared store."""

    holds_per_ip: WindowLimit
    failed_logins: WindowLimit
    failed_logins_per_address: WindowLimit
    account_mails: WindowLimit
    account_mails_per_address: WindowLimit

    @classmethod
    def from_services(cls, services: Services) -> RateLimits:
        settings, store = services.settings, services.window_store
        login_window = float(settings.login_failure_window_seconds)
        return cls(
            holds_per_ip=WindowLimit(store, "holds", settings.holds_per_ip_per_hour, 3600.0),
            failed_logins=WindowLimit(
                store, "login", settings.login_failures_per_window, login_window
            ),
            failed_logins_per_address=WindowLimit(
                store,
                "login-address",
                settings.login_failures_per_address_per_window,
                login_window,
            ),
            account_mails=WindowLimit(
                store, "account-mail", settings.account_mails_per_email_per_hour, 3600.0
            ),
            account_mails_per_address=WindowLimit(
                store, "account-mail-address", settings.account_mails_per_address_per_hour, 3600.0
            ),
        )


_lazy_lock = threading.Lock()


def get_rate_limits(request: Request) -> RateLimits:
    """The app's limiters (``create_app`` makes them; built here for apps assembled otherwise)."""
    state = request.app.state
    limits = getattr(state, "rate_limits", None)
    if isinstance(limits, RateLimits):
        return limits
    with _lazy_lock:
        limits = getattr(state, "rate_limits", None)
        if not isinstance(limits, RateLimits):
            limits = RateLimits.from_services(state.services)
            state.rate_limits = limits
        return limits


def client_key(request: Request) -> str:
    """The client's address as the limits see it: IPv6 by its /64, unknown clients together."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


HOLD_LIMIT_MESSAGE = "Too many booking attempts from your network."


def retry_after_words(seconds: int) -> str:
    """``in about 12 minutes``: when a lead may try again, as a person would say it."""
    minutes = math.ceil(seconds / 60)
    if minutes <= 1:
        return "in a minute"
    return f"in about {minutes} minutes"


def hold_limited(retry_after_seconds: int) -> RateLimitedError:
    return RateLimitedError(
        f"{HOLD_LIMIT_MESSAGE} Please try again {retry_after_words(retry_after_seconds)}.",
        retry_after_seconds,
    )


def limit_holds(request: Request, limits: Annotated[RateLimits, Depends(get_rate_limits)]) -> None:
    """Dependency for every route that holds a slot (API and HTML form alike).

    Refuses a client already over the limit, without counting: the attempt is
    counted by ``count_hold_attempt`` once the request has passed validation,
    so a lead's typo in the form never costs one of their attempts.
    """
    decision = limits.holds_per_ip.check(client_key(request))
    if not decision.allowed:
        raise hold_limited(decision.retry_after_seconds)


def count_hold_attempt(request: Request) -> None:
    """Count one valid hold attempt from the client's address; refuse it over the limit.

    Counts every valid attempt, answered or not (a taken slot too), so a bot
    cannot cycle through the calendar by holding and abandoning slots. The
    per-e-mail limit is enforced where the hold is written, under the lock.
    """
    decision = get_rate_limits(request).holds_per_ip.hit(client_key(request))
    if not decision.allowed:
        raise hold_limited(decision.retry_after_seconds)


HoldRateLimit = Depends(limit_holds)

ACCOUNT_MAIL_LIMIT_MESSAGE = (
    "Too many e-mails were asked for from your network or for this address. "
    "Please wait a while and try again."
)


def allow_account_mail(limits: RateLimits, request: Request, email: str) -> Decision:
    """Count one account mail (sign-up, reset, resend) per e-mail and per client address.

    Counted whatever the answer, so the limit itself tells nothing about
    whether the address has an account.
    """
    address = client_key(request)
    network = limits.account_mails_per_address.hit(address)
    if not network.allowed:
        return network
    per_email = limits.account_mails.hit(email.strip().lower())
    if not per_email.allowed:
        limits.account_mails_per_address.release(address, network)
    return per_email
