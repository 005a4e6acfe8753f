"""Why a mail job waits for a person: this domain's park codes.

As ``bookings.park_codes``: the jobs package stores a park code as an opaque
string; the words belong to the domain that parks with them.
"""

from __future__ import annotations

import enum


class MailParkCode(enum.StrEnum):
    # The message could not be built from its template and context (a bug of ours).
    MAIL_INVALID = "mail_invalid"
    # The mail server refused the message for good (5xx).
    MAIL_REJECTED = "mail_rejected"
    # A digest job whose payload names no host or day.
    DIGEST_INVALID = "digest_invalid"
