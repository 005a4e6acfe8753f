"""Everything the sandbox remembers, in one object hung on the app.

Each part keeps its own lock; ``reset()`` returns the sandbox to its freshly
started state so one server can serve many tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from leadscalendar.sandbox.google.channels import ChannelRegistry
from leadscalendar.sandbox.google.chaos import Chaos
from leadscalendar.sandbox.google.config import SandboxConfig
from leadscalendar.sandbox.google.push import PushDelivery
from leadscalendar.sandbox.google.quota import QuotaLimiter
from leadscalendar.sandbox.google.stats import Stats
from leadscalendar.sandbox.google.store import CalendarStore
from leadscalendar.sandbox.google.tokens import GrantStore


@dataclass
class SandboxState:
    config: SandboxConfig
    grants: GrantStore
    calendars: CalendarStore
    chaos: Chaos
    quotas: QuotaLimiter
    stats: Stats
    channels: ChannelRegistry

    @classmethod
    def create(cls, config: SandboxConfig) -> SandboxState:
        delivery = PushDelivery()
        channels = ChannelRegistry(delivery)
        delivery.bind(channels.is_live)
        return cls(
            config=config,
            grants=GrantStore(),
            # Every change to a calendar is announced to the channels watching it.
            calendars=CalendarStore(config.account_email, announce=channels.announce),
            chaos=Chaos(),
            quotas=QuotaLimiter(),
            stats=Stats(),
            channels=channels,
        )

    def reset(self) -> None:
        self.grants.reset()
        self.calendars.reset()
        self.chaos.reset()
        self.quotas.reset()
        self.stats.reset()
        self.channels.reset()


def get_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state
