"""``leadscalendar apikeys create|list|revoke``: a host's API keys from the shell.

The parent app mounts ``apikeys_app``; like ``jobs``, a session factory in
``ctx.obj`` wins over the settings' database (tests use that).
"""

from __future__ import annotations

import uuid
from typing import Annotated, NoReturn

import typer
from sqlalchemy.orm import Session

from leadscalendar.accounts import api_keys, repository
from leadscalendar.accounts.models import Host
from leadscalendar.cli_support import session_factory_for
from leadscalendar.db.base import utcnow
from leadscalendar.db.session import unit_of_work
from leadscalendar.errors import LeadsCalendarError

apikeys_app = typer.Typer(help="Hosts' API keys for /api/v1.", no_args_is_help=True)

HostEmail = Annotated[str, typer.Option("--host-email", help="The host's log-in e-mail.")]


def _fail(message: str) -> NoReturn:
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _host(session: Session, email: str) -> Host:
    host = repository.get_host_by_email(session, email.strip())
    if host is None:
        _fail(f"There is no host with e-mail {email}.")
    return host


@apikeys_app.command("create")
def create_command(
    ctx: typer.Context,
    host_email: HostEmail,
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'CRM sync'.")],
) -> None:
    """Create a key and print it once: it cannot be shown again."""
    try:
        with session_factory_for(ctx) as factory, unit_of_work(factory) as session:
            created = api_keys.create_api_key(session, _host(session, host_email), name)
    except LeadsCalendarError as error:
        _fail(error.message)
    typer.echo(f"Created API key {created.key.id} ({created.key.name}).")
    typer.echo("Copy it now; it is not stored and will not be shown again:")
    typer.echo(created.secret)


@apikeys_app.command("list")
def list_command(ctx: typer.Context, host_email: HostEmail) -> None:
    """List the host's keys: id, prefix, name, last use, revocation."""
    with session_factory_for(ctx) as factory, factory() as session:
        keys = api_keys.list_api_keys(session, _host(session, host_email))
    if not keys:
        typer.echo("No API keys.")
    for key in keys:
        used = f"{key.last_used_at:%Y-%m-%d %H:%M}Z" if key.last_used_at else "never"
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}Z" if key.revoked_at else "active"
        typer.echo(f"{key.id}  {key.prefix}…  {key.name:<30} last used {used}  {state}")


@apikeys_app.command("revoke")
def revoke_command(
    ctx: typer.Context,
    host_email: HostEmail,
    key_id: Annotated[uuid.UUID, typer.Argument(help="The key's id, from `apikeys list`.")],
) -> None:
    """Revoke a key: requests with it are refused (401) from now on."""
    try:
        with session_factory_for(ctx) as factory, unit_of_work(factory) as session:
            key = api_keys.revoke_api_key(session, _host(session, host_email), key_id, utcnow())
    except LeadsCalendarError as error:
        _fail(error.message)
    typer.echo(f"Revoked API key {key.id} ({key.name}).")
