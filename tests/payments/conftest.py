from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadscalendar.sandbox.payments.runtime import PaymentsSandbox
from tests.support.payments import running_payments_sandbox, sandbox_config


@pytest.fixture
def sandbox() -> Iterator[tuple[str, PaymentsSandbox]]:
    """A live payments sandbox (no webhook endpoint): (base URL, the sandbox object)."""
    with running_payments_sandbox(sandbox_config()) as running:
        yield running
