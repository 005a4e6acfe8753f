"""Multiprocess mode: samples of several processes summed in one scrape; dead ones cleaned."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.observability import exposition
from tests.support.metrics import Samples, parse, value

# One process's work: mails, a finished job, a quota reading; then wait for stdin to close.
RECORDER = """
import sys
from leadscalendar.observability import exposition, metrics
exposition.prepare_process()
mails, quota = int(sys.argv[1]), float(sys.argv[2])
for _ in range(mails):
    metrics.mail_handled("booking_confirmed", "sent")
metrics.job_attempt_finished(kind="create_calendar_event", outcome="succeeded",
    status="succeeded", attempt=1, run_seconds=0.02, enqueued_at=None)
metrics.GOOGLE_QUOTA_TOKENS_IN_USE.labels("project").set(quota)
print("ready", flush=True)
sys.stdin.read()
"""


def _start(directory: Path, mails: int, quota: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", RECORDER, str(mails), str(quota)],
        env={**os.environ, exposition.MULTIPROC_ENV: str(directory)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def _stop(process: subprocess.Popen[str]) -> None:
    process.communicate(timeout=10)
    assert process.returncode == 0


def _scrape(session_factory: sessionmaker[Session], directory: Path) -> Samples:
    registry = exposition.build_registry(session_factory, directory)
    body, _content_type = exposition.render(registry, None)
    return parse(body.decode())


def test_two_processes_samples_are_aggregated(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    first = _start(tmp_path, mails=2, quota=3.0)
    second = _start(tmp_path, mails=3, quota=4.0)
    try:
        both = _scrape(session_factory, tmp_path)
        _stop(first)
        one_left = _scrape(session_factory, tmp_path)
    finally:
        for process in (first, second):
            if process.poll() is None:
                _stop(process)
    mails = {"template": "booking_confirmed", "result": "sent"}
    job = {"kind": "create_calendar_event", "outcome": "succeeded"}
    quota = {"scope": "project"}
    assert value(both, "leadscalendar_mails_total", **mails) == 5
    assert value(both, "leadscalendar_job_attempts_total", **job) == 2
    assert value(both, "leadscalendar_job_run_seconds_count", kind="create_calendar_event") == 2
    # The busiest live process: with Redis every process reads the same shared count.
    assert value(both, "leadscalendar_google_quota_tokens_in_use", **quota) == 4
    # A process that exits keeps its counts, but its live gauge no longer counts.
    assert value(one_left, "leadscalendar_mails_total", **mails) == 5
    assert value(one_left, "leadscalendar_google_quota_tokens_in_use", **quota) == 4
    # The database gauges come with them, read once by the scraping process.
    assert ("leadscalendar_bookings", frozenset({("state", "held")})) in both


def test_cleaning_at_start_removes_only_the_files_of_processes_that_are_gone(
    tmp_path: Path,
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(gone.stdout)
    directory = tmp_path / "metrics"
    assert exposition.clean_multiprocess_dir(directory) == 0  # created
    mine = directory / f"counter_{os.getpid()}.db"
    theirs = directory / f"histogram_{dead_pid}.db"
    unrelated = directory / "notes.txt"
    for path in (mine, theirs, unrelated):
        path.write_bytes(b"")
    assert exposition.clean_multiprocess_dir(directory) == 1
    assert mine.exists() and unrelated.exists() and not theirs.exists()
