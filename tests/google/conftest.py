from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.google.fake_google import FakeGoogle, serve


@pytest.fixture
def fake_google() -> Iterator[FakeGoogle]:
    """A canned-response Google on a loopback port (see fake_google.py)."""
    fake = FakeGoogle()
    stop = serve(fake)
    yield fake
    stop()
