"""Per-thread reuse in the Calendar client: discovery resources and HTTP connections."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from leadscalendar.google.calendar import GoogleCalendarClient
from leadscalendar.google.threadlocal import calendar_resources, kept_connections

ENDPOINT = "http://127.0.0.1:9/calendar/v3/"


def _in_other_thread(function: Any) -> Any:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def test_one_set_of_resources_per_thread_and_endpoint() -> None:
    first = calendar_resources(ENDPOINT, 5.0)
    assert calendar_resources(ENDPOINT, 5.0) is first
    assert calendar_resources("http://127.0.0.1:10/calendar/v3/", 5.0) is not first
    assert calendar_resources(ENDPOINT, 6.0) is not first
    assert _in_other_thread(lambda: calendar_resources(ENDPOINT, 5.0)) is not first


def test_the_cached_resources_build_requests_for_their_endpoint() -> None:
    events = calendar_resources(ENDPOINT, 5.0).events
    request = events.insert(calendarId="primary", body={"summary": "x"})
    assert request.uri.startswith(f"{ENDPOINT}calendars/primary/events")


class _EventServer(ThreadingHTTPServer):
    """Answers every POST with an event; remembers each client port it served."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _EventHandler)
        self.client_ports: list[int] = []
        self.authorizations: list[str | None] = []
        # Close each connection after answering without saying so, as a server
        # does with a keep-alive connection that stayed idle too long.
        self.drop_idle_connections = False


class _EventHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Google's front ends
    server: _EventServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.client_ports.append(self.client_address[1])
        self.server.authorizations.append(self.headers.get("Authorization"))
        answer = json.dumps({"id": body["id"], "status": "confirmed"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        if self.server.drop_idle_connections:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def event_server() -> Iterator[_EventServer]:
    server = _EventServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _insert_three(api_base: str) -> None:
    for index, token in enumerate(("token-host-a", "token-host-b", "token-host-a")):
        client = GoogleCalendarClient(Credentials(token=token), api_base=api_base, timeout=5.0)
        event = client.insert_event("primary", {"id": f"event{index}"})
        assert event.id == f"event{index}"


def test_inside_kept_connections_calls_share_a_connection_but_not_credentials(
    event_server: _EventServer,
) -> None:
    with kept_connections():
        _insert_three(f"http://127.0.0.1:{event_server.server_address[1]}/")
    assert len(event_server.client_ports) == 3
    assert len(set(event_server.client_ports)) == 1, "each call opened a new connection"
    assert event_server.authorizations == [
        "Bearer token-host-a",
        "Bearer token-host-b",
        "Bearer token-host-a",
    ]


def test_outside_kept_connections_each_call_has_its_own_connection(
    event_server: _EventServer,
) -> None:
    _insert_three(f"http://127.0.0.1:{event_server.server_address[1]}/")
    assert len(set(event_server.client_ports)) == 3


def test_a_kept_connection_the_server_closed_is_replaced_and_the_call_goes_through(
    event_server: _EventServer,
) -> None:
    event_server.drop_idle_connections = True
    with kept_connections():
        _insert_three(f"http://127.0.0.1:{event_server.server_address[1]}/")
    assert len(event_server.client_ports) == 3, "each insert reached the server once"
    assert len(set(event_server.client_ports)) == 3
