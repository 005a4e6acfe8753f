"""A push receiver shared by the module's tests, emptied before each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.push_receiver import PushReceiver, push_receiver


@pytest.fixture(scope="module")
def _push_server() -> Iterator[PushReceiver]:
    with push_receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(_push_server: PushReceiver) -> PushReceiver:
    _push_server.clear()
    return _push_server
