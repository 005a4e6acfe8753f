"""Settings from the environment (``LEADSCALENDAR_*``), validated once at start.

Every endpoint of Google and of the payment provider is a setting, so the very
same code talks to the real services or to the local sandbox.
"""

from __future__ import annotations

import enum
import math
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from leadscalendar.errors import ConfigurationError

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - a known placeholder
DEV_GOOGLE_CLIENT_ID = "leadscalendar-dev.apps.googleusercontent.com"
DEV_GOOGLE_CLIENT_SECRET = "dev-google-client-secret"  # noqa: S105 - a known placeholder
# The payments sandbox accepts exactly these by default, so a fresh clone works offline.
DEV_STRIPE_API_KEY = "sk_test_leadscalendar_sandbox"
DEV_STRIPE_WEBHOOK_SECRET = "whsec_leadscalendar_sandbox"  # noqa: S105 - a known placeholder
PLACEHOLDER_SECRETS = frozenset(
    {"", "change-me", "changeme", "secret", "password", "todo", "xxx"}
    | {DEV_SECRET_KEY, DEV_GOOGLE_CLIENT_ID, DEV_GOOGLE_CLIENT_SECRET}
    | {DEV_STRIPE_API_KEY, DEV_STRIPE_WEBHOOK_SECRET, "sk_test_xxx", "whsec_xxx"}
)


STRIPE_API_BASE = "https://api.stripe.com"
STRIPE_TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
# Itsdangerous signs sessions and booking links with SECRET_KEY: 32 random bytes is
# what ``secrets.token_urlsafe(32)`` (43 characters) or ``openssl rand -hex 32`` give.
MIN_SECRET_KEY_BYTES = 32
# Fewer distinct characters than this is a pattern ("aaaa...", "abab..."), not randomness.
MIN_SECRET_KEY_DISTINCT_CHARACTERS = 10
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
BASE64_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")


