"""Benchmark: paid booking -> Google Calendar event, against the integration document's loop.

Run ``.venv/bin/python bench/pipeline.py [--bookings 2000] [--hosts 50]
[--latency-ms 100] [--db sqlite|postgres|both] [--json out.json]``.

What it does, and why this way:

* The Google sandbox runs in its own process with ``--latency-ms`` added to
  every Calendar call, so a call costs what a real round trip to Google costs
  and the comparison is about how the calls are scheduled, not about Python.
* H hosts connect their Google account through the product's own OAuth code
  (state, PKCE, code exchange), each as a distinct Google user, so per-user
  quotas fall per host as they do at Google.
* The baseline is the integration document's sample: google-api-python-client,
  ``service.events().insert(calendarId='primary', body=...).execute()`` one
  after another (``--baseline-events`` of them, default 200; events/s is
  extrapolated from that subset, which is exact for a sequential loop).
* LeadsCalendar: N bookings awaiting payment; every booking's
  ``checkout.session.completed`` is delivered as a Stripe-signed webhook
  through the webhook route's own code path, in this process (signature check
  with the SDK, payment-event log, booking -> paid, job enqueued, one
  transaction each; 4 threads) - not over HTTP, which ``bench/webhooks.py``
  measures. Then ``leadscalendar worker --concurrency C`` processes start and
  drain that backlog: events/s is N over first claim -> last event created.
  On two shared cores the intake is slower than the workers, so timing both
  together would measure the intake. Then a trickle (``--stream-count``
  webhooks at ``--stream-rate``/s, open loop) with the workers idle gives the
  latency from webhook received (``payment_events.received_at``) to event
  created (the job's ``finished_at``) with nothing queued ahead.
* Phases: quotas off (1 process; 2 processes on PostgreSQL; the workers'
  pacing raised out of the way), then Google's default quotas on in the
  sandbox (600/min per user, 10,000/min per project) with the workers pacing
  at the same numbers: the backlog over the H hosts, then
  ``--one-host-bookings`` of it all on one host (its 600/min binds).
  ``--redis`` starts a ``redis-server`` of the benchmark's own and gives it
  to the workers (``LEADSCALENDAR_REDIS_URL``): every process paces in the
  same windows; without it, each paces alone with 1/processes of the quotas.
* Checks after every phase: lost bookings (paid but not scheduled), duplicate
  events (two sandbox events carrying one booking id) and rate-limit errors
  received (sandbox stats). All three must be 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from _harness import (
    BIN,
    Process,
    Sandbox,
    SeededHost,
    app_env,
    checkout_completed,
    cpu_seconds,
    create_awaiting_bookings,
    free_port,
    google_sandbox,
    machine,
    percentile,
    scratch_database,
    seed_hosts,
    settings_from,
    spawn,
    stripe_headers,
    vm_hwm_mb,
)
from sqlalchemy import Engine, create_engine, select

DELIVERY_THREADS = 4
# Client-side pacing in the quotas-off phases: far above anything reachable here.
NO_QUOTA_PER_MINUTE = 10_000_000
# Two worker processes only on PostgreSQL: SQLite is one machine's database.
# (label, processes, quotas on, the whole backlog on one host)
PHASES = {
    "off1": ("quotas off, 1 process", 1, False, False),
    "off2": ("quotas off, 2 processes", 2, False, False),
    "on1": ("quotas on, 1 process", 1, True, False),
    "on2": ("quotas on, 2 processes", 2, True, False),
    "on1h": ("quotas on, 1 process, one host", 1, True, True),
    "on2h": ("quotas on, 2 processes, one host", 2, True, True),
}
PHASE_TIMEOUT_SECONDS = 600.0


# -- the baseline: the integration document's sample, call after call -------------------


def run_baseline(services: Any, sandbox: Sandbox, host: SeededHost, count: int) -> dict[str, Any]:
    """``service.events().insert(calendarId='primary', body=event).execute()``, ``count`` times.

    The service is built once (the sample builds it per call, which is slower
    still), with static discovery and the sandbox as endpoint.
    """
    from googleapiclient.discovery import build

    credentials = services.credentials.for_host(host.id)
    service = build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        client_options={"api_endpoint": f"{sandbox.base_url}calendar/v3/"},
    )
    start = datetime(2030, 1, 7, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    started = time.perf_counter()
    for index in range(count):
        begin = start.replace(hour=9 + index % 8, day=7 + index // 8 % 20)
        event_data = {
            "summary": f"Coaching session with Lead {index}",
            "description": "Booked via LeadsCalendar.",
            "start": {"dateTime": begin.isoformat(), "timeZone": "Europe/Paris"},
            "end": {
                "dateTime": begin.replace(hour=begin.hour + 1).isoformat(),
                "timeZone": "Europe/Paris",
            },
            "attendees": [{"email": f"lead{index}@example.com"}],
        }
        service.events().insert(calendarId="primary", body=event_data).execute()
    elapsed = time.perf_counter() - started
    service.close()
    return {
        "events": count,
        "seconds": round(elapsed, 3),
        "events_per_second": round(count / elapsed, 2),
        "ms_per_event": round(elapsed / count * 1000, 1),
    }


# -- one LeadsCalendar phase -------------------------------------------------------------


def deliver(services: Any, bodies: list[bytes], threads: int = DELIVERY_THREADS) -> float:
    """Deliver signed webhooks through the route's code path; returns the seconds it took."""
    from leadscalendar.db.session import unit_of_work
    from leadscalendar.payments import service as payments
    from leadscalendar.payments.webhooks import verify_stripe_webhook

    secret = services.settings.stripe_webhook_secret

    def one(body: bytes) -> None:
        signature = stripe_headers(body, secret)["Stripe-Signature"]
        event = verify_stripe_webhook(body, signature, secret)
        with unit_of_work(services.session_factory) as session:
            payments.record_webhook_event(session, event, services.payment_event_handler)

    started = time.perf_counter()
    if threads == 1:
        for body in bodies:
            one(body)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, bodies))
    return time.perf_counter() - started


