"""What a lead may send, validated once for the pages and the API alike."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

MAX_GUESTS = 10


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # available_timezones() walks the whole tz database on disk: once per process, not per hold.
    return frozenset(zoneinfo.available_timezones())


class Guest(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    email: EmailStr
    name: str = Field(default="", max_length=200)


class LeadDetails(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    notes: str = Field(default="", max_length=4000)
    guests: tuple[Guest, ...] = Field(default=(), max_length=MAX_GUESTS)
    time_zone: str = Field(default="UTC", max_length=64)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in _zone_names():
            raise ValueError(f"unknown time zone {value!r}")
        return value


class HoldRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: datetime
    lead: LeadDetails

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("the start time needs a UTC offset, e.g. 2026-12-01T09:00:00+01:00")
        return value


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

    start: datetime

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("the start time needs a UTC offset")
        return value
