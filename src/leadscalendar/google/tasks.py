"""The Google side of deleting an account: revoke the grant, then forget the tokens.

Run as a job, not in the request that deletes the account: the revocation is
a call to Google, which must not happen inside a write transaction, and which
must be retried until Google has heard it (an unreachable Google is not a
reason to keep the grant alive).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy.orm import Session

from leadscalendar.config import Settings
from leadscalendar.google import oauth, repository
from leadscalendar.google.tokens import TokenCipher
from leadscalendar.jobs.outcomes import Outcome, Retry, Succeeded
from leadscalendar.jobs.registry import JobContext

REVOKE_GRANT = "revoke_google_grant"


def revoke_grant(ctx: JobContext, settings: Settings, cipher: TokenCipher) -> Outcome:
    """Revoke the host's grant at Google, then delete the stored connection."""
    host_id = uuid.UUID(str(ctx.job.payload["host_id"]))
    with ctx.read() as session:
        connection = repository.get_connection(session, host_id)
        if connection is None:
            return Succeeded("no Google connection left")
        tokens = cipher.decrypt_tokens(connection.token_ciphertext)
    if not oauth.revoke(settings, tokens.refresh_token or tokens.access_token):
        return Retry("Google could not be reached to revoke the grant")
    return Succeeded(
        "grant revoked at Google", effects=(ForgetConnection(host_id),), operation="revoke"
    )


@dataclass(frozen=True)
class ForgetConnection:
    """Delete the host's stored Google connection (its tokens with it)."""

    name: ClassVar[str] = "google.forget_connection"
    host_id: uuid.UUID

    def apply(self, session: Session) -> None:
        connection = repository.get_connection(session, self.host_id)
        if connection is not None:
            session.delete(connection)
