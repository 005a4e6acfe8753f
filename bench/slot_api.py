"""Benchmark: the public slot API's server CPU against a bare FastAPI floor, and its capacity.

Run ``.venv/bin/python bench/slot_api.py [--db sqlite|postgres] [--rate 20]
[--duration 10] [--clients 8] [--hosts 10] [--json out.json]``.

Why it is built this way:

* Our server is ``leadscalendar serve`` (one uvicorn worker, log level WARNING)
  on a fresh database; ``--hosts`` hosts connect Google through the product's
  own code and get ``--busy`` events of their own in the sandbox's calendar.
  The requests are ``GET /api/v1/public/hosts/{host}/types/session/slots`` for
  a week (four weeks per host), the JSON a lead's page asks for.
* Every distinct request is made once before measuring: the answers become
  the floor's bodies, and the free/busy cache is warm (entries live 30 s, so a
  few misses happen during a run; their Google calls are counted and shown).
* The floor (``bench/floors.py``) is a bare FastAPI + uvicorn endpoint on the
  same path returning the same JSON, run in the same way, measured in the same
  run on the same requests: the ratio of CPU per request is what the target
  is about (machines here differ by 3x; ratios do not).
* CPU is the server process's own (``/proc/<pid>/stat``), never wall time.
  Phase "paced": open loop at ``--rate`` (below either's capacity), latency
  counted from each request's scheduled time. Phase "saturated":
  ``--clients`` clients each send the next request as soon as the last is
  answered: the rate one process sustains, and whether requests are served
  in arrival order (p99 within 5x the mean; a server starving some requests
  shows a long tail instead).

Targets (issue 15): CPU per request <= 2x the floor's; saturated p99 <= 5x mean.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from _harness import (
    BIN,
    ROOT,
    Process,
    app_env,
    fire,
    free_port,
    google_sandbox,
    machine,
    percentile,
    scratch_database,
    seed_bookable_hosts,
    settings_from,
    spawn,
    start_server,
    tree_cpu_seconds,
)

TARGET_CPU_RATIO = 2.0
TARGET_TAIL_RATIO = 5.0
ZONE = "Europe/Paris"
WEEKS = 4


def distinct_paths(hosts: int) -> list[str]:
    today = datetime.now(UTC).date()
    return [
        f"/api/v1/public/hosts/host-{host}/types/session/slots"
        f"?start={(today + timedelta(days=7 * week)).isoformat()}&days=7&tz={ZONE}"
        for host in range(hosts)
        for week in range(WEEKS)
    ]


async def saturate(
    base_url: str, paths: list[str], clients: int, duration: float
) -> tuple[list[float], list[str], float]:
    """``clients`` closed loops for ``duration`` s: latencies (ms), errors, elapsed seconds."""
    latencies: list[float] = []
    errors: list[str] = []
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30.0)
    rng = random.Random(7)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as client:
        started = time.monotonic()
        end = started + duration

        async def loop() -> None:
            while time.monotonic() < end:
                path = rng.choice(paths)
                sent = time.monotonic()
                try:
                    async with client.get(path) as reply:
                        body = await reply.read()
                        if reply.status != 200 or b'"days"' not in body:
                            errors.append(f"{reply.status} {path} {body[:200]!r}")
                except (aiohttp.ClientError, TimeoutError) as error:
                    errors.append(f"{type(error).__name__}: {error}")
                latencies.append((time.monotonic() - sent) * 1000)

        await asyncio.gather(*(loop() for _ in range(clients)))
        elapsed = time.monotonic() - started
    return latencies, errors, elapsed


def _summary(
    latencies: list[float], errors: list[str], elapsed: float, cpu: float
) -> dict[str, Any]:
    count = max(len(latencies), 1)
    mean = sum(latencies) / count
    return {
        "requests": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {
            "mean": round(mean, 2),
            "p50": round(percentile(latencies, 50), 2),
            "p99": round(percentile(latencies, 99), 2),
            "max": round(max(latencies, default=0.0), 2),
        },
        "p99_over_mean": round(percentile(latencies, 99) / mean, 2) if mean else 0.0,
        "errors": len(errors),
        "error_samples": errors[:3],
        "server_cpu_ms_per_request": round(cpu / count * 1000, 3),
    }


def measure(pid: int, run: Callable[[], tuple[list[float], list[str], float]]) -> dict[str, Any]:
    cpu_before = tree_cpu_seconds(pid)
    latencies, errors, elapsed = run()
    return _summary(latencies, errors, elapsed, tree_cpu_seconds(pid) - cpu_before)


def paced(base: str, paths: list[str], args: argparse.Namespace) -> Callable[..., Any]:
    rng = random.Random(args.seed)
    sequence = [rng.choice(paths) for _ in range(int(args.rate * args.duration))]

    def run() -> tuple[list[float], list[str], float]:
        started = time.monotonic()
        latencies, errors, _lag = asyncio.run(fire(base, sequence, args.rate, args.clients))
        return latencies, errors, time.monotonic() - started

    return run


def saturated(base: str, paths: list[str], args: argparse.Namespace) -> Callable[..., Any]:
    return lambda: asyncio.run(saturate(base, paths, args.clients, args.duration))


def start_floor(bodies: Path, log_dir: Path, probe: str) -> tuple[Process, int]:
    port = free_port()
    args = [str(BIN / "python"), str(ROOT / "bench" / "floors.py"), "--kind", "slots"]
    floor = spawn("floor-slots", [*args, "--port", str(port), "--bodies", str(bodies)], {}, log_dir)
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=2).raise_for_status()
            return floor, port
        except httpx.HTTPError:
            if floor.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"floor did not start:\n{floor.log()[-3000:]}") from None
            time.sleep(0.1)


def run(args: argparse.Namespace, log_dir: Path) -> dict[str, Any]:
    from leadscalendar.services import build_services

    port = free_port()
    report: dict[str, Any] = {}
    with (
        scratch_database(args.db) as url,
        google_sandbox(f"http://127.0.0.1:{port}/oauth/google/callback", log_dir) as sandbox,
    ):
        env = app_env(url, sandbox.base_url, port, log_level="WARNING")
        services = build_services(settings_from(env))
        seed_bookable_hosts(services, sandbox, args.hosts, args.busy, args.seed)
        services.engine.dispose()
        sandbox.set_latency(args.latency_ms / 1000)
        paths = distinct_paths(args.hosts)
        server = start_server(env, port, log_dir, "serve-slots")
        floor: Process | None = None
        try:
            bodies = {}
            for path in paths:  # warm the free/busy cache; the floor answers the same
                answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=30)
                answer.raise_for_status()
                bodies[path] = answer.json()
            bodies_file = log_dir / "slot-bodies.json"
            bodies_file.write_text(json.dumps(bodies))
            floor, floor_port = start_floor(bodies_file, log_dir, paths[0])
            ours_base, floor_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"
            sandbox.control("POST", "stats/reset")
            for phase, make in (("paced", paced), ("saturated", saturated)):
                report[phase] = {
                    "ours": measure(server.pid, make(ours_base, paths, args)),
                    "floor": measure(floor.pid, make(floor_base, paths, args)),
                }
            report["google_calls"] = sandbox.stats()["calls"]
        finally:
            if floor is not None:
                floor.stop()
            server.stop()
    return report


def verdicts(report: dict[str, Any]) -> dict[str, Any]:
    paced_phase, saturated_phase = report["paced"], report["saturated"]
    ratio = (
        paced_phase["ours"]["server_cpu_ms_per_request"]
        / paced_phase["floor"]["server_cpu_ms_per_request"]
    )
    tail = saturated_phase["ours"]["p99_over_mean"]
    return {
        "cpu_ratio_paced": round(ratio, 2),
        "cpu_ratio_saturated": round(
            saturated_phase["ours"]["server_cpu_ms_per_request"]
            / saturated_phase["floor"]["server_cpu_ms_per_request"],
            2,
        ),
        "cpu_target_met": ratio <= TARGET_CPU_RATIO,
        "sustained_per_second": saturated_phase["ours"]["per_second"],
        "p99_over_mean": tail,
        "order_target_met": tail <= TARGET_TAIL_RATIO,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rate", type=float, default=20.0, help="paced requests per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--busy", type=int, default=30, help="Google events per host")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="per Calendar call")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="lc-bench-logs-"))
    report: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv)}
    report["phases"] = run(args, log_dir)
    report["verdicts"] = verdicts(report["phases"])
    print(f"slot API, {args.hosts} hosts, db {args.db}, {args.clients} clients when saturated")
    print(
        f"{'phase':10} {'server':7} {'req/s':>7} {'mean':>8} {'p99':>8} {'p99/mean':>8} "
        f"{'errors':>6} {'CPU/req':>9}"
    )
    for phase in ("paced", "saturated"):
        for who in ("ours", "floor"):
            row = report["phases"][phase][who]
            lat = row["latency_ms"]
            print(
                f"{phase:10} {who:7} {row['per_second']:7.1f} {lat['mean']:6.1f}ms "
                f"{lat['p99']:6.1f}ms {row['p99_over_mean']:8.2f} {row['errors']:6} "
                f"{row['server_cpu_ms_per_request']:7.2f}ms"
            )
    verdict = report["verdicts"]
    print(f"Google calls during the phases: {report['phases']['google_calls']}")
    print(
        f"CPU per request vs floor: {verdict['cpu_ratio_paced']}x paced, "
        f"{verdict['cpu_ratio_saturated']}x saturated (target <= {TARGET_CPU_RATIO}x): "
        f"{'met' if verdict['cpu_target_met'] else 'NOT met'}"
    )
    print(
        f"one process sustains {verdict['sustained_per_second']}/s; saturated p99/mean "
        f"{verdict['p99_over_mean']} (target <= {TARGET_TAIL_RATIO}): "
        f"{'met' if verdict['order_target_met'] else 'NOT met'}"
    )
    report["logs"] = str(log_dir)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    phases = report["phases"]
    return (
        1
        if any(phases[p][w]["errors"] for p in ("paced", "saturated") for w in ("ours", "floor"))
        else 0
    )


if __name__ == "__main__":
    sys.exit(main())
