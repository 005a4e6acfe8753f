"""Secrets and signatures per the Standard Webhooks specification.

A secret is ``whsec_`` + base64 of random bytes; a signature is
``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``. During a rotation's
overlap both the new and the previous secret sign, space-separated, so a
receiver still holding the old secret keeps verifying until it switches.
The signing itself is the ``standardwebhooks`` library's, the same code a
receiver verifies with.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from leadscalendar.google.tokens import TokenCipher

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@dataclass(frozen=True)
class EndpointSecrets:
    current: str
    # Still signing until the overlap ends; None outside a rotation.
    previous: str | None = None

    def encrypt(self, cipher: TokenCipher) -> bytes:
        plain = {"current": self.current, "previous": self.previous}
        return cipher.encrypt(json.dumps(plain).encode())

    @classmethod
    def decrypt(cls, cipher: TokenCipher, ciphertext: bytes) -> EndpointSecrets:
        plain = json.loads(cipher.decrypt(ciphertext))
        return cls(current=plain["current"], previous=plain.get("previous"))


def signature_headers(
    message_id: str,
    body: str,
    signing_secrets: list[str],
    *,
    at: datetime,
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt (the timestamp is the attempt's)."""
    at = at.astimezone(UTC)
    signatures = [Webhook(secret).sign(message_id, at, body) for secret in signing_secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
