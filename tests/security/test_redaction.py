"""The log record factory's patterns: secrets masked, ordinary fields left readable."""

from __future__ import annotations

import pytest

from leadscalendar.logging import redact


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("GET /oauth/google/callback?state=s&code=4/0AbC-d", "4/0AbC-d"),
        ("body grant_type=refresh_token&refresh_token=1//0gXyZ&client_secret=shh", "1//0gXyZ"),
        ("client_secret=GOCSPX-abc123", "GOCSPX-abc123"),
        ("{'access_token': 'ya29.a0Af', 'expires_in': 3599}", "ya29.a0Af"),
        ('{"id_token": "eyJhbGciOi.payload.sig"}', "eyJhbGciOi.payload.sig"),
        ("code_verifier=Zx9_verifier-value", "Zx9_verifier-value"),
        ("Authorization: Bearer opaque-token-value", "opaque-token-value"),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("csrf_token=abcDEF123 auth_token=zzz999", "abcDEF123"),
        ("auth_token=zzz999", "zzz999"),
        ("stripe webhook_secret=whsec_abc and key sk_live_51Habc", "whsec_abc"),
        ("key sk_live_51Habc", "sk_live_51Habc"),
        ("password: hunter2-long", "hunter2-long"),
        ("password_hash=$argon2id$v=19$m=65536", "$argon2id$v=19$m=65536"),
        ("/bookings/1?token=signed.value", "signed.value"),
    ],
)
def test_secrets_are_masked(line: str, secret: str) -> None:
    assert secret not in redact(line)
    assert "[redacted]" in redact(line)


@pytest.mark.parametrize(
    "line",
    [
        "job.finished status=succeeded park_code=calendar_not_found latency_ms=5",
        "message='Stripe API response' response_code=200",
        "HTTP status_code=409 token_version=3 max_tokens: 5",
    ],
)
def test_ordinary_fields_stay_readable(line: str) -> None:
    assert redact(line) == line
