"""Everything the sandbox remembers, in one object hung on the app.

Each part keeps its own lock; the sandbox is rebuilt from scratch by
``reset()`` so one server can serve many tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from leadscalendar.sandbox.google.config import SandboxConfig
from leadscalendar.sandbox.google.tokens import GrantStore


@dataclass
class SandboxState:
    config: SandboxConfig
    grants: GrantStore

    @classmethod
    def create(cls, config: SandboxConfig) -> SandboxState:
        return cls(config=config, grants=GrantStore())

    def reset(self) -> None:
        self.grants.reset()


def get_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state