def scheduled_count(reader: Engine, ids: list[uuid.UUID]) -> int:
    from leadscalendar.bookings.models import Booking
    from leadscalendar.bookings.states import BookingStatus

    with reader.connect() as connection:
        rows = connection.execute(
            select(Booking.id).where(Booking.status == BookingStatus.SCHEDULED)
        ).all()
    wanted = set(ids)
    return sum(1 for (booking_id,) in rows if booking_id in wanted)


def phase_timings(reader: Engine, ids: list[uuid.UUID]) -> dict[str, Any]:
    """Per booking: webhook received (payment_events.received_at) -> job finished_at."""
    from leadscalendar.bookings.job_kinds import CREATE_EVENT
    from leadscalendar.bookings.models import Booking
    from leadscalendar.jobs.models import Job, JobAttempt
    from leadscalendar.payments.models import PaymentEvent

    wanted = {str(booking_id) for booking_id in ids}
    with reader.connect() as connection:
        received = {
            str(booking_id): at
            for booking_id, at in connection.execute(
                select(PaymentEvent.booking_id, PaymentEvent.received_at)
            ).all()
            if str(booking_id) in wanted
        }
        jobs = [
            row
            for row in connection.execute(
                select(Job.id, Job.subject_key, Job.finished_at, Job.status, Job.attempts).where(
                    Job.kind == CREATE_EVENT
                )
            ).all()
            if row.subject_key in wanted
        ]
        job_ids = {row.id for row in jobs}
        first_start = min(
            (
                at
                for job_id, at in connection.execute(
                    select(JobAttempt.job_id, JobAttempt.started_at)
                ).all()
                if job_id in job_ids
            ),
            default=None,
        )
        statuses = Counter(
            status.value
            for booking_id, status in connection.execute(select(Booking.id, Booking.status)).all()
            if str(booking_id) in wanted
        )
    latencies = [
        (row.finished_at - received[row.subject_key]).total_seconds() * 1000
        for row in jobs
        if row.finished_at is not None and row.subject_key in received
    ]
    finished = [row.finished_at for row in jobs if row.finished_at is not None]
    first_received = min(received.values()) if received else None
    return {
        "latencies_ms": latencies,
        "first_received": first_received,
        "first_attempt": first_start,
        "last_finished": max(finished) if finished else None,
        "statuses": dict(statuses),
        "extra_attempts": sum(row.attempts - 1 for row in jobs if row.attempts > 1),
        "job_statuses": dict(Counter(row.status.value for row in jobs)),
    }


def duplicates(sandbox: Sandbox, hosts: list[SeededHost], ids: list[uuid.UUID]) -> int:
    """Events beyond the first carrying the same booking id, over every host's calendar."""
    from leadscalendar.google.events import booking_id_of

    wanted = set(ids)
    per_booking: Counter[uuid.UUID] = Counter()
    for host in hosts:
        for event in sandbox.events(host.email):
            booking_id = booking_id_of(event)
            if booking_id in wanted and event.get("status") != "cancelled":
                per_booking[booking_id] += 1
    return sum(count - 1 for count in per_booking.values() if count > 1)


