"""``leadscalendar``: serve, run the demo, manage the database, hosts and keys, run sandboxes."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from leadscalendar.accounts.cli import apikeys_app
from leadscalendar.config import Settings, load_settings
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.jobs.cli import jobs_app

app = typer.Typer(
    help="LeadsCalendar: paid bookings on the host's Google Calendar.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
hosts_app = typer.Typer(help="Host accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Token encryption keys.", no_args_is_help=True)
sandbox_app = typer.Typer(
    help="Local stand-ins for Google and the payment provider.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(hosts_app, name="hosts")
app.add_typer(keys_app, name="keys")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(jobs_app, name="jobs")
app.add_typer(apikeys_app, name="apikeys")


def _settings() -> Settings:
    try:
        return load_settings()
    except LeadsCalendarError as error:
        _fail(error.message)


def _fail(message: str) -> NoReturn:
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _refuse_in_production(what: str) -> Settings:
    """The stand-ins accept any card and any Google login: never next to real data."""
    settings = _settings()
    if settings.is_production:
        _fail(
            f"{what} is for development and testing only; it does not run with "
            "LEADSCALENDAR_ENVIRONMENT=production."
        )
    return settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How ``serve`` runs uvicorn: forwarded addresses believed only from configured proxies.

    Uvicorn alone would trust 127.0.0.1 (or its FORWARDED_ALLOW_IPS variable);
    here nothing is trusted unless LEADSCALENDAR_FORWARDED_ALLOW_IPS names the
    proxies, since the limits key clients by the address uvicorn reports.
    """
    from leadscalendar.logging import UVICORN_LOG_CONFIG

    trusted = [part.strip() for part in settings.forwarded_allow_ips.split(",") if part.strip()]
    return {
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted,
        "log_level": settings.log_level.lower(),
        # uvicorn's own lines (access log included) go through our structured handler.
        "log_config": UVICORN_LOG_CONFIG,
    }


def _start_process(settings: Settings) -> None:
    """What every long-running command does first: logging, and the metrics directory."""
    from leadscalendar.logging import configure_logging
    from leadscalendar.observability.exposition import prepare_process

    configure_logging(settings.log_level, settings.resolved_log_format)
    prepare_process()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 1,
) -> None:
    """Run the web application (pages, API, webhooks). Jobs run in `leadscalendar worker`."""
    import uvicorn

    from leadscalendar.db import migrate

    settings = _settings()
    _start_process(settings)
    migrate.upgrade(settings.resolved_database_url)
    uvicorn.run(
        "leadscalendar.web.asgi:app",
        host=host,
        port=port,
        workers=workers,
        **uvicorn_options(settings),
    )


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(help="Jobs run at once (default LEADSCALENDAR_JOBS_WORKER_CONCURRENCY)."),
    ] = None,
) -> None:
    """Run background jobs (calendar events, refunds) until SIGTERM or Ctrl-C."""
    import gc
    import threading

    from leadscalendar.db import migrate
    from leadscalendar.jobs import stop_on_signals
    from leadscalendar.runtime import run_worker_process
    from leadscalendar.services import build_services

    settings = _settings()
    _start_process(settings)
    migrate.upgrade(settings.resolved_database_url)
    threads = concurrency or settings.jobs_worker_concurrency
    # One connection per job thread, plus the heartbeat's.
    services = build_services(settings, pool_size=threads + 1)
    # Everything loaded so far (modules, the discovery document, mappers) lives as
    # long as the process: out of the collector's sight, each collection of the
    # short-lived objects every job makes has less to walk (bench: -5 % CPU/event).
    gc.collect()
    gc.freeze()
    stop = threading.Event()
    with stop_on_signals(stop):
        stats = run_worker_process(services, concurrency=threads, stop_event=stop)
    services.engine.dispose()
    typer.echo(f"Worker stopped after {stats}.")


