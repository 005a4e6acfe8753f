"""Creating and editing booking types and the host's weekly schedule."""

from __future__ import annotations

import re
import uuid
from datetime import date, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.orm import Session

from leadscalendar.bookings import questions as intake
from leadscalendar.bookings import repository
from leadscalendar.bookings.models import BookingType, Schedule, SendUpdates
from leadscalendar.bookings.questions import QuestionIn
from leadscalendar.errors import ConflictError
from leadscalendar.inputs import MultiLineText, SingleLineText
from leadscalendar.payments import money

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 40320


class BookingTypeIn(BaseModel):
    """Everything a host sets on a booking type, with the limits Google and Stripe impose."""

    model_config = ConfigDict(str_strip_whitespace=True)

    slug: SingleLineText = Field(min_length=1, max_length=64)
    title: SingleLineText = Field(min_length=1, max_length=200)
    description: MultiLineText = Field(default="", max_length=4000)
    duration_minutes: int = Field(ge=5, le=24 * 60)
    price_minor: int = Field(default=0, ge=0, le=99_999_999)
    currency: SingleLineText = Field(default="eur", min_length=3, max_length=3)
    location: SingleLineText | None = Field(default=None, max_length=1024)
    google_meet: bool = False
    buffer_before_minutes: int = Field(default=0, ge=0, le=24 * 60)
    buffer_after_minutes: int = Field(default=0, ge=0, le=24 * 60)
    min_notice_minutes: int = Field(default=120, ge=0, le=60 * 24 * 60)
    max_days_ahead: int = Field(default=60, ge=0, le=730)
    slot_step_minutes: int = Field(default=30, ge=5, le=24 * 60)
    daily_limit: int | None = Field(default=None, ge=1, le=1000)
    calendar_id: SingleLineText | None = Field(default=None, max_length=1024)
    send_updates: SendUpdates = SendUpdates.ALL
    reminders: list[tuple[str, int]] | None = None
    # Our own reminder e-mails, in minutes before the start (default 24 h and 1 h).
    mail_reminder_minutes: list[int] = Field(
        default_factory=lambda: [1440, 60], max_length=MAX_REMINDERS
    )
    remind_host: bool = False
    hold_minutes: int = Field(default=30, ge=5, le=24 * 60)
    refund_cutoff_hours: int = Field(default=24, ge=0, le=24 * 365)
    requires_approval: bool = False
    active: bool = True
    # The intake questions in the order asked; None (or left out) keeps the type's
    # questions as they are, so a client unaware of them never erases them.
    questions: list[QuestionIn] | None = Field(default=None, max_length=intake.MAX_QUESTIONS)
    # Copy the lead's answers into the Google event's description.
    answers_in_event: bool = False

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("use lowercase letters, digits and dashes")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return money.currency(value).code

    @field_validator("reminders")
    @classmethod
    def _reminders(cls, value: list[tuple[str, int]] | None) -> list[tuple[str, int]] | None:
        if value is None:
            return None
        if len(value) > MAX_REMINDERS:
            raise ValueError(f"Google allows at most {MAX_REMINDERS} reminders")
        for method, minutes in value:
            if method not in ("email", "popup"):
                raise ValueError("a reminder is sent by email or popup")
            if not 0 <= minutes <= MAX_REMINDER_MINUTES:
                raise ValueError(f"reminders are 0 to {MAX_REMINDER_MINUTES} minutes before")
        return value

    @field_validator("mail_reminder_minutes")
    @classmethod
    def _mail_reminders(cls, value: list[int]) -> list[int]:
        if any(not 1 <= minutes <= MAX_REMINDER_MINUTES for minutes in value):
            raise ValueError(f"reminders are 1 to {MAX_REMINDER_MINUTES} minutes before")
        return sorted(set(value), reverse=True)

    @field_validator("questions")
    @classmethod
    def _question_ids(cls, value: list[QuestionIn] | None) -> list[QuestionIn] | None:
        if value is not None:
            intake.check_unique_ids(value)
        return value

    @model_validator(mode="after")
    def _price_the_provider_can_charge(self) -> BookingTypeIn:
        # The currency's step (KWD in tens, ISK in hundreds) and Stripe's minimum charge.
        money.check_charge(self.price_minor, self.currency)
        return self


def create_booking_type(session: Session, host_id: uuid.UUID, data: BookingTypeIn) -> BookingType:
    if repository.get_booking_type(session, host_id, data.slug) is not None:
        raise ConflictError(f"You already have a booking type at /{data.slug}.")
    values = _columns(data)
    values.setdefault("questions", [])
    booking_type = BookingType(host_id=host_id, **values)
    session.add(booking_type)
    session.flush()
    return booking_type


def update_booking_type(
    session: Session, booking_type: BookingType, data: BookingTypeIn
) -> BookingType:
    if data.slug != booking_type.slug and repository.get_booking_type(
        session, booking_type.host_id, data.slug
    ):
        raise ConflictError(f"You already have a booking type at /{data.slug}.")
    for name, value in _columns(data).items():
        setattr(booking_type, name, value)
    return booking_type


def _columns(data: BookingTypeIn) -> dict[str, Any]:
    """The type's column values; ``questions`` only when given (ids chosen for new ones)."""
    values = data.model_dump(exclude={"questions"})
    values["reminders"] = [list(pair) for pair in data.reminders] if data.reminders else None
    if data.questions is not None:
        values["questions"] = intake.to_stored(data.questions)
    return values


def set_questions(booking_type: BookingType, questions: list[QuestionIn]) -> None:
    """Replace the type's questions (the dashboard's add, edit, reorder and remove)."""
    intake.check_unique_ids(questions)
    booking_type.questions = [dict(question) for question in intake.to_stored(questions)]


class ScheduleIn(BaseModel):
    """Weekly hours ``{"0": [["09:00","17:00"]]}`` (0 = Monday) and date overrides."""

    weekly: dict[int, list[tuple[time, time]]]
    overrides: dict[date, list[tuple[time, time]]] = Field(default_factory=dict)

    @field_validator("weekly")
    @classmethod
    def _weekdays(
        cls, value: dict[int, list[tuple[time, time]]]
    ) -> dict[int, list[tuple[time, time]]]:
        for day, intervals in value.items():
            if not 0 <= day <= 6:
                raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
            for start, end in intervals:
                if end != time(0) and end <= start:
                    raise ValueError("each interval must end after it starts")
        return value


def _as_json(intervals: list[tuple[time, time]]) -> list[list[str]]:
    return [[start.strftime("%H:%M"), end.strftime("%H:%M")] for start, end in intervals]


def set_schedule(session: Session, host_id: uuid.UUID, data: ScheduleIn) -> Schedule:
    schedule = repository.get_schedule(session, host_id)
    if schedule is None:
        schedule = Schedule(host_id=host_id, weekly={}, overrides={})
        session.add(schedule)
    schedule.weekly = {str(day): _as_json(intervals) for day, intervals in data.weekly.items()}
    schedule.overrides = {day.isoformat(): _as_json(ivs) for day, ivs in data.overrides.items()}
    session.flush()
    return schedule
