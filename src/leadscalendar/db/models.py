"""Every ORM model, imported in one place so metadata and Alembic see them all."""

from leadscalendar.accounts.models import ApiKey, Host, HostSession
from leadscalendar.bookings.models import (
    AvailabilityVersion,
    Booking,
    BookingEvent,
    BookingType,
    Schedule,
)
from leadscalendar.calendar_sync.models import BusyBlock, CalendarSync, WatchChannel
from leadscalendar.db.base import Base
from leadscalendar.google.models import GoogleConnection, OAuthState
from leadscalendar.idempotency.models import IdempotencyKey
from leadscalendar.jobs.models import Job, JobAttempt
from leadscalendar.leads.models import LeadErasure
from leadscalendar.payments.models import PaymentEvent
from leadscalendar.ratelimits.models import RateLimitHit
from leadscalendar.webhooks_out.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)

__all__ = [
    "ApiKey",
    "AvailabilityVersion",
    "Base",
    "Booking",
    "BookingEvent",
    "BookingType",
    "BusyBlock",
    "CalendarSync",
    "GoogleConnection",
    "Host",
    "HostSession",
    "IdempotencyKey",
    "Job",
    "JobAttempt",
    "LeadErasure",
    "OAuthState",
    "PaymentEvent",
    "RateLimitHit",
    "Schedule",
    "WatchChannel",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
]
