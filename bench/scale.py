"""Benchmark: does the next booking cost more CPU when 50,000 came before it?

Run ``.venv/bin/python bench/scale.py [--sizes 2000,50000] [--hosts 1000]
[--sample 2000] [--db sqlite|postgres|both] [--json out.json]``.

Issue 15's target: CPU per event flat (within 15 %) from 2,000 to 50,000
bookings over 1,000 hosts, and the jobs and idempotency tables bounded.

How, and why this way:

* One database per kind, 1,000 hosts connected to the Google sandbox through
  the product's own OAuth code (``_harness.seed_hosts``, a few threads). The
  calendar polling clock is set out of the way: its work (and the hosts'
  first calendar syncs, which it plans) is per host and per minute, not per
  booking, and the host count is the same at both sizes.
* For each size S (ascending), the database is topped up with past bookings
  until it holds S of them (``_history.fill_history``: bulk rows shaped like
  the ones the real paid flow leaves, with their payment events, timeline,
  finished jobs and attempts, queued reminders and idempotent answers), and
  on PostgreSQL analysed (what autovacuum does after such a load).
* Then the same fixed sample (``--sample`` bookings awaiting payment, spread
  over the hosts) goes through the real path: its Stripe-signed webhooks
  over HTTP to ``leadscalendar serve``, ``--in-flight`` at a time (server CPU
  per request, ``/proc``; a closed loop, so a busy machine slows the run
  instead of timing requests out), then ``leadscalendar worker`` drains the
  jobs they enqueued (the calendar event and two mails per booking; worker
  CPU per event from ``worker.start`` on, ``/proc``), Google at
  ``--latency-ms``, quotas off. The ratio large/small of each CPU figure is
  the target (<= 1.15); the bare ``events.insert`` floor measured before each
  size tells machine drift from cost growth.
* Last, the retention clean-up (``leadscalendar.retention``, the body of the
  daily ``prune_history`` job, repeated while batches come back full as the
  job re-plans itself) runs with the default settings: row counts of the
  jobs, attempts and idempotency tables before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
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
    serving,
    settings_from,
    spawn,
    stripe_headers,
    tree_cpu_seconds,
)
from _history import fill_history, prune, table_counts
from pipeline import NO_QUOTA_PER_MINUTE, run_baseline
from sqlalchemy import Engine, create_engine, func, select, text

TARGET_RATIO = 1.15
SEED_THREADS = 4
DRAIN_TIMEOUT_SECONDS = 600.0
# The polling clock's period: its next run lands months away, never during a run.
POLL_OUT_OF_THE_WAY_SECONDS = 10_000_000
# Sample bookings start this many days ahead (past bookings start at most 14 days on).
SAMPLE_DAY_OFFSET = 20


def seed(services: Any, sandbox: Sandbox, count: int) -> list[SeededHost]:
    """``count`` connected hosts, seeded by a few threads side by side (disjoint numbers)."""
    step = -(-count // SEED_THREADS)
    ranges = [(first, min(step, count - first)) for first in range(0, count, step)]
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        parts = pool.map(lambda r: seed_hosts(services, sandbox, r[1], first=r[0]), ranges)
        return [host for part in parts for host in part]


def due_jobs(reader: Engine) -> int:
    """Jobs a worker would take now (queued or running, due); planned ones are not counted."""
    from leadscalendar.db.base import utcnow
    from leadscalendar.jobs.models import Job, JobStatus

    with reader.connect() as connection:
        statement = (
            select(func.count())
            .select_from(Job)
            .where(Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)), Job.run_after <= utcnow())
        )
        return int(connection.scalar(statement) or 0)


def drain(
    env: dict[str, str], reader: Engine, args: argparse.Namespace, name: str
) -> dict[str, Any]:
    """One ``leadscalendar worker`` until no job is due; its CPU from ``worker.start`` on."""
    command = [str(BIN / "leadscalendar"), "worker", "--concurrency", str(args.concurrency)]
    worker: Process = spawn(name, command, env, args.log_dir)
    try:
        worker.wait_for_log("worker.start")
        cpu_at_start, started = cpu_seconds(worker.pid), time.monotonic()
        deadline = started + DRAIN_TIMEOUT_SECONDS
        while due_jobs(reader) and time.monotonic() < deadline:
            if worker.popen.poll() is not None:
                raise RuntimeError(f"{name} died:\n{worker.log()[-3000:]}")
            time.sleep(0.1)
        seconds = time.monotonic() - started
        cpu = cpu_seconds(worker.pid) - cpu_at_start
    finally:
        code = worker.stop()
    return {"seconds": seconds, "cpu_seconds": cpu, "exit_code": code}


def statuses(reader: Engine, ids: list[uuid.UUID]) -> dict[str, int]:
    from leadscalendar.bookings.models import Booking

    found: dict[str, int] = {}
    with reader.connect() as connection:
        for first in range(0, len(ids), 500):
            rows = connection.execute(
                select(Booking.status, func.count())
                .where(Booking.id.in_(ids[first : first + 500]))
                .group_by(Booking.status)
            ).all()
            for status, count in rows:
                found[status.value] = found.get(status.value, 0) + count
    return found


async def send_all(
    url: str, requests: list[tuple[bytes, dict[str, str]]], in_flight: int
) -> tuple[list[float], list[str]]:
    """Closed loop, ``in_flight`` requests at a time: the server is never pushed past its pace.

    ``webhooks.fire`` sends at a fixed rate to find the latency at that rate; here
    only the CPU per request matters, and a rate the server cannot keep on a busy
    machine would add time-outs (unprocessed webhooks), not information.
    """
    latencies: list[float] = []
    errors: list[str] = []
    queue = iter(requests)
    timeout = aiohttp.ClientTimeout(total=60.0)
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as client:

        async def lane() -> None:
            for body, headers in queue:
                started = time.monotonic()
                try:
                    async with client.post("/webhooks/stripe", data=body, headers=headers) as reply:
                        answer = await reply.text()
                        if reply.status != 200 or json.loads(answer).get("duplicate"):
                            errors.append(f"{reply.status} {answer[:200]}")
                except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                    errors.append(f"{type(error).__name__}: {error}")
                latencies.append((time.monotonic() - started) * 1000)

        await asyncio.gather(*(lane() for _ in range(in_flight)))
    return latencies, errors


def intake(
    env: dict[str, str], ids: list[uuid.UUID], args: argparse.Namespace, name: str
) -> dict[str, Any]:
    """The sample's webhooks over HTTP to ``leadscalendar serve``: server CPU per request."""
    port = free_port()
    bodies = [checkout_completed(booking_id) for booking_id in ids]
    requests = [(body, stripe_headers(body)) for body in bodies]
    serve_env = {**env, "LEADSCALENDAR_LOG_LEVEL": "WARNING"}
    with serving(name, serve_env, port, args.log_dir) as server:
        cpu_before, started = tree_cpu_seconds(server.pid), time.monotonic()
        latencies, errors = asyncio.run(
            send_all(f"http://127.0.0.1:{port}", requests, args.in_flight)
        )
        seconds = time.monotonic() - started
        cpu = tree_cpu_seconds(server.pid) - cpu_before
    return {
        "requests": len(latencies),
        "in_flight": args.in_flight,
        "per_second": round(len(latencies) / seconds, 1),
        "errors": len(errors),
        "error_samples": errors[:3],
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "server_cpu_ms_per_request": round(cpu / max(len(latencies), 1) * 1000, 3),
    }


