"""The host's public page ``/{host}`` and the embeds a host puts on their own site.

``/embed/{host}`` and ``/embed/{host}/{type}`` are the same pages made to be
framed (see ``security_headers``): they only list booking types and free
slots. ``<base target="_top">`` in the layout sends every other link and form
(a slot, a booking type) to the top window, so the details, review and
payment pages are never framed; ``static/embed-frame.js`` keeps navigation
within the page (other weeks, the time zone) inside the frame and tells the
embedding page how tall the content is.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leadscalendar import i18n
from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.accounts.models import Host
from leadscalendar.bookings import repository as bookings_repository
from leadscalendar.bookings.lead_source import carried
from leadscalendar.errors import NotFoundError
from leadscalendar.inputs import BookableDate
from leadscalendar.web import (
    host_slugs,  # noqa: F401  (registers the ``host_slug`` path convertor)
    lead_views,
)
from leadscalendar.web.deps import ReadDbSession, ServicesDep
from leadscalendar.web.lead_context import TzParam
from leadscalendar.web.lead_form import link_source
from leadscalendar.web.routes import public_pages
from leadscalendar.web.templating import templates

router = APIRouter(tags=["public pages"])

# The flag the public layout reads: framed pages open everything else at the top.
EMBED_STATE_KEY = "embed"


class HostPageNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("There is no booking page at this address. Please check the link.")


def _host_context(session: ReadDbSession, host_slug: str, source: str = "") -> dict[str, Any]:
    host: Host | None = accounts_repository.get_host_by_slug(session, host_slug)
    # An unconfirmed sign-up publishes nothing yet (its booking pages 404 as well).
    if host is None or not host.is_verified:
        raise HostPageNotFoundError()
    types = [t for t in bookings_repository.list_booking_types(session, host.id) if t.active]
    return {
        "host_name": host.name,
        "host_slug": host.slug,
        "types": [
            {
                "title": booking_type.title,
                "description": booking_type.description,
                # The link's utm_*, ref and referring site go on to the booking page.
                "url": f"/{host.slug}/{booking_type.slug}" + (f"?{source}" if source else ""),
                "duration": lead_views.duration_label(booking_type.duration_minutes),
                "price": i18n.format_price(booking_type.price_minor, booking_type.currency),
            }
            for booking_type in types
        ],
    }


@router.get("/embed/{host_slug:host_slug}")
def embedded_host_page(request: Request, session: ReadDbSession, host_slug: str) -> Response:
    """The host page, to frame on the host's site: every booking type opens at the top."""
    setattr(request.state, EMBED_STATE_KEY, True)
    return host_page(request, session, host_slug)


@router.get("/embed/{host_slug:host_slug}/{type_slug}")
def embedded_booking_page(
    request: Request,
    session: ReadDbSession,
    services: ServicesDep,
    host_slug: str,
    type_slug: str,
    tz: TzParam = None,
    start: Annotated[BookableDate | None, Query()] = None,
) -> Response:
    """The booking page's slot list, to frame; picking a slot continues at the top."""
    setattr(request.state, EMBED_STATE_KEY, True)
    return public_pages.booking_page(
        request, session, services, host_slug, type_slug, tz=tz, start=start
    )


@router.get("/{host_slug:host_slug}")
def host_page(request: Request, session: ReadDbSession, host_slug: str) -> Response:
    """The host's booking types, each a link to its booking page."""
    context = _host_context(session, host_slug, urlencode(carried(link_source(request))))
    return templates.TemplateResponse(request, "public/host.html", context)
