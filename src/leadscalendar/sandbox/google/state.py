"""Everything the sandbox remembers, in one object hung on the app.

Each part keeps its own lock; ``reset()`` returns the sandbox to its freshly
started state so one server can serve many tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from leadscalendar.sandbox.google.chaos import Chaos
from leadscalendar.sandbox.google.config import SandboxConfig
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

    @classmethod
    def create(cls, config: SandboxConfig) -> SandboxState:
        return cls(
            config=config,
            grants=GrantStore(),
            calendars=CalendarStore(config.account_email),
            chaos=Chaos(),
            quotas=QuotaLimiter(),
            stats=Stats(),
        )

    def reset(self) -> None:
        self.grants.reset()
        self.calendars.reset()
        self.chaos.reset()
        self.quotas.reset()
        self.stats.reset()


def get_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state