def stream(services: Any, bodies: list[bytes], rate: float) -> None:
    """Deliver ``bodies`` at ``rate`` per second, on schedule (open loop, one thread)."""
    started = time.monotonic()
    for index, body in enumerate(bodies):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        deliver(services, [body], threads=1)


def wait_scheduled(reader: Engine, ids: list[uuid.UUID], workers: list[Process]) -> None:
    deadline = time.monotonic() + PHASE_TIMEOUT_SECONDS
    while scheduled_count(reader, ids) < len(ids) and time.monotonic() < deadline:
        for worker in workers:
            if worker.popen.poll() is not None:
                raise RuntimeError(f"{worker.name} died:\n{worker.log()[-3000:]}")
        time.sleep(0.05)


def run_phase(
    *,
    label: str,
    services: Any,
    reader: Engine,
    env: dict[str, str],
    sandbox: Sandbox,
    hosts: list[SeededHost],
    backlog_hosts: list[SeededHost],
    bookings: int,
    processes: int,
    concurrency: int,
    quotas: bool,
    latency_ms: float,
    stream_count: int,
    stream_rate: float,
    day_offset: int,
    log_dir: Path,
) -> dict[str, Any]:
    """One configuration: a backlog of N paid bookings drained, then a steady trickle.

    The backlog (every webhook delivered before the workers start) measures
    the workers' throughput on its own: on two shared cores the in-process
    intake is slower than the workers, and timing both together would measure
    the intake. The trickle (``stream_count`` webhooks at ``stream_rate``/s
    while the workers idle) measures the latency from webhook received to
    event created when nothing is queued ahead.
    """
    sandbox.set_quotas(quotas)
    sandbox.control("POST", "stats/reset")
    sandbox_cpu_before = cpu_seconds(sandbox.process.pid)
    ids = create_awaiting_bookings(services, backlog_hosts, bookings, day_offset)
    trickle_ids = create_awaiting_bookings(services, hosts, stream_count, day_offset + 30)
    load_before = [round(value, 2) for value in os.getloadavg()]
    delivery_seconds = deliver(services, [checkout_completed(booking_id) for booking_id in ids])
    worker_env = {**env, "LEADSCALENDAR_JOBS_PROCESS_COUNT": str(processes)}
    if not quotas:
        # No quotas at the sandbox: the workers' pacing would otherwise still hold
        # them to Google's default 10,000 calls/min (167/s) for the project.
        unpaced = str(NO_QUOTA_PER_MINUTE)
        worker_env["LEADSCALENDAR_GOOGLE_RATE_PER_USER_PER_MINUTE"] = unpaced
        worker_env["LEADSCALENDAR_GOOGLE_RATE_PER_PROJECT_PER_MINUTE"] = unpaced
    workers = [
        spawn(
            f"worker-{label}-{index}".replace(" ", "_").replace(",", ""),
            [str(BIN / "leadscalendar"), "worker", "--concurrency", str(concurrency)],
            worker_env,
            log_dir,
        )
        for index in range(processes)
    ]
    try:
        for worker in workers:
            worker.wait_for_log("worker.start")
        wait_scheduled(reader, ids, workers)
        load_after = [round(value, 2) for value in os.getloadavg()]
        stream(
            services, [checkout_completed(booking_id) for booking_id in trickle_ids], stream_rate
        )
        wait_scheduled(reader, trickle_ids, workers)
        peak_mb = [vm_hwm_mb(worker.pid) for worker in workers]
        cpu = sum(cpu_seconds(worker.pid) for worker in workers)
        sandbox_cpu = cpu_seconds(sandbox.process.pid) - sandbox_cpu_before
    finally:
        codes = [worker.stop() for worker in workers]
    backlog = phase_timings(reader, ids)
    trickle = phase_timings(reader, trickle_ids)
    stats = sandbox.stats()
    lost = len(ids) - backlog["statuses"].get("scheduled", 0)
    lost += len(trickle_ids) - trickle["statuses"].get("scheduled", 0)
    first, last = backlog["first_attempt"], backlog["last_finished"]
    drain = (last - first).total_seconds() if first and last else math.inf
    events_per_second = bookings / drain
    total_concurrency = processes * concurrency
    if quotas:
        per_user = math.ceil(bookings / len(backlog_hosts))
        limit_seconds = max(per_user / 600 * 60, bookings / 10_000 * 60)
        limit_kind = "quota: max(N/H / 600 per min, N / 10000 per min)"
    else:
        limit_seconds = bookings * latency_ms / 1000 / total_concurrency
        limit_kind = "N x latency / (processes x concurrency)"
    latencies = trickle["latencies_ms"]
    backlog_latencies = backlog["latencies_ms"]
    return {
        "label": label,
        "hosts": len(backlog_hosts),
        "paced_through_redis": "LEADSCALENDAR_REDIS_URL" in env,
        "processes": processes,
        "concurrency": concurrency,
        "quotas": quotas,
        "bookings": bookings,
        "intake_seconds": round(delivery_seconds, 3),
        "intake_per_second": round(bookings / delivery_seconds, 1),
        "drain_seconds": round(drain, 3),
        "events_per_second": round(events_per_second, 2),
        "limit_seconds": round(limit_seconds, 3),
        "limit_events_per_second": round(bookings / limit_seconds, 2),
        "limit": limit_kind,
        "fraction_of_limit": round(limit_seconds / drain, 3),
        "latency_ms": {
            "stream": f"{stream_count} webhooks at {stream_rate}/s, nothing queued ahead",
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(max(latencies, default=0.0), 1),
        },
        "backlog_latency_ms": {
            "note": "received -> created for the backlog; includes waiting for the workers",
            "p50": round(percentile(backlog_latencies, 50), 1),
            "p99": round(percentile(backlog_latencies, 99), 1),
        },
        "peak_rss_mb": [round(mb, 1) for mb in peak_mb],
        "worker_cpu_ms_per_event": round(cpu / (bookings + stream_count) * 1000, 2),
        # The stand-in for Google shares the cores: its CPU is part of what limits.
        "google_sandbox_cpu_ms_per_call": round(
            sandbox_cpu / max(stats["total_calls"], 1) * 1000, 2
        ),
        "rate_limit_errors": stats["rate_limit_errors"],
        "google_calls": stats["total_calls"],
        "google_errors": stats["errors"]["total"],
        "extra_attempts": backlog["extra_attempts"] + trickle["extra_attempts"],
        "lost": lost,
        "duplicates": duplicates(sandbox, hosts, ids + trickle_ids),
        "job_statuses": backlog["job_statuses"],
        "load_average": {"before": load_before, "after_drain": load_after},
        "worker_exit_codes": codes,
    }


