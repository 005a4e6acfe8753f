"""Deleting a host's account without breaking any lead's money flow.

Policy: deletion is refused while the host has a booking that still moves
money or is still owed a meeting: a hold or checkout in progress (a payment
may land), a booking awaiting approval (paid, a decision pending), or a paid
or scheduled booking that has not ended. The host cancels those first (each
cancellation refunds per the booking type's policy, through the usual jobs),
so every lead is answered by a person's decision, never by a deletion.

Once allowed, the account is scrubbed rather than dropped: the host's row
stays, with no name, e-mail, password or public address, so past bookings and
their append-only payment events (refunds and disputes can still arrive) keep
pointing somewhere. Sessions end and API keys go at once; Google's grant is
revoked by a job (``google.tasks.REVOKE_GRANT``), after the commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from leadscalendar.accounts import repository as accounts_repository
from leadscalendar.accounts.errors import AccountDeletionRefusedError, WrongPasswordError
from leadscalendar.accounts.models import ApiKey, Host
from leadscalendar.accounts.passwords import verify_password
from leadscalendar.bookings.models import Booking, BookingType
from leadscalendar.bookings.states import BookingStatus
from leadscalendar.google import repository as google_repository
from leadscalendar.google.tasks import REVOKE_GRANT
from leadscalendar.jobs import enqueue

IN_PROGRESS = (BookingStatus.AWAITING_PAYMENT, BookingStatus.AWAITING_APPROVAL)
OWED = (BookingStatus.PAID, BookingStatus.SCHEDULED)
# A password hash no password matches (argon2 refuses to parse it).
UNUSABLE_PASSWORD = "!deleted"  # noqa: S105 - matches no password


def blocking_bookings(session: Session, host: Host, now: datetime) -> int:
    """How many bookings keep the account from being deleted (see the module's policy)."""
    count = session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.host_id == host.id,
            or_(
                Booking.status.in_(IN_PROGRESS),
                (Booking.status == BookingStatus.HELD) & (Booking.hold_expires_at > now),
                Booking.status.in_(OWED) & (Booking.end_at > now),
            ),
        )
    )
    return int(count or 0)


def delete_account(session: Session, host: Host, *, password: str, now: datetime) -> None:
    """Delete the host's account if nothing is owed; the caller commits and logs out."""
    if not verify_password(host.password_hash, password):
        raise WrongPasswordError()
    blocking = blocking_bookings(session, host, now)
    if blocking:
        plural = "s" if blocking != 1 else ""
        raise AccountDeletionRefusedError(
            f"You have {blocking} upcoming or unfinished booking{plural}. Cancel them first "
            "(leads are refunded per your policy), then delete the account."
        )
    if google_repository.get_connection(session, host.id) is not None:
        enqueue(
            session,
            REVOKE_GRANT,
            {"host_id": str(host.id)},
            subject_key=f"host:{host.id}",
            host_id=host.id,
            dedupe_key=f"revoke_google_grant:{host.id}",
        )
    session.execute(update(BookingType).where(BookingType.host_id == host.id).values(active=False))
    session.execute(delete(ApiKey).where(ApiKey.host_id == host.id))
    accounts_repository.delete_sessions(session, host.id)
    host.email = f"deleted-{host.id.hex}@deleted.invalid"
    host.name = "Deleted account"
    host.slug = f"deleted-{host.id.hex}"
    host.password_hash = UNUSABLE_PASSWORD
    host.email_verified_at = None
    host.deleted_at = now
    session.flush()
