"""Two worker processes share one queue; runs on every configured backend.

On PostgreSQL the processes coordinate with ``FOR UPDATE SKIP LOCKED``; on
SQLite with ``BEGIN IMMEDIATE`` on one file (several processes on one machine).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.jobs import JobStatus
from tests.jobs.support import effect_counts, effects, enqueue_many, status_counts, wait_until

pytestmark = pytest.mark.usefixtures("with_effects")
ROOT = Path(__file__).resolve().parents[2]


def test_two_worker_processes_drain_500_jobs_each_effect_once(
    database_url: str, session_factory: sessionmaker[Session]
) -> None:
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.worker_process", database_url, f"proc-{n}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        ids = enqueue_many(session_factory, 500, sleep=0.002)

        def drained() -> bool:
            assert all(worker.poll() is None for worker in workers), "a worker died"
            return status_counts(session_factory) == {JobStatus.SUCCEEDED: 500}

        wait_until(drained, timeout=90)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0]
    stats = [json.loads(output.strip().splitlines()[-1]) for output in outputs]
    assert effect_counts(session_factory) == {str(job_id): 1 for job_id in ids}
    assert sum(s["succeeded"] for s in stats) == 500
    assert all(s["succeeded"] > 0 for s in stats), stats
    with session_factory() as session:
        owners = session.scalars(select(effects.c.worker)).all()
    by_process = Counter(owner.split("/")[0] for owner in owners)
    assert by_process == {"proc-0": stats[0]["succeeded"], "proc-1": stats[1]["succeeded"]}
