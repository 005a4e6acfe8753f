"""The SSRF guard: internal addresses refused at creation and at connect time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from leadscalendar.config import Environment, Settings
from leadscalendar.sandbox.receiver import ReceiverStore, create_receiver_app
from leadscalendar.webhooks_out.addresses import EndpointAddressError, check_endpoint_url
from leadscalendar.webhooks_out.sender import WebhookSender
from tests.support.live_server import live_server

INTERNAL = [
    "http://127.0.0.1:8000/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://172.16.5.5/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://0.0.0.0/hook",
    "http://[::ffff:127.0.0.1]/hook",  # loopback hidden in IPv6
    "http://[fd00:ec2::254]/hook",  # AWS metadata over IPv6
]


def _resolver(answers: dict[str, Sequence[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> Sequence[str]:
        return answers.get(host, [host.strip("[]")])

    return resolve


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_refused_when_private_ones_are_not_allowed(url: str) -> None:
    resolve = _resolver({"localhost": ["127.0.0.1", "::1"]})
    with pytest.raises(EndpointAddressError, match="internal address"):
        check_endpoint_url(url, allow_private=False, require_https=False, resolve=resolve)


def test_a_name_with_one_internal_address_among_public_ones_is_refused() -> None:
    resolve = _resolver({"mixed.example": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(EndpointAddressError, match=r"10\.0\.0\.7"):
        check_endpoint_url(
            "https://mixed.example/x", allow_private=False, require_https=True, resolve=resolve
        )


def test_public_https_endpoints_pass_and_production_wants_https() -> None:
    resolve = _resolver({"crm.example": ["93.184.216.34"]})
    url = "https://crm.example/hooks?x=1"
    assert check_endpoint_url(url, allow_private=False, require_https=True, resolve=resolve) == url
    with pytest.raises(EndpointAddressError, match="https://"):
        check_endpoint_url(
            "http://crm.example/", allow_private=False, require_https=True, resolve=resolve
        )
    with pytest.raises(EndpointAddressError, match="user name"):
        check_endpoint_url(
            "https://u:p@crm.example/", allow_private=False, require_https=True, resolve=resolve
        )


def test_production_settings_refuse_private_addresses_unless_told(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).webhooks_private_addresses_allowed
    assert not Settings(
        data_dir=tmp_path, webhooks_allow_private_addresses=False
    ).webhooks_private_addresses_allowed
    production = Settings.model_construct(
        environment=Environment.PRODUCTION, webhooks_allow_private_addresses=None
    )
    assert not production.webhooks_private_addresses_allowed


def test_the_sender_checks_again_at_connect_time() -> None:
    """A name that was public when subscribed answers loopback now (DNS rebinding)."""
    store = ReceiverStore()
    with live_server(create_receiver_app(store)) as url:
        port = int(url.rsplit(":", 1)[1])
        rebinding = _resolver({"rebind.example": ["127.0.0.1"]})
        guarded = WebhookSender(allow_private=False, resolve=rebinding)
        open_sender = WebhookSender(allow_private=True, resolve=rebinding)
        try:
            refused = guarded.post(f"http://rebind.example:{port}/hooks/x", b"{}", {})
            allowed = open_sender.post(f"http://rebind.example:{port}/hooks/x", b"{}", {})
        finally:
            guarded.close()
            open_sender.close()
    assert refused.refused_address and refused.status_code is None
    assert "internal address" in (refused.error or "")
    assert allowed.status_code == 200
    assert len(store.all()) == 1, "the refused request must never reach the receiver"


@pytest.mark.parametrize(
    ("text", "expected"), [("", None), ("None", None), ("auto", None), ("true", True), ("0", False)]
)
def test_the_private_address_setting_reads_from_the_environment(
    text: str, expected: bool | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEADSCALENDAR_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", text)
    assert Settings(data_dir=tmp_path).webhooks_allow_private_addresses is expected
