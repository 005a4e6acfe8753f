"""The running sandbox: the account, the delivery worker, and their lifecycle."""

from __future__ import annotations

from dataclasses import dataclass

from leadscalendar.sandbox.payments.config import PaymentsSandboxConfig
from leadscalendar.sandbox.payments.delivery import WebhookDeliverer
from leadscalendar.sandbox.payments.store import Store


@dataclass
class PaymentsSandbox:
    config: PaymentsSandboxConfig
    store: Store
    deliverer: WebhookDeliverer

    @classmethod
    def start(cls, config: PaymentsSandboxConfig) -> PaymentsSandbox:
        """Build the account and start the worker that delivers webhooks and expires sessions."""
        deliverer = WebhookDeliverer(config=config, webhook_url=config.webhook_url)
        store = Store(api_version=config.api_version, emit=deliverer.enqueue)
        deliverer.on_idle = store.expire_due
        deliverer.start()
        return cls(config=config, store=store, deliverer=deliverer)

    def reset(self) -> None:
        """Forget every object, event and delivery; keep the configured endpoint."""
        self.deliverer.reset()
        self.store.reset()

    def close(self) -> None:
        self.deliverer.stop()
