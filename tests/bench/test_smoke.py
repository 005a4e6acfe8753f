"""Smoke tests for the benchmark scripts: they still run end to end and report what they promise.

Tiny sizes on SQLite; nothing here is timed (benchmarks are scripts, and a
shared CI machine makes timings meaningless). What is asserted is what must
hold at any speed: the JSON has its fields, and no booking was lost or
scheduled twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_script(name: str, args: list[str], out: Path) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), *args, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report: dict[str, object] = json.loads(out.read_text())
    return report


@pytest.mark.timeout(600)
def test_pipeline_script_runs_and_loses_nothing(tmp_path: Path) -> None:
    report = run_script(
        "pipeline.py",
        [
            "--bookings", "20", "--hosts", "2", "--latency-ms", "5", "--db", "sqlite",
            "--concurrency", "4", "--baseline-events", "5", "--stream-count", "5",
            "--phases", "off1,on1,on1h", "--one-host-bookings", "20",
        ],
        tmp_path / "pipeline.json",
    )  # fmt: skip
    baseline = report["baseline"]
    assert isinstance(baseline, dict) and baseline["events_per_second"] > 0
    phases = report["phases"]
    assert isinstance(phases, list)
    assert [phase["label"] for phase in phases] == [
        "quotas off, 1 process",
        "quotas on, 1 process",
        "quotas on, 1 process, one host",
    ]
    for phase in phases:
        for key in (
            "events_per_second",
            "ratio_to_baseline",
            "fraction_of_limit",
            "latency_ms",
            "peak_rss_mb",
            "rate_limit_errors",
            "worker_cpu_ms_per_event",
        ):
            assert key in phase, key
        assert set(phase["latency_ms"]) >= {"p50", "p95", "p99"}
        assert phase["lost"] == 0
        assert phase["duplicates"] == 0
        assert phase["job_statuses"] == {"succeeded": 20}
    assert report["lost"] == 0 and report["duplicates"] == 0


@pytest.mark.timeout(600)
def test_webhooks_script_runs_and_pays_every_booking(tmp_path: Path) -> None:
    report = run_script(
        "webhooks.py",
        ["--rate", "20", "--duration", "1", "--db", "sqlite", "--hosts", "2"],
        tmp_path / "webhooks.json",
    )
    runs = report["runs"]
    assert isinstance(runs, list) and len(runs) == 1
    run = runs[0]
    assert run["sent"] == 20
    assert set(run["latency_ms"]) >= {"p50", "p90", "p99", "max"}
    assert run["errors"] == 0
    assert run["not_paid"] == 0
    assert run["database"]["payment_events"] == 20
    assert run["database"]["jobs"] == 20


@pytest.mark.timeout(300)
def test_webhook_fanout_script_delivers_everything_once_in_order(tmp_path: Path) -> None:
    report = run_script(
        "webhook_fanout.py",
        ["--events", "20", "--endpoints", "2", "--floor", "20", "--concurrency", "4"],
        tmp_path / "fanout.json",
    )
    result = report["result"]
    assert isinstance(result, dict)
    assert result["deliveries"] == 40 and result["received"] == 40
    assert result["lost"] == 0 and result["duplicates"] == 0 and result["out_of_order"] == 0
    for key in ("deliveries_per_second", "cpu_ms_per_delivery", "floor_cpu_ms_per_post"):
        assert float(result[key]) > 0


@pytest.mark.timeout(600)
def test_scale_script_measures_both_sizes_and_prunes(tmp_path: Path) -> None:
    report = run_script(
        "scale.py",
        [
            "--sizes", "4,12", "--hosts", "3", "--sample", "4",
            "--db", "sqlite", "--concurrency", "4", "--floor-events", "3",
        ],
        tmp_path / "scale.json",
    )  # fmt: skip
    databases = report["databases"]
    assert isinstance(databases, list) and len(databases) == 1
    database = databases[0]
    assert [run["past_bookings"] for run in database["runs"]] == [4, 12]
    for run in database["runs"]:
        assert run["lost"] == 0 and run["intake"]["errors"] == 0
        assert run["sample_statuses"] == {"scheduled": 4}
        assert run["worker_cpu_ms_per_event"] > 0
        assert run["intake"]["server_cpu_ms_per_request"] > 0
    # The second size holds the first one's past bookings and sample, and its own.
    assert database["runs"][1]["rows_before_sample"]["bookings"] == 12 + 4
    assert set(database["ratio"]) >= {"worker_cpu_ratio", "intake_cpu_ratio", "met"}
    pruned = database["prune"]
    # Past bookings spread over 90 days: the retention settings keep 30 days of jobs
    # and 72 hours of idempotent answers, so some of each go and work in flight stays.
    assert pruned["after"]["jobs"] < pruned["before"]["jobs"]
    assert pruned["after"]["idempotency_keys"] < pruned["before"]["idempotency_keys"]
