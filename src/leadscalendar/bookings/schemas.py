"""What a lead may send, validated once for the pages and the API alike."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from leadscalendar.bookings.answers import AnswersIn
from leadscalendar.bookings.lead_source import LeadSource
from leadscalendar.inputs import BoundedDatetime, IanaTimeZone, MultiLineText, SingleLineText

MAX_GUESTS = 10


class Guest(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    email: EmailStr
    name: SingleLineText = Field(default="", max_length=200)


class LeadDetails(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    name: SingleLineText = Field(min_length=1, max_length=200)
    email: EmailStr
    notes: MultiLineText = Field(default="", max_length=4000)
    guests: tuple[Guest, ...] = Field(default=(), max_length=MAX_GUESTS)
    time_zone: IanaTimeZone = Field(default="UTC", max_length=64)


class HoldRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: BoundedDatetime
    lead: LeadDetails
    answers: AnswersIn = Field(
        default_factory=dict,
        description=(
            "The type's intake questions answered, by question id: text, a choice, "
            "a list of choices (multiple choice) or true/false (checkbox)."
        ),
    )
    source: LeadSource | None = Field(
        default=None, description="Where the lead came from (the booking link's utm_*, ref)."
    )


class SlotOut(BaseModel):
    start: datetime
    end: datetime
    # The start in the lead's zone, e.g. "09:30", ready to show.
    label: str


class DayOut(BaseModel):
    date: str
    slots: list[SlotOut]


class SlotsOut(BaseModel):
    time_zone: str
    days: list[DayOut]


class BookingOut(BaseModel):
    """A booking as the lead (and the API) sees it."""

    id: str
    status: str
    status_reason: str | None
    start: datetime
    end: datetime
    lead_time_zone: str
    lead_name: str
    lead_email: str
    host_name: str
    booking_type: str
    amount_minor: int
    currency: str
    hold_expires_at: datetime | None
    checkout_url: str | None
    google_event_link: str | None
    meet_link: str | None
    # The signed token that lets the lead see, cancel or reschedule without an account.
    token: str | None = None


class RescheduleRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: BoundedDatetime
