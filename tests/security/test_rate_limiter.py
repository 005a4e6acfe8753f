"""How the limits tell clients apart."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from fastapi import Request

from leadscalendar.web.rate_limit import client_key


def _request(host: str | None) -> Request:
    client = SimpleNamespace(host=host) if host is not None else None
    return cast(Request, SimpleNamespace(client=client))


def test_clients_are_keyed_by_address_and_ipv6_by_its_64() -> None:
    assert client_key(_request("203.0.113.7")) == "203.0.113.7"
    assert client_key(_request("2001:db8:1:2::1")) == client_key(_request("2001:db8:1:2:ffff::9"))
    assert client_key(_request("2001:db8:1:2::1")) != client_key(_request("2001:db8:1:3::1"))
    assert client_key(_request("::ffff:198.51.100.1")) == "198.51.100.1"
    assert client_key(_request(None)) == "unknown"
