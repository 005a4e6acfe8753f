"""Engines built by ``build_engine``: what their errors say when they are logged."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadscalendar.accounts.models import Host
from leadscalendar.logging import configure_logging

NAME = "Lena Leadsworth"
EMAIL = "lena.leadsworth@example.com"


def test_a_database_error_logged_at_the_default_level_names_no_personal_details(
    engine: Engine,
) -> None:
    configure_logging("INFO")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("leadscalendar.test_engine")
    logger.addHandler(handler)
    try:
        with Session(engine) as session:
            session.add(Host(email=EMAIL, name="First", slug="first", password_hash="x"))
            session.commit()
            session.add(Host(email=EMAIL, name=NAME, slug="second", password_hash="x"))
            with pytest.raises(IntegrityError) as raised:
                session.commit()
            logger.error("insert failed", exc_info=raised.value)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "IntegrityError" in text and "insert failed" in text
    assert NAME not in text and EMAIL not in text
    # The parameters are gone from the exception itself (PostgreSQL's DETAIL line still
    # quotes the duplicate key there; the log masks it).
    assert NAME not in str(raised.value)