def measure_size(
    *,
    size: int,
    services: Any,
    sandbox: Sandbox,
    reader: Engine,
    env: dict[str, str],
    hosts: list[SeededHost],
    args: argparse.Namespace,
    kind: str,
    day_offset: int,
) -> dict[str, Any]:
    """The sample through intake and worker with ``size`` past bookings in the database.

    The floor (a bare ``events.insert`` loop's client CPU per call, as in
    ``bench/pipeline.py``) is measured just before: on a shared machine, its
    ratio between the sizes says how much the machine itself drifted.
    """
    label = f"{kind}-{size}"
    rows = table_counts(reader)
    floor = run_baseline(services, sandbox, hosts[0], args.floor_events)["client_cpu_ms_per_call"]
    ids = create_awaiting_bookings(services, hosts, args.sample, day_offset)
    load_before = [round(value, 2) for value in os.getloadavg()]
    webhooks = intake(env, ids, args, f"serve-{label}")
    worker = drain(env, reader, args, f"worker-{label}")
    found = statuses(reader, ids)
    result = {
        "db": kind,
        "past_bookings": size,
        "rows_before_sample": rows,
        "sample": args.sample,
        "intake": webhooks,
        "worker_seconds": round(worker["seconds"], 2),
        "events_per_second": round(args.sample / worker["seconds"], 1),
        "worker_cpu_ms_per_event": round(worker["cpu_seconds"] / args.sample * 1000, 3),
        "floor_client_cpu_ms_per_call": floor,
        "worker_cpu_vs_floor": round(worker["cpu_seconds"] / args.sample * 1000 / floor, 2),
        "sample_statuses": found,
        "lost": args.sample - found.get("scheduled", 0),
        "load_average": {"before": load_before, "after": [round(v, 2) for v in os.getloadavg()]},
    }
    print(
        f"{kind:8} {size:>7} past bookings: intake {webhooks['server_cpu_ms_per_request']:.2f} "
        f"ms CPU/request ({webhooks['per_second']}/s, errors {webhooks['errors']}), "
        f"worker {result['worker_cpu_ms_per_event']:.2f} ms CPU/event "
        f"({result['events_per_second']} ev/s, {result['worker_cpu_vs_floor']}x the floor "
        f"{floor:.2f} ms), lost {result['lost']}, "
        f"load {load_before[0]}",
        flush=True,
    )
    return result


