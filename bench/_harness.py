"""Shared set-up for the benchmarks: the product wired on loopback, hosts, senders.

Why a harness of its own rather than ``tests/support``: benchmarks run the
application the way an operator does (``leadscalendar worker`` and
``leadscalendar serve`` as separate processes, configured by environment), and
the Google sandbox runs in its own process too, so the process being measured
shares a core with nothing of the benchmark's own making except the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POSTGRES_SERVER_URL = os.environ.get(
    "LEADSCALENDAR_BENCH_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres"
)
CLIENT_ID = "bench-client.apps.googleusercontent.com"
CLIENT_SECRET = "bench-google-client-secret"  # noqa: S105 - a loopback sandbox's secret
WEBHOOK_SECRET = "whsec_bench0secret0used0only0on0loopback"  # noqa: S105 - loopback only
SECRET_KEY = "bench-secret-key-0123456789abcdef0123"  # noqa: S105 - loopback only
PRICE_MINOR = 9000

# oauthlib refuses http:// redirect URIs otherwise; everything here is loopback.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; 0.0 for an empty list (a run that did nothing)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def vm_hwm_mb(pid: int) -> float:
    """Peak resident memory of a live process (Linux ``VmHWM``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_core_seconds() -> float:
    """Idle + iowait CPU time of the whole machine so far, all cores (``/proc/stat``)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")


def cores_free(seconds: float) -> float:
    """How many cores sat idle, on average, over the next ``seconds`` (blocks meanwhile)."""
    idle, started = idle_core_seconds(), time.monotonic()
    time.sleep(seconds)
    return (idle_core_seconds() - idle) / (time.monotonic() - started)


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a live process and its live children (uvicorn's worker processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return cpu_seconds(pid) + sum(tree_cpu_seconds(int(child)) for child in children)


# -- databases ------------------------------------------------------------------------


@contextmanager
def scratch_database(kind: str) -> Iterator[str]:
    """A fresh, migrated database for one benchmark run, dropped (or deleted) afterwards."""
    from leadscalendar.db import migrate

    if kind == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="lc-bench-"))
        url = f"sqlite:///{(directory / 'bench.sqlite3').as_posix()}"
        try:
            migrate.upgrade(url)
            yield url
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    server = make_url(POSTGRES_SERVER_URL)
    name = f"lc_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- processes ------------------------------------------------------------------------


@dataclass
class Process:
    """A child process whose stderr goes to a file (a full pipe would stall it)."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, needle: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.log():
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not log {needle!r}:\n{self.log()[-3000:]}")
            time.sleep(0.05)

    def stop(self, timeout: float = 60.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()


def spawn(name: str, args: list[str], env: Mapping[str, str], log_dir: Path) -> Process:
    log_path = log_dir / f"{name}.log"
    handle = log_path.open("wb")
    popen = subprocess.Popen(
        args, cwd=ROOT, env={**os.environ, **env}, stdout=handle, stderr=subprocess.STDOUT
    )
    handle.close()
    return Process(name, popen, log_path)


def wait_until_serving(server: Process, port: int, timeout: float = 60.0) -> None:
    """Until ``leadscalendar serve`` answers ``/healthz`` (any non-5xx), or fail with its log."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if server.popen.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"serve did not start:\n{server.log()[-3000:]}")
        time.sleep(0.1)


@contextmanager
def serving(
    name: str, env: Mapping[str, str], port: int, log_dir: Path, workers: int = 1
) -> Iterator[Process]:
    """``leadscalendar serve`` on ``port`` in its own process, stopped on the way out."""
    command = [str(BIN / "leadscalendar"), "serve", "--port", str(port)]
    server = spawn(name, [*command, "--workers", str(workers)], env, log_dir)
    try:
        wait_until_serving(server, port)
        yield server
    finally:
        server.stop()


# -- the Google sandbox -----------------------------------------------------------------


@dataclass
class Sandbox:
    """A Google sandbox in its own process, and its control API."""

    base_url: str
    process: Process
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=60.0)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, f"_sandbox/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def set_latency(self, seconds: float) -> None:
        self.control("POST", "latency", {"seconds": seconds})

    def set_quotas(self, on: bool) -> None:
        body = (
            {"per_user_per_minute": 600, "per_project_per_minute": 10_000}
            if on
            else {"per_user_per_minute": None, "per_project_per_minute": None}
        )
        self.control("POST", "quotas", body)

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.control("GET", "stats")
        return stats

    def events(self, calendar_id: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.control("GET", f"calendars/{calendar_id}/events")[
            "events"
        ]
        return events

    def consent(self, authorization_url: str, account_email: str) -> str:
        """Play the host on the consent page (every scope ticked); returns the redirect URL."""
        import re
        from html import unescape

        page = self.http.get(authorization_url)
        page.raise_for_status()
        match = re.search(r'name="request_id" value="([^"]+)"', page.text)
        assert match, "no consent form"
        scopes = re.findall(r'type="checkbox" name="scope" id="[^"]+" value="([^"]+)"', page.text)
        answer = self.http.post(
            "o/oauth2/v2/auth/decision",
            data={
                "request_id": match.group(1),
                "decision": "allow",
                "scope": [unescape(scope) for scope in scopes],
                "account_email": account_email,
            },
        )
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]


@contextmanager
def google_sandbox(redirect_uri: str, log_dir: Path) -> Iterator[Sandbox]:
    port = free_port()
    code = (
        "import sys, uvicorn\n"
        "from leadscalendar.sandbox.google import SandboxConfig, create_sandbox_app\n"
        f"config = SandboxConfig(client_id={CLIENT_ID!r}, client_secret={CLIENT_SECRET!r}, "
        f"redirect_uris=({redirect_uri!r},))\n"
        f"uvicorn.run(create_sandbox_app(config), host='127.0.0.1', port={port}, "
        "log_level='warning', access_log=False, lifespan='off', ws='none')\n"
    )
    process = spawn("google-sandbox", [sys.executable, "-c", code], {}, log_dir)
    sandbox = Sandbox(f"http://127.0.0.1:{port}/", process)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                sandbox.stats()
                break
            except httpx.HTTPError:
                if process.popen.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sandbox did not start:\n{process.log()}") from None
                time.sleep(0.05)
        yield sandbox
    finally:
        sandbox.http.close()
        process.stop()


# -- application settings ---------------------------------------------------------------


def app_env(
    database_url: str, sandbox_base: str, app_port: int, **extra: str | int | float
) -> dict[str, str]:
    """The ``LEADSCALENDAR_*`` environment every process of one run shares."""
    from leadscalendar.google.tokens import generate_key

    env = {
        "environment": "development",
        "database_url": database_url,
        "public_url": f"http://127.0.0.1:{app_port}",
        "secret_key": SECRET_KEY,
        "token_keys": generate_key(),
        "google_client_id": CLIENT_ID,
        "google_client_secret": CLIENT_SECRET,
        "google_auth_uri": f"{sandbox_base}o/oauth2/v2/auth",
        "google_token_uri": f"{sandbox_base}token",
        "google_revoke_uri": f"{sandbox_base}revoke",
        "google_userinfo_uri": f"{sandbox_base}oauth2/v3/userinfo",
        "google_api_base": sandbox_base,
        "payment_provider": "sandbox",
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "log_level": "INFO",
    }
    env.update({key: str(value) for key, value in extra.items()})
    return {f"LEADSCALENDAR_{key.upper()}": value for key, value in env.items()}


def settings_from(env: Mapping[str, str]) -> Any:
    """The ``Settings`` the child processes will build from ``env``, for this process."""
    from leadscalendar.config import Settings

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


# -- seeding ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededHost:
    id: uuid.UUID
    email: str
    booking_type_id: uuid.UUID


def seed_hosts(
    services: Any, sandbox: Sandbox | None, count: int, *, first: int = 0
) -> list[SeededHost]:
    """``count`` hosts, each with a paid booking type and (with a sandbox) Google connected.

    Hosts are numbered from ``first`` (e-mail, slug), so several calls can seed
    disjoint ranges side by side (threads).

    Connecting is the product's own code (``google.service.start_connect``,
    ``consume_state``, ``finish_connect``: PKCE, state, code exchange, userinfo)
    with the consent page answered over HTTP, each host as its own Google account,
    so per-user quotas apply per host as at Google.
    """
    from leadscalendar.accounts.models import Host
    from leadscalendar.accounts.passwords import hash_password
    from leadscalendar.bookings.booking_types import BookingTypeIn, create_booking_type
    from leadscalendar.db.session import unit_of_work
    from leadscalendar.google import service as google_service

    password_hash = hash_password("bench password 0123")
    hosts: list[SeededHost] = []
    for index in range(first, first + count):
        email = f"host{index}@bench.test"
        nonce = uuid.uuid4().hex
        with unit_of_work(services.session_factory) as session:
            host = Host(
                email=email,
                name=f"Host {index}",
                slug=f"host-{index}",
                password_hash=password_hash,
                timezone="Europe/Paris",
            )
            session.add(host)
            session.flush()
            booking_type = create_booking_type(
                session,
                host.id,
                BookingTypeIn(
                    slug="session",
                    title="Coaching session",
                    duration_minutes=60,
                    price_minor=PRICE_MINOR,
                    currency="eur",
                    min_notice_minutes=60,
                ),
            )
            url = None
            if sandbox is not None:
                url = google_service.start_connect(
                    session, services.settings, services.cipher, host=host, session_nonce=nonce
                )
            hosts.append(SeededHost(host.id, email, booking_type.id))
        if sandbox is None or url is None:
            continue
        redirect = sandbox.consent(url, account_email=email)
        query = {key: values[0] for key, values in parse_qs(urlsplit(redirect).query).items()}
        with unit_of_work(services.session_factory) as session:
            host = session.get(Host, hosts[-1].id)
            assert host is not None
            verifier = google_service.consume_state(
                session, services.cipher, host=host, session_nonce=nonce, state=query["state"]
            )
        with unit_of_work(services.session_factory) as session:
            host = session.get(Host, hosts[-1].id)
            assert host is not None
            google_service.finish_connect(
                session,
                services.settings,
                services.cipher,
                host=host,
                code=query["code"],
                code_verifier=verifier,
            )
    return hosts


def seed_busy(sandbox: Sandbox, emails: list[str], per_host: int, seed: int) -> None:
    """Events the hosts made in Google themselves: an hour each, in the next 60 days."""
    rng = random.Random(seed)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for email in emails:
        for _ in range(per_host):
            start = today + timedelta(days=rng.randrange(1, 60), hours=rng.randrange(7, 17))
            body = {
                "summary": "Busy",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            }
            answer = sandbox.http.post(f"_sandbox/calendars/{email}/events", json=body)
            answer.raise_for_status()


def seed_bookable_hosts(
    services: Any, sandbox: Sandbox, count: int, busy_per_host: int, seed: int
) -> list[SeededHost]:
    """``seed_hosts``, confirmed (only they have public pages), with Google events of their own.

    What the lead-facing benchmarks (``availability_pages.py``, ``slot_api.py``)
    start from: ``host-0`` ... with a ``session`` type, busy in Google now and then.
    """
    from leadscalendar.accounts.models import Host
    from leadscalendar.db.session import unit_of_work

    hosts = seed_hosts(services, sandbox, count)
    with unit_of_work(services.session_factory) as session:
        for seeded in hosts:
            found = session.get(Host, seeded.id)
            assert found is not None
            found.email_verified_at = datetime.now(UTC)
    seed_busy(sandbox, [host.email for host in hosts], busy_per_host, seed)
    return hosts


def create_awaiting_bookings(
    services: Any, hosts: list[SeededHost], count: int, day_offset: int
) -> list[uuid.UUID]:
    """``count`` bookings spread round-robin over the hosts, awaiting payment.

    Written directly (not through the hold API): the benchmarks measure what
    happens from the payment on, and the hold path needs free/busy calls that
    would add unrelated Google traffic. Each host's bookings are an hour apart,
    starting ``day_offset`` days ahead, so runs in one database never overlap.
    """
    from leadscalendar.bookings.models import Booking
    from leadscalendar.bookings.states import BookingStatus
    from leadscalendar.db.session import unit_of_work

    now = datetime.now(UTC)
    base = (now + timedelta(days=day_offset)).replace(minute=0, second=0, microsecond=0)
    ids: list[uuid.UUID] = []
    with unit_of_work(services.session_factory) as session:
        for index in range(count):
            host = hosts[index % len(hosts)]
            start = base + timedelta(hours=index // len(hosts))
            booking = Booking(
                id=uuid.uuid4(),
                host_id=host.id,
                booking_type_id=host.booking_type_id,
                status=BookingStatus.AWAITING_PAYMENT,
                start_at=start,
                end_at=start + timedelta(hours=1),
                lead_time_zone="Europe/Paris",
                lead_name=f"Lead {index}",
                lead_email=f"lead{index}@example.com",
                notes="",
                guests=[],
                hold_expires_at=now + timedelta(hours=2),
                amount_minor=PRICE_MINOR,
                currency="eur",
                checkout_session_id=f"cs_bench_{uuid.uuid4().hex}",
            )
            session.add(booking)
            ids.append(booking.id)
    return ids


# -- the app and its lead-facing pages ---------------------------------------------


def start_server(env: dict[str, str], port: int, log_dir: Path, name: str) -> Process:
    server = spawn(
        name,
        [str(BIN / "leadscalendar"), "serve", "--port", str(port), "--workers", "1"],
        env,
        log_dir,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code < 500:
                return server
        except httpx.HTTPError:
            pass
        if server.popen.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"serve did not start:\n{server.log()[-3000:]}")
        time.sleep(0.1)


async def fire(
    base_url: str, paths: list[str], rate: float, connections: int
) -> tuple[list[float], list[str], float]:
    """GET each path on schedule; returns latencies (ms, from the scheduled time), errors, lag."""
    latencies: list[float] = []
    errors: list[str] = []
    max_lag = 0.0
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=30.0)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as client:

        async def one(scheduled: float, path: str) -> None:
            try:
                async with client.get(path) as reply:
                    body = await reply.text()
                    shown = any(
                        mark in body for mark in ('class="slot"', 'id="no-slots"', '"days"')
                    )
                    if reply.status != 200 or not shown:
                        errors.append(f"{reply.status} {path} {body[:200]!r}")
            except (aiohttp.ClientError, TimeoutError) as error:
                errors.append(f"{type(error).__name__}: {error}")
            latencies.append((time.monotonic() - scheduled) * 1000)

        tasks = []
        start = time.monotonic() + 0.2
        for index, path in enumerate(paths):
            scheduled = start + index / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            max_lag = max(max_lag, time.monotonic() - scheduled)
            tasks.append(asyncio.create_task(one(scheduled, path)))
        await asyncio.gather(*tasks)
    return latencies, errors, max_lag


# -- signed webhooks --------------------------------------------------------------------


def checkout_completed(booking_id: uuid.UUID, session_id: str | None = None) -> bytes:
    """A ``checkout.session.completed`` event for a booking, shaped like Stripe's."""
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": session_id or f"cs_bench_{uuid.uuid4().hex}",
                "object": "checkout.session",
                "amount_total": PRICE_MINOR,
                "client_reference_id": str(booking_id),
                "currency": "eur",
                "metadata": {"booking_id": str(booking_id)},
                "mode": "payment",
                "payment_intent": f"pi_{uuid.uuid4().hex[:24]}",
                "payment_status": "paid",
                "status": "complete",
            }
        },
    }
    return json.dumps(event).encode()


def stripe_headers(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    """``Stripe-Signature`` per Stripe's documented scheme (HMAC-SHA256 of ``t.body``)."""
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "Stripe-Signature": f"t={timestamp},v1={digest.hexdigest()}",
    }


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_at_start": [round(value, 2) for value in load],
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
