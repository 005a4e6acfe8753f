"""``leadscalendar jobs list|show|retry|cancel``: the operator's view of the queue.

The parent app mounts ``jobs_app`` and may put a session factory in
``ctx.obj``; without one, the database comes from the settings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from leadscalendar.cli_support import session_factory_for
from leadscalendar.db.session import unit_of_work
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.jobs import service
from leadscalendar.jobs.models import Job, JobStatus

_Operation = Callable[[Session, uuid.UUID], Job]

jobs_app = typer.Typer(help="Inspect and retry background jobs.", no_args_is_help=True)


# The reason shown on a list line; ``show`` prints it whole.
_REASON_CHARS = 80


def _line(job: Job) -> str:
    park = f" park={job.park_code}" if job.park_code else ""
    slow = " slow" if job.status is JobStatus.QUEUED and job.attempts >= job.max_attempts else ""
    reason = job.park_reason if job.status is JobStatus.PARKED else job.last_error
    if job.status in (JobStatus.SUCCEEDED, JobStatus.CANCELLED) or not reason:
        why = ""
    else:
        short = reason if len(reason) <= _REASON_CHARS else reason[: _REASON_CHARS - 1] + "…"
        why = f"  why={short!r}"
    return (
        f"{job.id}  {job.kind:<24} {job.status:<9} {job.attempts}/{job.max_attempts}{slow}  "
        f"due={job.run_after:%Y-%m-%d %H:%M:%S}Z  subject={job.subject_key}{park}{why}"
    )


@jobs_app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs in this state.")] = None,
    host_id: Annotated[uuid.UUID | None, typer.Option(help="Only this host's jobs.")] = None,
    subject: Annotated[str | None, typer.Option(help="Only jobs about this subject.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List jobs, newest first."""
    with session_factory_for(ctx) as factory, factory() as session:
        jobs = service.list_jobs(
            session,
            status=status,
            host_id=host_id,
            subject_key=subject,
            kind=kind,
            limit=limit,
            offset=offset,
        )
        for job in jobs:
            typer.echo(_line(job))
        if not jobs:
            typer.echo("No jobs.")


@jobs_app.command("show")
def show_command(ctx: typer.Context, job_id: uuid.UUID) -> None:
    """Show a job and every attempt at it."""
    with session_factory_for(ctx) as factory, factory() as session:
        try:
            history = service.get_job_with_attempts(session, job_id)
        except LeadsCalendarError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(1) from None
        job = history.job
        typer.echo(_line(job))
        for label, value in (
            ("host", job.host_id),
            ("park reason", job.park_reason),
            ("last error", job.last_error),
            (
                "lease",
                f"{job.lease_owner} until {job.lease_expires_at}" if job.lease_owner else None,
            ),
            ("finished", job.finished_at),
        ):
            if value is not None:
                typer.echo(f"  {label}: {value}")
        for attempt in history.attempts:
            http = f" http={attempt.http_status}" if attempt.http_status else ""
            reason = f" reason={attempt.reason_code}" if attempt.reason_code else ""
            typer.echo(
                f"  #{attempt.number} {attempt.started_at:%Y-%m-%d %H:%M:%S}Z "
                f"{attempt.outcome} {attempt.operation or '-'}{http}{reason} "
                f"{attempt.latency_ms}ms  {attempt.message or ''}".rstrip()
            )


@jobs_app.command("retry")
def retry_command(ctx: typer.Context, job_id: uuid.UUID) -> None:
    """Run a parked or waiting job now, with a fresh attempt budget."""
    _change(ctx, job_id, service.retry_job, "queued to run now")


@jobs_app.command("cancel")
def cancel_command(ctx: typer.Context, job_id: uuid.UUID) -> None:
    """Cancel a queued or parked job (it is kept, marked cancelled)."""
    _change(ctx, job_id, service.cancel_job, "cancelled")


def _change(ctx: typer.Context, job_id: uuid.UUID, operation: _Operation, done: str) -> None:
    with session_factory_for(ctx) as factory:
        try:
            with unit_of_work(factory) as session:
                operation(session, job_id)
        except LeadsCalendarError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(1) from None
    typer.echo(f"Job {job_id} {done}.")
