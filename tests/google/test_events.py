from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadscalendar.errors import LeadsCalendarError
from leadscalendar.google.errors import InvalidEventError
from leadscalendar.google.events import (
    BOOKING_ID_PROPERTY,
    Attendee,
    EventSpec,
    Reminder,
    booking_id_of,
    build_event_body,
    conference_request_id_for,
    event_id_for,
    rfc3339,
    validate,
)

EVENT_ID = re.compile(r"^[0-9a-v]{5,1024}$")
BOOKING = uuid.UUID("6f1c2a4e-9d1b-4c3e-8a55-0d4c7f3b2e19")
PARIS = ZoneInfo("Europe/Paris")


def spec(**changes: object) -> EventSpec:
    base = EventSpec(
        booking_id=BOOKING,
        summary="Discovery call with Ada Lovelace",
        description="Booked through LeadsCalendar.",
        start=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        end=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        time_zone="Europe/Paris",
        attendees=(Attendee("ada@example.com", "Ada Lovelace"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- event ids ---


@given(st.uuids())
def test_event_id_alphabet_and_length(booking_id: uuid.UUID) -> None:
    assert EVENT_ID.match(event_id_for(booking_id))
    assert len(event_id_for(booking_id)) == 26


@given(st.uuids())
def test_event_id_is_deterministic(booking_id: uuid.UUID) -> None:
    assert event_id_for(booking_id) == event_id_for(uuid.UUID(str(booking_id)))


@given(st.uuids(), st.uuids())
def test_event_id_is_injective(a: uuid.UUID, b: uuid.UUID) -> None:
    assert (event_id_for(a) == event_id_for(b)) == (a == b)


def test_event_id_known_value() -> None:
    # Pinned: changing the derivation would break Invariant 1 for in-flight jobs.
    assert event_id_for(BOOKING) == "dse2kjkt3d63t2il1l67uepe34"
    assert event_id_for(uuid.UUID(int=0)) == "0" * 26


# --- the body ---


def test_body_shape() -> None:
    body = build_event_body(spec())
    assert body == {
        "id": event_id_for(BOOKING),
        "summary": "Discovery call with Ada Lovelace",
        "description": "Booked through LeadsCalendar.",
        "start": {"dateTime": "2026-12-01T10:00:00+01:00", "timeZone": "Europe/Paris"},
        "end": {"dateTime": "2026-12-01T10:30:00+01:00", "timeZone": "Europe/Paris"},
        "attendees": [{"email": "ada@example.com", "displayName": "Ada Lovelace"}],
        "reminders": {"useDefault": True},
        "extendedProperties": {"private": {BOOKING_ID_PROPERTY: str(BOOKING)}},
    }


def test_body_with_meet_location_and_reminders() -> None:
    body = build_event_body(
        spec(
            google_meet=True,
            location="12 Rue de Rivoli, Paris",
            reminders=(Reminder("email", 1440), Reminder("popup", 10)),
            attendees=(Attendee("ada@example.com"),),
        )
    )
    assert body["conferenceData"] == {
        "createRequest": {
            "requestId": conference_request_id_for(BOOKING),
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
        }
    }
    assert body["location"] == "12 Rue de Rivoli, Paris"
    assert body["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "email", "minutes": 1440}, {"method": "popup", "minutes": 10}],
    }
    assert body["attendees"] == [{"email": "ada@example.com"}]


def test_no_reminders_at_all_is_not_the_calendar_default() -> None:
    assert build_event_body(spec(reminders=()))["reminders"] == {
        "useDefault": False,
        "overrides": [],
    }


def test_body_is_the_same_on_every_attempt() -> None:
    assert build_event_body(spec(google_meet=True)) == build_event_body(spec(google_meet=True))


def test_booking_id_round_trips_through_the_body() -> None:
    assert booking_id_of(build_event_body(spec())) == BOOKING


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"extendedProperties": {}},
        {"extendedProperties": {"private": {BOOKING_ID_PROPERTY: "not-a-uuid"}}},
        {"extendedProperties": {"shared": {BOOKING_ID_PROPERTY: str(BOOKING)}}},
        {"extendedProperties": {"private": {BOOKING_ID_PROPERTY: 42}}},
    ],
)
def test_events_that_are_not_ours(event: dict[str, object]) -> None:
    assert booking_id_of(event) is None


