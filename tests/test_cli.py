"""The CLI: every command has --help, and the account and key commands work end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.main import get_command
from typer.testing import CliRunner

from leadscalendar.accounts.models import Host
from leadscalendar.cli import app, uvicorn_options
from leadscalendar.config import Settings
from leadscalendar.db.engine import build_engine
from leadscalendar.db.session import build_session_factory
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from leadscalendar.google.tokens import StoredTokens, TokenCipher, generate_key
from leadscalendar.web.app import create_app
from tests.support.app_env import csrf_from
from tests.support.live_server import free_port, live_server
from tests.test_config import PRODUCTION

runner = CliRunner()


def command_paths() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*prefix, name])

    walk(get_command(app), [])
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=lambda path: " ".join(path) or "root")
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_the_required_commands_exist() -> None:
    names = {" ".join(path) for path in command_paths()}
    required = {
        "serve",
        "demo",
        "worker",
        "db upgrade",
        "db backup",
        "db restore",
        "hosts create",
        "keys generate",
        "keys rotate",
        "sandbox google",
        "sandbox payments",
        "sandbox mail",
        "jobs list",
    }
    assert required <= names


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> str:
    key = generate_key()
    monkeypatch.setenv("LEADSCALENDAR_DATABASE_URL", database_url)
    monkeypatch.setenv("LEADSCALENDAR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEADSCALENDAR_TOKEN_KEYS", key)
    from leadscalendar.config import get_settings

    get_settings.cache_clear()
    return key


def test_hosts_create_then_bad_input_is_a_clear_error(env: str, database_url: str) -> None:
    created = runner.invoke(
        app,
        [
            "hosts",
            "create",
            "--email",
            "a@example.com",
            "--name",
            "A",
            "--slug",
            "a",
            "--password",
            "a long enough password",
        ],
    )
    assert created.exit_code == 0, created.output
    assert "Created host a@example.com" in created.output
    duplicate = runner.invoke(
        app,
        [
            "hosts",
            "create",
            "--email",
            "a@example.com",
            "--name",
            "A",
            "--slug",
            "b",
            "--password",
            "a long enough password",
        ],
    )
    assert duplicate.exit_code == 2
    assert "already exists" in duplicate.output
    assert "Traceback" not in duplicate.output
    engine = build_engine(database_url)
    with build_session_factory(engine)() as session:
        assert [host.email for host in session.scalars(select(Host))] == ["a@example.com"]
    engine.dispose()


def test_keys_rotate_moves_every_token_to_the_new_key(
    env: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_key = env
    assert (
        runner.invoke(
            app,
            [
                "hosts",
                "create",
                "--email",
                "k@example.com",
                "--name",
                "K",
                "--slug",
                "k",
                "--password",
                "a long enough password",
            ],
        ).exit_code
        == 0
    )
    engine = build_engine(database_url)
    factory = build_session_factory(engine)
    tokens = StoredTokens("access-abc", "refresh-xyz")
    with factory() as session:
        host = session.scalar(select(Host))
        assert host is not None
        session.add(
            GoogleConnection(
                host_id=host.id,
                status=ConnectionStatus.ACTIVE,
                calendar_id="primary",
                granted_scopes="",
                token_ciphertext=TokenCipher([old_key]).encrypt_tokens(tokens),
                token_version=1,
            )
        )
        session.commit()
    new_key = runner.invoke(app, ["keys", "generate"]).output.strip()
    monkeypatch.setenv("LEADSCALENDAR_TOKEN_KEYS", f"{new_key},{old_key}")
    from leadscalendar.config import get_settings

    get_settings.cache_clear()
    rotated = runner.invoke(app, ["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert "Re-encrypted 1 connection" in rotated.output
    with factory() as session:
        connection = session.scalar(select(GoogleConnection))
        assert connection is not None
        assert TokenCipher([new_key]).decrypt_tokens(connection.token_ciphertext) == tokens
    engine.dispose()
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("command", "runner_path"),
    [
        (["sandbox", "google"], "leadscalendar.sandbox.google.run_sandbox"),
        (["sandbox", "payments"], "leadscalendar.sandbox.payments.run_payments_sandbox"),
        (["demo"], "leadscalendar.demo.run_demo"),
    ],
)
def test_the_sandboxes_and_the_demo_refuse_to_run_in_production(
    monkeypatch: pytest.MonkeyPatch, command: list[str], runner_path: str
) -> None:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    started: list[object] = []
    monkeypatch.setattr(runner_path, lambda *args, **kwargs: started.append(args))
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "does not run with LEADSCALENDAR_ENVIRONMENT=production" in result.output
    assert not started


def fail_login(client: httpx.Client, forwarded_for: str) -> int:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": "nobody@example.com",
            "password": "wrong password!",
            "csrf_token": csrf_from(page.text),
        },
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


@pytest.mark.parametrize(("trusted", "believed"), [("", False), ("127.0.0.1", True)])
def test_forwarded_addresses_are_believed_only_from_configured_proxies(
    database_url: str, tmp_path: Path, trusted: str, believed: bool
) -> None:
    """One failed login allowed per address: a second client is only new if it is believed."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        token_keys=[generate_key()],
        forwarded_allow_ips=trusted,
        login_failures_per_window=1,
    )
    options = {**uvicorn_options(settings), "log_level": "warning"}
    web = create_app(settings)
    try:
        with live_server(web, **options) as url, httpx.Client(base_url=url, timeout=10) as client:
            assert fail_login(client, "203.0.113.1") == 401
            assert fail_login(client, "203.0.113.2") == (401 if believed else 429)
    finally:
        web.state.services.engine.dispose()


def test_serve_writes_its_access_log_with_tokens_masked(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "LEADSCALENDAR_DATA_DIR": str(tmp_path),
        "LEADSCALENDAR_DATABASE_URL": f"sqlite:///{(tmp_path / 'serve.sqlite3').as_posix()}",
        "LEADSCALENDAR_TOKEN_KEYS": generate_key(),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "leadscalendar", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        for _ in range(3):
            assert httpx.get(f"{base}/healthz?token=IjEi.secret-signature").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert "Logging error" not in output and "Traceback" not in output
    assert output.count('"GET /healthz?token=[redacted] HTTP/1.1" 200') == 3
    assert "secret-signature" not in output


def test_metrics_listener_needs_an_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEADSCALENDAR_METRICS_ADDRESS", raising=False)
    result = runner.invoke(app, ["metrics"])
    assert result.exit_code == 2
    assert "LEADSCALENDAR_METRICS_ADDRESS" in result.output
