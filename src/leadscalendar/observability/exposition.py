"""One ``/metrics`` answer: this process's instruments, or every process's, plus the database.

Multiprocess mode is ``prometheus_client``'s own: with ``PROMETHEUS_MULTIPROC_DIR``
set in the environment of every web and worker process of a machine (before
they start, since the library reads it at import), each process writes its
samples to files in that directory and the scraping process merges them.
Files of processes that are gone are removed when a process starts
(``clean_multiprocess_dir``), so a restart leaves no stale live gauges behind;
their counters restart from zero, which Prometheus reads as a counter reset.
"""

from __future__ import annotations

import atexit
import hmac
import os
import re
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.observability.collectors import DatabaseCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# counter_1234.db, gauge_livesum_1234.db, histogram_1234.db: the writer's process id.
_PID_IN_NAME = re.compile(r"_(\d+)\.db$")
_prepared: set[int] = set()


def multiprocess_dir() -> Path | None:
    """The directory shared by this machine's processes, when multiprocess mode is on."""
    value = os.environ.get(MULTIPROC_ENV, "")
    return Path(value) if value else None


class _ProcessInstruments(Collector):
    """This process's own instruments (the default registry), for a registry of our own."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def build_registry(
    session_factory: sessionmaker[Session], directory: Path | None = None
) -> CollectorRegistry:
    """What a scrape renders: instruments (merged over processes if ``directory``) + database."""
    registry = CollectorRegistry(auto_describe=False)
    if directory is not None:
        # (prometheus_client leaves this constructor unannotated.)
        multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    else:
        registry.register(_ProcessInstruments())
    registry.register(DatabaseCollector(session_factory))
    return registry


def render(registry: CollectorRegistry, accept: str | None) -> tuple[bytes, str]:
    """The body and its content type, in the format the scraper's Accept header asks for."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


def token_matches(authorization: str | None, token: str) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def clean_multiprocess_dir(directory: Path) -> int:
    """Create the directory if needed; remove the files of processes no longer running.

    Called by every process at start: files of live processes stay (several
    processes start independently on one machine), those of dead ones go.
    Returns how many files were removed.
    """
    directory.mkdir(parents=True, exist_ok=True)
    removed = 0
    for path in directory.glob("*.db"):
        match = _PID_IN_NAME.search(path.name)
        if match is None or _running(int(match.group(1))):
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def prepare_process() -> None:
    """At a process's start: clean the shared directory, and mark this process dead on exit."""
    directory, pid = multiprocess_dir(), os.getpid()
    if directory is None or pid in _prepared:
        return
    _prepared.add(pid)
    clean_multiprocess_dir(directory)
    atexit.register(multiprocess.mark_process_dead, pid, str(directory))


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True
