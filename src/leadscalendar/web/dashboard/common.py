"""Pieces every dashboard route uses: the posted form, rendering, the host's calendars."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from leadscalendar.accounts.models import Host
from leadscalendar.google.calendar import CalendarInfo
from leadscalendar.google.exceptions import NotConnectedError, ReauthorizationRequiredError
from leadscalendar.services import Services
from leadscalendar.web.dashboard.forms import FormValues
from leadscalendar.web.routes.dashboard import NOTICE_KEY
from leadscalendar.web.templating import templates

logger = logging.getLogger(__name__)

PARKED_BANNER_LIMIT = 500


async def form_values(request: Request) -> FormValues:
    """The posted form as plain strings (files and repeated keys are not used here).

    Async so the body is read on the event loop; the sync route that depends
    on it then runs in the thread pool with the database.
    """
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def render(
    request: Request,
    template: str,
    host: Host,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """A dashboard page: the host and any one-time notice are always in the context."""
    return templates.TemplateResponse(
        request,
        template,
        {"host": host, "notice": request.session.pop(NOTICE_KEY, None), **(context or {})},
        status_code=status_code,
    )


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class CalendarChoices:
    """The host's writable calendars, or why they could not be listed."""

    calendars: tuple[CalendarInfo, ...] | None
    problem: str | None = None

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(calendar.id for calendar in self.calendars or ())


def writable_calendars(services: Services, host_id: uuid.UUID) -> CalendarChoices:
    """Ask Google for the calendar list; never fail the page because Google cannot answer.

    Call it with no transaction open (a route's call-out phase): a token
    refresh writes from a session of its own, and on SQLite that would wait
    for an open transaction's lock.
    """
    try:
        listed = services.calendars.for_host(host_id).list_calendars()
    except NotConnectedError:
        return CalendarChoices(
            None, "Google Calendar is not connected, so your calendars cannot be listed."
        )
    except ReauthorizationRequiredError:
        return CalendarChoices(
            None, "Google Calendar needs to be reconnected before your calendars can be listed."
        )
    except Exception:
        logger.warning("calendar list unavailable for host %s", host_id, exc_info=True)
        return CalendarChoices(None, "Google Calendar cannot be reached right now.")
    return CalendarChoices(tuple(calendar for calendar in listed if calendar.writable))
