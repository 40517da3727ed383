"""Ranges and addresses as administrators write them: bare addresses, CIDR, IPv6, and clear errors."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import pytest

from dockyard.network.addresses import parse_address, parse_cidr
from dockyard.network.errors import InvalidAddress


@pytest.mark.parametrize(
    ("text", "network"),
    [
        ("10.0.0.0/8", IPv4Network("10.0.0.0/8")),
        ("10.1.2.3", IPv4Network("10.1.2.3/32")),
        (" 10.1.2.3 ", IPv4Network("10.1.2.3/32")),
        ("0.0.0.0/0", IPv4Network("0.0.0.0/0")),
        ("2001:db8::/32", IPv6Network("2001:db8::/32")),
        ("2001:db8::1", IPv6Network("2001:db8::1/128")),
        ("::ffff:10.9.0.0/112", IPv4Network("10.9.0.0/16")),
        ("::ffff:10.9.8.7", IPv4Network("10.9.8.7/32")),
    ],
)
def test_parse_cidr_reads_ranges_and_bare_addresses(text: str, network: IPv4Network | IPv6Network) -> None:
    assert parse_cidr(text) == network


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.0.0.1/8", "did you mean 10.0.0.0/8?"),
        ("2001:db8::1/32", "did you mean 2001:db8::/32?"),
        ("nonsense", "is not an IP address or CIDR range"),
        ("10.0.0.0/33", "is not an IP address or CIDR range"),
        ("", "is not an IP address or CIDR range"),
        ("300.1.1.1", "is not an IP address or CIDR range"),
    ],
)
def test_parse_cidr_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidAddress, match=message.replace("?", r"\?")):
        parse_cidr(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1", IPv4Address("127.0.0.1")),
        ("127.0.0.1:5000", IPv4Address("127.0.0.1")),
        ("::1", IPv6Address("::1")),
        ("[::1]:5000", IPv6Address("::1")),
        ("::ffff:127.0.0.1", IPv4Address("127.0.0.1")),
        ("nonsense", None),
        ("", None),
    ],
)
def test_parse_address_reads_peers_and_hops(text: str, address: IPv4Address | IPv6Address | None) -> None:
    assert parse_address(text) == address
