"""The grant store's clock-dependent rules, with a clock the test controls."""

from __future__ import annotations

from leadscalendar.sandbox.google.tokens import (
    CODE_LIFETIME_SECONDS,
    GrantStore,
    PendingConsent,
    TokenFailure,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _pending(store: GrantStore, access_type: str = "offline") -> PendingConsent:
    return PendingConsent(
        id=store.new_pending_id(),
        client_id="client",
        redirect_uri="http://127.0.0.1/cb",
        scopes=("openid",),
        state=None,
        access_type=access_type,
        prompt=None,
        include_granted_scopes=False,
        login_hint=None,
        code_challenge=None,
        code_challenge_method=None,
        expires_at=store.pending_expiry(),
    )


def test_code_expires_after_ten_minutes() -> None:
    clock = FakeClock()
    store = GrantStore(clock)
    fresh = store.create_grant(_pending(store), "a@b.test", frozenset({"openid"}))
    stale = store.create_grant(_pending(store), "a@b.test", frozenset({"openid"}))

    assert not isinstance(store.redeem_code(fresh.code, lambda _: None), TokenFailure)
    clock.now += CODE_LIFETIME_SECONDS + 1
    outcome = store.redeem_code(stale.code, lambda _: None)

    assert outcome == TokenFailure(400, "invalid_grant", "Bad Request")


def test_access_token_expires_but_refresh_continues() -> None:
    clock = FakeClock()
    store = GrantStore(clock)
    code = store.create_grant(_pending(store), "a@b.test", frozenset({"openid"}))
    view, refresh = store.issue_tokens(code.grant_id, lifetime=60)

    clock.now += 61

    assert store.lookup_access(view.token) is None
    assert refresh is not None
    renewed = store.refresh(refresh, lifetime=60)
    assert renewed is not None and store.lookup_access(renewed.token) is not None


def test_revoking_one_token_revokes_the_grant_for_all() -> None:
    store = GrantStore(FakeClock())
    code = store.create_grant(_pending(store), "a@b.test", frozenset({"openid"}))
    first, refresh = store.issue_tokens(code.grant_id, lifetime=60)
    assert refresh is not None
    second = store.refresh(refresh, lifetime=60)
    assert second is not None

    assert store.revoke_token(second.token)

    assert store.lookup_access(first.token) is None
    assert store.refresh(refresh, lifetime=60) is None
    assert not store.revoke_token(refresh)  # already revoked: Google says invalid_token
