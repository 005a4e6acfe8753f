"""API keys in the service and the ``leadscalendar apikeys`` commands."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from leadscalendar.accounts import api_keys
from leadscalendar.accounts import service as accounts
from leadscalendar.accounts.cli import apikeys_app
from leadscalendar.accounts.models import ApiKey, Host
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work

runner = CliRunner()


def _host(session: Session) -> Host:
    return accounts.create_host(
        session, email="coach@example.com", name="Coach", slug="coach", password="x" * 12
    )


def test_authenticate_accepts_the_key_until_revoked(session: Session) -> None:
    host = _host(session)
    created = api_keys.create_api_key(session, host, "  crm  ")
    assert created.key.name == "crm" and created.key.prefix == created.secret[:8]
    now = utcnow()
    assert api_keys.authenticate(session, created.secret, now).id == host.id
    assert created.key.last_used_at == now
    # Used again within the minute: no write for a timestamp nobody needs that precise.
    api_keys.authenticate(session, created.secret, now + timedelta(seconds=5))
    assert created.key.last_used_at == now

    api_keys.revoke_api_key(session, host, created.key.id, now)
    with pytest.raises(api_keys.InvalidApiKeyError):
        api_keys.authenticate(session, created.secret, now)
    with pytest.raises(api_keys.ApiKeyNotFoundError):
        api_keys.revoke_api_key(session, host, uuid.uuid4(), now)


def test_names_are_required(session: Session) -> None:
    host = _host(session)
    with pytest.raises(api_keys.LeadsCalendarError):
        api_keys.create_api_key(session, host, "   ")


def test_cli_create_list_revoke(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        _host(session)
    created = runner.invoke(
        apikeys_app,
        ["create", "--host-email", "coach@example.com", "--name", "CRM sync"],
        obj=session_factory,
    )
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("lc_")
    with session_factory() as session:
        key = session.scalars(select(ApiKey)).one()
        assert key.key_hash == api_keys.hash_key(secret) and key.key_hash != secret

    listed = runner.invoke(
        apikeys_app, ["list", "--host-email", "coach@example.com"], obj=session_factory
    )
    assert listed.exit_code == 0 and key.prefix in listed.output and "active" in listed.output
    assert secret not in listed.output

    revoked = runner.invoke(
        apikeys_app,
        ["revoke", "--host-email", "coach@example.com", str(key.id)],
        obj=session_factory,
    )
    assert revoked.exit_code == 0, revoked.output
    listed = runner.invoke(
        apikeys_app, ["list", "--host-email", "coach@example.com"], obj=session_factory
    )
    assert "revoked" in listed.output

    unknown = runner.invoke(
        apikeys_app, ["list", "--host-email", "nobody@example.com"], obj=session_factory
    )
    assert unknown.exit_code == 2
