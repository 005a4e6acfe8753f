"""The CLI: every command has --help, and the account and key commands work end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.main import get_command
from typer.testing import CliRunner

from leadscalendar.accounts.models import Host
from leadscalendar.cli import app
from leadscalendar.db.engine import build_engine
from leadscalendar.db.session import build_session_factory
from leadscalendar.google.models import ConnectionStatus, GoogleConnection
from leadscalendar.google.tokens import StoredTokens, TokenCipher, generate_key

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
