"""A lead's data as the host hands it over (JSON), and what an erasure did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from leadscalendar.inputs import SingleLineText


class LeadRequest(BaseModel):
    """The lead, by the address they booked with (in a body: never in a URL or a log)."""

    email: SingleLineText = Field(min_length=3, max_length=320)


class EraseRequest(LeadRequest):
    confirm_email: SingleLineText = Field(
        min_length=3, max_length=320, description="The same address again, to confirm."
    )


class TimelineEntryOut(BaseModel):
    at: datetime
    kind: str
    detail: str


class MailOut(BaseModel):
    """A message to the lead: queued, sent, cancelled or refused by the mail server."""

    template: str
    to: str
    status: str
    queued_at: datetime
    finished_at: datetime | None


class PaymentRecordOut(BaseModel):
    provider: str
    external_id: str
    type: str
    amount_minor: int | None
    currency: str | None
    payment_status: str | None
    payment_intent_id: str | None
    provider_created_at: datetime | None
    received_at: datetime


class LeadBookingOut(BaseModel):
    id: str
    status: str
    booking_type: str
    start: datetime
    end: datetime
    lead_time_zone: str
    lead_language: str
    # Every lead field of the booking (``bookings.lead_fields.LEAD_FIELDS``): name,
    # e-mail, notes, guests, answers, source.
    lead: dict[str, Any]
    amount_minor: int
    currency: str
    paid_at: datetime | None
    created_at: datetime
    google_event_link: str | None
    timeline: list[TimelineEntryOut]
    mails: list[MailOut]
    payments: list[PaymentRecordOut]


class LeadDataOut(BaseModel):
    email: str
    host: str
    exported_at: datetime
    bookings: list[LeadBookingOut]


class ErasureOut(BaseModel):
    erased_at: datetime
    bookings: int = Field(description="Bookings whose lead data was erased (0 on a repeat).")
    counts: dict[str, int]
