"""The composition root: every long-lived collaborator, built once per process.

The web app and the worker both start from ``build_services(settings)``, so a
setting chooses Google or the sandbox, Stripe or the payments sandbox, for
both in the same way and never by "if testing".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from leadscalendar.accounts.tokens import AccountLinks
from leadscalendar.bookings.busy import BusyTimes, MirrorReader
from leadscalendar.bookings.calendar_follow import follow_calendar_event
from leadscalendar.bookings.links import BookingLinks
from leadscalendar.bookings.mails import note_undeliverable
from leadscalendar.bookings.payment_events import BookingPaymentHandler
from leadscalendar.bookings.reminders import register_reminder_tasks, reminder_mail_stale
from leadscalendar.bookings.slot_cache import SlotCache
from leadscalendar.bookings.tasks import TaskDependencies, build_registry
from leadscalendar.calendar_sync.channels import stop_host_channels
from leadscalendar.calendar_sync.planning import register_calendar_sync_tasks
from leadscalendar.calendar_sync.tasks import SyncDependencies
from leadscalendar.config import Settings
from leadscalendar.db.engine import build_engine
from leadscalendar.db.session import build_read_session_factory, build_session_factory
from leadscalendar.google.clients import CalendarClients, GoogleCalendarClients
from leadscalendar.google.credentials import CredentialProvider
from leadscalendar.google.tasks import REVOKE_GRANT, revoke_grant
from leadscalendar.google.tokens import TokenCipher, load_token_keys
from leadscalendar.jobs import (
    FallbackPacer,
    JobContext,
    JobRegistry,
    Outcome,
    QuotaPacer,
    Quotas,
)
from leadscalendar.notifications import (
    Mailer,
    build_mailer,
    notify_needs_reauth,
    register_mail_tasks,
)
from leadscalendar.payments.factory import build_payment_provider
from leadscalendar.payments.provider import PaymentProvider
from leadscalendar.payments.webhooks import PaymentEventHandler
from leadscalendar.ratelimits import (
    DatabaseWindowStore,
    FallbackWindowStore,
    RedisWindowStore,
    WindowStore,
)
from leadscalendar.retention import register_retention_tasks
from leadscalendar.webhooks_out.sender import WebhookSender
from leadscalendar.webhooks_out.tasks import WebhookDependencies, register_webhook_tasks


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    # Sessions for paths that only read: no write lock on SQLite (db.session).
    read_session_factory: sessionmaker[Session]
    cipher: TokenCipher
    credentials: CredentialProvider
    calendars: CalendarClients
    payment_provider: PaymentProvider
    payment_event_handler: PaymentEventHandler
    busy: BusyTimes
    # Computed slot answers, valid while the host's availability version stands.
    slot_cache: SlotCache
    links: BookingLinks
    # Verification, reset and e-mail change links (signed with the secret key).
    account_links: AccountLinks
    mailer: Mailer
    # Where the web processes' abuse limits count, shared by all of them.
    window_store: WindowStore
    # Outbound webhooks' HTTP client (SSRF guard, timeouts), shared by the job threads.
    webhook_sender: WebhookSender

    def job_registry(self) -> JobRegistry:
        registry = build_registry(
            TaskDependencies(self.calendars, self.payment_provider, self.mailer)
        )
        register_reminder_tasks(registry)
        registry.register(REVOKE_GRANT, self._revoke_grant)
        register_webhook_tasks(
            registry, WebhookDependencies(self.settings, self.cipher, self.webhook_sender)
        )
        register_retention_tasks(registry, self.settings)
        register_calendar_sync_tasks(
            registry, SyncDependencies(self.settings, self.calendars, follow_calendar_event)
        )
        return register_mail_tasks(
            registry,
            self.mailer,
            on_undeliverable=note_undeliverable,
            is_stale=reminder_mail_stale,
        )

    def _revoke_grant(self, ctx: JobContext) -> Outcome:
        """Account deletion: stop the push channels while the grant still works, then revoke."""
        if ctx.job.host_id is not None:
            stop_host_channels(self.session_factory, self.calendars, ctx.job.host_id)
        return revoke_grant(ctx, self.settings, self.cipher)


def build_services(settings: Settings, *, pool_size: int | None = None) -> Services:
    """Build every collaborator; ``pool_size`` sizes the connection pool for N threads.

    SQLAlchemy's default pool (5 + 10 overflow) is smaller than a worker with
    ``--concurrency 32``: its threads then queue for a connection rather than
    for the database, so a worker asks for one connection per thread.
    """
    engine_options = {} if pool_size is None else {"pool_size": pool_size, "max_overflow": 0}
    engine = build_engine(settings.resolved_database_url, **engine_options)
    session_factory = build_session_factory(engine)
    read_session_factory = build_read_session_factory(engine)
    cipher = TokenCipher(load_token_keys(settings))
    credentials = CredentialProvider(
        settings,
        cipher,
        session_factory,
        on_needs_reauth=notify_needs_reauth,
        read_session_factory=read_session_factory,
    )
    calendars = GoogleCalendarClients(settings, credentials)
    links = BookingLinks(settings.secret_key)
    account_links = AccountLinks(settings.secret_key)
    return Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        read_session_factory=read_session_factory,
        cipher=cipher,
        credentials=credentials,
        calendars=calendars,
        payment_provider=build_payment_provider(settings),
        payment_event_handler=BookingPaymentHandler(),
        busy=BusyTimes(
            calendars,
            mirror=MirrorReader(read_session_factory, settings.calendar_fresh_seconds),
        ),
        slot_cache=SlotCache(engine),
        links=links,
        account_links=account_links,
        mailer=build_mailer(
            settings, booking_token=links.token_for, account_token=account_links.sign
        ),
        window_store=build_window_store(settings, session_factory),
        webhook_sender=build_webhook_sender(settings),
    )


def build_webhook_sender(settings: Settings) -> WebhookSender:
    return WebhookSender(
        allow_private=settings.webhooks_private_addresses_allowed,
        connect_timeout=settings.webhooks_connect_timeout_seconds,
        read_timeout=settings.webhooks_read_timeout_seconds,
        max_response_bytes=settings.webhooks_max_response_bytes,
    )


def build_window_store(settings: Settings, session_factory: sessionmaker[Session]) -> WindowStore:
    """Redis when configured (no table writes per login and hold), else the database.

    With Redis, the database stands in while Redis cannot be reached, so a Redis
    restart never turns a login or a hold into an error.
    """
    database = DatabaseWindowStore(session_factory)
    redis_url = settings.redis_url.get_secret_value()
    if redis_url:
        return FallbackWindowStore(RedisWindowStore.from_url(redis_url), database)
    return database


def build_pacer(settings: Settings) -> QuotaPacer | FallbackPacer:
    """How a worker paces its Google calls: through Redis when configured, else alone.

    With Redis, every worker process on every machine counts in the same
    windows; while Redis cannot be reached, each process paces alone with its
    static share (``jobs_process_count``), so a Redis restart never stops a job.
    Without Redis, each process takes that share for good.
    """
    quotas = Quotas.from_settings(settings)
    local = QuotaPacer.in_memory(quotas.share(settings.jobs_process_count))
    redis_url = settings.redis_url.get_secret_value()
    if not redis_url:
        return local
    return FallbackPacer(
        QuotaPacer.on_redis(redis_url, quotas),
        local,
        retry_seconds=settings.jobs_pacing_redis_retry_seconds,
    )
