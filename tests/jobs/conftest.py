from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.jobs.support import effects_table


@pytest.fixture
def with_effects(engine: Engine) -> Iterator[None]:
    """The ``test_job_effects`` table, dropped after the test (it outlives TRUNCATE otherwise)."""
    with effects_table(engine):
        yield
