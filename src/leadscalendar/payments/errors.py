"""The payments error family: callers decide between "retry later" and "give up" by class."""

from __future__ import annotations

from leadscalendar.errors import LeadsCalendarError

# What a lead reads when the provider fails: what to do, never the provider's own
# words (they are for developers and can quote a masked key); the log has those.
PROVIDER_UNAVAILABLE_MESSAGE = (
    "Payments are not available right now. Please try again in a few minutes."
)
PROVIDER_REFUSED_MESSAGE = (
    "We could not start the payment for this booking. Please try again later, or "
    "contact the host if it keeps happening."
)


class PaymentError(LeadsCalendarError):
    """Base of every payment failure."""

    status_code = 502
    #: Whether the same call, with the same idempotency key, may succeed later.
    retryable: bool = False


class PaymentProviderUnavailableError(PaymentError):
    """Network trouble, rate limiting or a 5xx: retry with the same idempotency key."""

    status_code = 503
    retryable = True


class PaymentRejectedError(PaymentError):
    """The provider refused the request (invalid request, card, auth): retrying cannot help."""

    status_code = 502

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        provider_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.param = param
        self.provider_status = provider_status


class WebhookVerificationError(PaymentError):
    """A webhook whose signature, timestamp or body we cannot trust; nothing is recorded."""

    status_code = 400
