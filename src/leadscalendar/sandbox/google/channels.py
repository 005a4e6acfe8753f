"""Notification channels: events.watch, channels.stop, and who hears of a change.

A channel watches one calendar's events for one account until it expires or is
stopped. Creating it sends the ``sync`` message; every later change to the
calendar sends ``exists`` to each live channel, numbered per channel as Google
numbers them. Delivery itself is ``push.py``'s job, in the background.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from leadscalendar.sandbox.google.errors import ApiError, api_error, bad_request, required
from leadscalendar.sandbox.google.push import Notification, PushDelivery

# Google: "params.ttl: Time-to-live in seconds for the notification channel.
# Default is 604800 seconds."
GOOGLE_DEFAULT_TTL_SECONDS = 604_800
CHANNEL_TYPES = ("web_hook", "webhook")


def _now_ms() -> int:
    return int(time.time() * 1000)


def resource_id_of(calendar_id: str) -> str:
    """Opaque and stable for the watched resource, as Google's resourceId is."""
    digest = hashlib.sha256(f"events:{calendar_id}".encode()).digest()[:15]
    return base64.urlsafe_b64encode(digest).decode()


@dataclass
class Channel:
    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    account: str
    address: str
    token: str | None
    expiration_ms: int
    params: dict[str, str] = field(default_factory=dict)
    messages_sent: int = 0  # the last X-Goog-Message-Number handed out
    stopped: bool = False

    def live(self, at_ms: int | None = None) -> bool:
        return not self.stopped and (at_ms if at_ms is not None else _now_ms()) < self.expiration_ms

    def resource(self) -> dict[str, Any]:
        """The api#channel resource events.watch answers with (expiration: ms as a string)."""
        body: dict[str, Any] = {
            "kind": "api#channel",
            "id": self.id,
            "resourceId": self.resource_id,
            "resourceUri": self.resource_uri,
            "expiration": str(self.expiration_ms),
        }
        if self.token is not None:
            body["token"] = self.token
        return body

    def describe(self, delivery: PushDelivery) -> dict[str, Any]:
        return self.resource() | {
            "calendar_id": self.calendar_id,
            "account": self.account,
            "address": self.address,
            "live": self.live(),
            "stopped": self.stopped,
            "messages": self.messages_sent,
            "deliveries": delivery.log_of(self.id),
        }

    def notification(self, state: str) -> Notification:
        self.messages_sent += 1
        return Notification(
            channel_id=self.id,
            address=self.address,
            token=self.token,
            expiration_ms=self.expiration_ms,
            resource_id=self.resource_id,
            resource_uri=self.resource_uri,
            state=state,
            number=self.messages_sent,
        )


def check_address(address: str) -> None:
    """Google wants https; the sandbox also takes http on a loopback host, for tests."""
    parts = urlsplit(address)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return
    raise api_error(
        400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {address}", domain="push"
    )


def _expiration(body: dict[str, Any], default_ttl: int) -> int:
    """params.ttl (seconds) or the default; an explicit earlier expiration wins."""
    ttl = default_ttl
    raw_ttl = (body.get("params") or {}).get("ttl")
    if raw_ttl is not None:
        try:
            ttl = int(raw_ttl)
        except (TypeError, ValueError):
            raise bad_request(f"Invalid value for ttl: {raw_ttl}") from None
        if ttl <= 0:
            raise bad_request(f"Invalid value for ttl: {raw_ttl}")
    latest = _now_ms() + ttl * 1000
    raw = body.get("expiration")
    if raw is None:
        return latest
    try:
        wanted = int(raw)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid value for expiration: {raw}") from None
    return min(wanted, latest)


class ChannelRegistry:
    """Every channel, keyed by id; one lock, operations are short and in memory."""

    def __init__(self, delivery: PushDelivery) -> None:
        self._lock = threading.Lock()
        self.delivery = delivery
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._channels: dict[str, Channel] = {}
            self.default_ttl_seconds = GOOGLE_DEFAULT_TTL_SECONDS
        self.delivery.reset()

    def watch(self, account: str, calendar_id: str, body: Any, resource_uri: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise api_error(400, "parseError", "Parse Error")
        for name in ("id", "type", "address"):
            if not body.get(name):
                raise required(f"Required {name}")
        if body["type"] not in CHANNEL_TYPES:
            raise bad_request(f"Invalid value for type: {body['type']}")
        check_address(str(body["address"]))
        with self._lock:
            channel_id = str(body["id"])
            existing = self._channels.get(channel_id)
            if existing is not None and existing.live():
                raise bad_request(f"Channel id {channel_id} not unique", "channelIdNotUnique")
            channel = Channel(
                id=channel_id,
                resource_id=resource_id_of(calendar_id),
                resource_uri=resource_uri,
                calendar_id=calendar_id,
                account=account,
                address=str(body["address"]),
                token=body.get("token"),
                expiration_ms=_expiration(body, self.default_ttl_seconds),
                params=dict(body.get("params") or {}),
            )
            self._channels[channel_id] = channel
            self.delivery.submit(channel.notification("sync"))
            return channel.resource()

    def stop(self, account: str, body: Any) -> None:
        if not isinstance(body, dict):
            raise api_error(400, "parseError", "Parse Error")
        channel_id, resource_id = body.get("id"), body.get("resourceId")
        if not channel_id or not resource_id:
            raise required("Required id and resourceId")
        with self._lock:
            channel = self._channels.get(str(channel_id))
            if (
                channel is None
                or channel.stopped
                or channel.resource_id != resource_id
                or channel.account != account
            ):
                raise _channel_not_found(str(channel_id))
            channel.stopped = True

    def announce(self, calendar_id: str) -> None:
        """A change on ``calendar_id``: an ``exists`` message to each of its live channels."""
        with self._lock:
            at = _now_ms()
            for channel in self._channels.values():
                if channel.calendar_id == calendar_id and channel.live(at):
                    self.delivery.submit(channel.notification("exists"))

    def is_live(self, channel_id: str) -> bool:
        with self._lock:
            channel = self._channels.get(channel_id)
            return channel is not None and channel.live()

    # -- control ----------------------------------------------------------------

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [channel.describe(self.delivery) for channel in self._channels.values()]

    def set_default_ttl(self, seconds: int) -> None:
        with self._lock:
            self.default_ttl_seconds = seconds

    def expire(self, channel_id: str | None = None) -> int:
        """Let one channel (or all) reach its expiration now; returns how many."""
        with self._lock:
            at = _now_ms()
            hit = [
                channel
                for channel in self._channels.values()
                if channel.live(at) and channel_id in (None, channel.id)
            ]
            for channel in hit:
                channel.expiration_ms = at
            return len(hit)


def _channel_not_found(channel_id: str) -> ApiError:
    return api_error(404, "notFound", f"Channel '{quote(channel_id)}' not found")