def test_start_and_end_keep_the_wall_time_across_dst() -> None:
    # 2026-03-29 Paris goes from +01:00 to +02:00 at 02:00.
    body = build_event_body(
        spec(
            start=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
            end=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        )
    )
    assert body["start"]["dateTime"] == "2026-03-29T01:30:00+01:00"
    assert body["end"]["dateTime"] == "2026-03-29T03:30:00+02:00"


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.sampled_from(
            [UTC, PARIS, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]
        ),
    ),
    st.sampled_from(["Europe/Paris", "America/Los_Angeles", "Asia/Kathmandu", "UTC"]),
)
def test_rfc3339_parses_back_to_the_same_instant(moment: datetime, zone: str) -> None:
    text = rfc3339(moment, zone)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$", text)
    parsed = datetime.fromisoformat(text)
    # Compare in UTC: == between zones is always False for a wall time that a
    # DST jump skips (PEP 495), and hypothesis does generate those.
    assert parsed.astimezone(UTC) == moment.astimezone(UTC)
    assert parsed.utcoffset() == moment.astimezone(ZoneInfo(zone)).utcoffset()


# --- validation ---


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"summary": ""}, "summary"),
        ({"summary": "   "}, "summary"),
        ({"summary": "x" * 1025}, "summary"),
        ({"description": "x" * 8193}, "description"),
        ({"location": "x" * 1025}, "location"),
        ({"start": datetime(2026, 12, 1, 9, 0)}, "start"),  # noqa: DTZ001 - naive on purpose
        ({"end": datetime(2026, 12, 1, 9, 30)}, "end"),  # noqa: DTZ001 - naive on purpose
        ({"end": datetime(2026, 12, 1, 9, 0, tzinfo=UTC)}, "end"),
        ({"end": datetime(2026, 12, 1, 8, 0, tzinfo=UTC)}, "end"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "+01:00"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"attendees": (Attendee("not-an-email"),)}, "attendees"),
        ({"attendees": (Attendee("ada@"),)}, "attendees"),
        ({"attendees": (Attendee("a@example.com"), Attendee("A@Example.com"))}, "attendees"),
        ({"reminders": tuple(Reminder("popup", m) for m in range(6))}, "reminders"),
        ({"reminders": (Reminder("popup", -1),)}, "reminders"),
        ({"reminders": (Reminder("popup", 40321),)}, "reminders"),
        ({"reminders": (Reminder("sms", 10),)}, "reminders"),  # type: ignore[arg-type]
        ({"send_updates": "everyone"}, "send_updates"),
    ],
)
def test_validate_refuses(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        validate(spec(**changes))
    assert caught.value.field == field
    assert isinstance(caught.value, LeadsCalendarError)
    assert caught.value.status_code == 422
    with pytest.raises(InvalidEventError):
        build_event_body(spec(**changes))


@pytest.mark.parametrize(
    "changes",
    [
        {"summary": "x" * 1024, "description": "y" * 8192, "location": "z" * 1024},
        {"reminders": tuple(Reminder("popup", m) for m in (0, 10, 60, 1440, 40320))},
        {
            "start": datetime(2026, 12, 1, 4, 0, tzinfo=timezone(timedelta(hours=-5))),
            "end": datetime(2026, 12, 1, 4, 1, tzinfo=timezone(timedelta(hours=-5))),
        },
        {"attendees": ()},
        {"time_zone": "UTC"},
    ],
)
def test_validate_accepts_the_limits(changes: dict[str, object]) -> None:
    validate(spec(**changes))
