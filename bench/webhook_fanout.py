"""Benchmark: outbound webhook fan-out, N booking events to M endpoints, through the worker.

Run ``.venv/bin/python bench/webhook_fanout.py [--events 10000] [--endpoints 10]
[--db sqlite|postgres] [--concurrency 8] [--floor 2000] [--json out.json]``.

What it measures, and why this way:

* Events are emitted the way the product emits them (``webhooks_out.service.emit``
  with the booking snapshot of ``bookings.webhook_events``), two per booking
  (``booking.paid`` then ``booking.scheduled``), so the per-booking ordering
  chain is exercised: a booking's second delivery to an endpoint waits, without
  a job, until its first is finished. The emit cost (CPU per event, each with M
  deliveries and the first delivery jobs) is reported beside the intake: it is
  what the payment webhook's transaction pays more per event.
* The real worker (``run_worker_process``, ``--concurrency`` threads) then drains
  the queue: claim, sign (standardwebhooks), POST over the SSRF-guarded httpx
  transport, record the attempt and start the next delivery, in this process,
  whose CPU time over the drain window is the CPU per delivery.
  **deliveries/s = deliveries / (worker start -> last delivery recorded)**.
* The receiver is a separate process (aiohttp, answers 204) that counts what it
  got and checks, per endpoint and booking, that ``paid`` came before
  ``scheduled`` and that no ``webhook-id`` came twice.
* The floor, measured in the same run against the same receiver: a bare loop
  of httpx POSTs (one client, the same body, no signing, no database). The
  ratios say what the outbox, the signature and the bookkeeping cost per
  delivery on top of the HTTP request itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from _harness import (
    create_awaiting_bookings,
    free_port,
    machine,
    scratch_database,
    seed_hosts,
    spawn,
)
from sqlalchemy import func, select

CHUNK = 100


def serve_receiver(port: int) -> None:
    """The receiver process: 204 to every POST; ``GET /stats`` says what it saw."""
    from aiohttp import web

    seen: set[tuple[str, str]] = set()
    last: dict[tuple[str, str], str] = {}
    stats = {"received": 0, "duplicates": 0, "out_of_order": 0}

    async def receive(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        path = request.match_info["name"]
        key = (path, request.headers["webhook-id"])
        stats["received"] += 1
        if key in seen:
            stats["duplicates"] += 1
        seen.add(key)
        booking = (path, body["data"]["id"])
        if body["type"] == "booking.scheduled" and last.get(booking) != "booking.paid":
            stats["out_of_order"] += 1
        last[booking] = body["type"]
        return web.Response(status=204)

    async def report(_request: web.Request) -> web.Response:
        return web.json_response(stats)

    app = web.Application()
    app.router.add_post("/hooks/{name}", receive)
    app.router.add_get("/stats", report)
    web.run_app(app, host="127.0.0.1", port=port, print=lambda *_: print("receiver ready"))


def _settings(database_url: str, data_dir: str) -> Any:
    from leadscalendar.config import Settings
    from leadscalendar.google.tokens import generate_key

    return Settings(
        database_url=database_url,
        data_dir=Path(data_dir),
        token_keys=[generate_key()],
        webhooks_allow_private_addresses=True,
        jobs_poll_interval_seconds=0.05,
        log_level="WARNING",
    )


def _emit_all(services: Any, booking_ids: list[uuid.UUID]) -> tuple[float, float]:
    """Two events per booking, committed in chunks; returns (wall s, CPU s)."""
    from leadscalendar.bookings import webhook_events
    from leadscalendar.bookings.models import Booking
    from leadscalendar.bookings.states import BookingStatus
    from leadscalendar.db.session import unit_of_work

    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(booking_ids), CHUNK):
        with unit_of_work(services.session_factory) as session:
            for booking_id in booking_ids[start : start + CHUNK]:
                booking = session.get(Booking, booking_id)
                assert booking is not None
                for status in (BookingStatus.PAID, BookingStatus.SCHEDULED):
                    booking.status = status
                    webhook_events.status_changed(session, booking)
    return time.perf_counter() - wall, time.process_time() - cpu


def _subscribe(services: Any, host_id: uuid.UUID, receiver: str, count: int) -> None:
    from leadscalendar.db.session import unit_of_work
    from leadscalendar.webhooks_out import service
    from leadscalendar.webhooks_out.models import EventType
    from leadscalendar.webhooks_out.schemas import EndpointIn

    with unit_of_work(services.session_factory) as session:
        for index in range(count):
            body = EndpointIn(
                url=f"{receiver}/hooks/e{index}",
                event_types=[EventType.BOOKING_PAID, EventType.BOOKING_SCHEDULED],
            )
            service.create_endpoint(session, services.cipher, services.settings, host_id, body)


def _delivered(services: Any) -> int:
    from leadscalendar.webhooks_out.models import DeliveryStatus, WebhookDelivery

    with services.session_factory() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status == DeliveryStatus.DELIVERED)
            )
            or 0
        )


def _drain(services: Any, total: int, concurrency: int, receiver: str) -> dict[str, float]:
    from leadscalendar.runtime import run_worker_process

    stop = threading.Event()
    wall, cpu = time.perf_counter(), time.process_time()
    worker = threading.Thread(
        target=run_worker_process,
        args=(services,),
        kwargs={"concurrency": concurrency, "stop_event": stop},
        daemon=True,
    )
    worker.start()
    with httpx.Client(timeout=10) as client:
        # Poll the receiver (cheap), then confirm in the database once it has everything.
        while client.get(f"{receiver}/stats").json()["received"] < total:
            time.sleep(0.2)
    while _delivered(services) < total:
        time.sleep(0.05)
    elapsed, spent = time.perf_counter() - wall, time.process_time() - cpu
    stop.set()
    worker.join(timeout=60)
    return {"seconds": elapsed, "cpu_seconds": spent}


def _floor(receiver: str, body: bytes, count: int) -> dict[str, float]:
    """A bare httpx POST loop: the least a delivery can cost here."""
    with httpx.Client(timeout=10) as client:
        wall, cpu = time.perf_counter(), time.process_time()
        for index in range(count):
            headers = {"webhook-id": f"floor_{index}", "content-type": "application/json"}
            client.post(f"{receiver}/hooks/floor", content=body, headers=headers)
        return {"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}


def _sample_body(services: Any) -> bytes:
    from leadscalendar.webhooks_out.models import WebhookMessage

    with services.session_factory() as session:
        message = session.scalars(select(WebhookMessage).limit(1)).one()
        return json.dumps(message.payload, separators=(",", ":")).encode()


def run(args: argparse.Namespace, database_url: str, workdir: str) -> dict[str, Any]:
    from leadscalendar.services import build_services

    port = free_port()
    receiver_process = spawn(
        "receiver",
        [sys.executable, __file__, "--serve-receiver", str(port)],
        {},
        Path(workdir),
    )
    receiver = f"http://127.0.0.1:{port}"
    try:
        receiver_process.wait_for_log("receiver ready")
        services = build_services(_settings(database_url, workdir), pool_size=args.concurrency + 4)
        (host,) = seed_hosts(services, None, 1)
        bookings = create_awaiting_bookings(services, [host], args.events // 2, day_offset=3)
        _subscribe(services, host.id, receiver, args.endpoints)
        emit_wall, emit_cpu = _emit_all(services, bookings)
        events = 2 * len(bookings)
        total = events * args.endpoints
        drain = _drain(services, total, args.concurrency, receiver)
        with httpx.Client(timeout=10) as client:
            received = client.get(f"{receiver}/stats").json()
        floor = _floor(receiver, _sample_body(services), args.floor)
        services.webhook_sender.close()
        services.engine.dispose()
    finally:
        receiver_process.stop()
    per_second = total / drain["seconds"]
    cpu_ms = 1000 * drain["cpu_seconds"] / total
    floor_per_second = args.floor / floor["seconds"]
    floor_cpu_ms = 1000 * floor["cpu_seconds"] / args.floor
    return {
        "db": args.db,
        "events": events,
        "endpoints": args.endpoints,
        "deliveries": total,
        "concurrency": args.concurrency,
        "emit_events_per_second": round(events / emit_wall, 1),
        "emit_cpu_ms_per_event": round(1000 * emit_cpu / events, 3),
        "drain_seconds": round(drain["seconds"], 2),
        "deliveries_per_second": round(per_second, 1),
        "cpu_ms_per_delivery": round(cpu_ms, 3),
        "floor_posts": args.floor,
        "floor_posts_per_second": round(floor_per_second, 1),
        "floor_cpu_ms_per_post": round(floor_cpu_ms, 3),
        "cpu_per_delivery_vs_floor": round(cpu_ms / floor_cpu_ms, 2),
        "rate_vs_floor": round(per_second / floor_per_second, 2),
        "received": received["received"],
        "duplicates": received["duplicates"],
        "out_of_order": received["out_of_order"],
        "lost": total - received["received"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--floor", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve-receiver", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_receiver:
        serve_receiver(args.serve_receiver)
        return 0
    report: dict[str, Any] = {"machine": machine()}
    with (
        tempfile.TemporaryDirectory(prefix="lc-fanout-") as workdir,
        scratch_database(args.db) as url,
    ):
        report["result"] = run(args, url, workdir)
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    ok = report["result"]["lost"] == 0 and report["result"]["duplicates"] == 0
    return 0 if ok and report["result"]["out_of_order"] == 0 else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
