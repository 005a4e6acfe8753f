"""Pydantic shapes of the host's JSON API (``/api/v1``), errors included, for OpenAPI."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadscalendar.bookings.answers import AnswersIn
from leadscalendar.bookings.booking_types import BookingTypeIn
from leadscalendar.bookings.lead_source import LeadSource
from leadscalendar.bookings.schemas import BookingOut, Guest, LeadDetails
from leadscalendar.inputs import BoundedDatetime


class ErrorDetail(BaseModel):
    """``code`` is stable for programs; ``message`` is for people; more fields may follow."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str


class ErrorBody(BaseModel):
    """The one error body of every ``/api`` response."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error statuses, all with the one error body."""
    described = {
        400: "The request is malformed or a value is out of range.",
        401: "The API key is missing, wrong or revoked.",
        404: "No such resource for this host.",
        409: "The request conflicts with the current state (a taken slot, a booking's state).",
        422: "The Idempotency-Key was already used for a different request.",
        503: "The host cannot take bookings right now (Google Calendar needs attention).",
    }
    return {status: {"model": ErrorBody, "description": described[status]} for status in statuses}


class BookingTypeOut(BookingTypeIn):
    """A booking type as stored, with its id."""

    id: str
    created_at: datetime
    updated_at: datetime

    # A type saved under older money rules (a currency since withdrawn from ISO 4217)
    # is listed as it is; the input rules apply when it is saved again.
    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return value

    @model_validator(mode="after")
    def _price_the_provider_can_charge(self) -> BookingTypeOut:
        return self


class BookingTypeList(BaseModel):
    data: list[BookingTypeOut]


class AnswerOut(BaseModel):
    """One intake answer, with its question as the lead was asked it."""

    question_id: str
    label: str
    type: str
    # Text, a choice or a phone number in E.164 (str), the choices (list), a tick (bool).
    value: str | list[str] | bool


class HostBookingOut(BookingOut):
    """A booking as its host sees it: the lead's view plus the host-only fields."""

    booking_type_id: str
    notes: str
    guests: list[Guest]
    answers: list[AnswerOut] = Field(default_factory=list)
    source: LeadSource = Field(default_factory=LeadSource)
    created_at: datetime


class BookingPage(BaseModel):
    data: list[HostBookingOut]
    # Pass as ``cursor`` to get the next page; null on the last page.
    next: str | None


class HostHoldRequest(BaseModel):
    """Hold a slot on behalf of a lead."""

    model_config = ConfigDict(frozen=True)

    booking_type_id: uuid.UUID
    start: BoundedDatetime
    lead: LeadDetails
    answers: AnswersIn = Field(default_factory=dict)
    source: LeadSource | None = None


class HostRescheduleRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: BoundedDatetime = Field(description="The new start, with a UTC offset.")
