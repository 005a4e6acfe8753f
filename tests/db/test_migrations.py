"""Data the migrations change on their way, checked on a database that had the data first."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from leadscalendar.db import migrate

BEFORE_SESSIONS = "b27444743280"
RAW = (
    '{"data": {"object": {"success_url": "https://x.example/bookings/1?token=IjEi.sig-one&paid=1",'
    ' "cancel_url": "https://x.example/bookings/1?token=IjEi.sig-two"}}}'
)


def test_upgrading_masks_booking_tokens_in_payment_events_already_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'old.sqlite3').as_posix()}"
    migrate.upgrade(url, BEFORE_SESSIONS)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO payment_events (id, provider, external_id, type, kind, livemode,"
                " received_at, raw) VALUES ('0123456789abcdef0123456789abcdef', 'stripe',"
                " 'evt_old', 'checkout.session.completed', 'checkout_paid', 0,"
                " '2026-11-01 10:00:00', :raw)"
            ),
            {"raw": RAW},
        )
    migrate.upgrade(url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT raw FROM payment_events")).scalar_one()
    engine.dispose()
    assert "sig-one" not in stored and "sig-two" not in stored
    assert stored == RAW.replace("IjEi.sig-one", "[redacted]").replace("IjEi.sig-two", "[redacted]")


BEFORE_SIGN_UP = "b86fa7fd1f06"


def test_hosts_that_existed_before_sign_up_count_as_verified_from_their_creation(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{(tmp_path / 'old.sqlite3').as_posix()}"
    migrate.upgrade(url, BEFORE_SIGN_UP)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO hosts (id, email, name, slug, password_hash, timezone, created_at,"
                " updated_at) VALUES ('0123456789abcdef0123456789abcdef', 'op@example.com', 'Op',"
                " 'op', 'x', 'UTC', '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
            )
        )
    migrate.upgrade(url)
    with engine.connect() as connection:
        verified, deleted = connection.execute(
            text("SELECT email_verified_at, deleted_at FROM hosts")
        ).one()
    engine.dispose()
    assert str(verified).startswith("2026-11-01 10:00:00")
    assert deleted is None
