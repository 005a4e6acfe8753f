"""A worker process for the multi-process test: ``python -m tests.jobs.worker_process URL ID``.

Prints ``ready`` once it can claim, runs until SIGTERM, then prints its stats
as JSON on one line.
"""

from __future__ import annotations

import json
import sys
import threading

from leadscalendar.db.engine import build_engine
from leadscalendar.db.session import build_session_factory
from leadscalendar.jobs import run_worker, stop_on_signals
from tests.jobs.support import make_registry


def main(database_url: str, worker_id: str) -> None:
    engine = build_engine(database_url)
    session_factory = build_session_factory(engine)
    stop = threading.Event()
    with stop_on_signals(stop):
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        stats = run_worker(
            session_factory,
            make_registry(),
            concurrency=2,
            poll_interval=0.02,
            stop_event=stop,
            worker_id=worker_id,
        )
    engine.dispose()
    sys.stdout.write(json.dumps({"succeeded": stats.succeeded, "claimed": stats.claimed}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
