"""The lead's booking pages: pick a time, give details, review, confirm (then pay).

Server-rendered HTML over ``web/booking_flow.py``, the same functions the
public JSON API calls; a signed token in the URL (not an account) gives the
lead access to their booking. Every form POST is CSRF-checked.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from leadscalendar import i18n
from leadscalendar.accounts.models import Host
from leadscalendar.availability.display import Clock
from leadscalendar.availability.zones import load_zone
from leadscalendar.bookings import repository as bookings_repository
from leadscalendar.bookings import service as booking_service
from leadscalendar.bookings.answers import format_answers
from leadscalendar.bookings.errors import NotTakingBookingsError, SlotTakenError
from leadscalendar.bookings.lead_source import LeadSource, carried
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.bookings.schemas import HoldRequest
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.db.base import utcnow
from leadscalendar.errors import LeadsCalendarError
from leadscalendar.idempotency.models import Surface
from leadscalendar.idempotency.service import IdempotencyKeyReusedError
from leadscalendar.inputs import BookableDate, bounded_moment
from leadscalendar.web import (
    booking_flow,
    host_slugs,  # noqa: F401  (registers the ``host_slug`` path convertor)
    lead_form,
    lead_views,
    month_view,
)
from leadscalendar.web.csrf import SESSION_KEY as CSRF_SESSION_KEY
from leadscalendar.web.csrf import require_csrf
from leadscalendar.web.deps import ReadDbSession, ServicesDep
from leadscalendar.web.idempotency import keyed_request
from leadscalendar.web.lead_context import (
    HOLD_EXPIRED,
    ClockParam,
    MonthParam,
    Token,
    TzParam,
    booking_context,
    hold_expired,
    lead_clock,
    status_url,
)
from leadscalendar.web.rate_limit import HoldRateLimit, count_hold_attempt
from leadscalendar.web.templating import templates

router = APIRouter(tags=["public pages"])

PostedForm = Annotated[dict[str, list[str]], Depends(lead_form.posted_form)]
FormStr = Annotated[str, Form(max_length=8000)]
FORM_ALREADY_SENT = (
    "This form was already sent with other details. Please check them and send the form again."
)


def _type_context(
    host: Host, booking_type: BookingType, time_zone: str, clock: Clock = "24h"
) -> dict[str, Any]:
    return {
        "host_name": host.name,
        "host_slug": host.slug,
        "booking_type": booking_type,
        "duration": lead_views.duration_label(booking_type.duration_minutes),
        "price": i18n.format_price(booking_type.price_minor, booking_type.currency),
        "time_zone": time_zone,
        "zone_names": lead_views.zone_names(),
        "zone_labels": lead_views.zone_labels(utcnow()),
        "clock": clock,
        "clock_param": lead_views.clock_param(clock),
    }


@router.get("/{host_slug:host_slug}/{type_slug}")
def booking_page(
    request: Request,
    session: ReadDbSession,
    services: ServicesDep,
    host_slug: str,
    type_slug: str,
    tz: TzParam = None,
    clock: ClockParam = None,
    month: MonthParam = None,
    day: Annotated[BookableDate | None, Query()] = None,
    start: Annotated[BookableDate | None, Query()] = None,
) -> Response:
    """The booking type, a month of days with free times, and the picked day's times.

    ``start`` is the week pager's old parameter, kept so shared links still open.
    """
    host, booking_type = booking_flow.find_booking_type(session, host_slug, type_slug)
    time_zone = lead_views.resolve_zone(tz, host.timezone)
    chosen_clock = lead_clock(request, clock)
    base = f"/{host_slug}/{type_slug}"
    context = _type_context(host, booking_type, time_zone, chosen_clock)
    asked = month_view.MonthQuery(
        time_zone, chosen_clock, month_view.parse_month(month), day or start
    )
    # The link's utm_*, ref and referring site ride along on every link to the form.
    source = carried(lead_form.link_source(request))
    view = month_view.load(
        services,
        host_slug=host_slug,
        booking_type=booking_type,
        asked=asked,
        base=base,
        extra=source,
    )
    status_code = 200
    if isinstance(view, NotTakingBookingsError):
        context.update(view=None, unavailable=view.message)
        status_code = view.status_code
    else:
        context.update(view=view, unavailable=None)
        query = {**dict(request.query_params), **source}
        context["clock_urls"] = month_view.clock_urls(base, query, time_zone)
    context.update(book_url=f"{base}/book", source=source, source_query=urlencode(source))
    return templates.TemplateResponse(
        request, "public/booking_type.html", context, status_code=status_code
    )


def _parse_start(raw: str) -> datetime:
    try:
        return bounded_moment(datetime.fromisoformat(raw))
    except ValueError:
        raise LeadsCalendarError("That time is not valid. Please pick a time again.") from None


def _details_page(
    request: Request,
    host: Host,
    booking_type: BookingType,
    *,
    start: datetime,
    time_zone: str,
    clock: Clock = "24h",
    source: LeadSource | None = None,
    form: lead_form.PostedForm | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    end = start + timedelta(minutes=booking_type.duration_minutes)
    context = _type_context(host, booking_type, time_zone, clock)
    day = start.astimezone(load_zone(time_zone)).date()
    errors = errors or {}
    context.update(
        start=start.isoformat(),
        when=lead_views.moment(start, end, time_zone, clock),
        values={name: lead_form.first(form or {}, name) for name in lead_form.DETAIL_FIELDS},
        questions=lead_form.question_views(booking_type, form, errors),
        error_labels=lead_form.error_labels(booking_type),
        source_fields=list(carried(source).items()),
        errors=errors,
        nonce=secrets.token_urlsafe(16),
        action=f"/{host.slug}/{booking_type.slug}/book",
        back_url=month_view.page_url(
            f"/{host.slug}/{booking_type.slug}",
            {"tz": time_zone, "clock": lead_views.clock_param(clock)},
            month=f"{day:%Y-%m}",
            day=day.isoformat(),
        )
        + "#times",
    )
    return templates.TemplateResponse(
        request, "public/details.html", context, status_code=status_code
    )


@router.get("/{host_slug:host_slug}/{type_slug}/book")
def details_form(
    request: Request,
    session: ReadDbSession,
    host_slug: str,
    type_slug: str,
    start: Annotated[str, Query(max_length=64)],
    tz: TzParam = None,
    clock: ClockParam = None,
) -> Response:
    """The lead's details for the picked slot: name, e-mail, notes, guests, the type's questions."""
    host, booking_type = booking_flow.find_booking_type(session, host_slug, type_slug)
    time_zone = lead_views.resolve_zone(tz, host.timezone)
    return _details_page(
        request,
        host,
        booking_type,
        start=_parse_start(start),
        time_zone=time_zone,
        clock=lead_clock(request, clock),
        source=lead_form.link_source(request),
    )


def idempotency_key(request: Request, nonce: str) -> str | None:
    """One booking per rendered form: a double-submit carries the same nonce.

    Mixed with the session's CSRF secret so a nonce seen elsewhere (a shared
    screenshot, a proxy log) cannot be replayed to reach someone's booking.
    """
    secret = request.session.get(CSRF_SESSION_KEY)
    if not nonce or not isinstance(secret, str):
        return None
    return hashlib.sha256(f"{secret}:{nonce}".encode()).hexdigest()


def _hold_once(
    request: Request,
    services: ServicesDep,
    host: Host,
    booking_type: BookingType,
    hold_request: HoldRequest,
    nonce: str,
) -> uuid.UUID:
    """Hold once per rendered form: a double-submit of the same details is the first hold."""
    held = booking_flow.hold_once(
        services,
        host.id,
        keyed_request(Surface.PAGES, idempotency_key(request, nonce), request, hold_request),
        host_slug=host.slug,
        type_slug=booking_type.slug,
        request=hold_request,
        status_code=303,
    )
    return uuid.UUID(held.body["id"])


def _slot_taken_page(
    request: Request,
    host: Host,
    booking_type: BookingType,
    time_zone: str,
    form: lead_form.PostedForm,
    exc: SlotTakenError,
) -> Response:
    context = _type_context(host, booking_type, time_zone)
    context.update(
        message=exc.message,
        alternatives=[
            {"start": alt.isoformat(), "label": lead_views.slot_label(alt, time_zone)}
            for alt in exc.alternatives
        ],
        hidden_fields=lead_form.hidden_fields(form),
        action=f"/{host.slug}/{booking_type.slug}/book",
        back_url=f"/{host.slug}/{booking_type.slug}?tz={time_zone}",
        nonce=secrets.token_urlsafe(16),
    )
    return templates.TemplateResponse(
        request, "public/slot_taken.html", context, status_code=exc.status_code
    )


@router.post(
    "/{host_slug:host_slug}/{type_slug}/book", dependencies=[Depends(require_csrf), HoldRateLimit]
)
def hold_slot(
    request: Request,
    session: ReadDbSession,
    services: ServicesDep,
    host_slug: str,
    type_slug: str,
    form: PostedForm,
    start: FormStr = "",
    tz: FormStr = "",
    name: FormStr = "",
    email: FormStr = "",
    notes: FormStr = "",
    guests: FormStr = "",
    nonce: FormStr = "",
    clock: FormStr = "",
) -> Response:
    """Hold the slot, then show the review page; a taken slot shows the next free ones.

    ``name`` to ``guests`` are declared for their length limit; the form reads
    them with the intake answers and the carried lead source (``lead_form``).
    """
    host, booking_type = booking_flow.find_booking_type(session, host_slug, type_slug)
    time_zone = lead_views.resolve_zone(tz, host.timezone)
    chosen_clock = lead_clock(request, clock)
    moment = _parse_start(start)
    parsed = lead_form.parse(booking_type, form, time_zone)

    def redisplay(errors: dict[str, str], status_code: int) -> Response:
        return _details_page(
            request,
            host,
            booking_type,
            start=moment,
            time_zone=time_zone,
            clock=chosen_clock,
            source=parsed.source,
            form=form,
            errors=errors,
            status_code=status_code,
        )

    if parsed.lead is None or parsed.errors:
        return redisplay(parsed.errors, 400)
    # Valid details: only now does the attempt count against the address's limit (in a
    # transaction of its own; this request's session only reads, so nothing waits for it).
    count_hold_attempt(request)
    hold_request = HoldRequest(
        start=moment, lead=parsed.lead, answers=parsed.answers, source=parsed.source
    )
    try:
        booking_id = _hold_once(request, services, host, booking_type, hold_request, nonce)
    except IdempotencyKeyReusedError:
        # The same form sent again (e.g. after going back) with other details.
        return redisplay({"form": FORM_ALREADY_SENT}, 422)
    except SlotTakenError as exc:
        return _slot_taken_page(request, host, booking_type, time_zone, form, exc)
    token = services.links.token_for(booking_id)
    review_url = f"/bookings/{booking_id}/review?token={token}"
    return RedirectResponse(
        f"{review_url}&clock={lead_views.clock_param(chosen_clock)}", status_code=303
    )


def _review_page(
    request: Request,
    services: ServicesDep,
    session: Session,
    booking: Booking,
    token: str,
    *,
    clock: Clock = "24h",
    expired: bool = False,
) -> Response:
    time_zone = booking.lead_time_zone
    context = booking_context(services, session, booking, token, time_zone)
    booking_type = bookings_repository.get_booking_type_by_id(session, booking.booking_type_id)
    context.update(
        expired_message=HOLD_EXPIRED if expired else None,
        when=lead_views.moment(booking.start_at, booking.end_at, time_zone, clock),
        requires_approval=bool(booking_type and booking_type.requires_approval),
        clock_param=lead_views.clock_param(clock),
        answers=format_answers(booking.answers),
    )
    if booking.hold_expires_at is not None:
        context["hold_until"] = lead_views.hold_until_label(
            booking.hold_expires_at, time_zone, clock
        )
    return templates.TemplateResponse(
        request, "public/review.html", context, status_code=409 if expired else 200
    )


@router.get("/bookings/{booking_id}/review")
def review(
    request: Request,
    session: ReadDbSession,
    services: ServicesDep,
    booking_id: uuid.UUID,
    token: Token,
    clock: ClockParam = None,
) -> Response:
    """ "You are booking X on <date> at <time> for <price>" and the Confirm button."""
    services.links.verify(booking_id, token)
    booking = booking_service.get_booking(session, booking_id)
    if booking.status is not BookingStatus.HELD:
        return RedirectResponse(status_url(booking.id, token), status_code=303)
    return _review_page(
        request,
        services,
        session,
        booking,
        token,
        clock=lead_clock(request, clock),
        expired=hold_expired(booking, utcnow()),
    )


@router.post("/bookings/{booking_id}/confirm", dependencies=[Depends(require_csrf)])
def confirm(
    request: Request,
    session: ReadDbSession,
    services: ServicesDep,
    booking_id: uuid.UUID,
    token: FormStr = "",
    clock: FormStr = "",
) -> Response:
    """Free types go straight to the status page; paid types to the checkout page."""
    services.links.verify(booking_id, token)
    booking = booking_service.get_booking(session, booking_id)
    if booking.status is BookingStatus.HELD and hold_expired(booking, utcnow()):
        chosen_clock = lead_clock(request, clock)
        return _review_page(
            request, services, session, booking, token, clock=chosen_clock, expired=True
        )
    target = booking_flow.confirm(services, booking_id, _after_confirm)
    return RedirectResponse(target or status_url(booking_id, token), status_code=303)


def _after_confirm(_session: Session, booking: Booking) -> str | None:
    """Where the lead goes next: the checkout page when there is one to pay at."""
    if booking.status is BookingStatus.AWAITING_PAYMENT and booking.checkout_url:
        return booking.checkout_url
    return None
