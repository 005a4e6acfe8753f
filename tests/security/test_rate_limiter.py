"""The in-process sliding window and how clients are told apart."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import cast

from fastapi import Request

from leadscalendar.web.rate_limit import SlidingWindowLimiter, client_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(3, 10.0, clock=clock)
    for _ in range(3):
        assert limiter.hit("a").allowed
        clock.now += 1
    refused = limiter.hit("a")
    assert not refused.allowed and refused.retry_after_seconds == 7
    assert limiter.hit("b").allowed, "keys are independent"
    clock.now += 7
    assert limiter.hit("a").allowed, "the first event left the window"
    assert not limiter.hit("a").allowed


def test_check_records_nothing_and_record_always_counts() -> None:
    limiter = SlidingWindowLimiter(2, 60.0, clock=Clock())
    for _ in range(5):
        assert limiter.check("k").allowed
    limiter.record("k")
    limiter.record("k")
    assert not limiter.check("k").allowed
    limiter.reset("k")
    assert limiter.check("k").allowed


def test_zero_turns_the_limit_off() -> None:
    limiter = SlidingWindowLimiter(0, 60.0)
    assert all(limiter.hit("k").allowed for _ in range(100))


def test_concurrent_hits_never_exceed_the_limit() -> None:
    limiter = SlidingWindowLimiter(100, 3600.0)
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def worker() -> None:
        start.wait()
        for _ in range(25):
            outcome = limiter.hit("ip").allowed
            with lock:
                allowed.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 500
    assert allowed.count(True) == 100


def test_idle_keys_are_forgotten() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, 10.0, clock=clock)
    for index in range(2048):
        limiter.hit(index)
        clock.now += 0.01
    clock.now += 20
    for _ in range(1024):
        limiter.hit("late")
    assert len(limiter._events) <= 2


def _request(host: str | None) -> Request:
    client = SimpleNamespace(host=host) if host is not None else None
    return cast(Request, SimpleNamespace(client=client))


def test_clients_are_keyed_by_address_and_ipv6_by_its_64() -> None:
    assert client_key(_request("203.0.113.7")) == "203.0.113.7"
    assert client_key(_request("2001:db8:1:2::1")) == client_key(_request("2001:db8:1:2:ffff::9"))
    assert client_key(_request("2001:db8:1:2::1")) != client_key(_request("2001:db8:1:3::1"))
    assert client_key(_request("::ffff:198.51.100.1")) == "198.51.100.1"
    assert client_key(_request(None)) == "unknown"