# -- driver -------------------------------------------------------------------------------


@contextmanager
def redis_server(wanted: bool, log_dir: Path) -> Iterator[str | None]:
    """A throwaway ``redis-server`` on a free loopback port (no disk), or None if not wanted."""
    if not wanted:
        yield None
        return
    import redis

    port = free_port()
    server = spawn(
        "redis",
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        {},
        log_dir,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        server.stop()


def run_database(
    kind: str,
    args: argparse.Namespace,
    sandbox: Sandbox,
    log_dir: Path,
    baseline: dict[str, Any] | None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Every phase on one database; measures the baseline first unless given one."""
    from leadscalendar.services import build_services

    with scratch_database(kind) as url:
        env = app_env(url, sandbox.base_url, args.app_port)
        redis_url = args.redis_url
        if redis_url:
            import redis

            env = {**env, "LEADSCALENDAR_REDIS_URL": redis_url}
            redis_client = redis.Redis.from_url(redis_url)
        services = build_services(settings_from(env))
        reader = create_engine(url)
        try:
            hosts = seed_hosts(services, sandbox, args.hosts)
            if baseline is None:
                sandbox.set_quotas(False)
                baseline = run_baseline(services, sandbox, hosts[0], args.baseline_events)
            plan = [
                (label, processes, quotas, one_host)
                for key, (label, processes, quotas, one_host) in PHASES.items()
                if key in args.phases and (processes == 1 or kind == "postgres")
            ]
            most_per_host = max(args.bookings / args.hosts, args.one_host_bookings)
            days_per_phase = math.ceil(most_per_host / 24) + 32
            results = []
            for index, (label, processes, quotas, one_host) in enumerate(plan):
                if redis_url:
                    redis_client.flushall()  # windows start empty, as the sandbox's quotas do
                result = run_phase(
                    label=label,
                    services=services,
                    reader=reader,
                    env=env,
                    sandbox=sandbox,
                    hosts=hosts,
                    backlog_hosts=hosts[:1] if one_host else hosts,
                    bookings=args.one_host_bookings if one_host else args.bookings,
                    processes=processes,
                    concurrency=args.concurrency,
                    quotas=quotas,
                    latency_ms=args.latency_ms,
                    stream_count=args.stream_count,
                    stream_rate=args.stream_rate,
                    day_offset=2 + index * days_per_phase,
                    log_dir=log_dir,
                )
                result["db"] = kind
                results.append(result)
                print_phase(result, baseline)
            return results, baseline
        finally:
            reader.dispose()
            services.engine.dispose()


def print_phase(result: dict[str, Any], baseline: dict[str, Any] | None) -> None:
    ratio = (
        f"{result['events_per_second'] / baseline['events_per_second']:6.1f}x"
        if baseline
        else "   n/a"
    )
    lat = result["latency_ms"]
    print(
        f"{result['db']:8} {result['label']:24} {result['events_per_second']:8.1f} ev/s "
        f"{ratio} limit {result['fraction_of_limit'] * 100:5.1f}% "
        f"p50/95/99 {lat['p50']:.0f}/{lat['p95']:.0f}/{lat['p99']:.0f} ms "
        f"rss {'+'.join(f'{mb:.0f}' for mb in result['peak_rss_mb'])} MB "
        f"429/403rl {result['rate_limit_errors']} lost {result['lost']} "
        f"dup {result['duplicates']}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--baseline-events", type=int, default=200)
    parser.add_argument("--stream-count", type=int, default=100)
    parser.add_argument("--stream-rate", type=float, default=20.0)
    parser.add_argument(
        "--phases",
        type=lambda text: [part for part in text.split(",") if part],
        default=list(PHASES),
        help="comma-separated subset of " + ",".join(PHASES) + " (default: all)",
    )
    parser.add_argument(
        "--one-host-bookings",
        type=int,
        default=600,
        help="backlog of the one-host phases (on1h, on2h): one minute of a host's quota",
    )
    parser.add_argument(
        "--redis",
        action="store_true",
        help="workers pace through a redis-server of the benchmark's own (needs redis-server)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    args.app_port = free_port()
    started = time.monotonic()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    log_dir = Path(tempfile.mkdtemp(prefix="lc-bench-logs-"))
    report: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv)}
    report["parameters"] = {
        key: getattr(args, key)
        for key in (
            "bookings",
            "hosts",
            "latency_ms",
            "db",
            "concurrency",
            "baseline_events",
            "stream_count",
            "stream_rate",
            "one_host_bookings",
            "redis",
        )
    }
    phases: list[dict[str, Any]] = []
    baseline: dict[str, Any] | None = None
    redirect = f"http://127.0.0.1:{args.app_port}/oauth/google/callback"
    with google_sandbox(redirect, log_dir) as sandbox, redis_server(args.redis, log_dir) as url:
        args.redis_url = url
        sandbox.set_latency(args.latency_ms / 1000)
        for kind in kinds:
            results, baseline = run_database(kind, args, sandbox, log_dir, baseline)
            phases.extend(results)
    assert baseline is not None
    for phase in phases:
        phase["ratio_to_baseline"] = round(
            phase["events_per_second"] / baseline["events_per_second"], 1
        )
    report["baseline"] = baseline
    report["phases"] = phases
    pg = {phase["label"]: phase for phase in phases if phase["db"] == "postgres"}
    if "quotas off, 2 processes" in pg:
        report["two_process_speedup"] = round(
            pg["quotas off, 2 processes"]["events_per_second"]
            / pg["quotas off, 1 process"]["events_per_second"],
            2,
        )
    report["lost"] = sum(phase["lost"] for phase in phases)
    report["duplicates"] = sum(phase["duplicates"] for phase in phases)
    report["rate_limit_errors_with_quotas"] = sum(
        phase["rate_limit_errors"] for phase in phases if phase["quotas"]
    )
    report["seconds"] = round(time.monotonic() - started, 1)
    report["logs"] = str(log_dir)
    print(
        f"baseline (sample code, sequential): {baseline['events_per_second']:.1f} ev/s "
        f"({baseline['ms_per_event']:.0f} ms/event over {baseline['events']} events)"
    )
    if "two_process_speedup" in report:
        print(f"2 processes / 1 process (PostgreSQL, quotas off): {report['two_process_speedup']}x")
    print(
        f"lost {report['lost']}, duplicates {report['duplicates']}, "
        f"rate-limit errors with quotas on {report['rate_limit_errors_with_quotas']}; "
        f"{report['seconds']} s in all; worker logs in {log_dir}"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0 if report["lost"] == 0 and report["duplicates"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