def estimated_random_bytes(secret: str) -> float:
    """How many random bytes ``secret`` can hold at most, judged by its alphabet and length.

    A heuristic that cannot prove randomness, but refuses what is clearly too
    little: short keys, words, and repetitions of a few characters.
    """
    text = secret.strip().rstrip("=")
    if len(set(text)) < MIN_SECRET_KEY_DISTINCT_CHARACTERS:
        return 0.0
    if len(text.split()) > 1:
        # Words: at best each is one of a 7,776-word diceware list (12.9 bits).
        return len(text.split()) * math.log2(7776) / 8
    if set(text) <= HEX_DIGITS:
        alphabet = 16
    elif set(text) <= BASE64_CHARACTERS:
        alphabet = 64
    else:
        alphabet = 94  # printable ASCII
    return len(text) * math.log2(alphabet) / 8


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADSCALENDAR_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path(".data")
    database_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = DEV_SECRET_KEY
    # Comma-separated Fernet keys: the first encrypts, all decrypt (rotation).
    token_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)

    google_client_id: str = DEV_GOOGLE_CLIENT_ID
    google_client_secret: str = DEV_GOOGLE_CLIENT_SECRET
    google_auth_uri: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_uri: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
    google_revoke_uri: str = "https://oauth2.googleapis.com/revoke"
    google_userinfo_uri: str = "https://www.googleapis.com/oauth2/v3/userinfo"
    google_api_base: str = "https://www.googleapis.com/"
    google_http_timeout_seconds: float = 20.0

    # "sandbox" is the Stripe provider pointed at the local payments sandbox: the
    # same code path as production, only the API base URL differs.
    payment_provider: Literal["stripe", "sandbox"] = "sandbox"
    stripe_api_key: str = DEV_STRIPE_API_KEY
    stripe_webhook_secret: str = DEV_STRIPE_WEBHOOK_SECRET
    stripe_api_base: str = STRIPE_API_BASE
    payments_sandbox_url: str = "http://127.0.0.1:8002"
    stripe_http_timeout_seconds: float = 20.0
    # The SDK retries connection errors, 409 and 5xx with backoff, reusing our idempotency key.
    stripe_max_network_retries: int = Field(default=2, ge=0, le=10)

    oauth_state_ttl_seconds: int = 600
    session_max_age_seconds: int = 14 * 24 * 3600
    # A logged-in host's visits are written down at most this often (``last_seen_at``),
    # in a short transaction of their own: page views stay reads.
    session_seen_interval_seconds: int = Field(default=300, ge=0)
    # Refresh access tokens this long before Google says they expire.
    token_refresh_margin_seconds: int = 120

    log_level: str = "INFO"
    # Log lines as JSON objects (one per line, for a log shipper) or as readable
    # key=value text; empty: JSON in production, readable otherwise.
    log_format: Literal["json", "console", ""] = ""
    # Prometheus metrics (README "Metrics"). The app serves /metrics only when a token is
    # set, to requests carrying "Authorization: Bearer <token>"; `leadscalendar metrics`
    # serves them on metrics_address (host:port, a private interface), with the token
    # too when one is set. Neither set: /metrics answers 404.
    metrics_token: SecretStr = SecretStr("")
    metrics_address: str = ""
    # Sites whose pages may frame the booking-page embeds (/embed/...), comma-separated
    # origins such as https://coach.example; empty: any site. The dashboard never is.
    embed_allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Abuse limits (leadscalendar.web.rate_limit); 0 turns a limit off.
    # Hold attempts per client address per hour, counted in each web process.
    holds_per_ip_per_hour: int = Field(default=10, ge=0)
    # Unexpired held/awaiting-payment bookings per lead e-mail per host; exact, from the DB.
    active_holds_per_email: int = Field(default=3, ge=0)
    # Failed logins per (client address, e-mail) per window before logins are refused.
    login_failures_per_window: int = Field(default=10, ge=0)
    login_failure_window_seconds: int = Field(default=15 * 60, gt=0)
    # Payment webhook transactions run at once per server process; the rest wait on
    # the event loop. The intake is CPU-bound under one GIL: more threads only add
    # contention (bench/webhooks.py: 2 beat 8 and 40), and SQLite has one writer.
    webhook_concurrency: int = Field(default=2, ge=1)
    # Largest request body accepted, in bytes; checked from Content-Length and while
    # the body streams in, so an oversized upload is refused before it is read (413).
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    # Durable jobs (leadscalendar.jobs): retries, leases, worker shape, pacing.
    jobs_backoff_base_seconds: float = Field(default=2.0, gt=0)
    jobs_backoff_cap_seconds: float = Field(default=900.0, gt=0)
    # Once a job's attempts are spent, transient failures (Google down, rate limits,
    # network) keep retrying every 0.75-1.5x this (15-30 minutes), never giving up.
    jobs_slow_retry_seconds: float = Field(default=1200.0, gt=0)
    # History kept before the daily clean-up (leadscalendar.retention); 0 keeps it all.
    jobs_retention_days: int = Field(default=30, ge=0)
    idempotency_retention_hours: int = Field(default=72, ge=0)
    # Finished outbound webhook deliveries (and their attempts and messages) kept this long.
    webhooks_retention_days: int = Field(default=30, ge=0)
    # A worker that dies loses its jobs for at most this long; live workers heartbeat.
    jobs_lease_seconds: float = Field(default=120.0, gt=0)
    jobs_poll_interval_seconds: float = Field(default=1.0, gt=0)
    jobs_worker_concurrency: int = Field(default=4, ge=1)
    # Google Calendar's default quotas, paced for all worker processes together through
    # Redis (redis_url); without Redis, or while it is away, each worker process paces
    # alone with 1/jobs_process_count of them (the number of worker processes you run).
    google_rate_per_user_per_minute: float = Field(default=600.0, gt=0)
    google_rate_per_project_per_minute: float = Field(default=10_000.0, gt=0)
    jobs_process_count: int = Field(default=1, ge=1)
    # While Redis is unreachable, a worker tries it again this often.
    jobs_pacing_redis_retry_seconds: float = Field(default=30.0, gt=0)

    # E-mail (leadscalendar.notifications): smtp[s]://user:pass@host:port[?starttls=1].
    # Unset: mails are recorded in the log, not sent; the dashboard banner stays primary.
    smtp_url: SecretStr = SecretStr("")
    mail_from: str = "LeadsCalendar <no-reply@localhost>"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)

    # Production hardening (see _refuse_placeholders_outside_development) and shared state.
    # Production refuses Stripe test-mode keys unless this says the deployment is a rehearsal.
    allow_stripe_test_mode: bool = False
    # Comma-separated proxy addresses or networks whose X-Forwarded-For/-Proto are believed;
    # empty: none, every client is the address that connected (``leadscalendar serve``).
    forwarded_allow_ips: str = ""
    # redis://host:port/db: login and hold limits shared by every web process through Redis,
    # and Google quota pacing shared by every worker process; unset, the limits are shared
    # through the database and each worker paces alone.
    redis_url: SecretStr = SecretStr("")
    # Failed logins per client address per window, whatever e-mails it tries.
    login_failures_per_address_per_window: int = Field(default=50, ge=0)
    # Account mails (sign-up, "forgot password", e-mail change, resent verification) per
    # hour: per e-mail address, so nobody can flood a mailbox, and per client address.
    account_mails_per_email_per_hour: int = Field(default=5, ge=0)
    account_mails_per_address_per_hour: int = Field(default=30, ge=0)

    # Calendar sync (leadscalendar.calendar_sync). "auto" watches calendars with Google
    # push channels when PUBLIC_URL is https:// (Google delivers to nothing else) and
    # polls otherwise; "on" always watches (a sandbox that delivers over http); "off" polls.
    calendar_push: Literal["auto", "on", "off"] = "auto"
    # Polling mode: every calendar is synced incrementally this often.
    calendar_poll_seconds: float = Field(default=60.0, gt=0)
    # Without a live channel, the mirror answers availability for this long after a sync.
    calendar_fresh_seconds: float = Field(default=300.0, gt=0)
    # Channel lifetime asked of Google (it may grant less), and how long before the
    # expiry a new channel replaces it.
    calendar_channel_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    calendar_channel_renew_margin_seconds: int = Field(default=6 * 3600, ge=1)
    # How far ahead the mirror holds events; a full sync re-covers it when half is used up.
    calendar_sync_horizon_days: int = Field(default=400, ge=7)
    # Events per events.list page (Google's most is 2500); each page commits on its own.
    calendar_sync_page_size: int = Field(default=2500, ge=1, le=2500)
    # Outbound webhooks (leadscalendar.webhooks_out). Endpoints resolving to loopback,
    # private, link-local or metadata addresses are refused unless this allows them;
    # unset: allowed outside production (the demo's receiver is on loopback).
    webhooks_allow_private_addresses: bool | None = None
    webhooks_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    webhooks_read_timeout_seconds: float = Field(default=10.0, gt=0)
    # The receiver's answer is read up to this many bytes (kept as the log's excerpt).
    webhooks_max_response_bytes: int = Field(default=4096, ge=0)
    # A delivery failing on timeouts, 5xx or 429 is retried for this long, then given up;
    # an endpoint without a success for this long is then disabled and the host told.
    webhooks_retry_hours: float = Field(default=72.0, gt=0)
    webhooks_disable_after_hours: float = Field(default=72.0, gt=0)
    # After a secret rotation the previous secret keeps signing this long.
    webhooks_secret_overlap_hours: float = Field(default=24.0, ge=0)

    @field_validator("token_keys", "embed_allowed_origins", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("webhooks_allow_private_addresses", mode="before")
    @classmethod
    def _unset_means_by_environment(cls, value: object) -> object:
        # "" / "auto" / "none" (what an environment dump of None reads): decide by environment.
        if isinstance(value, str) and value.strip().lower() in {"", "auto", "none"}:
            return None
        return value

    @field_validator("stripe_api_base", "payments_sandbox_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("public_url", "google_api_base")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/") + "/" if value.endswith("/") else value.rstrip("/")

    @field_validator("metrics_address")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, such as 127.0.0.1:9100")
        return value

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> Settings:
        if self.environment is not Environment.PRODUCTION:
            return self
        for name in ("secret_key", "google_client_id", "google_client_secret"):
            value = getattr(self, name)
            if value.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    f"LEADSCALENDAR_{name.upper()} must be set to a real secret in production"
                )
        if not self.token_keys:
            raise ValueError("LEADSCALENDAR_TOKEN_KEYS must be set in production")
        # A sandbox "payment" is free: production must take real money or refuse to start.
        if self.payment_provider != "stripe":
            raise ValueError("LEADSCALENDAR_PAYMENT_PROVIDER must be 'stripe' in production")
        for name in ("stripe_api_key", "stripe_webhook_secret"):
            if getattr(self, name).strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    f"LEADSCALENDAR_{name.upper()} must be set to a real secret in production"
                )
        self._refuse_weak_production_settings()
        return self

    def _refuse_weak_production_settings(self) -> None:
        """What a production deployment must not run with, beyond placeholders."""
        if estimated_random_bytes(self.secret_key) < MIN_SECRET_KEY_BYTES:
            raise ValueError(
                f"LEADSCALENDAR_SECRET_KEY must hold at least {MIN_SECRET_KEY_BYTES} random "
                "bytes in production; generate one with: "
                'python -c "import secrets; print(secrets.token_urlsafe(32))"'
            )
        if not self.public_url.startswith("https://"):
            raise ValueError(
                "LEADSCALENDAR_PUBLIC_URL must be an https:// address in production: "
                "session cookies and booking links must not travel in clear text"
            )
        # Another base would send card payments and the API key to whoever answers there.
        if self.stripe_api_base != STRIPE_API_BASE:
            raise ValueError(
                f"LEADSCALENDAR_STRIPE_API_BASE must be {STRIPE_API_BASE} in production"
            )
        if self.stripe_api_key.startswith(STRIPE_TEST_KEY_PREFIXES) and not (
            self.allow_stripe_test_mode
        ):
            raise ValueError(
                "LEADSCALENDAR_STRIPE_API_KEY is a test-mode key, which takes no real money; "
                "use a live key, or set LEADSCALENDAR_ALLOW_STRIPE_TEST_MODE=true on purpose"
            )

    @property
    def metrics_bind(self) -> tuple[str, int] | None:
        """(host, port) of the separate metrics listener, if configured."""
        if not self.metrics_address:
            return None
        host, _, port = self.metrics_address.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def resolved_log_format(self) -> Literal["json", "console"]:
        if self.log_format:
            return self.log_format
        return "json" if self.is_production else "console"

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def webhooks_private_addresses_allowed(self) -> bool:
        if self.webhooks_allow_private_addresses is not None:
            return self.webhooks_allow_private_addresses
        return not self.is_production

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'leadscalendar.sqlite3').as_posix()}"

    @property
    def calendar_push_enabled(self) -> bool:
        """Whether Google can reach us: push channels, else polling."""
        if self.calendar_push == "auto":
            return self.public_url.startswith("https://")
        return self.calendar_push == "on"

    @property
    def calendar_webhook_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/webhooks/google/calendar"

    @property
    def google_redirect_uri(self) -> str:
        return f"{self.public_url.rstrip('/')}/oauth/google/callback"


def load_settings() -> Settings:
    """Build the settings, turning pydantic's report into one readable sentence."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = ".".join(str(part) for part in error["loc"])
            variable = f"LEADSCALENDAR_{location.upper()}" if location else "settings"
            problems.append(f"{variable}: {error['msg']}")
        raise ConfigurationError("Invalid configuration: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead."""
    return load_settings()
