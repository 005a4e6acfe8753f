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
        # A booking link inside another URL's query: the separators are %-escaped.
        ("/login?next=%2Fbookings%2F1%3Ftoken%3DIjEi.sig-nat_ure%26paid%3D1", "IjEi.sig-nat_ure"),
        ("/x?next=%252Fbookings%253Ftoken%253DIjEi.twice", "IjEi.twice"),
        ("/x?token=IjEi%2Esig", "IjEi%2Esig"),
        # Lead details with a shape: e-mail addresses, plain or URL-encoded.
        ("hold for lena.lead+cal@example.co.uk failed", "lena.lead+cal@example.co.uk"),
        ("GET /?email=lena%40example.com", "lena%40example.com"),
        # What PostgreSQL and SQLAlchemy quote of the row in a database error.
        ("DETAIL:  Key (email)=(Lena Lead) already exists.", "Lena Lead"),
        ("[parameters: ('Lena Lead', 'call me after 5')]", "call me after 5"),
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
        "mail.queued template=booking_confirmed to=l***@example.com key=mail:1",
        '127.0.0.1:5000 - "GET /healthz HTTP/1.1" 200',
    ],
)
def test_ordinary_fields_stay_readable(line: str) -> None:
    assert redact(line) == line
