"""The redacting record factory, with the formatters that really print our records."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest
import structlog
from uvicorn.logging import AccessFormatter

from leadscalendar.bookings.job_kinds import CREATE_EVENT
from leadscalendar.logging import LogFormat, configure_logging, log_context
from tests.support.booking_env import BookingEnv
from tests.support.booking_flow import wait_jobs_idle
from tests.support.log_capture import captured_log, json_lines

ACCESS_FORMAT = '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'


@pytest.fixture
def access_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """uvicorn.access with uvicorn's own access formatter, as ``leadscalendar serve`` runs it."""
    configure_logging("INFO")
    logger = logging.getLogger("uvicorn.access")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessFormatter(ACCESS_FORMAT, use_colors=False))
    logger.addHandler(handler)
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.setLevel(level)
    logger.propagate = propagate


def access(logger: logging.Logger, path: str, status: int = 200) -> None:
    # Exactly how uvicorn's h11/httptools protocols log a request.
    logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", status)


def test_access_lines_are_written(
    access_log: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    logger, stream = access_log
    errors: list[logging.LogRecord] = []
    monkeypatch.setattr(logging.Handler, "handleError", lambda _self, record: errors.append(record))
    access(logger, "/healthz")
    assert not errors, "the formatter failed on our record"
    assert stream.getvalue().strip() == 'INFO:     127.0.0.1:5000 - "GET /healthz HTTP/1.1" 200 OK'


def test_access_lines_keep_their_shape_with_the_token_masked(
    access_log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = access_log
    access(logger, "/bookings/1?token=IjEi.secret-sig&paid=1", 303)
    access(logger, "/login?next=%2Fbookings%2F1%3Ftoken%3DIjEi.other-sig", 200)
    lines = stream.getvalue().splitlines()
    prefix = 'INFO:     127.0.0.1:5000 - "GET '
    assert lines == [
        prefix + '/bookings/1?token=[redacted]&paid=1 HTTP/1.1" 303 See Other',
        prefix + '/login?next=%2Fbookings%2F1%3Ftoken%3D[redacted] HTTP/1.1" 200 OK',
    ]


def test_a_secret_split_between_message_and_argument_is_still_masked() -> None:
    configure_logging("INFO")
    record = logging.getLogger("leadscalendar.test").makeRecord(
        "leadscalendar.test", logging.INFO, __file__, 1, "refresh_token=%s", ("1//0gXyZ",), None
    )
    assert "1//0gXyZ" not in record.getMessage()


def test_a_traceback_is_masked_before_any_handler_formats_it() -> None:
    configure_logging("INFO")
    try:
        raise ValueError("insert failed for lena@example.com, notes 'call after 5'")
    except ValueError:
        record = logging.getLogger("leadscalendar.test").makeRecord(
            "leadscalendar.test",
            logging.ERROR,
            __file__,
            1,
            "failed",
            (),
            sys.exc_info(),
        )
    text = logging.Formatter().format(record)
    assert "lena@example.com" not in text
    assert "ValueError" in text


SECRETS = ("1//0gRefresh", "ya29.access", "lena@example.com", "whsec_abc123", "IjEi.sig")


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_both_renderers_mask_every_path_a_secret_can_take(log_format: LogFormat) -> None:
    with captured_log(log_format) as stream:
        # A library's %-style line, a structlog event's values, bound context, a traceback.
        logging.getLogger("requests_oauthlib.test").warning("refresh_token=%s", "1//0gRefresh")
        with log_context(request_id="r-1", note="Authorization: Bearer ya29.access"):
            structlog.get_logger("leadscalendar.test").info(
                "mail.sent", to="lena@example.com", secret="whsec_abc123", attempt=2
            )
            try:
                raise ValueError("booking link /bookings/1?token=IjEi.sig failed")
            except ValueError:
                logging.getLogger("leadscalendar.test").exception("failed")
    text = stream.getvalue()
    for secret in SECRETS:
        assert secret not in text, (secret, text)
    assert text.count("[redacted]") >= 5
    assert "ValueError" in text and "mail.sent" in text and "r-1" in text
    if log_format == "json":
        lines = json_lines(stream)
        assert len(lines) == 3
        assert lines[1]["attempt"] == 2 and lines[1]["request_id"] == "r-1"
        assert "exception" in lines[2]
    else:
        assert "attempt=2" in text and not text.lstrip().startswith("{")


def test_a_paid_bookings_lines_carry_its_id_from_webhook_to_calendar(
    booking_env: BookingEnv,
) -> None:
    env = booking_env
    booking_id, token, checkout_url = env.confirmed_booking()
    with captured_log("json") as stream:
        env.pay(checkout_url)
        env.wait_status(booking_id, token, "scheduled")
        wait_jobs_idle(env)
    mine = [line for line in json_lines(stream) if line.get("booking_id") == booking_id]
    events = [str(line["event"]) for line in mine]
    assert any(event.startswith("payment event") and "recorded as" in event for event in events)
    created = [line for line in mine if line.get("job_kind") == CREATE_EVENT]
    assert any(str(line["event"]).startswith("job.finished") for line in created)
    assert all(line["job_id"] for line in created)
    assert "lena@example.com" not in stream.getvalue()
