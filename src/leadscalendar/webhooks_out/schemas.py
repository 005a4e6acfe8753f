"""Pydantic shapes: the payload receivers get (OpenAPI ``webhooks``), and the API's."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from leadscalendar.inputs import SingleLineText
from leadscalendar.webhooks_out.models import EventType

# What a lead's erased personal fields read in stored payloads (see service.redact_lead).
ERASED = "erased"


class WebhookGuest(BaseModel):
    email: str
    name: str = ""


class WebhookLead(BaseModel):
    """The lead's personal data; ``"erased"`` and empty once the host erases the lead."""

    name: str
    email: str
    time_zone: str
    language: str
    notes: str
    guests: list[WebhookGuest]


class WebhookAnswer(BaseModel):
    """One intake answer, with its question as the lead was asked it."""

    question_id: str
    label: str
    type: str
    # Text, a choice or a phone number in E.164 (str), the choices (list), a tick (bool).
    value: str | list[str] | bool


class WebhookBookingType(BaseModel):
    id: str
    slug: str
    title: str


class WebhookBooking(BaseModel):
    """The booking as it was when the event happened."""

    # Fields added by later versions (intake answers, lead source) arrive as extra keys.
    model_config = ConfigDict(extra="allow")

    id: str
    status: str
    status_reason: str | None
    start: datetime
    end: datetime
    booking_type: WebhookBookingType
    lead: WebhookLead
    # The booking type's intake questions as answered; emptied when the lead is erased.
    answers: list[WebhookAnswer] = Field(default_factory=list)
    # Where the lead came from (utm_source, utm_medium, utm_campaign, utm_term,
    # utm_content, ref, referrer: those given); emptied when the lead is erased.
    source: dict[str, str] = Field(default_factory=dict)
    amount_minor: int
    currency: str
    paid_at: datetime | None
    google_event_link: str | None
    meet_link: str | None
    created_at: datetime
    # booking.rescheduled only: where the booking was before.
    previous_start: datetime | None = None


class WebhookEvent(BaseModel):
    """The JSON body of every delivery; headers ``webhook-id``, ``webhook-timestamp`` and
    ``webhook-signature`` sign it per the Standard Webhooks specification."""

    type: EventType
    timestamp: datetime = Field(description="When the event happened (not when it was sent).")
    data: WebhookBooking


class EndpointIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str = Field(max_length=2048, description="Where events are POSTed (https).")
    description: SingleLineText = Field(default="", max_length=200)
    event_types: list[EventType] = Field(min_length=1)
    enabled: bool = True

    @field_validator("event_types")
    @classmethod
    def _unique(cls, value: list[EventType]) -> list[EventType]:
        return list(dict.fromkeys(value))


class EndpointPatch(BaseModel):
    """Only the fields given change; re-enabling clears the reason it was disabled."""

    model_config = ConfigDict(frozen=True)

    url: str | None = Field(default=None, max_length=2048)
    description: SingleLineText | None = Field(default=None, max_length=200)
    event_types: list[EventType] | None = Field(default=None, min_length=1)
    enabled: bool | None = None


class EndpointOut(BaseModel):
    id: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    last_success_at: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The signing secret, shown this once.")


class EndpointList(BaseModel):
    data: list[EndpointOut]


class SecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret, shown this once.")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then the previous secret signs too (space-separated signatures)."
    )


class AttemptOut(BaseModel):
    started_at: datetime
    duration_ms: int
    status_code: int | None
    response_excerpt: str
    error: str | None


class DeliveryOut(BaseModel):
    id: str
    message_id: str = Field(description="The ``webhook-id`` header: the same on every retry.")
    event_type: str
    booking_id: str
    status: str
    created_at: datetime
    finished_at: datetime | None
    attempt_count: int
    last_status_code: int | None
    last_error: str | None
    attempts: list[AttemptOut]


class DeliveryList(BaseModel):
    data: list[DeliveryOut]
