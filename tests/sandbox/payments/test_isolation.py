from __future__ import annotations

import subprocess
import sys


def test_the_sandbox_imports_nothing_of_the_application() -> None:
    """It must stay a separate server that only shares Stripe's wire format with the app."""
    code = (
        "import sys\n"
        "import leadscalendar.sandbox.payments as s\n"
        "s.create_payments_sandbox_app(s.PaymentsSandboxConfig()).state.payments_sandbox.close()\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith(('leadscalendar', 'stripe'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    modules = set(result.stdout.split())
    allowed = {"leadscalendar", "leadscalendar.sandbox"}
    assert {m for m in modules if not m.startswith("leadscalendar.sandbox.payments")} <= allowed
    # It signs webhooks itself rather than borrowing the SDK the app verifies them with.
    assert not any(m == "stripe" or m.startswith("stripe.") for m in modules)
