"""events.watch, channels.stop and push delivery, through the real client and a real receiver."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from tests.support.google_sandbox import GoogleSandbox
from tests.support.push_receiver import PushReceiver

HOST = "host@sandbox.test"
EVENT = {
    "summary": "Call",
    "start": {"dateTime": "2030-04-01T10:00:00Z"},
    "end": {"dateTime": "2030-04-01T11:00:00Z"},
}


@pytest.fixture
def credentials(google_sandbox: GoogleSandbox) -> Credentials:
    return google_sandbox.connect()


def _watch(service: Any, receiver: PushReceiver, channel_id: str = "ch-1", **extra: Any) -> Any:
    body = {"id": channel_id, "type": "web_hook", "address": receiver.url, **extra}
    return service.events().watch(calendarId="primary", body=body).execute()


def test_watch_answers_a_channel_and_sends_sync_then_numbered_exists(
    google_sandbox: GoogleSandbox, credentials: Credentials, receiver: PushReceiver
) -> None:
    with google_sandbox.calendar(credentials) as service:
        before = int(time.time() * 1000)
        channel = _watch(service, receiver, token="secret-1")
        receiver.wait_for(1)
        created = service.events().insert(calendarId="primary", body=EVENT).execute()
        service.events().patch(
            calendarId="primary", eventId=created["id"], body={"summary": "Moved"}
        ).execute()
        got = receiver.wait_for(3)

    assert channel["kind"] == "api#channel" and channel["id"] == "ch-1"
    assert channel["token"] == "secret-1" and channel["resourceId"]
    assert channel["resourceUri"].endswith("/calendar/v3/calendars/primary/events?alt=json")
    week_ms = 604_800_000
    assert isinstance(channel["expiration"], str)
    assert before + week_ms <= int(channel["expiration"]) <= before + week_ms + 60_000
    assert [r.headers["X-Goog-Resource-State"] for r in got] == ["sync", "exists", "exists"]
    assert [r.headers["X-Goog-Message-Number"] for r in got] == ["1", "2", "3"]
    first = got[0]
    assert first.body == b"" and first.path == "/notify"
    assert first.headers["X-Goog-Channel-ID"] == "ch-1"
    assert first.headers["X-Goog-Channel-Token"] == "secret-1"
    assert first.headers["X-Goog-Resource-ID"] == channel["resourceId"]
    assert first.headers["X-Goog-Resource-URI"] == channel["resourceUri"]
    assert first.headers["X-Goog-Channel-Expiration"].endswith(" GMT")


def test_no_token_header_without_token_and_ttl_param(
    google_sandbox: GoogleSandbox, credentials: Credentials, receiver: PushReceiver
) -> None:
    with google_sandbox.calendar(credentials) as service:
        before = int(time.time() * 1000)
        channel = _watch(service, receiver, params={"ttl": "60"})
        (sync,) = receiver.wait_for(1)

    assert "token" not in channel
    assert "X-Goog-Channel-Token" not in sync.headers
    assert before + 60_000 <= int(channel["expiration"]) <= before + 70_000


def test_stop_ends_delivery_and_unknown_stop_is_404(
    google_sandbox: GoogleSandbox, credentials: Credentials, receiver: PushReceiver
) -> None:
    with google_sandbox.calendar(credentials) as service:
        channel = _watch(service, receiver)
        receiver.wait_for(1)
        stop = {"id": channel["id"], "resourceId": channel["resourceId"]}
        service.channels().stop(body=stop).execute()
        service.events().insert(calendarId="primary", body=EVENT).execute()
        with pytest.raises(HttpError) as again:
            service.channels().stop(body=stop).execute()
        with pytest.raises(HttpError) as wrong:
            service.channels().stop(body={"id": "nope", "resourceId": "x"}).execute()
        time.sleep(0.1)

    assert again.value.status_code == 404 and wrong.value.status_code == 404
    assert len(receiver.snapshot()) == 1
    (listed,) = google_sandbox.channels()
    assert listed["stopped"] is True and listed["live"] is False


def test_expired_channel_gets_nothing_and_its_id_can_be_reused(
    google_sandbox: GoogleSandbox, credentials: Credentials, receiver: PushReceiver
) -> None:
    with google_sandbox.calendar(credentials) as service:
        _watch(service, receiver)
        receiver.wait_for(1)
        with pytest.raises(HttpError) as duplicate:
            _watch(service, receiver)
        assert google_sandbox.expire_channels() == 1
        service.events().insert(calendarId="primary", body=EVENT).execute()
        time.sleep(0.1)
        quiet = receiver.snapshot()
        renewed = _watch(service, receiver)
        receiver.wait_for(2)

    assert duplicate.value.status_code == 400
    assert json.loads(duplicate.value.content)["error"]["errors"][0]["reason"] == (
        "channelIdNotUnique"
    )
    assert len(quiet) == 1
    assert renewed["id"] == "ch-1"


def test_default_ttl_is_configurable_and_short_channels_lapse(
    google_sandbox: GoogleSandbox, credentials: Credentials, receiver: PushReceiver
) -> None:
    google_sandbox.channel_settings(default_ttl_seconds=1)
    with google_sandbox.calendar(credentials) as service:
        channel = _watch(service, receiver)
        receiver.wait_for(1)
        lapse = int(channel["expiration"]) / 1000 - time.time()

    assert 0 < lapse <= 1.0
    assert google_sandbox.channels()[0]["expiration"] == channel["expiration"]


def test_push_is_retried_with_backoff_on_5xx_but_not_on_4xx(
    google_sandbox: GoogleSandbox, credentials: Credentials, receiver: PushReceiver
) -> None:
    google_sandbox.channel_settings(first_retry_delay_seconds=0.01, max_attempts=3)
    with google_sandbox.calendar(credentials) as service:
        receiver.fail_next(2, 503)
        _watch(service, receiver)
        got = receiver.wait_for(3)
        receiver.fail_next(1, 404)
        service.events().insert(calendarId="primary", body=EVENT).execute()
        receiver.wait_for(4)
        time.sleep(0.1)

    assert [r.headers["X-Goog-Message-Number"] for r in got] == ["1", "1", "1"]
    assert len(receiver.snapshot()) == 4
    outcomes = [d["outcome"] for d in google_sandbox.channels()[0]["deliveries"]]
    assert outcomes == ["503", "503", "200", "404"]


def test_push_never_blocks_the_api_call(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    # Nothing listens on port 9 of loopback: every delivery fails to connect.
    google_sandbox.channel_settings(first_retry_delay_seconds=0.05, max_attempts=2)
    with google_sandbox.calendar(credentials) as service:
        service.events().watch(
            calendarId="primary",
            body={"id": "dead", "type": "web_hook", "address": "http://127.0.0.1:9/x"},
        ).execute()
        started = time.monotonic()
        service.events().insert(calendarId="primary", body=EVENT).execute()
        elapsed = time.monotonic() - started

    assert elapsed < 0.5
    deadline = time.monotonic() + 3
    while len(google_sandbox.channels()[0]["deliveries"]) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    outcomes = [d["outcome"] for d in google_sandbox.channels()[0]["deliveries"]]
    assert outcomes == ["error: ConnectError"] * 4  # sync and exists, two attempts each


def test_watch_refuses_public_http_and_missing_fields(
    google_sandbox: GoogleSandbox, credentials: Credentials
) -> None:
    with google_sandbox.calendar(credentials) as service:
        watch = service.events().watch
        with pytest.raises(HttpError) as not_https:
            watch(
                calendarId="primary",
                body={"id": "a", "type": "web_hook", "address": "http://example.com/hook"},
            ).execute()
        with pytest.raises(HttpError) as no_address:
            watch(calendarId="primary", body={"id": "a", "type": "web_hook"}).execute()
        with pytest.raises(HttpError) as other_calendar:
            watch(
                calendarId="someone@else.test",
                body={"id": "a", "type": "web_hook", "address": "https://example.com/hook"},
            ).execute()

    error = json.loads(not_https.value.content)["error"]
    assert not_https.value.status_code == 400
    assert error["errors"][0]["reason"] == "push.webhookUrlNotHttps"
    assert no_address.value.status_code == 400
    assert other_calendar.value.status_code == 404


def test_watch_and_stop_go_through_stats_faults_and_scripts(
    google_sandbox: GoogleSandbox, credentials: Credentials, receiver: PushReceiver
) -> None:
    google_sandbox.control(
        "POST", "script", {"method": "events.watch", "responses": [{"status": 503}]}
    )
    with google_sandbox.calendar(credentials) as service:
        with pytest.raises(HttpError) as scripted:
            _watch(service, receiver)
        channel = _watch(service, receiver)
        service.channels().stop(
            body={"id": channel["id"], "resourceId": channel["resourceId"]}
        ).execute()

    stats = google_sandbox.control("GET", "stats")
    assert scripted.value.status_code == 503
    assert stats["calls"] == {"events.watch": 2, "channels.stop": 1}
    assert stats["errors"]["by_method"] == {"events.watch": 1}