def ratios(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Largest size over smallest, per CPU figure, with the verdict."""
    small, large = results[0], results[-1]
    worker = large["worker_cpu_ms_per_event"] / small["worker_cpu_ms_per_event"]
    webhook = (
        large["intake"]["server_cpu_ms_per_request"] / small["intake"]["server_cpu_ms_per_request"]
    )
    return {
        "sizes": [small["past_bookings"], large["past_bookings"]],
        "worker_cpu_ratio": round(worker, 3),
        "intake_cpu_ratio": round(webhook, 3),
        # Above 1: the machine itself got slower between the two measurements.
        "floor_ratio": round(
            large["floor_client_cpu_ms_per_call"] / small["floor_client_cpu_ms_per_call"], 3
        ),
        "met": worker <= TARGET_RATIO and webhook <= TARGET_RATIO,
    }


def run_database(kind: str, args: argparse.Namespace, sandbox: Sandbox) -> dict[str, Any]:
    from leadscalendar.db.base import utcnow
    from leadscalendar.services import build_services

    unpaced = str(NO_QUOTA_PER_MINUTE)
    with scratch_database(kind) as url:
        env = app_env(
            url,
            sandbox.base_url,
            args.app_port,
            google_rate_per_user_per_minute=unpaced,
            google_rate_per_project_per_minute=unpaced,
            calendar_poll_seconds=POLL_OUT_OF_THE_WAY_SECONDS,
        )
        services = build_services(settings_from(env))
        reader = create_engine(url)
        try:
            started = time.monotonic()
            hosts = seed(services, sandbox, args.hosts)
            print(f"{kind:8} {len(hosts)} hosts connected in {time.monotonic() - started:.0f} s")
            results, filled = [], 0
            for index, size in enumerate(args.sizes):
                fill_started = time.monotonic()
                fill_history(
                    services.engine,
                    hosts,
                    size - filled,
                    now=utcnow(),
                    history_days=args.history_days,
                    first=filled,
                )
                filled = size
                if kind == "postgres":
                    with services.engine.connect() as connection:
                        connection.execute(text("ANALYZE"))
                        connection.commit()
                print(f"{kind:8} filled to {size} in {time.monotonic() - fill_started:.0f} s")
                results.append(
                    measure_size(
                        size=size,
                        services=services,
                        sandbox=sandbox,
                        reader=reader,
                        env=env,
                        hosts=hosts,
                        args=args,
                        kind=kind,
                        day_offset=SAMPLE_DAY_OFFSET + 10 * index,
                    )
                )
            pruned = prune(services, reader)
            print(f"{kind:8} pruning: {pruned['before']} -> {pruned['after']}", flush=True)
            return {"db": kind, "runs": results, "ratio": ratios(results), "prune": pruned}
        finally:
            reader.dispose()
            services.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda value: sorted(int(part) for part in value.split(",") if part),
        default=[2000, 50_000],
        help="past bookings in the database at each measurement, ascending (default 2000,50000)",
    )
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=2000, help="bookings measured per size")
    parser.add_argument("--in-flight", type=int, default=4, help="webhooks sent at a time")
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--floor-events", type=int, default=200, help="bare events.insert calls per floor"
    )
    parser.add_argument("--history-days", type=float, default=90.0)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    args.app_port = free_port()
    args.log_dir = Path(tempfile.mkdtemp(prefix="lc-bench-logs-"))
    started = time.monotonic()
    report: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv)}
    report["parameters"] = {
        key: getattr(args, key)
        for key in ("sizes", "hosts", "sample", "in_flight", "latency_ms", "concurrency", "db")
    }
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    redirect = f"http://127.0.0.1:{args.app_port}/oauth/google/callback"
    with google_sandbox(redirect, args.log_dir) as sandbox:
        sandbox.set_latency(args.latency_ms / 1000)
        sandbox.set_quotas(False)
        report["databases"] = [run_database(kind, args, sandbox) for kind in kinds]
    for database in report["databases"]:
        ratio = database["ratio"]
        print(
            f"target {database['db']}: CPU per event {ratio['sizes'][1]} vs {ratio['sizes'][0]} "
            f"past bookings: worker {ratio['worker_cpu_ratio']}x, intake "
            f"{ratio['intake_cpu_ratio']}x (<= {TARGET_RATIO}x: "
            f"{'met' if ratio['met'] else 'not met'}); the floor moved {ratio['floor_ratio']}x"
        )
    report["lost"] = sum(run["lost"] for db in report["databases"] for run in db["runs"])
    report["errors"] = sum(
        run["intake"]["errors"] for db in report["databases"] for run in db["runs"]
    )
    report["seconds"] = round(time.monotonic() - started, 1)
    report["logs"] = str(args.log_dir)
    print(f"lost {report['lost']}, webhook errors {report['errors']}; {report['seconds']} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0 if report["lost"] == 0 and report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
