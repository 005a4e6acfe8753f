"""Where a webhook may go: the SSRF guard, applied at creation and again at connect time.

An endpoint's name is resolved and every address checked; the connection is
then made to a checked address, never by resolving again (a name that
answered a public address at creation, or a moment ago, may answer
``127.0.0.1`` now: DNS rebinding). Outside the global internet means
loopback, private, link-local (cloud metadata at 169.254.169.254), shared
(100.64/10), multicast, reserved and unspecified addresses, and IPv6
addresses that embed one of those.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from leadscalendar.errors import LeadsCalendarError

Resolver = Callable[[str, int], Sequence[str]]
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class EndpointAddressError(LeadsCalendarError):
    """The endpoint's URL is malformed, or points where webhooks may not go."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status_code=400)


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise EndpointAddressError(f"The name {host} could not be resolved ({error}).") from None
    return [str(info[4][0]) for info in infos]


def is_public(address: IpAddress) -> bool:
    """Whether ``address`` is on the global internet (not an internal or special address)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not address.is_multicast


def checked_addresses(
    host: str, port: int, *, allow_private: bool, resolve: Resolver = system_resolver
) -> list[str]:
    """The addresses of ``host``, all of them allowed, or ``EndpointAddressError``.

    Every address must pass, not just one: a name answering one public and one
    internal address would otherwise be a coin toss away from the inside.
    """
    addresses = list(dict.fromkeys(resolve(host, port)))
    if not addresses:
        raise EndpointAddressError(f"The name {host} has no address.")
    if allow_private:
        return addresses
    for text in addresses:
        if not is_public(ipaddress.ip_address(text.split("%", 1)[0])):
            raise EndpointAddressError(
                f"{host} resolves to {text}, an internal address; webhooks only go to "
                "addresses on the public internet."
            )
    return addresses


def check_endpoint_url(
    url: str, *, allow_private: bool, require_https: bool, resolve: Resolver = system_resolver
) -> str:
    """Validate a URL a host subscribes (scheme, no credentials, allowed addresses); return it."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise EndpointAddressError("That is not a valid URL.") from None
    allowed_schemes = ("https",) if require_https else ("https", "http")
    if parts.scheme not in allowed_schemes:
        raise EndpointAddressError(
            "The URL must start with https://."
            if require_https
            else "The URL must start with https:// or http://."
        )
    if not parts.hostname:
        raise EndpointAddressError("The URL has no host name.")
    if parts.username or parts.password:
        raise EndpointAddressError("The URL must not contain a user name or password.")
    if parts.fragment:
        raise EndpointAddressError("The URL must not contain a #fragment.")
    default_port = 443 if parts.scheme == "https" else 80
    checked_addresses(
        parts.hostname, port or default_port, allow_private=allow_private, resolve=resolve
    )
    return url