@app.command()
def metrics() -> None:
    """Serve /metrics on LEADSCALENDAR_METRICS_ADDRESS: this machine's processes + the database."""
    import uvicorn

    from leadscalendar.services import build_services
    from leadscalendar.web.routes.metrics import create_metrics_app

    settings = _settings()
    bind = settings.metrics_bind
    if bind is None:
        _fail("Set LEADSCALENDAR_METRICS_ADDRESS (host:port, such as 127.0.0.1:9100) first.")
    _start_process(settings)
    services = build_services(settings, pool_size=1)
    try:
        uvicorn.run(
            create_metrics_app(services),
            host=bind[0],
            port=bind[1],
            access_log=False,
            **{**uvicorn_options(settings), "proxy_headers": False},
        )
    finally:
        services.engine.dispose()


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port of the app; sandboxes use the next ones.")] = 8000,
    data_dir: Annotated[
        str, typer.Option(help="Where the demo keeps its SQLite file.")
    ] = ".data/demo",
) -> None:
    """Start the whole product offline: the app plus the Google sandbox, with a demo host."""
    from leadscalendar.demo import run_demo

    _refuse_in_production("The demo")
    run_demo(port=port, data_dir=data_dir)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (safe to run on every deploy)."""
    from leadscalendar.db import migrate

    settings = _settings()
    migrate.upgrade(settings.resolved_database_url)
    typer.echo("Database is up to date.")


@db_app.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="The new file to write the copy to.")],
) -> None:
    """Copy the live SQLite database consistently (safe while serving and booking)."""
    from leadscalendar.db import backup

    settings = _settings()
    try:
        report = backup.backup(settings.resolved_database_url, path)
    except LeadsCalendarError as error:
        _fail(error.message)
    typer.echo(
        f"Backed up to {report.path} ({report.size_bytes:,} bytes, "
        f"schema {report.schema_revision})."
    )


@db_app.command("restore")
def db_restore(
    path: Annotated[Path, typer.Argument(help="A file written by `leadscalendar db backup`.")],
    replace: Annotated[
        bool, typer.Option(help="Overwrite an existing database (stop serve and workers first).")
    ] = False,
) -> None:
    """Put a backup in place of the SQLite database after checking it."""
    from leadscalendar.db import backup, migrate

    settings = _settings()
    try:
        report = backup.restore(settings.resolved_database_url, path, replace=replace)
    except LeadsCalendarError as error:
        _fail(error.message)
    migrate.upgrade(settings.resolved_database_url)
    typer.echo(
        f"Restored {report.path} from schema {report.schema_revision}; "
        "the schema is now up to date."
    )


@hosts_app.command("create")
def hosts_create(
    email: Annotated[str, typer.Option(help="The host's log-in e-mail.")],
    name: Annotated[str, typer.Option(help="Name shown to leads.")],
    slug: Annotated[str, typer.Option(help="Public URL part: /{slug}/{booking type}.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone, e.g. Europe/Paris.")] = "UTC",
    password: Annotated[
        str | None,
        typer.Option(help="Password (prompted for when omitted; avoid it on shared machines)."),
    ] = None,
) -> None:
    """Create a host account that can log in to the dashboard."""
    from leadscalendar.accounts import service
    from leadscalendar.db.engine import build_engine
    from leadscalendar.db.session import build_session_factory, unit_of_work

    settings = _settings()
    if password is None:
        password = getpass.getpass("Password: ")
    engine = build_engine(settings.resolved_database_url)
    try:
        with unit_of_work(build_session_factory(engine)) as session:
            host = service.create_host(
                session, email=email, name=name, slug=slug, password=password, timezone=timezone
            )
            typer.echo(f"Created host {host.email} (/{host.slug}).")
    except LeadsCalendarError as error:
        _fail(error.message)
    finally:
        engine.dispose()


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new token encryption key to put first in LEADSCALENDAR_TOKEN_KEYS."""
    from leadscalendar.google.tokens import generate_key

    typer.echo(generate_key())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored token under the first key of LEADSCALENDAR_TOKEN_KEYS."""
    from leadscalendar.db.engine import build_engine
    from leadscalendar.db.session import build_session_factory, unit_of_work
    from leadscalendar.google import service
    from leadscalendar.google.tokens import TokenCipher, load_token_keys

    settings = _settings()
    try:
        cipher = TokenCipher(load_token_keys(settings))
        engine = build_engine(settings.resolved_database_url)
        with unit_of_work(build_session_factory(engine)) as session:
            count = service.rotate_keys(session, cipher)
        engine.dispose()
    except LeadsCalendarError as error:
        _fail(error.message)
    typer.echo(f"Re-encrypted {count} connection(s) under the newest key.")


@sandbox_app.command("google")
def sandbox_google(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    redirect_uri: Annotated[
        list[str] | None, typer.Option(help="Registered redirect URI (repeatable).")
    ] = None,
) -> None:
    """Run the local stand-in for Google OAuth 2.0 and Calendar API v3."""
    from leadscalendar.sandbox.google import SandboxConfig, run_sandbox

    settings = _refuse_in_production("The Google sandbox")
    config = SandboxConfig(
        client_id=settings.google_client_id,
        client_secret=settings.google_client_secret,
        redirect_uris=tuple(redirect_uri or [settings.google_redirect_uri]),
    )
    typer.echo(f"Google sandbox on http://{host}:{port}/ (control API under /_sandbox/)")
    run_sandbox(config, host, port)


@sandbox_app.command("payments")
def sandbox_payments(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8002,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Run the local stand-in for Stripe: API, hosted checkout page, signed webhooks."""
    from leadscalendar.sandbox.payments import PaymentsSandboxConfig, run_payments_sandbox

    settings = _refuse_in_production("The payments sandbox")
    config = PaymentsSandboxConfig(
        api_key=settings.stripe_api_key,
        webhook_secret=settings.stripe_webhook_secret,
        webhook_url=f"{settings.public_url.rstrip('/')}/webhooks/stripe",
        public_url=f"http://{host}:{port}",
    )
    typer.echo(f"Payments sandbox on http://{host}:{port}/ (control API under /_sandbox/)")
    run_payments_sandbox(config, host, port)


@sandbox_app.command("mail")
def sandbox_mail(
    port: Annotated[int, typer.Option(help="Port of the mailbox page.")] = 8003,
    smtp_port: Annotated[int, typer.Option(help="Port of the SMTP sink.")] = 8004,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Run a local SMTP sink and a page listing every mail it caught; nothing is relayed."""
    from leadscalendar.sandbox.mail import run_mail_sandbox

    typer.echo(
        f"Mail sandbox: SMTP on {host}:{smtp_port} "
        f"(LEADSCALENDAR_SMTP_URL=smtp://{host}:{smtp_port}), mailbox on http://{host}:{port}/"
    )
    run_mail_sandbox(host, port, smtp_port)


def main() -> None:
    try:
        app()
    except LeadsCalendarError as error:
        typer.secho(f"Error: {error.message}", fg=typer.colors.RED, err=True)
        sys.exit(2)
